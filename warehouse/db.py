"""Opening the warehouse file: one place that sets the options every connection needs."""

from __future__ import annotations

import struct
from pathlib import Path

import duckdb

# Files written this way stay readable by DuckDB 1.4+ clients (CLI, DBeaver, R), not only by 2.0 (DuckDB's
# storage_compatibility_version setting). The header's storage version is 67 for this setting.
STORAGE_COMPATIBILITY = "v1.4.0"
STORAGE_VERSION_V1_4 = 67


def connect(path: Path | str, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the warehouse. Replacement scans are off: a misspelt table name must fail as 'table not found',
    not silently resolve to a Python variable of that name."""
    path = Path(path)
    config: dict[str, str | bool] = {"python_enable_replacements": False}
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
        config["storage_compatibility_version"] = STORAGE_COMPATIBILITY
    return duckdb.connect(str(path), read_only=read_only, config=config)


def storage_version(path: Path | str) -> int:
    """The storage version number in the file header (what older clients check before opening)."""
    with open(path, "rb") as fh:
        header = fh.read(20)
    if header[8:12] != b"DUCK":
        raise ValueError(f"{path} is not a DuckDB file")
    return struct.unpack("<Q", header[12:20])[0]


def table_exists(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> bool:
    # fetchall, not fetchone: on DuckDB 2.0 a partly read result blocks the connection.
    rows = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE schema_name = ? AND table_name = ?", [schema, name]
    ).fetchall()
    return bool(rows[0][0])
