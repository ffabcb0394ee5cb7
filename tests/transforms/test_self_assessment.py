"""Action 1 self-assessment: coverage, data maturity 0-4 and position among peers, on the real values (crime rates,
city homicide counts, survey values, CTX_POP) and on crafted frames for each rule."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import polars as pl
import pytest

from expectations.assessment import self_assessment_rules
from tests.transforms.survey_fixtures import (
    crafted_geographies,
    real_geographies,
    survey_values_of,
    value_row,
    values_frame,
)
from transforms.crime import city_homicide_counts
from transforms.self_assessment import DIMENSIONS, rankable, self_assessment
from transforms.survey import population_indicator
from warehouse.catalogue import CATALOGUE, CATALOGUE_BY_ID
from warehouse.metadata import SELF_ASSESSMENT

DIMENSION_CODES = ["D1", "D2", "D3", "D4", "D5", "D6"]
SIZE_UNITS = {"offences", "persons", "EUR (planned)"}


@pytest.fixture(scope="session")
def real_values(
    raw_dir: Path,
    observations: pl.DataFrame,
    population: pl.DataFrame,
    rates: tuple[pl.DataFrame, pl.DataFrame],
) -> pl.DataFrame:
    survey, _ = survey_values_of(raw_dir)
    city, _ = city_homicide_counts(observations)
    return pl.concat([rates[0], city, survey, population_indicator(population)])


@pytest.fixture(scope="session")
def real_geos(raw_dir: Path, real_values: pl.DataFrame) -> pl.DataFrame:
    return real_geographies(raw_dir, real_values["geo_code"])


@pytest.fixture(scope="session")
def assessment(real_values: pl.DataFrame, real_geos: pl.DataFrame) -> pl.DataFrame:
    return self_assessment(real_values, real_geos)


def cell(frame: pl.DataFrame, geo: str, dimension: str) -> dict:
    rows = frame.filter((pl.col("geo_code") == geo) & (pl.col("dimension_code") == dimension))
    assert rows.height == 1, (geo, dimension, rows.height)
    return rows.row(0, named=True)


def dims_of(indicator_id: str) -> set[str]:
    return set(re.findall(r"A1-(D[1-6])", CATALOGUE_BY_ID[indicator_id].dimension))


def assess(rows: list[dict]) -> pl.DataFrame:
    values = values_frame(rows)
    return self_assessment(values, crafted_geographies(values))


def hom(geo: str, year: int, count: float = 10.0, flags: str | None = None) -> dict:
    return value_row("SEC_HOM_COUNT_CITY", geo, str(year), count, obs_status=flags)


def rate(geo: str, year: str, value: float, iccs: str = "ICCS0101", comparability: str = "cross_country") -> dict:
    variant = "national_table" if len(geo) == 2 else "regional_table"
    return value_row(
        "SEC_RECORDED_RATE", geo, year, value, breakdown=iccs, series_variant=variant, comparability=comparability
    )


# ---------------------------------------------------------------------------------------------------------------------
# Shape, coverage and the rules on the real data
# ---------------------------------------------------------------------------------------------------------------------


def test_acceptance_one_row_per_geography_and_dimension(assessment: pl.DataFrame, real_geos: pl.DataFrame) -> None:
    assert assessment.schema == pl.Schema(SELF_ASSESSMENT.polars_schema)
    geos = real_geos.filter(pl.col("geo_level").is_in(["NUTS0", "NUTS1", "NUTS2", "NUTS3", "CITY"]))
    assert assessment.height == 6 * geos.height
    per_geo = assessment.group_by("geo_code").agg(pl.col("dimension_code").sort())
    assert set(per_geo["geo_code"]) == set(geos["geo_code"])
    assert all(d == DIMENSION_CODES for d in per_geo["dimension_code"].to_list())
    assert dict(assessment.select("dimension_code", "dimension").unique().iter_rows()) == DIMENSIONS
    level = dict(geos.select("geo_code", "geo_level").iter_rows())
    assert all(level[g] == lv for g, lv in assessment.select("geo_code", "geo_level").iter_rows())


def test_acceptance_rules_pass_on_the_real_output(assessment: pl.DataFrame) -> None:
    assert self_assessment_rules(assessment) == []


def test_rules_can_fail(assessment: pl.DataFrame) -> None:
    broken = pl.concat([assessment, assessment.head(1)])
    assert self_assessment_rules(broken)
    assert self_assessment_rules(assessment.with_columns(pl.lit(5, pl.Int32).alias("maturity")))
    assert self_assessment_rules(assessment.filter(pl.col("dimension_code") != "D3"))


def test_acceptance_coverage_recomputed(assessment: pl.DataFrame, real_values: pl.DataFrame) -> None:
    """coverage = indicators with a value at most 3 years older than the reference year / indicators of the
    dimension in the catalogue x 100, recomputed from the values and the catalogue's 'A1-Dn' tags."""
    in_dim = {d: sum(d in dims_of(i.indicator_id) for i in CATALOGUE) for d in DIMENSION_CODES}
    end_year = pl.col("period").str.extract(r"(\d{4})$", 1).cast(pl.Int32)
    reference = int(real_values.select(end_year.max()).item())
    assert set(assessment["reference_year"]) == {reference}
    recent: dict[tuple[str, str], set[str]] = {}
    for geo, indicator in (
        real_values.filter(end_year >= reference - 3).select("geo_code", "indicator_id").unique().iter_rows()
    ):
        for d in dims_of(indicator):
            recent.setdefault((geo, d), set()).add(indicator)
    for r in assessment.iter_rows(named=True):
        n = len(recent.get((r["geo_code"], r["dimension_code"]), set()))
        assert r["indicators_in_dimension"] == in_dim[r["dimension_code"]], r
        assert r["indicators_with_recent_value"] == n, r
        assert r["coverage"] == pytest.approx(100.0 * n / in_dim[r["dimension_code"]]), r
    assert assessment.filter(pl.col("coverage") > 0).height > 0


