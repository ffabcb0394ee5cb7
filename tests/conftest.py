"""Shared fixtures. Tests use the real bundled files (or $URBAN_SAFETY_DATA_DIR, same layout)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from sources.config import data_dir
from sources.eurostat import read_eurostat
from sources.registry import EUROSTAT_CRIME, EUROSTAT_POPULATION
from transforms.observations import tidy_observations
from transforms.population import population_denominators


@pytest.fixture(scope="session")
def raw_dir() -> Path:
    """The raw-data folder the tests read: the bundled one unless URBAN_SAFETY_DATA_DIR says otherwise."""
    return data_dir()


@pytest.fixture(scope="session")
def observations(raw_dir: Path) -> pl.DataFrame:
    """Tidy observations of every Eurostat crime and population file, read with the real readers."""
    frames = []
    for source in EUROSTAT_CRIME + EUROSTAT_POPULATION:
        table = read_eurostat(source.path(raw_dir), source.name)
        raw = table.cells.with_columns(
            pl.lit(table.source_file).alias("source_file"),
            pl.lit(table.sha256).alias("sha256"),
            pl.lit(table.source_version).alias("source_version"),
        )
        frames.append(tidy_observations(source.name, raw))
    return pl.concat(frames)


@pytest.fixture(scope="session")
def population(observations: pl.DataFrame) -> pl.DataFrame:
    return population_denominators(observations)


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory, raw_dir: Path):  # -> tests.pipelines.conftest.BuiltWarehouse
    """One materialisation of the whole graph on the real data into temporary files, shared by every test
    package that needs a built warehouse (it is the expensive part: a first run of everything, report suites and
    dashboard included)."""
    from tests.pipelines.conftest import BuiltWarehouse, materialize_all

    db = tmp_path_factory.mktemp("warehouse") / "urban_safety.duckdb"
    result = materialize_all(raw_dir, db, with_site=True, with_report_suites=True)
    return BuiltWarehouse(db=db, data_dir=raw_dir, result=result)


@pytest.fixture(autouse=True)
def _never_touch_the_real_warehouse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A test that forgets to pass its own DB writes to a temp file, never to warehouse/urban_safety.duckdb, and
    records its runs in a temporary Dagster instance, never in the repository's."""
    monkeypatch.setenv("URBAN_SAFETY_DB", str(tmp_path / "default.duckdb"))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
