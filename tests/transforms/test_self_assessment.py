"""Action 1 self-assessment: coverage of current data, maturity 0-4 and the position band among peers. Each rule on
crafted frames at its edges, then the acceptance points on the published tables of the real data."""

from __future__ import annotations

import polars as pl
import pytest

from expectations.assessment import self_assessment_positions_rules, self_assessment_rules
from tests.transforms.survey_fixtures import crafted_geographies, value_row, values_frame
from transforms.self_assessment import (
    DIMENSIONS,
    MATURITY_LABELS,
    MIN_EVENTS,
    rankable,
    self_assessment,
    self_assessment_positions,
    with_currency,
)
from warehouse.catalogue import CATALOGUE_BY_ID
from warehouse.db import connect

RATE_UNIT = "per 100000 inhabitants"


def geos_for(values: pl.DataFrame, links: dict[str, tuple[str | None, str | None, str | None]]) -> pl.DataFrame:
    """Crafted geographies with the city links of published.geographies: {city: (nuts3, match, size class)}."""
    codes = pl.concat(
        [values.select("geo_code"), pl.DataFrame({"geo_code": list(links)}, schema={"geo_code": pl.String})]
    )
    geos = crafted_geographies(codes)
    extra = pl.DataFrame(
        [(g, *link) for g, link in links.items()],
        schema={"geo_code": pl.String, "nuts3_code": pl.String, "territory_match": pl.String, "size_class": pl.String},
        orient="row",
    )
    linked = geos.drop("nuts3_code", "territory_match", "size_class").join(extra, on="geo_code", how="left")
    return linked.select(geos.columns)


def assess(rows: list[dict], links: dict | None = None) -> tuple[pl.DataFrame, pl.DataFrame]:
    values = values_frame(rows)
    geos = geos_for(values, links or {})
    positions = self_assessment_positions(values, geos)
    return self_assessment(values, geos, positions), positions


def cell(frame: pl.DataFrame, geo: str, dimension: str) -> dict:
    rows = frame.filter((pl.col("geo_code") == geo) & (pl.col("dimension_code") == dimension))
    assert rows.height == 1, (geo, dimension, rows.height)
    return rows.row(0, named=True)


def rate(geo: str, year: int, count: float, *, iccs: str = "ICCS0401", flags: str | None = None, **kw) -> dict:
    """A recorded-offence rate on a population of 100,000 with exact Poisson limits (approximate here)."""
    value = count  # per 100,000 on a population of 100,000
    spread = 2.0 * count**0.5 + 1.0
    return value_row(
        "SEC_RECORDED_RATE",
        geo,
        str(year),
        value,
        breakdown=iccs,
        series_variant="national_table" if len(geo) == 2 else "regional_table",
        comparability="within_country",
        numerator=count,
        denominator=100_000.0,
        ci=(max(value - spread, 0.0), value + spread),
        ci_method="poisson_exact",
        obs_status=flags,
        unit=RATE_UNIT,
        **kw,
    )


def share(indicator_id: str, geo: str, year: str, value: float, variant: str, half: float = 3.0, **kw) -> dict:
    return value_row(
        indicator_id,
        geo,
        year,
        value,
        series_variant=variant,
        ci=(value - half, value + half),
        sample_size=700.0,
        unit="% of respondents",
        **kw,
    )


NIGHT = "safe_walking_alone_at_night_city_2019"


# ------------------------------------------------------------------------------------------------ coverage


def test_current_means_the_latest_release_or_within_the_source_cycle() -> None:
    values = values_frame(
        [
            share("SAF_SAFE_CITY", "AT001C", "2019", 70.0, NIGHT),
            share("SAF_SAFE_CITY", "AT002C", "2015", 70.0, "feel_safe_in_city_2012_2015"),
            rate("AT11", 2023, 100),
            rate("AT12", 2022, 100),
            rate("AT13", 2021, 100),
        ]
    ).with_columns(
        pl.when(pl.col("indicator_id") == "SAF_SAFE_CITY")
        .then(pl.lit("urb_percep"))
        .otherwise(pl.lit("crim_gen_reg / demo_r_pjanaggr3"))
        .alias("source_dataset")
    )
    current = dict(with_currency(values).select("geo_code", "current").iter_rows())
    # survey waves every few years: only the latest wave is current
    assert current["AT001C"] and not current["AT002C"]
    # an annual table: its latest year and the year before are current, two years back is not
    assert current["AT11"] and current["AT12"] and not current["AT13"]


