"""sources.locations: a live location for every registry source, base_url rewriting, data-folder confinement."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, parse_qsl, urlsplit

import pytest
import requests
from pytest_httpserver import HTTPServer

from sources.config import BUNDLED_DATA_DIR
from sources.fetch import confined_path
from sources.locations import (
    BASE_URL_ENV,
    MIB,
    SOURCE_LOCATIONS,
    location_for,
    missing_locations,
    rebase_url,
)
from sources.registry import ALL_SOURCES

BY_NAME = {s.name: s for s in ALL_SOURCES}
JSONSTAT = [n for n, loc in SOURCE_LOCATIONS.items() if "/statistics/1.0/data/" in loc.url]
EUROSTAT_TSV = [n for n, loc in SOURCE_LOCATIONS.items() if "/sdmx/2.1/data/" in loc.url]


@pytest.fixture(autouse=True)
def _no_base_url_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(BASE_URL_ENV, raising=False)


@pytest.fixture(scope="module")
def httpserver() -> Iterator[HTTPServer]:
    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    yield server
    server.clear()
    server.stop()


def test_every_registry_source_has_a_location() -> None:
    assert missing_locations() == []
    assert set(SOURCE_LOCATIONS) == {s.name for s in ALL_SOURCES}
    assert all(SOURCE_LOCATIONS[name].name == name for name in SOURCE_LOCATIONS)


@pytest.mark.parametrize("name", sorted(SOURCE_LOCATIONS))
def test_location_is_sane(name: str) -> None:
    loc = SOURCE_LOCATIONS[name]
    parts = urlsplit(loc.url)
    assert parts.scheme == "https"
    assert parts.hostname in {"ec.europa.eu", "cohesiondata.ec.europa.eu"}
    assert loc.expected_content_types and "text/html" not in loc.expected_content_types
    assert all(t == t.lower() and ";" not in t for t in loc.expected_content_types)
    bundled_size = (BUNDLED_DATA_DIR / BY_NAME[name].relpath).stat().st_size
    assert loc.bundled_bytes == bundled_size
    assert loc.max_bytes >= max(MIB, 10 * bundled_size)
    assert loc.max_bytes <= max(MIB, 10 * bundled_size)  # exactly the documented rule, no silent huge caps
    assert loc.release_rhythm in {"monthly", "yearly", "static"}


def test_content_types_follow_the_format() -> None:
    for name, loc in SOURCE_LOCATIONS.items():
        relpath = BY_NAME[name].relpath
        if relpath.endswith(".json"):
            assert loc.expected_content_types == {"application/json"}, name
            assert "format=JSON" in loc.url, name
        elif relpath.endswith(".csv"):
            assert loc.expected_content_types == {"text/csv"}, name
        else:
            assert {"text/tab-separated-values", "text/plain"} <= loc.expected_content_types, name
            assert "format=TSV" in loc.url, name


def test_release_rhythms() -> None:
    rhythm = {name: loc.release_rhythm for name, loc in SOURCE_LOCATIONS.items()}
    assert {rhythm[n] for n in ("crim_off_cat", "crim_gen_reg", "crim_hom_ocit", "demo_pjan", "tps00001")} == {
        "monthly"
    }
    assert {rhythm[n] for n in JSONSTAT if n.startswith("ilc_")} == {"yearly"}
    assert {rhythm[n] for n in ("esif_planned", "geo_codes", "city_codes", "iccs_labels")} == {"static"}


@pytest.mark.parametrize("name", EUROSTAT_TSV)
def test_eurostat_tsv_locations_use_the_api_tsv(name: str) -> None:
    url = SOURCE_LOCATIONS[name].url
    assert url == f"https://ec.europa.eu/eurostat/api/dissemination/sdmx/2.1/data/{name}?format=TSV"
    assert "BulkDownloadListing" not in url


@pytest.mark.parametrize("name", JSONSTAT)
def test_jsonstat_query_reproduces_the_bundled_extract(name: str) -> None:
    """The live query filters to the same dimension values as the bundled JSON-stat extract, so the live file
    has the same shape (only newer data)."""
    loc = SOURCE_LOCATIONS[name]
    parts = urlsplit(loc.url)
    assert parts.path == f"/eurostat/api/dissemination/statistics/1.0/data/{name}"
    query = parse_qs(parts.query)
    assert query.pop("format") == ["JSON"] and query.pop("lang") == ["en"]
    assert query.pop("sinceTimePeriod") == ["2004"]
    extract = json.loads((BUNDLED_DATA_DIR / BY_NAME[name].relpath).read_bytes())
    assert extract["extension"]["datastructure"]["id"].lower() == name
    filtered = {d: list(extract["dimension"][d]["category"]["index"]) for d in extract["id"] if d != "time"}
    assert query == filtered


def test_esif_location_is_the_socrata_csv_export() -> None:
    assert SOURCE_LOCATIONS["esif_planned"].url == (
        "https://cohesiondata.ec.europa.eu/api/views/e4v6-qrrq/rows.csv?accessType=DOWNLOAD"
    )


@pytest.mark.parametrize("name", sorted(SOURCE_LOCATIONS))
def test_base_url_rewrites_scheme_host_and_port_only(name: str) -> None:
    original = urlsplit(SOURCE_LOCATIONS[name].url)

    moved = location_for(name, "http://127.0.0.1:8765")
    parts = urlsplit(moved.url)

    assert (parts.scheme, parts.netloc) == ("http", "127.0.0.1:8765")
    assert (parts.path, parts.query) == (original.path, original.query)
    assert parse_qsl(parts.query) == parse_qsl(original.query)  # repeated geo= parameters kept, in order
    assert (moved.max_bytes, moved.expected_content_types) == (
        SOURCE_LOCATIONS[name].max_bytes,
        SOURCE_LOCATIONS[name].expected_content_types,
    )
    assert SOURCE_LOCATIONS[name].url.startswith("https://")  # the table itself is not modified


def test_rebased_locations_stay_distinct() -> None:
    urls = [location_for(name, "http://127.0.0.1:1").url for name in SOURCE_LOCATIONS]
    assert len(set(urls)) == len(urls)


def test_base_url_with_a_path_prefixes_it() -> None:
    url = rebase_url("https://ec.europa.eu/eurostat/api/x?format=TSV", "https://mirror.example:8443/cache/")
    assert url == "https://mirror.example:8443/cache/eurostat/api/x?format=TSV"


@pytest.mark.parametrize("bad", ["ftp://127.0.0.1", "127.0.0.1:8080", "http://", "http://127.0.0.1/?x=1"])
def test_invalid_base_url_is_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="base_url"):
        location_for("crim_off_cat", bad)


def test_base_url_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert location_for("crim_off_cat").url == SOURCE_LOCATIONS["crim_off_cat"].url
    monkeypatch.setenv(BASE_URL_ENV, "http://127.0.0.1:9999")
    assert urlsplit(location_for("crim_off_cat").url).netloc == "127.0.0.1:9999"
    assert urlsplit(location_for("crim_off_cat", "http://127.0.0.1:7777").url).netloc == "127.0.0.1:7777"


def test_unknown_name_is_a_clear_error() -> None:
    with pytest.raises(KeyError, match="no source location for 'nope'"):
        location_for("nope")


def test_rebased_url_reaches_the_server_with_path_and_query_intact(httpserver: HTTPServer) -> None:
    loc = location_for("ilc_scp09", httpserver.url_for("/"))
    original = urlsplit(SOURCE_LOCATIONS["ilc_scp09"].url)
    httpserver.expect_request(original.path, query_string=original.query).respond_with_data(
        b"{}", content_type="application/json"
    )

    response = requests.get(loc.url, timeout=5)

    assert response.status_code == 200
    request = httpserver.log[-1][0]
    assert request.path == original.path
    assert request.args.getlist("geo") == parse_qs(original.query)["geo"]
    assert request.args.getlist("pers_cat") == ["FAM_REL", "FRD"]


# ------------------------------------------------------------------------------------------------ path confinement


@pytest.mark.parametrize("source", ALL_SOURCES, ids=lambda s: s.name)
def test_every_registry_relpath_stays_in_the_data_folder(tmp_path: Path, source) -> None:
    path = confined_path(tmp_path, source.relpath)
    assert path.is_relative_to(tmp_path.resolve())
    assert path == (tmp_path / source.relpath).resolve()


@pytest.mark.parametrize("relpath", ["../x.tsv", "a/../../x.tsv", "/etc/passwd", ".", ""])
def test_relpath_outside_the_data_folder_is_refused(tmp_path: Path, relpath: str) -> None:
    with pytest.raises(ValueError, match="refusing"):
        confined_path(tmp_path / "data", relpath)


def test_symlink_out_of_the_data_folder_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "link").symlink_to(tmp_path, target_is_directory=True)
    with pytest.raises(ValueError, match="outside the data folder"):
        confined_path(data, "link/x.tsv")
