"""Code versions of the assets: what Dagster compares to decide that an asset is stale because its code changed.

An asset's code version is the sha256 of everything that decides its output apart from its inputs:
- the Python code of the project's packages and the pinned environment (``requirements.lock``) — one digest for
  all assets, deliberately coarse: a change anywhere in the code marks every asset stale, never too few;
- the parameter files it reads (``transforms/parameters/*.csv``, listed in :data:`PARAMETER_FILES`);
- the quality rules are code (``expectations/suites.py``, ``expectations/rules.py``): the code digest covers them,
  so a changed rule re-runs the asset with its checks and everything downstream.

Data versions come from the data: each source asset reports the sha256 of the file it observed, and Dagster
derives every other asset's data version from its code version and its inputs' data versions.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from sources.config import PROJECT_ROOT

CODE_PACKAGES = ("sources", "transforms", "warehouse", "expectations", "pipelines", "dashboard")
ENVIRONMENT_FILES = ("requirements.lock",)

# Parameter files and the assets that read them (every file in transforms/parameters/ must be listed: a test).
PARAMETER_FILES: dict[str, tuple[str, ...]] = {
    "staging/survey_indicator_values": ("transforms/parameters/survey_sample_sizes.csv",),
    "staging/city_regions": ("transforms/parameters/city_lau_overrides.csv",),
    "raw/police_uk_street": ("transforms/parameters/police_uk_crime_types.csv",),
    "staging/local_indicator_values": ("transforms/parameters/police_uk_crime_types.csv",),
    "staging/incident_changes": ("transforms/parameters/police_uk_crime_types.csv",),
}


def _digest(paths: Iterable[Path]) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(str(path.relative_to(PROJECT_ROOT)).encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest() if path.is_file() else b"<missing>")
    return digest.hexdigest()


@cache
def code_digest() -> str:
    """sha256 of the project's Python code and its lock file."""
    files = [py for package in CODE_PACKAGES for py in sorted((PROJECT_ROOT / package).rglob("*.py"))]
    return _digest([*files, *(PROJECT_ROOT / f for f in ENVIRONMENT_FILES)])


def asset_inputs(key: str) -> list[Path]:
    """Files besides the code that decide the output of the asset ``key`` (``layer/name``)."""
    return [PROJECT_ROOT / f for f in PARAMETER_FILES.get(key, ())]


def code_version(key: str) -> str:
    """The code version of the asset ``key``: 16 hex digits (shown in the UI), from the code and its files."""
    return hashlib.sha256(f"{code_digest()}:{_digest(asset_inputs(key))}".encode()).hexdigest()[:16]
