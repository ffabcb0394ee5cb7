"""City <-> region links from LAU 2019 (transforms/city_regions.py): the rules on small frames and the acceptance
facts on the real files."""

from __future__ import annotations

import csv
from pathlib import Path

import polars as pl
import pytest

from sources.lau import LAU_COLUMNS
from transforms.city_regions import (
    CITY_REGION_SCHEMA,
    city_regions,
    name_variants,
    names_agree,
    read_overrides,
    size_class,
)

# ------------------------------------------------------------------------------------------------ rules


def lau_rows(rows: list[dict]) -> pl.DataFrame:
    """A LAU frame (sources.lau schema) from a few dicts; unspecified cells are NULL."""
    full = [{c: r.get(c) for c in LAU_COLUMNS} for r in rows]
    return pl.DataFrame(full, schema=LAU_COLUMNS)


def lau_row(nuts3: str, code: str, pop: float | None, city: str | None = None, name: str | None = None, **kw) -> dict:
    return {
        "code_2016": nuts3,
        "lau_code": code,
        "lau_name_national": kw.pop("lau_name", code),
        "population": pop,
        "total_area_m2": kw.pop("area", None),
        "city_id": city,
        "city_name": name,
        "country": nuts3[:2],
        **kw,
    }


NO_OVERRIDES = pl.DataFrame(
    schema={"geo_code": pl.String, "lau_column": pl.String, "lau_value": pl.String, "source": pl.String}
)
NO_POPULATION = pl.DataFrame(schema={"geo": pl.String, "period": pl.String, "population": pl.Float64})


def links(
    codes: dict[str, str],
    rows: list[dict],
    overrides: pl.DataFrame = NO_OVERRIDES,
    population: pl.DataFrame = NO_POPULATION,
) -> dict[str, dict]:
    code_list = pl.DataFrame({"code": list(codes), "label": list(codes.values())})
    out = city_regions(code_list, lau_rows(rows), population, overrides)
    assert dict(out.schema) == CITY_REGION_SCHEMA
    return {r["geo_code"]: r for r in out.iter_rows(named=True)}


def test_same_territory_part_of_region_and_spans_regions() -> None:
    rows = [
        lau_row("XX111", "1", 500_000, "XX001C1", "Alpha"),  # Alpha = all of XX111
        lau_row("XX112", "2", 80_000, "XX002C1", "Beta"),  # Beta = part of XX112
        lau_row("XX112", "3", 10_000),
        lau_row("XX113", "4", 30_000, "XX003C1", "Gamma"),  # Gamma spans XX113 and XX114, most people in XX114
        lau_row("XX114", "5", 70_000, "XX003C1", "Gamma"),
        lau_row("XX114", "6", 5_000),
    ]
    out = links({"XX001C": "Alpha", "XX002C": "Beta", "XX003C": "Gamma (greater city)"}, rows)
    assert [out[c]["territory_match"] for c in ("XX001C", "XX002C", "XX003C")] == [
        "same_territory",
        "part_of_region",
        "spans_regions",
    ]
    assert out["XX003C"]["nuts3_code"] == "XX114" and out["XX003C"]["lau_count"] == 2
    assert out["XX003C"]["city_population"] == 100_000 and out["XX003C"]["size_class"] == "M"
    assert {r["lau_match"] for r in out.values()} == {"city_id"}
    assert {r["nuts3_basis"] for r in out.values()} == {"lau_population"}


def test_without_population_area_then_count_decide_and_say_so() -> None:
    rows = [
        lau_row("XX111", "1", None, "XX001C1", "Alpha", area=1.0),
        lau_row("XX112", "2", None, "XX001C1", "Alpha", area=5.0),
        lau_row("XX111", "3", None, "XX002C1", "Beta"),
        lau_row("XX112", "4", None, "XX002C1", "Beta"),
        lau_row("XX112", "5", None, "XX002C1", "Beta"),
    ]
    out = links({"XX001C": "Alpha", "XX002C": "Beta"}, rows)
    assert (out["XX001C"]["nuts3_code"], out["XX001C"]["nuts3_basis"]) == ("XX112", "lau_area")
    assert (out["XX002C"]["nuts3_code"], out["XX002C"]["nuts3_basis"]) == ("XX112", "lau_count")
    assert out["XX001C"]["city_population"] is None and out["XX001C"]["size_class"] is None
    assert "no city population" in out["XX001C"]["link_note"]


def test_same_territory_without_lau_population_takes_the_regions() -> None:
    rows = [lau_row("XX111", "1", None, "XX001C1", "Alpha")]
    population = pl.DataFrame({"geo": ["XX111", "XX111"], "period": ["2018", "2019"], "population": [1.0, 2e6]})
    out = links({"XX001C": "Alpha"}, rows, population=population)["XX001C"]
    assert out["city_population"] == 2e6 and out["size_class"] == "XXL"
    assert "XX111 (same territory) on 1 January 2019" in out["city_population_source"]


