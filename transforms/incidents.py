"""Local incident indicators: police.uk counts by force, LSOA and crime type; completeness per force and month;
tested changes; SSMSI rates per 1,000 recomputed from counts and bases. Pure Polars (+ scipy, statsmodels).

Rules kept here, once:
* anti-social behaviour is never a crime: it has its own indicator and never enters a crime total;
* a month that is missing is not zero: it has no row at all; a collapsed month (far below the force's own median)
  is published with a note but kept out of yearly totals and change tests; a year is published only when all its
  twelve months are present and none collapsed;
* no change is tested across a change of the police.uk crime-type list (the eras come from the crime-type table);
* many tests: Benjamini-Hochberg q-values; a direction only where q < 0.05; a test that could not have told a
  halving from a doubling says "inconclusive", never "no change".
"""

from __future__ import annotations

import numpy as np
import polars as pl

from sources.police_uk import ANTI_SOCIAL_BEHAVIOUR, CRIME, crime_types
from transforms.stats import poisson_exact_ci
from warehouse.metadata import INCIDENT_CHANGES, INCIDENT_COMPLETENESS, LOCAL_INDICATOR_VALUES, conform

POLICE_DATASET = "police_uk_street"
SSMSI_DATASET = "ssmsi_dep"
ALL_CRIME = "ALL_CRIME"
FORCE_LEVEL = "POLICE_FORCE_AREA"
LSOA_LEVEL = "LSOA"
DEPARTEMENT_LEVEL = "FR_DEPARTEMENT"
COLLAPSED_BELOW = 0.5  # a month under half the force's median month is "collapsed"
Q_LEVEL = 0.05
# An interval on the ratio that still holds a halving or a doubling: the test had no power to say "no change".
POWER_BOUNDS = (0.5, 2.0)

COUNT_UNIT = "offences"
ASB_UNIT = "incidents"
PER_1000_INHABITANTS = "per 1000 inhabitants"
PER_1000_DWELLINGS = "per 1000 dwellings"


def force_code(force: pl.Expr) -> pl.Expr:
    """Territory code of a police force area: ``UK-PF-<police.uk force id>`` (e.g. UK-PF-city-of-london)."""
    return pl.lit("UK-PF-") + force


def departement_code(dep: pl.Expr) -> pl.Expr:
    """Territory code of a French département: ``FR-DEP-<code>`` (FR-DEP-01, FR-DEP-2A, FR-DEP-971)."""
    return pl.lit("FR-DEP-") + dep


# --------------------------------------------------------------------------------------------- crime-type eras


def era_of_month(months: list[str]) -> dict[str, int]:
    """For each month, the number of the crime-type era it falls in: a new era starts wherever the list of valid
    police.uk crime types changes (transforms/parameters/police_uk_crime_types.csv)."""
    types = crime_types()
    bounds = sorted(
        {m for m in types["valid_from"].drop_nulls().to_list()}
        | {_next_month(m) for m in types["valid_to"].drop_nulls().to_list()}
    )
    return {m: sum(1 for b in bounds if b <= m) for m in months}


def _next_month(month: str) -> str:
    y, m = int(month[:4]), int(month[5:7])
    return f"{y + (m == 12)}-{(m % 12) + 1:02d}"


def _previous_year(month: str) -> str:
    return f"{int(month[:4]) - 1}{month[4:]}"


def types_valid_in(month: str) -> list[str]:
    types = crime_types().filter(pl.col("is_crime"))
    return types.filter(
        (pl.col("valid_from") <= month) & (pl.col("valid_to").is_null() | (pl.col("valid_to") >= month))
    )["crime_type"].to_list()


# --------------------------------------------------------------------------------------------- completeness


