"""Writing and reading the warehouse's working layers (``raw``, ``staging``, ``meta``) as Polars frames.

Each write replaces one table inside a transaction: a failure leaves the previous table as it was.
(The stock dagster-duckdb IO manager deletes then inserts in autocommit mode, and it cannot load on
DuckDB 2.0, whose ``execute()`` results no longer have ``.pl()``.)
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from pathlib import Path

import polars as pl

from warehouse.db import connect, table_exists
from warehouse.metadata import quote_ident, quote_literal

WORKING_SCHEMAS = ("raw", "staging", "meta")


def _target(schema: str, name: str) -> str:
    if schema not in WORKING_SCHEMAS:
        raise ValueError(
            f"schema {schema!r} is not a working schema {WORKING_SCHEMAS}; publish through warehouse.publish"
        )
    return f"{quote_ident(schema)}.{quote_ident(name)}"


def write_table(db: Path, schema: str, name: str, frame: pl.DataFrame, description: str | None = None) -> None:
    target = _target(schema, name)
    with connect(db) as con:
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {quote_ident(schema)}")
        con.execute("BEGIN")
        try:
            con.register("_incoming", frame.to_arrow())
            con.execute(f"CREATE OR REPLACE TABLE {target} AS SELECT * FROM _incoming")
            if description:
                con.execute(f"COMMENT ON TABLE {target} IS {quote_literal(description)}")
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        finally:
            con.unregister("_incoming")


def read_table(db: Path, schema: str, name: str) -> pl.DataFrame:
    target = _target(schema, name)
    with connect(db) as con:
        if not table_exists(con, schema, name):
            raise LookupError(f"{schema}.{name} does not exist in {db}: materialise its asset first")
        return con.sql(f"SELECT * FROM {target}").pl()


def table_fingerprint(db: Path, schema: str, name: str, columns: Sequence[str] | None = None) -> tuple[int, int | None]:
    """(rows, sum of the 64-bit hash of every row — of ``columns`` only when given): equal for two tables holding
    the same rows in any order, duplicates counted; milliseconds where validating a table takes seconds."""
    values = "t" if columns is None else (", ".join(f"t.{quote_ident(c)}" for c in columns) or "NULL")
    with connect(db, read_only=True) as con:
        query = f"SELECT count(*), sum(hash({values})::HUGEINT) FROM {quote_ident(schema)}.{quote_ident(name)} AS t"
        rows, hashes = con.execute(query).fetchone()
    return int(rows), None if hashes is None else int(hashes)


def column_fingerprint(db: Path, schema: str, name: str, read: Callable[[list[str]], list[str]]) -> tuple[int, str]:
    """A fingerprint of a table as far as a reader of some of its columns can see: every column's name and type,
    and :func:`table_fingerprint` over the columns ``read`` picks from the table's columns. Two tables with equal
    fingerprints look the same to that reader. Returns (rows, fingerprint)."""
    with connect(db, read_only=True) as con:
        described = con.execute(f"DESCRIBE {quote_ident(schema)}.{quote_ident(name)}").fetchall()
    columns = read([c[0] for c in described])
    rows, hashes = table_fingerprint(db, schema, name, columns)
    shape = hashlib.sha256(";".join(f"{c[0]}:{c[1]}" for c in described).encode()).hexdigest()[:12]
    return rows, f"{rows}:{hashes}:{shape}:{len(columns)}"
