"""Recorded crime and feeling safe side by side: crime over the three years before each wave, never across a break,
q-values over the whole table, 'inconclusive' where a test cannot tell, no infinity; the tests against
scipy/statsmodels; the acceptance points on the published table of the real data."""

from __future__ import annotations

import math

import polars as pl
import pytest
from scipy.stats import beta, binomtest
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint
from statsmodels.stats.proportion import test_proportions_2indep as score_test

from expectations.assessment import crime_and_feeling_rules
from tests.transforms.survey_fixtures import value_row, values_frame
from transforms.crime_and_feeling import (
    CRIME_INDICATOR,
    FEELING_INDICATOR,
    crime_and_feeling,
    crime_change,
    crime_direction,
    divergence_label,
    feeling_change,
    feeling_direction,
)
from warehouse.db import connect
from warehouse.metadata import CRIME_AND_FEELING

LATE = "feel_safe_in_city_2012_2015"


def feeling(geo: str, period: str, share: float, variant: str = LATE, flags: str | None = None, n: float = 500.0):
    return value_row(FEELING_INDICATOR, geo, period, share, series_variant=variant, obs_status=flags, sample_size=n)


def homicides(geo: str, year: int, count: float, flags: str | None = None, screening: str | None = None) -> dict:
    return value_row(
        CRIME_INDICATOR,
        geo,
        str(year),
        count,
        obs_status=flags,
        numerator=count,
        quality_flags=screening,
        unit="offences",
    )


def city(
    geo: str = "AT001C",
    shares: tuple[float, float] = (60.0, 70.0),
    counts: dict[int, float] | None = None,
    crime_flags: dict[int, str] | None = None,
    screening: dict[int, str] | None = None,
) -> list[dict]:
    """Waves 2012 and 2015; homicides 2009-2014 (windows 2009-2011 and 2012-2014)."""
    counts = counts or {y: 30.0 for y in range(2009, 2015)}
    crime_flags, screening = crime_flags or {}, screening or {}
    rows = [feeling(geo, "2012", shares[0]), feeling(geo, "2015", shares[1])]
    rows += [homicides(geo, y, c, crime_flags.get(y), screening.get(y)) for y, c in counts.items()]
    return rows


# ------------------------------------------------------------------------------------------------ crafted rows


def test_crime_is_the_three_years_before_each_wave_and_nothing_after_fieldwork() -> None:
    counts = {2009: 10.0, 2010: 11.0, 2011: 12.0, 2012: 20.0, 2013: 21.0, 2014: 22.0, 2015: 500.0}
    (row,) = crime_and_feeling(values_frame(city(counts=counts))).iter_rows(named=True)
    assert (row["crime_window_from"], row["crime_window_to"]) == ("2009-2011", "2012-2014")
    assert (row["crime_from"], row["crime_to"]) == (33.0, 63.0)  # 2015 (after the May-June interviews) left out


def test_a_missing_year_in_a_window_gives_no_row() -> None:
    counts = {y: 30.0 for y in range(2010, 2015)}  # 2009 missing
    assert crime_and_feeling(values_frame(city(counts=counts))).is_empty()


@pytest.mark.parametrize("year", [2010, 2011, 2012, 2014])
def test_a_break_flag_after_the_first_window_starts_gives_no_row(year: int) -> None:
    assert crime_and_feeling(values_frame(city(crime_flags={year: "b"}))).is_empty()


def test_a_break_flag_on_the_first_year_of_the_first_window_is_a_start() -> None:
    assert crime_and_feeling(values_frame(city(crime_flags={2009: "b"}))).height == 1


def test_a_break_at_the_later_wave_or_between_variants_gives_no_row() -> None:
    rows = city()
    rows[1]["obs_status"] = "b"
    assert crime_and_feeling(values_frame(rows)).is_empty()
    rows = [feeling("AT001C", "2015", 60.0), feeling("AT001C", "2019", 70.0, "safe_walking_alone_at_night_city_2019")]
    rows += [homicides("AT001C", y, 30.0) for y in range(2012, 2019)]
    assert crime_and_feeling(values_frame(rows)).is_empty()


def test_sources_that_disagree_leave_the_crime_side_not_assessed() -> None:
    out = crime_and_feeling(values_frame(city(screening={2013: "sources_disagree"})))
    (row,) = out.iter_rows(named=True)
    assert row["crime_direction"] == "not_assessed" and row["divergence"] == "not_assessed"
    assert row["crime_q_value"] is None
    assert row["note"] == "2013: sources disagree (screening flag of the city's homicide count)"
    assert crime_and_feeling_rules(out, values_frame(city())) == []


