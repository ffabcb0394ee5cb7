"""EU cohesion-funding indicators: ESIF 2014-2020 planned amounts per member state and thematic objective.

Sums are computed on the reader's exact ``Decimal(20, 2)`` amounts and converted to a float once, at the end, so
every published amount is the double nearest to the exact sum of the file's cents.

* Member-state codes are harmonised to Eurostat's (``GR`` -> ``EL``; ``UK`` stays ``UK``).
* ``TC`` (territorial cooperation, "Interreg": cross-border, transnational and IPA programmes spanning several
  countries) is kept apart as one MULTI_COUNTRY territory and never split among, or added to, countries. It has
  amounts only: no population, so no per-inhabitant value (counted as ``multi_country_no_population``).
* ``breakdown`` is the thematic objective code exactly as in the file (``01``-``12``, ``TA`` technical
  assistance, ``DM`` EAFRD measures discontinued from 2007-2013, ``IPA-TA`` technical assistance of IPA
  cross-border programmes, ``VOID`` IPA cross-border priorities without a thematic objective) plus ``ALL``, the
  sum over every row of the territory. A thematic objective absent from a territory's rows has no value (not 0).
* A sum that would include a missing (empty) source amount is not published: it would understate the plan.
* Per-inhabitant values divide the total planned amount by the population on 1 January 2014, the first year
  of the programming period, and carry that population's flags and source.
"""

from __future__ import annotations

import polars as pl

from transforms.crime import DROP_SCHEMA
from transforms.geographies import MULTI_COUNTRY_TC
from transforms.observations import merge_flags
from warehouse.catalogue.funding import (
    FUND_ESIF_PLANNED_EU_EUR,
    FUND_ESIF_PLANNED_NATIONAL_EUR,
    FUND_ESIF_PLANNED_PC,
    FUND_ESIF_PLANNED_TOTAL_EUR,
    FUND_SOCINCL_PC,
)
from warehouse.metadata import DOMAIN_INDICATOR_VALUES, INDICATOR_VALUES, conform

SOURCE_DATASET = "esif_2014_2020_planned"
PERIOD = "2014/2020"
SERIES_VARIANT = "planned_2014_2020"
COMPARABILITY = "cross_country"
POPULATION_PERIOD = "2014"  # 1 January of the first year of the programming period
ALL_OBJECTIVES = "ALL"
SOCIAL_INCLUSION = "09"
# Cohesion-platform member-state code -> Eurostat code (everything else is already Eurostat's). The platform's
# "TC" (territorial cooperation, several countries) would read as Turks and Caicos in Eurostat's GEO list, so it
# is published under a code of its own.
MULTI_COUNTRY_CODE = MULTI_COUNTRY_TC
EUROSTAT_CODES = {"GR": "EL", "TC": MULTI_COUNTRY_TC}
NOTE = "planned (financial plans of the adopted programmes, Cohesion Open Data export of 2019-04-11), not spent"

# indicator -> amount column of the reader's frame
AMOUNT_INDICATORS = (
    (FUND_ESIF_PLANNED_EU_EUR, "eu_amount"),
    (FUND_ESIF_PLANNED_NATIONAL_EUR, "national_amount"),
    (FUND_ESIF_PLANNED_TOTAL_EUR, "total_amount"),
)


def eurostat_geo(ms: pl.Expr) -> pl.Expr:
    return ms.replace(EUROSTAT_CODES)


