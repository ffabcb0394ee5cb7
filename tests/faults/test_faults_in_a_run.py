"""Structural faults inside a real run: the run stops with a message naming the file, line and column, and the
analysts' file stays byte-identical. (The reader-level cases, 45 of them, are in test_fault_injection.py; these
run the whole Dagster graph, one run per case, on copies of the real files.)"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from expectations import gx_runner
from tests.pipelines.conftest import materialize_all, work_db_for
from tests.pipelines.conftest import warehouse_copy as warehouse_copy  # the fixture, for this package


def _truncate_json(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:5000])


def _rename_esif_column(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data.replace(b"Total Amount", b"Total Amt", 1))


# Two formats here (each case is a whole run, ~20 s); the other structural faults, and the row-level ones, are
# covered case by case at reader level in test_fault_injection.py, and a TSV one in tests/pipelines.
CASES = {
    "json_truncated": (
        "eurostat_population/demo_pjan_total_countries.json",
        _truncate_json,
        "demo_pjan_total_countries.json, line 1",
    ),
    "csv_renamed_column": (
        "cohesion_esif/ESIF_2014-2020_FINANCES_PLANNED_DETAILS_190411.csv",
        _rename_esif_column,
        "ESIF_2014-2020_FINANCES_PLANNED_DETAILS_190411.csv, line 1, column",
    ),
}


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("case", list(CASES))
def test_structural_fault_stops_the_run_and_the_analysts_file_is_untouched(
    case: str,
    built,
    warehouse_copy: Path,
    tmp_path: Path,
) -> None:
    relpath, damage, expected = CASES[case]
    data = tmp_path / "raw"
    shutil.copytree(built.data_dir, data)
    damage(data / relpath)
    before = _sha(warehouse_copy)

    result = materialize_all(data, warehouse_copy)

    assert not result.success
    messages = " ".join(
        str(e.step_failure_data.error) for e in result.all_events if e.event_type_value == "STEP_FAILURE"
    )
    assert expected in messages, messages[:2000]
    assert _sha(warehouse_copy) == before
    assert work_db_for(warehouse_copy).exists()


def test_a_failing_gx_suite_on_a_candidate_blocks_publication(
    built,
    warehouse_copy: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The blocking GX check on staging.indicator_values fails (a row-count band the data cannot meet): nothing
    is published and the analysts' file is byte-identical."""
    original = gx_runner.load_suite

    def stricter(name: str) -> dict:
        suite = original(name)
        if name == "staging.indicator_values":
            suite = {
                **suite,
                "expectations": [
                    *suite["expectations"],
                    {"type": "expect_table_row_count_to_be_between", "kwargs": {"min_value": 0, "max_value": 10}},
                ],
            }
        return suite

    monkeypatch.setattr(gx_runner, "load_suite", stricter)
    before = _sha(warehouse_copy)

    result = materialize_all(built.data_dir, warehouse_copy)

    [gx] = [e for e in result.get_asset_check_evaluations() if e.check_name == "gx_staging_indicator_values"]
    assert not gx.passed
    assert not result.success
    assert not list(result.asset_materializations_for_node("publish_tables"))
    assert _sha(warehouse_copy) == before


# Every structural case of the reader suite whose file the pipeline reads, inside a real Dagster run: the run
# re-materialises the damaged source and everything downstream of it, up to publication (the other sources come
# from the working file), stops at the damaged file with its file/line/column message, and publishes nothing.
def _pipeline_cases() -> list:
    from sources.registry import ALL_SOURCES
    from tests.faults.test_fault_injection import STRUCTURAL_FAULTS

    by_relpath = {s.relpath: s.name for s in ALL_SOURCES}
    return [c for c in STRUCTURAL_FAULTS if c.relpath in by_relpath and not c.suffix]


@pytest.mark.parametrize("case", _pipeline_cases(), ids=lambda c: c.id)
def test_every_structural_reader_case_fails_the_run_and_publishes_nothing(
    case,
    built,
    warehouse_copy: Path,
    tmp_path: Path,
) -> None:
    import dagster as dg

    from pipelines.definitions import ALL_ASSETS, ALL_CHECKS
    from sources.registry import ALL_SOURCES
    from tests.pipelines.conftest import resources_for

    name = {s.relpath: s.name for s in ALL_SOURCES}[case.relpath]
    data = tmp_path / "raw"
    shutil.copytree(built.data_dir, data)
    target = data / case.relpath
    target.write_bytes(case.mutate(target.read_bytes()))
    line = case.line(target.read_bytes()) if callable(case.line) else case.line
    before = _sha(warehouse_copy)

    result = dg.materialize(
        [*ALL_ASSETS, *ALL_CHECKS],
        selection=dg.AssetSelection.assets(dg.AssetKey(["raw", name])).downstream().required_multi_asset_neighbors(),
        resources=resources_for(data, warehouse_copy),
        raise_on_error=False,
        run_config={"loggers": {"console": {"config": {"log_level": "ERROR"}}}},
    )

    assert not result.success
    messages = " ".join(
        str(e.step_failure_data.error) for e in result.all_events if e.event_type_value == "STEP_FAILURE"
    )
    where = f"{Path(case.relpath).name}, line {line}" if line is not None else Path(case.relpath).name
    assert where in messages, messages[:1500]
    assert not list(result.asset_materializations_for_node("publish_tables"))
    assert _sha(warehouse_copy) == before