def completeness(counts: pl.DataFrame, versions: dict[str, str]) -> pl.DataFrame:
    """One row per force and month between the force's first and last landed month (a gap is a row with
    month_present false, never a zero), with row counts against the force's own median and the no-location share.

    ``counts``: the landed monthly counts (month, force, falls_within, lsoa_code, crime_type, status, incidents).
    ``versions``: month -> source version of that month's files.
    """
    per_month = counts.group_by("force", "month").agg(
        pl.col("falls_within").drop_nulls().first(),
        pl.col("incidents").filter(pl.col("status") == CRIME).sum().alias("crimes"),
        pl.col("incidents").filter(pl.col("status") == ANTI_SOCIAL_BEHAVIOUR).sum().alias("anti_social_behaviour"),
        pl.col("incidents").sum().alias("rows_landed"),
        pl.col("incidents").filter((pl.col("status") == CRIME) & pl.col("lsoa_code").is_null()).sum().alias("nl"),
    )
    frames = []
    for (force,), rows in per_month.group_by("force", maintain_order=True):
        months = sorted(rows["month"].to_list())
        grid = pl.DataFrame({"month": _month_range(months[0], months[-1])})
        frames.append(grid.with_columns(pl.lit(force).alias("force")).join(rows, on=["force", "month"], how="left"))
    if not frames:
        return conform(INCIDENT_COMPLETENESS, pl.DataFrame(schema=INCIDENT_COMPLETENESS.polars_schema))
    frame = pl.concat(frames, how="vertical_relaxed").with_columns(
        pl.col("falls_within").fill_null(strategy="forward").fill_null(strategy="backward").over("force")
    )
    median = pl.col("crimes").median().over("force")
    ratio = pl.col("crimes") / median
    status = (
        pl.when(pl.col("crimes").is_null())
        .then(pl.lit("missing"))
        .when(ratio < COLLAPSED_BELOW)
        .then(pl.lit("collapsed"))
        .otherwise(pl.lit("ok"))
    )
    out = frame.with_columns(
        force_code(pl.col("force")).alias("geo_code"),
        pl.col("crimes").is_not_null().alias("month_present"),
        median.alias("force_median_crimes"),
        ratio.alias("ratio_to_median"),
        (pl.col("nl") / pl.col("crimes")).alias("no_location_share"),
        status.alias("status"),
        pl.col("month").replace_strict(versions, default=None).alias("source_version"),
    ).with_columns(
        pl.when(pl.col("status") == "missing")
        .then(pl.lit("no file for this force and month: not zero crime; excluded from totals and tests"))
        .when(pl.col("status") == "collapsed")
        .then(
            pl.format(
                "under {}% of the force's median month: excluded from yearly totals and change tests",
                pl.lit(int(COLLAPSED_BELOW * 100)),
            )
        )
        .alias("note"),
        (pl.lit(f"{POLICE_DATASET}@") + pl.col("source_version")).alias("source_version"),
    )
    return conform(INCIDENT_COMPLETENESS, out.select(INCIDENT_COMPLETENESS.column_names).sort("force", "month"))


def _month_range(first: str, last: str) -> list[str]:
    out, m = [], first
    while m <= last:
        out.append(m)
        m = _next_month(m)
    return out


# --------------------------------------------------------------------------------------------- counts


def _evidence(frame: pl.DataFrame, count: str = "count") -> pl.DataFrame:
    low, high = poisson_exact_ci(frame[count].to_numpy())
    return frame.with_columns(
        pl.col(count).cast(pl.Float64).alias("value"),
        pl.Series("ci_low", low),
        pl.Series("ci_high", high),
        pl.lit("poisson_exact").alias("ci_method"),
        pl.col(count).cast(pl.Float64).alias("numerator"),
        pl.lit(None, dtype=pl.Float64).alias("denominator"),
        pl.lit(None, dtype=pl.String).alias("obs_status"),
        pl.lit(None, dtype=pl.String).alias("conf_status"),
    )


def _iccs_notes() -> dict[str, str]:
    notes = {}
    for r in crime_types().iter_rows(named=True):
        if not r["is_crime"]:
            continue
        sections = (r["iccs_sections"] or "").split("|")
        notes[r["crime_type"]] = (
            f"ICCS sections {', '.join(sections)} (the type spans them: not assignable to one section)"
            if r["spans_sections"]
            else f"ICCS section {sections[0]}"
        )
    return notes


