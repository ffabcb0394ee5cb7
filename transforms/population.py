"""Population on 1 January, one figure per territory and year: the denominator of every rate."""

from __future__ import annotations

import polars as pl

# Which dataset gives a territory's population, best first. Countries: the national series (newest
# dedicated release), then the regional table's NUTS 0 rows, then the old bulk table (oldest vintage).
# Regions: the regional table only. A territory-year gets its figure from the first source that has it,
# and the source is recorded, so a rate always says whose population it used.
POPULATION_SOURCES: tuple[tuple[str, str, str], ...] = (
    # (dataset, breakdown in `dimensions`, which territories)
    ("demo_pjan", "age=TOTAL|sex=T", "countries"),
    ("demo_r_pjanaggr3", "age=TOTAL|sex=T", "all"),
    ("tps00001", "indic_de=JAN", "countries"),
)

POPULATION_SCHEMA = {
    "geo": pl.String,
    "period": pl.String,
    "population": pl.Float64,
    "obs_status": pl.String,
    "conf_status": pl.String,
    "source_dataset": pl.String,
    "source_version": pl.String,
}


def is_country(geo: pl.Expr) -> pl.Expr:
    return geo.str.contains(r"^[A-Z]{2}$")


def population_denominators(observations: pl.DataFrame) -> pl.DataFrame:
    """Pick one population per (geo, period) following :data:`POPULATION_SOURCES`; missing values never count."""
    candidates = []
    for rank, (dataset, breakdown, scope) in enumerate(POPULATION_SOURCES):
        rows = observations.filter(
            (pl.col("dataset") == dataset)
            & (pl.col("dimensions") == breakdown)
            & ((pl.col("unit") == "NR") | pl.col("unit").is_null())
            & pl.col("value").is_not_null()
        )
        if scope == "countries":
            rows = rows.filter(is_country(pl.col("geo")))
        candidates.append(rows.with_columns(pl.lit(rank).alias("_rank")))
    if not candidates:
        return pl.DataFrame(schema=POPULATION_SCHEMA)
    return (
        pl.concat(candidates)
        .sort("_rank")
        .unique(["geo", "period"], keep="first", maintain_order=True)
        .select(
            "geo",
            "period",
            pl.col("value").alias("population"),
            "obs_status",
            "conf_status",
            pl.col("dataset").alias("source_dataset"),
            "source_version",
        )
        .sort("geo", "period")
        .cast(POPULATION_SCHEMA)
    )
