"""Recorded crime and feeling safe, side by side, per city: how each changed between two survey waves of one
series, published as two figures with their own tests and a divergence label, never blended into one index.

How a row is built, and why:
- feeling: the share feeling safe in the city at two consecutive waves of one series (never across the 2019
  wording change or the 2009 -> 2012 break, which are separate series variants), Newcombe interval and a score
  test on the documented sample sizes;
- crime: the homicides recorded in the city over the three full calendar years before each wave's fieldwork year
  (``CRIME_WINDOW_YEARS``). Feelings answer to what people lived through before they were asked; a window also
  steadies counts of a few events a year; and nothing after the fieldwork enters (the Paris attacks of November
  2015 came after the May-June 2015 interviews). Two windows of equal length are compared with the exact
  conditional test of two Poisson counts (equal exposure: population change over three years is ignored);
- a window is used only when every year of it is there, without a break flag and without a screening flag that
  puts its level in doubt (a city table that disagrees with the regional table of the same territory: Brussels
  2015); otherwise the crime side is ``not_assessed`` and ``note`` says why;
- directions are decided on Benjamini-Hochberg q-values over every test in the table (both sides of every row):
  a q below ``ALPHA`` gives up/down (safer/less safe); otherwise ``stable`` when the 95 % interval lies within the
  equivalence margin (crime ratio within 1/1.25..1.25, feeling within +-5 points), else ``inconclusive`` -
  never "no change" from a test that could not have seen one.
"""

from __future__ import annotations

import itertools

import polars as pl

from warehouse.metadata import CRIME_AND_FEELING, conform

CRIME_INDICATOR = "SEC_HOM_COUNT_CITY"
FEELING_INDICATOR = "SAF_SAFE_CITY"
ALPHA = 0.05
CRIME_WINDOW_YEARS = 3
CRIME_EQUIVALENCE = 1.25  # ratios within [1/1.25, 1.25] count as stable when the whole interval is inside
FEELING_EQUIVALENCE_PP = 5.0
UNFIT_FLAGS = ("sources_disagree", "implausible_jump")


def _has_break(flags: str | None) -> bool:
    return "b" in (flags or "")


def crime_change(k1: float, k2: float) -> tuple[float | None, float | None, float | None, float]:
    """Ratio k2/k1 of two counts over equal exposure, with its exact 95 % interval and the p-value of the
    conditional binomial test (k2 | k1 + k2 ~ Binomial(k1 + k2, 1/2)). The ratio and a limit are None where
    they would be infinite or undefined (no events in a window)."""
    n = round(k1 + k2)
    if n == 0:
        return None, None, None, 1.0
    from scipy.stats import binomtest  # imported when used: scipy.stats costs ~0.5 s at start-up

    test = binomtest(round(k2), n, 0.5)
    ci = test.proportion_ci(confidence_level=1 - ALPHA, method="exact")
    ratio = k2 / k1 if k1 > 0 else None
    low = ci.low / (1 - ci.low) if ci.low < 1 else None
    high = ci.high / (1 - ci.high) if ci.high < 1 else None
    return ratio, low, high, float(test.pvalue)


def feeling_change(p1: float, n1: float, p2: float, n2: float) -> tuple[float, float, float, float]:
    """Change in percentage points of a survey share between two independent waves: the change, its Newcombe
    hybrid-score 95 % interval and the p-value of the score test (statsmodels), on the documented sizes."""
    from statsmodels.stats.proportion import confint_proportions_2indep, test_proportions_2indep

    x1, x2 = p1 / 100 * n1, p2 / 100 * n2
    low, high = confint_proportions_2indep(x2, n2, x1, n1, method="newcomb", compare="diff", alpha=ALPHA)
    p_value = test_proportions_2indep(x2, n2, x1, n1, method="score", compare="diff").pvalue
    return p2 - p1, float(low) * 100, float(high) * 100, float(p_value)


def crime_direction(q: float | None, ratio_low: float | None, ratio_high: float | None, k1: float, k2: float) -> str:
    if q is None:
        return "not_assessed"
    if q < ALPHA:
        return "up" if k2 > k1 else "down"
    if ratio_low is not None and ratio_high is not None:
        if ratio_low >= 1 / CRIME_EQUIVALENCE and ratio_high <= CRIME_EQUIVALENCE:
            return "stable"
    return "inconclusive"


def feeling_direction(q: float, change: float, low: float, high: float) -> str:
    if q < ALPHA:
        return "safer" if change > 0 else "less_safe"
    if low >= -FEELING_EQUIVALENCE_PP and high <= FEELING_EQUIVALENCE_PP:
        return "stable"
    return "inconclusive"


def divergence_label(crime: str, feeling: str) -> str:
    """aligned / divergent when both moved; one_moved_other_stable when one moved and the other is shown to be
    stable; both_stable; not_assessed without a crime figure; inconclusive whenever a side could not tell."""
    if crime == "not_assessed":
        return "not_assessed"
    crime_moved, feeling_moved = crime in {"up", "down"}, feeling in {"safer", "less_safe"}
    if crime_moved and feeling_moved:
        together = (crime == "down" and feeling == "safer") or (crime == "up" and feeling == "less_safe")
        return "aligned" if together else "divergent"
    if crime_moved and feeling == "stable":
        return "crime_changed_feeling_stable"
    if feeling_moved and crime == "stable":
        return "feeling_changed_crime_stable"
    if crime == "stable" and feeling == "stable":
        return "both_stable"
    return "inconclusive"


