"""Rules for the self-assessment and the crime-and-feeling comparison."""

from __future__ import annotations

import polars as pl

from warehouse.contract import contract_problems
from warehouse.metadata import CRIME_AND_FEELING, SELF_ASSESSMENT


def self_assessment_rules(frame: pl.DataFrame) -> list[str]:
    """Contract, one row per geography and dimension, scores in range, no position without ranked indicators."""
    out = contract_problems(SELF_ASSESSMENT, frame)
    if out:
        return out
    checks = {
        "coverage outside 0-100": ~pl.col("coverage").is_between(0, 100) & pl.col("coverage").is_not_null(),
        "maturity outside 0-4": ~pl.col("maturity").is_between(0, 4),
        "position outside 0-100": ~pl.col("position").is_between(0, 100) & pl.col("position").is_not_null(),
        "position without ranked indicators": pl.col("position").is_not_null() & (pl.col("position_indicators") == 0),
        "more recent indicators than the dimension has": pl.col("indicators_with_recent_value")
        > pl.col("indicators_in_dimension"),
    }
    for name, bad in checks.items():
        n = frame.filter(bad).height
        if n:
            out.append(f"{n} rows: {name}")
    geos = frame["geo_code"].n_unique()
    if frame.height != geos * 6:
        out.append(f"{frame.height} rows for {geos} territories: expected six dimensions each")
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
    return out
