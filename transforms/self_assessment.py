"""Action 1 self-assessment: for every territory and each of the six dimensions, how much current data there is
(coverage), how fine and regular it is (data maturity 0-4) and how the territory compares with its peers
(position). Three transparent scores, never one index. The rules, in plain words, are in the README ("How to read
the self-assessment"); each function below says why it does what it does.

A city is judged on its own values and, where the city *is* its NUTS 3 region (``territory_match =
'same_territory'`` in published.geographies), on the region's values too: they describe the same people.
Values from the bundled example registers never enter. The Partnership's Action 1 report names the six dimensions
but publishes no scoring scale: the scales below are this project's, stated in full.
"""

from __future__ import annotations

import re
import statistics

import polars as pl

from warehouse.catalogue import CATALOGUE, Indicator
from warehouse.catalogue.survey import SURVEY_SERIES
from warehouse.metadata import SELF_ASSESSMENT, SELF_ASSESSMENT_POSITIONS, conform

DIMENSIONS = {
    "D1": "Quality of life",
    "D2": "Social cohesion",
    "D3": "Public space liveability",
    "D4": "Sense of safety in public spaces",
    "D5": "Urban security",
    "D6": "Background conditions",
}
MATURITY_LABELS = {
    0: "no current data",
    1: "current data only for the whole country",
    2: "current data only for a larger region containing it",
    3: "current data for this territory, not trend-capable",
    4: "current annual rates for this territory, trend-capable",
}
SUBNATIONAL_LEVELS = ("NUTS1", "NUTS2", "NUTS3", "CITY")
TREND_YEARS = 3  # consecutive annual values (one series, no break, the last one current) for maturity 4
MIN_PEERS = 3  # peers besides the territory itself before a comparison is made
MIN_EVENTS = 20  # a rate on fewer events is not compared: one or two events would decide its place
# Units that are sizes or counts, not levels: comparing them would compare how big places are.
SIZE_UNITS = {"offences", "persons", "EUR (planned)"}
RANKABLE_COMPARABILITY = {"cross_country", "within_country"}
# Flags that make a value unfit to compare (its level is in doubt, not only uncertain).
UNFIT_FLAGS = ("implausible_jump", "sources_disagree", "low_reliability")
# Survey series that are the other half of a question already compared (agree vs disagree of one item).
COMPLEMENTARY_SERIES = {(s.indicator_id, s.series_variant) for s in SURVEY_SERIES if s.complement_of}

_COMPARISON = ["indicator_id", "breakdown", "series_variant", "geo_level", "period"]


def indicator_dimensions(indicator: Indicator) -> list[str]:
    """The Action 1 dimensions an indicator belongs to, read from its catalogue ``dimension`` ('A1-D4 …')."""
    return sorted(set(re.findall(r"A1-(D[1-6])", indicator.dimension)))


def dimension_map(catalogue: tuple[Indicator, ...] = CATALOGUE) -> pl.DataFrame:
    rows = [(i.indicator_id, d) for i in catalogue for d in indicator_dimensions(i)]
    return pl.DataFrame(rows, schema={"indicator_id": pl.String, "dimension_code": pl.String}, orient="row")


def rankable(indicator: Indicator) -> bool:
    """Levels that say better or worse and may be compared between places of one country. (Each row's own
    comparability is checked too: an offence category marked trend_within_country is never compared.)"""
    first_word = re.split(r"[\s(]", indicator.comparability.strip(), maxsplit=1)[0]
    return (
        indicator.direction in {"+", "-"} and indicator.unit not in SIZE_UNITS and first_word in RANKABLE_COMPARABILITY
    )


def _end_year(period: pl.Expr) -> pl.Expr:
    """2019 -> 2019, 2019-05 -> 2019, 2014/2020 -> 2020."""
    return pl.when(period.str.contains("/")).then(period.str.slice(-4)).otherwise(period.str.slice(0, 4)).cast(pl.Int32)


