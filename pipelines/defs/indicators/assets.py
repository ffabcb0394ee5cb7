"""All indicator values together (the candidate for publication) and the territories they cover."""

from __future__ import annotations

import dagster as dg
import polars as pl

from pipelines.defs.common import STAGING
from pipelines.observe import contract_column_schema
from transforms.crime import sort_indicator_values
from transforms.geographies import geographies
from warehouse.metadata import GEOGRAPHIES, INDICATOR_VALUES, conform

# Every domain's staging table of indicator values; each has the columns of published.indicator_values.
DOMAIN_VALUE_TABLES = [
    "crime_indicator_values",
    "survey_indicator_values",
    "funding_indicator_values",
    "register_indicator_values",
]


@dg.asset(
    key=["staging", "indicator_values"],
    ins={name: dg.AssetIn(key=["staging", name]) for name in DOMAIN_VALUE_TABLES},
    group_name="stg_indicators",
    description="Every indicator value of every domain, in the published shape, checked by blocking asset "
    "checks before it is published.",
    metadata={
        "comment": "Candidate indicator values (same columns as published.indicator_values).",
        "dagster/column_schema": contract_column_schema(INDICATOR_VALUES),
    },
    **STAGING,
)
def indicator_values(**domain_values: pl.DataFrame) -> dg.Output[pl.DataFrame]:
    frame = sort_indicator_values(
        pl.concat([conform(INDICATOR_VALUES, domain_values[name]) for name in DOMAIN_VALUE_TABLES])
    )
    return dg.Output(
        frame,
        metadata={
            "dagster/row_count": frame.height,
            "rows_by_indicator": dict(frame.group_by("indicator_id").len().sort("indicator_id").iter_rows()),
        },
    )


@dg.asset(
    key=["staging", "geographies"],
    ins={
        "indicator_values": dg.AssetIn(key=["staging", "indicator_values"]),
        "geo_codes": dg.AssetIn(key=["raw", "geo_codes"]),
        "city_codes": dg.AssetIn(key=["raw", "city_codes"]),
    },
    group_name="stg_indicators",
    description="Every territory with values, and its ancestors, named from the Eurostat code lists.",
    metadata={
        "comment": "Candidate geographies (same columns as published.geographies).",
        "dagster/column_schema": contract_column_schema(GEOGRAPHIES),
    },
    **STAGING,
)
def geography_table(
    indicator_values: pl.DataFrame, geo_codes: pl.DataFrame, city_codes: pl.DataFrame
) -> dg.Output[pl.DataFrame]:
    frame = conform(GEOGRAPHIES, geographies(indicator_values["geo_code"], geo_codes, city_codes))
    unnamed = frame.filter(pl.col("name").is_null())["geo_code"].to_list()
    return dg.Output(
        frame,
        metadata={
            "dagster/row_count": frame.height,
            "rows_by_level": dict(frame.group_by("geo_level").len().sort("geo_level").iter_rows()),
            "unnamed_codes": ", ".join(unnamed[:50]) or "none",
        },
    )


INDICATOR_ASSETS = [indicator_values, geography_table]
