"""ESIF 2014-2020 planned-funding indicators (transforms/funding.py).

ACCEPTANCE: every published amount equals the raw file's sum to the cent, recomputed here independently with
``csv`` and ``decimal.Decimal`` straight from the file (not via sources.cohesion). Rules on missing amounts,
populations and input checks use small crafted frames.
"""

from __future__ import annotations

import csv
import random
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from expectations.indicator_values import ci_brackets_value, contract, values_in_range
from sources.cohesion import ESIF_PLANNED_SCHEMA, read_esif_planned, source_version
from sources.config import BUNDLED_DATA_DIR
from transforms.crime import DROP_SCHEMA
from transforms.funding import esif_planned_indicators
from transforms.population import POPULATION_SCHEMA
from warehouse.catalogue import CATALOGUE_BY_ID
from warehouse.catalogue.funding import FUNDING_INDICATORS
from warehouse.metadata import DOMAIN_INDICATOR_VALUES, INDICATOR_VALUES

AMOUNTS = {  # indicator -> raw column
    "FUND_ESIF_PLANNED_EU_EUR": "EU Amount",
    "FUND_ESIF_PLANNED_NATIONAL_EUR": "National Amount",
    "FUND_ESIF_PLANNED_TOTAL_EUR": "Total Amount",
}
PER_INHABITANT = ("FUND_ESIF_PLANNED_PC", "FUND_SOCINCL_PC")
CENT = Decimal("0.01")
# Float doubles hold every cent exactly below 2**53 cents; above, "equal to the cent" could not be checked.
MAX_EXACT = Decimal(2**53) / 100


def to_cents(value: float) -> Decimal:
    return Decimal(value).quantize(CENT)


# ---------------------------------------------------------------------------------------------------------------------
# The independent reference: csv + Decimal, nothing from the code under test
# ---------------------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def esif_path(raw_dir: Path) -> Path:
    return raw_dir / "cohesion_esif" / "ESIF_2014-2020_FINANCES_PLANNED_DETAILS_190411.csv"


@pytest.fixture(scope="module")
def raw_rows(esif_path: Path) -> list[dict[str, str]]:
    with esif_path.open(newline="", encoding="utf-8-sig") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def raw_sums(raw_rows: list[dict[str, str]]) -> dict[str, dict[tuple[str, str], Decimal]]:
    """raw column -> (raw MS code, TO code or 'ALL') -> exact sum."""
    out: dict[str, dict[tuple[str, str], Decimal]] = {}
    for column in AMOUNTS.values():
        sums: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
        for row in raw_rows:
            amount = Decimal(row[column])
            sums[(row["MS"], row["TO_code"])] += amount
            sums[(row["MS"], "ALL")] += amount
        out[column] = dict(sums)
    return out


def eurostat(ms: str) -> str:
    return {"GR": "EL", "TC": "TC_MULTI"}.get(ms, ms)


