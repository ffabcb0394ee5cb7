"""Survey indicators: shares agreeing from the Quality of Life in European Cities survey (cities) and EU-SILC
(countries), with Wilson intervals on the surveys' documented sample sizes; and the population context figure.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from transforms.crime import DROP_SCHEMA
from transforms.geographies import geo_level
from transforms.observations import breakdown_is, merge_flags
from warehouse.catalogue import CATALOGUE_BY_ID
from warehouse.catalogue.survey import QOL, SURVEY_SERIES, SurveySeries
from warehouse.metadata import DOMAIN_INDICATOR_VALUES, conform

SAMPLE_SIZES_CSV = Path(__file__).parent / "parameters" / "survey_sample_sizes.csv"
# Published shares are rounded to 0.1: a sum of two rounded shares may pass 100 by this much.
ROUNDING_SLACK = 0.15
# Every answer of a question must add up to 100 within this many points before a don't-know share or a share
# among opinions is derived (early waves are rounded to whole percent: five answers, up to 2.5 points off).
ANSWER_SUM_SLACK = 2.5


def load_sample_sizes(path: Path = SAMPLE_SIZES_CSV) -> pl.DataFrame:
    """The documented sample sizes (survey, wave, geo, sample_size, sample_kind, design_effect, source); '*'
    matches any wave or territory; design_effect is empty where the survey documents none."""
    return pl.read_csv(
        path,
        schema_overrides={"wave": pl.String, "geo": pl.String, "sample_size": pl.Int64, "design_effect": pl.Float64},
    )


def _sample_size_for(rows: pl.DataFrame, survey: str | None, sizes: pl.DataFrame) -> pl.DataFrame:
    """Attach ``sample_size``, ``design_effect`` and a short citation (``n_note``), the most specific match
    first: (wave, territory), then (wave, any), (any wave, territory), (any, any)."""
    found = ("sample_size", "design_effect", "n_note")
    out = rows.with_columns(
        pl.lit(None, pl.Int64).alias("sample_size"),
        pl.lit(None, pl.Float64).alias("design_effect"),
        pl.lit(None, pl.String).alias("n_note"),
    )
    if survey is None:
        return out
    sizes = sizes.filter(pl.col("survey") == survey).with_columns(
        pl.format(
            "n~{} {}; source: {}", "sample_size", "sample_kind", pl.col("source").str.split(":").list.first()
        ).alias("_n_note"),
        pl.col("sample_size").alias("_sample_size"),
        pl.col("design_effect").alias("_design_effect"),
        pl.col("wave").alias("period"),
    )
    for by_wave, by_geo in ((True, True), (True, False), (False, True), (False, False)):
        keys = [k for k, used in (("period", by_wave), ("geo", by_geo)) if used]
        lookup = sizes.filter((pl.col("period") != "*") == by_wave, (pl.col("geo") != "*") == by_geo).select(
            *keys, *(f"_{c}" for c in found)
        )
        if lookup.is_empty():
            continue
        out = out.join(lookup, on=keys, how="left") if keys else out.join(lookup.head(1), how="cross")
        # A more specific row wins as a whole: its design effect is not mixed with another row's sample size.
        matched = pl.col("sample_size").is_null() & pl.col("_sample_size").is_not_null()
        out = out.with_columns(
            pl.when(matched).then(pl.col(f"_{c}")).otherwise(pl.col(c)).alias(c) for c in found
        ).drop(*(f"_{c}" for c in found))
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


def _with_intervals(rows: pl.DataFrame) -> pl.DataFrame:
    """Wilson limits of the share and of the share among opinions, on the effective sample size (the
    documented sample divided by the design effect, where one is documented). Withheld, with a note, for
    values the source flags u (low reliability): the sample behind them is smaller than any size we could
    assume, so an interval on it would look precise where the source says it is not."""
    n_eff = pl.col("sample_size").cast(pl.Float64) / pl.col("design_effect").fill_null(1.0)
    unreliable = pl.col("obs_status").fill_null("").str.contains("u")
    rows = rows.with_columns(
        pl.when(unreliable).then(None).otherwise(n_eff).alias("_n"),
        (100.0 * pl.col("value") / pl.col("opinions")).clip(upper_bound=100.0).alias("opinion_share"),
    ).with_columns((pl.col("_n") * pl.col("opinions") / 100.0).alias("_n_opinions"))
    low, high = wilson_limits(rows["value"].to_numpy(), rows["_n"].to_numpy())
    op_low, op_high = wilson_limits(
        rows["opinion_share"].fill_null(float("nan")).to_numpy(), rows["_n_opinions"].to_numpy()
    )
    return rows.with_columns(
        pl.Series("ci_low", low).fill_nan(None),
        pl.Series("ci_high", high).fill_nan(None),
        pl.Series("opinion_ci_low", op_low).fill_nan(None),
        pl.Series("opinion_ci_high", op_high).fill_nan(None),
    ).with_columns(
        pl.when(pl.col("ci_low").is_null())
        .then(None)
        .when(pl.col("design_effect").is_not_null())
        .then(pl.lit("wilson_n_eff"))
        .otherwise(pl.lit("wilson_approx_n"))
        .alias("ci_method"),
        pl.when(unreliable & pl.col("sample_size").is_not_null())
        .then(pl.lit("interval withheld: the source flags the value u (low reliability)"))
        .otherwise(None)
        .alias("withheld_note"),
    )


def _qol_series(observations: pl.DataFrame, s: SurveySeries) -> pl.DataFrame:
    """The sum of the answer shares per city and wave; null when any answer share is missing. For agree/disagree
    items also the sum of every answer with an opinion (when each is there and together they do not pass 100)
    and the don't-know share (when it is there and all answers add up to 100 within rounding). A missing
    don't-know share is not read as 0: the share among opinions can still be computed without it.
    ``observations`` are the urb_percep cells with their answer ``code`` extracted (see survey_indicators)."""
    every_answer = [*s.opinion_codes, *([s.dont_know_code] if s.dont_know_code else [])]
    cells = observations.filter(pl.col("code").is_in([*s.answer_codes, *every_answer]))
    if s.waves is not None:
        cells = cells.filter(pl.col("period").is_in(list(s.waves)))
    is_answer = pl.col("code").is_in(list(s.answer_codes))
    is_opinion = pl.col("code").is_in(list(s.opinion_codes))
    is_any = pl.col("code").is_in(every_answer)
    keyed = cells.group_by("geo", "period").agg(
        pl.col("value").filter(is_answer).sum().alias("value"),
        pl.col("value").filter(is_answer).is_not_null().sum().alias("answers_present"),
        pl.col("value").filter(is_opinion).sum().alias("opinions"),
        pl.col("value").filter(is_opinion).is_not_null().sum().alias("opinions_present"),
        pl.col("value").filter(is_any).sum().alias("all_answers"),
        pl.col("value").filter(pl.col("code").eq_missing(s.dont_know_code)).first().alias("dont_know_share"),
        pl.col("source_version").first(),
        pl.col("obs_status").filter(is_answer).str.join("").alias("obs_status"),
        pl.col("conf_status").filter(is_answer).str.join("").alias("conf_status"),
    )
    complete = pl.col("answers_present") == len(s.answer_codes)
    has_opinions = (
        complete
        & (pl.lit(len(s.other_opinion_codes)) > 0)
        & (pl.col("opinions_present") == len(s.opinion_codes))
        & (pl.col("opinions") > 0)
        & (pl.col("opinions") <= 100.0 + ANSWER_SUM_SLACK)
    )
    has_dont_know = has_opinions & ((pl.col("all_answers") - 100.0).abs() <= ANSWER_SUM_SLACK)
    return keyed.with_columns(
        pl.when(complete).then(pl.col("value")).otherwise(None).alias("value"),
        pl.when(has_dont_know).then(pl.col("dont_know_share")).otherwise(None).alias("dont_know_share"),
        pl.when(has_opinions).then(pl.col("opinions")).otherwise(None).alias("opinions"),
        # A city absent from a wave has every answer missing; one with some answers missing is incomplete.
        pl.when(complete)
        .then(None)
        .when(pl.col("answers_present") == 0)
        .then(pl.lit("not_in_wave"))
        .otherwise(pl.lit("answer_share_missing"))
        .alias("missing_reason"),
        pl.lit(QOL).alias("dataset"),
    ).drop("all_answers", "answers_present", "opinions_present")


def _silc_series(observations: pl.DataFrame, s: SurveySeries) -> pl.DataFrame:
    return observations.filter(
        (pl.col("dataset") == s.dataset) & breakdown_is(s.dimension_codes or {}) & (pl.col("unit") == s.unit_code)
    ).select(
        "geo",
        "period",
        "value",
        pl.lit(None, dtype=pl.Float64).alias("opinions"),
        pl.lit(None, dtype=pl.Float64).alias("dont_know_share"),
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
    qol = observations.filter(pl.col("dataset") == QOL).with_columns(pl.col("indic_ur").alias("code"))
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
        kept = _with_intervals(_sample_size_for(kept, s.sample, sample_sizes))
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
                "ci_method",
                pl.lit(None, dtype=pl.Float64).alias("numerator"),
                pl.lit(None, dtype=pl.Float64).alias("denominator"),
                "obs_status",
                "conf_status",
                pl.lit(s.series_variant).alias("series_variant"),
                pl.lit(entry.comparability).alias("comparability"),
                pl.col("dataset").alias("source_dataset"),
                (pl.col("dataset") + "@" + pl.col("source_version")).alias("source_version"),
                pl.concat_str(
                    [pl.lit(f"question: {s.question}"), pl.col("n_note"), pl.col("withheld_note")],
                    separator="; ",
                    ignore_nulls=True,
                ).alias("note"),
                pl.col("sample_size").cast(pl.Float64),
                "design_effect",
                "dont_know_share",
                "opinion_share",
                "opinion_ci_low",
                "opinion_ci_high",
            )
        )
    dropped = (
        pl.concat(drops)
        .group_by("indicator_id", "source_dataset", "reason")
        .agg(pl.col("rows").sum())
        .cast(DROP_SCHEMA)
        .sort("indicator_id", "source_dataset", "reason")
    )
    return conform(DOMAIN_INDICATOR_VALUES, pl.concat(values)), dropped


def population_indicator(population: pl.DataFrame) -> pl.DataFrame:
    """CTX_POP: the population of every country and NUTS region we hold, as used for the rates."""
    entry = CATALOGUE_BY_ID["CTX_POP"]
    rows = population.with_columns(geo_level(pl.col("geo")).alias("geo_level")).filter(
        pl.col("geo_level").is_not_null() & (pl.col("geo_level") != "CITY") & (pl.col("population") >= 0)
    )
    return conform(
        DOMAIN_INDICATOR_VALUES,
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