# ---------------------------------------------------------------------------------------------------------------------
# Maturity on real territories
# ---------------------------------------------------------------------------------------------------------------------


def test_acceptance_wien_annual_homicides_give_d5_maturity_4(
    assessment: pl.DataFrame, real_values: pl.DataFrame, bundled: bool
) -> None:
    if not bundled:
        pytest.skip("cities of the bundled release")
    years = real_values.filter((pl.col("indicator_id") == "SEC_HOM_COUNT_CITY") & (pl.col("geo_code") == "AT001C"))
    assert sorted(years["period"].to_list()) == [str(y) for y in range(2008, 2024)]
    row = cell(assessment, "AT001C", "D5")
    assert row["maturity"] == 4
    assert row["maturity_label"] == "city data, annual and trend-capable"
    assert row["maturity_basis"].startswith("SEC_HOM_COUNT_CITY")


def test_acceptance_every_city_with_a_3_year_homicide_run_has_d5_maturity_4(
    assessment: pl.DataFrame, real_values: pl.DataFrame
) -> None:
    hom_rows = real_values.filter(pl.col("indicator_id") == "SEC_HOM_COUNT_CITY")
    runs = set()
    for (geo,), frame in hom_rows.partition_by("geo_code", as_dict=True).items():
        years = sorted(int(p) for p in frame["period"])
        flags = dict(zip(frame["period"].cast(pl.Int32), frame["obs_status"], strict=True))
        run = 0
        for i, y in enumerate(years):
            run = 1 if i == 0 or y != years[i - 1] + 1 or "b" in (flags[y] or "") else run + 1
            if run >= 3:
                runs.add(geo)
    assert runs
    d5 = assessment.filter((pl.col("dimension_code") == "D5") & (pl.col("geo_level") == "CITY"))
    assert set(d5.filter(pl.col("maturity") == 4)["geo_code"]) == runs


def test_acceptance_survey_city_without_city_crime_has_d5_maturity_1(
    assessment: pl.DataFrame, real_values: pl.DataFrame, bundled: bool
) -> None:
    """In the survey but not in crim_hom_ocit: D5 falls back to its country's national recorded crime."""
    survey_cities = set(real_values.filter(pl.col("source_dataset") == "urb_percep")["geo_code"])
    hom_cities = set(real_values.filter(pl.col("indicator_id") == "SEC_HOM_COUNT_CITY")["geo_code"])
    national_d5 = set(
        real_values.filter((pl.col("geo_level") == "NUTS0") & pl.col("indicator_id").is_in(["SEC_RECORDED_RATE"]))[
            "geo_code"
        ]
    )
    candidates = sorted(c for c in survey_cities - hom_cities if c[:2] in national_d5)
    assert candidates, "no survey city outside crim_hom_ocit with national crime data"
    for geo in candidates:
        row = cell(assessment, geo, "D5")
        assert row["maturity"] == 1, row
        assert row["maturity_label"] == "national data only"
        assert row["maturity_basis"] == "SEC_RECORDED_RATE (level 1)"
    if bundled:
        assert "AT002C" in candidates  # Graz: in the survey, not in crim_hom_ocit
    # a survey city whose country has no national crime value at all has none
    for geo in sorted(survey_cities - hom_cities - set(candidates)):
        assert cell(assessment, geo, "D5")["maturity"] == 0