def test_no_infinity_when_the_first_window_has_no_event() -> None:
    counts = {2009: 0.0, 2010: 0.0, 2011: 0.0, 2012: 3.0, 2013: 1.0, 2014: 2.0}
    (row,) = crime_and_feeling(values_frame(city(counts=counts))).iter_rows(named=True)
    assert row["crime_ratio"] is None and row["crime_ratio_ci_high"] is None
    assert row["crime_direction"] == "not_assessed" and row["note"] == "no homicide in the earlier window: no ratio"
    assert all(not (isinstance(v, float) and math.isinf(v)) for v in row.values())


def test_few_events_are_inconclusive_not_no_change() -> None:
    counts = {2009: 2.0, 2010: 1.0, 2011: 3.0, 2012: 2.0, 2013: 2.0, 2014: 3.0}
    (row,) = crime_and_feeling(values_frame(city(counts=counts, shares=(60.0, 61.0)))).iter_rows(named=True)
    assert row["crime_direction"] == "inconclusive"
    assert row["feeling_direction"] == "inconclusive"  # +-6 points at n = 500 cannot rule out a 5-point change
    assert row["divergence"] == "inconclusive"


def test_many_events_and_a_tight_interval_are_stable() -> None:
    counts = {y: 1000.0 for y in range(2009, 2015)}
    (row,) = crime_and_feeling(values_frame(city(counts=counts))).iter_rows(named=True)
    assert row["crime_direction"] == "stable" and 0.9 < row["crime_ratio_ci_low"] <= row["crime_ratio_ci_high"] < 1.1


def test_q_values_are_benjamini_hochberg_over_every_test_of_the_table() -> None:
    rows = city("AT001C", (60.0, 70.0), {y: (30.0 if y < 2012 else 60.0) for y in range(2009, 2015)})
    rows += city("BE001C", (60.0, 61.0), {y: 30.0 for y in range(2009, 2015)})
    rows += city("CZ001C", (60.0, 59.0), {y: 30.0 for y in range(2009, 2015)}, screening={2010: "sources_disagree"})
    out = crime_and_feeling(values_frame(rows)).sort("geo_code")
    assessed = out.filter(pl.col("crime_q_value").is_not_null())
    p = assessed["crime_p_value"].to_list() + out["feeling_p_value"].to_list()
    q = multipletests(p, method="fdr_bh")[1]
    assert assessed["crime_q_value"].to_list() == pytest.approx(list(q[: assessed.height]))
    assert out["feeling_q_value"].to_list() == pytest.approx(list(q[assessed.height :]))
    vienna = out.row(0, named=True)
    assert vienna["crime_direction"] == "up" and vienna["feeling_direction"] == "safer"
    assert vienna["divergence"] == "divergent"


# ------------------------------------------------------------------------------------------------ the figures


@pytest.mark.parametrize(("k1", "k2"), [(20, 25), (25, 9), (50, 22), (348, 262), (2, 9), (0, 5), (5, 0), (1, 1)])
def test_crime_change_against_scipy_and_the_beta_distribution(k1: int, k2: int) -> None:
    ratio, low, high, p = crime_change(float(k1), float(k2))
    test = binomtest(k2, k1 + k2, 0.5)
    assert p == pytest.approx(test.pvalue)
    assert ratio == (k2 / k1 if k1 else None)
    if k2 > 0:
        pi_low = beta.ppf(0.025, k2, k1 + 1)
        assert low == pytest.approx(pi_low / (1 - pi_low), rel=1e-6)
    else:
        assert low == 0.0
    if k1 > 0:
        pi_high = beta.ppf(0.975, k2 + 1, k1)
        assert high == pytest.approx(pi_high / (1 - pi_high), rel=1e-6)
    else:
        assert high is None  # infinite: published as NULL
    assert crime_change(0.0, 0.0) == (None, None, None, 1.0)


