"""Recorded crime and feeling safe, side by side, per city: the direction of each between two survey waves,
published as two figures and a divergence label, never blended into one index.

Pairs of periods are only formed inside one series: never across the 2019 wording break of the survey
(separate ``series_variant``), never across a Eurostat ``b`` flag on either side.
"""

from __future__ import annotations

import itertools

import polars as pl

from warehouse.metadata import CRIME_AND_FEELING, conform

CRIME_INDICATOR = "SEC_HOM_COUNT_CITY"
FEELING_INDICATOR = "SAF_SAFE_CITY"
ALPHA = 0.05


def _has_break(flags: str | None) -> bool:
    return "b" in (flags or "")


def crime_change(k1: float, k2: float) -> tuple[float, float, float, float, str]:
    """Ratio k2/k1 of two counts with an exact 95 % interval and p-value from the conditional binomial test
    (k2 | k1 + k2 ~ Binomial(k1 + k2, 1/2): equal exposure assumed), and the direction it supports."""
    n = round(k1 + k2)
    if n == 0:
        return float("nan"), float("nan"), float("nan"), 1.0, "no_significant_change"
    from scipy.stats import binomtest  # imported when used: scipy.stats costs ~0.5 s at start-up

    test = binomtest(round(k2), n, 0.5)
    ci = test.proportion_ci(confidence_level=1 - ALPHA, method="exact")
    ratio = k2 / k1 if k1 > 0 else float("inf")
    low = ci.low / (1 - ci.low) if ci.low < 1 else float("inf")
    high = ci.high / (1 - ci.high) if ci.high < 1 else float("inf")
    direction = "no_significant_change"
    if test.pvalue < ALPHA:
        direction = "up" if k2 > k1 else "down"
    return ratio, low, high, float(test.pvalue), direction


def feeling_change(p1: float, n1: float, p2: float, n2: float) -> tuple[float, float, float, str]:
    """Change in percentage points of a survey share between two independent waves, with the Newcombe
    hybrid-score 95 % interval (statsmodels) on the documented sample sizes, and its direction."""
    from statsmodels.stats.proportion import confint_proportions_2indep  # imported when used (start-up time)

    low, high = confint_proportions_2indep(
        p2 / 100 * n2, n2, p1 / 100 * n1, n1, method="newcomb", compare="diff", alpha=ALPHA
    )
    direction = "no_significant_change"
    if low > 0:
        direction = "safer"
    elif high < 0:
        direction = "less_safe"
    return p2 - p1, float(low) * 100, float(high) * 100, direction


def divergence_label(crime_direction: str, feeling_direction: str) -> str:
    crime_moved = crime_direction != "no_significant_change"
    feeling_moved = feeling_direction != "no_significant_change"
    if crime_moved and feeling_moved:
        better_both = crime_direction == "down" and feeling_direction == "safer"
        worse_both = crime_direction == "up" and feeling_direction == "less_safe"
        return "aligned" if better_both or worse_both else "divergent"
    if crime_moved:
        return "crime_changed_feeling_did_not"
    if feeling_moved:
        return "feeling_changed_crime_did_not"
    return "no_significant_change"


def crime_and_feeling(values: pl.DataFrame) -> pl.DataFrame:
    """One row per city and pair of consecutive survey waves of one series where both figures exist."""
    feeling = values.filter((pl.col("indicator_id") == FEELING_INDICATOR) & pl.col("denominator").is_not_null()).select(
        "geo_code", "period", "value", "denominator", "series_variant", "obs_status"
    )
    crime = values.filter(pl.col("indicator_id") == CRIME_INDICATOR).select(
        "geo_code", pl.col("period").cast(pl.Int32).alias("year"), pl.col("value").alias("count"), "obs_status"
    )
    crime_by_city = {g: frame for (g,), frame in crime.partition_by("geo_code", as_dict=True).items()}
    rows = []
    for (geo, variant), waves in (
        feeling.sort("period").partition_by(["geo_code", "series_variant"], as_dict=True).items()
    ):
        counts = crime_by_city.get(geo)
        if counts is None:
            continue
        waves_list = waves.to_dicts()
        for first, second in itertools.pairwise(waves_list):
            y1, y2 = int(first["period"]), int(second["period"])
            if _has_break(second["obs_status"]):  # b at the later wave: the two are different series
                continue
            span = counts.filter(pl.col("year").is_between(y1, y2))
            c1 = span.filter(pl.col("year") == y1)
            c2 = span.filter(pl.col("year") == y2)
            if c1.is_empty() or c2.is_empty():
                continue
            # A break anywhere after the first year and up to the second splits the crime series too.
            if any(_has_break(f) for f in span.filter(pl.col("year") > y1)["obs_status"].to_list()):
                continue
            k1, k2 = float(c1["count"][0]), float(c2["count"][0])
            ratio, r_low, r_high, p_value, c_dir = crime_change(k1, k2)
            change, f_low, f_high, f_dir = feeling_change(
                first["value"], first["denominator"], second["value"], second["denominator"]
            )
            rows.append(
                {
                    "geo_code": geo,
                    "period_from": first["period"],
                    "period_to": second["period"],
                    "crime_indicator_id": CRIME_INDICATOR,
                    "crime_from": k1,
                    "crime_to": k2,
                    "crime_ratio": ratio,
                    "crime_ratio_ci_low": r_low,
                    "crime_ratio_ci_high": r_high,
                    "crime_p_value": p_value,
                    "crime_direction": c_dir,
                    "feeling_indicator_id": FEELING_INDICATOR,
                    "feeling_series_variant": variant,
                    "feeling_from": first["value"],
                    "feeling_to": second["value"],
                    "feeling_change_pp": change,
                    "feeling_change_ci_low": f_low,
                    "feeling_change_ci_high": f_high,
                    "feeling_direction": f_dir,
                    "divergence": divergence_label(c_dir, f_dir),
                }
            )
    frame = pl.DataFrame(rows, schema=CRIME_AND_FEELING.polars_schema)
    return conform(CRIME_AND_FEELING, frame).sort("geo_code", "period_from")
