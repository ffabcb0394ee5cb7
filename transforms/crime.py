"""Recorded-crime indicators: offence rates per 100,000 inhabitants and homicide counts in the largest cities.

Computed from the counts (unit NR) and our own denominators; Eurostat's own rate (P_HTHAB) is never copied,
only used by the tests to check ours.
"""

from __future__ import annotations

import polars as pl

from transforms.geographies import geo_level, is_extra_regio
from transforms.observations import dimension, merge_flags
from transforms.stats import poisson_exact_ci
from warehouse.catalogue import RATE_UNIT, SEC_HOM_COUNT_CITY, SEC_RECORDED_RATE
from warehouse.metadata import INDICATOR_VALUES, conform

# Which table a national or regional rate comes from: the two are separate series (different releases,
# sometimes different counts for the same country and year), so they are kept apart, never mixed.
RATE_DATASETS = {"crim_off_cat": "national_table", "crim_gen_reg": "regional_table"}
CITY_HOMICIDE_DATASET = "crim_hom_ocit"

# Comparability tiers: recorded crime depends on national law, counting rules and reporting. Homicide levels
# compare across countries; property crime levels only within a country; everything else only as a trend within a
# country.
_CROSS_COUNTRY = ("ICCS0101",)
_WITHIN_COUNTRY_PREFIXES = ("ICCS0401", "ICCS0501", "ICCS0502")

DROP_SCHEMA = {"indicator_id": pl.String, "source_dataset": pl.String, "reason": pl.String, "rows": pl.Int64}


def comparability(iccs: pl.Expr) -> pl.Expr:
    within = pl.any_horizontal([iccs.str.starts_with(p) for p in _WITHIN_COUNTRY_PREFIXES])
    return (
        pl.when(iccs.is_in(_CROSS_COUNTRY))
        .then(pl.lit("cross_country"))
        .when(within)
        .then(pl.lit("within_country"))
        .otherwise(pl.lit("trend_within_country"))
    )


def _unusable_count():  # -> polars ChainedThen, extended by each caller with its own reasons
    """Why a source count cannot be used at all: missing (':'), confidential, or negative."""
    return (
        pl.when(pl.col("value").is_null())
        .then(pl.lit("missing_in_source"))
        .when(pl.col("conf_status").is_not_null())
        .then(pl.lit("confidential"))
        .when(pl.col("value") < 0)
        .then(pl.lit("negative_count"))
    )


def _count_drops(frame: pl.DataFrame, indicator_id: str) -> pl.DataFrame:
    return (
        frame.filter(pl.col("drop_reason").is_not_null())
        .group_by(pl.col("dataset").alias("source_dataset"), pl.col("drop_reason").alias("reason"))
        .agg(pl.len().cast(pl.Int64).alias("rows"))
        .select(pl.lit(indicator_id).alias("indicator_id"), "source_dataset", "reason", "rows")
        .sort("source_dataset", "reason")
    )


def _with_poisson_limits(frame: pl.DataFrame, count: str, scale: pl.Expr) -> pl.DataFrame:
    low, high = poisson_exact_ci(frame[count].to_numpy())
    return frame.with_columns(
        (pl.Series("ci_low", low) * scale).alias("ci_low"),
        (pl.Series("ci_high", high) * scale).alias("ci_high"),
    )


