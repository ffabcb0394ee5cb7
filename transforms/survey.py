"""Survey indicators: shares agreeing from the Quality of Life in European Cities survey (cities) and EU-SILC
(countries), with Wilson intervals on the surveys' documented sample sizes; and the population context figure.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from transforms.crime import DROP_SCHEMA
from transforms.geographies import geo_level
from transforms.observations import dimension, merge_flags
from warehouse.catalogue import CATALOGUE_BY_ID
from warehouse.catalogue.survey import QOL, SURVEY_SERIES, SurveySeries
from warehouse.metadata import INDICATOR_VALUES, conform

SAMPLE_SIZES_CSV = Path(__file__).parent / "parameters" / "survey_sample_sizes.csv"
# Published shares are rounded to 0.1: a sum of two rounded shares may pass 100 by this much.
ROUNDING_SLACK = 0.15


def load_sample_sizes(path: Path = SAMPLE_SIZES_CSV) -> pl.DataFrame:
    """The documented sample sizes (survey, wave, geo, sample_size, sample_kind, source); '*' matches any."""
    return pl.read_csv(path, schema_overrides={"wave": pl.String, "geo": pl.String, "sample_size": pl.Int64})


def _sample_size_for(rows: pl.DataFrame, survey: str | None, sizes: pl.DataFrame) -> pl.DataFrame:
    """Attach ``sample_size`` and a short citation (``n_note``), the most specific match first:
    (wave, territory), then (wave, any), (any wave, territory), (any, any)."""
    out = rows.with_columns(pl.lit(None, pl.Int64).alias("sample_size"), pl.lit(None, pl.String).alias("n_note"))
    if survey is None:
        return out
    sizes = sizes.filter(pl.col("survey") == survey).with_columns(
        pl.format(
            "n~{} {}; source: {}", "sample_size", "sample_kind", pl.col("source").str.split(":").list.first()
        ).alias("_note"),
        pl.col("sample_size").alias("_n"),
        pl.col("wave").alias("period"),
    )
    for by_wave, by_geo in ((True, True), (True, False), (False, True), (False, False)):
        keys = [k for k, used in (("period", by_wave), ("geo", by_geo)) if used]
        lookup = sizes.filter((pl.col("period") != "*") == by_wave, (pl.col("geo") != "*") == by_geo).select(
            *keys, "_n", "_note"
        )
        if lookup.is_empty():
            continue
        out = out.join(lookup, on=keys, how="left") if keys else out.join(lookup.head(1), how="cross")
        out = out.with_columns(
            pl.coalesce("sample_size", "_n").alias("sample_size"), pl.coalesce("n_note", "_note").alias("n_note")
        ).drop("_n", "_note")
    return out


def wilson_limits(share_pct: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """95 % Wilson score limits (statsmodels) for shares given in %, on sample sizes n; NaN where n is missing."""
    p = np.clip(np.asarray(share_pct, dtype=float) / 100.0, 0.0, 1.0)
    n = np.asarray(n, dtype=float)
    low = np.full_like(p, np.nan)
    high = np.full_like(p, np.nan)
    ok = np.isfinite(n) & (n > 0)
    if ok.any():
        from statsmodels.stats.proportion import proportion_confint  # imported when used (start-up time)

        lo, hi = proportion_confint(p[ok] * n[ok], n[ok], alpha=0.05, method="wilson")
        low[ok], high[ok] = lo * 100.0, hi * 100.0
    return low, high


def _qol_series(observations: pl.DataFrame, s: SurveySeries) -> pl.DataFrame:
    """The sum of the answer shares per city and wave; null when any answer share is missing.
    ``observations`` are the urb_percep cells with their answer ``code`` extracted (see survey_indicators)."""
    cells = observations.filter(pl.col("code").is_in(list(s.answer_codes)))
    keyed = cells.group_by("geo", "period").agg(
        pl.col("value").sum().alias("value"),
        pl.col("value").is_not_null().sum().alias("answers_present"),
        pl.col("source_version").first(),
        pl.col("obs_status").str.join("").alias("obs_status"),
        pl.col("conf_status").str.join("").alias("conf_status"),
    )
    complete = pl.col("answers_present") == len(s.answer_codes)
    return keyed.with_columns(
        pl.when(complete).then(pl.col("value")).otherwise(None).alias("value"),
        # A city absent from a wave has every answer missing; one with some answers missing is incomplete.
        pl.when(complete)
        .then(None)
        .when(pl.col("answers_present") == 0)
        .then(pl.lit("not_in_wave"))
        .otherwise(pl.lit("answer_share_missing"))
        .alias("missing_reason"),
        pl.lit(QOL).alias("dataset"),
    )


def _silc_series(observations: pl.DataFrame, s: SurveySeries) -> pl.DataFrame:
    return observations.filter(
        (pl.col("dataset") == s.dataset) & (pl.col("dimensions") == s.dimensions) & (pl.col("unit") == s.unit_code)
    ).select(
        "geo",
        "period",
        "value",
        "source_version",
        "obs_status",
        "conf_status",
        "dataset",
        pl.lit("missing_in_source").alias("missing_reason"),
    )


def survey_indicators(observations: pl.DataFrame, sample_sizes: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Every survey series of the catalogue as indicator values, with dropped cells counted by reason."""
    values, drops = [], []
    # Scan the big observation table once, not once per series.
    qol = observations.filter(pl.col("dataset") == QOL).with_columns(dimension("indic_ur").alias("code"))
    silc = observations.filter(pl.col("dataset").is_in([s.dataset for s in SURVEY_SERIES if s.dataset != QOL]))
    for s in SURVEY_SERIES:
        entry = CATALOGUE_BY_ID[s.indicator_id]
        rows = _qol_series(qol, s) if s.dataset == QOL else _silc_series(silc, s)
        rows = rows.with_columns(
            geo_level(pl.col("geo")).alias("geo_level"),
            merge_flags("obs_status").alias("obs_status"),
            merge_flags("conf_status").alias("conf_status"),
        )
        expected_level = "CITY" if s.dataset == QOL else "NUTS0"
        rows = rows.with_columns(
            pl.when(pl.col("value").is_null())
            .then(pl.col("missing_reason"))
            .when(pl.col("conf_status").is_not_null())
            .then(pl.lit("confidential"))
            .when(pl.col("geo_level").ne_missing(expected_level))
            .then(pl.lit("aggregate_or_other_territory"))
            .when((pl.col("value") < 0) | (pl.col("value") > 100 + ROUNDING_SLACK) & (s.unit_code != "RTG"))
            .then(pl.lit("share_out_of_range"))
            .otherwise(None)
            .alias("drop_reason")
        )
        drops.append(
            rows.filter(pl.col("drop_reason").is_not_null())
            .group_by(pl.col("drop_reason").alias("reason"))
            .agg(pl.len().cast(pl.Int64).alias("rows"))
            .select(
                pl.lit(s.indicator_id).alias("indicator_id"),
                pl.lit(s.dataset).alias("source_dataset"),
                "reason",
                "rows",
            )
        )
        kept = rows.filter(pl.col("drop_reason").is_null())
        if s.unit_code != "RTG":
            kept = kept.with_columns(pl.col("value").clip(upper_bound=100.0))  # rounding slack only
        kept = _sample_size_for(kept, s.sample, sample_sizes)
        low, high = wilson_limits(kept["value"].to_numpy(), kept["sample_size"].cast(pl.Float64).to_numpy())
        kept = kept.with_columns(pl.Series("ci_low", low).fill_nan(None), pl.Series("ci_high", high).fill_nan(None))
        values.append(
            kept.select(
                pl.lit(s.indicator_id).alias("indicator_id"),
                pl.lit(s.breakdown, dtype=pl.String).alias("breakdown"),
                pl.col("geo").alias("geo_code"),
                "geo_level",
                "period",
                "value",
                pl.lit(entry.unit).alias("unit"),
                "ci_low",
                "ci_high",
                pl.when(pl.col("ci_low").is_not_null())
                .then(pl.lit("wilson_approx_n"))
                .otherwise(None)
                .alias("ci_method"),
                pl.lit(None, dtype=pl.Float64).alias("numerator"),
                pl.col("sample_size").cast(pl.Float64).alias("denominator"),
                "obs_status",
                "conf_status",
                pl.lit(s.series_variant).alias("series_variant"),
                pl.lit(entry.comparability).alias("comparability"),
                pl.col("dataset").alias("source_dataset"),
                (pl.col("dataset") + "@" + pl.col("source_version")).alias("source_version"),
                pl.concat_str(
                    [pl.lit(f"question: {s.question}"), pl.col("n_note")], separator="; ", ignore_nulls=True
                ).alias("note"),
            )
        )
    dropped = (
        pl.concat(drops)
        .group_by("indicator_id", "source_dataset", "reason")
        .agg(pl.col("rows").sum())
        .cast(DROP_SCHEMA)
        .sort("indicator_id", "source_dataset", "reason")
    )
    return conform(INDICATOR_VALUES, pl.concat(values)), dropped


