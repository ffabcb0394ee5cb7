"""Action 5 indicators: the example registers against an independent plain-Python computation and the documented
results, crafted pyramids for the edge cases (gaps, perfect balance, one level only, unknown budgets), Collective
Impact ratings per condition, the published contract and the ESIF link."""

from __future__ import annotations

import csv
import math
import re
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from expectations.indicator_values import ci_brackets_value, contract, values_in_range
from sources.codelists import read_code_list
from sources.config import PROJECT_ROOT
from sources.registers import (
    CONDITIONS,
    PREVENTION_SCHEMA,
    read_collective_impact_register,
    read_prevention_register,
)
from transforms.prevention import (
    collective_impact_indicators,
    evenness,
    link_esif,
    prevention_pyramid_indicators,
)
from warehouse.catalogue import CATALOGUE_BY_ID
from warehouse.catalogue.action5 import ACTION5_INDICATORS
from warehouse.metadata import DOMAIN_INDICATOR_VALUES

EXAMPLE_DIR = PROJECT_ROOT / "data" / "registers" / "example"
DOCS = PROJECT_ROOT / "docs" / "registers.md"
ESIF_FILE = "cohesion_esif/ESIF_2014-2020_FINANCES_PLANNED_DETAILS_190411.csv"
LEVEL_NAMES = {1: "quality of life", 2: "general prevention", 3: "specific prevention", 4: "reaction"}
LEVEL_LABELS = {1: "L1_quality_of_life", 2: "L2_general_prevention", 3: "L3_specific_prevention", 4: "L4_reaction"}


@pytest.fixture(scope="module")
def cities(raw_dir: Path) -> set[str]:
    return set(read_code_list(raw_dir / "eurostat_codelists" / "ESTAT_CITIES.tsv")["code"])


@pytest.fixture(scope="module")
def measures(cities) -> pl.DataFrame:
    result = read_prevention_register(EXAMPLE_DIR / "prevention_pyramid.csv", known_cities=cities)
    assert result.errors == []
    return result.rows


@pytest.fixture(scope="module")
def initiatives(cities) -> pl.DataFrame:
    result = read_collective_impact_register(
        EXAMPLE_DIR / "collective_impact.csv", known_cities=cities, known_indicator_ids=set(CATALOGUE_BY_ID)
    )
    assert result.errors == []
    return result.rows


@pytest.fixture(scope="module")
def pyramid(measures) -> pl.DataFrame:
    return prevention_pyramid_indicators(measures, example=True)


@pytest.fixture(scope="module")
def cim(initiatives) -> pl.DataFrame:
    return collective_impact_indicators(initiatives, example=True)


def _value(frame: pl.DataFrame, indicator: str, breakdown: str, city: str, period: str = "2019") -> dict:
    rows = frame.filter(
        (pl.col("indicator_id") == indicator)
        & (pl.col("breakdown") == breakdown)
        & (pl.col("geo_code") == city)
        & (pl.col("period") == period)
    )
    assert rows.height == 1, (indicator, breakdown, city, period, rows.height)
    return rows.row(0, named=True)


def _crafted(rows: list[tuple], city: str = "BE012C", year: int = 2019) -> pl.DataFrame:
    """Measures in the reader's shape from (level, budget) pairs (budget None = unknown)."""
    records = [
        {
            "city_code": city,
            "measure_id": f"M-{i:02d}",
            "measure_name": f"measure {i}",
            "reference_year": year,
            "pyramid_level": level,
            "orientation": "community",
            "target_group": None,
            "annual_budget": budget,
            "currency": "EUR" if budget is not None else None,
            "funding_source": None,
            "esif_cci": None,
            "start_date": date(2015, 1, 1),
            "end_date": None,
            "source_file": "prevention_pyramid.csv",
            "source_line": i + 1,
            "source_version": "prevention_pyramid.csv@sha256:000000000000",
        }
        for i, (level, budget) in enumerate(rows, start=1)
    ]
    return pl.DataFrame(records, schema=PREVENTION_SCHEMA, orient="row")


