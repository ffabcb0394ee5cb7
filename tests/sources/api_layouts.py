"""The Eurostat dissemination API's own layouts, built from the bundled files through the project's own reader.

Live mode downloads what the API serves today, not the bundled bytes: every TSV in the API layout
(``freq,<dims>\\TIME_PERIOD``, periods ascending, cells ``<number> <flags>`` or ``: <flags>``), JSON-stat 2.0 with
sparse ``value``/``status`` objects. Two bundled files are in the discontinued bulk layout (no ``freq``, ``\\time``,
years descending), so serving the bundled bytes would never show what a first live run meets.
"""

from __future__ import annotations

import json

import polars as pl

from sources.config import BUNDLED_DATA_DIR
from sources.eurostat import EurostatTable, read_eurostat
from sources.registry import ALL_SOURCES

BY_NAME = {s.name: s for s in ALL_SOURCES}


def read_bundled(name: str) -> EurostatTable:
    return read_eurostat(BY_NAME[name].path(BUNDLED_DATA_DIR), name)


def api_tsv(table: EurostatTable) -> bytes:
    """``table`` re-serialised as the API's TSV: ``freq`` first (``A``: every bundled series is annual), the other
    dimensions in the file's order, periods ascending, each cell as written (``value_raw``)."""
    dims = [d for d in table.dimensions if d != "freq"]
    cells = table.cells.with_columns(pl.lit("A").alias("freq")) if "freq" not in table.dimensions else table.cells
    # value_raw is the cell as the reader saw it, stripped ("12 p", "17", ": c"); unflagged API cells end in a space.
    cell = pl.when(pl.col("flags").fill_null("") == "").then(pl.col("value_raw") + " ").otherwise(pl.col("value_raw"))
    cells = cells.with_columns(cell.alias("cell"))
    periods = sorted(cells["period"].unique())
    wide = cells.pivot(on="period", index=["freq", *dims], values="cell", aggregate_function=None)
    wide = wide.select("freq", *dims, *[pl.col(p).fill_null(": ") for p in periods])
    header = "\t".join([f"freq,{','.join(dims)}\\TIME_PERIOD", *(f"{p} " for p in periods)])
    keys = wide.select(pl.concat_str(["freq", *dims], separator=","))
    rows = [
        "\t".join([key, *values])
        for key, values in zip(keys.to_series(), wide.select(periods).iter_rows(), strict=True)
    ]
    return ("\n".join([header, *rows]) + "\n").encode()


def api_jsonstat(table: EurostatTable) -> bytes:
    """``table`` as JSON-stat 2.0 the way the API writes it: ``id``/``size``, category indexes, and ``value`` and
    ``status`` as objects keyed by the flat row-major index (only cells that exist)."""
    ids = [*table.dimensions, "time"]
    cells = table.cells.rename({"period": "time"})
    codes = {d: sorted(cells[d].unique()) for d in ids}
    index = {d: {c: i for i, c in enumerate(codes[d])} for d in ids}
    sizes = [len(codes[d]) for d in ids]
    flat = pl.lit(0, dtype=pl.Int64)
    for d, size in zip(ids, sizes, strict=True):
        flat = flat * size + pl.col(d).replace_strict(index[d], return_dtype=pl.Int64)
    rows = cells.select(flat.alias("i"), "value", "flags").sort("i")
    values = {str(i): v for i, v in rows.select("i", "value").iter_rows() if v is not None}
    status = {str(i): f for i, f in rows.select("i", "flags").iter_rows() if f}
    labels = table.labels
    doc = {
        "version": "2.0",
        "class": "dataset",
        "label": table.dataset,
        "source": "ESTAT",
        "updated": "2025-11-20T23:00:00+0100",
        "id": ids,
        "size": sizes,
        "dimension": {
            d: {
                "label": d,
                "category": {"index": index[d], "label": {c: labels.get(d, {}).get(c, c) for c in codes[d]}},
            }
            for d in ids
        },
        "value": values,
        "status": status,
        "extension": {"id": table.dataset.upper(), "datastructure": {"id": table.dataset.upper(), "version": "1.0"}},
    }
    return json.dumps(doc).encode()


def api_body(name: str) -> tuple[bytes, str]:
    """(body, content type) of registry source ``name`` in the API's layout; sources that are not Eurostat tables
    (the ESIF CSV, code lists) are served as bundled."""
    source = BY_NAME[name]
    if source.reader != "eurostat":
        ctype = "text/csv; charset=utf-8" if source.reader == "esif_planned" else "text/tab-separated-values"
        return source.path(BUNDLED_DATA_DIR).read_bytes(), ctype
    table = read_bundled(name)
    if table.serialisation == "jsonstat":
        return api_jsonstat(table), "application/json"
    return api_tsv(table), "text/tab-separated-values; charset=UTF-8"
