"""Recorded-offence rates and city homicide counts: crafted frames for the rules, the real files for the facts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from expectations.indicator_values import all_problems
from sources.eurostat import read_eurostat
from sources.registry import EUROSTAT_CRIME
from tests.transforms.rows import observation, observations_frame
from transforms.crime import city_homicide_counts, city_table_disagreements, recorded_offence_rates
from transforms.population import POPULATION_SCHEMA
from transforms.stats import poisson_exact_ci
from warehouse.catalogue import RATE_UNIT
from warehouse.metadata import DOMAIN_INDICATOR_VALUES


def count(
    dataset: str,
    iccs: str | None,
    geo: str,
    period: str,
    value: float | None,
    obs_status: str | None = None,
    conf_status: str | None = None,
    unit: str = "NR",
) -> dict:
    breakdown = None if iccs is None else {"iccs": iccs}
    return observation(
        dataset, geo, period, value, breakdown=breakdown, unit=unit, obs_status=obs_status, conf_status=conf_status
    )


observations_of = observations_frame


def population_of(rows: list[tuple]) -> pl.DataFrame:
    """rows: (geo, period, population, obs_status, conf_status, source_dataset)."""
    return pl.DataFrame(
        [(*r, f"{r[5]}-v") for r in rows],
        schema=POPULATION_SCHEMA,
        orient="row",
    )


POP = population_of(
    [
        ("DE", "2020", 83_166_711.0, "p", None, "demo_pjan"),
        ("DE1", "2020", 11_103_043.0, None, None, "demo_r_pjanaggr3"),
        ("DE11", "2020", 4_141_180.0, None, None, "demo_r_pjanaggr3"),
        ("DE111", "2020", 630_305.0, "b", None, "demo_r_pjanaggr3"),
        ("FR", "2020", 67_320_216.0, "bep", "N", "demo_pjan"),
        ("UKC-L", "2019", 59_439_840.0, None, None, "demo_r_pjanaggr3"),  # even with a population: no level
        ("DEZZZ", "2020", 1.0, None, None, "demo_r_pjanaggr3"),  # even with a population: extra-regio
        ("NO0B2", "2020", 0.0, None, None, "demo_r_pjanaggr3"),
    ]
)


def one(values: pl.DataFrame, **key: str) -> dict:
    rows = values.filter(pl.all_horizontal([pl.col(k) == v for k, v in key.items()]))
    assert rows.height == 1, rows
    return rows.row(0, named=True)


def test_rate_is_numerator_over_denominator_times_100000_exactly() -> None:
    obs = observations_of(
        [
            count("crim_off_cat", "ICCS0101", "DE", "2020", 245.0, obs_status="p"),
            count("crim_gen_reg", "ICCS0401", "DE111", "2020", 1_234.0),
            count("crim_gen_reg", "ICCS0401", "DE11", "2020", 0.0),
        ]
    )
    values, dropped = recorded_offence_rates(obs, POP)
    assert dropped.height == 0
    assert values.height == 3
    de = one(values, geo_code="DE", breakdown="ICCS0101")
    assert de["value"] == 245.0 / 83_166_711.0 * 100_000.0
    assert de["numerator"] == 245.0 and de["denominator"] == 83_166_711.0
    assert de["unit"] == RATE_UNIT and de["indicator_id"] == "SEC_RECORDED_RATE"
    nuts3 = one(values, geo_code="DE111")
    assert nuts3["value"] == 1_234.0 / 630_305.0 * 100_000.0
    assert one(values, geo_code="DE11")["value"] == 0.0
    assert list(values.columns) == DOMAIN_INDICATOR_VALUES.column_names
    assert {k: v for k, v in all_problems(values, DOMAIN_INDICATOR_VALUES).items() if v} == {}


def test_limits_are_poisson_limits_on_the_count_scaled_like_the_rate() -> None:
    counts = [0.0, 1.0, 3.0, 10.0, 50.0, 12_345.0]
    obs = observations_of(
        [count("crim_gen_reg", f"ICCS0{i}", "DE111", "2020", c) for i, c in enumerate(counts, start=101)]
    )
    values, _ = recorded_offence_rates(obs, POP)
    values = values.sort("numerator")
    low, high = poisson_exact_ci(np.array(counts))
    scale = 100_000.0 / 630_305.0
    np.testing.assert_allclose(values["ci_low"].to_numpy(), low * scale, rtol=1e-12)
    np.testing.assert_allclose(values["ci_high"].to_numpy(), high * scale, rtol=1e-12)
    assert (values["ci_low"] <= values["value"]).all() and (values["value"] <= values["ci_high"]).all()
    assert values["ci_low"][0] == 0.0 and values["ci_high"][0] > 0  # zero count: [0, 3.69 x scale]
    assert set(values["ci_method"]) == {"poisson_exact"}


def test_flags_of_count_and_population_are_merged() -> None:
    obs = observations_of(
        [
            count("crim_gen_reg", "ICCS0101", "DE111", "2020", 3.0, obs_status="p"),  # population 'b'
            count("crim_off_cat", "ICCS0101", "DE", "2020", 245.0, obs_status="e"),  # population 'p'
            count("crim_off_cat", "ICCS0101", "FR", "2020", 863.0, obs_status="p"),  # population 'bep', conf 'N'
            count("crim_gen_reg", "ICCS0101", "DE1", "2020", 40.0),  # no flags anywhere
        ]
    )
    values, _ = recorded_offence_rates(obs, POP)
    assert one(values, geo_code="DE111")["obs_status"] == "bp"
    assert one(values, geo_code="DE")["obs_status"] == "ep"
    fr = one(values, geo_code="FR")
    assert (fr["obs_status"], fr["conf_status"]) == ("bep", "N")
    de1 = one(values, geo_code="DE1")
    assert (de1["obs_status"], de1["conf_status"]) == (None, None)


def test_drop_reasons_are_counted_per_dataset() -> None:
    obs = observations_of(
        [
            count("crim_gen_reg", "ICCS0101", "DE111", "2020", None),  # ':'
            count("crim_gen_reg", "ICCS0401", "DE111", "2020", None, obs_status="m"),  # ': m'
            count("crim_off_cat", "ICCS0101", "DE", "2020", 7.0, conf_status="C"),
            count("crim_gen_reg", "ICCS0101", "DEZZZ", "2020", 5.0),
            count("crim_gen_reg", "ICCS0101", "FRZ", "2020", 5.0),
            count("crim_gen_reg", "ICCS0101", "DE2", "2020", 5.0),  # no population row
            count("crim_gen_reg", "ICCS0101", "DE111", "2019", 5.0),  # population of another year only
            count("crim_off_cat", "ICCS0101", "UKC-L", "2019", 600.0),
            count("crim_gen_reg", "ICCS0101", "NO0B2", "2020", 1.0),  # population 0
            count("crim_off_cat", "ICCS0101", "FR", "2020", -1.0),
            count("crim_gen_reg", "ICCS0101", "DE11", "2020", 9.0),  # kept
            count("crim_gen_reg", "ICCS0101", "DE11", "2020", 0.9, unit="P_HTHAB"),  # Eurostat's rate: ignored
            count("crim_hom_soff", "ICCS0101", "DE", "2020", 5.0),  # another dataset: ignored
        ]
    )
    values, dropped = recorded_offence_rates(obs, POP)
    assert values["geo_code"].to_list() == ["DE11"]
    assert dropped.select("source_dataset", "reason", "rows").rows() == [
        ("crim_gen_reg", "extra_regio", 2),
        ("crim_gen_reg", "missing_in_source", 2),
        ("crim_gen_reg", "no_population", 2),
        ("crim_gen_reg", "zero_population", 1),
        ("crim_off_cat", "confidential", 1),
        ("crim_off_cat", "negative_count", 1),
        ("crim_off_cat", "not_a_nuts_territory", 1),
    ]
    assert set(dropped["indicator_id"]) == {"SEC_RECORDED_RATE"}


def test_missing_wins_over_confidential_and_confidential_over_territory() -> None:
    obs = observations_of(
        [
            count("crim_gen_reg", "ICCS0101", "DEZZZ", "2020", None, conf_status="C"),
            count("crim_gen_reg", "ICCS0401", "DEZZZ", "2020", 3.0, conf_status="C"),
        ]
    )
    _, dropped = recorded_offence_rates(obs, POP)
    assert dropped.select("reason", "rows").rows() == [("confidential", 1), ("missing_in_source", 1)]


def test_national_and_regional_tables_are_separate_variants() -> None:
    obs = observations_of(
        [
            count("crim_off_cat", "ICCS0101", "DE", "2020", 245.0),
            count("crim_gen_reg", "ICCS0101", "DE", "2020", 250.0),  # same key, another release
        ]
    )
    values, _ = recorded_offence_rates(obs, POP)
    assert values.height == 2
    national = one(values, series_variant="national_table")
    regional = one(values, series_variant="regional_table")
    assert (national["numerator"], regional["numerator"]) == (245.0, 250.0)
    assert national["source_dataset"] == "crim_off_cat / demo_pjan"
    assert regional["source_dataset"] == "crim_gen_reg / demo_pjan"
    assert national["source_version"] == "crim_off_cat@crim_off_cat-v / demo_pjan@demo_pjan-v"
    assert national["geo_level"] == regional["geo_level"] == "NUTS0"
    assert all_problems(values, DOMAIN_INDICATOR_VALUES)["contract"] == []


@pytest.mark.parametrize(
    ("iccs", "tier"),
    [
        ("ICCS0101", "cross_country"),
        ("ICCS0401", "within_country"),
        ("ICCS0501", "within_country"),
        ("ICCS05012", "within_country"),
        ("ICCS050211", "within_country"),
        ("ICCS0502", "within_country"),
        ("ICCS0301", "trend_within_country"),
        ("ICCS02011", "trend_within_country"),
        ("ICCS0102", "trend_within_country"),  # attempted homicide is not homicide
        ("ICCS09051", "trend_within_country"),
    ],
)
def test_comparability_tiers(iccs: str, tier: str) -> None:
    values, _ = recorded_offence_rates(observations_of([count("crim_off_cat", iccs, "DE", "2020", 10.0)]), POP)
    assert values["comparability"].to_list() == [tier]
    assert values["breakdown"].to_list() == [iccs]


def test_geo_levels_of_published_rows() -> None:
    obs = observations_of([count("crim_gen_reg", "ICCS0101", g, "2020", 1.0) for g in ("DE", "DE1", "DE11", "DE111")])
    values, _ = recorded_offence_rates(obs, POP)
    assert dict(values.select("geo_code", "geo_level").iter_rows()) == {
        "DE": "NUTS0",
        "DE1": "NUTS1",
        "DE11": "NUTS2",
        "DE111": "NUTS3",
    }


def test_empty_input_gives_empty_conforming_frames() -> None:
    values, dropped = recorded_offence_rates(observations_of([]), POP)
    assert values.height == 0 and dropped.height == 0
    assert dict(values.schema) == DOMAIN_INDICATOR_VALUES.polars_schema


# ---- city homicide counts ---------------------------------------------------------------------------------------


def test_city_homicide_counts_are_the_counts_with_limits() -> None:
    obs = observations_of(
        [
            count("crim_hom_ocit", None, "AT001C", "2020", 12.0, obs_status="p"),
            count("crim_hom_ocit", None, "ES001C1", "2020", 0.0),
            count("crim_hom_ocit", None, "AT001C", "2021", None),
            count("crim_hom_ocit", None, "DE001C", "2020", 3.0, conf_status="C"),
            count("crim_hom_ocit", None, "DE", "2020", 300.0),
            count("crim_hom_ocit", None, "AT001C", "2020", 0.63, unit="P_HTHAB"),
            count("crim_off_cat", "ICCS0101", "AT", "2020", 65.0),
        ]
    )
    values, dropped = city_homicide_counts(obs)
    assert values.sort("geo_code")["geo_code"].to_list() == ["AT001C", "ES001C1"]
    vienna = one(values, geo_code="AT001C")
    assert vienna["value"] == vienna["numerator"] == 12.0
    low, high = poisson_exact_ci(np.array([12.0]))
    assert vienna["ci_low"] == pytest.approx(low[0], rel=1e-12)
    assert vienna["ci_high"] == pytest.approx(high[0], rel=1e-12)
    assert (vienna["obs_status"], vienna["denominator"], vienna["breakdown"]) == ("p", None, None)
    assert (vienna["geo_level"], vienna["unit"], vienna["series_variant"]) == ("CITY", "offences", "default")
    assert vienna["comparability"] == "cross_country"
    assert vienna["source_version"] == "crim_hom_ocit@crim_hom_ocit-v"
    assert one(values, geo_code="ES001C1")["ci_low"] == 0.0
    assert dropped.select("source_dataset", "reason", "rows").rows() == [
        ("crim_hom_ocit", "confidential", 1),
        ("crim_hom_ocit", "missing_in_source", 1),
        ("crim_hom_ocit", "not_a_city", 1),
    ]
    assert {k: v for k, v in all_problems(values, DOMAIN_INDICATOR_VALUES).items() if v} == {}


@pytest.mark.parametrize("geo", ["UKC-L", "EU27_2020", "AT001K1"])
def test_city_homicide_counts_drop_codes_without_a_level(geo: str) -> None:
    values, dropped = city_homicide_counts(observations_of([count("crim_hom_ocit", None, geo, "2020", 5.0)]))
    assert values.height == 0
    assert dropped.select("reason", "rows").rows() == [("not_a_city", 1)]


# ---- the real files ---------------------------------------------------------------------------------------------

RATE_DATASETS = ("crim_off_cat", "crim_gen_reg")


def test_real_rates_pass_every_published_rule(rates: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    values, _ = rates
    assert values.height > 50_000
    assert all_problems(values, DOMAIN_INDICATOR_VALUES) == {
        "contract": [],
        "ci_brackets_value": [],
        "rate_arithmetic": [],
        "values_in_range": [],
    }


def test_real_city_counts_pass_every_published_rule(observations: pl.DataFrame) -> None:
    values, dropped = city_homicide_counts(observations)
    assert values.height > 100
    assert set(values["geo_level"]) == {"CITY"}
    problems = all_problems(values, DOMAIN_INDICATOR_VALUES)
    assert all(p == [] for p in problems.values()), problems
    nr = observations.filter((pl.col("dataset") == "crim_hom_ocit") & (pl.col("unit") == "NR")).height
    assert values.height + dropped["rows"].sum() == nr


def test_real_every_count_row_is_published_or_counted_as_dropped(
    observations: pl.DataFrame, rates: tuple[pl.DataFrame, pl.DataFrame]
) -> None:
    values, dropped = rates
    for dataset, variant in (("crim_off_cat", "national_table"), ("crim_gen_reg", "regional_table")):
        nr = observations.filter((pl.col("dataset") == dataset) & (pl.col("unit") == "NR")).height
        published = values.filter(pl.col("series_variant") == variant).height
        lost = dropped.filter(pl.col("source_dataset") == dataset)["rows"].sum()
        assert published > 0 and published + lost == nr, (dataset, published, lost, nr)
    reasons = {(d, r) for d, r, _ in dropped.select("source_dataset", "reason", "rows").iter_rows()}
    assert ("crim_gen_reg", "extra_regio") in reasons  # DEZZZ, FRZ, ... are in the regional table
    assert ("crim_gen_reg", "missing_in_source") in reasons


def test_real_uk_aggregate_is_not_a_territory(
    observations: pl.DataFrame, rates: tuple[pl.DataFrame, pl.DataFrame]
) -> None:
    values, dropped = rates
    assert values.filter(pl.col("geo_code") == "UKC-L").height == 0
    ukcl = observations.filter(
        (pl.col("dataset") == "crim_off_cat") & (pl.col("unit") == "NR") & (pl.col("geo") == "UKC-L")
    )
    if ukcl.height == 0:
        pytest.skip("this release has no UKC-L rows")
    not_a_territory = dropped.filter(
        (pl.col("source_dataset") == "crim_off_cat") & (pl.col("reason") == "not_a_nuts_territory")
    )["rows"].sum()
    assert not_a_territory == ukcl.filter(pl.col("value").is_not_null() & pl.col("conf_status").is_null()).height


def test_real_no_published_rate_comes_from_a_missing_cell(
    raw_dir: Path, rates: tuple[pl.DataFrame, pl.DataFrame]
) -> None:
    """Join every published rate back to its raw cell as written in the file: never ':'."""
    values, _ = rates
    raw = []
    for source in EUROSTAT_CRIME:
        if source.name in RATE_DATASETS:
            cells = read_eurostat(source.path(raw_dir), source.name).cells
            raw.append(
                cells.filter(pl.col("unit") == "NR").select(
                    pl.lit(source.name).alias("dataset"), "iccs", "geo", "period", "value_raw", "value"
                )
            )
    cells = pl.concat(raw)
    back = values.with_columns(pl.col("source_dataset").str.split(" / ").list.first().alias("dataset")).join(
        cells,
        left_on=["dataset", "breakdown", "geo_code", "period"],
        right_on=["dataset", "iccs", "geo", "period"],
        how="left",
    )
    assert back.height == values.height
    assert back["value_raw"].null_count() == 0  # every row found its cell
    assert not back["value_raw"].str.starts_with(":").any()
    assert (back["numerator"] == back["value_right"]).all()
    assert cells["value_raw"].str.starts_with(":").sum() > 0  # the files do have ':' cells to avoid


def test_real_flags_of_count_and_population_are_carried(
    observations: pl.DataFrame, population: pl.DataFrame, rates: tuple[pl.DataFrame, pl.DataFrame]
) -> None:
    values, _ = rates
    counts = observations.filter(pl.col("dataset").is_in(RATE_DATASETS) & (pl.col("unit") == "NR")).select(
        "dataset",
        pl.col("iccs").alias("breakdown"),
        pl.col("geo").alias("geo_code"),
        "period",
        pl.col("obs_status").alias("count_flags"),
    )
    pop = population.select(
        pl.col("geo").alias("geo_code"),
        "period",
        pl.col("population").alias("pop_value"),
        pl.col("obs_status").alias("pop_flags"),
        pl.col("conf_status").alias("pop_conf"),
        pl.col("source_dataset").alias("pop_dataset"),
    )
    back = (
        values.with_columns(pl.col("source_dataset").str.split(" / ").alias("_sources"))
        .with_columns(
            pl.col("_sources").list.first().alias("dataset"), pl.col("_sources").list.last().alias("pop_source")
        )
        .join(counts, on=["dataset", "breakdown", "geo_code", "period"], how="left")
        .join(pop, on=["geo_code", "period"], how="left")
    )
    assert back.height == values.height
    assert (back["denominator"] == back["pop_value"]).all()
    assert (back["pop_source"] == back["pop_dataset"]).all()
    letters = back.select(
        *(
            pl.col(c).fill_null("").str.split("").list.eval(pl.element().filter(pl.element() != "")).alias(c)
            for c in ("obs_status", "count_flags", "pop_flags", "conf_status", "pop_conf")
        )
    )
    missing_count = letters.filter(pl.col("count_flags").list.set_difference("obs_status").list.len() > 0)
    missing_pop = letters.filter(pl.col("pop_flags").list.set_difference("obs_status").list.len() > 0)
    invented = letters.filter(
        pl.col("obs_status").list.set_difference(pl.concat_list("count_flags", "pop_flags")).list.len() > 0
    )
    missing_conf = letters.filter(pl.col("pop_conf").list.set_difference("conf_status").list.len() > 0)
    assert missing_count.height == missing_pop.height == invented.height == missing_conf.height == 0
    flagged = back.filter(pl.col("pop_flags").is_not_null())
    assert flagged.height > 0  # the real populations carry b/e/p flags, so the check above is not vacuous
    assert (
        back["obs_status"].is_not_null() == (back["count_flags"].is_not_null() | back["pop_flags"].is_not_null())
    ).all()


def test_real_source_dataset_names_count_table_and_population_table(
    rates: tuple[pl.DataFrame, pl.DataFrame],
) -> None:
    values, _ = rates
    national = values.filter((pl.col("series_variant") == "national_table") & (pl.col("geo_level") == "NUTS0"))
    assert national.height > 1_000
    assert national["source_dataset"].str.starts_with("crim_off_cat / ").all()
    regional = values.filter(pl.col("geo_level") != "NUTS0")
    assert regional["source_dataset"].str.ends_with(" / demo_r_pjanaggr3").all()


# ---------------------------------------------------------------------------------------- city homicide rates


def links_of(rows: list[tuple[str, str, str]]) -> pl.DataFrame:
    """(geo_code, nuts3_code, territory_match) rows in the shape of staging.city_regions."""
    from transforms.city_regions import CITY_REGION_SCHEMA

    return pl.DataFrame(
        [{"geo_code": g, "nuts3_code": n, "territory_match": t} for g, n, t in rows], schema=CITY_REGION_SCHEMA
    )


CITY_LINKS = links_of(
    [
        ("XX001C", "XX111", "same_territory"),
        ("XX002C", "XX112", "part_of_region"),
        ("XX003C", "XX113", "same_territory"),
    ]
)
CITY_POP = population_of(
    [
        ("XX111", "2020", 1_000_000.0, None, None, "demo_r_pjanaggr3"),
        ("XX111", "2021", 1_010_000.0, "p", None, "demo_r_pjanaggr3"),
        ("XX112", "2020", 500_000.0, None, None, "demo_r_pjanaggr3"),
    ]
)


@pytest.mark.parametrize(
    ("city", "region", "agree"),
    [
        (100.0, 100.0, True),
        (100.0, 105.0, True),
        (100.0, 106.0, False),
        (3.0, 4.0, True),
        (3.0, 5.0, False),
        (0.0, 1.0, True),
        (11.0, 39.0, False),
        (37.0, 39.0, False),
        (18.0, 17.0, True),
    ],
)
def test_city_vs_region_tolerance_is_max_of_one_and_five_percent(city: float, region: float, agree: bool) -> None:
    from transforms.crime import homicide_city_vs_region

    obs = observations_of(
        [
            count("crim_hom_ocit", None, "XX001C", "2020", city),
            count("crim_gen_reg", "ICCS0101", "XX111", "2020", region),
        ]
    )
    (row,) = homicide_city_vs_region(obs, CITY_LINKS).iter_rows(named=True)
    assert (row["city_count"], row["region_count"], row["agree"]) == (city, region, agree)
    assert row["relative_difference"] == pytest.approx((city - region) / region)
    assert ("more than max(1, 5 %) apart" in row["reason"]) is not agree


def test_city_vs_region_only_same_territory_and_missing_is_not_compared() -> None:
    from transforms.crime import homicide_city_vs_region

    obs = observations_of(
        [
            count("crim_hom_ocit", None, "XX001C", "2020", 10.0),
            count("crim_gen_reg", "ICCS0101", "XX111", "2020", None),  # ':' in the regional table
            count("crim_gen_reg", "ICCS0401", "XX111", "2020", 10.0),  # robbery: not the homicide count
            count("crim_hom_ocit", None, "XX001C", "2021", 12.0, conf_status="C"),
            count("crim_gen_reg", "ICCS0101", "XX111", "2021", 12.0),
            count("crim_hom_ocit", None, "XX002C", "2020", 5.0),  # part of its region: no comparison
            count("crim_gen_reg", "ICCS0101", "XX112", "2020", 50.0),
        ]
    )
    check = homicide_city_vs_region(obs, CITY_LINKS)
    assert check.select("geo_code", "period", "agree", "reason").rows() == [
        ("XX001C", "2020", None, "no usable regional count"),
        ("XX001C", "2021", None, "no usable city count"),
    ]


def test_city_homicide_rate_uses_the_regions_population_and_flags_a_disagreement() -> None:
    from transforms.crime import city_homicide_rates, homicide_city_vs_region

    obs = observations_of(
        [
            count("crim_hom_ocit", None, "XX001C", "2020", 20.0),
            count("crim_gen_reg", "ICCS0101", "XX111", "2020", 20.0),
            count("crim_hom_ocit", None, "XX001C", "2021", 11.0, obs_status="e"),
            count("crim_gen_reg", "ICCS0101", "XX111", "2021", 39.0),
            count("crim_hom_ocit", None, "XX001C", "2019", 9.0),  # no population that year
            count("crim_hom_ocit", None, "XX002C", "2020", 5.0),  # part of its region: no rate
        ]
    )
    check = homicide_city_vs_region(obs, CITY_LINKS)
    rates, dropped = city_homicide_rates(obs, CITY_POP, CITY_LINKS, check, lau_version="sha256:abc")
    assert rates.columns == DOMAIN_INDICATOR_VALUES.column_names
    assert rates.select("geo_code", "period").rows() == [("XX001C", "2020"), ("XX001C", "2021")]
    agreed, disagreed = rates.sort("period").iter_rows(named=True)
    assert agreed["value"] == 20.0 / 1_000_000.0 * 100_000.0 and agreed["denominator"] == 1_000_000.0
    low, high = poisson_exact_ci(np.array([20.0]))
    assert (agreed["ci_low"], agreed["ci_high"]) == pytest.approx((low[0] / 10, high[0] / 10))
    assert "XX111" in agreed["note"] and "same territory" in agreed["note"] and "DISAGREE" not in agreed["note"]
    assert "SOURCES DISAGREE: city table 11 vs regional table" in disagreed["note"]
    keys = city_table_disagreements(check)
    assert set(keys.select("indicator_id", "geo_code", "period").iter_rows()) == {
        ("SEC_HOM_COUNT_CITY", "XX001C", "2021"),
        ("SEC_HOM_RATE_CITY", "XX001C", "2021"),
    }
    assert disagreed["obs_status"] == "ep" and disagreed["unit"] == RATE_UNIT
    assert agreed["source_version"].endswith("nuts_lau_2019@sha256:abc")
    assert dropped.rows() == [("SEC_HOM_RATE_CITY", "crim_hom_ocit", "no_population", 1)]
    assert all(not p for p in all_problems(rates, DOMAIN_INDICATOR_VALUES).values())


def test_real_city_vs_region_brussels_2015_disagrees(
    observations: pl.DataFrame, city_links: pl.DataFrame, bundled: bool
) -> None:
    from transforms.crime import homicide_city_vs_region

    check = homicide_city_vs_region(observations, city_links)
    assert set(check["geo_code"]) <= set(city_links.filter(pl.col("territory_match") == "same_territory")["geo_code"])
    if not bundled:
        return
    rows = {(r["geo_code"], r["period"]): r for r in check.iter_rows(named=True)}
    # Brussels: the city table goes 37 -> 11, the regional table for the same territory 39 -> 39.
    assert (rows["BE001C", "2014"]["city_count"], rows["BE001C", "2014"]["region_count"]) == (37.0, 39.0)
    assert (rows["BE001C", "2015"]["city_count"], rows["BE001C", "2015"]["region_count"]) == (11.0, 39.0)
    assert rows["BE001C", "2015"]["agree"] is False
    # Wien: city and regional tables within one offence every year both have (2010: 18 vs 17).
    wien = check.filter(pl.col("geo_code") == "AT001C")
    assert wien["agree"].drop_nulls().all() and wien.height == 16
    print("\ncity vs region, same territory:", dict(check.group_by("agree").len().iter_rows()))


def test_real_city_homicide_rates(
    observations: pl.DataFrame, population: pl.DataFrame, city_links: pl.DataFrame, bundled: bool
) -> None:
    from transforms.crime import city_homicide_rates, homicide_city_vs_region

    check = homicide_city_vs_region(observations, city_links)
    rates, _ = city_homicide_rates(observations, population, city_links, check)
    assert all(not p for p in all_problems(rates, DOMAIN_INDICATOR_VALUES).values())
    same = set(city_links.filter(pl.col("territory_match") == "same_territory")["geo_code"])
    assert set(rates["geo_code"]) <= same
    if not bundled:
        return
    assert {"DE001C", "AT001C", "BE001C", "FR001C"} <= set(rates["geo_code"])
    berlin = one(rates, geo_code="DE001C", period="2019")
    assert berlin["numerator"] == 44.0 and berlin["note"].startswith("population of NUTS 3 DE300")
    assert (
        berlin["denominator"]
        == one(population.rename({"geo": "geo_code"}), geo_code="DE300", period="2019")["population"]
    )
    disagreeing = city_table_disagreements(check).filter(pl.col("geo_code") == "BE001C")
    assert {"2015", "2016"} <= set(disagreeing["period"])
    assert "SOURCES DISAGREE" in one(rates, geo_code="BE001C", period="2016")["note"]
