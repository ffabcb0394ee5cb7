"""Checking frames and the DuckDB file against the declared contract (warehouse.metadata)."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from warehouse.db import connect
from warehouse.metadata import Table, conform


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


def published_schema_problems(db: Path, table: Table) -> list[str]:
    with connect(db, read_only=True) as con:
        rows = con.execute(
            "SELECT column_name, data_type, comment, is_nullable FROM duckdb_columns() "
            "WHERE schema_name = ? AND table_name = ? ORDER BY column_index",
            [table.schema, table.name],
        ).fetchall()
        table_comment = con.execute(
            "SELECT comment FROM duckdb_tables() WHERE schema_name = ? AND table_name = ?",
            [table.schema, table.name],
        ).fetchall()
    if not rows:
        return [f"{table.qualified_name} does not exist"]
    problems = []
    actual = [(r[0], r[1]) for r in rows]
    declared = [(c.name, c.type) for c in table.columns]
    if actual != declared:
        problems.append(f"{table.qualified_name}: columns {actual} differ from the contract {declared}")
    if not table_comment or table_comment[0][0] != table.description:
        problems.append(f"{table.qualified_name}: table COMMENT differs from the contract")
    comments = {r[0]: r[2] for r in rows}
    for c in table.columns:
        if comments.get(c.name) != c.description:
            problems.append(f"{table.qualified_name}.{c.name}: COMMENT differs from the contract")
    nullable = {r[0]: r[3] for r in rows}
    for c in table.columns:
        if not c.nullable and nullable.get(c.name) is not False:
            problems.append(f"{table.qualified_name}.{c.name}: should be NOT NULL")
    return problems