# ---------------------------------------------------------------------------------------------------------------------
# Independent computation from the CSV, with plain Python
# ---------------------------------------------------------------------------------------------------------------------


def _independent() -> dict[tuple[str, str], dict]:
    """Per (city, year): measures per level, budgets per level (None if any budget unknown), evenness."""
    counts: dict[tuple[str, str], Counter] = defaultdict(Counter)
    budgets: dict[tuple[str, str], dict[int, float]] = defaultdict(lambda: dict.fromkeys(LEVEL_NAMES, 0.0))
    unknown: Counter = Counter()
    with (EXAMPLE_DIR / "prevention_pyramid.csv").open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            key = (row["city_code"], row["reference_year"])
            level = int(row["pyramid_level"])
            counts[key][level] += 1
            if row["annual_budget"]:
                budgets[key][level] += float(row["annual_budget"])
            else:
                unknown[key] += 1

    def even(weights: list[float]) -> float:
        total = sum(weights)
        return -sum(w / total * math.log(w / total) for w in weights if w > 0) / math.log(4)

    out = {}
    for key, counter in counts.items():
        n = [counter[level] for level in LEVEL_NAMES]
        b = None if unknown[key] else [budgets[key][level] for level in LEVEL_NAMES]
        out[key] = {
            "n": n,
            "total": sum(n),
            "budget": b,
            "count_balance": even(n),
            "budget_balance": even(b) if b else None,
            "empty": [level for level in LEVEL_NAMES if counter[level] == 0],
        }
    return out


def test_example_level_shares_and_balance_match_an_independent_computation(pyramid):
    expected = _independent()
    assert set(expected) == {("BE012C", "2019"), ("ES001C", "2019"), ("LV001C", "2019")}
    for (city, year), e in expected.items():
        for level in LEVEL_NAMES:
            row = _value(pyramid, "PP_LEVEL_SHARE", f"{LEVEL_LABELS[level]}|count", city, year)
            assert row["value"] == pytest.approx(100 * e["n"][level - 1] / e["total"], rel=1e-12)
            assert (row["numerator"], row["denominator"]) == (e["n"][level - 1], e["total"])
            if e["budget"] is not None:
                row = _value(pyramid, "PP_LEVEL_SHARE", f"{LEVEL_LABELS[level]}|budget", city, year)
                assert row["value"] == pytest.approx(100 * e["budget"][level - 1] / sum(e["budget"]), rel=1e-12)
                assert (row["numerator"], row["denominator"]) == (e["budget"][level - 1], sum(e["budget"]))
        balance = _value(pyramid, "PP_BALANCE", "count", city, year)
        assert balance["value"] == pytest.approx(e["count_balance"], abs=1e-12)
        budget_rows = pyramid.filter((pl.col("geo_code") == city) & pl.col("breakdown").str.ends_with("budget")).height
        if e["budget"] is None:
            assert budget_rows == 0
        else:
            assert budget_rows == 5  # four level shares and the balance
            assert _value(pyramid, "PP_BALANCE", "budget", city, year)["value"] == pytest.approx(
                e["budget_balance"], abs=1e-12
            )


def _docs_table(name: str) -> list[list[str]]:
    text = DOCS.read_text(encoding="utf-8")
    block = re.search(rf"<!-- BEGIN example results: {name} -->\n(.*?)<!-- END example results: {name} -->", text, re.S)
    assert block, f"docs/registers.md lacks the '{name}' results table"
    lines = [ln for ln in block.group(1).splitlines() if ln.startswith("|")][2:]  # skip header and rule
    return [[cell.strip() for cell in ln.strip("|").split("|")] for ln in lines]


