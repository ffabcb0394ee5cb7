"""Survey indicators (urb_percep and EU-SILC) and CTX_POP: the real files recomputed independently, crafted frames
for the rules (missing is never zero, aggregates are not countries, flags travel, wording breaks stay apart)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest
from statsmodels.stats.proportion import proportion_confint

from tests.transforms.survey_fixtures import (
    QOL_SERIES,
    SILC_SERIES,
    SOURCE_BY_NAME,
    crafted_observations,
    jsonstat_cells,
    qol_cell,
    sample_size_rows,
    silc_breakdown,
    silc_cell,
    survey_observations_of,
    survey_values_of,
    urb_percep_cells,
    urb_percep_expected,
)
from transforms.survey import load_sample_sizes, population_indicator, survey_indicators, wilson_limits
from warehouse.catalogue import CATALOGUE_BY_ID
from warehouse.catalogue.survey import QOL, SURVEY_SERIES
from warehouse.metadata import DOMAIN_INDICATOR_VALUES, INDICATOR_VALUES

RATINGS = {"COH_TRUST_OTHERS_NAT", "CTX_TRUST_POLICE"}
SERIES_BY_VARIANT = {(s.indicator_id, s.series_variant, s.breakdown): s for s in SURVEY_SERIES}


@pytest.fixture(scope="session")
def survey_observations(raw_dir: Path) -> pl.DataFrame:
    return survey_observations_of(raw_dir)


@pytest.fixture(scope="session")
def survey(raw_dir: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    return survey_values_of(raw_dir)


@pytest.fixture(scope="session")
def values(survey: tuple[pl.DataFrame, pl.DataFrame]) -> pl.DataFrame:
    return survey[0]


@pytest.fixture(scope="session")
def dropped(survey: tuple[pl.DataFrame, pl.DataFrame]) -> pl.DataFrame:
    return survey[1]


@pytest.fixture(scope="session")
def cells(raw_dir: Path) -> dict:
    return urb_percep_cells(SOURCE_BY_NAME[QOL].path(raw_dir))


@pytest.fixture(scope="session")
def ctx_pop(population: pl.DataFrame) -> pl.DataFrame:
    return population_indicator(population)


def rows_of(values: pl.DataFrame, indicator_id: str, series_variant: str | None = None) -> pl.DataFrame:
    out = values.filter(pl.col("indicator_id") == indicator_id)
    if series_variant is not None:
        out = out.filter(pl.col("series_variant") == series_variant)
    return out


def one(values: pl.DataFrame, indicator_id: str, geo: str, period: str, series_variant: str | None = None) -> dict:
    rows = rows_of(values, indicator_id, series_variant).filter(
        (pl.col("geo_code") == geo) & (pl.col("period") == period)
    )
    assert rows.height == 1, (indicator_id, geo, period, rows.height)
    return rows.row(0, named=True)


def sample_size_lookup() -> dict[tuple[str, str, str], int]:
    return {(r["survey"], r["wave"], r["geo"]): int(r["sample_size"]) for r in sample_size_rows()}


# ---------------------------------------------------------------------------------------------------------------------
# Coverage of the catalogue
# ---------------------------------------------------------------------------------------------------------------------


def test_every_survey_indicator_and_ctx_pop_has_rows(values: pl.DataFrame, ctx_pop: pl.DataFrame) -> None:
    expected = {s.indicator_id for s in SURVEY_SERIES} | {"CTX_POP"}
    assert all(i in CATALOGUE_BY_ID for i in expected)
    published = pl.concat([values, ctx_pop])
    counts = dict(published.group_by("indicator_id").len().iter_rows())
    assert {i for i in expected if counts.get(i, 0) == 0} == set()
    assert set(counts) == expected  # nothing else comes out of the survey transforms
    # ... and every declared series (variant, breakdown) has rows of its own
    per_series = {
        (r["indicator_id"], r["series_variant"], r["breakdown"])
        for r in values.select("indicator_id", "series_variant", "breakdown").unique().iter_rows(named=True)
    }
    assert per_series == set(SERIES_BY_VARIANT)


def test_output_has_the_published_columns_and_a_unique_key(values: pl.DataFrame, ctx_pop: pl.DataFrame) -> None:
    for frame in (values, ctx_pop):
        assert frame.schema == pl.Schema(DOMAIN_INDICATOR_VALUES.polars_schema)
        assert frame.select(INDICATOR_VALUES.key).is_duplicated().sum() == 0
        assert frame["value"].null_count() == 0


@pytest.mark.parametrize("series", QOL_SERIES, ids=lambda s: f"{s.indicator_id}-{s.series_variant}")
def test_urb_percep_rows_are_exactly_the_cities_with_every_answer(series, values: pl.DataFrame, cells: dict) -> None:
    """A value for every (city, wave) where each answer code of the series is published, the sum of those
    shares; no value where any answer is ':' (missing is never zero)."""
    expected, _, _ = urb_percep_expected(cells, series)
    assert expected, f"{series.series_variant}: no complete city in the raw file"
    got = {
        (r["geo_code"], r["period"]): r["value"]
        for r in rows_of(values, series.indicator_id, series.series_variant).iter_rows(named=True)
    }
    assert set(got) == set(expected)
    for key, total in expected.items():
        assert got[key] == pytest.approx(min(total, 100.0), abs=1e-9), (series.series_variant, key)


@pytest.mark.parametrize("series", QOL_SERIES, ids=lambda s: f"{s.indicator_id}-{s.series_variant}")
def test_urb_percep_cities_missing_an_answer_have_no_value(series, values: pl.DataFrame, cells: dict) -> None:
    missing = set()
    for (code, city, year), (share, _) in cells.items():
        if code in series.answer_codes and share is None:
            missing.add((city, year))
    got = set(rows_of(values, series.indicator_id, series.series_variant).select("geo_code", "period").iter_rows())
    assert got.isdisjoint(missing)


def test_urb_percep_drop_counts_by_reason(dropped: pl.DataFrame, cells: dict) -> None:
    """Incomplete (city, wave) are counted, never published: 'answer_share_missing' when some answers are missing,
    'not_in_wave' when all are; counts recomputed from the raw cells."""
    expected: dict[tuple[str, str], int] = {}
    for series in QOL_SERIES:
        _, partial, absent = urb_percep_expected(cells, series)
        for reason, n in (("answer_share_missing", partial), ("not_in_wave", absent)):
            if n:
                expected[(series.indicator_id, reason)] = expected.get((series.indicator_id, reason), 0) + n
    got = {
        (r["indicator_id"], r["reason"]): r["rows"]
        for r in dropped.filter(pl.col("source_dataset") == QOL).iter_rows(named=True)
    }
    assert got == expected
    # the real file has partial cities: the rule is exercised, not vacuous
    assert sum(n for (_, reason), n in expected.items() if reason == "answer_share_missing") > 0


@pytest.mark.parametrize(
    ("indicator_id", "series_variant", "period", "codes", "share"),
    [
        ("SAF_SAFE_CITY", "feel_safe_in_city_2012_2015", "2015", ("PS3290V", "PS3291V"), 59.0),
        ("SAF_SAFE_CITY", "safe_walking_alone_at_night_city_2019", "2019", ("PS3514V", "PS3515V"), 57.9),
    ],
)
def test_brussels_shares_add_up_the_agreeing_answers(
    indicator_id, series_variant, period, codes, share, values: pl.DataFrame, cells: dict, bundled: bool
) -> None:
    """BE001C in urb_percep: 'feel safe in this city' 2015 = 13.0 + 46.0; 'safe walking alone at night' 2019 =
    14.7 + 43.2; the two live in different series_variants."""
    if not bundled:
        pytest.skip("figures of the bundled release")
    assert SERIES_BY_VARIANT[(indicator_id, series_variant, None)].answer_codes == codes
    raw = [cells[(code, "BE001C", period)][0] for code in codes]
    assert sum(raw) == pytest.approx(share)
    row = one(values, indicator_id, "BE001C", period)
    assert row["series_variant"] == series_variant
    assert row["value"] == pytest.approx(share, abs=1e-9)


@pytest.mark.parametrize(
    ("indicator_id", "geo", "period", "codes"),
    [
        ("SAF_SAFE_NBH", "AT001C", "2009", ("PS3300V", "PS3301V")),
        ("SAF_UNSAFE_NIGHT_NBH", "DE001C", "2019", ("PS3521V", "PS3522V")),
        ("COH_INCLUSION_MIGRANTS", "BE001C", "2019", ("PS3538V",)),
        ("LIV_CLEAN", "BE001C", "2006", ("PS2072V", "PS2073V")),
        ("LIV_CLEAN", "BE001C", "2012", ("PS3280V", "PS3281V")),
        ("CTX_POVERTY_PROBLEM", "BE001C", "2009", ("PS3112V", "PS3113V")),
    ],
)
def test_share_is_the_sum_of_the_catalogue_answer_codes(
    indicator_id, geo, period, codes, values: pl.DataFrame, cells: dict, bundled: bool
) -> None:
    if not bundled:
        pytest.skip("cities and waves of the bundled release")
    row = one(values, indicator_id, geo, period)
    assert SERIES_BY_VARIANT[(indicator_id, row["series_variant"], None)].answer_codes == codes
    assert row["value"] == pytest.approx(sum(cells[(c, geo, period)][0] for c in codes), abs=1e-9)


# ---------------------------------------------------------------------------------------------------------------------
# Ranges, intervals, sample sizes and their sources
# ---------------------------------------------------------------------------------------------------------------------


def test_shares_lie_in_0_100_and_ratings_in_0_10(values: pl.DataFrame) -> None:
    shares = values.filter(~pl.col("indicator_id").is_in(list(RATINGS)))
    assert shares.filter(~pl.col("value").is_between(0, 100)).height == 0
    ratings = values.filter(pl.col("indicator_id").is_in(list(RATINGS)))
    assert ratings.height > 0
    assert ratings.filter(~pl.col("value").is_between(0, 10)).height == 0


def test_limits_bracket_the_value(values: pl.DataFrame) -> None:
    with_ci = values.filter(pl.col("ci_low").is_not_null())
    assert with_ci.height > 0
    assert with_ci.filter(pl.col("ci_high").is_null()).height == 0
    bad = with_ci.filter(~((pl.col("ci_low") <= pl.col("value")) & (pl.col("value") <= pl.col("ci_high"))))
    assert bad.height == 0, bad.head()
    assert with_ci.filter((pl.col("ci_low") < 0) | (pl.col("ci_high") > 100)).height == 0


def test_interval_exactly_where_a_documented_sample_size_exists(values: pl.DataFrame) -> None:
    """ci_method 'wilson_approx_n' and sample_size = the CSV's sample size for that wave (urb_percep) or
    country (EU-SILC); no interval where the survey documents none (mean ratings) or flags the value u."""
    sizes = sample_size_lookup()
    series_of = {(s.indicator_id, s.series_variant, s.breakdown): s for s in SURVEY_SERIES}
    checked = 0
    for r in values.iter_rows(named=True):
        s = series_of[(r["indicator_id"], r["series_variant"], r["breakdown"])]
        n = None
        if s.sample == QOL:
            n = sizes.get((QOL, r["period"], "*"))
        elif s.sample is not None:
            n = sizes.get((s.sample, "*", r["geo_code"]))
        assert r["denominator"] is None, r  # the assumed sample is not a count: it has its own column
        if n is None:
            assert r["ci_method"] is None and r["ci_low"] is None and r["ci_high"] is None, r
            assert r["sample_size"] is None, r
        elif "u" in (r["obs_status"] or ""):
            assert r["sample_size"] == n, r
            assert r["ci_method"] is None and r["ci_low"] is None and r["ci_high"] is None, r
            assert "interval withheld" in r["note"], r
        else:
            assert r["ci_method"] == "wilson_approx_n", r
            assert r["sample_size"] == n, r
            checked += 1
    assert checked > 0


def test_wilson_limits_equal_statsmodels(values: pl.DataFrame) -> None:
    with_ci = values.filter(pl.col("ci_method") == "wilson_approx_n")
    n = with_ci["sample_size"].to_numpy()
    p = with_ci["value"].to_numpy() / 100.0
    low, high = proportion_confint(p * n, n, alpha=0.05, method="wilson")
    np.testing.assert_allclose(with_ci["ci_low"].to_numpy(), low * 100.0, rtol=0, atol=1e-9)
    np.testing.assert_allclose(with_ci["ci_high"].to_numpy(), high * 100.0, rtol=0, atol=1e-9)


def test_wilson_limits_helper() -> None:
    low, high = wilson_limits(np.array([59.0, 0.0, 100.0, 50.0]), np.array([500.0, 700.0, 300.0, np.nan]))
    lo, hi = proportion_confint(np.array([295.0, 0.0, 300.0]), np.array([500.0, 700.0, 300.0]), method="wilson")
    np.testing.assert_allclose(low[:3], lo * 100)
    np.testing.assert_allclose(high[:3], hi * 100)
    assert np.isnan(low[3]) and np.isnan(high[3])  # no sample size: no interval
    assert low[1] == pytest.approx(0.0, abs=1e-12) and high[1] > 0  # a 0 % share still has an upper limit


def test_note_cites_the_question_and_the_sample_size_source(values: pl.DataFrame) -> None:
    rows = sample_size_rows()
    source_of = {(r["survey"], r["wave"], r["geo"]): r for r in rows}
    series_of = {(s.indicator_id, s.series_variant, s.breakdown): s for s in SURVEY_SERIES}
    for r in values.iter_rows(named=True):
        s = series_of[(r["indicator_id"], r["series_variant"], r["breakdown"])]
        assert r["note"].startswith(f"question: {s.question}"), r["note"]
        if r["sample_size"] is None:
            assert "source:" not in r["note"]
            continue
        key = (QOL, r["period"], "*") if s.sample == QOL else (s.sample, "*", r["geo_code"])
        documented = source_of[key]
        assert f"n~{documented['sample_size']} {documented['sample_kind']}" in r["note"]
        citation = documented["source"].split(":")[0]
        assert len(citation) > 20
        assert f"source: {citation}" in r["note"], (r["note"], citation)


def test_every_documented_sample_size_has_a_source() -> None:
    rows = sample_size_rows()
    assert rows
    keys = [(r["survey"], r["wave"], r["geo"]) for r in rows]
    assert len(keys) == len(set(keys)), "a repeated (survey, wave, geo) would multiply published rows"
    for r in rows:
        assert r["source"] and r["source"].strip(), r
        assert r["sample_kind"] and r["sample_kind"].strip(), r
        assert int(r["sample_size"]) > 0, r
    # every survey a series names is documented; every urb_percep wave in the file has its own size
    assert {s.sample for s in SURVEY_SERIES if s.sample} <= {r["survey"] for r in rows}
    assert {r["wave"] for r in rows if r["survey"] == QOL} >= {"2004", "2006", "2009", "2012", "2015", "2019"}
    # the loader reads the same file
    assert load_sample_sizes().height == len(rows)


def test_urb_percep_waves_in_the_file_are_all_documented(cells: dict) -> None:
    waves = {year for (_, _, year), (share, _) in cells.items() if share is not None}
    documented = {r["wave"] for r in sample_size_rows() if r["survey"] == QOL}
    assert waves <= documented


def test_silc_countries_in_the_files_have_a_sample_size(values: pl.DataFrame) -> None:
    sized = values.filter(pl.col("source_dataset") != QOL, ~pl.col("indicator_id").is_in(list(RATINGS)))
    assert sized.height > 0
    assert sized.filter(pl.col("sample_size").is_null()).height == 0


# ---------------------------------------------------------------------------------------------------------------------
# Wording breaks: no series_variant spans them
# ---------------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("indicator_id", "expected"),
    [
        ("SAF_SAFE_CITY", [{2004, 2006, 2009}, {2012, 2015}, {2019}]),
        ("SAF_SAFE_NBH", [{2004, 2006, 2009}, {2012, 2015}, {2019}]),
        ("COH_INCLUSION_MIGRANTS", [{2004, 2006, 2009, 2012, 2015}, {2019}]),
    ],
)
def test_breaks_never_share_a_variant(indicator_id, expected, values: pl.DataFrame) -> None:
    """The 2019 wording change, and for feeling safe the 2009 -> 2012 break, separate the variants."""
    periods = {
        variant: {int(p) for p in frame["period"]}
        for (variant,), frame in rows_of(values, indicator_id).partition_by("series_variant", as_dict=True).items()
    }
    assert sorted(periods.values(), key=min) == expected, periods


@pytest.mark.parametrize("indicator_id", ["SAF_SAFE_CITY", "SAF_SAFE_NBH"])
def test_feeling_safe_broke_between_2009_and_2012_but_other_items_did_not(
    indicator_id: str, cells: dict, bundled: bool
) -> None:
    """The evidence for SAFETY_BREAK_2012: nearly every city's share agreeing fell at once from 2009 to 2012, while
    trust in the city's people (asked in the same interviews) did not move that way."""
    if not bundled:
        pytest.skip("figures of the bundled release")

    def shares(codes: tuple[str, ...], year: str) -> dict[str, float]:
        out: dict[str, float] = {}
        for (code, city, y), (share, _) in cells.items():
            if code in codes and y == year and share is not None:
                out[city] = out.get(city, 0.0) + share
        return out

    def fell(codes: tuple[str, ...]) -> tuple[int, int]:
        before, after = shares(codes, "2009"), shares(codes, "2012")
        both = set(before) & set(after)
        return sum(after[c] < before[c] for c in both), len(both)

    safety = SERIES_BY_VARIANT[
        (
            indicator_id,
            f"{'feel_safe_in_city' if indicator_id == 'SAF_SAFE_CITY' else 'feel_safe_in_neighbourhood'}_2012_2015",
            None,
        )
    ]
    down, asked = fell(safety.answer_codes)
    assert asked >= 60 and down / asked > 0.9, (down, asked)
    trust_down, trust_asked = fell(("PS3092V", "PS3093V"))
    assert trust_asked >= 60 and trust_down / trust_asked < 0.5, (trust_down, trust_asked)