def population_indicator(population: pl.DataFrame) -> pl.DataFrame:
    """CTX_POP: the population of every country and NUTS region we hold, as used for the rates."""
    entry = CATALOGUE_BY_ID["CTX_POP"]
    rows = population.with_columns(geo_level(pl.col("geo")).alias("geo_level")).filter(
        pl.col("geo_level").is_not_null() & (pl.col("geo_level") != "CITY") & (pl.col("population") >= 0)
    )
    return conform(
        INDICATOR_VALUES,
        rows.select(
            pl.lit(entry.indicator_id).alias("indicator_id"),
            pl.lit(None, dtype=pl.String).alias("breakdown"),
            pl.col("geo").alias("geo_code"),
            "geo_level",
            "period",
            pl.col("population").alias("value"),
            pl.lit(entry.unit).alias("unit"),
            pl.lit(None, dtype=pl.Float64).alias("ci_low"),
            pl.lit(None, dtype=pl.Float64).alias("ci_high"),
            pl.lit(None, dtype=pl.String).alias("ci_method"),
            pl.col("population").alias("numerator"),
            pl.lit(None, dtype=pl.Float64).alias("denominator"),
            "obs_status",
            "conf_status",
            pl.lit("default").alias("series_variant"),
            pl.lit(entry.comparability).alias("comparability"),
            "source_dataset",
            (pl.col("source_dataset") + "@" + pl.col("source_version")).alias("source_version"),
            pl.lit(None, dtype=pl.String).alias("note"),
        ),
    )
