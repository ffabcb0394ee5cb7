"""`make export`: CSV files a spreadsheet opens with accented names intact."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from tests.warehouse.test_publish import _frames
from warehouse.export import export_published_csv
from warehouse.metadata import GEOGRAPHIES
from warehouse.publish import publish


def test_exports_start_with_a_utf8_bom_so_excel_reads_accents(tmp_path: Path) -> None:
    """Regression: without a byte-order mark Excel reads UTF-8 as Windows-1252 ('Köln' shows as 'KÃ¶ln')."""
    frames = _frames()
    frames[GEOGRAPHIES] = frames[GEOGRAPHIES].with_columns(pl.lit("Köln – Łódź, São Paulo").alias("name"))
    db = tmp_path / "w.duckdb"
    publish(db, frames, run_id="r", fingerprint="f")
    for path in export_published_csv(db, tmp_path / "exports"):
        data = path.read_bytes()
        assert data.startswith(b"\xef\xbb\xbf"), path.name  # exactly one BOM, then the header
        assert not data[3:].startswith(b"\xef\xbb\xbf"), path.name
    data = (tmp_path / "exports" / "geographies.csv").read_bytes()
    assert "Köln – Łódź, São Paulo".encode() in data
    back = pl.read_csv(tmp_path / "exports" / "geographies.csv", encoding="utf8-lossy")
    assert back.columns[0] == GEOGRAPHIES.column_names[0]  # the BOM is not glued to the first column name
    assert "Köln – Łódź, São Paulo" in back["name"].to_list()