def test_documented_level_shares_are_what_the_examples_produce(pyramid):
    expected = _independent()
    documented = _docs_table("levels")
    assert len(documented) == 12
    for city, period, level_name, n, count_share, budget, budget_share in documented:
        level = int(level_name.split()[0])
        assert level_name == f"{level} {LEVEL_NAMES[level]}"
        e = expected[(city, period)]
        assert int(n) == e["n"][level - 1]
        assert float(count_share) == pytest.approx(100 * e["n"][level - 1] / e["total"], abs=0.005)
        published = _value(pyramid, "PP_LEVEL_SHARE", f"{LEVEL_LABELS[level]}|count", city, period)
        assert f"{published['value']:.2f}" == count_share
        if budget_share == "not published":
            assert e["budget"] is None
            assert "budget shares not published" in published["note"]
        else:
            assert float(budget) == e["budget"][level - 1]
            assert float(budget_share) == pytest.approx(100 * e["budget"][level - 1] / sum(e["budget"]), abs=0.005)
            published = _value(pyramid, "PP_LEVEL_SHARE", f"{LEVEL_LABELS[level]}|budget", city, period)
            assert f"{published['value']:.2f}" == budget_share


def test_documented_balance_is_what_the_examples_produce(pyramid):
    expected = _independent()
    documented = _docs_table("balance")
    assert [(city, period) for city, period, *_ in documented] == sorted(expected)
    for city, period, count_balance, budget_balance, note in documented:
        e = expected[(city, period)]
        assert float(count_balance) == pytest.approx(e["count_balance"], abs=0.00005)
        published = _value(pyramid, "PP_BALANCE", "count", city, period)
        assert f"{published['value']:.4f}" == count_balance
        assert published["note"] == "; ".join(["EXAMPLE DATA", note] if note else ["EXAMPLE DATA"])
        if budget_balance == "not published":
            assert e["budget_balance"] is None
        else:
            assert float(budget_balance) == pytest.approx(e["budget_balance"], abs=0.00005)
            assert f"{_value(pyramid, 'PP_BALANCE', 'budget', city, period)['value']:.4f}" == budget_balance


# ---------------------------------------------------------------------------------------------------------------------
# Gaps, balance extremes, budgets
# ---------------------------------------------------------------------------------------------------------------------


def test_a_city_with_an_empty_level_has_balance_below_one_and_the_note_names_the_level(pyramid):
    riga = _value(pyramid, "PP_BALANCE", "count", "LV001C")
    assert 0 < riga["value"] < 1
    assert riga["note"] == "EXAMPLE DATA; empty levels: 1 quality of life"
    share = _value(pyramid, "PP_LEVEL_SHARE", "L1_quality_of_life|count", "LV001C")
    assert (share["value"], share["numerator"], share["denominator"]) == (0.0, 0.0, 5.0)  # an explicit real zero
    assert "empty level" in share["note"]
    assert _value(pyramid, "PP_BALANCE", "count", "BE012C")["note"] == "EXAMPLE DATA"  # no gap, nothing named


def test_four_equal_levels_give_exactly_one():
    values = prevention_pyramid_indicators(_crafted([(1, 50.0), (2, 50.0), (3, 50.0), (4, 50.0)]), example=False)
    count = _value(values, "PP_BALANCE", "count", "BE012C")
    budget = _value(values, "PP_BALANCE", "budget", "BE012C")
    assert (count["value"], budget["value"]) == (1.0, 1.0)
    assert (count["note"], budget["note"]) == (None, None)
    shares = values.filter(pl.col("breakdown").str.ends_with("|count"))["value"].to_list()
    assert shares == [25.0, 25.0, 25.0, 25.0]


def test_one_level_only_gives_zero_and_names_the_three_gaps():
    values = prevention_pyramid_indicators(_crafted([(3, 10.0), (3, 20.0), (3, 30.0)]), example=False)
    count = _value(values, "PP_BALANCE", "count", "BE012C")
    assert count["value"] == 0.0
    assert count["note"] == "empty levels: 1 quality of life, 2 general prevention, 4 reaction"
    assert _value(values, "PP_LEVEL_SHARE", "L3_specific_prevention|count", "BE012C")["value"] == 100.0
    assert _value(values, "PP_BALANCE", "budget", "BE012C")["value"] == 0.0


