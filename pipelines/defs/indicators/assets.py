"""All indicator values together (the candidate for publication) and the territories they cover."""

from __future__ import annotations

import dagster as dg
import polars as pl

from pipelines.defs.common import STAGING
from pipelines.observe import contract_column_schema
from transforms.code_labels import code_labels
from transforms.crime import city_table_disagreements, sort_indicator_values
from transforms.geographies import geographies
from transforms.screening import with_quality_flags
from warehouse.metadata import CODE_LABELS, DOMAIN_INDICATOR_VALUES, GEOGRAPHIES, INDICATOR_VALUES, conform

# Every domain's staging table of indicator values; each has the columns of published.indicator_values.
DOMAIN_VALUE_TABLES = [
    "crime_indicator_values",
    "survey_indicator_values",
    "funding_indicator_values",
    "register_indicator_values",
]


@dg.asset(
    key=["staging", "indicator_values"],
    ins={
        **{name: dg.AssetIn(key=["staging", name]) for name in DOMAIN_VALUE_TABLES},
        "homicide_check": dg.AssetIn(key=["staging", "homicide_city_vs_region"]),
    },
    group_name="stg_indicators",
    description="Every indicator value of every domain, in the published shape, with its screening flags "
    "(transforms/screening.py), checked by blocking asset checks before it is published.",
    metadata={
        "comment": "Candidate indicator values (same columns as published.indicator_values).",
        "dagster/column_schema": contract_column_schema(INDICATOR_VALUES),
    },
    **STAGING,
)
def indicator_values(context, homicide_check: pl.DataFrame, **domain_values: pl.DataFrame) -> dg.Output[pl.DataFrame]:
    unscreened = pl.concat([conform(DOMAIN_INDICATOR_VALUES, domain_values[name]) for name in DOMAIN_VALUE_TABLES])
    disagreeing = city_table_disagreements(homicide_check)
    frame = sort_indicator_values(with_quality_flags(unscreened, sources_disagree=disagreeing))
    flagged = (
        frame.select(pl.col("quality_flags").str.split(",").alias("flag")).explode("flag").drop_nulls().group_by("flag")
    )
    rows_by_flag = dict(flagged.len().sort("flag").iter_rows())
    context.log.info(f"{frame.height:,} indicator values; screening flags: {rows_by_flag or 'none'}")
    return dg.Output(
        frame,
        metadata={
            "dagster/row_count": frame.height,
            "rows_by_indicator": dict(frame.group_by("indicator_id").len().sort("indicator_id").iter_rows()),
            "rows_by_quality_flag": rows_by_flag,
        },
    )


@dg.asset(
    key=["staging", "geographies"],
    ins={
        "indicator_values": dg.AssetIn(key=["staging", "indicator_values"]),
        "geo_codes": dg.AssetIn(key=["raw", "geo_codes"]),
        "city_codes": dg.AssetIn(key=["raw", "city_codes"]),
        "city_regions": dg.AssetIn(key=["staging", "city_regions"]),
    },
    group_name="stg_indicators",
    description="Every territory with values, and its ancestors, named from the Eurostat code lists; cities with "
    "their NUTS 3 region, territory match, population and size class (staging.city_regions).",
    metadata={
        "comment": "Candidate geographies (same columns as published.geographies).",
        "dagster/column_schema": contract_column_schema(GEOGRAPHIES),
    },
    **STAGING,
)
def geography_table(
    indicator_values: pl.DataFrame, geo_codes: pl.DataFrame, city_codes: pl.DataFrame, city_regions: pl.DataFrame
) -> dg.Output[pl.DataFrame]:
    frame = conform(GEOGRAPHIES, geographies(indicator_values["geo_code"], geo_codes, city_codes, city_regions))
    unnamed = frame.filter(pl.col("name").is_null())["geo_code"].to_list()
    return dg.Output(
        frame,
        metadata={
            "dagster/row_count": frame.height,
            "rows_by_level": dict(frame.group_by("geo_level").len().sort("geo_level").iter_rows()),
            "unnamed_codes": ", ".join(unnamed[:50]) or "none",
        },
    )


@dg.asset(
    key=["staging", "code_labels"],
    ins={
        "iccs_labels": dg.AssetIn(key=["raw", "iccs_labels"]),
        "esif_planned": dg.AssetIn(key=["raw", "esif_planned"]),
    },
    group_name="stg_indicators",
    description="Labels of the codes in the published tables (ICCS, ESIF thematic objectives, Eurostat flags, the "
    "project's own codes), each with its source; candidate for published.code_labels.",
    metadata={
        "comment": "Candidate code labels (same columns as published.code_labels).",
        "dagster/column_schema": contract_column_schema(CODE_LABELS),
    },
    **STAGING,
)
def code_label_table(iccs_labels: pl.DataFrame, esif_planned: pl.DataFrame) -> dg.Output[pl.DataFrame]:
    frame = conform(CODE_LABELS, code_labels(iccs_labels, esif_planned))
    return dg.Output(
        frame,
        metadata={
            "dagster/row_count": frame.height,
            "rows_by_list": dict(frame.group_by("code_list").len().sort("code_list").iter_rows()),
        },
    )


INDICATOR_ASSETS = [indicator_values, geography_table, code_label_table]