def test_a_renumbered_code_is_not_trusted_the_name_decides() -> None:
    rows = [
        lau_row("XX111", "1", 100_000, "XX023C1", "Moers"),
        lau_row("XX222", "2", 160_000, "XX025C1", "Darmstadt"),
    ]
    out = links({"XX023C": "Darmstadt", "XX099C": "Nowhere", "XX025C": "Freiburg"}, rows)
    assert (out["XX023C"]["lau_match"], out["XX023C"]["nuts3_code"]) == ("city_name", "XX222")
    assert "XX025C" in out["XX023C"]["link_note"] and "Moers" in out["XX023C"]["link_note"]
    # Freiburg's code is Darmstadt's in the LAU table and Freiburg is not there: not linked, and said why.
    assert out["XX025C"]["nuts3_code"] is None and out["XX025C"]["lau_match"] is None
    assert "'Darmstadt' in LAU 2019, not 'Freiburg'" in out["XX025C"]["link_note"]
    assert "not a city of LAU 2019" in out["XX099C"]["link_note"]


def test_documented_list_names_the_laus_and_the_rule_does_the_rest() -> None:
    rows = [lau_row("XX100", str(i), 60_000, None, None, greater_city_id="XX001K1") for i in range(3)]
    overrides = pl.DataFrame(
        {"geo_code": ["XX001C"], "lau_column": ["code_2016"], "lau_value": ["XX100"], "source": ["a source"]}
    )
    out = links({"XX001C": "Capital (greater city)"}, rows, overrides)["XX001C"]
    assert (out["lau_match"], out["nuts3_code"], out["territory_match"]) == (
        "documented_list",
        "XX100",
        "same_territory",
    )
    assert out["link_note"] == "a source" and out["size_class"] == "M"  # 3 x 60,000


@pytest.mark.parametrize(
    ("population", "label"),
    [
        (None, None),
        (49_999, None),
        (50_000, "S"),
        (99_999, "S"),
        (100_000, "M"),
        (249_999, "M"),
        (250_000, "L"),
        (500_000, "XL"),
        (999_999, "XL"),
        (1_000_000, "XXL"),
        (9e6, "XXL"),
    ],
)
def test_size_classes_of_dijkstra_poelman(population: float | None, label: str | None) -> None:
    frame = pl.DataFrame({"p": [population]}, schema={"p": pl.Float64})
    assert frame.select(size_class(pl.col("p")).alias("c"))["c"].to_list() == [label]


@pytest.mark.parametrize(
    ("a", "b", "agree"),
    [
        ("Helsinki/Helsingfors", "Helsinki", True),
        ("Bucuresti", "MUNICIPIUL BUCURESTI", True),
        ("Piatra-Neamț", "MUNICIPIUL PIATRA NEAMT", True),
        ("Greater Valletta", "Valletta (greater)", True),
        ("Tartu", "Tartu linn", True),
        ("Marseille (greater city)", "European City of Marseille", True),
        ("Darmstadt", "Moers", False),
        ("Athina", "Athens", False),
    ],
)
def test_names_agree(a: str, b: str, agree: bool) -> None:
    assert names_agree(a, b) is agree


def test_close_spellings_agree_only_when_the_code_already_points_there() -> None:
    assert not names_agree("Larisa", "Larissa") and names_agree("Larisa", "Larissa", 0.8)
    assert not names_agree("Darmstadt", "Moers", 0.8)
    assert name_variants("Bruxelles / Brussel (greater city)") == {"bruxelles", "brussel", "bruxelles brussel"}


# ------------------------------------------------------------------------------------------------ the real files


@pytest.fixture(scope="module")
def by_code(city_links: pl.DataFrame) -> dict[str, dict]:
    return {r["geo_code"]: r for r in city_links.iter_rows(named=True)}