def test_liv_clean_has_two_variants_by_period(values: pl.DataFrame) -> None:
    periods = {
        variant: sorted(frame["period"].unique().to_list())
        for (variant,), frame in rows_of(values, "LIV_CLEAN").partition_by("series_variant", as_dict=True).items()
    }
    assert periods == {
        "city_is_clean_2004_2009": ["2004", "2006", "2009"],
        "cleanliness_satisfaction_2012_2019": ["2012", "2015", "2019"],
    }


def test_no_variant_mixes_periods_before_and_after_2019(values: pl.DataFrame) -> None:
    for indicator_id in ("SAF_SAFE_CITY", "SAF_SAFE_NBH", "COH_INCLUSION_MIGRANTS"):
        span = (
            rows_of(values, indicator_id)
            .group_by("series_variant")
            .agg((pl.col("period") <= "2015").any().alias("early"), (pl.col("period") == "2019").any().alias("late"))
        )
        assert span.filter(pl.col("early") & pl.col("late")).height == 0, (indicator_id, span)


# ---------------------------------------------------------------------------------------------------------------------
# EU-SILC
# ---------------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("series", SILC_SERIES, ids=lambda s: f"{s.indicator_id}-{s.breakdown or ''}")
def test_silc_values_and_flags_as_in_the_json_file(series, values: pl.DataFrame, raw_dir: Path) -> None:
    """Every EU-SILC value of the series' breakdown, with its source flags (b, u, ...) in obs_status; recomputed
    from the JSON-stat file with json, not the project's reader."""
    expected = {}
    for cell in jsonstat_cells(SOURCE_BY_NAME[series.dataset].path(raw_dir)):
        codes = cell["codes"]
        if silc_breakdown(codes) != series.dimension_codes or codes.get("unit") != series.unit_code:
            continue
        if cell["value"] is None:
            continue
        flags = "".join(sorted(set(cell["status"]))) or None
        expected[(codes["geo"], codes["time"])] = (float(cell["value"]), flags)
    assert expected
    got = {
        (r["geo_code"], r["period"]): (r["value"], r["obs_status"])
        for r in values.filter(
            (pl.col("indicator_id") == series.indicator_id) & (pl.col("breakdown").eq_missing(series.breakdown))
        ).iter_rows(named=True)
    }
    assert got == expected


