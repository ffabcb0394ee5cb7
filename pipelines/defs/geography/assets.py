"""City <-> region: every Urban Audit city linked to its NUTS 3 region through Eurostat's LAU 2019 table."""

from __future__ import annotations

import dagster as dg
import polars as pl

from pipelines.defs.common import STAGING
from transforms.city_regions import city_regions, read_overrides


@dg.asset(
    key=["staging", "city_regions"],
    ins={
        "nuts_lau_2019": dg.AssetIn(key=["raw", "nuts_lau_2019"]),
        "city_codes": dg.AssetIn(key=["raw", "city_codes"]),
        "population": dg.AssetIn(key=["staging", "population"]),
    },
    group_name="stg_geography",
    description="Every city of the Urban Audit CITIES code list with its NUTS 3 region (NUTS 2016), territory match "
    "(same_territory / part_of_region / spans_regions), how it was linked (city_id, greater_city_id, city_name, "
    "documented_list), approximate population and EU-OECD size class; from the LAU 2019 table "
    "(transforms/city_regions.py, documented list in transforms/parameters/city_lau_overrides.csv).",
    metadata={"comment": "City <-> NUTS 3 links from LAU 2019 (columns of published.geographies for cities)."},
    **STAGING,
)
def city_region_links(
    nuts_lau_2019: pl.DataFrame, city_codes: pl.DataFrame, population: pl.DataFrame
) -> dg.Output[pl.DataFrame]:
    frame = city_regions(city_codes, nuts_lau_2019, population, read_overrides()).with_columns(
        pl.lit(nuts_lau_2019["source_version"][0] if nuts_lau_2019.height else None, dtype=pl.String).alias(
            "lau_source_version"
        )
    )
    return dg.Output(
        frame,
        metadata={
            "dagster/row_count": frame.height,
            "by_territory_match": {str(k): v for k, v in frame.group_by("territory_match").len().iter_rows()},
            "by_lau_match": {str(k): v for k, v in frame.group_by("lau_match").len().iter_rows()},
        },
    )


GEOGRAPHY_ASSETS = [city_region_links]
