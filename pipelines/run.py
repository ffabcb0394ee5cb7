"""``make run``: bring the warehouse up to date through the persistent Dagster instance, and print a summary.

1. Observe the sources: hash every source file (in live mode, fetch it from its publisher first) and record a
   new data version for each file that changed, in a small observation run.
2. Ask the instance which assets are stale or missing (Dagster's own staleness: a new code version, or an input
   with a new data version) and select them and everything downstream of them.
3. Materialise that selection (with its checks) on the instance. Nothing selected = nothing to do: the published
   tables are left as they are. ``--force`` selects everything.

The whole of it holds the writer lock (warehouse.lock): two `make run`s, or a `make run` and a UI run, never
interleave. Runs appear in `make dev` with their materialisations, checks and logs.
"""

from __future__ import annotations

import argparse
import atexit
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from pipelines.instance import last_completed_evaluation, open_instance
from sources.config import data_dir, db_path, live_mode, registers_dir, work_db_path
from warehouse.catalogue import CATALOGUE
from warehouse.db import connect, table_exists
from warehouse.lock import exclusive_writer
from warehouse.metadata import PUBLISHED_TABLES
from warehouse.publish import last_publication

if TYPE_CHECKING:
    import dagster as dg

    from pipelines.resources import UrbanSafetyPaths


def summary(db: Path, work_db: Path) -> str:
    """What was published, read from the pipeline's working file (the analysts' file is never opened here, so a
    reader holding it cannot disturb the summary)."""
    with connect(work_db, read_only=True) as con:
        lines = [f"published to: {db}", f"working file: {work_db}"]
        for t in PUBLISHED_TABLES:
            if t.name == "indicators":
                n = len(CATALOGUE)
            else:
                n = con.execute(f"SELECT count(*) FROM staging.{t.name}").fetchall()[0][0]
            lines.append(f"  {t.qualified_name:<34} {n:>9,} rows")
        by_indicator = con.execute(
            "SELECT indicator_id, count(*), count(DISTINCT geo_code), min(period), max(period) "
            "FROM staging.indicator_values GROUP BY 1 ORDER BY 1"
        ).fetchall()
        lines.append("  indicators:")
        lines += [f"    {i:<32} {n:>9,} values  {g:>5,} territories  {lo}-{hi}" for i, n, g, lo, hi in by_indicator]
        working = con.execute(
            "SELECT schema_name, count(*), sum(estimated_size) FROM duckdb_tables() "
            "WHERE schema_name IN ('raw', 'staging') GROUP BY 1 ORDER BY 1"
        ).fetchall()
        lines += [f"  {s}: {n} tables, ~{rows:,} rows" for s, n, rows in working]
        if table_exists(con, "staging", "register_errors"):
            errors = con.execute(
                "SELECT register, count(*) FROM staging.register_errors GROUP BY 1 ORDER BY 1"
            ).fetchall()
            examples = con.execute(
                'SELECT file, line, "column", message FROM staging.register_errors ORDER BY file, line LIMIT 5'
            ).fetchall()
            if errors:
                lines.append("  REJECTED registers (nothing published from them; staging.register_errors has all):")
                lines += [f"    {register}: {n} row errors" for register, n in errors]
                lines += [f"    {f}, line {ln}, column {c}: {m}" for f, ln, c, m in examples]
    return "\n".join(lines)


def first_failure(result: dg.ExecuteInProcessResult) -> str:
    for event in result.all_events:
        if event.event_type_value == "STEP_FAILURE":
            error = event.step_failure_data.error
            while error is not None and error.cause is not None and "SourceFormatError" not in error.cls_name:
                error = error.cause
            message = error.message.strip() if error is not None else event.message
            return f"step {event.step_key} failed: {message}"
    for ev in result.get_asset_check_evaluations():
        if not ev.passed:
            return f"check {ev.check_name} on {ev.asset_key.to_user_string()} failed: {ev.metadata}"
    return "run failed (see the Dagster event log)"


def dashboard_site(result: dg.ExecuteInProcessResult) -> str | None:
    """The dashboard's index page and size, from the materialisation of ``dashboard/site``."""
    for event in result.get_asset_materialization_events():
        materialization = event.step_materialization_data.materialization
        if materialization and materialization.asset_key.path == ["dashboard", "site"]:
            meta = materialization.metadata
            return (
                f"{meta['path'].value} ({meta['pages'].value} pages, {meta['charts'].value} charts, "
                f"built in {meta['build_seconds'].value} s; open it in a browser)"
            )
    return None


