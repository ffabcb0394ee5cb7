"""`make run` (pipelines.run): a full run, then a no-change run that recomputes nothing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pipelines import run
from tests.pipelines.conftest import published_snapshot


def test_run_then_rerun_without_changes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, raw_dir: Path, capsys) -> None:
    db = tmp_path / "urban_safety.duckdb"
    monkeypatch.setenv("URBAN_SAFETY_DB", str(db))
    monkeypatch.setenv("URBAN_SAFETY_DATA_DIR", str(raw_dir))

    assert run.main([]) == 0
    first = capsys.readouterr().out
    assert "published.indicator_values" in first and "SEC_RECORDED_RATE" in first and "wall time" in first
    assert "extra_regio" in first  # dropped observations are reported by reason
    before = published_snapshot(db)

    assert run.main([]) == 0
    second = capsys.readouterr().out
    assert "nothing changed" in second
    assert published_snapshot(db) == before


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
