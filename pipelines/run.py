"""``make run``: materialise every asset on the configured data into the warehouse and print a summary.

When the raw files and the code are unchanged since the last publication (same fingerprint), nothing is
recomputed and the published tables are left as they are; ``--force`` recomputes anyway.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from pipelines.fingerprint import fingerprint
from sources.config import data_dir, db_path, live_mode, registers_dir, work_db_path
from warehouse.catalogue import CATALOGUE
from warehouse.db import connect, table_exists
from warehouse.metadata import PUBLISHED_TABLES
from warehouse.publish import last_fingerprint

if TYPE_CHECKING:
    import dagster as dg


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


def land_incident_partitions(defs: dg.Definitions, paths, instance: dg.DagsterInstance, run_config: dict) -> str | None:
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
    parser.add_argument("--force", action="store_true", help="recompute even if nothing changed")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    db, work_db, data = db_path(), work_db_path(), data_dir()
    print(f"data: {data}{' (live mode)' if live_mode() else ''}")
    if live_mode():
        from sources.live import refresh_sources

        refresh = refresh_sources(data)
        print(refresh.summary())
    current = fingerprint(data, registers_dir())
    if not args.force and work_db.exists() and last_fingerprint(db) == current:
        print("nothing changed since the last publication (same raw files, registers and code): tables kept")
        print(summary(db, work_db))
        print(f"wall time: {time.perf_counter() - started:.1f} s")
        return 0

    from expectations.gx_runner import preload_in_background

    preload_in_background()  # the blocking GX checks need it at the end; import it while the sources load
    import dagster as dg  # imported only when there is work to do: it costs ~1 s

    from pipelines.definitions import build_definitions
    from pipelines.resources import default_resources

    # Resources from the environment as it is now (not as it was when the module was first imported).
    resources = default_resources()
    defs = build_definitions(resources)
    job = defs.resolve_job_def("urban_safety_all")
    with dg.DagsterInstance.ephemeral() as instance:
        # Dagster's DEBUG event stream is for the UI; the terminal gets warnings and the summary below.
        quiet = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
        failure = land_incident_partitions(defs, resources["paths"], instance, quiet)
        if failure:
            print(f"FAILED: {failure}", file=sys.stderr)
            print("published tables were not changed", file=sys.stderr)
            return 1
        print("materialising every asset (raw -> staging -> checks -> published) ...", flush=True)
        result = job.execute_in_process(instance=instance, raise_on_error=False, run_config=quiet)
    if not result.success:
        print(f"FAILED: {first_failure(result)}", file=sys.stderr)
        print("published tables were not changed", file=sys.stderr)
        return 1
    dropped: dict[str, int] = {}
    for event in result.get_asset_materialization_events():
        materialization = event.step_materialization_data.materialization
        if materialization and "dropped_by_reason" in materialization.metadata:
            dropped.update(materialization.metadata["dropped_by_reason"].value)
    print(summary(db, work_db))
    if dropped:
        print(f"  source cells without a published value: {sum(dropped.values()):,}, by indicator / source / reason:")
        for reason, rows in sorted(dropped.items()):
            print(f"    {reason}: {rows:,}")
    print(f"wall time: {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