def with_currency(values: pl.DataFrame) -> pl.DataFrame:
    """``values`` with ``source`` (the numerator's dataset), ``end_year`` and ``current``.

    A value is current when it is in its source's latest release period, or within that source's own cycle:
    one year for annual tables (a territory may lag its table's newest year by one release), the latest wave
    for surveys held every few years. The cycle is read from the source's own periods."""
    values = values.with_columns(
        pl.col("source_dataset").str.split(" / ").list.first().alias("source"),
        _end_year(pl.col("period")).alias("end_year"),
    )
    years = values.select("source", "end_year").unique().sort("source", "end_year")
    cycles = years.group_by("source").agg(
        pl.col("end_year").max().alias("latest_year"),
        pl.col("end_year").diff().min().fill_null(0).alias("_step"),
    )
    return (
        values.join(cycles, on="source", how="left")
        .with_columns(
            (pl.col("end_year") >= pl.col("latest_year") - pl.when(pl.col("_step") == 1).then(1).otherwise(0)).alias(
                "current"
            )
        )
        .drop("_step")
    )


def own_values(values: pl.DataFrame, geographies: pl.DataFrame) -> pl.DataFrame:
    """Each territory's own values (example registers left out), and, under the city's code, the values of the
    NUTS 3 region that is the same territory as the city (``via_region`` says which rows these are)."""
    real = values.filter(~pl.col("example_data"))
    twins = geographies.filter(pl.col("territory_match") == "same_territory").select(
        pl.col("geo_code").alias("city"), pl.col("nuts3_code").alias("geo_code")
    )
    from_region = (
        real.join(twins, on="geo_code")
        .with_columns(pl.col("geo_code").alias("via_region"))
        .with_columns(pl.col("city").alias("geo_code"), pl.lit("CITY").alias("geo_level"))
        .drop("city")
    )
    own = real.with_columns(pl.lit(None, dtype=pl.String).alias("via_region"))
    return pl.concat([own, from_region.select(own.columns)])


def self_assessment(values: pl.DataFrame, geographies: pl.DataFrame, positions: pl.DataFrame) -> pl.DataFrame:
    """One row per territory (countries, NUTS regions, cities) and Action 1 dimension; ``positions`` is the
    output of :func:`self_assessment_positions` on the same values."""
    dims = dimension_map()
    in_dimension = dims.group_by("dimension_code").agg(pl.len().cast(pl.Int32).alias("indicators_in_dimension"))
    values = with_currency(values)
    geos = geographies.filter(pl.col("geo_level").is_in(["NUTS0", *SUBNATIONAL_LEVELS])).select(
        "geo_code", "geo_level", "country_code", "parent_code", "nuts3_code", "territory_match"
    )
    grid = (
        geos.select("geo_code", "geo_level")
        .join(pl.DataFrame({"dimension_code": list(DIMENSIONS)}), how="cross")
        .join(in_dimension, on="dimension_code", how="left")
        .with_columns(pl.col("indicators_in_dimension").fill_null(0))
    )
    own = own_values(values, geographies).join(dims, on="indicator_id", how="inner")

    out = (
        grid.join(_coverage(own, dims), on=["geo_code", "dimension_code"], how="left")
        .with_columns(pl.col("indicators_with_recent_value").fill_null(0))
        .with_columns(
            pl.when(pl.col("indicators_in_dimension") > 0)
            .then(100.0 * pl.col("indicators_with_recent_value") / pl.col("indicators_in_dimension"))
            .otherwise(None)
            .alias("coverage")
        )
        .join(_maturity(own, values.join(dims, on="indicator_id"), geos), on=["geo_code", "dimension_code"], how="left")
        .with_columns(
            pl.col("maturity").fill_null(0),
            pl.col("maturity_basis").fill_null("no current value for this territory, its regions or its country"),
        )
        .join(_position_summary(positions, geos), on=["geo_code", "dimension_code"], how="left")
    )
    return (
        out.with_columns(
            pl.col("dimension_code").replace_strict(DIMENSIONS).alias("dimension"),
            pl.lit(int(values["end_year"].max()), dtype=pl.Int32).alias("reference_year"),
            pl.col("maturity").replace_strict(MATURITY_LABELS).alias("maturity_label"),
            *(pl.col(c).fill_null(0) for c in _COUNT_COLUMNS),
            pl.col("latest_years").fill_null(_no_value_text(dims)),
        )
        .pipe(lambda frame: conform(SELF_ASSESSMENT, frame.select(SELF_ASSESSMENT.column_names)))
        .sort("geo_code", "dimension_code")
    )


