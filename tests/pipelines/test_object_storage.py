"""Incident partitions on object storage: the police.uk months and SSMSI years landed into a bucket of a local
S3-compatible server (moto, started and stopped here), read back by the staging assets, with the same published
figures as a local landing; a damaged month leaves the bucket's previous version whole."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import boto3
import dagster as dg
import duckdb
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from pipelines.defs.incidents.assets import (
    INCIDENT_STAGING_ASSETS,
    POLICE_KEY,
    SSMSI_KEY,
    build_partitioned_assets,
    partitions_to_land,
)
from pipelines.resources import UrbanSafetyPaths
from sources import police_uk
from sources.errors import SourceFormatError
from sources.partition_store import PartitionStore
from tests.pipelines.conftest import QUIET, resources_for, work_db_for

BUCKET = "urban-safety"
MONTHS = ["2019-01", "2019-02"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def s3_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A moto S3 server on a free local port for this module's tests; stopped at the end."""
    port = _free_port()
    log = tmp_path_factory.mktemp("moto") / "server.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)], stdout=out, stderr=out
        )
    try:
        for _ in range(300):  # until it accepts connections (a few seconds at most), or give up with its log
            if server.poll() is not None:
                pytest.fail(f"moto server exited: {log.read_text()}")
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        else:
            pytest.fail(f"moto server did not start: {log.read_text()}")
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.fixture
def bucket(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> str:
    """A fresh bucket, with the standard AWS variables pointing every client (boto3, pyarrow) at the server."""
    for name, value in {
        "AWS_ENDPOINT_URL": s3_endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    name = f"{BUCKET}-{request.node.name.replace('_', '-')[:40].strip('-').lower()}"
    boto3.client("s3").create_bucket(Bucket=name)
    return name


def _keys(bucket: str, prefix: str = "") -> dict[str, str]:
    """Every object under ``prefix``: key -> ETag (changes when the bytes change)."""
    listing = boto3.client("s3").list_objects_v2(Bucket=bucket, Prefix=prefix)
    return {o["Key"]: o["ETag"] for o in listing.get("Contents", [])}


def _data(raw_dir: Path, tmp_path: Path) -> Path:
    """Two police.uk months and the SSMSI file, copied from the bundle."""
    data = tmp_path / "raw"
    (data / "police_uk").mkdir(parents=True)
    for month in MONTHS:
        for f in (raw_dir / "police_uk").glob(f"{month}-*"):
            shutil.copy2(f, data / "police_uk" / f.name)
    shutil.copytree(raw_dir / "france_ssmsi", data / "france_ssmsi")
    return data


def _resources(data: Path, db: Path, root: str) -> dict[str, object]:
    paths = UrbanSafetyPaths(
        data_dir=str(data), database=str(db), work_database=str(work_db_for(db)), parquet_root=root
    )
    return resources_for(data, db) | {"paths": paths}


def _land_and_stage(data: Path, db: Path, root: str) -> dict[str, pl.DataFrame]:
    """Every police.uk month and SSMSI year in one ranged run each, then the three incident staging assets."""
    resources = _resources(data, db, root)
    assets = {a.key: a for a in build_partitioned_assets(data)[0]}
    for key in (POLICE_KEY, SSMSI_KEY):
        partitions = assets[key].partitions_def.get_partition_keys()
        result = dg.materialize(
            [assets[key]],
            resources=resources,
            tags={
                "dagster/asset_partition_range_start": partitions[0],
                "dagster/asset_partition_range_end": partitions[-1],
            },
            run_config=QUIET,
        )
        assert result.success
    staged = dg.materialize(INCIDENT_STAGING_ASSETS, resources=resources, run_config=QUIET)
    assert staged.success
    with duckdb.connect(str(work_db_for(db)), read_only=True) as con:
        return {
            name: con.sql(f"SELECT * FROM staging.{name}").pl()
            for name in ("local_indicator_values", "incident_completeness", "incident_changes")
        }


def test_partitions_land_in_the_bucket_and_give_the_same_figures_as_a_local_folder(
    raw_dir: Path, tmp_path: Path, bucket: str
) -> None:
    data = _data(raw_dir, tmp_path)
    remote = _land_and_stage(data, tmp_path / "s3" / "w.duckdb", f"s3://{bucket}/incidents")
    local = _land_and_stage(data, tmp_path / "local" / "w.duckdb", str(tmp_path / "local" / "incidents"))

    keys = _keys(bucket)
    # Hive layout, as in a local folder: one prefix per month and per year, the manifest with each month.
    for month in MONTHS:
        for name in (
            police_uk.INCIDENTS_FILE,
            police_uk.COUNTS_FILE,
            police_uk.QUARANTINE_FILE,
            police_uk.MANIFEST_FILE,
        ):
            assert f"incidents/police_uk/month={month}/{name}" in keys
    assert {k.split("/")[2] for k in keys if k.startswith("incidents/ssmsi/")} == {
        f"year={y}" for y in range(2016, 2023)
    }
    assert not (tmp_path / "s3" / "incidents").exists()  # nothing landed on the local disk instead

    for name, frame in remote.items():
        assert frame.height > 0 or name == "incident_changes", name
        by = [c for c in frame.columns if frame.schema[c] == pl.String]
        assert_frame_equal(frame.sort(by, nulls_last=True), local[name].sort(by, nulls_last=True))
    assert remote["local_indicator_values"]["indicator_id"].unique().sort().to_list() == [
        "LIV_ASB_COUNT",
        "SEC_FR_DEP_BURGLARY_RATE",
        "SEC_FR_DEP_RATE",
        "SEC_LOCAL_CRIME_COUNT",
    ]
    # Any engine with S3 access reads the partitions where they are (Polars here, through the same variables).
    direct = pl.scan_parquet(f"s3://{bucket}/incidents/police_uk/month=2019-01/{police_uk.INCIDENTS_FILE}")
    assert (
        direct.select(pl.len()).collect().item()
        == police_uk.read_manifest(f"s3://{bucket}/incidents", "2019-01")["rows_read"]
    )
    # make run's "what changed" reads the bucket too: nothing left to land.
    assert partitions_to_land(_resources(data, tmp_path / "s3" / "w.duckdb", f"s3://{bucket}/incidents")["paths"]) == []


def test_a_damaged_month_leaves_the_landed_objects_whole(raw_dir: Path, tmp_path: Path, bucket: str) -> None:
    data = _data(raw_dir, tmp_path)
    root = f"s3://{bucket}/incidents"
    month = MONTHS[1]
    first = police_uk.land_month(police_uk.discover(data)[month], month, root)
    assert not first.reused and first.location == f"{root}/police_uk/month={month}"
    before = _keys(bucket, f"incidents/police_uk/month={month}/")
    assert len(before) == 4

    again = police_uk.land_month(police_uk.discover(data)[month], month, root)
    assert again.reused and _keys(bucket, f"incidents/police_uk/month={month}/") == before

    damaged = next((data / "police_uk").glob(f"{month}-*"))
    lines = damaged.read_bytes().split(b"\r\n")
    lines[9] += b",one field too many"
    damaged.write_bytes(b"\r\n".join(lines))
    with pytest.raises(SourceFormatError, match=r"line 10, column 13"):
        police_uk.land_month(police_uk.discover(data)[month], month, root)
    assert _keys(bucket, f"incidents/police_uk/month={month}/") == before
    assert police_uk.landed_months(root) == [month]

    police_uk.remove_month(root, month)
    assert _keys(bucket, f"incidents/police_uk/month={month}/") == {}
    assert police_uk.landed_months(PartitionStore.at(root)) == []
