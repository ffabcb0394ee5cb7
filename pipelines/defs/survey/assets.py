"""Survey indicators (Quality of Life in European Cities, EU-SILC) and the population context figure."""

from __future__ import annotations

import dagster as dg
import polars as pl

from pipelines.defs.common import STAGING, drop_metadata
from transforms.survey import SAMPLE_SIZES_CSV, load_sample_sizes, population_indicator, survey_indicators


@dg.asset(
    key=["staging", "survey_indicator_values"],
    ins={
        "observations": dg.AssetIn(key=["staging", "observations"]),
        "population": dg.AssetIn(key=["staging", "population"]),
    },
    group_name="stg_survey",
    description="Shares agreeing (strongly + somewhat) per city and wave from urb_percep and national EU-SILC "
    "figures, with Wilson intervals on the surveys' documented sample sizes "
    f"({SAMPLE_SIZES_CSV.name}); the 2004-2015 and 2019 wordings are separate series variants. Plus CTX_POP.",
    metadata={"comment": "Survey and context indicator values (columns of published.indicator_values)."},
    **STAGING,
)
def survey_indicator_values(observations: pl.DataFrame, population: pl.DataFrame) -> dg.Output[pl.DataFrame]:
    survey, dropped = survey_indicators(observations, load_sample_sizes())
    frame = pl.concat([survey, population_indicator(population)])
    return dg.Output(frame, metadata={"dagster/row_count": frame.height, **drop_metadata(dropped)})


SURVEY_ASSETS = [survey_indicator_values]