def _coverage(own: pl.DataFrame, dims: pl.DataFrame) -> pl.DataFrame:
    """Per territory and dimension: how many of the dimension's indicators are current for the territory, and
    the latest year behind each of them ('none' where it has no value at all)."""
    latest = own.group_by("geo_code", "dimension_code", "indicator_id").agg(
        pl.col("end_year").max().alias("year"), pl.col("current").any().alias("current")
    )
    listed = (
        own.select("geo_code", "dimension_code")
        .unique()
        .join(dims, on="dimension_code")
        .join(latest, on=["geo_code", "dimension_code", "indicator_id"], how="left")
        .sort("indicator_id")
    )
    return listed.group_by("geo_code", "dimension_code").agg(
        pl.col("current").fill_null(False).sum().cast(pl.Int32).alias("indicators_with_recent_value"),
        pl.format(
            "{} {}",
            "indicator_id",
            pl.when(pl.col("year").is_null())
            .then(pl.lit("none"))
            .otherwise(
                pl.col("year").cast(pl.String)
                + pl.when(pl.col("current")).then(pl.lit("")).otherwise(pl.lit(" (not current)"))
            ),
        )
        .str.join("; ")
        .alias("latest_years"),
    )


def _no_value_text(dims: pl.DataFrame) -> pl.Expr:
    texts = {
        d: "; ".join(f"{i} none" for i in sorted(frame["indicator_id"]))
        for (d,), frame in dims.partition_by("dimension_code", as_dict=True).items()
    }
    return pl.col("dimension_code").replace_strict(texts, default="none")


def _trend_capable(own: pl.DataFrame) -> pl.DataFrame:
    """(geo_code, dimension_code, indicator_id, first, last) for every annual rate series of TREND_YEARS or more
    consecutive years without a break flag whose last year is current. Counts and sizes do not qualify: a
    count says nothing about a level without its population."""
    annual = own.filter(pl.col("period").str.contains(r"^\d{4}$") & ~pl.col("unit").is_in(list(SIZE_UNITS)))
    keys = ["geo_code", "dimension_code", "indicator_id", "breakdown", "series_variant"]
    runs = (
        annual.select(*keys, "end_year", "obs_status", "current")
        .unique([*keys, "end_year"])
        .sort([*keys, "end_year"])
        .with_columns(
            # A new run starts after a gap year or at a value flagged b (break in series).
            (
                (pl.col("end_year").diff().over(keys) != 1).fill_null(True)
                | pl.col("obs_status").fill_null("").str.contains("b")
            )
            .cum_sum()
            .over(keys)
            .alias("run")
        )
    )
    long_runs = runs.group_by([*keys, "run"]).agg(
        pl.len().alias("years"),
        pl.col("end_year").min().alias("first"),
        pl.col("end_year").max().alias("last"),
        pl.col("current").sort_by("end_year").last().alias("current"),
    )
    return long_runs.filter((pl.col("years") >= TREND_YEARS) & pl.col("current")).select(
        "geo_code", "dimension_code", "indicator_id", "first", "last"
    )