def _planned_sums(planned: pl.DataFrame, amount: str) -> pl.DataFrame:
    """(geo, geo_level, breakdown, amount, missing): exact sums per territory and thematic objective, plus ALL.

    ``missing`` counts the source rows of the group whose amount is empty; ``amount`` then understates the plan.
    """
    rows = planned.select(
        eurostat_geo(pl.col("ms")).alias("geo"),
        pl.col("to_code").alias("breakdown"),
        pl.col(amount).alias("amount"),
    )
    aggs = (pl.col("amount").sum().alias("amount"), pl.col("amount").null_count().cast(pl.Int64).alias("missing"))
    by_objective = rows.group_by("geo", "breakdown").agg(*aggs)
    overall = rows.group_by("geo").agg(*aggs).with_columns(pl.lit(ALL_OBJECTIVES).alias("breakdown"))
    return pl.concat([by_objective, overall.select(by_objective.columns)]).with_columns(
        pl.when(pl.col("geo") == MULTI_COUNTRY_CODE)
        .then(pl.lit("MULTI_COUNTRY"))
        .when(pl.col("geo").str.contains(r"^[A-Z]{2}$"))
        .then(pl.lit("NUTS0"))
        .otherwise(pl.lit(None, dtype=pl.String))
        .alias("geo_level")
    )


def _check_input(planned: pl.DataFrame) -> None:
    if planned.filter(pl.col("to_code") == ALL_OBJECTIVES).height:
        raise ValueError(f"thematic objective code {ALL_OBJECTIVES!r} in the source would clash with the total")
    for _, column in AMOUNT_INDICATORS:
        if not isinstance(planned.schema[column], pl.Decimal):
            raise TypeError(f"{column} must be an exact Decimal (sources.cohesion.read_esif_planned), not a float")


def _drops(frame: pl.DataFrame, indicator_id: str, source_dataset: str) -> pl.DataFrame:
    return (
        frame.filter(pl.col("drop_reason").is_not_null())
        .group_by(pl.col("drop_reason").alias("reason"))
        .agg(pl.len().cast(pl.Int64).alias("rows"))
        .select(
            pl.lit(indicator_id).alias("indicator_id"), pl.lit(source_dataset).alias("source_dataset"), "reason", "rows"
        )
        .cast(DROP_SCHEMA)
    )


def _amount_drop_reason():  # -> polars ChainedThen, extended by the per-inhabitant rows with their own reasons
    """Why a sum cannot be published: unknown territory code, no thematic objective, or a missing amount in it."""
    return (
        pl.when(pl.col("geo_level").is_null())
        .then(pl.lit("not_a_member_state_code"))
        .when(pl.col("breakdown").is_null())
        .then(pl.lit("no_thematic_objective"))
        .when(pl.col("missing") > 0)
        .then(pl.lit("missing_amount_in_source"))
    )


