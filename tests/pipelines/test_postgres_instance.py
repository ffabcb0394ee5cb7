"""The Dagster instance on PostgreSQL (dagster-postgres), as on a cluster: a real PostgreSQL 15 server started and
stopped by the test, a run with the multiprocess executor (one process per step) recorded in it, and the same
staleness query `make run` makes answered from it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest
import yaml

from sources.config import PROJECT_ROOT
from tests.pipelines.postgres_server import PostgresServer, postgres_server

CODE_LISTS = ("geo_codes", "city_codes", "iccs_labels")


def smoke_job() -> dg.JobDefinition:
    """The code lists observed and read, one process per step (rebuilt in every step process, hence a function)."""
    from pipelines.definitions import ALL_ASSETS, ALL_CHECKS
    from pipelines.resources import default_resources

    selection = dg.AssetSelection.assets(
        *[dg.AssetKey(["source", n]) for n in CODE_LISTS], *[dg.AssetKey(["raw", n]) for n in CODE_LISTS]
    ).without_checks()
    job = dg.define_asset_job("postgres_smoke", selection=selection, executor_def=dg.multiprocess_executor)
    defs = dg.Definitions(assets=ALL_ASSETS, asset_checks=ALL_CHECKS, jobs=[job], resources=default_resources())
    return defs.resolve_job_def("postgres_smoke")


def instance_yaml(server: PostgresServer) -> dict:
    """What docs/scaling.md puts in dagster.yaml for a shared instance (scheme: SQLAlchemy 2.1's default
    PostgreSQL driver is psycopg 3; dagster-postgres ships psycopg2)."""
    return {
        "storage": {
            "postgres": {
                "postgres_db": {
                    "username": server.user,
                    "password": "",
                    "hostname": server.host,
                    "port": server.port,
                    "db_name": server.database,
                    "scheme": "postgresql+psycopg2",
                }
            }
        },
        "telemetry": {"enabled": False},
    }


@pytest.fixture(scope="module")
def server() -> Iterator[PostgresServer]:
    with postgres_server() as running:
        yield running


def test_a_multiprocess_run_is_recorded_in_a_postgres_instance(
    server: PostgresServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, raw_dir: Path
) -> None:
    from dagster_postgres import PostgresEventLogStorage, PostgresRunStorage

    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text(yaml.safe_dump(instance_yaml(server)))
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv("URBAN_SAFETY_DB", str(tmp_path / "urban_safety.duckdb"))
    monkeypatch.setenv("URBAN_SAFETY_DATA_DIR", str(raw_dir))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(PROJECT_ROOT), os.environ.get("PYTHONPATH", "")]))

    with dg.DagsterInstance.get() as instance:
        assert isinstance(instance.run_storage, PostgresRunStorage)
        assert isinstance(instance.event_log_storage, PostgresEventLogStorage)
        with dg.execute_job(dg.reconstructable(smoke_job), instance=instance) as result:
            assert result.success, [e.message for e in result.all_events if e.is_failure]
            run_id = result.run_id
            step_pids = {e.pid for e in result.all_events if e.event_type_value == "STEP_START"}
        assert len(step_pids) >= 2 and os.getpid() not in step_pids  # steps ran in their own processes

        record = instance.get_run_record_by_id(run_id)
        assert record.dagster_run.status == dg.DagsterRunStatus.SUCCESS
        for name in CODE_LISTS:
            event = instance.get_latest_materialization_event(dg.AssetKey(["raw", name]))
            assert event is not None and event.run_id == run_id
            assert event.asset_materialization.metadata["dagster/row_count"].value > 0

        # The staleness query of `make run`, answered by PostgreSQL: the code lists are fresh now.
        from pipelines.definitions import build_definitions
        from pipelines.run import stale_selection

        stale = {k.to_user_string() for k in stale_selection(instance, build_definitions())}
        assert stale and not stale & {f"raw/{n}" for n in CODE_LISTS}
        assert "staging/observations" in stale  # never materialised here: missing
