"""Territory codes: level, parent, extra-regio, and the published geography table."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from sources.codelists import read_code_list
from sources.registry import CODELISTS
from transforms.geographies import geo_level, geographies, is_extra_regio, parent_code
from warehouse.metadata import GEOGRAPHIES

LEVELS = {
    "DE": "NUTS0",
    "EL": "NUTS0",
    "DE1": "NUTS1",
    "UKM": "NUTS1",
    "DE11": "NUTS2",
    "FI1B": "NUTS2",
    "DE111": "NUTS3",
    "EL300": "NUTS3",
    "AT001C": "CITY",
    "ES001C1": "CITY",
    "DEZZZ": None,
    "DEZZ": None,
    "FRZ": None,
    "UKC-L": None,
    "EU27_2020": None,
    "AT001K1": None,
    "": None,
}


def levels(codes: list[str]) -> list[str | None]:
    return (
        pl.DataFrame({"c": codes}, schema={"c": pl.String})
        .select(geo_level(pl.col("c")).alias("level"))["level"]
        .to_list()
    )


@pytest.mark.parametrize(("code", "level"), list(LEVELS.items()))
def test_geo_level(code: str, level: str | None) -> None:
    assert levels([code]) == [level]


@pytest.mark.parametrize("code", ["EU28", "EA19", "EU15"])
def test_eu_aggregates_have_no_level(code: str) -> None:
    assert levels([code]) == [None]


@pytest.mark.parametrize(
    ("code", "extra"),
    [("DEZZZ", True), ("DEZZ", True), ("FRZ", True), ("DE", False), ("DE111", False), ("UKC-L", False), ("Z", False)],
)
def test_is_extra_regio(code: str, extra: bool) -> None:
    assert pl.DataFrame({"c": [code]}).select(is_extra_regio(pl.col("c")).alias("x"))["x"].to_list() == [extra]


@pytest.mark.parametrize(
    ("code", "parent"),
    [
        ("DE111", "DE11"),
        ("DE11", "DE1"),
        ("DE1", "DE"),
        ("DE", None),
        ("AT001C", "AT"),
        ("ES001C1", "ES"),
        ("UKC-L", None),
        ("DEZZZ", None),
    ],
)
def test_parent_code(code: str, parent: str | None) -> None:
    frame = pl.DataFrame({"c": [code]}).with_columns(geo_level(pl.col("c")).alias("level"))
    assert frame.select(parent_code(pl.col("c"), pl.col("level")).alias("p"))["p"].to_list() == [parent]


GEO_NAMES = pl.DataFrame(
    {
        "code": ["DE", "DE1", "DE11", "DE111", "AT", "ES", "AT001C"],
        "label": ["Germany", "Baden-Württemberg", "Stuttgart", "Stuttgart, Stadtkreis", "Austria", "Spain", "geo-list"],
    }
)
CITY_NAMES = pl.DataFrame({"code": ["AT", "AT001C", "ES001C1"], "label": ["Austria", "Wien (greater city)", "Madrid"]})


def test_geographies_adds_every_ancestor_once() -> None:
    out = geographies(
        pl.Series(["DE111", "DE111", "DE11", "AT001C", "ES001C1", "DEZZZ", "UKC-L"]), GEO_NAMES, CITY_NAMES
    )
    assert out.columns == GEOGRAPHIES.column_names
    assert out.select(GEOGRAPHIES.column_names[:5]).rows() == [
        ("AT", "NUTS0", "Austria", "AT", None),
        ("AT001C", "CITY", "Wien (greater city)", "AT", "AT"),  # the CITIES list names cities
        ("DE", "NUTS0", "Germany", "DE", None),
        ("DE1", "NUTS1", "Baden-Württemberg", "DE", "DE"),
        ("DE11", "NUTS2", "Stuttgart", "DE", "DE1"),
        ("DE111", "NUTS3", "Stuttgart, Stadtkreis", "DE", "DE11"),
        ("ES", "NUTS0", "Spain", "ES", None),
        ("ES001C1", "CITY", "Madrid", "ES", "ES"),
    ]


def test_unlisted_codes_get_a_null_name_and_levelless_codes_are_left_out() -> None:
    out = geographies(pl.Series(["XY123", "FRZ", "EU27_2020"]), GEO_NAMES, CITY_NAMES)
    assert out.select("geo_code", "geo_level", "name", "parent_code").rows() == [
        ("XY", "NUTS0", None, None),
        ("XY1", "NUTS1", None, "XY"),
        ("XY12", "NUTS2", None, "XY1"),
        ("XY123", "NUTS3", None, "XY12"),
    ]


def test_empty_input_keeps_the_columns() -> None:
    out = geographies(pl.Series([], dtype=pl.String), GEO_NAMES, CITY_NAMES)
    assert out.height == 0 and out.columns == GEOGRAPHIES.column_names


def test_real_geographies_of_the_published_rates(raw_dir: Path, rates: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    values, _ = rates
    lists = {s.name: read_code_list(s.path(raw_dir)) for s in CODELISTS if s.reader == "codelist"}
    out = geographies(values["geo_code"], lists["geo_codes"], lists["city_codes"])
    # Every published code is there, with its level; every parent is itself a row.
    assert set(values["geo_code"]) <= set(out["geo_code"])
    assert out["geo_code"].is_unique().all()
    assert set(out["parent_code"].drop_nulls()) <= set(out["geo_code"])
    assert (
        out.filter(pl.col("geo_level") == "NUTS0")["parent_code"].null_count()
        == out.filter(pl.col("geo_level") == "NUTS0").height
    )
    levels_of_values = dict(values.select("geo_code", "geo_level").unique().iter_rows())
    assert all(
        levels_of_values[c] == lvl
        for c, lvl in out.select("geo_code", "geo_level").iter_rows()
        if c in levels_of_values
    )
    # Named from the GEO code list (nearly all: a few old NUTS codes may be unlisted in v25.3).
    named = out["name"].is_not_null().mean()
    assert named > 0.95, out.filter(pl.col("name").is_null())
    names = dict(out.select("geo_code", "name").iter_rows())
    assert names["DE"] == "Germany"
    assert names.get("DE111", "Stuttgart, Stadtkreis") == "Stuttgart, Stadtkreis"
    assert out["country_code"].str.len_chars().eq(2).all()


def test_city_links_are_joined_on_cities_only() -> None:
    from transforms.city_regions import CITY_REGION_SCHEMA

    links = pl.DataFrame(
        [
            {"geo_code": "AT001C", "nuts3_code": "AT130", "territory_match": "same_territory", "size_class": "XXL"},
            {"geo_code": "AT", "nuts3_code": "AT130", "territory_match": "same_territory"},  # not a city: ignored
        ],
        schema=CITY_REGION_SCHEMA,
    )
    out = geographies(pl.Series(["AT001C"]), GEO_NAMES, CITY_NAMES, links)
    assert out.columns == GEOGRAPHIES.column_names
    assert out.select("geo_code", "nuts3_code", "territory_match", "size_class").rows() == [
        ("AT", None, None, None),
        ("AT001C", "AT130", "same_territory", "XXL"),
    ]


def test_real_published_cities_carry_their_region(raw_dir: Path, city_links: pl.DataFrame) -> None:
    lists = {s.name: read_code_list(s.path(raw_dir)) for s in CODELISTS if s.reader == "codelist"}
    out = geographies(pl.Series(["DE004C", "BE001C", "NO001C"]), lists["geo_codes"], lists["city_codes"], city_links)
    rows = {r["geo_code"]: r for r in out.iter_rows(named=True)}
    assert (rows["DE004C"]["nuts3_code"], rows["DE004C"]["territory_match"]) == ("DEA23", "same_territory")
    assert (rows["BE001C"]["nuts3_code"], rows["BE001C"]["lau_match"]) == ("BE100", "documented_list")
    assert rows["NO001C"]["nuts3_code"] is None and "not a city of LAU 2019" in rows["NO001C"]["link_note"]