def _window(counts: dict[int, dict], wave: int) -> tuple[float, str | None, str] | None:
    """(total, reason not to assess it or None, 'YYYY-YYYY') of the CRIME_WINDOW_YEARS calendar years before
    ``wave``; None when a year of the window has no count."""
    years = range(wave - CRIME_WINDOW_YEARS, wave)
    rows = [counts.get(y) for y in years]
    if any(r is None for r in rows):
        return None
    reason = next(
        (
            f"{y}: {flag.replace('_', ' ')} (screening flag of the city's homicide count)"
            for y, r in zip(years, rows, strict=True)
            for flag in UNFIT_FLAGS
            if flag in (r["quality_flags"] or "")
        ),
        None,
    )
    return sum(r["value"] for r in rows), reason, f"{years[0]}-{years[-1]}"


def crime_and_feeling(values: pl.DataFrame) -> pl.DataFrame:
    """One row per city and pair of consecutive waves of one feeling series where the city has a homicide count
    for every year of both windows and no break flag between them."""
    feeling = values.filter(
        (pl.col("indicator_id") == FEELING_INDICATOR) & pl.col("sample_size").is_not_null() & ~pl.col("example_data")
    ).select("geo_code", "period", "value", "sample_size", "series_variant", "obs_status")
    crime = values.filter(pl.col("indicator_id") == CRIME_INDICATOR).select(
        "geo_code", pl.col("period").cast(pl.Int32).alias("year"), "value", "obs_status", "quality_flags"
    )
    crime_by_city = {
        g: {r["year"]: r for r in frame.iter_rows(named=True)}
        for (g,), frame in crime.partition_by("geo_code", as_dict=True).items()
    }
    rows = []
    for (geo, variant), waves in (
        feeling.sort("period").partition_by(["geo_code", "series_variant"], as_dict=True).items()
    ):
        counts = crime_by_city.get(geo, {})
        for first, second in itertools.pairwise(waves.to_dicts()):
            if _has_break(second["obs_status"]):  # b at the later wave: the two are different series
                continue
            y1, y2 = int(first["period"]), int(second["period"])
            before, after = _window(counts, y1), _window(counts, y2)
            if before is None or after is None:
                continue
            # A break flag anywhere after the first window's first year splits the crime series.
            if any(_has_break(counts[y]["obs_status"]) for y in range(y1 - CRIME_WINDOW_YEARS + 1, y2)):
                continue
            (k1, why1, window1), (k2, why2, window2) = before, after
            ratio, r_low, r_high, c_p = crime_change(k1, k2)
            reason = why1 or why2
            if reason is None and ratio is None:
                reason = "no homicide in the earlier window: no ratio"
            change, f_low, f_high, f_p = feeling_change(
                first["value"], first["sample_size"], second["value"], second["sample_size"]
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
                    "crime_p_value": c_p,
                    "feeling_indicator_id": FEELING_INDICATOR,
                    "feeling_series_variant": variant,
                    "feeling_from": first["value"],
                    "feeling_to": second["value"],
                    "feeling_change_pp": change,
                    "feeling_change_ci_low": f_low,
                    "feeling_change_ci_high": f_high,
                    "feeling_p_value": f_p,
                    "crime_window_from": window1,
                    "crime_window_to": window2,
                    "note": reason,
                }
            )
    return _decide(rows)


def _decide(rows: list[dict]) -> pl.DataFrame:
    """q-values over every test in the table (Benjamini-Hochberg; a crime side that is not assessed is not a
    test), then the directions and the divergence."""
    from statsmodels.stats.multitest import multipletests

    assessed = [r for r in rows if r["note"] is None]
    p_values = [r["crime_p_value"] for r in assessed] + [r["feeling_p_value"] for r in rows]
    q_values = iter(multipletests(p_values, alpha=ALPHA, method="fdr_bh")[1].tolist() if p_values else [])
    for r in rows:
        r["crime_q_value"] = next(q_values) if r["note"] is None else None
    for r in rows:
        r["feeling_q_value"] = next(q_values)
        r["crime_direction"] = crime_direction(
            r["crime_q_value"], r["crime_ratio_ci_low"], r["crime_ratio_ci_high"], r["crime_from"], r["crime_to"]
        )
        r["feeling_direction"] = feeling_direction(
            r["feeling_q_value"], r["feeling_change_pp"], r["feeling_change_ci_low"], r["feeling_change_ci_high"]
        )
        r["divergence"] = divergence_label(r["crime_direction"], r["feeling_direction"])
    frame = pl.DataFrame(rows, schema=CRIME_AND_FEELING.polars_schema)
    return conform(CRIME_AND_FEELING, frame).sort("geo_code", "period_from")
