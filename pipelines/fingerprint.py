"""A fingerprint of everything a publication depends on: the raw files, the city registers and the code that
turns them into tables. Same fingerprint as the last publication = nothing to do."""

from __future__ import annotations

import hashlib
from pathlib import Path

from sources import police_uk, ssmsi
from sources.config import PROJECT_ROOT
from sources.registry import ALL_SOURCES

CODE_PACKAGES = ("sources", "transforms", "warehouse", "expectations", "pipelines")
PARAMETERS = PROJECT_ROOT / "transforms" / "parameters"


def fingerprint(data_dir: Path, registers_dir: Path | None = None) -> str:
    digest = hashlib.sha256()
    for source in ALL_SOURCES:
        path = data_dir / source.relpath
        digest.update(source.relpath.encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest() if path.is_file() else b"<missing>")
    # Incident files: police.uk by name, size and modification time (a national archive is gigabytes; each landed
    # month checks its own files' sha256), the SSMSI file by content.
    for month, files in sorted(police_uk.discover(data_dir).items()):
        for f in files:
            digest.update(f"{month}/{f.path.name}:{f.path.stat().st_size}:{f.path.stat().st_mtime_ns}".encode())
    ssmsi_path = data_dir / ssmsi.FILE
    digest.update(hashlib.sha256(ssmsi_path.read_bytes()).digest() if ssmsi_path.is_file() else b"<missing>")
    if registers_dir is not None:
        for register in sorted(Path(registers_dir).glob("*.csv")):
            digest.update(register.name.encode())
            digest.update(hashlib.sha256(register.read_bytes()).digest())
    for package in CODE_PACKAGES:
        for py in sorted((PROJECT_ROOT / package).rglob("*.py")):
            digest.update(str(py.relative_to(PROJECT_ROOT)).encode())
            digest.update(py.read_bytes())
    for table in sorted(PARAMETERS.glob("*.csv")):
        digest.update(table.name.encode())
        digest.update(table.read_bytes())
    return digest.hexdigest()
