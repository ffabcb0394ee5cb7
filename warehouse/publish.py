"""Publishing: replace every published table in one transaction, or change nothing.

Frames are checked against the contract (warehouse.metadata) before the database is touched; inside the
transaction each table is recreated from its declared DDL, filled, and commented. A failure anywhere, or a
killed process, rolls the whole publication back, so readers see the old tables or the new ones, never a
mix. An empty frame is refused rather than allowed to wipe a table.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from warehouse.db import connect, table_exists
from warehouse.metadata import PUBLISHED_TABLES, Table, conform, quote_ident

PUBLISH_LOG = "meta.publish_log"


class PublishError(RuntimeError):
    """The frames do not meet the contract; nothing was written."""


def contract_problems(table: Table, frame: pl.DataFrame) -> list[str]:
    """Everything wrong with a frame as a candidate for ``table``; empty when it may be published."""
    try:
        frame = conform(table, frame)
    except (ValueError, pl.exceptions.PolarsError) as exc:
        return [str(exc)]
    problems = []
    if frame.height == 0 and not table.may_be_empty:
        problems.append(f"{table.qualified_name}: no rows (refusing to replace a table with nothing)")
    for col in table.columns:
        if not col.nullable and (nulls := frame[col.name].null_count()):
            problems.append(f"{table.qualified_name}.{col.name}: {nulls} NULL values in a NOT NULL column")
    dupes = frame.select(table.key).is_duplicated()
    if dupes.any():
        example = frame.filter(dupes).row(0, named=True)
        key = {k: example[k] for k in table.key}
        problems.append(f"{table.qualified_name}: {int(dupes.sum())} rows share a key, e.g. {key}")
    return problems


def publish(db: Path, frames: dict[Table, pl.DataFrame], run_id: str, fingerprint: str) -> dict[str, int]:
    """Replace the published tables with ``frames`` atomically; returns rows per table."""
    unknown = [t.qualified_name for t in frames if t not in PUBLISHED_TABLES]
    if unknown:
        raise PublishError(f"not published tables: {unknown}")
    problems = [p for table, frame in frames.items() for p in contract_problems(table, frame)]
    if problems:
        raise PublishError("refusing to publish:\n- " + "\n- ".join(problems))
    published_at = datetime.now(UTC).replace(tzinfo=None)
    rows: dict[str, int] = {}
    with connect(db) as con:
        con.execute("CREATE SCHEMA IF NOT EXISTS published")
        con.execute("CREATE SCHEMA IF NOT EXISTS meta")
        con.execute(
            f"CREATE TABLE IF NOT EXISTS {PUBLISH_LOG} (run_id VARCHAR, published_at TIMESTAMP, "
            "fingerprint VARCHAR, table_name VARCHAR, row_count BIGINT)"
        )
        con.execute("BEGIN")
        try:
            for table, frame in frames.items():
                frame = conform(table, frame)
                con.register("_incoming", frame.to_arrow())
                con.execute(table.create_sql())
                cols = ", ".join(quote_ident(c) for c in table.column_names)
                con.execute(
                    f"INSERT INTO {quote_ident(table.schema)}.{quote_ident(table.name)} ({cols}) "
                    f"SELECT {cols} FROM _incoming"
                )
                con.unregister("_incoming")
                for statement in table.comment_sql():
                    con.execute(statement)
                rows[table.qualified_name] = frame.height
                con.execute(
                    f"INSERT INTO {PUBLISH_LOG} VALUES (?, ?, ?, ?, ?)",
                    [run_id, published_at, fingerprint, table.qualified_name, frame.height],
                )
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    return rows


def last_fingerprint(db: Path) -> str | None:
    """The fingerprint of the last successful publication, or None if there is none."""
    if not Path(db).exists():
        return None
    with connect(db, read_only=True) as con:
        if not table_exists(con, "meta", "publish_log"):
            return None
        rows = con.execute(f"SELECT fingerprint FROM {PUBLISH_LOG} ORDER BY published_at DESC LIMIT 1").fetchall()
        return rows[0][0] if rows else None