def police_indicator_values(counts: pl.DataFrame, complete: pl.DataFrame) -> tuple[pl.DataFrame, dict[str, int]]:
    """SEC_LOCAL_CRIME_COUNT (force x crime type and total, LSOA total; per month and per complete year) and
    LIV_ASB_COUNT (force; per month and year). Returns the values and the cells not published, by reason."""
    status = complete.select("force", "month", "status", "source_version")
    present = status.filter(pl.col("status") != "missing")
    dropped: dict[str, int] = {}
    missing = status.filter(pl.col("status") == "missing").height
    if missing:
        dropped["police.uk force-months without a file (not zero: no value)"] = missing
    crimes = counts.filter(pl.col("status") == CRIME)
    notes = _iccs_notes()

    # Force x type x month, zeros where the month is present and the type valid but nothing was recorded.
    grid = (
        pl.concat(
            [
                present.filter(pl.col("month") == m).join(pl.DataFrame({"breakdown": types_valid_in(m)}), how="cross")
                for m in present["month"].unique().sort().to_list()
            ]
        )
        if present.height
        else pl.DataFrame(schema={"force": pl.String, "month": pl.String, "breakdown": pl.String})
    )
    by_type = crimes.group_by("force", "month", pl.col("crime_type").alias("breakdown")).agg(
        pl.col("incidents").sum().alias("count")
    )
    force_type = grid.join(by_type, on=["force", "month", "breakdown"], how="left").with_columns(
        pl.col("count").fill_null(0)
    )
    unknown_types = by_type.join(grid, on=["force", "month", "breakdown"], how="anti")
    if unknown_types.height:
        dropped["police.uk crime type outside its validity period (see the crime-type table)"] = int(
            unknown_types["count"].sum()
        )
    force_total = present.join(
        crimes.group_by("force", "month").agg(pl.col("incidents").sum().alias("count")),
        on=["force", "month"],
        how="left",
    ).with_columns(pl.col("count").fill_null(0), pl.lit(ALL_CRIME).alias("breakdown"))
    force_rows = pl.concat(
        [
            force_type.select("force", "month", "breakdown", "count"),
            force_total.select("force", "month", "breakdown", "count"),
        ]
    ).join(status, on=["force", "month"])
    force_rows = force_rows.with_columns(
        force_code(pl.col("force")).alias("geo_code"),
        pl.lit(FORCE_LEVEL).alias("geo_level"),
        pl.lit("police.uk").alias("series_variant"),
        pl.when(pl.col("breakdown") == ALL_CRIME)
        .then(pl.lit("all crime types; anti-social behaviour not included"))
        .otherwise(pl.col("breakdown").replace_strict(notes, default=None))
        .alias("note"),
    )

    # LSOA totals per recording force: every LSOA the force recorded in, zeros in its other present months.
    located = crimes.filter(pl.col("lsoa_code").is_not_null())
    lsoas = located.select("force", "lsoa_code", "lsoa_name").unique(["force", "lsoa_code"])
    lsoa_grid = present.join(lsoas, on="force")
    lsoa_counts = located.group_by("force", "month", "lsoa_code").agg(pl.col("incidents").sum().alias("count"))
    lsoa_rows = (
        lsoa_grid.join(lsoa_counts, on=["force", "month", "lsoa_code"], how="left")
        .with_columns(pl.col("count").fill_null(0), pl.lit(ALL_CRIME).alias("breakdown"))
        .with_columns(
            pl.col("lsoa_code").alias("geo_code"),
            pl.lit(LSOA_LEVEL).alias("geo_level"),
            (pl.lit("recorded_by:") + pl.col("force")).alias("series_variant"),
            pl.format(
                "{}: crimes recorded by {} only (an LSOA at a force boundary also has crimes in the neighbouring "
                "force's files); crimes without location are in no LSOA",
                pl.col("lsoa_name"),
                pl.col("force"),
            ).alias("note"),
        )
    )

    asb = present.join(
        counts.filter(pl.col("status") == ANTI_SOCIAL_BEHAVIOUR)
        .group_by("force", "month")
        .agg(pl.col("incidents").sum().alias("count")),
        on=["force", "month"],
        how="left",
    ).with_columns(
        pl.col("count").fill_null(0),
        pl.lit(None, dtype=pl.String).alias("breakdown"),
        force_code(pl.col("force")).alias("geo_code"),
        pl.lit(FORCE_LEVEL).alias("geo_level"),
        pl.lit("police.uk").alias("series_variant"),
        pl.lit("anti-social behaviour incidents: not crimes, never in crime totals").alias("note"),
    )

    cols = [
        "force",
        "month",
        "status",
        "source_version",
        "breakdown",
        "count",
        "geo_code",
        "geo_level",
        "series_variant",
        "note",
    ]
    monthly = pl.concat(
        [
            force_rows.select(cols).with_columns(pl.lit("SEC_LOCAL_CRIME_COUNT").alias("indicator_id")),
            lsoa_rows.select(cols).with_columns(pl.lit("SEC_LOCAL_CRIME_COUNT").alias("indicator_id")),
            asb.select(cols).with_columns(pl.lit("LIV_ASB_COUNT").alias("indicator_id")),
        ]
    ).with_columns(
        pl.when(pl.col("status") == "collapsed")
        .then(pl.col("note") + pl.lit("; COLLAPSED MONTH: far below the force's median, likely incomplete"))
        .otherwise(pl.col("note"))
        .alias("note")
    )

    # A year: all twelve months present and none collapsed.
    year_ok = (
        status.with_columns(pl.col("month").str.slice(0, 4).alias("year"))
        .group_by("force", "year")
        .agg(
            (pl.col("status") == "ok").sum().alias("ok_months"),
            pl.col("source_version").unique().sort().str.join(" + ").alias("source_version"),
        )
    )
    incomplete_years = year_ok.filter(pl.col("ok_months") < 12)
    if incomplete_years.height:
        dropped["police.uk force-years without twelve complete months (no yearly value)"] = incomplete_years.height
    yearly = (
        monthly.with_columns(pl.col("month").str.slice(0, 4).alias("year"))
        .join(
            year_ok.filter(pl.col("ok_months") == 12).select("force", "year", "source_version"),
            on=["force", "year"],
            suffix="_year",
        )
        .group_by("indicator_id", "force", "year", "breakdown", "geo_code", "geo_level", "series_variant")
        .agg(
            pl.col("count").sum(),
            pl.len().alias("months"),
            pl.col("note").first(),
            pl.col("source_version_year").first().alias("source_version"),
        )
        # A type valid for only part of the year (a definition change inside it) has no yearly value.
        .filter(pl.col("months") == 12)
        .rename({"year": "month"})
        .with_columns(pl.lit("ok").alias("status"))
    )
    both = pl.concat([monthly.select(*cols, "indicator_id"), yearly.select(*cols, "indicator_id")])
    out = _evidence(both).with_columns(
        pl.col("month").alias("period"),
        pl.when(pl.col("indicator_id") == "LIV_ASB_COUNT")
        .then(pl.lit(ASB_UNIT))
        .otherwise(pl.lit(COUNT_UNIT))
        .alias("unit"),
        pl.lit("trend_within_country").alias("comparability"),
        pl.lit(POLICE_DATASET).alias("source_dataset"),
        (pl.lit(f"{POLICE_DATASET}@") + pl.col("source_version")).alias("source_version"),
    )
    return conform(LOCAL_INDICATOR_VALUES, out.select(LOCAL_INDICATOR_VALUES.column_names)), dropped