def test_coverage_counts_current_indicators_and_lists_the_latest_year_of_each() -> None:
    frame, _ = assess(
        [
            share("SAF_SAFE_CITY", "AT001C", "2019", 70.0, NIGHT),
            share("SAF_SAFE_NBH", "AT001C", "2015", 80.0, "feel_safe_in_neighbourhood_2012_2015"),
            share("SAF_SAFE_NBH", "AT002C", "2019", 80.0, "safe_walking_alone_at_night_neighbourhood_2019"),
        ]
    )
    row = cell(frame, "AT001C", "D4")
    assert row["indicators_with_recent_value"] == 1  # the 2015 wave is not current once 2019 exists
    assert row["coverage"] == pytest.approx(100.0 / row["indicators_in_dimension"])
    assert "SAF_SAFE_CITY 2019" in row["latest_years"]
    assert "SAF_SAFE_NBH 2015 (not current)" in row["latest_years"]
    assert "SAF_CVV_AREA none" in row["latest_years"]


def test_a_city_that_is_its_nuts3_region_counts_the_regions_values() -> None:
    rows = [rate("DEA23", y, 900) for y in (2021, 2022, 2023)] + [rate("DEA24", 2023, 50)]
    frame, _ = assess(rows, {"DE004C": ("DEA23", "same_territory", "XL")})
    koeln = cell(frame, "DE004C", "D5")
    assert koeln["indicators_with_recent_value"] == 1
    assert koeln["maturity"] == 4
    assert koeln["maturity_basis"] == "level 4: SEC_RECORDED_RATE 2021-2023"


# ------------------------------------------------------------------------------------------------ maturity


@pytest.mark.parametrize(
    ("years", "flags", "expected"),
    [
        ([2021, 2022, 2023], {}, 4),
        ([2020, 2022, 2023], {}, 3),  # a gap: not three consecutive years
        ([2021, 2022, 2023], {2022: "b"}, 3),  # a break starts a new run
        ([2012, 2013, 2014], {}, 1),  # three old years: not current (the table reaches 2023), falls to national
    ],
)
def test_city_maturity_needs_a_current_annual_rate_run(years: list[int], flags: dict, expected: int) -> None:
    rows = [rate("AT111", y, 900, flags=flags.get(y)) for y in years]
    rows += [rate("AT", 2023, 5000), rate("AT112", 2023, 40)]
    frame, _ = assess(rows, {"AT001C": ("AT111", "same_territory", "XL")})
    assert cell(frame, "AT001C", "D5")["maturity"] == expected


def test_counts_never_give_maturity_4() -> None:
    rows = [
        value_row("SEC_HOM_COUNT_CITY", "AT001C", str(y), 30.0, numerator=30.0, unit="offences")
        for y in (2021, 2022, 2023)
    ]
    frame, _ = assess(rows)
    row = cell(frame, "AT001C", "D5")
    assert row["maturity"] == 3 and row["maturity_label"] == MATURITY_LABELS[3]


def test_levels_2_1_and_0_for_cities_and_regions() -> None:
    rows = [rate("AT111", 2023, 900), rate("AT", 2023, 5000)]
    frame, _ = assess(rows, {"AT001C": ("AT111", "part_of_region", "M"), "AT002C": (None, None, None)})
    assert cell(frame, "AT001C", "D5")["maturity"] == 2  # its NUTS 3 region has current rates
    assert cell(frame, "AT001C", "D5")["maturity_basis"] == "level 2: SEC_RECORDED_RATE 2023 (AT111)"
    assert cell(frame, "AT1", "D5")["maturity"] == 1  # NUTS 1: only its country has a value of its own
    assert cell(frame, "AT", "D5")["maturity"] == 3  # a country on its own national value: one year, not a run
    assert cell(frame, "AT", "D4")["maturity"] == 0


