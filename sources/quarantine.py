"""The quarantine: row-level problems found while reading, kept instead of raised.

A *row-level* problem spoils one cell, one line or one record, and the rest of the file is still right: an
unparseable value, an unknown flag, a repeated series key, an unknown code, a negative count, an invalid amount.
The readers take such cells out of what they return and put one row here for each problem, so that

* nothing is lost: every quarantine row names the file, the 1-based line and the column (by header name, or
  ``value[<i>]`` / ``status[<i>]`` for JSON-stat) and keeps the text as written (``value_raw``);
* nothing is silent: the rows are counted per reason (:func:`count_by_reason`).

*Structural* problems (header, dimensions, field counts, encoding, truncation) are not quarantined: they make every
line suspect, so the readers raise :class:`sources.errors.SourceFormatError` instead.

Which part of a line a row stands for:

* a cell problem (``unparseable_value``, ``unknown_flag``, ``negative_count``, ``invalid_amount``): one row per
  cell, ``column`` the cell's column, ``value_raw`` the cell's text (surrounding blanks stripped);
* a key problem (``duplicate_key``, ``unknown_code``): one row per line (per code for JSON-stat), ``value_raw`` the
  key or the code; every cell of that line is left out of the data.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import polars as pl

UNPARSEABLE_VALUE = "unparseable_value"
UNKNOWN_FLAG = "unknown_flag"
DUPLICATE_KEY = "duplicate_key"
UNKNOWN_CODE = "unknown_code"
NEGATIVE_COUNT = "negative_count"
INVALID_AMOUNT = "invalid_amount"
# Incident files (police.uk): a row dated in another month than its file; a required cell left empty.
WRONG_PERIOD = "wrong_period"
MISSING_VALUE = "missing_value"
REASONS: tuple[str, ...] = (
    UNPARSEABLE_VALUE,
    UNKNOWN_FLAG,
    DUPLICATE_KEY,
    UNKNOWN_CODE,
    NEGATIVE_COUNT,
    INVALID_AMOUNT,
    WRONG_PERIOD,
    MISSING_VALUE,
)

QUARANTINE_SCHEMA: dict[str, pl.DataType] = {
    "source_file": pl.String(),
    "line": pl.Int64(),
    "column": pl.String(),
    "reason": pl.String(),
    "value_raw": pl.String(),
    "dataset": pl.String(),
}
QUARANTINE_COLUMNS: tuple[str, ...] = tuple(QUARANTINE_SCHEMA)


def empty_quarantine() -> pl.DataFrame:
    """A quarantine frame without rows."""
    return pl.DataFrame(schema=QUARANTINE_SCHEMA)


def quarantine_frame(
    rows: Iterable[Mapping[str, object] | tuple[object, ...]],
    *,
    source_file: str | None = None,
    dataset: str | None = None,
) -> pl.DataFrame:
    """A quarantine frame from rows: mappings with the schema's keys, or tuples in schema order.

    ``source_file`` and ``dataset``, when given, fill rows that lack them (so readers can pass
    ``{"line": .., "column": .., "reason": .., "value_raw": ..}`` only). Unknown reasons are refused.
    """
    out: list[tuple[object, ...]] = []
    for row in rows:
        if isinstance(row, Mapping):
            full = {"source_file": source_file, "dataset": dataset, **row}
            unknown = set(full) - set(QUARANTINE_COLUMNS)
            if unknown:
                raise ValueError(f"unknown quarantine field(s) {sorted(unknown)}")
            out.append(tuple(full.get(c) for c in QUARANTINE_COLUMNS))
        else:
            if len(row) != len(QUARANTINE_COLUMNS):
                raise ValueError(f"a quarantine row has {len(QUARANTINE_COLUMNS)} fields, got {len(row)}")
            out.append(tuple(row))
    frame = pl.DataFrame(out, schema=QUARANTINE_SCHEMA, orient="row")
    check_quarantine(frame)
    return frame


def check_quarantine(frame: pl.DataFrame) -> None:
    """Raise ``ValueError`` unless ``frame`` has exactly :data:`QUARANTINE_SCHEMA` and known reasons only."""
    if dict(frame.schema) != QUARANTINE_SCHEMA:
        raise ValueError(f"quarantine schema must be {QUARANTINE_SCHEMA}, got {dict(frame.schema)}")
    unknown = set(frame["reason"].unique().to_list()) - set(REASONS)
    if unknown:
        raise ValueError(f"unknown quarantine reason(s) {sorted(map(str, unknown))}; known: {REASONS}")
    for col in ("source_file", "line", "column", "reason", "dataset"):
        if frame[col].null_count():
            raise ValueError(f"quarantine column {col!r} must not be null")


def concat_quarantine(*frames: pl.DataFrame) -> pl.DataFrame:
    """All quarantine rows of several reads (or helper calls), in the order given."""
    for frame in frames:
        check_quarantine(frame)
    return pl.concat([empty_quarantine(), *frames], how="vertical")


def count_by_reason(frame: pl.DataFrame) -> dict[str, int]:
    """Quarantine rows per reason, only reasons that occur, in :data:`REASONS` order."""
    counts = dict(frame.group_by("reason").len().iter_rows())
    return {r: counts[r] for r in REASONS if r in counts}


# ---------------------------------------------------------------------------------------------------------------------
# Helpers for the pipeline: checks that need more than the file itself (units, code lists)
# ---------------------------------------------------------------------------------------------------------------------


def _source_file_expr(cells: pl.DataFrame, source_file: str | None) -> pl.Expr:
    if source_file is not None:
        return pl.lit(source_file, dtype=pl.String)
    if "source_file" in cells.columns:
        return pl.col("source_file").cast(pl.String)
    raise ValueError("pass source_file, or give the cells a 'source_file' column")


def _is_jsonstat(cells: pl.DataFrame) -> bool:
    if "source_line" in cells.columns:
        return False
    if "source_index" in cells.columns:
        return True
    raise ValueError("cells need 'source_line' (TSV) or 'source_index' (JSON-stat) to locate a problem")


def quarantine_negative_counts(
    cells: pl.DataFrame,
    dataset: str,
    unit_column: str | None = "unit",
    count_units: Iterable[str] = frozenset({"NR"}),
    source_file: str | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split Eurostat cells into (kept, quarantined) where a count (``unit`` in ``count_units``) is negative.

    ``cells`` is :attr:`sources.eurostat.EurostatTable.cells` (or the raw frame built from it). With
    ``unit_column=None`` every cell is a count (tps00001 has no unit dimension). ``source_file`` defaults to the
    cells' ``source_file`` column. One quarantine row per negative cell: line and column of the cell in the file
    (``value[<i>]`` on line 1 for JSON-stat), ``value_raw`` as read. Missing cells (null) are never negative.
    """
    if unit_column is not None and unit_column not in cells.columns:
        raise ValueError(f"no column {unit_column!r} in the cells (columns: {cells.columns})")
    is_count = pl.col(unit_column).is_in(list(count_units)) if unit_column is not None else pl.lit(True)
    bad = (is_count & (pl.col("value") < 0)).fill_null(False)
    jsonstat = _is_jsonstat(cells)
    line = pl.lit(1, dtype=pl.Int64) if jsonstat else pl.col("source_line").cast(pl.Int64)
    column = pl.format("value[{}]", pl.col("source_index")) if jsonstat else pl.col("period").cast(pl.String)
    quarantined = cells.filter(bad).select(
        _source_file_expr(cells, source_file).alias("source_file"),
        line.alias("line"),
        column.alias("column"),
        pl.lit(NEGATIVE_COUNT).alias("reason"),
        pl.col("value_raw").cast(pl.String),
        pl.lit(dataset, dtype=pl.String).alias("dataset"),
    )
    return cells.filter(~bad), quarantined