# --------------------------------------------------------------------------------------------- change tests


def _test_pairs(frame: pl.DataFrame, comparison: str) -> pl.DataFrame:
    if frame.is_empty():
        return frame
    from scipy.stats import binomtest  # imported when used: scipy.stats costs ~0.5 s at start-up

    k = frame["count_to"].to_numpy().astype(int)
    n = (frame["count_from"].to_numpy() + frame["count_to"].to_numpy()).astype(int)
    p_values, lows, highs = [], [], []
    for ki, ni in zip(k, n, strict=True):
        if ni == 0:
            p_values.append(1.0)
            lows.append(np.nan)
            highs.append(np.nan)
            continue
        test = binomtest(int(ki), int(ni), 0.5)
        ci = test.proportion_ci(confidence_level=0.95, method="exact")
        p_values.append(test.pvalue)
        # ratio to / from = p / (1 - p) under the conditional binomial
        lows.append(ci.low / (1 - ci.low) if ci.low < 1 else np.inf)
        highs.append(ci.high / (1 - ci.high) if ci.high < 1 else np.inf)
    return frame.with_columns(
        pl.lit(comparison).alias("comparison"),
        pl.Series("p_value", p_values, dtype=pl.Float64),
        pl.Series("ratio_ci_low", lows, dtype=pl.Float64).fill_nan(None),
        pl.Series("ratio_ci_high", highs, dtype=pl.Float64).fill_nan(None),
    )


