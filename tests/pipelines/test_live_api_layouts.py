"""Live mode against a local server that answers like the publishers' APIs, not with the bundled bytes.

Every Eurostat table is served in the dissemination API's layout (``freq,…\\TIME_PERIOD`` TSV, JSON-stat 2.0),
built from the bundled files through the project's own reader (tests/sources/api_layouts.py); the server answers
conditional requests with 304. The faults a publisher really produces are served too: an HTML error page, a 429
with ``Retry-After``.

Regression: a first live run into an empty folder failed, because the readers refused the API's ``freq``
dimension for ``tps00001`` and ``urb_percep``. The same test's second run, against the unchanged server,
downloads nothing and re-processes nothing.
"""

from __future__ import annotations

import time
import types
from pathlib import Path

import pytest
import urllib3.util.retry
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from pipelines import run
from sources.live import refresh_sources
from sources.locations import SOURCE_LOCATIONS
from sources.registry import ALL_SOURCES
from tests.pipelines.conftest import published_snapshot, work_db_for
from tests.sources.api_layouts import api_body
from tests.sources.test_fetch import Upstream, sha
from warehouse.db import connect
from warehouse.publish import last_publication

HTML_ERROR = b"<!DOCTYPE html><html><head><title>Eurostat - Error</title></head><body><h1>503</h1></body></html>"


def _path_and_query(name: str) -> tuple[str, str]:
    path, _, query = SOURCE_LOCATIONS[name].url.partition("://")[2].partition("/")[2].partition("?")
    return "/" + path, query


def serve_api_layouts(httpserver: HTTPServer, overrides: dict | None = None) -> dict[str, bytes]:
    """Every registry source at its real path and query in the API's layout; ``overrides`` maps a source name to
    another handler. Returns the bodies served."""
    bodies = {}
    for source in ALL_SOURCES:
        body, ctype = api_body(source.name)
        bodies[source.name] = body
        path, query = _path_and_query(source.name)
        handler = (overrides or {}).get(source.name) or Upstream(body, etag=f'"{sha(body)[:16]}"', ctype=ctype)
        httpserver.expect_request(path, query_string=query).respond_with_handler(handler)
    return bodies


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """urllib3's retry sleeps, recorded instead of slept."""
    recorded: list[float] = []
    monkeypatch.setattr(
        urllib3.util.retry,
        "time",
        types.SimpleNamespace(sleep=recorded.append, time=time.time, monotonic=time.monotonic),
    )
    return recorded


def test_first_live_run_into_an_empty_folder_reads_the_api_layouts_and_a_second_downloads_nothing(
    httpserver: HTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    bodies = serve_api_layouts(httpserver)
    downloads = tmp_path / "downloads"
    db = tmp_path / "urban_safety.duckdb"
    monkeypatch.setenv("URBAN_SAFETY_LIVE", "1")
    monkeypatch.setenv("URBAN_SAFETY_SOURCE_BASE_URL", httpserver.url_for("/").rstrip("/"))
    monkeypatch.setenv("URBAN_SAFETY_DATA_DIR", str(downloads))
    monkeypatch.setenv("URBAN_SAFETY_DB", str(db))
    monkeypatch.delenv("URBAN_SAFETY_WORK_DB", raising=False)

    assert run.main([]) == 0

    out = capsys.readouterr().out
    assert f"{len(ALL_SOURCES)} sources checked, {len(ALL_SOURCES)} changed" in out and "failed" not in out
    for name in ("tps00001", "urb_percep"):  # bundled in the bulk layout; the API adds freq
        stored = downloads / next(s.relpath for s in ALL_SOURCES if s.name == name)
        assert stored.read_bytes() == bodies[name] and stored.read_bytes().startswith(b"freq,")
    with connect(db, read_only=True) as con:
        sources = {r[0] for r in con.sql("SELECT DISTINCT source_dataset FROM published.indicator_values").fetchall()}
        survey = con.sql("SELECT count(*) FROM published.indicator_values WHERE indicator_id = 'SAF_SAFE_CITY'")
        assert survey.fetchall()[0][0] > 0  # urb_percep, read from the API layout
    assert any("tps00001" in s for s in sources)  # countries' first population vintage

    # A second run against the unchanged server downloads nothing (conditional GETs, each answered 304) and
    # re-processes nothing: no run, no new publication, the working file untouched.
    published = last_publication(db)
    before = published_snapshot(db)
    work_mtime = work_db_for(db).stat().st_mtime_ns
    assert run.main([]) == 0
    second = capsys.readouterr().out
    assert f"{len(ALL_SOURCES)} sources checked, 0 changed, 0 bytes downloaded" in second
    assert "nothing changed since the last run" in second
    requests = httpserver.log[len(ALL_SOURCES) :]
    assert [r.status_code for _, r in requests] == [304] * len(ALL_SOURCES)
    assert all(req.headers.get("If-None-Match") for req, _ in requests)
    assert last_publication(db) == published
    assert published_snapshot(db) == before
    assert work_db_for(db).stat().st_mtime_ns == work_mtime


def test_html_error_page_and_429_with_retry_after(
    httpserver: HTTPServer, tmp_path: Path, sleeps: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = {"ilc_pw03": 0}
    body, ctype = api_body("ilc_pw03")

    def rate_limited(request: Request) -> Response:
        calls["ilc_pw03"] += 1
        if calls["ilc_pw03"] == 1:
            return Response("Too Many Requests", status=429, headers={"Retry-After": "7"}, content_type="text/plain")
        return Upstream(body, etag='"pw03"', ctype=ctype)(request)

    overrides = {
        # Eurostat's portal answers some failures with an HTML page and a 200: never data.
        "crim_hom_ocit": lambda _r: Response(HTML_ERROR, status=200, content_type="text/html; charset=utf-8"),
        "ilc_pw03": rate_limited,
    }
    serve_api_layouts(httpserver, overrides)
    data_dir = tmp_path / "downloads"
    previous = data_dir / next(s.relpath for s in ALL_SOURCES if s.name == "crim_hom_ocit")
    previous.parent.mkdir(parents=True)
    previous.write_bytes(api_body("crim_hom_ocit")[0])

    monkeypatch.setenv("URBAN_SAFETY_SOURCE_BASE_URL", httpserver.url_for("/").rstrip("/"))

    refresh = refresh_sources(data_dir)

    assert set(refresh.errors) == {"crim_hom_ocit"}
    assert (
        "text/html" in refresh.errors["crim_hom_ocit"] and "an HTML page, not data" in refresh.errors["crim_hom_ocit"]
    )
    assert previous.read_bytes() == api_body("crim_hom_ocit")[0]  # the previous copy is kept
    assert calls["ilc_pw03"] == 2 and refresh.results["ilc_pw03"].attempts == 2
    assert sleeps == [7]  # urllib3 waited what the server asked, not its own backoff
    assert "ilc_pw03" in refresh.changed and len(refresh.results) == len(ALL_SOURCES) - 1
