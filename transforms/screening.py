"""Screening of every indicator value before publication: the `quality_flags` a reader must see next to a figure.

A flag never changes or removes a value; it says why the value needs care. The codes and their meaning are
declared once in ``warehouse.metadata.QUALITY_FLAGS`` and written in that order, comma-separated. Rules:

- small_count: a value computed from fewer than ``SMALL_COUNT`` recorded events (exact Poisson limits exist, so
  the interval shows the uncertainty; the flag makes it visible in a table too);
- implausible_jump: a count at least ``JUMP_FACTOR`` times (or at most 1/JUMP_FACTOR of) the previous year's in the
  same series, with at least ``JUMP_MIN_EVENTS`` events in both years. Random variation cannot do that at such
  counts; a recoding or a boundary change can (Norway 2019: Hedmark's thefts x10.5 while Oslo's fell to a sixth);
- sources_disagree: two tables of one source give the same territory and year counts that differ by more than
  ``DISAGREE_SHARE`` of the larger and by more than one event (Eurostat's national and regional crime tables, or
  a city table and the regional table of the same territory, given by the caller);
- low_reliability: the source flags the value u;
- high_dont_know: at least ``HIGH_DONT_KNOW`` % of respondents did not give an opinion;
- example_data: computed from the bundled example registers.
"""

from __future__ import annotations

import polars as pl

from warehouse.metadata import INDICATOR_VALUES, QUALITY_FLAGS, conform

SMALL_COUNT = 10
JUMP_FACTOR = 3.0
JUMP_MIN_EVENTS = 500
DISAGREE_SHARE = 0.05
HIGH_DONT_KNOW = 10.0

_KEY = list(INDICATOR_VALUES.key)
_SERIES = ["indicator_id", "breakdown", "geo_code", "series_variant"]


def _counted() -> pl.Expr:
    """Values computed from a count of events (rates and counts with exact Poisson limits)."""
    return (pl.col("ci_method") == "poisson_exact") & pl.col("numerator").is_not_null()


def _jumps(values: pl.DataFrame) -> pl.DataFrame:
    """Keys of the later year of every implausible year-on-year jump."""
    annual = values.filter(_counted() & pl.col("period").str.contains(r"^\d{4}$")).select(
        *_KEY, pl.col("period").cast(pl.Int32).alias("year"), "numerator"
    )
    previous = annual.select(*_SERIES, (pl.col("year") + 1).alias("year"), pl.col("numerator").alias("previous"))
    joined = annual.join(previous, on=[*_SERIES, "year"], how="inner", nulls_equal=True)
    big = (pl.col("numerator") >= JUMP_MIN_EVENTS) & (pl.col("previous") >= JUMP_MIN_EVENTS)
    factor = pl.max_horizontal("numerator", "previous") / pl.min_horizontal("numerator", "previous")
    return joined.filter(big & (factor >= JUMP_FACTOR)).select(_KEY)


def counts_disagree(a: pl.Expr, b: pl.Expr) -> pl.Expr:
    """Two counts of the same events that differ by more than DISAGREE_SHARE of the larger and more than one."""
    gap = (a - b).abs()
    return (gap > 1) & (gap > DISAGREE_SHARE * pl.max_horizontal(a, b))


def national_vs_regional(values: pl.DataFrame) -> pl.DataFrame:
    """Keys of both rows wherever Eurostat's national table (crim_off_cat) and the national rows of its regional
    table (crim_gen_reg) count the same offences in the same country and year differently."""
    rates = values.filter(pl.col("indicator_id") == "SEC_RECORDED_RATE", pl.col("geo_level") == "NUTS0")
    national = rates.filter(pl.col("series_variant") == "national_table")
    regional = rates.filter(pl.col("series_variant") == "regional_table")
    on = ["indicator_id", "breakdown", "geo_code", "period"]
    pairs = national.join(regional, on=on, suffix="_regional", nulls_equal=True).filter(
        counts_disagree(pl.col("numerator"), pl.col("numerator_regional"))
    )
    return pl.concat(
        [
            pairs.select(*on, "series_variant"),
            pairs.select(*on, pl.col("series_variant_regional").alias("series_variant")),
        ]
    )


def with_quality_flags(values: pl.DataFrame, sources_disagree: pl.DataFrame | None = None) -> pl.DataFrame:
    """``values`` (one domain shape: published columns without quality_flags) with the quality_flags column.

    ``sources_disagree`` holds further keys (indicator_id, breakdown, geo_code, period, series_variant) found by
    a domain's own cross-check, such as a city homicide count that disagrees with its region's.
    """
    disagreeing = national_vs_regional(values)
    if sources_disagree is not None and sources_disagree.height:
        disagreeing = pl.concat([disagreeing, sources_disagree.select(_KEY).cast(disagreeing.schema)])
    marked = values.join(
        _jumps(values).with_columns(pl.lit(True).alias("_jump")), on=_KEY, how="left", nulls_equal=True
    ).join(disagreeing.unique().with_columns(pl.lit(True).alias("_disagree")), on=_KEY, how="left", nulls_equal=True)
    rules = {
        "small_count": _counted() & (pl.col("numerator") < SMALL_COUNT),
        "implausible_jump": pl.col("_jump").fill_null(False),
        "sources_disagree": pl.col("_disagree").fill_null(False),
        "low_reliability": pl.col("obs_status").fill_null("").str.contains("u"),
        "high_dont_know": pl.col("dont_know_share").fill_null(0.0) >= HIGH_DONT_KNOW,
        "example_data": pl.col("example_data"),
    }
    assert list(rules) == list(QUALITY_FLAGS), "every declared flag has exactly one rule, in the declared order"
    flags = pl.concat_str(
        [pl.when(rule).then(pl.lit(code)) for code, rule in rules.items()], separator=",", ignore_nulls=True
    )
    out = marked.with_columns(pl.when(flags != "").then(flags).otherwise(None).alias("quality_flags"))
    return conform(INDICATOR_VALUES, out.drop("_jump", "_disagree"))