@pytest.fixture(scope="module")
def funding(esif_path: Path, population: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    return esif_planned_indicators(read_esif_planned(esif_path), population, source_version(esif_path))


@pytest.fixture(scope="module")
def values(funding: tuple[pl.DataFrame, pl.DataFrame]) -> pl.DataFrame:
    return funding[0]


@pytest.fixture(scope="module")
def dropped(funding: tuple[pl.DataFrame, pl.DataFrame]) -> pl.DataFrame:
    return funding[1]


@pytest.fixture(scope="module")
def bundled(raw_dir: Path) -> bool:
    return raw_dir.resolve() == BUNDLED_DATA_DIR.resolve()


def published(values: pl.DataFrame, indicator_id: str) -> dict[tuple[str, str | None], dict]:
    rows = values.filter(pl.col("indicator_id") == indicator_id)
    out = {(r["geo_code"], r["breakdown"]): r for r in rows.iter_rows(named=True)}
    assert len(out) == rows.height, f"{indicator_id}: repeated (geo_code, breakdown)"
    return out


# ---------------------------------------------------------------------------------------------------------------------
# Acceptance on the real file
# ---------------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("indicator_id", sorted(AMOUNTS))
def test_acceptance_amounts_equal_raw_sums_to_the_cent(indicator_id: str, values: pl.DataFrame, raw_sums: dict):
    expected = {(eurostat(ms), to): total for (ms, to), total in raw_sums[AMOUNTS[indicator_id]].items()}
    got = published(values, indicator_id)
    assert set(got) == set(expected)  # every (MS, TO) and ALL, nothing else
    for key, total in expected.items():
        assert abs(total) < MAX_EXACT
        row = got[key]
        assert to_cents(row["value"]) == total, (indicator_id, key, row["value"], total)
        assert row["value"] == float(total), (indicator_id, key)  # the double nearest to the exact sum
        assert row["numerator"] == row["value"]
        assert row["denominator"] is None


@pytest.mark.parametrize("indicator_id", sorted(AMOUNTS))
def test_acceptance_grand_total_over_published_geo_codes(indicator_id: str, values: pl.DataFrame, raw_rows: list):
    grand = sum(Decimal(r[AMOUNTS[indicator_id]]) for r in raw_rows)
    rows = values.filter(pl.col("indicator_id") == indicator_id)
    overall = rows.filter(pl.col("breakdown") == "ALL")
    assert sum(to_cents(v) for v in overall["value"]) == grand
    by_objective = rows.filter(pl.col("breakdown") != "ALL")
    assert sum(to_cents(v) for v in by_objective["value"]) == grand
    assert set(overall["geo_code"]) == {eurostat(r["MS"]) for r in raw_rows}


def test_acceptance_bundled_totals(values: pl.DataFrame, raw_rows: list, bundled: bool):
    if not bundled:
        pytest.skip("figures of the bundled release")
    total = published(values, "FUND_ESIF_PLANNED_TOTAL_EUR")
    to09 = sum((to_cents(r["value"]) for (_, b), r in total.items() if b == "09"), Decimal(0))
    assert to09 == Decimal("64459568459.24")  # domain notes: "TO09 ~ EUR 64.5 bn across the file"
    assert Decimal("64.4e9") < to09 < Decimal("64.6e9")
    assert to09 - to_cents(total[("TC_MULTI", "09")]["value"]) == Decimal("63845930437.24")  # countries only
    assert sum(to_cents(r["value"]) for (_, b), r in total.items() if b == "ALL") == Decimal("645475621413.39")
    assert to_cents(total[("TC_MULTI", "ALL")]["value"]) == Decimal("13181110109")
    assert to_cents(total[("EL", "ALL")]["value"]) == Decimal("26780353656.63")
    eu = published(values, "FUND_ESIF_PLANNED_EU_EUR")
    assert sum(to_cents(r["value"]) for (_, b), r in eu.items() if b == "ALL") == Decimal("461546379664.00")
    counts = dict(values.group_by("indicator_id").len().iter_rows())
    assert counts == {
        "FUND_ESIF_PLANNED_EU_EUR": 371,
        "FUND_ESIF_PLANNED_NATIONAL_EUR": 371,
        "FUND_ESIF_PLANNED_TOTAL_EUR": 371,
        "FUND_ESIF_PLANNED_PC": 356,
        "FUND_SOCINCL_PC": 28,
    }
    # codes outside 01-11/TA are kept as published breakdowns, not dropped
    assert {"VOID", "DM", "IPA-TA", "12"} <= set(values["breakdown"].drop_nulls())


def test_greece_is_el_never_gr(values: pl.DataFrame, raw_sums: dict):
    assert "GR" not in set(values["geo_code"])
    for indicator_id in [*AMOUNTS, *PER_INHABITANT]:
        assert values.filter((pl.col("indicator_id") == indicator_id) & (pl.col("geo_code") == "EL")).height > 0
    el = published(values, "FUND_ESIF_PLANNED_TOTAL_EUR")[("EL", "ALL")]
    assert to_cents(el["value"]) == raw_sums["Total Amount"][("GR", "ALL")]
    assert values.filter(pl.col("geo_code") == "UK").height > 0  # UK stays UK


def test_tc_is_published_only_as_a_multi_country_territory(values: pl.DataFrame, raw_sums: dict, dropped):
    multi = values.filter(pl.col("geo_level") == "MULTI_COUNTRY")
    assert set(multi["geo_code"]) == {"TC_MULTI"}
    assert set(values.filter(pl.col("geo_code") == "TC_MULTI")["geo_level"]) == {"MULTI_COUNTRY"}
    assert set(values.filter(pl.col("geo_code") != "TC_MULTI")["geo_level"]) == {"NUTS0"}
    assert set(multi["indicator_id"]) == set(AMOUNTS)  # amounts only, no per-inhabitant value
    # TC is not added to any country: the countries' ALL totals sum to the file's total minus TC's rows.
    total = raw_sums["Total Amount"]
    countries = values.filter(
        (pl.col("indicator_id") == "FUND_ESIF_PLANNED_TOTAL_EUR")
        & (pl.col("breakdown") == "ALL")
        & (pl.col("geo_level") == "NUTS0")
    )
    grand = sum(v for (_, to), v in total.items() if to == "ALL")
    assert sum(to_cents(v) for v in countries["value"]) == grand - total[("TC", "ALL")]
    # ... and counted where a per-inhabitant value would have been
    tc_candidates = sum(1 for (ms, _) in total if ms == "TC")
    reasons = {(r["indicator_id"], r["reason"]): r["rows"] for r in dropped.iter_rows(named=True)}
    assert reasons[("FUND_ESIF_PLANNED_PC", "multi_country_no_population")] == tc_candidates
    assert reasons[("FUND_SOCINCL_PC", "multi_country_no_population")] == (1 if ("TC", "09") in total else 0)


def test_per_inhabitant_is_total_over_population_2014(values: pl.DataFrame, raw_sums: dict, population):
    pop = {r["geo"]: r for r in population.filter(pl.col("period") == "2014").iter_rows(named=True)}
    total = {(eurostat(ms), to): v for (ms, to), v in raw_sums["Total Amount"].items() if ms != "TC"}
    got = published(values, "FUND_ESIF_PLANNED_PC")
    assert set(got) == {k for k in total if k[0] in pop}
    assert set(got) == set(total)  # every member state has a 2014 population in the bundle
    for (geo, to), row in got.items():
        p = pop[geo]
        assert row["denominator"] == p["population"]
        assert row["numerator"] == float(total[(geo, to)])
        assert row["value"] == float(total[(geo, to)]) / p["population"], (geo, to)
        assert row["obs_status"] == p["obs_status"]
        assert row["conf_status"] == p["conf_status"]
        assert row["source_dataset"] == f"esif_2014_2020_planned / {p['source_dataset']}"
        assert row["source_version"].endswith(f" / {p['source_dataset']}@{p['source_version']}")
    assert got[("FR", "ALL")]["obs_status"] == pop["FR"]["obs_status"] == "b"  # break in the population series


def test_socincl_equals_per_inhabitant_for_to09(values: pl.DataFrame):
    pc = published(values, "FUND_ESIF_PLANNED_PC")
    socincl = published(values, "FUND_SOCINCL_PC")
    assert {b for _, b in socincl} == {None}
    assert {g for g, _ in socincl} == {g for g, b in pc if b == "09"}
    assert len(socincl) > 0
    same = ["value", "numerator", "denominator", "obs_status", "conf_status", "source_dataset", "source_version"]
    for (geo, _), row in socincl.items():
        assert {c: row[c] for c in same} == {c: pc[(geo, "09")][c] for c in same}


def test_values_meet_the_contract_and_the_catalogue(values: pl.DataFrame):
    assert contract(values, DOMAIN_INDICATOR_VALUES) == []
    assert values_in_range(values) == []  # units as in the catalogue, finite, not negative
    assert ci_brackets_value(values) == []
    assert set(values["indicator_id"]) == {i.indicator_id for i in FUNDING_INDICATORS}
    for indicator in FUNDING_INDICATORS:
        assert CATALOGUE_BY_ID[indicator.indicator_id] is indicator
        levels = set(values.filter(pl.col("indicator_id") == indicator.indicator_id)["geo_level"])
        assert levels == set(indicator.geo_levels.split(","))
        assert indicator.ci_method is None and indicator.direction == "ctx"


def test_fixed_columns(values: pl.DataFrame, esif_path: Path):
    assert values.columns == DOMAIN_INDICATOR_VALUES.column_names
    version = f"esif_2014_2020_planned@{source_version(esif_path)}"
    assert set(values["period"]) == {"2014/2020"}
    assert set(values["series_variant"]) == {"planned_2014_2020"}
    assert set(values["comparability"]) == {"cross_country"}
    assert values["ci_low"].null_count() == values.height
    assert values["ci_high"].null_count() == values.height
    assert values["ci_method"].null_count() == values.height
    assert values["note"].str.contains("not spent").all()
    amounts = values.filter(pl.col("indicator_id").is_in(list(AMOUNTS)))
    assert set(amounts["unit"]) == {"EUR (planned)"}
    assert set(amounts["source_dataset"]) == {"esif_2014_2020_planned"}
    assert set(amounts["source_version"]) == {version}
    assert amounts["denominator"].null_count() == amounts.height
    assert amounts["obs_status"].null_count() == amounts["conf_status"].null_count() == amounts.height
    rates = values.filter(pl.col("indicator_id").is_in(PER_INHABITANT))
    assert set(rates["unit"]) == {"EUR (planned) per inhabitant"}
    assert rates["source_version"].str.starts_with(version + " / ").all()
    assert rates["denominator"].null_count() == 0


def test_rows_are_sorted_and_independent_of_input_order(values: pl.DataFrame, esif_path: Path, population):
    assert_frame_equal(values, values.sort(list(INDICATOR_VALUES.key), nulls_last=True))
    planned = read_esif_planned(esif_path)
    shuffled = planned.sample(fraction=1.0, shuffle=True, seed=7)
    assert shuffled["source_line"].to_list() != planned["source_line"].to_list()
    again, _ = esif_planned_indicators(shuffled, population.sample(fraction=1.0, shuffle=True, seed=3), "x")
    assert_frame_equal(
        values.drop("source_version"), again.drop("source_version")
    )  # identical, row for row, up to the version string passed in


# ---------------------------------------------------------------------------------------------------------------------
# Rules, on crafted frames
# ---------------------------------------------------------------------------------------------------------------------


def planned_of(rows: list[tuple[str, str | None, str | None, str | None, str | None]]) -> pl.DataFrame:
    """rows: (ms, to_code, eu, national, total) with amounts as decimal strings or None."""
    data = {name: [None] * len(rows) for name in ESIF_PLANNED_SCHEMA}
    for i, (ms, to, eu, nat, tot) in enumerate(rows):
        data["ms"][i] = ms
        data["to_code"][i] = to
        data["eu_amount"][i] = None if eu is None else Decimal(eu)
        data["national_amount"][i] = None if nat is None else Decimal(nat)
        data["total_amount"][i] = None if tot is None else Decimal(tot)
        data["source_line"][i] = i + 2
    return pl.DataFrame(data, schema=ESIF_PLANNED_SCHEMA)


def population_of(rows: list[tuple[str, str, float, str | None, str | None]]) -> pl.DataFrame:
    """rows: (geo, period, population, obs_status, conf_status)."""
    return pl.DataFrame([(*r, "demo_pjan", "v1") for r in rows], schema=POPULATION_SCHEMA, orient="row")


POP = population_of(
    [
        ("EL", "2014", 10_000_000.0, None, None),
        ("EL", "2015", 1.0, None, None),  # another year: never used
        ("DE", "2014", 80_000_000.0, "ep", None),
        ("FR", "2014", 0.0, None, None),
        ("GR", "2014", 5.0, None, None),  # a non-Eurostat code: must not be matched to Greece's rows
    ]
)


def reasons_of(dropped: pl.DataFrame) -> dict[tuple[str, str], int]:
    return {(r["indicator_id"], r["reason"]): r["rows"] for r in dropped.iter_rows(named=True)}


def test_crafted_sums_exact_and_codes_harmonised():
    planned = planned_of(
        [
            ("GR", "09", "0.1", "0.2", "0.3"),
            ("GR", "09", "0.2", "0.1", "0.3"),
            ("GR", "TA", "1", "0", "1"),
            ("TC", "09", "5", "5", "10"),
        ]
    )
    values, dropped = esif_planned_indicators(planned, POP, "sha256:abc")
    total = published(values, "FUND_ESIF_PLANNED_TOTAL_EUR")
    assert set(total) == {("EL", "09"), ("EL", "TA"), ("EL", "ALL"), ("TC_MULTI", "09"), ("TC_MULTI", "ALL")}
    assert total[("EL", "09")]["value"] == 0.6
    assert published(values, "FUND_ESIF_PLANNED_EU_EUR")[("EL", "09")]["value"] == float(Decimal("0.3"))
    assert 0.1 + 0.2 != float(Decimal("0.3"))  # what a float sum would have published
    assert total[("EL", "ALL")]["value"] == 1.6
    pc = published(values, "FUND_ESIF_PLANNED_PC")
    assert pc[("EL", "ALL")]["value"] == 1.6 / 10_000_000.0
    assert pc[("EL", "ALL")]["source_version"] == "esif_2014_2020_planned@sha256:abc / demo_pjan@v1"
    assert set(pc) == {("EL", "09"), ("EL", "TA"), ("EL", "ALL")}
    assert reasons_of(dropped) == {
        ("FUND_ESIF_PLANNED_PC", "multi_country_no_population"): 2,
        ("FUND_SOCINCL_PC", "multi_country_no_population"): 1,
    }
    assert dropped.schema == pl.Schema(DROP_SCHEMA)


def test_crafted_missing_amount_suppresses_its_sums_and_is_counted():
    planned = planned_of(
        [
            ("DE", "09", "1", None, "3"),  # national amount missing
            ("DE", "01", "2", "2", "4"),
            ("DE", "01", "5", "5", None),  # total missing
        ]
    )
    values, dropped = esif_planned_indicators(planned, POP, "v")
    assert set(published(values, "FUND_ESIF_PLANNED_EU_EUR")) == {("DE", "09"), ("DE", "01"), ("DE", "ALL")}
    assert set(published(values, "FUND_ESIF_PLANNED_NATIONAL_EUR")) == {("DE", "01")}  # not 2 or 4 for 09/ALL
    assert published(values, "FUND_ESIF_PLANNED_NATIONAL_EUR")[("DE", "01")]["value"] == 7.0
    assert set(published(values, "FUND_ESIF_PLANNED_TOTAL_EUR")) == {("DE", "09")}
    assert set(published(values, "FUND_ESIF_PLANNED_PC")) == {("DE", "09")}
    socincl = published(values, "FUND_SOCINCL_PC")[("DE", None)]
    assert socincl["value"] == 3 / 80_000_000.0
    assert socincl["obs_status"] == "ep"
    assert reasons_of(dropped) == {
        ("FUND_ESIF_PLANNED_NATIONAL_EUR", "missing_amount_in_source"): 2,
        ("FUND_ESIF_PLANNED_TOTAL_EUR", "missing_amount_in_source"): 2,
        ("FUND_ESIF_PLANNED_PC", "missing_amount_in_source"): 2,
    }


def test_crafted_population_rules():
    planned = planned_of(
        [
            ("FR", "09", "1", "1", "2"),  # population 0
            ("IT", "09", "1", "1", "2"),  # no population at all
            ("EL", "VOID", "1", "1", "2"),  # VOID kept as a breakdown
        ]
    )
    pop = POP.vstack(population_of([("IT", "2013", 60_000_000.0, None, None)]))  # wrong year only
    values, dropped = esif_planned_indicators(planned, pop, "v")
    assert set(published(values, "FUND_ESIF_PLANNED_PC")) == {("EL", "VOID"), ("EL", "ALL")}
    assert published(values, "FUND_ESIF_PLANNED_PC")[("EL", "VOID")]["denominator"] == 10_000_000.0
    assert set(published(values, "FUND_ESIF_PLANNED_TOTAL_EUR")) >= {("FR", "09"), ("IT", "09"), ("EL", "VOID")}
    assert reasons_of(dropped) == {
        ("FUND_ESIF_PLANNED_PC", "zero_population"): 2,
        ("FUND_ESIF_PLANNED_PC", "no_population"): 2,
        ("FUND_SOCINCL_PC", "zero_population"): 1,
        ("FUND_SOCINCL_PC", "no_population"): 1,
    }


def test_crafted_confidential_population_flag_is_carried():
    pop = population_of([("DE", "2014", 80_000_000.0, "p", "C")])
    values, _ = esif_planned_indicators(planned_of([("DE", "09", "1", "1", "2")]), pop, "v")
    row = published(values, "FUND_SOCINCL_PC")[("DE", None)]
    assert (row["obs_status"], row["conf_status"]) == ("p", "C")
    amount = published(values, "FUND_ESIF_PLANNED_TOTAL_EUR")[("DE", "09")]
    assert (amount["obs_status"], amount["conf_status"]) == (None, None)


def test_crafted_bad_codes_are_counted_not_published():
    planned = planned_of([("X1", "09", "1", "1", "2"), ("DE", None, "1", "1", "2"), ("DE", "09", "1", "1", "2")])
    values, dropped = esif_planned_indicators(planned, POP, "v")
    assert set(published(values, "FUND_ESIF_PLANNED_TOTAL_EUR")) == {("DE", "09"), ("DE", "ALL")}
    assert published(values, "FUND_ESIF_PLANNED_TOTAL_EUR")[("DE", "ALL")]["value"] == 4.0  # includes the no-TO row
    reasons = reasons_of(dropped)
    assert reasons[("FUND_ESIF_PLANNED_TOTAL_EUR", "not_a_member_state_code")] == 2  # X1/09 and X1/ALL
    assert reasons[("FUND_ESIF_PLANNED_TOTAL_EUR", "no_thematic_objective")] == 1


def test_crafted_refuses_ambiguous_or_inexact_input():
    with pytest.raises(ValueError, match="'ALL'"):
        esif_planned_indicators(planned_of([("DE", "ALL", "1", "1", "2")]), POP, "v")
    floats = planned_of([("DE", "09", "1", "1", "2")]).with_columns(pl.col("total_amount").cast(pl.Float64))
    with pytest.raises(TypeError, match="exact Decimal"):
        esif_planned_indicators(floats, POP, "v")


def test_crafted_output_does_not_depend_on_row_order():
    rows = [("DE", f"{i % 11 + 1:02d}", f"{i}.{i % 100:02d}", "1.01", f"{i + 1}.{i % 100:02d}") for i in range(200)]
    rows += [("GR", "09", "0.01", "0.02", "0.03"), ("TC", "TA", "1", "1", "2")]
    first, first_dropped = esif_planned_indicators(planned_of(rows), POP, "v")
    random.Random(1).shuffle(rows)
    second, second_dropped = esif_planned_indicators(planned_of(rows), POP, "v")
    assert_frame_equal(first, second)
    assert_frame_equal(first_dropped, second_dropped)