def test_acceptance_survey_cities_have_d4_maturity_3(assessment: pl.DataFrame, real_values: pl.DataFrame) -> None:
    """Survey waves every 3-4 years: city data, irregular."""
    d4_ids = [i.indicator_id for i in CATALOGUE if "D4" in dims_of(i.indicator_id)]
    cities = set(real_values.filter(pl.col("indicator_id").is_in(d4_ids) & (pl.col("geo_level") == "CITY"))["geo_code"])
    assert len(cities) > 50
    d4 = assessment.filter((pl.col("dimension_code") == "D4") & pl.col("geo_code").is_in(list(cities)))
    assert d4.height == len(cities)
    assert set(d4["maturity"]) == {3}
    assert set(d4["maturity_label"]) == {"city data, irregular"}


def test_acceptance_countries_with_crime_data_have_d5_at_least_2(
    assessment: pl.DataFrame, real_values: pl.DataFrame, bundled: bool
) -> None:
    crime = real_values.filter(
        ((pl.col("indicator_id") == "SEC_RECORDED_RATE") & pl.col("geo_level").is_in(["NUTS2", "NUTS3"]))
        | (pl.col("indicator_id") == "SEC_HOM_COUNT_CITY")
    )
    countries = set(crime["geo_code"].str.slice(0, 2))
    assert len(countries) > 25
    d5 = assessment.filter((pl.col("geo_level") == "NUTS0") & (pl.col("dimension_code") == "D5"))
    got = dict(d5.select("geo_code", "maturity").iter_rows())
    assert {c: got[c] for c in countries if got[c] < 2} == {}
    with_city = set(real_values.filter(pl.col("indicator_id") == "SEC_HOM_COUNT_CITY")["geo_code"].str.slice(0, 2))
    assert {c: got[c] for c in countries - with_city if got[c] != 2} == {}  # regional only: exactly 2
    if bundled:
        assert got["AT"] == 4 and got["SE"] == 2 and got["IE"] == 2


def test_acceptance_nuts3_with_crime_rates_have_d5_maturity_2(
    assessment: pl.DataFrame, real_values: pl.DataFrame
) -> None:
    regions = set(
        real_values.filter((pl.col("indicator_id") == "SEC_RECORDED_RATE") & (pl.col("geo_level") == "NUTS3"))[
            "geo_code"
        ]
    )
    assert len(regions) > 1000
    d5 = assessment.filter((pl.col("dimension_code") == "D5") & pl.col("geo_code").is_in(list(regions)))
    assert d5.height == len(regions)
    assert set(d5["maturity"]) == {2}
    assert set(d5["maturity_label"]) == {"regional data (NUTS 1-3)"}


def test_acceptance_maturity_labels_and_range(assessment: pl.DataFrame) -> None:
    labels = dict(assessment.select("maturity", "maturity_label").unique().iter_rows())
    assert labels == {
        0: "no data",
        1: "national data only",
        2: "regional data (NUTS 1-3)",
        3: "city data, irregular",
        4: "city data, annual and trend-capable",
    }
    zero = assessment.filter(pl.col("maturity") == 0)
    assert set(zero["maturity_basis"]) == {"no value for this territory or its country"}


def test_real_nuts1_region_with_its_own_crime_values_is_not_no_data(
    assessment: pl.DataFrame, real_values: pl.DataFrame
) -> None:
    nuts1 = set(
        real_values.filter((pl.col("indicator_id") == "SEC_RECORDED_RATE") & (pl.col("geo_level") == "NUTS1"))[
            "geo_code"
        ]
    )
    d5 = assessment.filter((pl.col("dimension_code") == "D5") & pl.col("geo_code").is_in(list(nuts1)))
    assert d5.filter(pl.col("maturity") == 0)["geo_code"].to_list() == []