def test_an_unknown_budget_stops_budget_shares_but_still_counts_the_measure():
    values = prevention_pyramid_indicators(_crafted([(1, 100.0), (2, None), (3, 100.0), (4, 100.0)]), example=False)
    assert values.filter(pl.col("breakdown").str.ends_with("budget")).height == 0
    count_rows = values.filter(pl.col("indicator_id") == "PP_LEVEL_SHARE")
    assert count_rows.height == 4
    assert count_rows["value"].to_list() == [25.0, 25.0, 25.0, 25.0]  # the unbudgeted measure still counts
    assert set(count_rows["note"]) == {"budget shares not published: 1 of 4 measures without a budget"}


def test_budgets_adding_up_to_zero_publish_no_budget_shares():
    values = prevention_pyramid_indicators(_crafted([(1, 0.0), (2, 0.0)]), example=False)
    assert values.filter(pl.col("breakdown").str.ends_with("budget")).height == 0
    note = _value(values, "PP_LEVEL_SHARE", "L1_quality_of_life|count", "BE012C")["note"]
    assert note == "budget shares not published: the budgets add up to 0"


def test_budget_shares_weigh_amounts_not_measures():
    values = prevention_pyramid_indicators(_crafted([(1, 300.0), (2, 100.0), (2, 0.0), (4, 600.0)]), example=False)
    budget = {
        r["breakdown"]: (r["value"], r["numerator"], r["denominator"])
        for r in values.filter(pl.col("breakdown").str.ends_with("|budget")).iter_rows(named=True)
    }
    assert budget == {
        "L1_quality_of_life|budget": (30.0, 300.0, 1000.0),
        "L2_general_prevention|budget": (10.0, 100.0, 1000.0),
        "L3_specific_prevention|budget": (0.0, 0.0, 1000.0),
        "L4_reaction|budget": (60.0, 600.0, 1000.0),
    }
    expected = -(0.3 * math.log(0.3) + 0.1 * math.log(0.1) + 0.6 * math.log(0.6)) / math.log(4)
    balance = _value(values, "PP_BALANCE", "budget", "BE012C")
    assert balance["value"] == pytest.approx(expected, abs=1e-12)
    assert balance["note"] == "empty levels: 3 specific prevention"


def test_years_and_cities_are_computed_apart():
    frame = pl.concat(
        [
            _crafted([(1, 1.0), (2, 1.0), (3, 1.0), (4, 1.0)], year=2019),
            _crafted([(1, 1.0), (1, 1.0)], year=2020),
            _crafted([(4, 1.0)], city="LV001C", year=2019),
        ]
    )
    values = prevention_pyramid_indicators(frame, example=False)
    assert _value(values, "PP_BALANCE", "count", "BE012C", "2019")["value"] == 1.0
    assert _value(values, "PP_BALANCE", "count", "BE012C", "2020")["value"] == 0.0
    assert _value(values, "PP_LEVEL_SHARE", "L4_reaction|count", "LV001C", "2019")["value"] == 100.0
    assert _value(values, "PP_LEVEL_SHARE", "L1_quality_of_life|count", "BE012C", "2020")["denominator"] == 2.0


def test_share_rows_follow_numerator_over_denominator(pyramid):
    shares = pyramid.filter(pl.col("indicator_id") == "PP_LEVEL_SHARE")
    assert shares.height == 20  # 3 cities x 4 levels by count, 2 cities x 4 levels by budget
    for row in shares.iter_rows(named=True):
        assert row["value"] == pytest.approx(100 * row["numerator"] / row["denominator"], rel=1e-12)
    for (city,), rows in shares.group_by("geo_code", "breakdown").agg(pl.len()).group_by("geo_code"):
        assert rows.height in (4, 8), city
    totals = shares.group_by("geo_code", pl.col("breakdown").str.split("|").list.last()).agg(pl.col("value").sum())
    assert totals["value"].to_list() == pytest.approx([100.0] * totals.height)


def test_evenness_refuses_anything_but_four_weights():
    with pytest.raises(ValueError, match="4 non-negative weights"):
        evenness([1, 1, 1])
    with pytest.raises(ValueError, match="positive sum"):
        evenness([0, 0, 0, 0])


