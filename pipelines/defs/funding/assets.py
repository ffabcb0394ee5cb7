"""EU cohesion funding: ESIF 2014-2020 planned amounts per member state and thematic objective."""

from __future__ import annotations

import dagster as dg
import polars as pl

from pipelines.defs.common import STAGING, drop_metadata
from transforms.funding import esif_planned_indicators


@dg.asset(
    key=["staging", "funding_indicator_values"],
    ins={
        "esif_planned": dg.AssetIn(key=["raw", "esif_planned"]),
        "population": dg.AssetIn(key=["staging", "population"]),
    },
    group_name="stg_funding",
    description="Planned EU, national and total ESIF 2014-2020 amounts per member state (GR published as EL) and "
    "thematic objective, exact to the cent, and per inhabitant (population on 1 January 2014); multi-country "
    "cooperation programmes kept apart as TC_MULTI, never split.",
    metadata={"comment": "Funding indicator values (columns of published.indicator_values)."},
    **STAGING,
)
def funding_indicator_values(esif_planned: pl.DataFrame, population: pl.DataFrame) -> dg.Output[pl.DataFrame]:
    version = esif_planned["source_version"][0]
    values, dropped = esif_planned_indicators(esif_planned, population, version)
    return dg.Output(values, metadata={"dagster/row_count": values.height, **drop_metadata(dropped)})


FUNDING_ASSETS = [funding_indicator_values]
