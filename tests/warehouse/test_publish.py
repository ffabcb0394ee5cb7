"""The publishing layer: contract enforcement, COMMENTs, atomic replacement, DuckDB 1.x readability."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from warehouse.catalogue import CATALOGUE, catalogue_frame
from warehouse.contract import contract_problems
from warehouse.db import STORAGE_VERSION_V1_4, connect, storage_version
from warehouse.metadata import (
    CODE_LABELS,
    CRIME_AND_FEELING,
    GEOGRAPHIES,
    INCIDENT_CHANGES,
    INCIDENT_COMPLETENESS,
    INDICATOR_VALUES,
    INDICATORS,
    LOCAL_INDICATOR_VALUES,
    PUBLISHED_TABLES,
    SELF_ASSESSMENT,
    SELF_ASSESSMENT_POSITIONS,
    Table,
    empty_frame,
)
from warehouse.publish import PublishError, last_fingerprint, publish


def _values(value: float = 2.0) -> pl.DataFrame:
    row = {
        "indicator_id": "SEC_RECORDED_RATE",
        "breakdown": "ICCS0101",
        "geo_code": "AT",
        "geo_level": "NUTS0",
        "period": "2020",
        "value": value,
        "unit": "per 100000 inhabitants",
        "ci_low": value / 2,
        "ci_high": value * 2,
        "ci_method": "poisson_exact",
        "numerator": value * 5,
        "denominator": 250_000.0,
        "obs_status": "p",
        "conf_status": None,
        "series_variant": "national_table",
        "comparability": "cross_country",
        "source_dataset": "crim_off_cat / demo_pjan",
        "source_version": "crim_off_cat@x / demo_pjan@y",
        "note": None,
        "example_data": False,
    }
    return pl.DataFrame([row], schema=INDICATOR_VALUES.polars_schema)


def _geos() -> pl.DataFrame:
    return pl.DataFrame(
        [{"geo_code": "AT", "geo_level": "NUTS0", "name": "Austria", "country_code": "AT", "parent_code": None}],
        schema=GEOGRAPHIES.polars_schema,
    )


def _assessment() -> pl.DataFrame:
    row = {
        "geo_code": "AT",
        "geo_level": "NUTS0",
        "dimension_code": "D5",
        "dimension": "Urban security",
        "reference_year": 2023,
        "indicators_in_dimension": 2,
        "indicators_with_recent_value": 1,
        "coverage": 50.0,
        "maturity": 1,
        "maturity_label": "current data only for the whole country",
        "maturity_basis": "level 1: SEC_RECORDED_RATE 2023 (AT)",
        "position": None,
        "position_indicators": 0,
        "position_basis": None,
        "latest_years": "SEC_HOM_COUNT_CITY none; SEC_RECORDED_RATE 2023",
        "indicators_better": 0,
        "indicators_similar": 0,
        "indicators_worse": 0,
        "position_reason": "countries are not compared: peers must be of the same country",
    }
    return pl.DataFrame([row], schema=SELF_ASSESSMENT.polars_schema)


def _frames(value: float = 2.0) -> dict[Table, pl.DataFrame]:
    return {
        INDICATOR_VALUES: _values(value),
        INDICATORS: catalogue_frame(),
        GEOGRAPHIES: _geos(),
        SELF_ASSESSMENT: _assessment(),
        SELF_ASSESSMENT_POSITIONS: empty_frame(SELF_ASSESSMENT_POSITIONS),
        CRIME_AND_FEELING: empty_frame(CRIME_AND_FEELING),  # no pairs is a valid answer for this table
        CODE_LABELS: pl.DataFrame(
            [("iccs", "ICCS0101", "Intentional homicide", "iccs.dic")], schema=CODE_LABELS.polars_schema, orient="row"
        ),
        # No incident data configured is a valid answer for the local tables.
        LOCAL_INDICATOR_VALUES: empty_frame(LOCAL_INDICATOR_VALUES),
        INCIDENT_COMPLETENESS: empty_frame(INCIDENT_COMPLETENESS),
        INCIDENT_CHANGES: empty_frame(INCIDENT_CHANGES),
    }


def _snapshot(db: Path) -> dict[str, list[tuple]]:
    with connect(db, read_only=True) as con:
        return {
            t.qualified_name: con.execute(f"SELECT * FROM {t.qualified_name} ORDER BY ALL").fetchall()
            for t in PUBLISHED_TABLES
        }


def test_publish_creates_every_table_with_comments(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    rows = publish(db, _frames(), run_id="r1", fingerprint="f1")
    assert rows == {
        INDICATOR_VALUES.qualified_name: 1,
        INDICATORS.qualified_name: len(CATALOGUE),
        GEOGRAPHIES.qualified_name: 1,
        SELF_ASSESSMENT.qualified_name: 1,
        SELF_ASSESSMENT_POSITIONS.qualified_name: 0,
        CRIME_AND_FEELING.qualified_name: 0,
        CODE_LABELS.qualified_name: 1,
        LOCAL_INDICATOR_VALUES.qualified_name: 0,
        INCIDENT_COMPLETENESS.qualified_name: 0,
        INCIDENT_CHANGES.qualified_name: 0,
    }
    with connect(db, read_only=True) as con:
        table_comments = dict(
            con.execute("SELECT table_name, comment FROM duckdb_tables() WHERE schema_name='published'").fetchall()
        )
        column_comments = con.execute(
            "SELECT table_name, column_name, comment FROM duckdb_columns() WHERE schema_name='published'"
        ).fetchall()
    assert table_comments == {t.name: t.description for t in PUBLISHED_TABLES}
    assert len(column_comments) == sum(len(t.columns) for t in PUBLISHED_TABLES)
    assert all(comment for _, _, comment in column_comments)
    assert last_fingerprint(db) == "f1"


def test_file_stays_readable_by_duckdb_1_4(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    publish(db, _frames(), run_id="r1", fingerprint="f1")
    assert storage_version(db) == STORAGE_VERSION_V1_4


def test_republishing_replaces_rows_without_duplicates(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    publish(db, _frames(2.0), run_id="r1", fingerprint="f1")
    publish(db, _frames(3.0), run_id="r2", fingerprint="f2")
    snap = _snapshot(db)
    assert len(snap[INDICATOR_VALUES.qualified_name]) == 1
    assert snap[INDICATOR_VALUES.qualified_name][0][5] == 3.0
    assert last_fingerprint(db) == "f2"


@pytest.mark.parametrize(
    ("breaking", "message"),
    [
        (lambda f: pl.concat([f, f]), "share a key"),
        (lambda f: f.with_columns(pl.lit(None, dtype=pl.String).alias("geo_level")), "NULL values"),
        (lambda f: f.head(0), "no rows"),
        (lambda f: f.drop("ci_low"), "missing columns ['ci_low']"),
        (lambda f: f.with_columns(pl.lit(1).alias("surprise")), "unexpected columns ['surprise']"),
    ],
)
def test_contract_violations_are_refused_and_nothing_changes(tmp_path: Path, breaking, message: str) -> None:
    db = tmp_path / "w.duckdb"
    publish(db, _frames(), run_id="r1", fingerprint="f1")
    before = _snapshot(db)
    frames = _frames(5.0)
    frames[INDICATOR_VALUES] = breaking(frames[INDICATOR_VALUES])
    assert any(message in p for p in contract_problems(INDICATOR_VALUES, frames[INDICATOR_VALUES]))
    with pytest.raises(PublishError, match=message.replace("[", r"\[").replace("]", r"\]")):
        publish(db, frames, run_id="r2", fingerprint="f2")
    assert _snapshot(db) == before
    assert last_fingerprint(db) == "f1"


def test_failure_midway_rolls_back_every_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """indicator_values is already replaced inside the transaction when geographies fails: both stay old."""
    db = tmp_path / "w.duckdb"
    publish(db, _frames(2.0), run_id="r1", fingerprint="f1")
    before = _snapshot(db)
    original = Table.comment_sql

    def failing_comment_sql(self: Table) -> list[str]:
        if self.name == "geographies":
            raise RuntimeError("disk full (simulated)")
        return original(self)

    monkeypatch.setattr(Table, "comment_sql", failing_comment_sql)
    with pytest.raises(RuntimeError, match="simulated"):
        publish(db, _frames(9.0), run_id="r2", fingerprint="f2")
    assert _snapshot(db) == before
    assert last_fingerprint(db) == "f1"


def test_unknown_table_is_refused(tmp_path: Path) -> None:
    other = Table("published", "other", "x", INDICATOR_VALUES.columns, INDICATOR_VALUES.key)
    with pytest.raises(PublishError, match="not published tables"):
        publish(tmp_path / "w.duckdb", {other: _values()}, run_id="r", fingerprint="f")
