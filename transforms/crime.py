"""Recorded-crime indicators: offence rates per 100,000 inhabitants and homicide counts in the largest cities.

Computed from the counts (unit NR) and our own denominators; Eurostat's own rate (P_HTHAB) is never copied,
only used by the tests to check ours.
"""

from __future__ import annotations

import polars as pl

from transforms.geographies import geo_level, is_extra_regio
from transforms.observations import merge_flags
from transforms.stats import poisson_exact_ci
from warehouse.catalogue import RATE_UNIT, SEC_HOM_COUNT_CITY, SEC_HOM_RATE_CITY, SEC_RECORDED_RATE
from warehouse.metadata import DOMAIN_INDICATOR_VALUES, INDICATOR_VALUES, conform

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
        geo_level(pl.col("geo")).alias("geo_level")
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
    return conform(DOMAIN_INDICATOR_VALUES, values), dropped


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
    return conform(DOMAIN_INDICATOR_VALUES, values), dropped


# City vs region: counts of one territory from two tables of one publisher should be equal. They are compiled at
# different times (revisions, late records) so a difference of one offence, or of up to 5 % of the larger count, is
# accepted; anything more is a disagreement (Brussels 2015: city table 11, regional table 39).
AGREEMENT_ABS_TOLERANCE = 1
AGREEMENT_REL_TOLERANCE = 0.05
HOMICIDE_ICCS = "ICCS0101"
REGIONAL_DATASET = "crim_gen_reg"

HOMICIDE_CHECK_SCHEMA: dict[str, pl.DataType] = {
    "geo_code": pl.String(),
    "nuts3_code": pl.String(),
    "period": pl.String(),
    "city_count": pl.Float64(),
    "region_count": pl.Float64(),
    "relative_difference": pl.Float64(),
    "agree": pl.Boolean(),
    "reason": pl.String(),
}


def _same_territory(city_regions: pl.DataFrame) -> pl.DataFrame:
    return city_regions.filter(pl.col("territory_match") == "same_territory").select("geo_code", "nuts3_code")


def homicide_city_vs_region(observations: pl.DataFrame, city_regions: pl.DataFrame) -> pl.DataFrame:
    """For every same-territory city and year: crim_hom_ocit's count against crim_gen_reg's intentional-homicide
    count (ICCS0101) of its NUTS 3 region (:data:`HOMICIDE_CHECK_SCHEMA`).

    ``agree`` is NULL when one of the two counts is missing, confidential or flagged unusable (``reason`` says
    which); otherwise False when |city - region| > max(:data:`AGREEMENT_ABS_TOLERANCE`,
    :data:`AGREEMENT_REL_TOLERANCE` x the larger count). ``relative_difference`` = (city - region) / region
    (NULL when the region's count is 0 or missing).
    """

    def usable(frame: pl.DataFrame, name: str) -> pl.DataFrame:
        return frame.select(
            "geo",
            "period",
            pl.when(pl.col("conf_status").is_null()).then(pl.col("value")).alias(name),
        )

    city = usable(
        observations.filter((pl.col("dataset") == CITY_HOMICIDE_DATASET) & (pl.col("unit") == "NR")), "city_count"
    )
    region = usable(
        observations.filter(
            (pl.col("dataset") == REGIONAL_DATASET) & (pl.col("unit") == "NR") & (pl.col("iccs") == HOMICIDE_ICCS)
        ),
        "region_count",
    )
    pairs = (
        _same_territory(city_regions)
        .join(city.rename({"geo": "geo_code"}), on="geo_code", how="inner")
        .join(region.rename({"geo": "nuts3_code"}), on=["nuts3_code", "period"], how="left")
    )
    diff = (pl.col("city_count") - pl.col("region_count")).abs()
    limit = pl.max_horizontal(
        pl.lit(float(AGREEMENT_ABS_TOLERANCE)),
        AGREEMENT_REL_TOLERANCE * pl.max_horizontal("city_count", "region_count"),
    )
    compared = pl.col("city_count").is_not_null() & pl.col("region_count").is_not_null()
    return (
        pairs.with_columns(
            pl.when(pl.col("region_count") > 0)
            .then((pl.col("city_count") - pl.col("region_count")) / pl.col("region_count"))
            .alias("relative_difference"),
            pl.when(compared).then(diff <= limit).alias("agree"),
            pl.when(pl.col("city_count").is_null())
            .then(pl.lit("no usable city count"))
            .when(pl.col("region_count").is_null())
            .then(pl.lit("no usable regional count"))
            .when(diff == 0)
            .then(pl.lit("equal"))
            .when(diff <= limit)
            .then(pl.lit("within tolerance max(1, 5 %)"))
            .otherwise(
                pl.format(
                    "city table {} vs regional table {}: more than max(1, 5 %) apart",
                    pl.col("city_count").cast(pl.Int64),
                    pl.col("region_count").cast(pl.Int64),
                )
            )
            .alias("reason"),
        )
        .select(list(HOMICIDE_CHECK_SCHEMA))
        .cast(HOMICIDE_CHECK_SCHEMA)
        .sort("geo_code", "period")
    )


