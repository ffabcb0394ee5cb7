"""One materialisation of the whole graph on the bundled data into a temporary DuckDB file, shared by the
pipeline tests (it is the expensive part: ~6 s)."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import pytest

from pipelines.definitions import ALL_ASSETS, ALL_CHECKS
from pipelines.resources import UrbanSafetyPaths, WarehouseIOManager
from sources.config import BUNDLED_REGISTERS_DIR
from warehouse.db import connect
from warehouse.metadata import PUBLISHED_TABLES


def resources_for(data_dir: Path, db: Path, registers_dir: Path = BUNDLED_REGISTERS_DIR) -> dict[str, object]:
    return {
        "paths": UrbanSafetyPaths(data_dir=str(data_dir), database=str(db), registers_dir=str(registers_dir)),
        "warehouse_io": WarehouseIOManager(database=str(db)),
    }


def materialize_all(data_dir: Path, db: Path, registers_dir: Path = BUNDLED_REGISTERS_DIR) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [*ALL_ASSETS, *ALL_CHECKS],
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


@dataclass
class BuiltWarehouse:
    db: Path
    data_dir: Path
    result: dg.ExecuteInProcessResult


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory, raw_dir: Path) -> BuiltWarehouse:
    db = tmp_path_factory.mktemp("warehouse") / "urban_safety.duckdb"
    result = materialize_all(raw_dir, db)
    return BuiltWarehouse(db=db, data_dir=raw_dir, result=result)


@pytest.fixture
def warehouse_copy(built: BuiltWarehouse, tmp_path: Path) -> Path:
    """A private copy of the built warehouse for tests that run again on top of it."""
    copy = tmp_path / "copy.duckdb"
    shutil.copyfile(built.db, copy)
    return copy