def change_tests(values: pl.DataFrame, complete: pl.DataFrame) -> pl.DataFrame:
    """Same month a year earlier, and year on year, for every crime count series (force x type, LSOA totals):
    exact conditional binomial test of two Poisson counts (equal exposure: same calendar month, same area), BH
    q-values over every test in the table, and a direction only where q < 0.05."""
    crimes = values.filter(pl.col("indicator_id") == "SEC_LOCAL_CRIME_COUNT").select(
        "geo_code", "geo_level", "breakdown", "series_variant", "period", "numerator"
    )
    usable = complete.filter(pl.col("status") == "ok").select("geo_code", pl.col("month").alias("period"))
    months = crimes.filter(pl.col("period").str.len_chars() == 7)
    # A monthly value is tested only when the force's month is complete (LSOA rows: their recording force's).
    months = months.with_columns(
        pl.when(pl.col("geo_level") == LSOA_LEVEL)
        .then(force_code(pl.col("series_variant").str.replace("recorded_by:", "", literal=True)))
        .otherwise(pl.col("geo_code"))
        .alias("force_geo")
    ).join(usable.rename({"geo_code": "force_geo"}), on=["force_geo", "period"], how="semi")
    eras = era_of_month(sorted(set(months["period"].to_list()) | {_previous_year(m) for m in months["period"]}))
    months = months.with_columns(
        pl.col("period").map_elements(_previous_year, return_dtype=pl.String).alias("period_from"),
        pl.col("period").replace_strict(eras, default=None, return_dtype=pl.Int64).alias("era_to"),
    )
    key = ["geo_code", "geo_level", "breakdown", "series_variant"]
    monthly_pairs = (
        months.rename({"period": "period_to", "numerator": "count_to"})
        .join(
            months.select(
                *key,
                pl.col("period").alias("period_from"),
                pl.col("numerator").alias("count_from"),
                pl.col("era_to").alias("era_from"),
            ),
            on=[*key, "period_from"],
        )
        .filter(pl.col("era_from") == pl.col("era_to"))
    )
    years = crimes.filter(pl.col("period").str.len_chars() == 4)
    year_pairs = (
        years.rename({"period": "period_to", "numerator": "count_to"})
        .with_columns((pl.col("period_to").cast(pl.Int32) - 1).cast(pl.String).alias("period_from"))
        .join(
            years.select(*key, pl.col("period").alias("period_from"), pl.col("numerator").alias("count_from")),
            on=[*key, "period_from"],
        )
        .filter(
            pl.struct("period_from", "period_to").map_elements(
                lambda r: (
                    era_of_month([f"{r['period_from']}-01"])[f"{r['period_from']}-01"]
                    == era_of_month([f"{r['period_to']}-12"])[f"{r['period_to']}-12"]
                ),
                return_dtype=pl.Boolean,
            )
        )
        if years.height
        else years.head(0)
    )
    cols = [*key, "period_from", "period_to", "count_from", "count_to"]
    tested = pl.concat(
        [
            _test_pairs(monthly_pairs.select(cols), "same_month_previous_year"),
            _test_pairs(year_pairs.select(cols), "year_on_year") if year_pairs.height else pl.DataFrame(),
        ],
        how="diagonal_relaxed",
    )
    if tested.is_empty():
        return conform(INCIDENT_CHANGES, pl.DataFrame(schema=INCIDENT_CHANGES.polars_schema))
    from statsmodels.stats.multitest import multipletests  # imported when used (statsmodels imports pandas)

    q = multipletests(tested["p_value"].to_numpy(), alpha=Q_LEVEL, method="fdr_bh")[1]
    tested = tested.with_columns(pl.Series("q_value", q))
    ratio = pl.col("count_to") / pl.col("count_from")
    underpowered = (
        pl.col("ratio_ci_low").is_null()
        | (pl.col("ratio_ci_low") <= POWER_BOUNDS[0])
        | (pl.col("ratio_ci_high") >= POWER_BOUNDS[1])
    )
    out = tested.with_columns(
        pl.when(pl.col("count_from") > 0).then(ratio).alias("ratio"),
        pl.when(pl.col("q_value") < Q_LEVEL)
        .then(pl.when(pl.col("count_to") > pl.col("count_from")).then(pl.lit("up")).otherwise(pl.lit("down")))
        .when(underpowered)
        .then(pl.lit("inconclusive"))
        .otherwise(pl.lit("no_significant_change"))
        .alias("direction"),
        pl.lit(POLICE_DATASET).alias("source_dataset"),
    )
    out = out.select(INCIDENT_CHANGES.column_names)
    return conform(INCIDENT_CHANGES, out.sort("comparison", "geo_code", "breakdown", "series_variant", "period_to"))


