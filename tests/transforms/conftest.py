"""Fixtures shared by the transform tests: the published rates computed once from the real data."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from sources.config import BUNDLED_DATA_DIR
from transforms.crime import recorded_offence_rates


@pytest.fixture(scope="session")
def bundled(raw_dir: Path) -> bool:
    """True when the tests read the bundled release (facts with hard-coded figures only hold there)."""
    return raw_dir.resolve() == BUNDLED_DATA_DIR.resolve()


@pytest.fixture(scope="session")
def rates(observations: pl.DataFrame, population: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(SEC_RECORDED_RATE values, drop counts) computed from the real files."""
    return recorded_offence_rates(observations, population)


@pytest.fixture(scope="session")
def lau(raw_dir: Path) -> pl.DataFrame:
    """The LAU 2019 <-> NUTS 2016 table, read with the real reader."""
    from sources.lau import read_lau
    from sources.registry import REFERENCE

    (source,) = [s for s in REFERENCE if s.name == "nuts_lau_2019"]
    return read_lau(source.path(raw_dir))


@pytest.fixture(scope="session")
def city_codes(raw_dir: Path) -> pl.DataFrame:
    from sources.codelists import read_code_list
    from sources.registry import CODELISTS

    (source,) = [s for s in CODELISTS if s.name == "city_codes"]
    return read_code_list(source.path(raw_dir))


@pytest.fixture(scope="session")
def city_links(city_codes: pl.DataFrame, lau: pl.DataFrame, population: pl.DataFrame) -> pl.DataFrame:
    """Every Urban Audit city linked to its NUTS 3 region, computed from the real files."""
    from transforms.city_regions import city_regions

    return city_regions(city_codes, lau, population)