def test_silc_flags_are_carried(values: pl.DataFrame) -> None:
    silc = values.filter(pl.col("source_dataset") != QOL)
    flags = set(silc["obs_status"].drop_nulls())
    assert {"b", "u"} <= flags
    assert silc.filter(pl.col("obs_status") == "bu").height > 0


def test_silc_ratings_have_no_interval(values: pl.DataFrame) -> None:
    ratings = values.filter(pl.col("indicator_id").is_in(list(RATINGS)))
    assert set(ratings["indicator_id"]) == RATINGS
    assert (
        ratings.select(pl.col("ci_low", "ci_high", "ci_method", "denominator").null_count()).row(0)
        == (ratings.height,) * 4
    )
    assert all(CATALOGUE_BY_ID[i].ci_method is None for i in RATINGS)


def test_silc_values_are_countries_only(values: pl.DataFrame) -> None:
    silc = values.filter(pl.col("source_dataset") != QOL)
    assert set(silc["geo_level"]) == {"NUTS0"}
    assert silc.filter(pl.col("geo_code").str.contains(r"^(EU|EA)|_")).height == 0
    qol = values.filter(pl.col("source_dataset") == QOL)
    assert set(qol["geo_level"]) == {"CITY"}


def test_crafted_silc_aggregates_are_not_countries_and_flags_travel() -> None:
    cvv = next(s for s in SILC_SERIES if s.indicator_id == "SAF_CVV_AREA")
    trust = next(s for s in SILC_SERIES if s.indicator_id == "COH_TRUST_OTHERS_NAT")
    obs = crafted_observations(
        [
            silc_cell(cvv, "BE", "2015", 15.0, obs_status="b"),
            silc_cell(cvv, "DE", "2015", 20.0, obs_status="u"),
            silc_cell(cvv, "FR", "2015", 18.0, obs_status="ub"),
            silc_cell(cvv, "EU27_2020", "2015", 17.0),
            silc_cell(cvv, "EA19", "2015", 17.5),
            silc_cell(cvv, "EU28", "2015", 17.2, obs_status="e"),
            silc_cell(cvv, "PL", "2015", 9.0, conf_status="C"),
            silc_cell(cvv, "IT", "2015", None, obs_status="u"),
            silc_cell(trust, "BE", "2013", 6.1, obs_status="u"),
            silc_cell(trust, "EU27_2020", "2013", 5.8),
        ]
    )
    values, dropped = survey_indicators(obs, load_sample_sizes())
    got = {(r["indicator_id"], r["geo_code"]): r for r in values.iter_rows(named=True)}
    assert set(got) == {
        ("SAF_CVV_AREA", "BE"),
        ("SAF_CVV_AREA", "DE"),
        ("SAF_CVV_AREA", "FR"),
        ("COH_TRUST_OTHERS_NAT", "BE"),
    }
    assert got[("SAF_CVV_AREA", "BE")]["obs_status"] == "b"
    assert got[("SAF_CVV_AREA", "DE")]["obs_status"] == "u"
    assert got[("SAF_CVV_AREA", "FR")]["obs_status"] == "bu"
    assert got[("COH_TRUST_OTHERS_NAT", "BE")]["obs_status"] == "u"
    assert got[("COH_TRUST_OTHERS_NAT", "BE")]["ci_method"] is None
    assert got[("SAF_CVV_AREA", "BE")]["sample_size"] == sample_size_lookup()[("eu_silc_households", "*", "BE")]
    assert got[("SAF_CVV_AREA", "DE")]["sample_size"] == sample_size_lookup()[("eu_silc_households", "*", "DE")]
    # u (low reliability): the interval is withheld, the b-only value keeps it.
    assert got[("SAF_CVV_AREA", "BE")]["ci_method"] == "wilson_approx_n"
    for key in (("SAF_CVV_AREA", "DE"), ("SAF_CVV_AREA", "FR")):
        assert (got[key]["ci_low"], got[key]["ci_high"], got[key]["ci_method"]) == (None, None, None)
        assert got[key]["note"].endswith("interval withheld: the source flags the value u (low reliability)")
    reasons = {(r["indicator_id"], r["reason"]): r["rows"] for r in dropped.iter_rows(named=True)}
    assert reasons == {
        ("SAF_CVV_AREA", "aggregate_or_other_territory"): 3,
        ("SAF_CVV_AREA", "confidential"): 1,
        ("SAF_CVV_AREA", "missing_in_source"): 1,
        ("COH_TRUST_OTHERS_NAT", "aggregate_or_other_territory"): 1,
    }


