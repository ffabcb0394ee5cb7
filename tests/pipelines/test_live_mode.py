"""Live mode end to end against a real local HTTP server serving the bundled files: the first `make run`
downloads and publishes; a second run against the unchanged server downloads nothing (every request answered
304, per the server's log) and re-processes nothing (the run reports no change and publishes nothing new).
The upstream-change sensor requests a run only when a publisher's file changed."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest
from pytest_httpserver import HTTPServer

from pipelines import run
from pipelines.defs.automation.definitions import upstream_changes
from pipelines.resources import UrbanSafetyPaths
from tests.pipelines.conftest import published_snapshot, work_db_for
from tests.sources.test_fetch import Upstream, bundled, serve_all_sources, sha
from warehouse.publish import last_publication


@pytest.fixture
def live(httpserver: HTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    serve_all_sources(httpserver)
    monkeypatch.setenv("URBAN_SAFETY_LIVE", "1")
    monkeypatch.setenv("URBAN_SAFETY_SOURCE_BASE_URL", httpserver.url_for("/").rstrip("/"))
    monkeypatch.setenv("URBAN_SAFETY_DATA_DIR", str(tmp_path / "downloads"))
    monkeypatch.setenv("URBAN_SAFETY_DB", str(tmp_path / "urban_safety.duckdb"))
    return tmp_path


def test_second_live_run_downloads_nothing_and_reprocesses_nothing(
    live: Path, httpserver: HTTPServer, capsys: pytest.CaptureFixture[str]
) -> None:
    db = live / "urban_safety.duckdb"
    assert run.main([]) == 0
    first = capsys.readouterr().out
    assert "18 sources checked, 18 changed" in first
    assert [r.status_code for _, r in httpserver.log] == [200] * 18
    published = last_publication(db)
    before = published_snapshot(db)
    work_mtime = work_db_for(db).stat().st_mtime_ns

    assert run.main([]) == 0
    second = capsys.readouterr().out
    assert "18 sources checked, 0 changed, 0 bytes downloaded" in second
    assert "nothing changed since the last publication" in second
    requests = httpserver.log[18:]
    assert len(requests) == 18
    assert all(r.status_code == 304 for _, r in requests)
    assert all(req.headers.get("If-None-Match") for req, _ in requests)  # conditional GETs
    assert last_publication(db) == published  # no new publication
    assert published_snapshot(db) == before
    assert work_db_for(db).stat().st_mtime_ns == work_mtime  # nothing re-processed


def test_sensor_requests_a_run_only_when_upstream_changed(live: Path, httpserver: HTTPServer) -> None:
    data = live / "downloads"
    paths = UrbanSafetyPaths(data_dir=str(data), database=str(live / "db.duckdb"), work_database=str(live / "w.duckdb"))
    first = upstream_changes(dg.build_sensor_context(resources={"paths": paths}))
    assert isinstance(first, dg.RunRequest)  # the empty download folder is filled: 18 new files

    unchanged = upstream_changes(dg.build_sensor_context(resources={"paths": paths}))
    assert isinstance(unchanged, dg.SkipReason)
    assert "no upstream change" in unchanged.skip_message

    # The publisher releases a new version of one file (new bytes, new ETag).
    httpserver.clear()
    serve_all_sources(httpserver)
    from sources.locations import SOURCE_LOCATIONS

    path, _, query = SOURCE_LOCATIONS["crim_hom_ocit"].url.partition("://")[2].partition("/")[2].partition("?")
    new_body = bundled("crim_hom_ocit").replace(b"A,NR,AT001C\t17 ", b"A,NR,AT001C\t18 ")
    httpserver.handlers.insert(0, httpserver.expect_request("/" + path, query_string=query))
    httpserver.handlers[0].respond_with_handler(Upstream(new_body, etag=f'"{sha(new_body)[:16]}"'))
    changed = upstream_changes(dg.build_sensor_context(resources={"paths": paths}))
    assert isinstance(changed, dg.RunRequest)
    assert changed.tags["changed_sources"] == "crim_hom_ocit"


def test_live_mode_is_off_by_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("URBAN_SAFETY_LIVE", raising=False)
    paths = UrbanSafetyPaths(data_dir=str(tmp_path), database=str(tmp_path / "d"), work_database=str(tmp_path / "w"))
    result = upstream_changes(dg.build_sensor_context(resources={"paths": paths}))
    assert isinstance(result, dg.SkipReason) and "live mode is off" in result.skip_message
