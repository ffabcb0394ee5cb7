"""Rules for the self-assessment and the crime-and-feeling comparison."""

from __future__ import annotations

import polars as pl

from transforms.self_assessment import MIN_PEERS, SIZE_UNITS
from warehouse.catalogue import CATALOGUE
from warehouse.contract import contract_problems
from warehouse.metadata import CRIME_AND_FEELING, SELF_ASSESSMENT, SELF_ASSESSMENT_POSITIONS

COUNT_INDICATORS = [i.indicator_id for i in CATALOGUE if i.unit in SIZE_UNITS]


def self_assessment_rules(frame: pl.DataFrame) -> list[str]:
    """Contract, one row per geography and dimension, scores in range, bands consistent with their counts, a
    reason wherever there is no band, no position for countries."""
    out = contract_problems(SELF_ASSESSMENT, frame)
    if out:
        return out
    counted = pl.col("indicators_better") + pl.col("indicators_similar") + pl.col("indicators_worse")
    checks = {
        "coverage outside 0-100": ~pl.col("coverage").is_between(0, 100) & pl.col("coverage").is_not_null(),
        "maturity outside 0-4": ~pl.col("maturity").is_between(0, 4),
        "position outside 0-100": ~pl.col("position").is_between(0, 100) & pl.col("position").is_not_null(),
        "position without compared indicators": pl.col("position").is_not_null() & (pl.col("position_indicators") == 0),
        "more current indicators than the dimension has": pl.col("indicators_with_recent_value")
        > pl.col("indicators_in_dimension"),
        "band counts do not add up": counted != pl.col("position_indicators"),
        "band without comparisons or comparisons without band": pl.col("position_band").is_null()
        != (pl.col("position_indicators") == 0),
        "no band and no reason": pl.col("position_band").is_null() & pl.col("position_reason").is_null(),
        "a country with a position": (pl.col("geo_level") == "NUTS0") & pl.col("position_band").is_not_null(),
        "band 'better' with a worse comparison": (pl.col("position_band") == "better")
        & (pl.col("indicators_worse") > 0),
        "band 'worse' with a better comparison": (pl.col("position_band") == "worse")
        & (pl.col("indicators_better") > 0),
    }
    for name, bad in checks.items():
        n = frame.filter(bad).height
        if n:
            out.append(f"{n} rows: {name}")
    geos = frame["geo_code"].n_unique()
    if frame.height != geos * 6:
        out.append(f"{frame.height} rows for {geos} territories: expected six dimensions each")
    return out


def self_assessment_positions_rules(frame: pl.DataFrame) -> list[str]:
    """Contract; a band only with an interval and at least MIN_PEERS peers, decided by the interval against the
    peers' median; a reason wherever there is no band; never a count, never a country."""
    out = contract_problems(SELF_ASSESSMENT_POSITIONS, frame)
    if out or frame.is_empty():
        return out
    banded = pl.col("band").is_not_null()
    above = pl.col("ci_low") > pl.col("peer_median")
    below = pl.col("ci_high") < pl.col("peer_median")
    checks = {
        "band without interval": banded & (pl.col("ci_low").is_null() | pl.col("ci_high").is_null()),
        f"band with fewer than {MIN_PEERS} peers": banded & (pl.col("peers") < MIN_PEERS),
        "similar although the interval excludes the median": (pl.col("band") == "similar") & (above | below),
        "better/worse although the interval contains the median": pl.col("band").is_in(["better", "worse"])
        & ~(above | below),
        "no band and no reason": ~banded & pl.col("reason").is_null(),
        "a band and a reason": banded & pl.col("reason").is_not_null(),
        "a country compared": pl.col("geo_level") == "NUTS0",
        "a count or size compared": pl.col("indicator_id").is_in(COUNT_INDICATORS),
    }
    for name, bad in checks.items():
        n = frame.filter(bad).height
        if n:
            out.append(f"{n} rows: {name}")
    return out


def crime_and_feeling_rules(frame: pl.DataFrame, values: pl.DataFrame) -> list[str]:
    """Contract, and no row joins two series: both waves in the same feeling series, no break flag at the later
    wave, no break flag in the crime series after the first year and up to the second."""
    out = contract_problems(CRIME_AND_FEELING, frame) if frame.height else []
    if frame.is_empty():
        return out
    feeling = values.select(
        pl.col("indicator_id").alias("feeling_indicator_id"),
        "geo_code",
        "period",
        pl.col("series_variant").alias("feeling_series_variant"),
        pl.col("obs_status").alias("flags"),
    )
    for side in ("from", "to"):
        joined = frame.join(
            feeling.rename({"period": f"period_{side}"}),
            on=["feeling_indicator_id", "geo_code", f"period_{side}", "feeling_series_variant"],
            how="left",
        )
        unmatched = (
            frame.height
            - frame.join(
                feeling.rename({"period": f"period_{side}"}),
                on=["feeling_indicator_id", "geo_code", f"period_{side}", "feeling_series_variant"],
                how="semi",
            ).height
        )
        if unmatched:
            out.append(f"{unmatched} rows whose {side} wave is not a value of the same feeling series")
        if side == "to" and joined.filter(pl.col("flags").fill_null("").str.contains("b")).height:
            out.append("rows ending on a value flagged b (a break in series)")
    crime = values.select(
        pl.col("indicator_id").alias("crime_indicator_id"),
        "geo_code",
        pl.col("period").alias("year"),
        pl.col("obs_status").alias("flags"),
    ).filter(pl.col("flags").fill_null("").str.contains("b"))
    spanned = frame.join(crime, on=["crime_indicator_id", "geo_code"]).filter(
        (pl.col("year") > pl.col("period_from")) & (pl.col("year") <= pl.col("period_to"))
    )
    if spanned.height:
        out.append(f"{spanned.height} rows span a break flag in the crime series")
    backwards = frame.filter(pl.col("period_from") >= pl.col("period_to")).height
    if backwards:
        out.append(f"{backwards} rows with period_from not before period_to")
    numbers = [c.name for c in CRIME_AND_FEELING.columns if c.type == "DOUBLE"]
    infinite = frame.filter(pl.any_horizontal(pl.col(numbers).is_infinite())).height
    if infinite:
        out.append(f"{infinite} rows with an infinite number")
    directed = frame.filter(
        pl.col("crime_direction").is_in(["up", "down"]) & ~(pl.col("crime_q_value") < 0.05)
        | pl.col("feeling_direction").is_in(["safer", "less_safe"]) & ~(pl.col("feeling_q_value") < 0.05)
    ).height
    if directed:
        out.append(f"{directed} rows with a direction whose q-value is not below 0.05")
    unexplained = frame.filter((pl.col("crime_direction") == "not_assessed") & pl.col("note").is_null()).height
    if unexplained:
        out.append(f"{unexplained} rows not assessed without a note")
    return out
