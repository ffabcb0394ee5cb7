"""GX report checks in runs: a suite that passed is not run again on the very same rows (same fingerprint, same
suite), a changed row is validated again, and the quality_report job always re-validates."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import duckdb
import pytest

from expectations import gx_runner
from pipelines.defs.quality.checks import NAMES_AND_COUNT_ONLY, QUALITY_REPORT_JOB, build_gx_check, columns_read
from tests.pipelines.conftest import QUIET, BuiltWarehouse, resources_for, work_db_for

SUITE = "raw.crim_hom_ocit"


def _evaluate(check: dg.AssetChecksDefinition, resources: dict, instance: dg.DagsterInstance) -> dict:
    result = dg.materialize(
        [check], selection=dg.AssetSelection.checks(check), resources=resources, instance=instance, run_config=QUIET
    )
    (evaluation,) = result.get_asset_check_evaluations()
    return (
        {"passed": evaluation.passed} | {k: v.value for k, v in evaluation.metadata.items()} | {"run_id": result.run_id}
    )


def test_a_report_suite_is_not_rerun_on_rows_it_passed(
    built: BuiltWarehouse, warehouse_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    check = build_gx_check(SUITE, blocking=False)
    resources = resources_for(built.data_dir, warehouse_copy)
    with dg.DagsterInstance.ephemeral() as instance:
        first = _evaluate(check, resources, instance)
        assert first["passed"] and first["revalidated"] and first["validated_in_run"] == first["run_id"]

        def not_again(*_args, **_kwargs):
            raise AssertionError("the suite ran again on rows it already passed")

        with monkeypatch.context() as patched:
            patched.setattr(gx_runner, "validate_fast", not_again)
            second = _evaluate(check, resources, instance)
        assert second["passed"] and not second["revalidated"] and second["validated_in_run"] == first["run_id"]
        assert second["table_fingerprint"] == first["table_fingerprint"]

        # A new load time only (no expectation reads loaded_at): the rows look the same to the suite.
        with duckdb.connect(str(work_db_for(warehouse_copy))) as con:
            con.execute("UPDATE raw.crim_hom_ocit SET loaded_at = loaded_at + INTERVAL 1 DAY")
        with monkeypatch.context() as patched:
            patched.setattr(gx_runner, "validate_fast", not_again)
            reloaded = _evaluate(check, resources, instance)
        assert not reloaded["revalidated"] and reloaded["validated_in_run"] == first["run_id"]

        # One value changed: another fingerprint, so the suite runs again.
        with duckdb.connect(str(work_db_for(warehouse_copy))) as con:
            con.execute("UPDATE raw.crim_hom_ocit SET value = value + 1 WHERE rowid = 0")
        third = _evaluate(check, resources, instance)
        assert third["passed"] and third["revalidated"] and third["table_fingerprint"] != first["table_fingerprint"]

        # A column's type changed (even one the suite's value checks do not read): validated again.
        with duckdb.connect(str(work_db_for(warehouse_copy))) as con:
            con.execute("ALTER TABLE raw.crim_hom_ocit ALTER loaded_at TYPE VARCHAR")
        fourth = _evaluate(check, resources, instance)
        assert fourth["revalidated"]

        # The quality_report job re-validates whatever the records say.
        job = dg.define_asset_job(QUALITY_REPORT_JOB, selection=dg.AssetSelection.checks(check))
        defs = dg.Definitions(asset_checks=[check], jobs=[job], resources=resources)
        report = defs.resolve_job_def(QUALITY_REPORT_JOB).execute_in_process(instance=instance, run_config=QUIET)
        (evaluation,) = report.get_asset_check_evaluations()
        assert evaluation.passed and evaluation.metadata["revalidated"].value is True


def test_a_blocking_suite_always_runs(built: BuiltWarehouse, warehouse_copy: Path) -> None:
    check = build_gx_check("staging.geographies", blocking=True)
    resources = resources_for(built.data_dir, warehouse_copy)
    with dg.DagsterInstance.ephemeral() as instance:
        runs = [_evaluate(check, resources, instance) for _ in range(2)]
    assert [r["revalidated"] for r in runs] == [True, True]
    assert [r["validated_in_run"] for r in runs] == [r["run_id"] for r in runs]


def test_the_columns_a_suite_reads_leave_out_only_what_no_value_expectation_names() -> None:
    suite = gx_runner.load_suite(SUITE)
    columns = next(e for e in suite["expectations"] if e["type"] == "expect_table_columns_to_match_set")["kwargs"]
    read = columns_read(SUITE, list(columns["column_set"]))
    assert "loaded_at" not in read and {"cities", "period", "value", "flags"} <= set(read)
    for expectation in suite["expectations"]:
        named = expectation["kwargs"].get("column")
        if named and expectation["type"] not in NAMES_AND_COUNT_ONLY:
            assert named in read, named