def recorded_offence_rates(observations: pl.DataFrame, population: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """SEC_RECORDED_RATE rows for every ICCS category, country and NUTS region with a count and a population.

    Returns (indicator values, dropped observations counted by reason). An observation is dropped, never
    guessed, when the source has no value, it is confidential, the territory is extra-regio or has no level,
    or there is no population of the same territory and year.
    """
    counts = observations.filter(pl.col("dataset").is_in(list(RATE_DATASETS)) & (pl.col("unit") == "NR")).with_columns(
        dimension("iccs").alias("iccs"), geo_level(pl.col("geo")).alias("geo_level")
    )
    pop = population.select(
        "geo",
        "period",
        pl.col("population"),
        pl.col("obs_status").alias("pop_obs_status"),
        pl.col("conf_status").alias("pop_conf_status"),
        pl.col("source_dataset").alias("pop_dataset"),
        pl.col("source_version").alias("pop_version"),
    )
    joined = counts.join(pop, on=["geo", "period"], how="left").with_columns(
        _unusable_count()
        .when(is_extra_regio(pl.col("geo")))
        .then(pl.lit("extra_regio"))
        .when(pl.col("geo_level").is_null())
        .then(pl.lit("not_a_nuts_territory"))
        .when(pl.col("population").is_null())
        .then(pl.lit("no_population"))
        .when(pl.col("population") <= 0)
        .then(pl.lit("zero_population"))
        .otherwise(pl.lit(None, dtype=pl.String))
        .alias("drop_reason")
    )
    dropped = _count_drops(joined, SEC_RECORDED_RATE.indicator_id)
    kept = joined.filter(pl.col("drop_reason").is_null())
    per_person = pl.lit(100_000.0) / pl.col("population")
    kept = _with_poisson_limits(kept, "value", per_person)
    values = kept.select(
        pl.lit(SEC_RECORDED_RATE.indicator_id).alias("indicator_id"),
        pl.col("iccs").alias("breakdown"),
        pl.col("geo").alias("geo_code"),
        "geo_level",
        "period",
        (pl.col("value") / pl.col("population") * 100_000.0).alias("value"),
        pl.lit(RATE_UNIT).alias("unit"),
        "ci_low",
        "ci_high",
        pl.lit("poisson_exact").alias("ci_method"),
        pl.col("value").alias("numerator"),
        pl.col("population").alias("denominator"),
        merge_flags("obs_status", "pop_obs_status").alias("obs_status"),
        merge_flags("conf_status", "pop_conf_status").alias("conf_status"),
        pl.col("dataset").replace_strict(RATE_DATASETS).alias("series_variant"),
        comparability(pl.col("iccs")).alias("comparability"),
        (pl.col("dataset") + " / " + pl.col("pop_dataset")).alias("source_dataset"),
        (
            pl.col("dataset")
            + "@"
            + pl.col("source_version")
            + " / "
            + pl.col("pop_dataset")
            + "@"
            + pl.col("pop_version")
        ).alias("source_version"),
        pl.lit(None, dtype=pl.String).alias("note"),
    )
    return conform(INDICATOR_VALUES, values), dropped


def city_homicide_counts(observations: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """SEC_HOM_COUNT_CITY: homicide offences per city and year with exact Poisson limits on the count."""
    counts = observations.filter((pl.col("dataset") == CITY_HOMICIDE_DATASET) & (pl.col("unit") == "NR")).with_columns(
        _unusable_count()
        # ne_missing: a code without any level (UKC-L, EU27_2020) must count as "not a city", not slip through.
        .when(geo_level(pl.col("geo")).ne_missing("CITY"))
        .then(pl.lit("not_a_city"))
        .otherwise(pl.lit(None, dtype=pl.String))
        .alias("drop_reason")
    )
    dropped = _count_drops(counts, SEC_HOM_COUNT_CITY.indicator_id)
    kept = _with_poisson_limits(counts.filter(pl.col("drop_reason").is_null()), "value", pl.lit(1.0))
    values = kept.select(
        pl.lit(SEC_HOM_COUNT_CITY.indicator_id).alias("indicator_id"),
        pl.lit(None, dtype=pl.String).alias("breakdown"),
        pl.col("geo").alias("geo_code"),
        pl.lit("CITY").alias("geo_level"),
        "period",
        "value",
        pl.lit(SEC_HOM_COUNT_CITY.unit).alias("unit"),
        "ci_low",
        "ci_high",
        pl.lit("poisson_exact").alias("ci_method"),
        pl.col("value").alias("numerator"),
        pl.lit(None, dtype=pl.Float64).alias("denominator"),
        "obs_status",
        "conf_status",
        pl.lit("default").alias("series_variant"),
        pl.lit(SEC_HOM_COUNT_CITY.comparability).alias("comparability"),
        pl.col("dataset").alias("source_dataset"),
        (pl.col("dataset") + "@" + pl.col("source_version")).alias("source_version"),
        pl.lit(None, dtype=pl.String).alias("note"),
    )
    return conform(INDICATOR_VALUES, values), dropped


def sort_indicator_values(values: pl.DataFrame) -> pl.DataFrame:
    """Deterministic row order, so an unchanged input republishes byte-identical tables."""
    return values.sort(list(INDICATOR_VALUES.key), nulls_last=True)
