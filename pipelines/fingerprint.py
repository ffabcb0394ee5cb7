"""A fingerprint of everything a publication depends on: the raw files, the city registers and the code that
turns them into tables. Same fingerprint as the last publication = nothing to do."""

from __future__ import annotations

import hashlib
from pathlib import Path

from sources.config import PROJECT_ROOT
from sources.registry import ALL_INPUTS

CODE_PACKAGES = ("sources", "transforms", "warehouse", "expectations", "pipelines")


def fingerprint(data_dir: Path, registers_dir: Path | None = None) -> str:
    digest = hashlib.sha256()
    for source in ALL_INPUTS:
        path = data_dir / source.relpath
        digest.update(source.relpath.encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest() if path.is_file() else b"<missing>")
    if registers_dir is not None:
        for register in sorted(Path(registers_dir).glob("*.csv")):
            digest.update(register.name.encode())
            digest.update(hashlib.sha256(register.read_bytes()).digest())
    for package in CODE_PACKAGES:
        for py in sorted((PROJECT_ROOT / package).rglob("*.py")):
            digest.update(str(py.relative_to(PROJECT_ROOT)).encode())
            digest.update(py.read_bytes())
    return digest.hexdigest()
