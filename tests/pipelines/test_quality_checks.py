"""GX report checks in runs: a suite that passed is not run again on the very same rows (same fingerprint, same
suite), a changed row is validated again, and the quality_report job always re-validates."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import duckdb
import pytest

from expectations import gx_runner
from pipelines.defs.quality.checks import QUALITY_REPORT_JOB, build_gx_check
from tests.pipelines.conftest import QUIET, BuiltWarehouse, resources_for, work_db_for

SUITE = "raw.crim_hom_ocit"


def _evaluate(check: dg.AssetChecksDefinition, resources: dict, instance: dg.DagsterInstance) -> dict:
    result = dg.materialize(
        [check], selection=dg.AssetSelection.checks(check), resources=resources, instance=instance, run_config=QUIET
    )
    (evaluation,) = result.get_asset_check_evaluations()
    assert evaluation.passed
    return {k: v.value for k, v in evaluation.metadata.items()} | {"run_id": result.run_id}


def test_a_report_suite_is_not_rerun_on_rows_it_passed(
    built: BuiltWarehouse, warehouse_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    check = build_gx_check(SUITE, blocking=False)
    resources = resources_for(built.data_dir, warehouse_copy)
    with dg.DagsterInstance.ephemeral() as instance:
        first = _evaluate(check, resources, instance)
        assert first["revalidated"] and first["validated_in_run"] == first["run_id"]

        def not_again(*_args, **_kwargs):
            raise AssertionError("the suite ran again on rows it already passed")

        with monkeypatch.context() as patched:
            patched.setattr(gx_runner, "validate_fast", not_again)
            second = _evaluate(check, resources, instance)
        assert not second["revalidated"] and second["validated_in_run"] == first["run_id"]
        assert second["table_fingerprint"] == first["table_fingerprint"]

        # One value changed: another fingerprint, so the suite runs again.
        with duckdb.connect(str(work_db_for(warehouse_copy))) as con:
            con.execute("UPDATE raw.crim_hom_ocit SET value = value + 1 WHERE rowid = 0")
        third = _evaluate(check, resources, instance)
        assert third["revalidated"] and third["table_fingerprint"] != first["table_fingerprint"]

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
