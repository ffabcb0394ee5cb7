"""Screening flags (transforms/screening.py): on the published values of the real data, and on crafted rows for
each rule's edges."""

from __future__ import annotations

import polars as pl
import pytest

from tests.transforms.survey_fixtures import value_row, values_frame
from transforms.screening import JUMP_MIN_EVENTS, SMALL_COUNT, with_quality_flags
from transforms.survey import ANSWER_SUM_SLACK
from warehouse.db import connect
from warehouse.metadata import DOMAIN_INDICATOR_VALUES, QUALITY_FLAGS


@pytest.fixture(scope="module")
def published(built) -> pl.DataFrame:
    assert built.result.success
    with connect(built.db, read_only=True) as con:
        return con.sql("SELECT * FROM published.indicator_values").pl()


def _flags(_: pl.DataFrame) -> pl.Expr:
    return pl.col("quality_flags").fill_null("")


def _screen(rows: list[dict]) -> pl.DataFrame:
    return with_quality_flags(values_frame(rows).select(DOMAIN_INDICATOR_VALUES.column_names))


def _count(geo: str, year: str, n: float, *, variant: str = "regional_table", iccs: str = "ICCS0502") -> dict:
    return value_row(
        "SEC_RECORDED_RATE",
        geo,
        year,
        n / 1000.0,
        breakdown=iccs,
        series_variant=variant,
        numerator=n,
        denominator=100_000.0,
        ci=(0.0, 1.0),
        ci_method="poisson_exact",
    )


# ------------------------------------------------------------------------------------------- on the real data


def test_every_rate_on_fewer_than_10_events_is_flagged_and_no_other(published: pl.DataFrame) -> None:
    counted = published.filter(pl.col("ci_method") == "poisson_exact")
    small = counted.filter(pl.col("numerator") < SMALL_COUNT)
    assert small.height > 1000
    assert small.filter(~_flags(small).str.contains("small_count")).height == 0
    big = counted.filter(pl.col("numerator") >= SMALL_COUNT)
    assert big.filter(_flags(big).str.contains("small_count")).height == 0


def test_the_hedmark_and_oslo_theft_jump_of_2019_is_flagged(published: pl.DataFrame) -> None:
    theft = published.filter(
        pl.col("indicator_id") == "SEC_RECORDED_RATE",
        pl.col("breakdown") == "ICCS0502",
        pl.col("geo_code").is_in(["NO021", "NO011"]),
    )
    by_key = {(r["geo_code"], r["period"]): r for r in theft.iter_rows(named=True)}
    assert by_key[("NO021", "2018")]["numerator"] == 2318 and by_key[("NO021", "2019")]["numerator"] == 24399
    assert by_key[("NO011", "2018")]["numerator"] == 24147 and by_key[("NO011", "2019")]["numerator"] == 4043
    for geo in ("NO021", "NO011"):
        assert "implausible_jump" in by_key[(geo, "2019")]["quality_flags"]
        assert "implausible_jump" not in (by_key[(geo, "2018")]["quality_flags"] or "")


def test_source_flag_u_and_example_registers_are_flagged(published: pl.DataFrame) -> None:
    unreliable = published.filter(pl.col("obs_status").fill_null("").str.contains("u"))
    assert unreliable.height > 0
    assert unreliable.filter(~_flags(unreliable).str.contains("low_reliability")).height == 0
    examples = published.filter(pl.col("example_data"))
    assert examples.height > 0 and set(examples["indicator_id"]) >= {"PP_LEVEL_SHARE", "CIM_CONDITIONS"}
    assert examples.filter(~_flags(examples).str.contains("example_data")).height == 0
    assert published.filter(~pl.col("example_data") & _flags(published).str.contains("example_data")).height == 0


def test_national_and_regional_tables_that_disagree_are_both_flagged(published: pl.DataFrame) -> None:
    national = published.filter(pl.col("geo_level") == "NUTS0", pl.col("indicator_id") == "SEC_RECORDED_RATE")
    flagged = national.filter(_flags(national).str.contains("sources_disagree"))
    assert flagged.height > 0
    # Flags come in pairs: the national table's row and the regional table's row of the same country and year.
    pairs = flagged.group_by("breakdown", "geo_code", "period").agg(pl.col("series_variant").sort())
    assert set(map(tuple, pairs["series_variant"].to_list())) == {("national_table", "regional_table")}