def _maturity(own: pl.DataFrame, tagged: pl.DataFrame, geos: pl.DataFrame) -> pl.DataFrame:
    """Best level of current data for each territory and dimension, on one scale for every kind of territory:
    4 annual rates of the territory itself, trend-capable; 3 current data of the territory itself; 2 current
    data only of a larger region containing it (for a city its NUTS 3 region and that region's parents, for a
    region its parents); 1 current data only for the whole country; 0 none. A country is judged on its national
    data (its regions and cities have rows of their own), so its scale ends at 3-4 or 0."""
    current_own = own.filter(pl.col("current"))
    evidence = [
        _trend_capable(own).select(
            "geo_code",
            "dimension_code",
            pl.lit(4).alias("maturity"),
            pl.col("last").alias("year"),
            pl.format("{} {}-{}", "indicator_id", "first", "last").alias("basis"),
        ),
        current_own.select(
            "geo_code",
            "dimension_code",
            pl.lit(3).alias("maturity"),
            pl.col("end_year").alias("year"),
            pl.format("{} {}", "indicator_id", "end_year").alias("basis"),
        ),
    ]
    # Level 2: containing regions. A city's chain starts at its NUTS 3 region (unless that region *is* the
    # city, whose values are then its own); a region's at its parent; NUTS 0 never counts here.
    current_regional = (
        tagged.filter(
            pl.col("current") & pl.col("geo_level").is_in(["NUTS1", "NUTS2", "NUTS3"]) & ~pl.col("example_data")
        )
        .select(pl.col("geo_code").alias("region"), "dimension_code", "indicator_id", "end_year")
        .unique()
    )
    start = (
        pl.when(pl.col("geo_level") == "CITY")
        .then(
            pl.when(pl.col("territory_match") == "same_territory")
            .then(pl.col("nuts3_code").str.slice(0, 4))
            .otherwise(pl.col("nuts3_code"))
        )
        .otherwise(pl.col("parent_code"))
    )
    chains = geos.select("geo_code", start.alias("region"))
    containing = pl.concat(
        [
            chains.filter(pl.col("region").str.len_chars() >= length).select(
                "geo_code", pl.col("region").str.slice(0, length).alias("region")
            )
            for length in (3, 4, 5)
        ]
    ).unique()
    evidence.append(
        containing.join(current_regional, on="region").select(
            "geo_code",
            "dimension_code",
            pl.lit(2).alias("maturity"),
            pl.col("end_year").alias("year"),
            pl.format("{} {} ({})", "indicator_id", "end_year", "region").alias("basis"),
        )
    )
    # Level 1: the territory's country, for every territory below it.
    national = (
        tagged.filter(pl.col("current") & (pl.col("geo_level") == "NUTS0") & ~pl.col("example_data"))
        .select(pl.col("geo_code").alias("country_code"), "dimension_code", "indicator_id", "end_year")
        .unique()
    )
    evidence.append(
        geos.filter(pl.col("geo_level") != "NUTS0")
        .join(national, on="country_code")
        .select(
            "geo_code",
            "dimension_code",
            pl.lit(1).alias("maturity"),
            pl.col("end_year").alias("year"),
            pl.format("{} {} ({})", "indicator_id", "end_year", "country_code").alias("basis"),
        )
    )
    best = (
        # The best level; within it the most recent evidence, then the first indicator by name (deterministic).
        pl.concat([e.cast({"maturity": pl.Int32, "year": pl.Int32}) for e in evidence])
        .sort("maturity", "year", "basis", descending=[True, True, False])
        .group_by("geo_code", "dimension_code", maintain_order=True)
        .agg(pl.col("maturity").first(), pl.col("basis").first())
    )
    return best.join(geos.select("geo_code"), on="geo_code").select(
        "geo_code",
        "dimension_code",
        "maturity",
        pl.format("level {}: {}", "maturity", "basis").alias("maturity_basis"),
    )


# ---------------------------------------------------------------------------------------------------- positions


