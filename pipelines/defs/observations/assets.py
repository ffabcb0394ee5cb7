"""Every Eurostat cell in one tidy table, and the population denominators drawn from it."""

from __future__ import annotations

import dagster as dg
import polars as pl

from pipelines.defs.common import STAGING
from pipelines.observe import frame_metadata
from sources.registry import EUROSTAT_CRIME, EUROSTAT_POPULATION, EUROSTAT_SURVEY
from transforms.observations import tidy_observations
from transforms.population import POPULATION_SOURCES, population_denominators

EUROSTAT_TABLES = [s.name for s in EUROSTAT_CRIME + EUROSTAT_POPULATION + EUROSTAT_SURVEY]


@dg.asset(
    key=["staging", "observations"],
    ins={name: dg.AssetIn(key=["raw", name]) for name in EUROSTAT_TABLES},
    group_name="stg_tidy",
    description="Every Eurostat cell in one tidy shape: dataset, one column per breakdown dimension (iccs, "
    "age, sex, indic_ur, ...; null where the dataset has no such dimension), unit, geo, period, value "
    "(NULL = ':' missing), observation and confidentiality status, and the file and line it came from.",
    metadata={"comment": "Tidy Eurostat observations, one row per source cell (value NULL = missing)."},
    **STAGING,
)
def observations(**raw_tables: pl.DataFrame) -> dg.Output[pl.DataFrame]:
    frame = pl.concat([tidy_observations(name, raw_tables[name]) for name in EUROSTAT_TABLES])
    per_dataset = dict(frame.group_by("dataset").len().sort("dataset").iter_rows())
    return dg.Output(frame, metadata={**frame_metadata(frame), "rows_by_dataset": per_dataset})


@dg.asset(
    key=["staging", "population"],
    ins={"observations": dg.AssetIn(key=["staging", "observations"])},
    group_name="stg_tidy",
    description="Population on 1 January, one figure per territory and year, with the dataset it was taken "
    "from. Precedence: " + ", ".join(f"{d} ({scope})" for d, _, scope in POPULATION_SOURCES) + ".",
    metadata={"comment": "Population denominators, one per territory and year."},
    **STAGING,
)
def population(observations: pl.DataFrame) -> dg.Output[pl.DataFrame]:
    frame = population_denominators(observations)
    by_source = dict(frame.group_by("source_dataset").len().sort("source_dataset").iter_rows())
    return dg.Output(frame, metadata={**frame_metadata(frame), "rows_by_source": by_source})


OBSERVATION_ASSETS = [observations, population]