# --------------------------------------------------------------------------------------------- SSMSI


def ssmsi_indicator_values(rows: pl.DataFrame, source_version: str) -> pl.DataFrame:
    """Rates per 1,000 inhabitants (per 1,000 dwellings for residential burglary) recomputed from ``faits`` and
    ``POP``/``LOG``, with exact Poisson limits on the count scaled like the rate. The file's tauxpourmille is not
    used. Classes have different counting units and are never added up."""
    from sources.ssmsi import PER_DWELLING_CLASS

    per_dwelling = pl.col("classe") == PER_DWELLING_CLASS
    base = pl.when(per_dwelling).then(pl.col("dwellings")).otherwise(pl.col("population").cast(pl.Float64))
    frame = rows.with_columns(base.alias("denominator"), pl.col("faits").alias("count"))
    low, high = poisson_exact_ci(frame["faits"].to_numpy())
    out = frame.with_columns(
        pl.when(per_dwelling)
        .then(pl.lit("SEC_FR_DEP_BURGLARY_RATE"))
        .otherwise(pl.lit("SEC_FR_DEP_RATE"))
        .alias("indicator_id"),
        pl.col("classe").alias("breakdown"),
        departement_code(pl.col("departement")).alias("geo_code"),
        pl.lit(DEPARTEMENT_LEVEL).alias("geo_level"),
        pl.col("year").cast(pl.String).alias("period"),
        (pl.col("faits") / pl.col("denominator") * 1000).alias("value"),
        pl.when(per_dwelling).then(pl.lit(PER_1000_DWELLINGS)).otherwise(pl.lit(PER_1000_INHABITANTS)).alias("unit"),
        (pl.Series(low) / pl.col("denominator") * 1000).alias("ci_low"),
        (pl.Series(high) / pl.col("denominator") * 1000).alias("ci_high"),
        pl.lit("poisson_exact").alias("ci_method"),
        pl.col("faits").cast(pl.Float64).alias("numerator"),
        pl.lit(None, dtype=pl.String).alias("obs_status"),
        pl.lit(None, dtype=pl.String).alias("conf_status"),
        pl.lit("ssmsi_departement").alias("series_variant"),
        pl.lit("within_country").alias("comparability"),
        pl.lit(f"{SSMSI_DATASET} / {SSMSI_DATASET}").alias("source_dataset"),
        pl.lit(f"{SSMSI_DATASET}@{source_version}").alias("source_version"),
        pl.format(
            "counting unit: {} (classes are never added up); base: {} of {}",
            pl.col("counting_unit"),
            pl.when(per_dwelling).then(pl.lit("dwellings")).otherwise(pl.lit("population")),
            pl.when(per_dwelling).then(pl.col("dwellings_year")).otherwise(pl.col("population_year")),
        ).alias("note"),
    )
    return conform(LOCAL_INDICATOR_VALUES, out.select(LOCAL_INDICATOR_VALUES.column_names))


# --------------------------------------------------------------------------------------------- public space?

# The place-type names police.uk gives some anonymous map points instead of a street name (seen in the bundle).
SNAP_POINT_PLACES = (
    "Bus/Coach Station",
    "Conference/Exhibition Centre",
    "Further/Higher Educational Building",
    "Hospital",
    "Nightclub",
    "Park/Open Space",
    "Parking Area",
    "Pedestrian Subway",
    "Police Station",
    "Shopping Area",
    "Sports/Recreation Area",
    "Supermarket",
    "Theatre/Concert Hall",
)


def snap_point_kinds(incidents: pl.DataFrame) -> pl.DataFrame:
    """What the ``Location`` text of counted crimes can say: no location, a place-type map point (by name), or a
    street-named map point. The basis of the README's public-space finding; not an indicator."""
    place = pl.col("location").str.strip_prefix("On or near ")
    kind = (
        pl.when(pl.col("location") == "No Location")
        .then(pl.lit("no location"))
        .when(place.is_in(list(SNAP_POINT_PLACES)))
        .then(place)
        .otherwise(pl.lit("street-named point"))
    )
    crimes = incidents.filter(pl.col("status") == CRIME)
    return (
        crimes.group_by(kind.alias("kind"))
        .len("crimes")
        .with_columns((pl.col("crimes") / crimes.height).alias("share"))
        .sort("crimes", descending=True)
    )