def self_assessment_positions(values: pl.DataFrame, geographies: pl.DataFrame) -> pl.DataFrame:
    """How each city and region compares with its peers on each comparable indicator of a dimension, in the
    way Fingertips compares areas with a benchmark: better, similar or worse than the peers' median, decided
    by the territory's 95 % interval (similar when the interval contains the median).

    What is compared, and why:
    - only the latest series variant of an indicator (the current wording) and, within it, the latest period
      the peer group has, and only when that period is current: an old wave is history, not a position;
    - one item per question: the complementary half of a question (disagree next to agree) is left out;
    - survey items on the share among respondents with an opinion, since don't-know shares differ widely;
    - never counts or sizes, never a rate on fewer than MIN_EVENTS events, never a value flagged as unfit
      (implausible jump, sources that disagree, low reliability), never a value without an interval;
    - peers are territories of the same level in the same country (recorded crime is never compared across
      countries), narrowed to the same size class where at least MIN_PEERS such peers qualify;
    - no band when fewer than MIN_PEERS peers qualify: the row says why.
    Countries get no position: they have no peers of their own country.
    """
    entries = {i.indicator_id: i for i in CATALOGUE if rankable(i)}
    dims = dimension_map().filter(pl.col("indicator_id").is_in(list(entries)))
    geos = geographies.select("geo_code", "country_code", "size_class")
    candidates = (
        own_values(with_currency(values), geographies)
        .filter(
            pl.col("geo_level").is_in(list(SUBNATIONAL_LEVELS)),
            pl.col("indicator_id").is_in(list(entries)),
            pl.col("comparability").is_in(list(RANKABLE_COMPARABILITY)),
            ~(pl.col("indicator_id") + "|" + pl.col("series_variant")).is_in(
                [f"{i}|{v}" for i, v in COMPLEMENTARY_SERIES]
            ),
        )
        .join(geos, on="geo_code", how="left")
    )
    # The latest variant of each indicator (per breakdown and level), then the latest period of each peer group.
    variant_latest = pl.col("end_year").max().over("indicator_id", "breakdown", "geo_level", "series_variant")
    candidates = candidates.filter(
        variant_latest == pl.col("end_year").max().over("indicator_id", "breakdown", "geo_level")
    ).filter(
        pl.col("period")
        == pl.col("period").max().over("indicator_id", "breakdown", "series_variant", "geo_level", "country_code")
    )
    on_opinions = pl.col("opinion_share").is_not_null()
    candidates = candidates.with_columns(
        pl.when(on_opinions).then(pl.lit("opinion_share")).otherwise(pl.lit("value")).alias("compared_on"),
        pl.when(on_opinions).then(pl.col("opinion_share")).otherwise(pl.col("value")).alias("compared_value"),
        pl.when(on_opinions).then(pl.col("opinion_ci_low")).otherwise(pl.col("ci_low")).alias("compared_ci_low"),
        pl.when(on_opinions).then(pl.col("opinion_ci_high")).otherwise(pl.col("ci_high")).alias("compared_ci_high"),
    ).with_columns(_unfit_reason().alias("unfit"))
    group_keys = [*_COMPARISON, "country_code"]
    pools = {
        key: list(frame.select("geo_code", "compared_value", "size_class").iter_rows())
        for key, frame in candidates.filter(pl.col("unfit").is_null()).partition_by(group_keys, as_dict=True).items()
    }
    records = []
    for key, group in candidates.partition_by(group_keys, as_dict=True).items():
        sign = 1.0 if entries[key[0]].direction == "+" else -1.0
        records += [_compare(row, pools.get(key, []), sign) for row in group.iter_rows(named=True)]
    frame = pl.DataFrame(records, schema=_POSITION_SCHEMA, orient="row")
    return conform(SELF_ASSESSMENT_POSITIONS, frame.join(dims, on="indicator_id")).sort(
        "geo_code", "dimension_code", "indicator_id", "breakdown", nulls_last=True
    )


def _unfit_reason() -> pl.Expr:
    flags = pl.col("quality_flags").fill_null("")
    counted = pl.col("ci_method") == "poisson_exact"
    reason = pl.when(~pl.col("current")).then(pl.lit("no current value"))
    for flag in UNFIT_FLAGS:
        reason = reason.when(flags.str.contains(flag)).then(pl.lit(f"flagged {flag}"))
    return (
        reason.when(counted & (pl.col("numerator") < MIN_EVENTS))
        .then(pl.lit(f"fewer than {MIN_EVENTS} events"))
        .when(pl.col("compared_ci_low").is_null() | pl.col("compared_ci_high").is_null())
        .then(pl.lit("no interval"))
        .otherwise(None)
    )


_POSITION_SCHEMA = {
    "geo_code": pl.String,
    "geo_level": pl.String,
    "indicator_id": pl.String,
    "breakdown": pl.String,
    "series_variant": pl.String,
    "period": pl.String,
    "compared_on": pl.String,
    "value": pl.Float64,
    "ci_low": pl.Float64,
    "ci_high": pl.Float64,
    "via_region": pl.String,
    "peer_group": pl.String,
    "peers": pl.Int32,
    "peer_median": pl.Float64,
    "peer_min": pl.Float64,
    "peer_max": pl.Float64,
    "band": pl.String,
    "percentile": pl.Float64,
    "reason": pl.String,
}