@pytest.mark.parametrize(
    ("p1", "n1", "p2", "n2"), [(69.3, 500, 53.0, 500), (53.0, 500, 59.0, 500), (90.0, 300, 91.0, 500)]
)
def test_feeling_change_against_statsmodels_and_newcombe(p1: float, n1: float, p2: float, n2: float) -> None:
    change, low, high, p = feeling_change(p1, n1, p2, n2)
    ref_low, ref_high = confint_proportions_2indep(
        p2 / 100 * n2, n2, p1 / 100 * n1, n1, method="newcomb", compare="diff", alpha=0.05
    )
    assert (low, high) == (pytest.approx(ref_low * 100), pytest.approx(ref_high * 100))
    l1, u1 = proportion_confint(p1 / 100 * n1, n1, method="wilson")
    l2, u2 = proportion_confint(p2 / 100 * n2, n2, method="wilson")
    d = (p2 - p1) / 100
    assert low == pytest.approx((d - math.sqrt((p2 / 100 - l2) ** 2 + (u1 - p1 / 100) ** 2)) * 100)
    assert high == pytest.approx((d + math.sqrt((u2 - p2 / 100) ** 2 + (p1 / 100 - l1) ** 2)) * 100)
    assert p == pytest.approx(score_test(p2 / 100 * n2, n2, p1 / 100 * n1, n1, method="score").pvalue)
    assert low <= change <= high


def test_directions_from_q_values_and_equivalence_margins() -> None:
    assert crime_direction(0.01, 1.2, 1.9, 30, 50) == "up"
    assert crime_direction(0.01, 0.3, 0.7, 50, 30) == "down"
    assert crime_direction(0.30, 0.85, 1.15, 1000, 1010) == "stable"
    assert crime_direction(0.30, 0.5, 2.0, 10, 12) == "inconclusive"
    assert crime_direction(None, None, None, 10, 12) == "not_assessed"
    assert feeling_direction(0.001, 8.0, 3.0, 13.0) == "safer"
    assert feeling_direction(0.20, 1.0, -2.0, 4.0) == "stable"
    assert feeling_direction(0.20, 1.0, -5.5, 7.5) == "inconclusive"


@pytest.mark.parametrize(
    ("crime", "feel", "label"),
    [
        ("down", "safer", "aligned"),
        ("up", "less_safe", "aligned"),
        ("down", "less_safe", "divergent"),
        ("up", "stable", "crime_changed_feeling_stable"),
        ("stable", "safer", "feeling_changed_crime_stable"),
        ("stable", "stable", "both_stable"),
        ("inconclusive", "safer", "inconclusive"),
        ("up", "inconclusive", "inconclusive"),
        ("not_assessed", "safer", "not_assessed"),
    ],
)
def test_divergence_truth_table(crime: str, feel: str, label: str) -> None:
    assert divergence_label(crime, feel) == label


# ------------------------------------------------------------------------------------------------ real data


@pytest.fixture(scope="module")
def published(built) -> tuple[pl.DataFrame, pl.DataFrame]:
    assert built.result.success
    with connect(built.db, read_only=True) as con:
        return (
            con.sql("SELECT * FROM published.crime_and_feeling").pl(),
            con.sql("SELECT * FROM published.indicator_values").pl(),
        )


def test_real_table_has_rows_q_values_inconclusive_and_no_infinity(published) -> None:
    table, values = published
    assert table.height > 10
    assert table.schema == pl.Schema(CRIME_AND_FEELING.polars_schema)
    assert crime_and_feeling_rules(table, values) == []
    numbers = [c for c, t in table.schema.items() if t == pl.Float64]
    assert table.select(pl.any_horizontal(pl.col(numbers).is_infinite()).sum()).item() == 0
    assert table["feeling_q_value"].null_count() == 0
    assert "inconclusive" in set(table["crime_direction"])
    assert "no_significant_change" not in set(table["divergence"])


def test_real_rows_never_span_a_declared_break(published) -> None:
    table, _ = published
    # 2009 -> 2012 (feeling-safe break) and 2015 -> 2019 (wording) are different variants: never a pair
    assert not set(table.select("period_from", "period_to").iter_rows()) & {("2009", "2012"), ("2015", "2019")}
    assert table["feeling_series_variant"].str.contains("2004_2015").sum() == 0


def test_brussels_is_a_source_disagreement_not_a_fall(published) -> None:
    table, values = published
    brussels = values.filter(pl.col("indicator_id") == CRIME_INDICATOR, pl.col("geo_code") == "BE001C")
    flagged = brussels.filter(pl.col("quality_flags").fill_null("").str.contains("sources_disagree"))
    assert "2015" in set(flagged["period"])
    rows = table.filter(pl.col("geo_code") == "BE001C")
    assert rows.filter(pl.col("crime_direction").is_in(["up", "down"])).is_empty()
