"""Recorded crime: offence rates per 100,000 inhabitants, homicide counts in the largest cities and, for cities that
are their own NUTS 3 region, homicide rates checked against the regional table."""

from __future__ import annotations

import dagster as dg
import polars as pl

from pipelines.defs.common import STAGING, drop_metadata
from transforms.crime import (
    city_homicide_counts,
    city_homicide_rates,
    homicide_city_vs_region,
    recorded_offence_rates,
)


@dg.asset(
    key=["staging", "homicide_city_vs_region"],
    ins={
        "observations": dg.AssetIn(key=["staging", "observations"]),
        "city_regions": dg.AssetIn(key=["staging", "city_regions"]),
    },
    group_name="stg_crime",
    description="For every city that is the same territory as its NUTS 3 region and every year: the homicide count "
    "of the city table (crim_hom_ocit) against the regional table's (crim_gen_reg, ICCS0101), their relative "
    "difference and whether they agree within max(1, 5 %). A disagreement is flagged on the city's rate.",
    metadata={"comment": "City vs regional homicide counts for same-territory cities (agree flag, reason)."},
    **STAGING,
)
def homicide_city_vs_region_check(observations: pl.DataFrame, city_regions: pl.DataFrame) -> dg.Output[pl.DataFrame]:
    frame = homicide_city_vs_region(observations, city_regions)
    return dg.Output(
        frame,
        metadata={
            "dagster/row_count": frame.height,
            "disagreements": frame.filter(pl.col("agree").eq_missing(False)).height,
            "not_compared": frame.filter(pl.col("agree").is_null()).height,
        },
    )


@dg.asset(
    key=["staging", "city_homicide_rates"],
    ins={
        "observations": dg.AssetIn(key=["staging", "observations"]),
        "population": dg.AssetIn(key=["staging", "population"]),
        "city_regions": dg.AssetIn(key=["staging", "city_regions"]),
        "check": dg.AssetIn(key=["staging", "homicide_city_vs_region"]),
    },
    group_name="stg_crime",
    description="SEC_HOM_RATE_CITY: homicides recorded in the city over the population of the NUTS 3 region that "
    "is the same territory, with exact Poisson limits; the note says when the city and regional tables are more "
    "than max(1, 5 %) apart that year (screened as sources_disagree).",
    metadata={"comment": "City homicide rates (columns of published.indicator_values without quality_flags)."},
    **STAGING,
)
def city_homicide_rate_values(
    observations: pl.DataFrame, population: pl.DataFrame, city_regions: pl.DataFrame, check: pl.DataFrame
) -> dg.Output[pl.DataFrame]:
    version = city_regions["lau_source_version"][0] if "lau_source_version" in city_regions.columns else None
    frame, dropped = city_homicide_rates(observations, population, city_regions, check, lau_version=version)
    return dg.Output(
        frame,
        metadata={
            "dagster/row_count": frame.height,
            "sources_disagree": int(check["agree"].eq_missing(False).sum()),
            **drop_metadata(dropped),
        },
    )


@dg.asset(
    key=["staging", "crime_indicator_values"],
    ins={
        "observations": dg.AssetIn(key=["staging", "observations"]),
        "population": dg.AssetIn(key=["staging", "population"]),
        "city_rates": dg.AssetIn(key=["staging", "city_homicide_rates"]),
    },
    group_name="stg_crime",
    description="SEC_RECORDED_RATE (counts / population x 100000, exact Poisson limits) for every ICCS category, "
    "country and NUTS region, SEC_HOM_COUNT_CITY and SEC_HOM_RATE_CITY; computed by us, never copied from "
    "Eurostat's rates.",
    metadata={"comment": "Crime indicator values (columns of published.indicator_values)."},
    **STAGING,
)
def crime_indicator_values(
    observations: pl.DataFrame, population: pl.DataFrame, city_rates: pl.DataFrame
) -> dg.Output[pl.DataFrame]:
    rates, dropped_rates = recorded_offence_rates(observations, population)
    city, dropped_city = city_homicide_counts(observations)
    frame = pl.concat([rates, city, city_rates])
    return dg.Output(
        frame, metadata={"dagster/row_count": frame.height, **drop_metadata(pl.concat([dropped_rates, dropped_city]))}
    )


CRIME_ASSETS = [homicide_city_vs_region_check, city_homicide_rate_values, crime_indicator_values]