@pytest.fixture(scope="module")
def survey_cities(raw_dir: Path) -> list[str]:
    """The cities of urb_percep, read with the csv module (independent of the readers)."""
    with (raw_dir / "eurostat_urban_audit" / "urb_percep.tsv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh, delimiter="\t"))
    return sorted({r[0].split(",")[2] for r in rows[1:]})


def test_koeln_is_its_own_nuts3_region(by_code: dict[str, dict]) -> None:
    koeln = by_code["DE004C"]
    assert (koeln["nuts3_code"], koeln["territory_match"], koeln["lau_match"]) == ("DEA23", "same_territory", "city_id")
    assert koeln["size_class"] == "XXL" and 1e6 < koeln["city_population"] < 1.2e6


def test_at_least_25_survey_cities_are_the_same_territory_as_their_region(
    by_code: dict[str, dict], survey_cities: list[str], bundled: bool
) -> None:
    same = sorted(c for c in survey_cities if by_code.get(c, {}).get("territory_match") == "same_territory")
    print(f"\n{len(same)} of {len(survey_cities)} urb_percep cities are same_territory: {', '.join(same)}")
    assert len(same) >= 25
    if bundled:
        assert len(same) == 45
        assert {"DE001C", "DE004C", "AT001C", "BE001C", "FR001C", "PL001C", "HU001C"} <= set(same)


def test_every_city_present_in_the_lau_table_has_a_region(
    city_links: pl.DataFrame, lau: pl.DataFrame, city_codes: pl.DataFrame
) -> None:
    """'Present' decided here without the module's matching: the CITIES label, accents and '(greater city)'
    dropped, is the LAU table's city name (or the code's six characters are a city_id whose name is the label's)."""
    import unicodedata

    def plain(text: str | None) -> str:
        text = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode().lower()
        return text.replace("(greater city)", "").strip()

    lau_cities = (
        lau.filter(pl.col("city_id").is_not_null())
        .select(pl.col("city_id").str.slice(0, 6).alias("code6"), "city_name", "country")
        .unique()
    )
    names = {(r["country"], plain(r["city_name"])) for r in lau_cities.iter_rows(named=True)}
    code_names = {r["code6"]: plain(r["city_name"]) for r in lau_cities.iter_rows(named=True)}
    cities = city_codes.filter(pl.col("code").str.contains(r"^[A-Z]{2}[0-9]{3}C[0-9]?$"))
    present = [
        code
        for code, label in cities.select("code", "label").iter_rows()
        if (code[:2], plain(label)) in names or code_names.get(code[:6]) == plain(label)
    ]
    linked = dict(city_links.select("geo_code", "nuts3_code").iter_rows())
    missing = [c for c in present if linked.get(c) is None]
    assert len(present) > 600
    assert not missing, missing


def test_every_linked_city_has_a_basis_a_match_and_a_count(city_links: pl.DataFrame) -> None:
    linked = city_links.filter(pl.col("lau_match").is_not_null())
    for column in ("nuts3_code", "nuts3_basis", "territory_match", "lau_count"):
        assert linked[column].null_count() == 0, column
    assert city_links.filter(pl.col("lau_match").is_null())["link_note"].null_count() == 0


def test_brussels_entry_holds_in_the_lau_table(lau: pl.DataFrame, by_code: dict[str, dict]) -> None:
    """The documented list says BE100 is exactly the communes of the greater city BE001K1: check it."""
    be100 = set(lau.filter(pl.col("code_2016") == "BE100")["lau_code"])
    greater = set(lau.filter(pl.col("greater_city_id") == "BE001K1")["lau_code"])
    assert be100 == greater and len(be100) == 19
    assert lau.filter(pl.col("city_id").str.starts_with("BE001")).is_empty()
    brussels = by_code["BE001C"]
    assert (brussels["nuts3_code"], brussels["territory_match"], brussels["lau_match"]) == (
        "BE100",
        "same_territory",
        "documented_list",
    )


def test_paris_entry_holds_in_the_lau_table(lau: pl.DataFrame, by_code: dict[str, dict]) -> None:
    fr101 = lau.filter(pl.col("code_2016") == "FR101")
    assert fr101["lau_code"].to_list() == ["75056"]
    paris = by_code["FR001C"]
    assert (paris["nuts3_code"], paris["territory_match"], paris["nuts3_basis"]) == (
        "FR101",
        "same_territory",
        "lau_count",
    )
    # No LAU population in France: the region's (same territory) from demo_r_pjanaggr3.
    assert paris["city_population_source"].startswith("demo_r_pjanaggr3") and paris["size_class"] == "XXL"


def test_french_cities_say_why_they_have_no_population(city_links: pl.DataFrame) -> None:
    french = city_links.filter(pl.col("geo_code").str.starts_with("FR") & pl.col("nuts3_code").is_not_null())
    assert french.height > 50
    assert set(french["nuts3_basis"]) == {"lau_count"}
    no_pop = french.filter(pl.col("city_population").is_null())
    assert no_pop.height == french.height - 1  # all but Paris
    assert no_pop["link_note"].str.contains("no population for FR").all()


def test_every_documented_entry_is_used_and_sourced(by_code: dict[str, dict]) -> None:
    overrides = read_overrides()
    assert overrides["source"].str.len_chars().min() > 40
    for code in overrides["geo_code"]:
        assert by_code[code]["lau_match"] == "documented_list", code
        assert by_code[code]["nuts3_code"] is not None, code


def test_renumbered_german_codes_are_linked_by_name(by_code: dict[str, dict]) -> None:
    # DE023C is Darmstadt in the statistical tables and the CITIES list; LAU 2019 calls Moers DE023C1.
    darmstadt = by_code["DE023C"]
    assert (darmstadt["nuts3_code"], darmstadt["lau_match"]) == ("DE711", "city_name")
    assert "Moers" in darmstadt["link_note"]


def test_greater_city_codes_linked_to_the_city_proper_say_so(by_code: dict[str, dict]) -> None:
    madrid = by_code["ES001C"]  # 'Madrid (greater city)' in the CITIES list, LAU 2019's ES001C1 is Madrid itself
    assert madrid["lau_match"] == "city_id" and "calls this a greater city" in madrid["link_note"]
    assert by_code["DE004C"]["link_note"] is None