def test_crafted_silc_other_breakdowns_and_units_are_not_read() -> None:
    cvv = next(s for s in SILC_SERIES if s.indicator_id == "SAF_CVV_AREA")
    obs = crafted_observations(
        [
            silc_cell(cvv, "BE", "2015", 15.0),
            {**silc_cell(cvv, "DE", "2015", 20.0), "hhtyp": "A1"},
            {**silc_cell(cvv, "FR", "2015", 18.0), "unit": "THS_PER"},
        ]
    )
    values, _ = survey_indicators(obs, load_sample_sizes())
    assert values.select("indicator_id", "geo_code").rows() == [("SAF_CVV_AREA", "BE")]


# ---------------------------------------------------------------------------------------------------------------------
# Crafted urb_percep frames: missing is never zero
# ---------------------------------------------------------------------------------------------------------------------


def test_crafted_missing_answer_and_absent_city() -> None:
    obs = crafted_observations(
        [
            # complete: 13 + 46
            qol_cell("PS3290V", "BE001C", "2015", 13.0),
            qol_cell("PS3291V", "BE001C", "2015", 46.0),
            # one of two answers ':' -> no value, answer_share_missing
            qol_cell("PS3290V", "AT001C", "2015", 30.0),
            qol_cell("PS3291V", "AT001C", "2015", None),
            # the second answer's row absent from the file -> also incomplete
            qol_cell("PS3290V", "AT002C", "2015", 25.0),
            # city in the file but not in this wave: every answer ':' (flag u as in the real file)
            qol_cell("PS3290V", "DE001C", "2015", None, flags="u"),
            qol_cell("PS3291V", "DE001C", "2015", None),
            # a real zero is a value
            qol_cell("PS3290V", "CZ001C", "2015", 0.0),
            qol_cell("PS3291V", "CZ001C", "2015", 0.0),
        ]
    )
    values, dropped = survey_indicators(obs, load_sample_sizes())
    safe = values.filter(pl.col("indicator_id") == "SAF_SAFE_CITY")
    got = {r["geo_code"]: r["value"] for r in safe.iter_rows(named=True)}
    assert got == {"BE001C": 59.0, "CZ001C": 0.0}
    assert set(safe["series_variant"]) == {"feel_safe_in_city_2012_2015"}
    reasons = {
        r["reason"]: r["rows"] for r in dropped.filter(pl.col("indicator_id") == "SAF_SAFE_CITY").iter_rows(named=True)
    }
    assert reasons == {"answer_share_missing": 2, "not_in_wave": 1}
    zero = safe.filter(pl.col("geo_code") == "CZ001C").row(0, named=True)
    assert zero["ci_low"] == pytest.approx(0.0, abs=1e-12) and zero["ci_high"] > 0


