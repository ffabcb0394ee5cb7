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
