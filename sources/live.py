"""Live mode: bring every registry source up to date from its publisher before a run.

Each download is vetted by the same reader the pipeline uses before it replaces the previous copy, so a
changed format or an error page never displaces good data (sources.fetch keeps the old file and state).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from sources.codelists import read_code_list, read_dic
from sources.cohesion import read_esif_planned
from sources.config import BUNDLED_DATA_DIR
from sources.eurostat import read_eurostat
from sources.fetch import FetchAllError, FetchResult, fetch_all
from sources.lau import read_lau
from sources.registry import ALL_SOURCES, REFERENCE, SourceFile


def validate_with_reader(source: SourceFile, path: Path) -> None:
    """Raise (SourceFormatError) if the downloaded file is not readable as what the registry says it is."""
    if source.reader == "eurostat":
        read_eurostat(path, source.name)
    elif source.reader == "codelist":
        read_code_list(path)
    elif source.reader == "dic":
        read_dic(path)
    elif source.reader == "esif_planned":
        read_esif_planned(path)
    elif source.reader == "lau":
        read_lau(path)
    else:
        raise ValueError(f"no reader for {source.reader!r}")


@dataclass
class Refresh:
    results: dict[str, FetchResult]
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def changed(self) -> list[str]:
        return sorted(name for name, r in self.results.items() if r.changed)

    @property
    def downloaded_bytes(self) -> int:
        return sum(r.downloaded_bytes for r in self.results.values())

    def summary(self) -> str:
        text = (
            f"live: {len(self.results)} sources checked, {len(self.changed)} changed, "
            f"{self.downloaded_bytes:,} bytes downloaded"
        )
        if self.errors:
            text += f"; {len(self.errors)} failed (previous copies kept):\n" + "\n".join(
                f"  {name}: {message}" for name, message in sorted(self.errors.items())
            )
        return text


def seed_reference(data_dir: Path) -> list[str]:
    """Copy the fixed reference editions (:data:`sources.registry.REFERENCE`, never fetched) from the bundle into
    ``data_dir`` where they are missing; a copy already there is kept. Returns the names copied."""
    copied = []
    for source in REFERENCE:
        dest = Path(data_dir) / source.relpath
        if not dest.is_file():
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source.path(BUNDLED_DATA_DIR), dest)
            copied.append(source.name)
    return copied


def refresh_sources(data_dir: Path, sources: tuple[SourceFile, ...] = ALL_SOURCES) -> Refresh:
    """Conditional GET of every source into ``data_dir``; failures are collected, never half-applied. The fixed
    reference editions are seeded from the bundle (:func:`seed_reference`)."""
    seed_reference(data_dir)
    try:
        results = fetch_all([s.name for s in sources], data_dir, sources=sources, validate=validate_with_reader)
        return Refresh(results)
    except FetchAllError as exc:
        return Refresh(exc.results, {name: str(error) for name, error in exc.errors.items()})