def test_example_register_rows_never_count() -> None:
    rows = [
        value_row("SAF_SAFE_CITY", "LV001C", "2019", 80.0, example_data=True, sample_size=700.0),
    ]
    frame, positions = assess(rows)
    assert cell(frame, "LV001C", "D4")["indicators_with_recent_value"] == 0
    assert positions.is_empty()


# ------------------------------------------------------------------------------------------------ positions


def _peers(values: dict[str, float], half: float = 3.0, variant: str = NIGHT, year: str = "2019") -> list[dict]:
    return [share("SAF_SAFE_CITY", geo, year, v, variant, half) for geo, v in values.items()]


def test_band_is_decided_by_the_interval_against_the_peers_median() -> None:
    rows = _peers({"AT001C": 80.0, "AT002C": 60.0, "AT003C": 62.0, "AT004C": 64.0, "AT005C": 61.5, "AT006C": 90.0})
    _, positions = assess(rows)
    by_geo = {r["geo_code"]: r for r in positions.iter_rows(named=True)}
    vienna = by_geo["AT001C"]
    assert vienna["peers"] == 5 and vienna["peer_median"] == 62.0
    assert vienna["band"] == "better"  # 77-83 lies above 62
    assert by_geo["AT004C"]["band"] == "similar"  # 61-67 contains the median of the others (61.75)
    assert by_geo["AT002C"]["band"] == "worse"
    assert self_assessment_positions_rules(positions) == []


def test_direction_turns_better_into_lower_for_a_bad_indicator() -> None:
    rows = [rate(f"AT11{i}", 2023, n) for i, n in enumerate((900, 400, 420, 410, 405))]
    _, positions = assess(rows)
    high = positions.filter(pl.col("geo_code") == "AT110").row(0, named=True)
    assert high["band"] == "worse"  # more robberies per inhabitant than the peers: worse
    assert 0 <= high["percentile"] < 50


def test_fewer_than_three_peers_gives_a_reason_not_a_band() -> None:
    _, positions = assess(_peers({"AT001C": 80.0, "AT002C": 60.0, "AT003C": 62.0}))
    assert positions["band"].null_count() == positions.height
    assert set(positions["reason"]) == {"fewer than 3 comparable peers (2)"}


def test_rates_on_fewer_than_20_events_and_counts_are_not_compared() -> None:
    rows = [rate(f"AT11{i}", 2023, n) for i, n in enumerate((MIN_EVENTS - 1, 400, 420, 410, 405))]
    rows += [
        value_row("SEC_HOM_COUNT_CITY", f"AT00{i}C", "2023", 30.0, numerator=30.0, unit="offences") for i in range(1, 6)
    ]
    _, positions = assess(rows)
    assert "SEC_HOM_COUNT_CITY" not in set(positions["indicator_id"])
    small = positions.filter(pl.col("geo_code") == "AT110").row(0, named=True)
    assert small["band"] is None and small["reason"] == f"not compared: fewer than {MIN_EVENTS} events"
    # ... and the small one is not anyone's peer either
    assert set(positions.filter(pl.col("geo_code") != "AT110")["peers"]) == {3}


def test_only_the_latest_variant_and_period_and_one_item_per_question() -> None:
    rows = _peers({"DE001C": 70.0, "DE002C": 60.0, "DE003C": 61.0, "DE004C": 62.0})
    rows += _peers(
        {"DE001C": 50.0, "DE002C": 55.0, "DE003C": 56.0, "DE004C": 57.0},
        variant="feel_safe_in_city_2012_2015",
        year="2015",
    )
    rows += [
        share("SAF_UNSAFE_NIGHT_NBH", g, "2019", v, "safe_walking_alone_at_night_neighbourhood_2019")
        for g, v in {"DE001C": 20.0, "DE002C": 30.0, "DE003C": 31.0, "DE004C": 32.0}.items()
    ]
    _, positions = assess(rows)
    assert set(positions["indicator_id"]) == {"SAF_SAFE_CITY"}  # the complementary half is left out
    assert set(positions["period"]) == {"2019"} and set(positions["series_variant"]) == {NIGHT}


