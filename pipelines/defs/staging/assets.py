"""Staging layer: tidy observations, denominators, and the indicator values waiting for publication."""

from __future__ import annotations

import dagster as dg
import polars as pl

from pipelines.observe import contract_column_schema, frame_metadata
from sources.registry import EUROSTAT_CRIME, EUROSTAT_POPULATION
from transforms.crime import city_homicide_counts, recorded_offence_rates, sort_indicator_values
from transforms.geographies import geographies
from transforms.observations import tidy_observations
from transforms.population import POPULATION_SOURCES, population_denominators
from warehouse.metadata import GEOGRAPHIES, INDICATOR_VALUES, conform

EUROSTAT_TABLES = [s.name for s in EUROSTAT_CRIME + EUROSTAT_POPULATION]
_COMMON = {
    "group_name": "staging",
    "kinds": {"polars", "duckdb"},
    "io_manager_key": "warehouse_io",
    "pool": "duckdb_write",
}


@dg.asset(
    key=["staging", "observations"],
    ins={name: dg.AssetIn(key=["raw", name]) for name in EUROSTAT_TABLES},
    description="Every Eurostat cell in one tidy shape: dataset, dimensions (breakdown as 'name=code' pairs), "
    "unit, geo, period, value (NULL = ':' missing), observation and confidentiality status, and "
    "the file and line it came from.",
    metadata={"comment": "Tidy Eurostat observations, one row per source cell (value NULL = missing)."},
    **_COMMON,
)
def observations(**raw_tables: pl.DataFrame) -> dg.Output[pl.DataFrame]:
    frame = pl.concat([tidy_observations(name, raw_tables[name]) for name in EUROSTAT_TABLES])
    per_dataset = dict(frame.group_by("dataset").len().sort("dataset").iter_rows())
    return dg.Output(frame, metadata={**frame_metadata(frame), "rows_by_dataset": per_dataset})


@dg.asset(
    key=["staging", "population"],
    ins={"observations": dg.AssetIn(key=["staging", "observations"])},
    description="Population on 1 January, one figure per territory and year, with the dataset it was taken "
    "from. Precedence: " + ", ".join(f"{d} ({scope})" for d, _, scope in POPULATION_SOURCES) + ".",
    metadata={"comment": "Population denominators, one per territory and year."},
    **_COMMON,
)
def population(observations: pl.DataFrame) -> dg.Output[pl.DataFrame]:
    frame = population_denominators(observations)
    by_source = dict(frame.group_by("source_dataset").len().sort("source_dataset").iter_rows())
    return dg.Output(frame, metadata={**frame_metadata(frame), "rows_by_source": by_source})


@dg.asset(
    key=["staging", "indicator_values"],
    ins={
        "observations": dg.AssetIn(key=["staging", "observations"]),
        "population": dg.AssetIn(key=["staging", "population"]),
    },
    description="Indicator values computed by us (never copied from the source's own rates), checked by "
    "blocking asset checks before they are published.",
    metadata={
        "comment": "Candidate indicator values (same columns as published.indicator_values).",
        "dagster/column_schema": contract_column_schema(INDICATOR_VALUES),
    },
    **_COMMON,
)
def indicator_values(observations: pl.DataFrame, population: pl.DataFrame) -> dg.Output[pl.DataFrame]:
    rates, dropped_rates = recorded_offence_rates(observations, population)
    city, dropped_city = city_homicide_counts(observations)
    frame = sort_indicator_values(pl.concat([rates, city]))
    dropped = pl.concat([dropped_rates, dropped_city])
    return dg.Output(
        frame,
        metadata={
            "dagster/row_count": frame.height,
            "rows_by_indicator": dict(frame.group_by("indicator_id").len().sort("indicator_id").iter_rows()),
            # Observations that could not become a value, by reason (no denominator, extra-regio, ':' …).
            "dropped_by_reason": {
                f"{r['indicator_id']} / {r['source_dataset']} / {r['reason']}": r["rows"]
                for r in dropped.iter_rows(named=True)
            },
            "dropped_total": int(dropped["rows"].sum()),
        },
    )


@dg.asset(
    key=["staging", "geographies"],
    ins={
        "indicator_values": dg.AssetIn(key=["staging", "indicator_values"]),
        "geo_codes": dg.AssetIn(key=["raw", "geo_codes"]),
        "city_codes": dg.AssetIn(key=["raw", "city_codes"]),
    },
    description="Every territory with values, and its ancestors, named from the Eurostat code lists.",
    metadata={
        "comment": "Candidate geographies (same columns as published.geographies).",
        "dagster/column_schema": contract_column_schema(GEOGRAPHIES),
    },
    **_COMMON,
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


STAGING_ASSETS = [observations, population, indicator_values, geography_table]
