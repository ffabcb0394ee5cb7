"""Action 1 self-assessment: for every geography and each of the six dimensions, how much recent data there is
(coverage), how fine and regular it is (data maturity 0-4), and where the geography stands among peers of the
same country (position), following the rules in domain.md §1.2. Three transparent scores, never one index.
"""

from __future__ import annotations

import re

import polars as pl

from warehouse.catalogue import CATALOGUE, Indicator
from warehouse.metadata import SELF_ASSESSMENT, conform

DIMENSIONS = {
    "D1": "Quality of life",
    "D2": "Social cohesion",
    "D3": "Public space liveability",
    "D4": "Sense of safety in public spaces",
    "D5": "Urban security",
    "D6": "Background conditions",
}
MATURITY_LABELS = {
    0: "no data",
    1: "national data only",
    2: "regional data (NUTS 1-3)",
    3: "city data, irregular",
    4: "city data, annual and trend-capable",
}
RECENT_YEARS = 3  # a value counts for coverage when it is at most this many years older than the reference year
TREND_YEARS = 3  # consecutive annual values (same series, no break) that make city data "trend-capable"
MIN_PEERS = 3  # units compared, the geography included, before a percentile means anything
# Units that are sizes, not levels: ranking them would rank places by how big they are.
SIZE_UNITS = {"offences", "persons", "EUR (planned)"}
RANKABLE_COMPARABILITY = {"cross_country", "within_country"}


def indicator_dimensions(indicator: Indicator) -> list[str]:
    """The Action 1 dimensions an indicator belongs to, read from its catalogue ``dimension`` ('A1-D4 …')."""
    return sorted(set(re.findall(r"A1-(D[1-6])", indicator.dimension)))


def dimension_map(catalogue: tuple[Indicator, ...] = CATALOGUE) -> pl.DataFrame:
    rows = [(i.indicator_id, d) for i in catalogue for d in indicator_dimensions(i)]
    return pl.DataFrame(rows, schema={"indicator_id": pl.String, "dimension_code": pl.String}, orient="row")


def rankable(indicator: Indicator) -> bool:
    """Levels that say better or worse and may be compared between places of one country. (Each row's own
    comparability is checked too: an offence category marked trend_within_country is never ranked.)"""
    first_word = re.split(r"[\s(]", indicator.comparability.strip(), maxsplit=1)[0]
    return (
        indicator.direction in {"+", "-"} and indicator.unit not in SIZE_UNITS and first_word in RANKABLE_COMPARABILITY
    )


def _end_year(period: pl.Expr) -> pl.Expr:
    """2019 -> 2019, 2019-05 -> 2019, 2014/2020 -> 2020."""
    return pl.when(period.str.contains("/")).then(period.str.slice(-4)).otherwise(period.str.slice(0, 4)).cast(pl.Int32)


def _trend_capable(city_values: pl.DataFrame) -> pl.DataFrame:
    """(geo_code, indicator_id) with TREND_YEARS consecutive annual values in one series without a break flag."""
    annual = (
        city_values.filter(pl.col("period").str.contains(r"^\d{4}$"))
        .select(
            "geo_code",
            "indicator_id",
            "breakdown",
            "series_variant",
            "obs_status",
            pl.col("period").cast(pl.Int32).alias("year"),
        )
        .unique(["geo_code", "indicator_id", "breakdown", "series_variant", "year"])
        .sort("geo_code", "indicator_id", "breakdown", "series_variant", "year")
    )
    keys = ["geo_code", "indicator_id", "breakdown", "series_variant"]
    runs = annual.with_columns(
        # A new run starts after a gap year or at a value flagged b (break in series).
        ((pl.col("year").diff().over(keys) != 1).fill_null(True) | pl.col("obs_status").fill_null("").str.contains("b"))
        .cum_sum()
        .over(keys)
        .alias("run")
    )
    long_runs = runs.group_by([*keys, "run"]).agg(pl.len().alias("years")).filter(pl.col("years") >= TREND_YEARS)
    return long_runs.select("geo_code", "indicator_id").unique()