def live_summary(observed: dg.ExecuteInProcessResult) -> str:
    """What the observation run fetched (live mode), from the metadata of its observations."""
    metadata = [e.asset_observation_data.asset_observation.metadata for e in observed.get_asset_observation_events()]
    fetched = [m for m in metadata if "http_status" in m]
    changed = sum(bool(m["live_changed"].value) for m in fetched)
    failed = sum(m["http_status"].value == "failed" for m in fetched)
    downloaded = sum(int(m["downloaded_bytes"].value) for m in fetched)
    text = f"live: {len(fetched)} sources checked, {changed} changed, {downloaded:,} bytes downloaded"
    return text + (f"; {failed} failed (previous copies kept; see the run's log)" if failed else "")


def warehouse_matches_instance(instance: dg.DagsterInstance, db: Path, work_db: Path) -> bool:
    """The files hold what the instance believes: the analysts' file's last publication is the instance's latest
    materialisation of published/indicator_values (not a copy made elsewhere, not deleted)."""
    import dagster as dg

    if not (db.exists() and work_db.exists()):
        return False
    published = last_publication(db)
    event = instance.get_latest_materialization_event(dg.AssetKey(["published", "indicator_values"]))
    return published is not None and event is not None and event.run_id == published[0]


def unchecked_candidates(instance: dg.DagsterInstance, defs: dg.Definitions) -> list[dg.AssetKey]:
    """Assets whose latest materialisation has not passed every blocking check (a run stopped by a check leaves
    a new candidate behind): they count as stale, so the next run re-checks them instead of publishing them."""
    blocking = [spec.key for c in defs.asset_checks or [] for spec in c.check_specs if spec.blocking]
    unchecked = []
    latest = instance.get_latest_materialization_events({k.asset_key for k in blocking})  # one query
    for check_key in blocking:
        materialised = latest.get(check_key.asset_key)
        if materialised is None or check_key.asset_key in unchecked:
            continue
        evaluation = last_completed_evaluation(instance, check_key)
        passed = evaluation is not None and evaluation.passed and evaluation.run_id == materialised.run_id
        if not passed:
            unchecked.append(check_key.asset_key)
    return unchecked


def stale_selection(instance: dg.DagsterInstance, defs: dg.Definitions) -> list[dg.AssetKey]:
    """Stale or missing computed assets and everything downstream of them (Dagster's staleness, no recomputing)."""
    import dagster as dg
    from dagster._core.definitions.data_version import CachingStaleStatusResolver, StaleStatus
    from dagster._core.loader import LoadingContext

    class _Loading(LoadingContext):  # batches the instance queries of one staleness request (as the UI does)
        def __init__(self) -> None:
            self._loaders: dict = {}

        @property
        def instance(self) -> dg.DagsterInstance:
            return instance

        @property
        def loaders(self) -> dict:
            return self._loaders

    # The resolver the UI uses for its "stale" labels and the daemon for `RunRequest(stale_assets_only=True)`.
    graph = defs.resolve_asset_graph()
    resolver = CachingStaleStatusResolver(instance, graph, _Loading())
    resolver.instance_queryer.prefetch_asset_records(graph.get_all_asset_keys())  # one query, not one per asset
    computed = [k for k in graph.materializable_asset_keys if not graph.get(k).is_partitioned]
    stale = [k for k in computed if resolver.get_status(k) in (StaleStatus.STALE, StaleStatus.MISSING)]
    stale += [k for k in unchecked_candidates(instance, defs) if k not in stale]
    if not stale:
        return []
    return sorted(
        dg.AssetSelection.assets(*stale).downstream().required_multi_asset_neighbors().resolve(graph),
        key=lambda k: k.to_user_string(),
    )


def land_incident_partitions(
    defs: dg.Definitions, paths: UrbanSafetyPaths, instance: dg.DagsterInstance, run_config: dict
) -> str | None:
    """Run the partitioned incident jobs for the partitions whose input changed, one run per partition (a failing
    month fails alone). Returns the first failure, or None."""
    from pipelines.defs.incidents.assets import partitions_to_land

    todo = partitions_to_land(paths)
    if todo:
        print(f"landing {len(todo)} incident partition(s): {', '.join(k for _, k in todo)}", flush=True)
    for job_name, key in todo:
        result = defs.resolve_job_def(job_name).execute_in_process(
            instance=instance, partition_key=key, raise_on_error=False, run_config=run_config
        )
        if not result.success:
            return f"partition {key} of {job_name}: {first_failure(result)}"
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--force", action="store_true", help="recompute every asset, stale or not")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    db, work_db, data = db_path(), work_db_path(), data_dir()
    print(f"data: {data}{' (live mode)' if live_mode() else ''}")
    with exclusive_writer(work_db, log=print):
        return _run(args.force, db, work_db, data, started)