def _compare(row: dict, pool: list[tuple[str, float, str | None]], sign: float) -> tuple:
    """One territory against its peers (``pool``: the group's comparable territories as (geo, value, size
    class)): the band, the percentile and the peers' median and range, or the reason why there is none."""
    level_name = "cities" if row["geo_level"] == "CITY" else f"{row['geo_level']} regions"
    group_name = f"{level_name} of {row['country_code']}"
    others = [p for p in pool if p[0] != row["geo_code"]]
    same_size = [p for p in others if row["size_class"] is not None and p[2] == row["size_class"]]
    if len(same_size) >= MIN_PEERS:
        others, group_name = same_size, f"{group_name}, size class {row['size_class']}"
    peer_values = [p[1] for p in others]
    median = statistics.median(peer_values) if peer_values else None
    base = (
        row["geo_code"],
        row["geo_level"],
        row["indicator_id"],
        row["breakdown"],
        row["series_variant"],
        row["period"],
        row["compared_on"],
        row["compared_value"],
        row["compared_ci_low"],
        row["compared_ci_high"],
        row["via_region"],
        group_name,
        len(others),
        median,
        min(peer_values, default=None),
        max(peer_values, default=None),
    )
    if row["unfit"] is not None:
        return (*base, None, None, f"not compared: {row['unfit']}")
    if len(others) < MIN_PEERS:
        return (*base, None, None, f"fewer than {MIN_PEERS} comparable peers ({len(others)})")
    if row["compared_ci_low"] > median:
        band = "better" if sign > 0 else "worse"
    elif row["compared_ci_high"] < median:
        band = "worse" if sign > 0 else "better"
    else:
        band = "similar"
    from scipy.stats import percentileofscore  # imported when used: scipy.stats costs ~0.5 s at start-up

    scores = [sign * v for v in [*peer_values, row["compared_value"]]]
    percentile = float(percentileofscore(scores, sign * row["compared_value"], kind="mean"))
    return (*base, band, percentile, None)


_COUNT_COLUMNS = ("position_indicators", "indicators_better", "indicators_similar", "indicators_worse")


def _position_summary(positions: pl.DataFrame, geos: pl.DataFrame) -> pl.DataFrame:
    """Per territory and dimension: how many comparisons came out better, similar, worse; the overall band only
    when they agree (else 'mixed'); the mean percentile as supplementary detail; the reason when there is none."""
    banded = positions.filter(pl.col("band").is_not_null())
    counts = banded.group_by("geo_code", "dimension_code").agg(
        pl.len().cast(pl.Int32).alias("position_indicators"),
        (pl.col("band") == "better").sum().cast(pl.Int32).alias("indicators_better"),
        (pl.col("band") == "similar").sum().cast(pl.Int32).alias("indicators_similar"),
        (pl.col("band") == "worse").sum().cast(pl.Int32).alias("indicators_worse"),
        pl.col("percentile").mean().alias("position"),
        pl.format(
            "{}{} {} ({} {}, {} peers)",
            "indicator_id",
            pl.when(pl.col("breakdown").is_null()).then(pl.lit("")).otherwise(pl.lit(" ") + pl.col("breakdown")),
            "band",
            "period",
            "compared_on",
            "peers",
        )
        .sort()
        .str.join("; ")
        .alias("position_basis"),
    )
    counts = counts.with_columns(
        pl.when(pl.col("indicators_better") + pl.col("indicators_worse") == 0)
        .then(pl.lit("similar"))
        .when(pl.col("indicators_worse") == 0)
        .then(pl.lit("better"))
        .when(pl.col("indicators_better") == 0)
        .then(pl.lit("worse"))
        .otherwise(pl.lit("mixed"))
        .alias("position_band")
    )
    reasons = (
        positions.filter(pl.col("band").is_null())
        .group_by("geo_code", "dimension_code")
        .agg(pl.col("reason").unique().sort().str.join("; ").alias("_reasons"))
    )
    grid = geos.select("geo_code", "geo_level").join(pl.DataFrame({"dimension_code": list(DIMENSIONS)}), how="cross")
    return (
        grid.join(counts, on=["geo_code", "dimension_code"], how="left")
        .join(reasons, on=["geo_code", "dimension_code"], how="left")
        .with_columns(
            pl.when(pl.col("position_band").is_not_null())
            .then(None)
            .when(pl.col("geo_level") == "NUTS0")
            .then(pl.lit("countries are not compared: peers must be of the same country"))
            .when(pl.col("_reasons").is_not_null())
            .then(pl.col("_reasons"))
            .otherwise(pl.lit("no comparable indicator with a current value"))
            .alias("position_reason")
        )
        .drop("geo_level", "_reasons")
    )