def city_homicide_rates(
    observations: pl.DataFrame,
    population: pl.DataFrame,
    city_regions: pl.DataFrame,
    check: pl.DataFrame,
    lau_version: str | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """SEC_HOM_RATE_CITY for same-territory cities: the city's homicide count over its NUTS 3 region's population
    of the same year. Returns (indicator values, dropped observations by reason).

    Where ``check`` (:func:`homicide_city_vs_region`) found the city and regional tables more than the tolerance
    apart for that year, the row's ``note`` says so (the screening flags it, see
    :func:`city_table_disagreements`); the note also says when no regional count exists to compare with.
    ``lau_version`` (the LAU file's version) is added to ``source_version``: the link is part of the figure's
    provenance.
    """
    links = _same_territory(city_regions)
    counts = observations.filter((pl.col("dataset") == CITY_HOMICIDE_DATASET) & (pl.col("unit") == "NR"))
    pop = population.select(
        pl.col("geo").alias("nuts3_code"),
        "period",
        "population",
        pl.col("obs_status").alias("pop_obs_status"),
        pl.col("conf_status").alias("pop_conf_status"),
        pl.col("source_dataset").alias("pop_dataset"),
        pl.col("source_version").alias("pop_version"),
    )
    joined = (
        counts.join(links, left_on="geo", right_on="geo_code", how="inner")
        .join(pop, on=["nuts3_code", "period"], how="left")
        .join(
            check.select(pl.col("geo_code").alias("geo"), "period", "agree", "region_count"),
            on=["geo", "period"],
            how="left",
        )
        .with_columns(
            _unusable_count()
            .when(pl.col("population").is_null())
            .then(pl.lit("no_population"))
            .when(pl.col("population") <= 0)
            .then(pl.lit("zero_population"))
            .otherwise(pl.lit(None, dtype=pl.String))
            .alias("drop_reason")
        )
    )
    dropped = _count_drops(joined, SEC_HOM_RATE_CITY.indicator_id)
    kept = _with_poisson_limits(
        joined.filter(pl.col("drop_reason").is_null()), "value", pl.lit(100_000.0) / pl.col("population")
    )
    disagree = pl.col("agree").eq_missing(False)
    territory = pl.format(
        "population of NUTS 3 {} (demo_r_pjanaggr3), the same territory as the city", pl.col("nuts3_code")
    )
    check_note = (
        pl.when(disagree)
        .then(
            pl.format(
                "; SOURCES DISAGREE: city table {} vs regional table (crim_gen_reg) {} homicides this year",
                pl.col("value").cast(pl.Int64),
                pl.col("region_count").cast(pl.Int64),
            )
        )
        .when(pl.col("agree").is_null())
        .then(pl.lit("; not checked: no usable regional count this year"))
        .otherwise(pl.lit(""))
    )
    version = (
        pl.col("dataset") + "@" + pl.col("source_version") + " / " + pl.col("pop_dataset") + "@" + pl.col("pop_version")
    )
    if lau_version:
        version = version + pl.lit(f" / nuts_lau_2019@{lau_version}")
    values = kept.select(
        pl.lit(SEC_HOM_RATE_CITY.indicator_id).alias("indicator_id"),
        pl.lit(None, dtype=pl.String).alias("breakdown"),
        pl.col("geo").alias("geo_code"),
        pl.lit("CITY").alias("geo_level"),
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
        pl.lit("default").alias("series_variant"),
        pl.lit(SEC_HOM_RATE_CITY.comparability).alias("comparability"),
        (pl.col("dataset") + " / " + pl.col("pop_dataset")).alias("source_dataset"),
        version.alias("source_version"),
        (territory + check_note).alias("note"),
    )
    return conform(DOMAIN_INDICATOR_VALUES, values), dropped


def city_table_disagreements(check: pl.DataFrame) -> pl.DataFrame:
    """Keys of the city homicide values (counts and rates) of every year where ``check`` found the city table
    and the regional table of the same territory more than the tolerance apart: screened as sources_disagree."""
    years = check.filter(pl.col("agree").eq_missing(False)).select("geo_code", "period")
    return pl.concat(
        [
            years.select(
                pl.lit(indicator.indicator_id).alias("indicator_id"),
                pl.lit(None, dtype=pl.String).alias("breakdown"),
                "geo_code",
                "period",
                pl.lit("default").alias("series_variant"),
            )
            for indicator in (SEC_HOM_COUNT_CITY, SEC_HOM_RATE_CITY)
        ]
    )


def sort_indicator_values(values: pl.DataFrame) -> pl.DataFrame:
    """Deterministic row order, so an unchanged input republishes byte-identical tables."""
    return values.sort(list(INDICATOR_VALUES.key), nulls_last=True)
