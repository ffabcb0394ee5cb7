"""Security: no SQL from unvalidated names, paths confined to the data folder, no formula injection in CSV
exports, the UI on localhost unless told otherwise, DuckDB replacement scans off."""

from __future__ import annotations

import re
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl
import pytest

from pipelines.resources import WarehouseIOManager
from sources.config import PROJECT_ROOT
from sources.errors import SourceFormatError
from sources.registry import SourceFile
from warehouse import store
from warehouse.db import connect
from warehouse.export import export_published_csv, neutralise_formulas
from warehouse.metadata import quote_ident


@pytest.mark.parametrize("name", ['x"; DROP TABLE published.indicator_values; --', "a b", "../x", "t'", ""])
def test_identifiers_outside_letters_digits_underscore_are_refused(name: str) -> None:
    with pytest.raises(ValueError, match="refusing identifier"):
        quote_ident(name)


def test_working_tables_only_in_working_schemas(tmp_path: Path) -> None:
    frame = pl.DataFrame({"a": [1]})
    with pytest.raises(ValueError, match="not a working schema"):
        store.write_table(tmp_path / "w.duckdb", "published", "indicator_values", frame)
    with pytest.raises(ValueError, match="refusing identifier"):
        store.write_table(tmp_path / "w.duckdb", "raw", "x; DROP SCHEMA raw", frame)


def test_io_manager_refuses_a_malicious_asset_key(tmp_path: Path) -> None:
    manager = WarehouseIOManager(database=str(tmp_path / "w.duckdb"))
    context = dg.build_output_context(asset_key=dg.AssetKey(["raw", 'x"; DROP TABLE y; --']))
    with pytest.raises(ValueError, match="refusing identifier"):
        manager.handle_output(context, pl.DataFrame({"a": [1]}))


@pytest.mark.parametrize("relpath", ["../../etc/passwd", "/etc/passwd", "eurostat_crime/../../outside.tsv"])
def test_source_paths_are_confined_to_the_data_folder(tmp_path: Path, relpath: str) -> None:
    data = tmp_path / "raw"
    data.mkdir()
    (tmp_path / "outside.tsv").write_text("x")
    with pytest.raises(SourceFormatError, match="outside the data folder"):
        SourceFile("evil", relpath, "eurostat", "evil").path(data)


def test_replacement_scans_are_off(tmp_path: Path) -> None:
    """A misspelt table name must fail as 'not found', never read a Python variable of that name."""
    indicator_values = pl.DataFrame({"a": [1]})  # noqa: F841 — the variable a replacement scan would find
    with connect(tmp_path / "w.duckdb") as con, pytest.raises(duckdb.CatalogException):
        con.execute("SELECT * FROM indicator_values").fetchall()


def test_csv_export_neutralises_formula_cells() -> None:
    frame = pl.DataFrame(
        {
            "name": ['=HYPERLINK("http://x")', "+SUM(A1)", "-2+3", "@cmd", "\tTAB", "Wien", None],
            "value": [-1.5, 2.0, -3.0, 4.0, 5.0, 6.0, 7.0],
        }
    )
    out = neutralise_formulas(frame)
    assert out["name"].to_list() == [
        '\'=HYPERLINK("http://x")',
        "'+SUM(A1)",
        "'-2+3",
        "'@cmd",
        "'\tTAB",
        "Wien",
        None,
    ]
    assert out["value"].to_list() == frame["value"].to_list()  # numbers stay numbers, negatives included


def test_export_of_the_published_file_is_safe(tmp_path: Path) -> None:
    from tests.warehouse.test_publish import _frames
    from warehouse.metadata import GEOGRAPHIES
    from warehouse.publish import publish

    frames = _frames()
    frames[GEOGRAPHIES] = frames[GEOGRAPHIES].with_columns(pl.lit("=cmd|' /C calc'!A0").alias("name"))
    db = tmp_path / "w.duckdb"
    publish(db, frames, run_id="r", fingerprint="f")
    paths = export_published_csv(db, tmp_path / "exports")
    text = (tmp_path / "exports" / "geographies.csv").read_text()
    assert {p.name for p in paths} >= {"indicator_values.csv", "geographies.csv"}
    assert "'=cmd" in text and not re.search(r"(^|,)=cmd", text)


def test_dagster_ui_listens_on_localhost_unless_told_otherwise() -> None:
    makefile = (PROJECT_ROOT / "Makefile").read_text()
    assert re.search(r"^HOST \?= 127\.0\.0\.1$", makefile, re.M)
    assert "dg dev --host $(HOST)" in makefile
