"""CSV exports of the published tables, safe to open in a spreadsheet.

A text cell that starts with =, +, -, @, a tab or a carriage return is run as a formula by Excel, LibreOffice
and Google Sheets (CSV / formula injection). Such cells get a leading apostrophe, which spreadsheets show as
text; numbers are written as numbers (a negative number is data, not a formula). Files are UTF-8 with a
byte-order mark (what Excel needs to read UTF-8; other tools skip it).
"""

from __future__ import annotations

import os
from pathlib import Path

import polars as pl

from warehouse.db import connect
from warehouse.metadata import PUBLISHED_TABLES, quote_ident

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formulas(frame: pl.DataFrame) -> pl.DataFrame:
    """Prefix every text cell that a spreadsheet would evaluate with an apostrophe."""
    pattern = "^[" + "".join("\\" + p if p in "+-" else p for p in FORMULA_PREFIXES) + "]"
    return frame.with_columns(
        pl.when(pl.col(c).str.contains(pattern)).then(pl.lit("'") + pl.col(c)).otherwise(pl.col(c)).alias(c)
        for c, dtype in frame.schema.items()
        if dtype == pl.String
    )


def export_published_csv(db: Path, out_dir: Path) -> list[Path]:
    """Write every published table of the analysts' file ``db`` to ``out_dir/<table>.csv`` (atomically each)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    with connect(db, read_only=True) as con:
        for table in PUBLISHED_TABLES:
            frame = con.sql(f"SELECT * FROM {quote_ident(table.schema)}.{quote_ident(table.name)}").pl()
            target = out_dir / f"{table.name}.csv"
            tmp = target.with_suffix(".csv.tmp")
            # UTF-8 with a byte-order mark: Excel then reads accented names as written ("Köln", not "KÃ¶ln").
            neutralise_formulas(frame).write_csv(tmp, include_bom=True)
            os.replace(tmp, target)
            written.append(target)
    return written


if __name__ == "__main__":
    import sys

    from sources.config import PROJECT_ROOT, db_path

    paths = export_published_csv(db_path(), PROJECT_ROOT / "warehouse" / "exports")
    print("\n".join(str(p) for p in paths))
    sys.exit(0)