def self_assessment(values: pl.DataFrame, geographies: pl.DataFrame) -> pl.DataFrame:
    """One row per geography (countries, NUTS regions, cities) and Action 1 dimension."""
    dims = dimension_map()
    in_dimension = dims.group_by("dimension_code").agg(pl.len().cast(pl.Int32).alias("indicators_in_dimension"))
    values = values.with_columns(_end_year(pl.col("period")).alias("end_year"))
    reference_year = int(values["end_year"].max())
    geos = geographies.filter(pl.col("geo_level").is_in(["NUTS0", "NUTS1", "NUTS2", "NUTS3", "CITY"])).select(
        "geo_code", "geo_level", pl.col("country_code")
    )
    grid = (
        geos.join(pl.DataFrame({"dimension_code": list(DIMENSIONS)}), how="cross")
        .join(in_dimension, on="dimension_code", how="left")
        .with_columns(pl.col("indicators_in_dimension").fill_null(0))
    )

    tagged = values.join(dims, on="indicator_id", how="inner")

    # Coverage: indicators of the dimension with a recent value at the geography's own level.
    recent = (
        tagged.filter(pl.col("end_year") >= reference_year - RECENT_YEARS)
        .group_by("geo_code", "dimension_code")
        .agg(pl.col("indicator_id").n_unique().cast(pl.Int32).alias("indicators_with_recent_value"))
    )
    out = (
        grid.join(recent, on=["geo_code", "dimension_code"], how="left")
        .with_columns(pl.col("indicators_with_recent_value").fill_null(0))
        .with_columns(
            pl.when(pl.col("indicators_in_dimension") > 0)
            .then(100.0 * pl.col("indicators_with_recent_value") / pl.col("indicators_in_dimension"))
            .otherwise(None)
            .alias("coverage")
        )
    )
    out = out.join(_maturity(tagged, geos), on=["geo_code", "dimension_code"], how="left").with_columns(
        pl.col("maturity").fill_null(0),
        pl.col("maturity_basis").fill_null("no value for this territory or its country"),
    )
    out = out.join(_position(values, geos), on=["geo_code", "dimension_code"], how="left")
    return (
        out.with_columns(
            pl.col("dimension_code").replace_strict(DIMENSIONS).alias("dimension"),
            pl.lit(reference_year, dtype=pl.Int32).alias("reference_year"),
            pl.col("maturity").replace_strict(MATURITY_LABELS).alias("maturity_label"),
            pl.col("position_indicators").fill_null(0),
        )
        .pipe(lambda frame: conform(SELF_ASSESSMENT, frame.select(SELF_ASSESSMENT.column_names)))
        .sort("geo_code", "dimension_code")
    )


def _maturity(tagged: pl.DataFrame, geos: pl.DataFrame) -> pl.DataFrame:
    """Best level of data covering each geography, per dimension (domain.md §1.2):
    4 city data annual and trend-capable, 3 city data irregular, 2 regional, 1 national only, 0 none.
    Regional means NUTS 2/3 as in the rules, and NUTS 1 too: for Scotland and Northern Ireland (UKM, UKN)
    recorded crime exists only at that level, which is finer than national.

    A city is judged on its own values; a country also on the cities and regions inside it; a NUTS region on
    its own values and those of the regions inside it. Cities are not linked to NUTS regions (no city-to-NUTS
    correspondence is bundled), so a city without city data falls back to its country's national data.
    """
    dim_of = tagged.select("indicator_id", "dimension_code").unique()
    city_vals = tagged.filter(pl.col("geo_level") == "CITY")
    trend = _trend_capable(city_vals).join(dim_of, on="indicator_id")
    evidence = []
    # Levels 4 and 3: city values, attributed to the city itself and to its country.
    city_any = city_vals.select("geo_code", "indicator_id", "dimension_code").unique()
    for source, level in ((trend, 4), (city_any, 3)):
        own = source.select("geo_code", "dimension_code", "indicator_id", pl.lit(level).alias("maturity"))
        country = source.select(
            pl.col("geo_code").str.slice(0, 2).alias("geo_code"),
            "dimension_code",
            "indicator_id",
            pl.lit(level).alias("maturity"),
        )
        evidence += [own, country]
    # Level 2: NUTS 1-3 values, attributed to the region and to every ancestor (prefixes of the code).
    regional = (
        tagged.filter(pl.col("geo_level").is_in(["NUTS1", "NUTS2", "NUTS3"]))
        .select("geo_code", "dimension_code", "indicator_id")
        .unique()
    )
    for length in (2, 3, 4, 5):  # the region itself and each ancestor, found by code prefix
        evidence.append(
            regional.filter(pl.col("geo_code").str.len_chars() >= length).select(
                pl.col("geo_code").str.slice(0, length).alias("geo_code"),
                "dimension_code",
                "indicator_id",
                pl.lit(2).alias("maturity"),
            )
        )
    # Level 1: national values, attributed to the country and everything inside it.
    national = (
        tagged.filter(pl.col("geo_level") == "NUTS0")
        .select(pl.col("geo_code").alias("country_code"), "dimension_code", "indicator_id")
        .unique()
    )
    evidence.append(
        geos.join(national, on="country_code").select(
            "geo_code", "dimension_code", "indicator_id", pl.lit(1).alias("maturity")
        )
    )
    best = (
        pl.concat([e.cast({"maturity": pl.Int32}) for e in evidence])
        .sort("maturity", "indicator_id", descending=[True, False])
        .group_by("geo_code", "dimension_code", maintain_order=True)
        .agg(pl.col("maturity").first(), pl.col("indicator_id").first().alias("basis_indicator"))
    )
    return best.join(geos.select("geo_code"), on="geo_code").select(
        "geo_code",
        "dimension_code",
        "maturity",
        pl.format("{} (level {})", "basis_indicator", "maturity").alias("maturity_basis"),
    )


