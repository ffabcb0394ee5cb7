"""Raw Eurostat cells -> tidy observations, the one shape every indicator is computed from."""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from sources.eurostat import EUROSTAT_DIMENSIONS

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
# Every breakdown dimension of the registry's datasets, each in its own column of staging.observations (null where
# a dataset does not have it): a transform selects ``pl.col("iccs")``, an analyst ``WHERE iccs = 'ICCS0101'``.
BREAKDOWN_DIMENSIONS = tuple(sorted({d for dims in EUROSTAT_DIMENSIONS.values() for d in dims} - NON_BREAKDOWN))

OBSERVATION_SCHEMA = {
    "dataset": pl.String,
    **{name: pl.String for name in BREAKDOWN_DIMENSIONS},
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
    """One row per cell, its breakdown codes in the :data:`BREAKDOWN_DIMENSIONS` columns (the dataset's own
    dimensions filled, the others null), whatever the order of the dimensions in the file."""
    dims = dimension_columns(raw)
    geo = next((d for d in GEO_DIMENSIONS if d in dims), None)
    if geo is None:
        raise ValueError(f"{dataset}: no geographic dimension among {dims}")
    unknown = sorted(d for d in dims if d not in NON_BREAKDOWN and d not in BREAKDOWN_DIMENSIONS)
    if unknown:
        raise ValueError(
            f"{dataset}: dimension(s) {unknown} are not breakdowns of any registry dataset "
            "(add the dataset to sources.eurostat.EUROSTAT_DIMENSIONS)"
        )
    for optional, dtype in (("source_line", pl.Int32), ("source_index", pl.Int64)):
        if optional not in raw.columns:
            raw = raw.with_columns(pl.lit(None, dtype=dtype).alias(optional))
    return raw.select(
        pl.lit(dataset).alias("dataset"),
        *[(pl.col(d) if d in dims else pl.lit(None, dtype=pl.String)).alias(d) for d in BREAKDOWN_DIMENSIONS],
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


def breakdown_is(codes: Mapping[str, str]) -> pl.Expr:
    """Cells of exactly this breakdown: each named dimension has its code and no other breakdown dimension is set
    (``{"age": "TOTAL", "sex": "T"}`` is the total of a table broken down by age and sex, nothing finer)."""
    unknown = sorted(set(codes) - set(BREAKDOWN_DIMENSIONS))
    if unknown:
        raise ValueError(f"not breakdown dimensions: {unknown} (known: {', '.join(BREAKDOWN_DIMENSIONS)})")
    return pl.all_horizontal(
        *[pl.col(d).eq_missing(codes[d]) if d in codes else pl.col(d).is_null() for d in BREAKDOWN_DIMENSIONS]
    )


def merge_flags(*columns: str) -> pl.Expr:
    """Union of the flag letters of several columns, sorted, each letter once; null when there are none.

    A derived figure carries every flag of its inputs: a rate is provisional when its population is.
    """
    joined = pl.concat_str([pl.col(c).fill_null("") for c in columns])
    letters = joined.str.split("").list.eval(pl.element().filter(pl.element() != "")).list.unique().list.sort()
    merged = letters.list.join("")
    return pl.when(merged.str.len_chars() > 0).then(merged).otherwise(None)
