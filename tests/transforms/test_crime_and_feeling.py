"""Recorded crime and feeling safe side by side: never across the 2019 wording break or a 'b' flag (real data and
crafted frames), the two tests against scipy/statsmodels, and the divergence truth table."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import polars as pl
import pytest
from scipy.stats import beta, binomtest
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

from expectations.assessment import crime_and_feeling_rules
from tests.transforms.survey_fixtures import survey_values_of, value_row, values_frame
from transforms.crime import city_homicide_counts
from transforms.crime_and_feeling import (
    CRIME_INDICATOR,
    FEELING_INDICATOR,
    crime_and_feeling,
    crime_change,
    divergence_label,
    feeling_change,
)
from warehouse.metadata import CRIME_AND_FEELING

OLD = "feel_safe_in_city_2004_2015"
NEW = "safe_walking_alone_at_night_city_2019"


@pytest.fixture(scope="session")
def real_values(raw_dir: Path, observations: pl.DataFrame) -> pl.DataFrame:
    """Survey values + city homicide counts of the real files (what the pipeline's comparison reads)."""
    survey, _ = survey_values_of(raw_dir)
    city, _ = city_homicide_counts(observations)
    return pl.concat([survey, city])


@pytest.fixture(scope="session")
def real_output(real_values: pl.DataFrame) -> pl.DataFrame:
    return crime_and_feeling(real_values)


def feeling(geo: str, period: str, share: float, variant: str = OLD, flags: str | None = None, n: float = 500.0):
    return value_row(FEELING_INDICATOR, geo, period, share, series_variant=variant, obs_status=flags, sample_size=n)


def homicides(geo: str, year: int, count: float, flags: str | None = None) -> dict:
    return value_row(CRIME_INDICATOR, geo, str(year), count, obs_status=flags, comparability="cross_country")


def crafted_city(
    geo: str = "AT001C",
    feeling_flags: dict[str, str] | None = None,
    crime_flags: dict[int, str] | None = None,
    waves: tuple[tuple[str, float, str], ...] = (("2009", 90.0, OLD), ("2012", 80.0, OLD), ("2015", 70.0, OLD)),
    years: range = range(2008, 2020),
) -> list[dict]:
    feeling_flags, crime_flags = feeling_flags or {}, crime_flags or {}
    rows = [feeling(geo, p, v, variant, feeling_flags.get(p)) for p, v, variant in waves]
    rows += [homicides(geo, y, 20.0 + (y - 2008), crime_flags.get(y)) for y in years]
    return rows


def pairs(frame: pl.DataFrame, geo: str = "AT001C") -> set[tuple[str, str]]:
    return set(frame.filter(pl.col("geo_code") == geo).select("period_from", "period_to").iter_rows())


# ---------------------------------------------------------------------------------------------------------------------
# Acceptance on the real data
# ---------------------------------------------------------------------------------------------------------------------


def test_acceptance_real_output_has_rows_and_the_contract(real_output: pl.DataFrame) -> None:
    assert real_output.height > 0
    assert real_output.schema == pl.Schema(CRIME_AND_FEELING.polars_schema)
    assert real_output.select(CRIME_AND_FEELING.key).is_duplicated().sum() == 0
    assert set(real_output["crime_indicator_id"]) == {CRIME_INDICATOR}
    assert set(real_output["feeling_indicator_id"]) == {FEELING_INDICATOR}


def test_acceptance_no_row_spans_the_2019_wording_break(real_output: pl.DataFrame, real_values: pl.DataFrame) -> None:
    spans = real_output.filter((pl.col("period_from") <= "2015") & (pl.col("period_to") == "2019"))
    assert spans.height == 0
    variant_of = {
        (r["geo_code"], r["period"]): r["series_variant"]
        for r in real_values.filter(pl.col("indicator_id") == FEELING_INDICATOR).iter_rows(named=True)
    }
    for r in real_output.iter_rows(named=True):
        assert variant_of[(r["geo_code"], r["period_from"])] == r["feeling_series_variant"], r
        assert variant_of[(r["geo_code"], r["period_to"])] == r["feeling_series_variant"], r
        assert r["period_from"] < r["period_to"]


def test_acceptance_rows_are_consecutive_waves_with_both_figures(
    real_output: pl.DataFrame, real_values: pl.DataFrame
) -> None:
    """Every formed pair is two consecutive waves of one series, and every such pair with a homicide count in both
    years (and no break) is formed: the comparison is complete, not just safe."""
    feel = real_values.filter(pl.col("indicator_id") == FEELING_INDICATOR)
    crime = real_values.filter(pl.col("indicator_id") == CRIME_INDICATOR)
    counts = {(r["geo_code"], r["period"]): r for r in crime.iter_rows(named=True)}
    expected = set()
    for (geo, _), waves in feel.partition_by("geo_code", "series_variant", as_dict=True).items():
        rows = sorted(waves.iter_rows(named=True), key=lambda r: r["period"])
        for a, b in itertools.pairwise(rows):
            if (geo, a["period"]) not in counts or (geo, b["period"]) not in counts:
                continue
            flags = [b["obs_status"]] + [
                counts[(geo, str(y))]["obs_status"]
                for y in range(int(a["period"]) + 1, int(b["period"]) + 1)
                if (geo, str(y)) in counts
            ]
            if any("b" in (f or "") for f in flags):
                continue
            expected.add((geo, a["period"], b["period"]))
    got = set(real_output.select("geo_code", "period_from", "period_to").iter_rows())
    assert got == expected
    for r in real_output.iter_rows(named=True):
        assert r["crime_from"] == counts[(r["geo_code"], r["period_from"])]["value"]
        assert r["crime_to"] == counts[(r["geo_code"], r["period_to"])]["value"]


def test_acceptance_no_row_spans_a_break_flag(real_output: pl.DataFrame, real_values: pl.DataFrame) -> None:
    flagged = real_values.filter(pl.col("obs_status").fill_null("").str.contains("b"))
    feel_b = flagged.filter(pl.col("indicator_id") == FEELING_INDICATOR).select(
        "geo_code", pl.col("period").alias("period_to")
    )
    assert real_output.join(feel_b, on=["geo_code", "period_to"]).height == 0
    crime_b = flagged.filter(pl.col("indicator_id") == CRIME_INDICATOR).select(
        "geo_code", pl.col("period").cast(pl.Int32).alias("year")
    )
    spanned = real_output.join(crime_b, on="geo_code").filter(
        (pl.col("year") > pl.col("period_from").cast(pl.Int32)) & (pl.col("year") <= pl.col("period_to").cast(pl.Int32))
    )
    assert spanned.height == 0


def test_acceptance_rules_pass_on_the_real_output(real_output: pl.DataFrame, real_values: pl.DataFrame) -> None:
    assert crime_and_feeling_rules(real_output, real_values) == []


def test_acceptance_real_figures_recomputed(real_output: pl.DataFrame) -> None:
    for r in real_output.iter_rows(named=True):
        ratio, low, high, _, direction = crime_change(r["crime_from"], r["crime_to"])
        assert (r["crime_ratio"], r["crime_ratio_ci_low"], r["crime_ratio_ci_high"]) == pytest.approx(
            (ratio, low, high)
        )
        assert r["crime_p_value"] == pytest.approx(
            binomtest(round(r["crime_to"]), round(r["crime_from"] + r["crime_to"])).pvalue
        )
        assert r["crime_direction"] == direction
        assert r["feeling_change_pp"] == pytest.approx(r["feeling_to"] - r["feeling_from"])
        assert r["divergence"] == divergence_label(r["crime_direction"], r["feeling_direction"])


def test_bundled_brussels_is_never_compared_across_2015_2019(real_output: pl.DataFrame, bundled: bool) -> None:
    if not bundled:
        pytest.skip("cities of the bundled release")
    assert pairs(real_output, "BE001C") == {("2009", "2012"), ("2012", "2015")}


# ---------------------------------------------------------------------------------------------------------------------
# Crafted frames: breaks
# ---------------------------------------------------------------------------------------------------------------------


def test_crafted_clean_series_gives_consecutive_pairs() -> None:
    out = crime_and_feeling(values_frame(crafted_city()))
    assert pairs(out) == {("2009", "2012"), ("2012", "2015")}
    assert crime_and_feeling_rules(out, values_frame(crafted_city())) == []


def test_crafted_break_flag_at_the_later_wave_prevents_the_pair() -> None:
    out = crime_and_feeling(values_frame(crafted_city(feeling_flags={"2012": "b"})))
    assert pairs(out) == {("2012", "2015")}  # the b wave starts a new series: 2009-2012 is not formed


def test_crafted_break_flag_at_the_earlier_wave_is_a_start() -> None:
    out = crime_and_feeling(values_frame(crafted_city(feeling_flags={"2009": "b"})))
    assert pairs(out) == {("2009", "2012"), ("2012", "2015")}


@pytest.mark.parametrize(
    ("year", "expected"),
    [
        (2010, {("2012", "2015")}),  # between the waves
        (2012, {("2012", "2015")}),  # in the later wave's year
        (2014, {("2009", "2012")}),
        (2015, {("2009", "2012")}),
        (2009, {("2009", "2012"), ("2012", "2015")}),  # in the first year: the series starts there
        (2016, {("2009", "2012"), ("2012", "2015")}),  # after both
    ],
)
def test_crafted_break_flag_in_the_crime_series(year: int, expected: set) -> None:
    values = values_frame(crafted_city(crime_flags={year: "b"}))
    out = crime_and_feeling(values)
    assert pairs(out) == expected
    assert crime_and_feeling_rules(out, values) == []


def test_crafted_break_flag_combined_with_other_letters() -> None:
    out = crime_and_feeling(values_frame(crafted_city(crime_flags={2011: "bep"}, feeling_flags={"2015": "bu"})))
    assert pairs(out) == set()


def test_crafted_wording_break_is_never_joined() -> None:
    waves = (("2012", 60.0, OLD), ("2015", 59.0, OLD), ("2019", 57.9, NEW))
    out = crime_and_feeling(values_frame(crafted_city(waves=waves, years=range(2010, 2021))))
    assert pairs(out) == {("2012", "2015")}
    assert set(out["feeling_series_variant"]) == {OLD}


def test_crafted_new_variant_pairs_only_with_itself() -> None:
    waves = (("2015", 59.0, OLD), ("2019", 57.9, NEW), ("2023", 50.0, NEW))
    out = crime_and_feeling(values_frame(crafted_city(waves=waves, years=range(2014, 2024))))
    assert pairs(out) == {("2019", "2023")}
    assert out.row(0, named=True)["feeling_series_variant"] == NEW


def test_crafted_missing_crime_year_or_sample_size_gives_no_pair() -> None:
    rows = crafted_city(years=range(2008, 2012))  # no count for 2012 and 2015
    assert crime_and_feeling(values_frame(rows)).is_empty()
    no_n = [feeling("AT001C", "2009", 90.0, n=None), feeling("AT001C", "2012", 80.0, n=None)]
    no_n += [homicides("AT001C", y, 10.0) for y in range(2009, 2013)]
    assert crime_and_feeling(values_frame(no_n)).is_empty()


def test_crafted_other_cities_and_indicators_do_not_leak() -> None:
    rows = [
        *crafted_city("AT001C"),
        feeling("BE001C", "2009", 70.0),
        feeling("BE001C", "2012", 60.0),
        homicides("DE001C", 2009, 5.0),
        homicides("DE001C", 2012, 6.0),
        value_row("SAF_SAFE_NBH", "AT001C", "2010", 50.0, series_variant=OLD, sample_size=500.0),
    ]
    out = crime_and_feeling(values_frame(rows))
    assert set(out["geo_code"]) == {"AT001C"}
    assert pairs(out) == {("2009", "2012"), ("2012", "2015")}


def test_rules_catch_a_row_that_spans_a_break() -> None:
    """The acceptance rules can fail: a fabricated row across a crime 'b' flag and across the wording break."""
    values = values_frame(crafted_city(crime_flags={2010: "b"}))
    out = crime_and_feeling(values_frame(crafted_city()))
    problems = crime_and_feeling_rules(out, values)
    assert any("break flag in the crime series" in p for p in problems), problems
    waves = (("2015", 59.0, OLD), ("2019", 57.9, NEW))
    values = values_frame(crafted_city(waves=waves, years=range(2014, 2020)))
    fake = out.head(1).with_columns(pl.lit("2015").alias("period_from"), pl.lit("2019").alias("period_to"))
    assert any("not a value of the same feeling series" in p for p in crime_and_feeling_rules(fake, values))


# ---------------------------------------------------------------------------------------------------------------------
# The two figures
# ---------------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("k1", "k2"), [(20, 25), (25, 9), (50, 22), (348, 262), (2, 9), (0, 5), (5, 0), (1, 1)])
def test_crime_change_against_scipy_binomtest(k1: int, k2: int) -> None:
    ratio, low, high, p, direction = crime_change(float(k1), float(k2))
    test = binomtest(k2, k1 + k2, 0.5)
    ci = test.proportion_ci(confidence_level=0.95, method="exact")
    assert p == pytest.approx(test.pvalue)
    assert ratio == (k2 / k1 if k1 else math.inf)
    expected_low = ci.low / (1 - ci.low)
    expected_high = ci.high / (1 - ci.high) if ci.high < 1 else math.inf
    assert low == pytest.approx(expected_low)
    assert high == pytest.approx(expected_high)
    # independent: Clopper-Pearson limits from the beta distribution, mapped to the ratio pi / (1 - pi)
    if 0 < k2:
        pi_low = beta.ppf(0.025, k2, k1 + 1)
        assert low == pytest.approx(pi_low / (1 - pi_low), rel=1e-6)
    else:
        assert low == 0.0
    if k1 > 0:
        pi_high = beta.ppf(0.975, k2 + 1, k1)
        assert high == pytest.approx(pi_high / (1 - pi_high), rel=1e-6)
    assert low <= ratio <= high
    expected_direction = "no_significant_change" if test.pvalue >= 0.05 else ("up" if k2 > k1 else "down")
    assert direction == expected_direction


def test_crime_change_known_directions() -> None:
    assert crime_change(25.0, 9.0)[4] == "down"
    assert crime_change(9.0, 25.0)[4] == "up"
    assert crime_change(20.0, 25.0)[4] == "no_significant_change"
    ratio, low, high, p, direction = crime_change(0.0, 0.0)
    assert math.isnan(ratio) and math.isnan(low) and math.isnan(high)
    assert (p, direction) == (1.0, "no_significant_change")


@pytest.mark.parametrize(
    ("p1", "n1", "p2", "n2"),
    [
        (69.3, 500, 53.0, 500),
        (53.0, 500, 59.0, 500),
        (64.0, 500, 71.0, 500),
        (90.0, 300, 91.0, 500),
        (50.0, 700, 50.0, 700),
    ],
)
def test_feeling_change_against_statsmodels_newcombe(p1: float, n1: float, p2: float, n2: float) -> None:
    change, low, high, direction = feeling_change(p1, n1, p2, n2)
    ref_low, ref_high = confint_proportions_2indep(
        p2 / 100 * n2, n2, p1 / 100 * n1, n1, method="newcomb", compare="diff", alpha=0.05
    )
    assert change == pytest.approx(p2 - p1)
    assert low == pytest.approx(ref_low * 100)
    assert high == pytest.approx(ref_high * 100)
    # independent: Newcombe's hybrid score (method 10) from the two Wilson intervals
    l1, u1 = proportion_confint(p1 / 100 * n1, n1, method="wilson")
    l2, u2 = proportion_confint(p2 / 100 * n2, n2, method="wilson")
    d = (p2 - p1) / 100
    assert low == pytest.approx((d - math.sqrt((p2 / 100 - l2) ** 2 + (u1 - p1 / 100) ** 2)) * 100)
    assert high == pytest.approx((d + math.sqrt((u2 - p2 / 100) ** 2 + (p1 / 100 - l1) ** 2)) * 100)
    assert low <= change <= high
    expected = "safer" if low > 0 else "less_safe" if high < 0 else "no_significant_change"
    assert direction == expected


def test_feeling_change_directions() -> None:
    assert feeling_change(53.0, 500, 69.3, 500)[3] == "safer"
    assert feeling_change(69.3, 500, 53.0, 500)[3] == "less_safe"
    assert feeling_change(50.0, 500, 51.0, 500)[3] == "no_significant_change"


@pytest.mark.parametrize(
    ("crime", "feel", "label"),
    [
        ("down", "safer", "aligned"),
        ("up", "less_safe", "aligned"),
        ("down", "less_safe", "divergent"),
        ("up", "safer", "divergent"),
        ("up", "no_significant_change", "crime_changed_feeling_did_not"),
        ("down", "no_significant_change", "crime_changed_feeling_did_not"),
        ("no_significant_change", "safer", "feeling_changed_crime_did_not"),
        ("no_significant_change", "less_safe", "feeling_changed_crime_did_not"),
        ("no_significant_change", "no_significant_change", "no_significant_change"),
    ],
)
def test_divergence_truth_table(crime: str, feel: str, label: str) -> None:
    assert divergence_label(crime, feel) == label


def test_crafted_row_carries_both_figures() -> None:
    rows = [feeling("AT001C", "2012", 64.0), feeling("AT001C", "2015", 71.0)]
    rows += [homicides("AT001C", 2012, 50.0), homicides("AT001C", 2015, 22.0)]
    out = crime_and_feeling(values_frame(rows))
    assert out.height == 1
    r = out.row(0, named=True)
    assert (r["crime_from"], r["crime_to"], r["feeling_from"], r["feeling_to"]) == (50.0, 22.0, 64.0, 71.0)
    assert r["crime_direction"] == "down" and r["feeling_direction"] == "safer" and r["divergence"] == "aligned"
    assert r["feeling_change_pp"] == pytest.approx(7.0)
