"""Comparing what is in the DuckDB file with the declared contract."""

from __future__ import annotations

from pathlib import Path

from warehouse.db import connect
from warehouse.metadata import Table


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
