"""Incident partitions in Dagster: keys read from the data folder, materialised per key into a temp warehouse, a new
month folder picked up, a damaged month failing alone with file/line/column while the published file stays."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl

from pipelines.defs.incidents.assets import (
    POLICE_KEY,
    SSMSI_KEY,
    build_partitioned_assets,
    partitions_to_land,
)
from sources import police_uk
from tests.pipelines.conftest import QUIET, BuiltWarehouse, materialize_all, resources_for, work_db_for

MONTHS_2019 = [f"2019-{m:02d}" for m in range(1, 13)]


def _assets(data_dir: Path) -> dict[dg.AssetKey, dg.AssetsDefinition]:
    return {a.key: a for a in build_partitioned_assets(data_dir)[0]}


def _materialize(data_dir: Path, db: Path, key: dg.AssetKey, partition: str) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [_assets(data_dir)[key]],
        partition_key=partition,
        resources=resources_for(data_dir, db),
        raise_on_error=False,
        run_config=QUIET,
    )


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _copy_police(raw_dir: Path, tmp_path: Path) -> Path:
    data = tmp_path / "raw"
    shutil.copytree(raw_dir / "police_uk", data / "police_uk")
    return data


def test_partitions_come_from_the_data_folder(raw_dir: Path) -> None:
    assets = _assets(raw_dir)
    assert assets[POLICE_KEY].partitions_def.get_partition_keys() == MONTHS_2019
    assert assets[SSMSI_KEY].partitions_def.get_partition_keys() == [str(y) for y in range(2016, 2023)]
    assert isinstance(assets[POLICE_KEY].partitions_def, dg.MonthlyPartitionsDefinition)


def test_each_month_materialises_on_its_own(raw_dir: Path, tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    for month, rows in (("2019-03", 879), ("2019-11", 933)):
        result = _materialize(raw_dir, db, POLICE_KEY, month)
        assert result.success
        (event,) = result.get_asset_materialization_events()
        assert event.partition == month
        assert event.step_materialization_data.materialization.metadata["rows_read"].value == rows
    assert police_uk.landed_months(tmp_path / "incidents") == ["2019-03", "2019-11"]
    again = _materialize(raw_dir, db, POLICE_KEY, "2019-03")
    (event,) = again.get_asset_materialization_events()
    assert event.step_materialization_data.materialization.metadata["months_reused"].value == 1


def test_each_ssmsi_year_materialises_on_its_own(raw_dir: Path, tmp_path: Path) -> None:
    result = _materialize(raw_dir, tmp_path / "w.duckdb", SSMSI_KEY, "2019")
    assert result.success
    landed = pl.read_parquet(tmp_path / "incidents" / "ssmsi" / "year=2019" / "rows.parquet")
    assert landed.height == 9_898 // 7


def test_a_month_folder_added_to_the_data_folder_is_a_new_partition(raw_dir: Path, tmp_path: Path) -> None:
    data = _copy_police(raw_dir, tmp_path)
    folder = data / "police_uk" / "2020-01"
    folder.mkdir()
    # A new month in the archive layout: the January 2019 rows re-dated (a test input derived from the real file).
    source = (raw_dir / "police_uk" / "2019-01-city-of-london-street.csv").read_bytes()
    (folder / "2020-01-city-of-london-street.csv").write_bytes(source.replace(b",2019-01,", b",2020-01,"))
    assert _assets(data)[POLICE_KEY].partitions_def.get_partition_keys() == [*MONTHS_2019, "2020-01"]
    db = tmp_path / "w.duckdb"
    paths = resources_for(data, db)["paths"]
    assert [k for _, k in partitions_to_land(paths)] == [*MONTHS_2019, "2020-01"]
    assert _materialize(data, db, POLICE_KEY, "2020-01").success
    assert "2020-01" not in [k for _, k in partitions_to_land(paths)]
    manifest = police_uk.read_manifest(tmp_path / "incidents", "2020-01")
    assert manifest is not None and manifest["rows_read"] == 617


def test_a_damaged_month_fails_its_partition_alone_and_the_published_file_stays(
    built: BuiltWarehouse, warehouse_copy: Path, tmp_path: Path
) -> None:
    data = tmp_path / "raw"
    shutil.copytree(built.data_dir, data)
    damaged = data / "police_uk" / "2019-05-city-of-london-street.csv"
    lines = damaged.read_bytes().split(b"\r\n")
    lines[41] += b",one field too many"
    damaged.write_bytes(b"\r\n".join(lines))
    landed = tmp_path / "incidents" / police_uk.month_path("2019-05")
    landed_before = {p.name: _sha(p) for p in landed.iterdir()}
    published_before = _sha(warehouse_copy)

    month = _materialize(data, warehouse_copy, POLICE_KEY, "2019-05")
    assert not month.success
    errors = " ".join(str(e.step_failure_data.error) for e in month.all_events if e.event_type_value == "STEP_FAILURE")
    assert "2019-05-city-of-london-street.csv, line 42, column 13" in errors
    assert _materialize(data, warehouse_copy, POLICE_KEY, "2019-06").success  # the other months are unaffected
    assert {p.name: _sha(p) for p in landed.iterdir()} == landed_before

    run = materialize_all(data, warehouse_copy)
    assert not run.success
    assert _sha(warehouse_copy) == published_before


def test_the_built_warehouse_publishes_incident_figures_and_reads_the_partitions(built: BuiltWarehouse) -> None:
    assert built.result.success
    with duckdb.connect(str(built.db), read_only=True) as con:
        total = con.execute(
            "SELECT value, ci_low, ci_high FROM published.local_indicator_values WHERE indicator_id = "
            "'SEC_LOCAL_CRIME_COUNT' AND geo_code = 'UK-PF-city-of-london' AND breakdown = 'ALL_CRIME' "
            "AND period = '2019'"
        ).fetchall()
        asb = con.execute(
            "SELECT value FROM published.local_indicator_values "
            "WHERE indicator_id = 'LIV_ASB_COUNT' AND period = '2019'"
        ).fetchall()
        ssmsi = con.execute(
            "SELECT count(*) FROM published.local_indicator_values WHERE indicator_id LIKE 'SEC_FR_DEP_%'"
        ).fetchall()
        completeness = con.execute("SELECT status, count(*) FROM published.incident_completeness GROUP BY 1").fetchall()
        indicators = con.execute(
            "SELECT count(*) FROM published.indicators WHERE indicator_id IN ('SEC_LOCAL_CRIME_COUNT', "
            "'LIV_ASB_COUNT', 'SEC_FR_DEP_RATE', 'SEC_FR_DEP_BURGLARY_RATE')"
        ).fetchall()
    assert total[0][0] == 8_689 and total[0][1] < 8_689 < total[0][2]
    assert asb == [(1_243.0,)]
    assert ssmsi == [(9_898,)]
    assert completeness == [("ok", 12)]
    assert indicators == [(4,)]
    with duckdb.connect(str(work_db_for(built.db)), read_only=True) as con:
        rows = con.execute("SELECT status, count(*) FROM incidents.police_uk_street GROUP BY 1 ORDER BY 1").fetchall()
        years = con.execute("SELECT count(DISTINCT year), count(*) FROM incidents.ssmsi_dep").fetchall()
    assert rows == [("anti_social_behaviour", 1_243), ("crime", 8_689), ("duplicate_crime_id", 100)]
    assert years == [(7, 9_898)]
