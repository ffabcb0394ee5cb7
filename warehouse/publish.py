"""Publishing: a complete new snapshot file, swapped in atomically, or no change at all.

The pipeline works in its own DuckDB file (raw, staging, meta). Analysts and dashboards read another file, the
one ``URBAN_SAFETY_DB`` names, which only ever holds the published tables. To publish, the frames are checked
against the contract (warehouse.metadata) before anything is written; then a new file is built next to the
analysts' file (tables from their declared DDL, COMMENTs, the publication log), checkpointed, closed and
fsynced, and ``os.replace`` puts it in place in one step.

So, as a DuckDB file has one writer or many readers (DuckDB documentation, "Concurrency"):
- readers never block the pipeline and the pipeline never blocks readers: nobody but this function opens the
  new file, and a reader that has the old file open keeps reading the old, complete version;
- a failure or a killed process at any moment leaves the previous file exactly as it was (the half-built
  snapshot is a separate file, removed at the next publication);
- an empty frame is refused rather than allowed to wipe a table.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from warehouse.contract import contract_problems
from warehouse.db import connect, table_exists
from warehouse.lock import exclusive_writer
from warehouse.metadata import PUBLISHED_TABLES, Table, conform, quote_ident

PUBLISH_LOG = "meta.publish_log"
_LOG_DDL = (
    f"CREATE TABLE IF NOT EXISTS {PUBLISH_LOG} (run_id VARCHAR, published_at TIMESTAMP, "
    "fingerprint VARCHAR, table_name VARCHAR, row_count BIGINT)"
)
_LOG_COMMENT = (
    f"COMMENT ON TABLE {PUBLISH_LOG} IS 'One row per published table and publication: run, time, the "
    "fingerprint of the inputs and code, rows.'"
)


class PublishError(RuntimeError):
    """The frames do not meet the contract; nothing was written."""


def snapshot_temp_files(db: Path) -> list[Path]:
    """Half-built snapshots next to ``db`` (left by a failed or killed publication)."""
    return sorted(Path(db).parent.glob(f"{Path(db).name}.tmp-*"))


def _previous_log(db: Path) -> pl.DataFrame | None:
    if not db.exists():
        return None
    try:
        with connect(db, read_only=True) as con:
            if table_exists(con, "meta", "publish_log"):
                return con.sql(f"SELECT * FROM {PUBLISH_LOG}").pl()
    except Exception:  # an unreadable old file must not stop a new publication; only its log is lost
        return None
    return None


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def publish(
    db: Path, frames: dict[Table, pl.DataFrame], run_id: str, fingerprint: str, work_db: Path | None = None
) -> dict[str, int]:
    """Replace the analysts' file ``db`` by a new snapshot holding ``frames``; returns rows per table.

    ``fingerprint`` names what was published (the run passes the Dagster data versions of its inputs). The writer
    lock of ``work_db`` (warehouse.lock; by default the lock next to ``db``) is held while leftovers of killed
    publications are removed and the new snapshot is written and swapped in: a run already holds it, so this
    only re-enters it."""
    db = Path(db)
    unknown = [t.qualified_name for t in frames if t not in PUBLISHED_TABLES]
    if unknown:
        raise PublishError(f"not published tables: {unknown}")
    missing = [t.qualified_name for t in PUBLISHED_TABLES if t not in frames]
    if missing:
        raise PublishError(f"a publication replaces every published table; missing: {missing}")
    problems = [p for table, frame in frames.items() for p in contract_problems(table, frame)]
    if problems:
        raise PublishError("refusing to publish:\n- " + "\n- ".join(problems))

    db.parent.mkdir(parents=True, exist_ok=True)
    with exclusive_writer(work_db or db):
        return _write_snapshot(db, frames, run_id, fingerprint)


def _write_snapshot(db: Path, frames: dict[Table, pl.DataFrame], run_id: str, fingerprint: str) -> dict[str, int]:
    for stale in snapshot_temp_files(db):  # under the writer lock: no other process is writing one now
        stale.unlink(missing_ok=True)
    previous_log = _previous_log(db)
    published_at = datetime.now(UTC).replace(tzinfo=None)
    tmp = db.with_name(f"{db.name}.tmp-{uuid.uuid4().hex[:12]}")
    rows: dict[str, int] = {}
    try:
        with connect(tmp) as con:
            con.execute("CREATE SCHEMA published")
            con.execute("CREATE SCHEMA meta")
            for table in PUBLISHED_TABLES:
                frame = conform(table, frames[table])
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
            con.execute(_LOG_DDL)
            con.execute(_LOG_COMMENT)
            if previous_log is not None and previous_log.height:
                con.register("_log", previous_log.to_arrow())
                con.execute(f"INSERT INTO {PUBLISH_LOG} SELECT * FROM _log")
                con.unregister("_log")
            con.executemany(
                f"INSERT INTO {PUBLISH_LOG} VALUES (?, ?, ?, ?, ?)",
                [[run_id, published_at, fingerprint, name, n] for name, n in rows.items()],
            )
            con.execute("CHECKPOINT")
        _fsync(tmp)
        os.replace(tmp, db)  # the one step readers can observe: old file before, new file after
        _fsync(db.parent)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        Path(f"{tmp}.wal").unlink(missing_ok=True)
    return rows


def last_publication(db: Path) -> tuple[str, str] | None:
    """(run_id, fingerprint) of the publication in ``db``, or None if there is none or it cannot be read."""
    log = _previous_log(Path(db))
    if log is None or log.is_empty():
        return None
    last = log.sort("published_at").row(-1, named=True)
    return last["run_id"], last["fingerprint"]


def last_fingerprint(db: Path) -> str | None:
    """The fingerprint of the last successful publication, or None."""
    last = last_publication(db)
    return last[1] if last else None
