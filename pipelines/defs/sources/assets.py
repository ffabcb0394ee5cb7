"""Source assets: the files the pipeline reads, as Dagster sees them.

Each source file (and the folder of city registers) is an observable source asset whose data version is the
sha256 of the bytes on disk. Observing it is cheap (hashing ~13 MB); in live mode (``URBAN_SAFETY_LIVE=1``)
observing a source first asks its publisher for a newer file (conditional GET, vetted by the reader before it
replaces the local copy, sources.live). A new data version marks the raw asset that reads the file, and
everything computed from it, stale; unchanged files leave their downstream alone.
"""

from __future__ import annotations

import hashlib
import warnings
from pathlib import Path

import dagster as dg

from pipelines.resources import UrbanSafetyPaths
from sources.config import live_mode
from sources.registry import ALL_INPUTS, ALL_SOURCES, SourceFile

REGISTERS = "registers"
MISSING = "missing"


def source_key(name: str) -> dg.AssetKey:
    return dg.AssetKey(["source", name])


def file_version(path: Path) -> str:
    """The data version of one file: its sha256, or 'missing'."""
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else MISSING


def registers_version(folder: Path) -> str:
    """The data version of a registers folder: sha256 over the names and bytes of its CSV files."""
    digest = hashlib.sha256()
    for register in sorted(Path(folder).glob("*.csv")):
        digest.update(register.name.encode() + b"\0" + hashlib.sha256(register.read_bytes()).digest())
    return digest.hexdigest()


def local_versions(data_dir: Path, registers_dir: Path) -> dict[dg.AssetKey, str]:
    """What observing every source asset would report now, without a run (used by ``make run``)."""
    versions = {source_key(s.name): file_version(Path(data_dir) / s.relpath) for s in ALL_INPUTS}
    versions[source_key(REGISTERS)] = registers_version(registers_dir)
    return versions


def _fetch(sources: tuple[SourceFile, ...], paths: UrbanSafetyPaths, log) -> dict[str, dict[str, object]]:
    """Live mode: conditional GET of each source into the data folder (sources.live); what happened, per source."""
    from sources.live import refresh_sources

    refresh = refresh_sources(paths.data_path, sources)
    log.info(refresh.summary())
    outcome: dict[str, dict[str, object]] = {}
    for source in sources:
        result = refresh.results.get(source.name)
        if source.name in refresh.errors:  # the previous copy is kept; the observation reports what is on disk
            log.warning(f"{source.name}: {refresh.errors[source.name]}")
        outcome[source.name] = {
            "live_changed": bool(result and result.changed),
            "downloaded_bytes": result.downloaded_bytes if result else 0,
            "http_status": result.status if result else "failed",
        }
    return outcome


OWNERS = ["team:urban_safety_data"]
# Every file read, the reference files (LAU table) included; only publishers' sources are fetched in live mode.
_BY_KEY = {source_key(s.name): s for s in ALL_INPUTS}
_SPECS = [
    *(
        dg.AssetSpec(
            key=source_key(s.name),
            group_name="sources",
            owners=OWNERS,
            kinds={"file"},
            description=f"{s.title}: `{s.relpath}` in the data folder (publisher: {s.publisher}). Data version = "
            "sha256 of the file; in live mode observing asks the publisher for a newer copy first.",
            metadata={"relpath": s.relpath, "publisher": s.publisher, "licence": s.licence},
        )
        for s in ALL_INPUTS
    ),
    dg.AssetSpec(
        key=source_key(REGISTERS),
        group_name="sources",
        owners=OWNERS,
        kinds={"file"},
        description="The city's Action 5 registers folder (URBAN_SAFETY_REGISTERS_DIR: prevention_pyramid.csv, "
        "collective_impact.csv). Data version = sha256 over its CSV files' names and bytes.",
    ),
]


with warnings.catch_warnings():
    warnings.simplefilter("ignore", dg.BetaWarning)

    @dg.multi_observable_source_asset(specs=_SPECS, name="observe_sources", can_subset=True)
    def observe_sources(context, paths: UrbanSafetyPaths):  # an observation context (untyped by Dagster)
        """Hash every selected source file (after a conditional GET in live mode) and report it as its version."""
        selected = [_BY_KEY[k] for k in sorted(context.selected_asset_keys) if k in _BY_KEY]
        fetchable = tuple(s for s in selected if s in ALL_SOURCES)
        fetched = _fetch(fetchable, paths, context.log) if live_mode() and fetchable else {}
        for source in selected:
            path = paths.data_path / source.relpath
            version = file_version(path)
            context.log.info(f"{source.relpath}: sha256 {version[:12]}")
            yield dg.ObserveResult(
                asset_key=source_key(source.name),
                data_version=dg.DataVersion(version),
                metadata={
                    "path": str(path),
                    "bytes": path.stat().st_size if path.is_file() else 0,
                    **fetched.get(source.name, {}),
                },
            )
        if source_key(REGISTERS) in context.selected_asset_keys:
            files = sorted(p.name for p in paths.registers_path.glob("*.csv"))
            context.log.info(f"{paths.registers_path}: {len(files)} register files ({', '.join(files) or 'none'})")
            yield dg.ObserveResult(
                asset_key=source_key(REGISTERS),
                data_version=dg.DataVersion(registers_version(paths.registers_path)),
                metadata={"folder": str(paths.registers_path), "files": ", ".join(files) or "none"},
            )


SOURCE_ASSETS = [observe_sources]