def test_survey_items_are_compared_on_the_share_among_opinions() -> None:
    rows = _peers({"DE001C": 70.0, "DE002C": 60.0, "DE003C": 61.0, "DE004C": 62.0})
    rows[0].update(opinion_share=90.0, opinion_ci_low=87.0, opinion_ci_high=93.0)
    _, positions = assess(rows)
    berlin = positions.filter(pl.col("geo_code") == "DE001C").row(0, named=True)
    assert berlin["compared_on"] == "opinion_share" and berlin["value"] == 90.0 and berlin["ci_low"] == 87.0


def test_flagged_values_are_not_compared() -> None:
    rows = [rate(f"AT11{i}", 2023, n) for i, n in enumerate((900, 400, 420, 410, 405))]
    rows[0]["quality_flags"] = "implausible_jump"
    _, positions = assess(rows)
    flagged = positions.filter(pl.col("geo_code") == "AT110").row(0, named=True)
    assert flagged["band"] is None and flagged["reason"] == "not compared: flagged implausible_jump"


def test_peers_narrow_to_the_size_class_when_three_qualify() -> None:
    values = {"DE001C": 80.0, "DE002C": 60.0, "DE003C": 61.0, "DE004C": 62.0, "DE005C": 85.0, "DE006C": 86.0}
    sizes = {"DE001C": "XXL", "DE002C": "M", "DE003C": "M", "DE004C": "M", "DE005C": "XXL", "DE006C": "XXL"}
    links = {g: (None, None, s) for g, s in sizes.items()}
    _, positions = assess(_peers(values), links)
    by_geo = {r["geo_code"]: r for r in positions.iter_rows(named=True)}
    # M has 3 members: each M city has only 2 M peers, so it falls back to the whole country
    assert by_geo["DE002C"]["peer_group"] == "cities of DE" and by_geo["DE002C"]["peers"] == 5
    sizes_big = {**sizes, "DE007C": "M"}
    rows = _peers({**values, "DE007C": 63.0})
    _, positions = assess(rows, {g: (None, None, s) for g, s in sizes_big.items()})
    m = positions.filter(pl.col("geo_code") == "DE002C").row(0, named=True)
    assert m["peer_group"] == "cities of DE, size class M" and m["peers"] == 3


def test_dimension_summary_counts_bands_and_says_mixed() -> None:
    rows = _peers({"AT001C": 80.0, "AT002C": 60.0, "AT003C": 62.0, "AT004C": 64.0})
    rows += [
        share("SAF_SAFE_NBH", g, "2019", v, "safe_walking_alone_at_night_neighbourhood_2019")
        for g, v in {"AT001C": 40.0, "AT002C": 60.0, "AT003C": 62.0, "AT004C": 64.0}.items()
    ]
    frame, _ = assess(rows)
    vienna = cell(frame, "AT001C", "D4")
    assert (vienna["indicators_better"], vienna["indicators_similar"], vienna["indicators_worse"]) == (1, 0, 1)
    assert vienna["position_band"] == "mixed" and vienna["position_indicators"] == 2
    assert vienna["position_reason"] is None
    country = cell(frame, "AT", "D4")
    assert country["position_band"] is None and country["position_reason"].startswith("countries are not compared")
    assert self_assessment_rules(frame) == []


def test_rules_catch_a_band_the_interval_does_not_support() -> None:
    _, positions = assess(_peers({"AT001C": 80.0, "AT002C": 60.0, "AT003C": 62.0, "AT004C": 64.0}))
    broken = positions.with_columns(pl.lit("similar").alias("band"))
    assert any("similar although" in p for p in self_assessment_positions_rules(broken))


def test_rankable_catalogue_entries() -> None:
    assert rankable(CATALOGUE_BY_ID["SAF_SAFE_CITY"])
    assert not rankable(CATALOGUE_BY_ID["SEC_HOM_COUNT_CITY"])  # a count
    assert not rankable(CATALOGUE_BY_ID["CTX_POP"])  # a size, no direction
    assert not rankable(CATALOGUE_BY_ID["PP_BALANCE"])  # self-reported register