def quarantine_unknown_codes(
    cells: pl.DataFrame,
    column: str,
    known: Iterable[str],
    dataset: str,
    source_file: str | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split Eurostat cells into (kept, quarantined) where ``cells[column]`` is not in ``known``.

    Meant for geographic codes, checked against the GEO and CITIES code lists
    (:func:`sources.codelists.known_codes`). Do not use it for ICCS codes: iccs.dic predates codes Eurostat now
    publishes (ICCS1001 …), which are legitimate.

    The code is part of the series key, so every cell of the series is left out, and the quarantine has one row
    per line (TSV: ``line`` = the data line, ``column`` = the dimension name) or per code (JSON-stat: line 1,
    ``column`` = ``dimension.<name>``), ``value_raw`` = the code. Cells left out: ``cells.height - kept.height``.
    """
    if column not in cells.columns:
        raise ValueError(f"no column {column!r} in the cells (columns: {cells.columns})")
    known_list = sorted(set(known))
    bad = ~pl.col(column).is_in(known_list).fill_null(False)
    jsonstat = _is_jsonstat(cells)
    line = pl.lit(1, dtype=pl.Int64) if jsonstat else pl.col("source_line").cast(pl.Int64)
    where = f"dimension.{column}" if jsonstat else column
    quarantined = (
        cells.filter(bad)
        .select(
            _source_file_expr(cells, source_file).alias("source_file"),
            line.alias("line"),
            pl.lit(where, dtype=pl.String).alias("column"),
            pl.lit(UNKNOWN_CODE).alias("reason"),
            pl.col(column).cast(pl.String).alias("value_raw"),
            pl.lit(dataset, dtype=pl.String).alias("dataset"),
        )
        .unique(maintain_order=True)
        .sort("source_file", "line", "value_raw", maintain_order=True)
    )
    return cells.filter(~bad), quarantined
