"""Live mode's moving parts against a real local HTTP server serving the bundled files: observing a source
fetches it only in live mode; the monthly schedule fetches its sources and nothing else; the upstream_changes
sensor only hashes local files (no request to any publisher) and requests a run only for the sources whose bytes
differ from what the instance recorded. Whole `make run`s in live mode (a first into an empty folder, a second
that downloads nothing) are in test_live_api_layouts.py, against the APIs' own layouts."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import pytest
from pytest_httpserver import HTTPServer

from pipelines.definitions import build_definitions, defs
from pipelines.defs.automation.definitions import upstream_changes
from pipelines.defs.sources.assets import SOURCE_ASSETS
from pipelines.resources import UrbanSafetyPaths, WarehouseIOManager
from tests.sources.test_fetch import serve_all_sources


def _observe_sources(paths: UrbanSafetyPaths, instance: dg.DagsterInstance) -> dg.ExecuteInProcessResult:
    """Observe every source asset through the main job (as `make run` and the schedules do)."""
    job = build_definitions({"paths": paths, "warehouse_io": WarehouseIOManager(database=paths.work_database)})
    return job.resolve_job_def("urban_safety_all").execute_in_process(
        instance=instance, asset_selection=[k for a in SOURCE_ASSETS for k in a.keys]
    )


@pytest.fixture
def live(httpserver: HTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    serve_all_sources(httpserver)
    monkeypatch.setenv("URBAN_SAFETY_LIVE", "1")
    monkeypatch.setenv("URBAN_SAFETY_SOURCE_BASE_URL", httpserver.url_for("/").rstrip("/"))
    monkeypatch.setenv("URBAN_SAFETY_DATA_DIR", str(tmp_path / "downloads"))
    monkeypatch.setenv("URBAN_SAFETY_DB", str(tmp_path / "urban_safety.duckdb"))
    return tmp_path


def test_sensor_hashes_local_files_and_requests_only_what_changed(
    tmp_path: Path, raw_dir: Path, httpserver: HTTPServer
) -> None:
    data = tmp_path / "raw"
    shutil.copytree(raw_dir, data)
    paths = UrbanSafetyPaths(
        data_dir=str(data), database=str(tmp_path / "db.duckdb"), work_database=str(tmp_path / "w")
    )
    instance = dg.DagsterInstance.ephemeral()

    def tick():
        with dg.build_sensor_context(instance=instance, resources={"paths": paths}, definitions=defs) as context:
            return upstream_changes(context)

    first = tick()
    assert isinstance(first, dg.RunRequest)  # nothing recorded yet: every source is new
    assert len(first.tags["changed_sources"].split(",")) == 20  # 18 publishers' files, the LAU table, the registers

    observed = _observe_sources(paths, instance)
    assert observed.success
    unchanged = tick()
    assert isinstance(unchanged, dg.SkipReason) and "no source changed" in unchanged.skip_message

    # A new release of one file is dropped into the data folder.
    target = data / "eurostat_crime" / "estat_crim_hom_ocit.tsv"
    target.write_bytes(target.read_bytes().replace(b"A,NR,AT001C\t17 ", b"A,NR,AT001C\t18 ", 1))
    changed = tick()
    assert isinstance(changed, dg.RunRequest)
    assert changed.tags["changed_sources"] == "crim_hom_ocit"
    selected = {k.to_user_string() for k in changed.asset_selection}
    assert {"source/crim_hom_ocit", "raw/crim_hom_ocit", "published/indicator_values"} <= selected
    assert not selected & {"source/crim_off_cat", "raw/crim_off_cat", "raw/geo_codes", "raw/esif_planned"}
    assert httpserver.log == []  # the tick asked no publisher anything


def test_observing_a_source_fetches_only_in_live_mode(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, httpserver: HTTPServer, raw_dir: Path
) -> None:
    monkeypatch.delenv("URBAN_SAFETY_LIVE", raising=False)
    paths = UrbanSafetyPaths(data_dir=str(raw_dir), database=str(tmp_path / "d"), work_database=str(tmp_path / "w"))
    result = _observe_sources(paths, dg.DagsterInstance.ephemeral())
    assert result.success and len(result.get_asset_observation_events()) == 20
    assert httpserver.log == []


def test_the_monthly_schedule_fetches_its_sources_and_nothing_else(live: Path, httpserver: HTTPServer) -> None:
    """A scheduled run downloads (observing a source fetches it in live mode); it does not re-read old files."""
    from sources.locations import SOURCE_LOCATIONS

    paths = UrbanSafetyPaths(
        data_dir=str(live / "downloads"), database=str(live / "d.duckdb"), work_database=str(live / "w.duckdb")
    )
    scheduled = build_definitions({"paths": paths, "warehouse_io": WarehouseIOManager(database=paths.work_database)})
    job_name = scheduled.resolve_schedule_def("monthly_refresh").job_name
    result = scheduled.resolve_job_def(job_name).execute_in_process(instance=dg.DagsterInstance.ephemeral())
    assert result.success
    monthly = {name for name, loc in SOURCE_LOCATIONS.items() if loc.release_rhythm == "monthly"}
    observed = {e.asset_key.path[-1]: e for e in result.get_asset_observation_events()}
    assert set(observed) == monthly
    assert [r.status_code for _, r in httpserver.log] == [200] * len(monthly)  # one download per monthly source
    for event in observed.values():
        metadata = event.asset_observation_data.asset_observation.metadata
        assert metadata["live_changed"].value is True and metadata["downloaded_bytes"].value > 0
    assert not (live / "w.duckdb").exists()  # fetching is all a scheduled run does; staleness does the rest
