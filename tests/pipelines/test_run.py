"""`make run` (pipelines.run) on a persistent Dagster instance: every run is recorded there (what `make dev`
shows), a no-change run recomputes nothing, and an edited parameter file re-runs exactly the assets that read it
and their downstream (regression: the old fingerprint hashed only *.py, so that edit changed nothing)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.definitions.data_version import DATA_VERSION_TAG

from pipelines import run
from pipelines.definitions import defs
from sources.config import PROJECT_ROOT
from tests.pipelines.conftest import published_snapshot
from warehouse.db import connect

RUN_TIMEOUT = 900  # a safety net for a stuck run, not a speed requirement
# What the survey sample sizes feed: the survey values, everything computed from the candidate indicator values,
# and the publication (one multi-asset: all five published tables).
# The survey values, what reads them, and the publication (one multi-asset: every published table) and the dashboard.
SURVEY_AND_DOWNSTREAM = {
    "dashboard/site",
    "published/code_labels",
    "published/crime_and_feeling",
    "published/geographies",
    "published/incident_changes",
    "published/incident_completeness",
    "published/indicator_values",
    "published/indicators",
    "published/local_indicator_values",
    "published/self_assessment",
    "published/self_assessment_positions",
    "staging/crime_and_feeling",
    "staging/geographies",
    "staging/indicator_values",
    "staging/self_assessment",
    "staging/self_assessment_positions",
    "staging/survey_indicator_values",
}


def _project_copy(tmp_path: Path) -> Path:
    """The code, parameters, suites and bundled data in a temporary folder (so a parameter can be edited)."""
    copy = tmp_path / "project"
    code = shutil.ignore_patterns("__pycache__", "*.duckdb*", "downloads", "exports", "data_docs")

    def ignore(folder: str, names: list[str]) -> set[str]:
        # What an earlier `make run` in this tree generated next to the warehouse (landed incidents, the site) is
        # not the project.
        generated = {"incidents", "site"} if Path(folder).name == "warehouse" else set()
        return set(code(folder, names)) | (generated & set(names))

    for folder in ("sources", "transforms", "warehouse", "expectations", "pipelines", "dashboard", "data"):
        shutil.copytree(PROJECT_ROOT / folder, copy / folder, ignore=ignore)
    for name in ("requirements.lock", "dagster.yaml", "pyproject.toml"):
        shutil.copyfile(PROJECT_ROOT / name, copy / name)
    return copy


def _make_run(project: Path) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("URBAN_SAFETY_", "DAGSTER_HOME"))}
    proc = subprocess.run(
        [sys.executable, "-m", "pipelines.run"],
        cwd=project,
        env={**env, "PYTHONPATH": str(project)},
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout


def _survey_intervals(db: Path) -> list[tuple]:
    with connect(db, read_only=True) as con:
        return con.execute(
            "SELECT indicator_id, geo_code, period, ci_low, ci_high FROM published.indicator_values "
            "WHERE source_dataset = 'urb_percep' ORDER BY ALL"
        ).fetchall()


def _materialised_in(instance: dg.DagsterInstance, run_id: str) -> set[str]:
    records = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION).records
    return {r.event_log_entry.asset_materialization.asset_key.to_user_string() for r in records}


def test_runs_are_recorded_in_the_instance_and_only_stale_assets_rerun(tmp_path: Path) -> None:
    """One project copy, three `make run`s: the first materialises everything and is recorded in the instance
    with its checks and source observations (what `make dev` shows); the second, with nothing changed, starts no
    run; the third, after the sample sizes were edited, re-runs exactly the survey assets and their downstream."""
    project = _project_copy(tmp_path)
    db = project / "warehouse" / "urban_safety.duckdb"
    first = _make_run(project)
    assert "published.indicator_values" in first and "SEC_RECORDED_RATE" in first and "wall time" in first
    assert "extra_regio" in first  # dropped observations are reported by reason
    before = published_snapshot(db)
    intervals = _survey_intervals(db)

    # What `make dev` shows: the runs (observation, then materialisation) with every asset and check result.
    instance = dg.DagsterInstance.from_config(str(project))  # DAGSTER_HOME defaults to the repository root
    # Newest first: the materialisation, one run per incident partition landed (12 months, 7 years), the observation.
    runs = instance.get_run_records()
    assert [r.dagster_run.status for r in runs] == [dg.DagsterRunStatus.SUCCESS] * (2 + 19)
    partition_runs = [r for r in runs if r.dagster_run.tags.get("dagster/partition")]
    assert len(partition_runs) == 19
    runs = [r for r in runs if r not in partition_runs]
    materialised = _materialised_in(instance, runs[0].dagster_run.run_id)
    graph = defs.resolve_asset_graph()
    unpartitioned = {k.to_user_string() for k in graph.materializable_asset_keys if not graph.get(k).is_partitioned}
    assert materialised == unpartitioned
    checks = instance.get_records_for_run(
        runs[0].dagster_run.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION
    ).records
    assert len(checks) == sum(len(c.check_keys) for c in defs.asset_checks or [])  # none left "Not evaluated"
    observed = instance.get_records_for_run(
        runs[1].dagster_run.run_id, of_type=dg.DagsterEventType.ASSET_OBSERVATION
    ).records
    assert len(observed) == len(graph.observable_asset_keys) == 20  # each source with its sha256 as data version

    second = _make_run(project)
    assert "nothing changed" in second
    assert published_snapshot(db) == before
    assert len(instance.get_run_records()) == 2 + 19  # no new run: nothing was stale

    # Surveys of 2019 interviewed twice as many people: every 2019 interval must narrow.
    params = project / "transforms" / "parameters" / "survey_sample_sizes.csv"
    text = params.read_text(encoding="utf-8")
    assert "urb_percep,2019,*,700," in text
    params.write_text(text.replace("urb_percep,2019,*,700,", "urb_percep,2019,*,1400,"), encoding="utf-8")
    _make_run(project)

    after = _survey_intervals(db)
    assert len(after) == len(intervals)
    changed = [(b, a) for b, a in zip(intervals, after, strict=True) if b != a]
    assert changed, "the publication still holds the intervals of the old sample sizes"
    assert all(str(a[2]).startswith("2019") for _, a in changed)
    assert all((a[4] - a[3]) < (b[4] - b[3]) for b, a in changed)
    last = instance.get_run_records(limit=1)[0].dagster_run
    assert _materialised_in(instance, last.run_id) == SURVEY_AND_DOWNSTREAM

    # The stale_assets sensor (declarative automation, for UI and scheduled operation) decides the same way:
    # nothing on a tick after the run; after a source observed with new bytes, that source's raw asset and
    # everything downstream of it, in one tick; then nothing again.
    settled = dg.evaluate_automation_conditions(defs=defs, instance=instance)
    assert settled.total_requested == 0
    new_release = dg.AssetObservation(
        asset_key=dg.AssetKey(["source", "crim_hom_ocit"]), tags={DATA_VERSION_TAG: "sha256 of a new release"}
    )
    instance.report_runless_asset_event(new_release)
    tick = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=settled.cursor)
    requested = {k for k in graph.materializable_asset_keys if tick.get_num_requested(k)}
    raw = dg.AssetSelection.assets(dg.AssetKey(["raw", "crim_hom_ocit"]))
    assert requested == raw.downstream().required_multi_asset_neighbors().resolve(graph)
    assert dg.AssetKey(["raw", "crim_off_cat"]) not in requested
    assert dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=tick.cursor).total_requested == 0


def test_failed_run_exits_non_zero_and_names_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, raw_dir: Path, capsys
) -> None:
    data = tmp_path / "raw"
    (data / "eurostat_population").mkdir(parents=True)
    # Copies, not symlinks: a link pointing outside the data folder is refused (paths stay confined).
    for sub in (
        "eurostat_crime",
        "eurostat_codelists",
        "eurostat_urban_audit",
        "eurostat_silc_social",
        "cohesion_esif",
    ):
        shutil.copytree(raw_dir / sub, data / sub)
    for name in ("demo_r_pjanaggr3.tsv", "tps00001.tsv"):
        shutil.copyfile(raw_dir / "eurostat_population" / name, data / "eurostat_population" / name)
    (data / "eurostat_population" / "demo_pjan_total_countries.json").write_text('{"class": "dataset", "id": [')
    monkeypatch.setenv("URBAN_SAFETY_DB", str(tmp_path / "w.duckdb"))
    monkeypatch.setenv("URBAN_SAFETY_DATA_DIR", str(data))

    assert run.main([]) == 1
    err = capsys.readouterr().err
    assert "demo_pjan_total_countries.json, line 1" in err
    assert "published tables were not changed" in err


def test_a_candidate_whose_blocking_check_failed_stays_stale() -> None:
    """Regression guard: a run stopped by a blocking check leaves a materialised, unchecked candidate behind; the
    next `make run` must re-check it (it counts as stale), never publish it because only the publication looks
    stale."""
    outcome = {"passed": False, "crash": False}

    @dg.asset
    def candidate() -> int:
        if outcome["crash"]:
            raise RuntimeError("the step fails before the candidate is written")
        return 1

    @dg.asset_check(asset=candidate, blocking=True)
    def rule() -> dg.AssetCheckResult:
        return dg.AssetCheckResult(passed=outcome["passed"])

    @dg.asset(deps=[candidate])
    def published() -> None:
        return None

    toy = dg.Definitions(assets=[candidate, published], asset_checks=[rule])
    instance = dg.DagsterInstance.ephemeral()
    stopped = dg.materialize([candidate, published, rule], instance=instance, raise_on_error=False)
    assert not stopped.success  # the check failed: nothing downstream ran
    assert run.unchecked_candidates(instance, toy) == [dg.AssetKey("candidate")]
    assert dg.AssetKey("candidate") in run.stale_selection(instance, toy)

    outcome["passed"] = True
    assert dg.materialize([candidate, published, rule], instance=instance).success
    assert run.unchecked_candidates(instance, toy) == []
    assert run.stale_selection(instance, toy) == []

    # A later run that stops before the candidate (its check only "planned") leaves the checked one standing.
    outcome["crash"] = True
    crashed = dg.materialize([candidate, published, rule], instance=instance, raise_on_error=False)
    assert not crashed.success
    assert run.unchecked_candidates(instance, toy) == []