# ------------------------------------------------------------------------------------------------ real data


@pytest.fixture(scope="module")
def published(built) -> dict[str, pl.DataFrame]:
    assert built.result.success
    with connect(built.db, read_only=True) as con:
        return {
            name: con.sql(f"SELECT * FROM published.{name}").pl()
            for name in ("self_assessment", "self_assessment_positions", "indicator_values", "geographies")
        }


def test_real_tables_pass_their_rules(published: dict[str, pl.DataFrame]) -> None:
    assert self_assessment_rules(published["self_assessment"]) == []
    assert self_assessment_positions_rules(published["self_assessment_positions"]) == []
    assert set(published["self_assessment"]["dimension_code"]) == set(DIMENSIONS)


def test_survey_cities_of_2019_have_coverage_in_the_survey_dimensions(published: dict[str, pl.DataFrame]) -> None:
    values = published["indicator_values"]
    cities_2019 = set(values.filter(pl.col("source_dataset") == "urb_percep", pl.col("period") == "2019")["geo_code"])
    assert len(cities_2019) >= 80
    sa = published["self_assessment"].filter(pl.col("geo_code").is_in(list(cities_2019)))
    for dimension in ("D1", "D2", "D3", "D4"):
        rows = sa.filter(pl.col("dimension_code") == dimension)
        assert rows.height == len(cities_2019)
        assert rows.filter(pl.col("coverage") <= 0).height == 0, (dimension, rows.filter(pl.col("coverage") <= 0))
        assert rows["latest_years"].str.contains("2019").all()


def test_koeln_urban_security_reflects_its_regional_rates(published: dict[str, pl.DataFrame]) -> None:
    koeln = cell(published["self_assessment"], "DE004C", "D5")
    assert koeln["maturity"] >= 3, koeln
    assert "SEC_RECORDED_RATE" in koeln["latest_years"] and "SEC_RECORDED_RATE none" not in koeln["latest_years"]


def test_berlin_d4_position_uses_one_variant_one_wave_one_item_per_question(
    published: dict[str, pl.DataFrame],
) -> None:
    berlin = published["self_assessment_positions"].filter(
        pl.col("geo_code") == "DE001C", pl.col("dimension_code") == "D4"
    )
    assert berlin.height >= 2
    assert set(berlin["period"]) == {"2019"}
    assert set(berlin["series_variant"]) <= {NIGHT, "safe_walking_alone_at_night_neighbourhood_2019"}
    assert "SAF_UNSAFE_NIGHT_NBH" not in set(berlin["indicator_id"])
    assert berlin["band"].null_count() == 0
    summary = cell(published["self_assessment"], "DE001C", "D4")
    assert summary["position_indicators"] == berlin.height
    assert all("2019" in part for part in summary["position_basis"].split("; "))


def test_no_position_on_a_count_or_a_rate_below_20_events(published: dict[str, pl.DataFrame]) -> None:
    positions = published["self_assessment_positions"].filter(pl.col("band").is_not_null())
    assert positions.height > 100
    counts = {i for i, e in CATALOGUE_BY_ID.items() if e.unit in {"offences", "persons", "EUR (planned)"}}
    assert not set(positions["indicator_id"]) & counts
    values = published["indicator_values"].select(
        "indicator_id",
        "breakdown",
        "period",
        "series_variant",
        pl.col("geo_code").alias("source_geo"),
        "numerator",
        "ci_method",
    )
    joined = positions.with_columns(pl.coalesce("via_region", "geo_code").alias("source_geo")).join(
        values, on=["indicator_id", "breakdown", "period", "series_variant", "source_geo"], how="left", nulls_equal=True
    )
    assert joined.height == positions.height
    counted = joined.filter(pl.col("ci_method") == "poisson_exact")
    assert counted.height > 0
    assert counted.filter(pl.col("numerator") < MIN_EVENTS).height == 0