def test_crafted_rounding_slack_and_out_of_range() -> None:
    obs = crafted_observations(
        [
            qol_cell("PS3290V", "BE001C", "2015", 60.05),  # 100.1: rounding of two published shares
            qol_cell("PS3291V", "BE001C", "2015", 40.05),
            qol_cell("PS3290V", "AT001C", "2015", 70.0),  # 110: not a share
            qol_cell("PS3291V", "AT001C", "2015", 40.0),
        ]
    )
    values, dropped = survey_indicators(obs, load_sample_sizes())
    safe = values.filter(pl.col("indicator_id") == "SAF_SAFE_CITY")
    assert safe.select("geo_code", "value").rows() == [("BE001C", 100.0)]
    assert ("SAF_SAFE_CITY", "share_out_of_range", 1) in dropped.select("indicator_id", "reason", "rows").rows()


def test_crafted_flags_of_the_answers_are_merged() -> None:
    obs = crafted_observations(
        [
            qol_cell("PS3290V", "LV002C", "2015", 24.3, flags="e"),
            qol_cell("PS3291V", "LV002C", "2015", 58.0, flags="d"),
        ]
    )
    values, _ = survey_indicators(obs, load_sample_sizes())
    row = values.filter(pl.col("indicator_id") == "SAF_SAFE_CITY").row(0, named=True)
    assert row["obs_status"] == "de"
    assert row["value"] == pytest.approx(82.3)