# ---------------------------------------------------------------------------------------------------------------------
# Maturity on crafted frames
# ---------------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("years", "flags", "expected"),
    [
        ([2020, 2021], {}, 3),  # two consecutive years only
        ([2019, 2020, 2021], {}, 4),
        ([2019, 2020, 2021], {2020: "b"}, 3),  # a break inside the 3-year run
        ([2019, 2020, 2021], {2021: "bp"}, 3),
        ([2019, 2020, 2021, 2022], {2021: "b"}, 3),  # 2 + 2 around the break
        ([2019, 2020, 2021], {2019: "b"}, 4),  # a break at the start opens the run
        ([2019, 2020, 2022], {}, 3),  # a gap year
        ([2010, 2011, 2013, 2014, 2015], {}, 4),  # the run after the gap
        ([2021], {}, 3),
    ],
)
def test_crafted_city_maturity(years: list[int], flags: dict[int, str], expected: int) -> None:
    out = assess([hom("AT001C", y, flags=flags.get(y)) for y in years])
    assert cell(out, "AT001C", "D5")["maturity"] == expected
    assert cell(out, "AT", "D5")["maturity"] == expected  # the country is judged on its cities too


def test_crafted_series_do_not_combine_into_a_run() -> None:
    """Three years, but from two series_variants / breakdowns: not one trend-capable series."""
    rows = [
        value_row("SAF_SAFE_CITY", "AT001C", "2019", 50.0, series_variant="a"),
        value_row("SAF_SAFE_CITY", "AT001C", "2020", 50.0, series_variant="a"),
        value_row("SAF_SAFE_CITY", "AT001C", "2021", 50.0, series_variant="b"),
    ]
    assert cell(assess(rows), "AT001C", "D4")["maturity"] == 3


def test_crafted_levels_1_and_2() -> None:
    rows = [rate("DE", "2020", 1.0), rate("DE111", "2020", 2.0), rate("FR", "2020", 1.5)]
    rows += [value_row("SAF_SAFE_CITY", "FR001C", "2019", 60.0)]
    out = assess(rows)
    assert cell(out, "DE111", "D5")["maturity"] == 2
    assert cell(out, "DE11", "D5")["maturity"] == 2  # the region inside it has data
    assert cell(out, "DE1", "D5")["maturity"] == 2
    assert cell(out, "DE", "D5")["maturity"] == 2
    assert cell(out, "FR", "D5")["maturity"] == 1
    assert cell(out, "FR001C", "D5")["maturity"] == 1  # no city crime: the country's national data
    assert cell(out, "FR001C", "D4")["maturity"] == 3
    assert cell(out, "FR", "D4")["maturity"] == 3
    assert cell(out, "DE111", "D4")["maturity"] == 0
    assert cell(out, "DE111", "D1")["maturity_basis"] == "no value for this territory or its country"


def test_crafted_coverage() -> None:
    rows = [
        value_row("SAF_SAFE_CITY", "AT001C", "2023", 60.0),
        value_row("SAF_SAFE_NBH", "AT001C", "2019", 60.0),  # 5 years older than the reference year: not recent
        value_row("SAF_UNSAFE_NIGHT_NBH", "AT001C", "2021", 10.0),
        hom("AT001C", 2024),
    ]
    out = assess(rows)
    d4 = cell(out, "AT001C", "D4")
    n_d4 = sum("D4" in dims_of(i.indicator_id) for i in CATALOGUE)
    assert d4["reference_year"] == 2024
    assert d4["indicators_in_dimension"] == n_d4
    assert d4["indicators_with_recent_value"] == 2
    assert d4["coverage"] == pytest.approx(200.0 / n_d4)
    assert cell(out, "AT001C", "D5")["coverage"] == pytest.approx(
        100.0 / sum("D5" in dims_of(i.indicator_id) for i in CATALOGUE)
    )
    assert cell(out, "AT", "D4")["coverage"] == 0.0  # coverage counts the territory's own values only


# ---------------------------------------------------------------------------------------------------------------------
# Position
# ---------------------------------------------------------------------------------------------------------------------


