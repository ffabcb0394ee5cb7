"""Opening the warehouse file: one place that sets the options every connection needs."""

from __future__ import annotations

import struct
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

# Files written this way stay readable by DuckDB 1.4+ clients (CLI, DBeaver, R), not only by 2.0 (DuckDB's
# storage_compatibility_version setting). The header's storage version is 67 for this setting.
STORAGE_COMPATIBILITY = "v1.4.0"
STORAGE_VERSION_V1_4 = 67


# Files this process holds open (see held_open): resolved path -> the connection that holds it.
_HELD: dict[Path, duckdb.DuckDBPyConnection] = {}


def connect(path: Path | str, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the warehouse. Replacement scans are off: a misspelt table name must fail as 'table not found',
    not silently resolve to a Python variable of that name. Inside :func:`held_open` of the same file, a cursor
    on the held connection (closing it leaves the file open), for a read-only request too: DuckDB refuses to
    open a file read-only in a process that holds it read-write."""
    path = Path(path)
    held = _HELD.get(path.resolve())
    if held is not None:
        return held.cursor()
    config: dict[str, str | bool] = {"python_enable_replacements": False}
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
        config["storage_compatibility_version"] = STORAGE_COMPATIBILITY
    return duckdb.connect(str(path), read_only=read_only, config=config)


@contextmanager
def held_open(path: Path | str) -> Iterator[None]:
    """Keep ``path`` open read-write until the block ends; :func:`connect` calls in between share it. A run's
    hundred-odd steps each open the working file to read or write a table: opening it (reading its catalogue)
    and closing it (a checkpoint) every time cost seconds per run; held, it is opened once and checkpointed when
    the block ends. Re-entrant: an inner block on a file already held changes nothing."""
    key = Path(path).resolve()
    if key in _HELD:
        yield
        return
    con = connect(path)
    _HELD[key] = con
    try:
        yield
    finally:
        del _HELD[key]
        con.close()


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