def test_crafted_wording_break_goes_to_separate_variants() -> None:
    obs = crafted_observations(
        [
            qol_cell("PS3290V", "BE001C", "2015", 13.0),
            qol_cell("PS3291V", "BE001C", "2015", 46.0),
            qol_cell("PS3514V", "BE001C", "2019", 14.7),
            qol_cell("PS3515V", "BE001C", "2019", 43.2),
            # the old question in a 2019 column (not asked then) would stay in the old variant
            qol_cell("PS3290V", "BE001C", "2019", None),
            qol_cell("PS3291V", "BE001C", "2019", None),
        ]
    )
    values, _ = survey_indicators(obs, load_sample_sizes())
    got = {
        (r["period"], r["series_variant"]): r["value"]
        for r in values.filter(pl.col("indicator_id") == "SAF_SAFE_CITY").iter_rows(named=True)
    }
    assert got == pytest.approx(
        {
            ("2015", "feel_safe_in_city_2012_2015"): 59.0,
            ("2019", "safe_walking_alone_at_night_city_2019"): 57.9,
        }
    )


def test_crafted_sample_size_precedence_and_undocumented_wave() -> None:
    """The most specific documented size wins: (wave, city) > (wave, any) > (any wave, city) > (any, any); a wave
    with no documented size gets no interval and no denominator."""
    sizes = pl.DataFrame(
        {
            "survey": [QOL] * 4,
            "wave": ["2015", "2015", "*", "*"],
            "geo": ["BE001C", "*", "AT001C", "*"],
            "sample_size": [800, 500, 650, 999],
            "sample_kind": ["k"] * 4,
            "design_effect": [None] * 4,
            "source": ["S1: detail", "S2", "S3", "S4"],
        },
        schema_overrides={"sample_size": pl.Int64, "design_effect": pl.Float64},
    )
    obs = crafted_observations(
        [
            qol_cell(code, city, period, share)
            for city in ("BE001C", "AT001C")
            for period in ("2015", "2012")
            for code, share in (("PS3290V", 20.0), ("PS3291V", 40.0))
        ]
    )
    values, _ = survey_indicators(obs, sizes)
    got = {
        (r["geo_code"], r["period"]): (r["sample_size"], r["note"])
        for r in values.filter(pl.col("indicator_id") == "SAF_SAFE_CITY").iter_rows(named=True)
    }
    assert got[("BE001C", "2015")][0] == 800 and got[("BE001C", "2015")][1].endswith("source: S1")
    assert got[("AT001C", "2015")][0] == 500
    assert got[("AT001C", "2012")][0] == 650
    assert got[("BE001C", "2012")][0] == 999
    assert len(values.filter(pl.col("indicator_id") == "SAF_SAFE_CITY")) == 4  # no row multiplied by the lookup

    undocumented, _ = survey_indicators(obs, load_sample_sizes().filter(pl.col("wave") != "2012"))
    safe = undocumented.filter(pl.col("indicator_id") == "SAF_SAFE_CITY")
    for r in safe.iter_rows(named=True):
        if r["period"] == "2012":
            assert (r["ci_low"], r["ci_high"], r["ci_method"], r["sample_size"]) == (None, None, None, None)
            assert "n~" not in r["note"]
        else:
            assert r["ci_method"] == "wilson_approx_n" and r["sample_size"] == 500