def test_rankable_indicators_of_the_catalogue() -> None:
    """direction + or -, levels comparable (cross_country / within_country), not a size (offences, persons)."""
    expected = {
        i.indicator_id
        for i in CATALOGUE
        if i.direction in {"+", "-"}
        and i.unit not in SIZE_UNITS
        and i.comparability.split()[0] in {"cross_country", "within_country"}
    }
    assert {i.indicator_id for i in CATALOGUE if rankable(i)} == expected
    for never in ("SEC_HOM_COUNT_CITY", "CTX_POP", "SAF_URBAN_SAFETY_PRIORITY", "PP_BALANCE"):
        assert not rankable(CATALOGUE_BY_ID[never])
    for always in ("SEC_RECORDED_RATE", "SAF_SAFE_CITY", "SAF_CVV_AREA"):
        assert rankable(CATALOGUE_BY_ID[always])


def test_rankable_refuses_trend_only_comparability() -> None:
    trend_only = dataclasses.replace(CATALOGUE_BY_ID["SAF_SAFE_CITY"], comparability="trend_within_country")
    assert not rankable(trend_only)


def test_crafted_position_percentile_orientation() -> None:
    """Direction '-': the lowest rate gets the highest percentile; direction '+': the highest share does."""
    rows = [rate("DE111", "2020", 1.0), rate("DE112", "2020", 2.0), rate("DE113", "2020", 3.0)]
    rows += [
        value_row("SAF_SAFE_CITY", c, "2019", v) for c, v in (("DE001C", 80.0), ("DE002C", 60.0), ("DE003C", 40.0))
    ]
    out = assess(rows)
    third = 100.0 / 3
    assert cell(out, "DE111", "D5")["position"] == pytest.approx(100 - third / 2)
    assert cell(out, "DE112", "D5")["position"] == pytest.approx(50.0)
    assert cell(out, "DE113", "D5")["position"] == pytest.approx(third / 2)
    assert cell(out, "DE001C", "D4")["position"] == pytest.approx(100 - third / 2)
    assert cell(out, "DE003C", "D4")["position"] == pytest.approx(third / 2)
    assert cell(out, "DE111", "D5")["position_indicators"] == 1
    assert cell(out, "DE111", "D5")["position_basis"] == "SEC_RECORDED_RATE (3 peers, 2020)"


def test_crafted_recorded_crime_is_ranked_within_each_country() -> None:
    """Regions of two countries: each country's regions are ranked among themselves, never pooled."""
    de = [rate(g, "2020", v) for g, v in (("DE111", 1.0), ("DE112", 2.0), ("DE113", 3.0))]
    fr = [rate(g, "2020", v) for g, v in (("FR101", 10.0), ("FR102", 20.0), ("FR103", 30.0))]
    out = assess(de + fr)
    for best, worst in (("DE111", "DE113"), ("FR101", "FR103")):
        assert cell(out, best, "D5")["position"] == pytest.approx(100 - 100 / 6)
        assert cell(out, worst, "D5")["position"] == pytest.approx(100 / 6)
        assert cell(out, best, "D5")["position_basis"] == "SEC_RECORDED_RATE (3 peers, 2020)"
    # cities are peers of cities, countries of nobody: never mixed with the regions
    assert cell(out, "DE11", "D5")["position"] is None


def test_crafted_fewer_than_three_peers_gives_no_position() -> None:
    out = assess([rate("DE111", "2020", 1.0), rate("DE112", "2020", 2.0), rate("FR101", "2020", 3.0)])
    for geo in ("DE111", "DE112", "FR101"):
        row = cell(out, geo, "D5")
        assert row["position"] is None and row["position_indicators"] == 0 and row["position_basis"] is None


def test_crafted_only_the_latest_period_is_ranked() -> None:
    rows = [rate(g, "2019", v) for g, v in (("DE111", 3.0), ("DE112", 2.0), ("DE113", 1.0))]
    rows += [rate(g, "2020", v) for g, v in (("DE111", 1.0), ("DE112", 2.0), ("DE113", 3.0))]
    out = assess(rows)
    assert cell(out, "DE111", "D5")["position"] == pytest.approx(100 - 100 / 6)
    assert cell(out, "DE111", "D5")["position_basis"] == "SEC_RECORDED_RATE (3 peers, 2020)"