def test_mixed_currencies_are_refused_by_the_transform_too():
    frame = _crafted([(1, 10.0), (2, 10.0)]).with_columns(
        pl.when(pl.col("measure_id") == "M-02").then(pl.lit("SEK")).otherwise(pl.col("currency")).alias("currency")
    )
    with pytest.raises(ValueError, match="several currencies"):
        prevention_pyramid_indicators(frame, example=False)


# ---------------------------------------------------------------------------------------------------------------------
# Published conventions and the contract
# ---------------------------------------------------------------------------------------------------------------------


def test_rows_carry_the_register_conventions(pyramid, cim, measures):
    both = pl.concat([pyramid, cim])
    assert set(both["geo_level"]) == {"CITY"}
    assert set(both["series_variant"]) == {"register"}
    assert set(both["comparability"]) == {"not_comparable"}
    assert (
        both.select("ci_low", "ci_high", "ci_method", "obs_status", "conf_status").null_count().row(0)
        == (both.height,) * 5
    )
    assert dict(both.group_by("indicator_id").agg(pl.col("unit").unique()).iter_rows()) == {
        "PP_LEVEL_SHARE": ["%"],
        "PP_BALANCE": ["evenness 0-1"],
        "CIM_CONDITIONS": ["rating 0-3"],
    }
    assert set(pyramid["source_dataset"]) == {"prevention_pyramid_register"}
    assert set(cim["source_dataset"]) == {"collective_impact_register"}
    assert set(pyramid["source_version"]) == set(measures["source_version"])
    assert re.fullmatch(r"prevention_pyramid\.csv@sha256:[0-9a-f]{12}", pyramid["source_version"][0])
    assert re.fullmatch(r"collective_impact\.csv@sha256:[0-9a-f]{12}", cim["source_version"][0])
    assert both["note"].str.starts_with("EXAMPLE DATA").all()
    assert both.columns == DOMAIN_INDICATOR_VALUES.column_names
    assert both["example_data"].all()


def test_notes_say_example_data_only_for_examples(measures, initiatives):
    plain = pl.concat(
        [
            prevention_pyramid_indicators(measures, example=False),
            collective_impact_indicators(initiatives, example=False),
        ]
    )
    assert not plain["note"].drop_nulls().str.contains("EXAMPLE").any()
    assert not plain["example_data"].any()
    assert _value(plain, "PP_BALANCE", "count", "LV001C")["note"] == "empty levels: 1 quality of life"
    assert _value(plain, "PP_BALANCE", "count", "BE012C")["note"] is None


def test_register_values_meet_the_published_contract(pyramid, cim):
    both = pl.concat([pyramid, cim])
    assert contract(both, DOMAIN_INDICATOR_VALUES) == []
    assert values_in_range(both) == []
    assert ci_brackets_value(both) == []
    assert pyramid["value"].filter(pyramid["indicator_id"] == "PP_BALANCE").is_between(0, 1).all()


def test_values_in_range_would_catch_a_unit_the_catalogue_does_not_know(pyramid):
    wrong = pyramid.with_columns(pl.lit("percent").alias("unit"))
    assert values_in_range(wrong) != []


def test_a_rejected_register_publishes_nothing():
    empty = pl.DataFrame(schema=PREVENTION_SCHEMA)
    assert prevention_pyramid_indicators(empty, example=True).height == 0
    assert prevention_pyramid_indicators(empty, example=True).columns == DOMAIN_INDICATOR_VALUES.column_names


# ---------------------------------------------------------------------------------------------------------------------
# Collective Impact
# ---------------------------------------------------------------------------------------------------------------------


