"""Raw Eurostat cells -> tidy observations, the one shape every indicator is computed from."""

from __future__ import annotations

import polars as pl

# Columns every raw Eurostat table carries besides its own dimensions (see sources.eurostat).
CELL_COLUMNS = (
    "period",
    "value_raw",
    "value",
    "flags",
    "obs_status",
    "conf_status",
    "source_line",
    "source_index",
    "source_file",
    "sha256",
    "source_version",
    "loaded_at",
)
GEO_DIMENSIONS = ("geo", "cities")
# Dimensions that are not breakdowns: time and geography have their own columns, freq is implied by period.
NON_BREAKDOWN = {"freq", "unit", *GEO_DIMENSIONS}

OBSERVATION_SCHEMA = {
    "dataset": pl.String,
    "dimensions": pl.String,
    "unit": pl.String,
    "geo": pl.String,
    "period": pl.String,
    "value": pl.Float64,
    "obs_status": pl.String,
    "conf_status": pl.String,
    "flags": pl.String,
    "source_file": pl.String,
    "source_line": pl.Int32,
    "source_index": pl.Int64,
    "source_version": pl.String,
}


def dimension_columns(raw: pl.DataFrame) -> list[str]:
    return [c for c in raw.columns if c not in CELL_COLUMNS]


def tidy_observations(dataset: str, raw: pl.DataFrame) -> pl.DataFrame:
    """One row per cell: ``dimensions`` holds the breakdown as ``name=code`` pairs sorted by name and joined
    with ``|`` (e.g. ``age=TOTAL|sex=T``), so the same breakdown reads the same whatever the file's order."""
    dims = dimension_columns(raw)
    geo = next((d for d in GEO_DIMENSIONS if d in dims), None)
    if geo is None:
        raise ValueError(f"{dataset}: no geographic dimension among {dims}")
    breakdown = sorted(d for d in dims if d not in NON_BREAKDOWN)
    dimensions = (
        pl.concat_str([pl.lit(f"{d}=") + pl.col(d) for d in breakdown], separator="|") if breakdown else pl.lit("")
    )
    for optional, dtype in (("source_line", pl.Int32), ("source_index", pl.Int64)):
        if optional not in raw.columns:
            raw = raw.with_columns(pl.lit(None, dtype=dtype).alias(optional))
    return raw.select(
        pl.lit(dataset).alias("dataset"),
        dimensions.alias("dimensions"),
        (pl.col("unit") if "unit" in dims else pl.lit(None, dtype=pl.String)).alias("unit"),
        pl.col(geo).alias("geo"),
        "period",
        "value",
        "obs_status",
        "conf_status",
        "flags",
        "source_file",
        pl.col("source_line").cast(pl.Int32),
        pl.col("source_index").cast(pl.Int64),
        "source_version",
    ).cast(OBSERVATION_SCHEMA)


def dimension(name: str) -> pl.Expr:
    """The code of one breakdown dimension, read back from the ``dimensions`` column."""
    return pl.col("dimensions").str.extract(rf"(?:^|\|){name}=([^|]*)", 1)


def merge_flags(*columns: str) -> pl.Expr:
    """Union of the flag letters of several columns, sorted, each letter once; null when there are none.

    A derived figure carries every flag of its inputs: a rate is provisional when its population is.
    """
    joined = pl.concat_str([pl.col(c).fill_null("") for c in columns])
    letters = joined.str.split("").list.eval(pl.element().filter(pl.element() != "")).list.unique().list.sort()
    merged = letters.list.join("")
    return pl.when(merged.str.len_chars() > 0).then(merged).otherwise(None)