def test_crafted_non_rankable_indicators_give_no_position() -> None:
    rows = []
    for city, v in (("DE001C", 1.0), ("DE002C", 2.0), ("DE003C", 3.0)):
        rows.append(hom(city, 2020, v))  # a count ('offences'): ranks places by size
        rows.append(value_row("SAF_URBAN_SAFETY_PRIORITY", city, "2015", v))  # direction ctx
    for region, v in (("DE111", 1e5), ("DE112", 2e5), ("DE113", 3e5)):
        rows.append(value_row("CTX_POP", region, "2020", v))  # 'persons', ctx
    out = assess(rows)
    assert out.filter(pl.col("position").is_not_null()).height == 0
    assert set(out["position_indicators"]) == {0}


def test_crafted_breakdowns_count_once_per_indicator() -> None:
    rows = [rate(g, "2020", v, "ICCS0101") for g, v in (("DE111", 1.0), ("DE112", 2.0), ("DE113", 3.0))]
    rows += [
        rate(g, "2020", v, "ICCS0401", "within_country") for g, v in (("DE111", 3.0), ("DE112", 2.0), ("DE113", 1.0))
    ]
    out = assess(rows)
    row = cell(out, "DE111", "D5")
    assert row["position_indicators"] == 1
    assert row["position"] == pytest.approx(50.0)  # mean of the best and the worst percentile


def test_crafted_two_dimension_indicator_with_two_peers_gives_no_position() -> None:
    assert dims_of("CTX_POVERTY_PROBLEM") == {"D1", "D6"}
    out = assess([value_row("CTX_POVERTY_PROBLEM", c, "2009", v) for c, v in (("AT001C", 30.0), ("AT002C", 40.0))])
    assert out.filter(pl.col("position").is_not_null()).height == 0


def test_crafted_trend_only_rows_are_not_ranked() -> None:
    rows = [
        rate(g, "2020", v, "ICCS02011", "trend_within_country")
        for g, v in (("DE111", 1.0), ("DE112", 2.0), ("DE113", 3.0))
    ]
    out = assess(rows)
    assert out.filter(pl.col("position").is_not_null()).height == 0


def test_acceptance_real_positions_use_rankable_indicators_and_enough_peers(assessment: pl.DataFrame) -> None:
    ranked = assessment.filter(pl.col("position").is_not_null())
    assert ranked.height > 1000
    for r in ranked.iter_rows(named=True):
        assert 0 <= r["position"] <= 100
        parts = r["position_basis"].split("; ")
        assert len(parts) == r["position_indicators"] >= 1
        for part in parts:
            m = re.fullmatch(r"(\w+) \((\d+) peers, (\S+)\)", part)
            assert m, part
            assert rankable(CATALOGUE_BY_ID[m.group(1)]), part
            assert r["dimension_code"] in dims_of(m.group(1))
            assert int(m.group(2)) >= 3, part


def test_acceptance_real_recorded_crime_peers_never_exceed_the_country(
    assessment: pl.DataFrame, real_values: pl.DataFrame
) -> None:
    """Recorded crime is ranked among regions of one country: no region has more peers than its country has
    regions of that level with recorded-crime values."""
    per_country = (
        real_values.filter(pl.col("indicator_id") == "SEC_RECORDED_RATE")
        .select("geo_code", "geo_level")
        .unique()
        .group_by(pl.col("geo_code").str.slice(0, 2).alias("country"), "geo_level")
        .len()
    )
    limit = {(c, lv): n for c, lv, n in per_country.iter_rows()}
    d5 = assessment.filter((pl.col("dimension_code") == "D5") & pl.col("position").is_not_null())
    assert d5.filter(pl.col("geo_level") == "NUTS3").height > 500
    for r in d5.iter_rows(named=True):
        m = re.search(r"SEC_RECORDED_RATE \((\d+) peers", r["position_basis"])
        assert m, r
        assert int(m.group(1)) <= limit[(r["geo_code"][:2], r["geo_level"])], r
    assert d5.filter(pl.col("geo_level") == "CITY").height == 0  # city homicide counts are never ranked


def test_real_austrian_cities_have_too_few_peers_for_a_d1_position(
    assessment: pl.DataFrame, real_values: pl.DataFrame, bundled: bool
) -> None:
    if not bundled:
        pytest.skip("figures of the bundled release")
    d1_ids = [i.indicator_id for i in CATALOGUE if "D1" in dims_of(i.indicator_id)]
    at = real_values.filter(pl.col("indicator_id").is_in(d1_ids) & (pl.col("geo_code").str.starts_with("AT")))
    assert set(at["geo_code"]) == {"AT001C", "AT002C"}
    assert cell(assessment, "AT001C", "D1")["position"] is None
