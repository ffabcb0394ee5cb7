"""Recorded crime: offence rates per 100,000 inhabitants and homicide counts in the largest cities."""

from __future__ import annotations

import dagster as dg
import polars as pl

from pipelines.defs.common import STAGING, drop_metadata
from transforms.crime import city_homicide_counts, recorded_offence_rates


@dg.asset(
    key=["staging", "crime_indicator_values"],
    ins={
        "observations": dg.AssetIn(key=["staging", "observations"]),
        "population": dg.AssetIn(key=["staging", "population"]),
    },
    group_name="stg_crime",
    description="SEC_RECORDED_RATE (counts / population x 100000, exact Poisson limits) for every ICCS category, "
    "country and NUTS region, and SEC_HOM_COUNT_CITY; computed by us, never copied from Eurostat's rates.",
    metadata={"comment": "Crime indicator values (columns of published.indicator_values)."},
    **STAGING,
)
def crime_indicator_values(observations: pl.DataFrame, population: pl.DataFrame) -> dg.Output[pl.DataFrame]:
    rates, dropped_rates = recorded_offence_rates(observations, population)
    city, dropped_city = city_homicide_counts(observations)
    frame = pl.concat([rates, city])
    return dg.Output(
        frame, metadata={"dagster/row_count": frame.height, **drop_metadata(pl.concat([dropped_rates, dropped_city]))}
    )


CRIME_ASSETS = [crime_indicator_values]