def _position(values: pl.DataFrame, geos: pl.DataFrame) -> pl.DataFrame:
    """Mean percentile (0 worst .. 100 best) among peers of the same level and country, over the dimension's
    rankable indicators; recorded crime is ranked only inside one country. Each comparison uses the latest
    period of its peer group (indicator, breakdown, series, level, country): a territory without a value in
    that period is not ranked on that indicator."""
    ok = [i.indicator_id for i in CATALOGUE if rankable(i)]
    direction = {i.indicator_id: (1.0 if i.direction == "+" else -1.0) for i in CATALOGUE}
    rows = values.filter(
        pl.col("indicator_id").is_in(ok) & pl.col("comparability").is_in(list(RANKABLE_COMPARABILITY))
    ).join(geos.select("geo_code", "country_code"), on="geo_code")
    group = ["indicator_id", "breakdown", "series_variant", "geo_level", "country_code", "period"]
    # The latest period of each comparison group only.
    rows = rows.filter(
        pl.col("period")
        == pl.col("period").max().over(["indicator_id", "breakdown", "series_variant", "geo_level", "country_code"])
    )
    from scipy.stats import percentileofscore  # imported when used: scipy.stats costs ~0.5 s at start-up

    records = []
    for key, peers in rows.partition_by(group, as_dict=True).items():
        if peers.height < MIN_PEERS:
            continue
        sign = direction[key[0]]
        scores = (peers["value"] * sign).to_list()
        for geo, value in zip(peers["geo_code"], scores, strict=True):
            pct = percentileofscore(scores, value, kind="mean")
            records.append((geo, key[0], key[5], peers.height, pct))
    if not records:
        return pl.DataFrame(
            schema={
                "geo_code": pl.String,
                "dimension_code": pl.String,
                "position": pl.Float64,
                "position_indicators": pl.Int32,
                "position_basis": pl.String,
            }
        )
    scored = pl.DataFrame(
        records,
        schema={
            "geo_code": pl.String,
            "indicator_id": pl.String,
            "period": pl.String,
            "peers": pl.Int32,
            "percentile": pl.Float64,
        },
        orient="row",
    )
    # Indicators with several breakdowns (offence categories) count once: their percentiles are averaged first.
    per_indicator = scored.group_by("geo_code", "indicator_id").agg(
        pl.col("percentile").mean(), pl.col("peers").max(), pl.col("period").max()
    )
    dims = dimension_map().filter(pl.col("indicator_id").is_in(ok))
    return (
        per_indicator.join(dims, on="indicator_id")
        .sort("indicator_id")
        .group_by("geo_code", "dimension_code")
        .agg(
            pl.col("percentile").mean().alias("position"),
            pl.len().cast(pl.Int32).alias("position_indicators"),
            pl.format("{} ({} peers, {})", "indicator_id", "peers", "period").str.join("; ").alias("position_basis"),
        )
    )