def esif_planned_indicators(
    planned: pl.DataFrame, population: pl.DataFrame, source_version: str
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """FUND_ESIF_PLANNED_{EU,NATIONAL,TOTAL}_EUR, FUND_ESIF_PLANNED_PC and FUND_SOCINCL_PC rows.

    ``planned`` is :func:`sources.cohesion.read_esif_planned`'s frame, ``population`` the
    :data:`transforms.population.POPULATION_SCHEMA` frame and ``source_version`` the planned file's version
    (e.g. ``sha256:b84c7960ee0f``), published as ``esif_2014_2020_planned@<source_version>``.

    Returns (indicator values conforming to published.indicator_values, candidate rows not published counted by
    indicator and reason; columns as :data:`transforms.crime.DROP_SCHEMA`).
    """
    _check_input(planned)
    version = f"{SOURCE_DATASET}@{source_version}"
    values: list[pl.DataFrame] = []
    drops: list[pl.DataFrame] = []

    for indicator, column in AMOUNT_INDICATORS:
        sums = _planned_sums(planned, column).with_columns(
            _amount_drop_reason().otherwise(pl.lit(None, dtype=pl.String)).alias("drop_reason")
        )
        drops.append(_drops(sums, indicator.indicator_id, SOURCE_DATASET))
        kept = sums.filter(pl.col("drop_reason").is_null())
        values.append(
            kept.select(
                pl.lit(indicator.indicator_id).alias("indicator_id"),
                "breakdown",
                pl.col("geo").alias("geo_code"),
                "geo_level",
                pl.lit(PERIOD).alias("period"),
                pl.col("amount").cast(pl.Float64).alias("value"),
                pl.lit(indicator.unit).alias("unit"),
                pl.lit(None, dtype=pl.Float64).alias("ci_low"),
                pl.lit(None, dtype=pl.Float64).alias("ci_high"),
                pl.lit(None, dtype=pl.String).alias("ci_method"),
                pl.col("amount").cast(pl.Float64).alias("numerator"),
                pl.lit(None, dtype=pl.Float64).alias("denominator"),
                pl.lit(None, dtype=pl.String).alias("obs_status"),
                pl.lit(None, dtype=pl.String).alias("conf_status"),
                pl.lit(SERIES_VARIANT).alias("series_variant"),
                pl.lit(COMPARABILITY).alias("comparability"),
                pl.lit(SOURCE_DATASET).alias("source_dataset"),
                pl.lit(version).alias("source_version"),
                pl.lit(NOTE).alias("note"),
            )
        )

    pop = population.filter(pl.col("period") == POPULATION_PERIOD).select(
        "geo",
        "population",
        pl.col("obs_status").alias("pop_obs_status"),
        pl.col("conf_status").alias("pop_conf_status"),
        pl.col("source_dataset").alias("pop_dataset"),
        pl.col("source_version").alias("pop_version"),
    )
    totals = (
        _planned_sums(planned, "total_amount")
        .join(pop, on="geo", how="left")
        .with_columns(
            _amount_drop_reason()
            .when(pl.col("geo_level") == "MULTI_COUNTRY")
            .then(pl.lit("multi_country_no_population"))
            .when(pl.col("population").is_null())
            .then(pl.lit("no_population"))
            .when(pl.col("population") <= 0)
            .then(pl.lit("zero_population"))
            .otherwise(pl.lit(None, dtype=pl.String))
            .alias("drop_reason")
        )
    )
    per_inhabitant_source = pl.lit(SOURCE_DATASET + " / ") + pl.col("pop_dataset")
    for indicator, subset, breakdown in (
        (FUND_ESIF_PLANNED_PC, totals, pl.col("breakdown")),
        (FUND_SOCINCL_PC, totals.filter(pl.col("breakdown") == SOCIAL_INCLUSION), pl.lit(None, dtype=pl.String)),
    ):
        drops.append(_drops(subset, indicator.indicator_id, SOURCE_DATASET))
        kept = subset.filter(pl.col("drop_reason").is_null()).with_columns(
            pl.col("amount").cast(pl.Float64).alias("numerator")
        )
        values.append(
            kept.select(
                pl.lit(indicator.indicator_id).alias("indicator_id"),
                breakdown.alias("breakdown"),
                pl.col("geo").alias("geo_code"),
                "geo_level",
                pl.lit(PERIOD).alias("period"),
                (pl.col("numerator") / pl.col("population")).alias("value"),
                pl.lit(indicator.unit).alias("unit"),
                pl.lit(None, dtype=pl.Float64).alias("ci_low"),
                pl.lit(None, dtype=pl.Float64).alias("ci_high"),
                pl.lit(None, dtype=pl.String).alias("ci_method"),
                "numerator",
                pl.col("population").alias("denominator"),
                merge_flags("pop_obs_status").alias("obs_status"),
                merge_flags("pop_conf_status").alias("conf_status"),
                pl.lit(SERIES_VARIANT).alias("series_variant"),
                pl.lit(COMPARABILITY).alias("comparability"),
                per_inhabitant_source.alias("source_dataset"),
                (pl.lit(version + " / ") + pl.col("pop_dataset") + "@" + pl.col("pop_version")).alias("source_version"),
                pl.lit(NOTE + f"; per inhabitant on 1 January {POPULATION_PERIOD}").alias("note"),
            )
        )

    out = conform(DOMAIN_INDICATOR_VALUES, pl.concat(values)).sort(list(INDICATOR_VALUES.key), nulls_last=True)
    dropped = pl.concat(drops).sort("indicator_id", "source_dataset", "reason")
    return out, dropped