# ---------------------------------------------------------------------------------------------------------------------
# CTX_POP
# ---------------------------------------------------------------------------------------------------------------------


def test_ctx_pop_is_the_population_of_countries_and_regions(ctx_pop: pl.DataFrame, population: pl.DataFrame) -> None:
    assert ctx_pop.height > 0
    assert set(ctx_pop["geo_level"]) <= {"NUTS0", "NUTS1", "NUTS2", "NUTS3"}
    assert {"NUTS0", "NUTS3"} <= set(ctx_pop["geo_level"])
    assert ctx_pop.filter(pl.col("value") < 0).height == 0
    assert ctx_pop.filter(pl.col("geo_code").str.contains(r"^(EU|EA)|^[A-Z]{2}[A-Z0-9]*Z$|-")).height == 0
    pop = {(r["geo"], r["period"]): r["population"] for r in population.iter_rows(named=True)}
    for r in ctx_pop.iter_rows(named=True):
        assert pop[(r["geo_code"], r["period"])] == r["value"] == r["numerator"]
        assert r["ci_method"] is None and r["denominator"] is None
        assert r["unit"] == CATALOGUE_BY_ID["CTX_POP"].unit


def test_ctx_pop_publishes_no_multi_country_aggregate(ctx_pop: pl.DataFrame) -> None:
    assert "EFTA" not in set(ctx_pop["geo_code"])
