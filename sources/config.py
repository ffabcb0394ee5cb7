"""Where the raw data and the warehouse live. Environment variables override the bundled defaults."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BUNDLED_DATA_DIR = PROJECT_ROOT / "data" / "raw"
DEFAULT_DB_PATH = PROJECT_ROOT / "warehouse" / "urban_safety.duckdb"

BUNDLED_REGISTERS_DIR = PROJECT_ROOT / "data" / "registers" / "example"

DATA_DIR_ENV = "URBAN_SAFETY_DATA_DIR"
REGISTERS_DIR_ENV = "URBAN_SAFETY_REGISTERS_DIR"
DB_ENV = "URBAN_SAFETY_DB"
WORK_DB_ENV = "URBAN_SAFETY_WORK_DB"


LIVE_ENV = "URBAN_SAFETY_LIVE"
DOWNLOADS_DIR = PROJECT_ROOT / "warehouse" / "downloads"


def live_mode() -> bool:
    """Live mode (``URBAN_SAFETY_LIVE=1``): sources are fetched from their publishers before a run. Off by
    default: the bundled files are the input and nothing touches the network."""
    return os.environ.get(LIVE_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


def data_dir() -> Path:
    """The raw-data folder: ``$URBAN_SAFETY_DATA_DIR``; else, in live mode, ``warehouse/downloads`` (the bundled
    copies are never overwritten by downloads); else the bundled ``data/raw``."""
    explicit = os.environ.get(DATA_DIR_ENV)
    if explicit:
        return Path(explicit).resolve()
    return (DOWNLOADS_DIR if live_mode() else BUNDLED_DATA_DIR).resolve()


def db_path() -> Path:
    """The DuckDB file analysts open (published tables only): ``$URBAN_SAFETY_DB`` or
    ``warehouse/urban_safety.duckdb``."""
    return Path(os.environ.get(DB_ENV) or DEFAULT_DB_PATH).resolve()


def work_db_path() -> Path:
    """The pipeline's own working file (raw, staging, meta), never opened by analysts:
    ``$URBAN_SAFETY_WORK_DB`` or the analysts' file name with ``.work`` before the suffix."""
    explicit = os.environ.get(WORK_DB_ENV)
    if explicit:
        return Path(explicit).resolve()
    db = db_path()
    return db.with_name(f"{db.stem}.work{db.suffix or '.duckdb'}")


def registers_dir() -> Path:
    """The folder with a city's Action 5 registers (prevention_pyramid.csv, collective_impact.csv):
    ``$URBAN_SAFETY_REGISTERS_DIR`` or the bundled, clearly labelled example registers."""
    return Path(os.environ.get(REGISTERS_DIR_ENV) or BUNDLED_REGISTERS_DIR).resolve()


def registers_are_example(folder: Path) -> bool:
    return folder.resolve() == BUNDLED_REGISTERS_DIR.resolve()


PARQUET_ROOT_ENV = "URBAN_SAFETY_PARQUET_ROOT"


def parquet_root() -> Path | str:
    """Where incident data lands as Parquet partitions (Hive layout, one folder per month or year):
    ``$URBAN_SAFETY_PARQUET_ROOT`` (a folder, or ``s3://bucket/prefix`` on an S3-compatible object store; see
    sources.partition_store), else ``incidents/`` next to the working file (``warehouse/incidents``)."""
    explicit = os.environ.get(PARQUET_ROOT_ENV)
    if explicit:
        return explicit if explicit.startswith("s3://") else Path(explicit).resolve()
    return work_db_path().parent / "incidents"
