"""Metadata Dagster shows for every asset: row counts and column schemas, from frames or contract tables."""

from __future__ import annotations

import dagster as dg
import polars as pl

from warehouse.metadata import Table


def frame_metadata(frame: pl.DataFrame) -> dict[str, object]:
    return {
        "dagster/row_count": frame.height,
        "dagster/column_schema": dg.TableSchema(
            columns=[dg.TableColumn(name, str(dtype)) for name, dtype in frame.schema.items()]
        ),
    }


def contract_column_schema(table: Table) -> dg.TableSchema:
    return dg.TableSchema(
        columns=[
            dg.TableColumn(
                c.name, c.type, description=c.description, constraints=dg.TableColumnConstraints(nullable=c.nullable)
            )
            for c in table.columns
        ]
    )