def _run(force: bool, db: Path, work_db: Path, data: Path, started: float) -> int:

    from pipelines.definitions import build_definitions
    from pipelines.defs.automation.definitions import ALL_JOB, recorded_source_versions
    from pipelines.defs.sources.assets import local_versions
    from pipelines.resources import default_resources

    instance = open_instance()
    # Resources from the environment as it is now (not as it was when the module was first imported).
    import pipelines.definitions as code_location

    resources = default_resources()
    # The module's definitions were built from the environment at import; rebuild only if it changed since.
    defs = code_location.defs if code_location.defs.resources == resources else build_definitions(resources)
    # Dagster's DEBUG event stream is for the UI; the terminal gets warnings and the summary below.
    quiet = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}

    # 1. Observe the sources (in live mode every source: observing fetches; else only files whose hash changed).
    current = local_versions(data, registers_dir())
    if live_mode():
        to_observe = sorted(current)
    else:
        recorded = recorded_source_versions(instance, current)
        to_observe = sorted(k for k, v in current.items() if recorded[k] != v)
    if to_observe:
        names = ", ".join(k.path[-1] for k in to_observe)
        print(f"observing {len(to_observe)} sources ({names}) ...", flush=True)
        observed = defs.resolve_job_def(ALL_JOB).execute_in_process(
            instance=instance, asset_selection=to_observe, raise_on_error=False, run_config=quiet
        )
        if not observed.success:
            print(f"FAILED: {first_failure(observed)}", file=sys.stderr)
            print("published tables were not changed", file=sys.stderr)
            return 1
        if live_mode():
            print(live_summary(observed))

    # 2. Land the incident partitions whose files changed (one run per month or year: a damaged month fails
    # alone), so that what reads them is stale below.
    failure = land_incident_partitions(defs, resources["paths"], instance, quiet)
    if failure:
        print(f"FAILED: {failure}", file=sys.stderr)
        print("published tables were not changed", file=sys.stderr)
        return 1

    # 3. What is stale, by the instance's records (partitioned assets run in their own jobs, above).
    graph = defs.resolve_asset_graph()
    if force or not warehouse_matches_instance(instance, db, work_db):
        selection = sorted(graph.materializable_asset_keys, key=lambda k: k.to_user_string())
    else:
        selection = stale_selection(instance, defs)
    selection = [k for k in selection if not graph.get(k).is_partitioned]
    if not selection:
        print("nothing changed since the last run (same sources, registers, code and parameters): tables kept")
        print(summary(db, work_db))
        from dashboard import site_dir

        if (site_dir(db) / "index.html").exists():
            print(f"  dashboard: {site_dir(db) / 'index.html'} (unchanged; open it in a browser)")
        print(f"wall time: {time.perf_counter() - started:.1f} s")
        return 0

    # 4. Materialise the stale part (the blocking GX checks need GX: import it while the sources load).
    from expectations.gx_runner import preload_in_background

    preload_in_background()
    total = len([k for k in graph.materializable_asset_keys if not graph.get(k).is_partitioned])
    print(f"materialising {len(selection)} of {total} assets (stale or missing, and their downstream) ...", flush=True)
    result = defs.resolve_job_def(ALL_JOB).execute_in_process(
        instance=instance, asset_selection=selection, raise_on_error=False, run_config=quiet
    )
    if not result.success:
        print(f"FAILED: {first_failure(result)}", file=sys.stderr)
        print("published tables were not changed", file=sys.stderr)
        return 1
    dropped: dict[str, int] = {}
    for event in result.get_asset_materialization_events():
        materialization = event.step_materialization_data.materialization
        if materialization and "dropped_by_reason" in materialization.metadata:
            dropped.update(materialization.metadata["dropped_by_reason"].value)
    print(f"run {result.run_id} (in the Dagster UI: make dev)")
    print("  re-ran: " + ", ".join(k.to_user_string() for k in selection))
    print(summary(db, work_db))
    site = dashboard_site(result)
    if site:
        print(f"  dashboard: {site}")
    if dropped:
        print(f"  source cells without a published value: {sum(dropped.values()):,}, by indicator / source / reason:")
        for reason, rows in sorted(dropped.items()):
            print(f"    {reason}: {rows:,}")
    print(f"wall time: {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    exit_code = main()
    # Everything is written and closed by now. Run the exit handlers, then end the process without Python's
    # module-by-module teardown of Dagster's object graph (~0.4 s, a fifth of a no-change run).
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(exit_code)
