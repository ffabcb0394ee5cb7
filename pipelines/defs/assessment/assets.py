"""Action 1 self-assessment and the crime-and-feeling comparison, both computed from the indicator values."""

from __future__ import annotations

import dagster as dg
import polars as pl

from pipelines.defs.common import STAGING
from pipelines.observe import contract_column_schema
from transforms.crime_and_feeling import crime_and_feeling
from transforms.self_assessment import self_assessment, self_assessment_positions
from warehouse.metadata import CRIME_AND_FEELING, SELF_ASSESSMENT, SELF_ASSESSMENT_POSITIONS


@dg.asset(
    key=["staging", "self_assessment_positions"],
    ins={
        "indicator_values": dg.AssetIn(key=["staging", "indicator_values"]),
        "geographies": dg.AssetIn(key=["staging", "geographies"]),
    },
    group_name="stg_assessment",
    description=SELF_ASSESSMENT_POSITIONS.description,
    metadata={
        "comment": "Candidate comparisons with peers (same columns as published.self_assessment_positions).",
        "dagster/column_schema": contract_column_schema(SELF_ASSESSMENT_POSITIONS),
    },
    **STAGING,
)
def self_assessment_positions_table(
    context, indicator_values: pl.DataFrame, geographies: pl.DataFrame
) -> dg.Output[pl.DataFrame]:
    frame = self_assessment_positions(indicator_values, geographies)
    bands = dict(frame.group_by(pl.col("band").fill_null("none")).len().sort("band").iter_rows())
    context.log.info(f"{frame.height:,} comparisons with peers; bands: {bands}")
    return dg.Output(frame, metadata={"dagster/row_count": frame.height, "rows_by_band": bands})


@dg.asset(
    key=["staging", "self_assessment"],
    ins={
        "indicator_values": dg.AssetIn(key=["staging", "indicator_values"]),
        "geographies": dg.AssetIn(key=["staging", "geographies"]),
        "positions": dg.AssetIn(key=["staging", "self_assessment_positions"]),
    },
    group_name="stg_assessment",
    description=SELF_ASSESSMENT.description,
    metadata={
        "comment": "Candidate self-assessment (same columns as published.self_assessment).",
        "dagster/column_schema": contract_column_schema(SELF_ASSESSMENT),
    },
    **STAGING,
)
def self_assessment_table(
    indicator_values: pl.DataFrame, geographies: pl.DataFrame, positions: pl.DataFrame
) -> dg.Output[pl.DataFrame]:
    frame = self_assessment(indicator_values, geographies, positions)
    return dg.Output(
        frame,
        metadata={
            "dagster/row_count": frame.height,
            "rows_by_maturity": {str(k): v for k, v in frame.group_by("maturity").len().sort("maturity").iter_rows()},
            "rows_by_position_band": dict(
                frame.group_by(pl.col("position_band").fill_null("none")).len().sort("position_band").iter_rows()
            ),
        },
    )


@dg.asset(
    key=["staging", "crime_and_feeling"],
    ins={"indicator_values": dg.AssetIn(key=["staging", "indicator_values"])},
    group_name="stg_assessment",
    description=CRIME_AND_FEELING.description,
    metadata={
        "comment": "Candidate crime-and-feeling comparison (same columns as published.crime_and_feeling).",
        "dagster/column_schema": contract_column_schema(CRIME_AND_FEELING),
    },
    **STAGING,
)
def crime_and_feeling_table(indicator_values: pl.DataFrame) -> dg.Output[pl.DataFrame]:
    frame = crime_and_feeling(indicator_values)
    return dg.Output(
        frame,
        metadata={
            "dagster/row_count": frame.height,
            "rows_by_divergence": dict(frame.group_by("divergence").len().sort("divergence").iter_rows()),
        },
    )


ASSESSMENT_ASSETS = [self_assessment_positions_table, self_assessment_table, crime_and_feeling_table]