def test_cim_has_one_row_per_initiative_and_condition_never_summed(cim):
    with (EXAMPLE_DIR / "collective_impact.csv").open(encoding="utf-8", newline="") as f:
        register = list(csv.DictReader(f))
    expected = {
        (r["city_code"], f"{r['initiative_id']}|{condition}"): float(r[condition])
        for r in register
        for condition in CONDITIONS
    }
    published = {(r["geo_code"], r["breakdown"]): r["value"] for r in cim.iter_rows(named=True)}
    assert published == expected
    assert cim.height == 4 * 5
    assert cim["value"].max() <= 3  # a sum of five ratings would exceed 3 (MEC-CI-02 sums to 12)
    assert set(cim["breakdown"].str.split("|").list.last()) == set(CONDITIONS)
    assert set(cim["numerator"].to_list()) == {None}


def test_cim_shared_measurement_note_lists_the_shared_indicators(cim):
    row = _value(cim, "CIM_CONDITIONS", "MEC-CI-01|shared_measurement", "BE012C")
    assert row["note"] == "EXAMPLE DATA; shared indicators: SEC_RECORDED_RATE, PP_BALANCE"
    assert _value(cim, "CIM_CONDITIONS", "MEC-CI-01|common_agenda", "BE012C")["note"] == "EXAMPLE DATA"
    assert _value(cim, "CIM_CONDITIONS", "RIG-CI-01|shared_measurement", "LV001C")["note"] == "EXAMPLE DATA"


# ---------------------------------------------------------------------------------------------------------------------
# Catalogue and ESIF link
# ---------------------------------------------------------------------------------------------------------------------


def test_catalogue_describes_the_three_register_indicators(pyramid, cim):
    entries = {i.indicator_id: i for i in ACTION5_INDICATORS}
    assert set(entries) == {"PP_LEVEL_SHARE", "PP_BALANCE", "CIM_CONDITIONS"}
    assert all(CATALOGUE_BY_ID[i] is entries[i] for i in entries)
    published_units = dict(pl.concat([pyramid, cim]).select("indicator_id", "unit").unique().iter_rows())
    assert {i: e.unit for i, e in entries.items()} == published_units
    for entry in entries.values():
        assert (entry.geo_levels, entry.comparability, entry.ci_method) == ("CITY", "not_comparable", None)
        assert entry.sources == "city register (template in templates/registers/)"
        assert "Self-reported" in entry.caveats and "not open data" in entry.caveats
    assert "[proposal]" in entries["PP_BALANCE"].caveats and "[proposal]" in entries["CIM_CONDITIONS"].caveats
    assert entries["PP_LEVEL_SHARE"].dimension == entries["PP_BALANCE"].dimension == "A5 Prevention Pyramid"
    assert entries["CIM_CONDITIONS"].dimension == "A5 Collective Impact"


@pytest.fixture(scope="module")
def programmes(raw_dir: Path) -> pl.DataFrame:
    with (raw_dir / ESIF_FILE).open(encoding="utf-8", newline="") as f:
        rows = [(r["CCI"], r["Programme Title"]) for r in csv.DictReader(f)]
    return pl.DataFrame(rows, schema={"cci": pl.String, "programme_title": pl.String}, orient="row")


def test_link_esif_adds_the_programme_title(measures, programmes):
    assert programmes.height > programmes["cci"].n_unique()  # one row per priority and fund: collapsed by link_esif
    linked = link_esif(measures, programmes)
    assert linked.height == measures.height
    assert linked["measure_id"].to_list() == measures["measure_id"].to_list()
    titles = dict(linked.filter(pl.col("esif_cci").is_not_null()).select("measure_id", "programme_title").iter_rows())
    assert titles == {
        "MEC-02": "Flanders - ERDF",
        "MEC-05": "Flanders - ESF",
        "MAD-04": "Madrid - ESF",
        "RIG-01": "Growth and Employment - LV - ERDF/ESF/CF/YEI",
    }
    assert linked.filter(pl.col("esif_cci").is_null())["programme_title"].null_count() == measures.height - 4


def test_link_esif_refuses_a_programme_with_two_titles(measures):
    conflicting = pl.DataFrame({"cci": ["2014BE16RFOP002", "2014BE16RFOP002"], "programme_title": ["A", "B"]})
    with pytest.raises(ValueError, match="2014BE16RFOP002"):
        link_esif(measures, conflicting)