def test_high_dont_know_items_are_flagged_and_carry_an_opinion_share(published: pl.DataFrame) -> None:
    high = published.filter(pl.col("dont_know_share") >= 10)
    assert high.height > 0 and "COH_INCLUSION_MIGRANTS" in set(high["indicator_id"])
    assert high.filter(~_flags(high).str.contains("high_dont_know")).height == 0
    assert high.filter(pl.col("opinion_share").is_null()).height == 0
    # The share among opinions is the value rescaled to the respondents who gave one.
    with_opinion = published.filter(pl.col("opinion_share").is_not_null(), pl.col("dont_know_share").is_not_null())
    expected = 100.0 * with_opinion["value"] / (100.0 - with_opinion["dont_know_share"])
    # The answers add up to 100 within ANSWER_SUM_SLACK points, so the two bases differ by at most that much.
    tolerance = expected * ANSWER_SUM_SLACK / (100.0 - with_opinion["dont_know_share"] - ANSWER_SUM_SLACK)
    assert ((with_opinion["opinion_share"] - expected).abs() <= tolerance + 1e-9).all()
    assert (with_opinion["opinion_ci_low"] <= with_opinion["opinion_share"] + 1e-9).all()
    assert (with_opinion["opinion_ci_high"] >= with_opinion["opinion_share"] - 1e-9).all()


def test_flags_are_declared_codes_in_the_declared_order(published: pl.DataFrame) -> None:
    order = list(QUALITY_FLAGS)
    for text in published["quality_flags"].drop_nulls().unique():
        codes = text.split(",")
        assert all(c in QUALITY_FLAGS for c in codes), text
        assert codes == sorted(codes, key=order.index), text


def test_screening_adds_flags_and_changes_nothing_else() -> None:
    rows = [_count("AT111", "2018", 5), _count("AT111", "2019", 700), _count("AT112", "2019", 3000)]
    before = values_frame(rows).select(DOMAIN_INDICATOR_VALUES.column_names)
    after = with_quality_flags(before)
    assert after.drop("quality_flags").sort("geo_code", "period").equals(before.sort("geo_code", "period"))
    assert after.sort("geo_code", "period")["quality_flags"].to_list() == ["small_count", None, None]


# ------------------------------------------------------------------------------------------- crafted edges


def test_a_jump_needs_factor_3_and_500_events_in_both_consecutive_years() -> None:
    rows = [
        _count("AT111", "2018", JUMP_MIN_EVENTS),
        _count("AT111", "2019", 3 * JUMP_MIN_EVENTS),  # x3, both >= 500: flagged
        _count("AT112", "2018", JUMP_MIN_EVENTS - 1),
        _count("AT112", "2019", 10 * JUMP_MIN_EVENTS),  # one year below 500: not flagged
        _count("AT113", "2018", 1000),
        _count("AT113", "2019", 2999),  # x2.999: not flagged
        _count("AT121", "2017", 1000),
        _count("AT121", "2019", 9000),  # a gap year: not consecutive, not compared
    ]
    flags = {(r["geo_code"], r["period"]): r["quality_flags"] for r in _screen(rows).iter_rows(named=True)}
    assert flags[("AT111", "2019")] == "implausible_jump"
    assert flags[("AT111", "2018")] is None
    assert flags[("AT112", "2019")] is None
    assert flags[("AT113", "2019")] is None
    assert flags[("AT121", "2019")] is None


def test_national_vs_regional_tolerance() -> None:
    rows = [
        _count("AT", "2019", 1000, variant="national_table"),
        _count("AT", "2019", 1050, variant="regional_table"),  # 4.8 % apart: agree
        _count("BE", "2019", 1000, variant="national_table"),
        _count("BE", "2019", 1060, variant="regional_table"),  # 5.7 %: disagree
        _count("CY", "2019", 10, variant="national_table"),
        _count("CY", "2019", 11, variant="regional_table"),  # one event apart: agree however small
    ]
    flags = {(r["geo_code"], r["series_variant"]): r["quality_flags"] for r in _screen(rows).iter_rows(named=True)}
    assert flags[("AT", "national_table")] is None and flags[("AT", "regional_table")] is None
    assert flags[("BE", "national_table")] == flags[("BE", "regional_table")] == "sources_disagree"
    assert flags[("CY", "national_table")] is None


def test_a_domain_cross_check_can_add_disagreeing_keys() -> None:
    rows = [_count("BE100", "2015", 11)]
    keys = values_frame(rows).select("indicator_id", "breakdown", "geo_code", "period", "series_variant")
    (row,) = _screen(rows).iter_rows(named=True)
    assert row["quality_flags"] is None
    (row,) = with_quality_flags(
        values_frame(rows).select(DOMAIN_INDICATOR_VALUES.column_names), sources_disagree=keys
    ).iter_rows(named=True)
    assert row["quality_flags"] == "sources_disagree"
