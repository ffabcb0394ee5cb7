"""One materialisation of the whole graph on the bundled data into temporary DuckDB files (the analysts' file and
the pipeline's working file), shared by the pipeline tests: it is the expensive part (~10 s)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from pipelines.definitions import ALL_ASSETS, ALL_CHECKS
from pipelines.defs.dashboard.assets import DASHBOARD_ASSETS
from pipelines.defs.incidents.assets import (
    POLICE_JOB,
    POLICE_KEY,
    SSMSI_JOB,
    build_partitioned_assets,
    partitions_to_land,
)
from pipelines.defs.quality.checks import REPORT_GX_CHECKS
from pipelines.resources import UrbanSafetyPaths, WarehouseIOManager
from sources.config import BUNDLED_REGISTERS_DIR
from warehouse.db import connect
from warehouse.metadata import PUBLISHED_TABLES


def work_db_for(db: Path) -> Path:
    """The working file next to an analysts' file, named as sources.config.work_db_path names it."""
    return db.with_name(f"{db.stem}.work{db.suffix}")


def resources_for(data_dir: Path, db: Path, registers_dir: Path = BUNDLED_REGISTERS_DIR) -> dict[str, object]:
    work = str(work_db_for(db))
    return {
        "paths": UrbanSafetyPaths(
            data_dir=str(data_dir), database=str(db), work_database=work, registers_dir=str(registers_dir)
        ),
        "warehouse_io": WarehouseIOManager(database=work),
    }


QUIET = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}


def land_incident_partitions(data_dir: Path, db: Path) -> list[dg.ExecuteInProcessResult]:
    """The incident partitions whose input changed (as make run decides), in one ranged run per asset (a UI
    backfill as a single run), into the Parquet root next to ``db``."""
    resources = resources_for(data_dir, db)
    todo = partitions_to_land(resources["paths"])
    results = []
    for asset in build_partitioned_assets(data_dir)[0]:
        job = POLICE_JOB if asset.key == POLICE_KEY else SSMSI_JOB
        keys = sorted(k for j, k in todo if j == job)
        if not keys:
            continue
        results.append(
            dg.materialize(
                [asset],
                resources=resources,
                tags={"dagster/asset_partition_range_start": keys[0], "dagster/asset_partition_range_end": keys[-1]},
                raise_on_error=False,
                run_config=QUIET,
            )
        )
    return results


def materialize_all(
    data_dir: Path,
    db: Path,
    registers_dir: Path = BUNDLED_REGISTERS_DIR,
    with_site: bool = False,
    with_report_suites: bool = False,
) -> dg.ExecuteInProcessResult:
    """The incident partitions first (as make run does), then every unpartitioned asset and check. Two parts that
    only read what the rest wrote, and change nothing it does, are left out unless asked: the dashboard
    (dashboard/site) and the non-blocking GX report suites (a fifth of a first run). The session's shared warehouse
    (`built`) runs both, once, like `make run`; the tests that run the graph again to see what a fault or a
    re-run does to the published tables keep every blocking check."""
    for landed in land_incident_partitions(data_dir, db):
        if not landed.success:
            return landed
    site = {key for asset in DASHBOARD_ASSETS for key in asset.keys}
    assets = ALL_ASSETS if with_site else [a for a in ALL_ASSETS if not set(getattr(a, "keys", ())) & site]
    checks = ALL_CHECKS if with_report_suites else [c for c in ALL_CHECKS if c not in REPORT_GX_CHECKS]
    return dg.materialize(
        [*assets, *checks],
        resources=resources_for(data_dir, db, registers_dir),
        raise_on_error=False,
        run_config={"loggers": {"console": {"config": {"log_level": "ERROR"}}}},
    )


def published_snapshot(db: Path) -> dict[str, list[tuple]]:
    with connect(db, read_only=True) as con:
        return {
            t.qualified_name: con.execute(f"SELECT * FROM {t.qualified_name} ORDER BY ALL").fetchall()
            for t in PUBLISHED_TABLES
        }


@contextmanager
def both_files(db: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """The analysts' file, read-only, with the working file attached as `work` (for joins back to staging)."""
    with connect(db, read_only=True) as con:
        con.execute(f"ATTACH '{work_db_for(db)}' AS work (READ_ONLY)")
        yield con


@dataclass
class BuiltWarehouse:
    db: Path
    data_dir: Path
    result: dg.ExecuteInProcessResult

    @property
    def work_db(self) -> Path:
        return work_db_for(self.db)


@pytest.fixture
def warehouse_copy(built: BuiltWarehouse, tmp_path: Path) -> Path:
    """A private copy of the built warehouse (both files) for tests that run again on top of it."""
    copy = tmp_path / "copy.duckdb"
    shutil.copyfile(built.db, copy)
    shutil.copyfile(built.work_db, work_db_for(copy))
    # The landed incident partitions too (Parquet next to the working file): unchanged months are not re-landed.
    shutil.copytree(built.db.parent / "incidents", tmp_path / "incidents")
    return copy
