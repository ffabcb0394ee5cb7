"""The published contract, described once.

Each published table and column is declared here with its type and description. The DDL, the DuckDB
COMMENTs, the Polars schema the transforms must produce, the Dagster column schemas and the contract
section of the docs are all derived from these declarations, so they cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

_POLARS_TYPES: dict[str, pl.DataType] = {
    "VARCHAR": pl.String(),
    "DOUBLE": pl.Float64(),
    "BIGINT": pl.Int64(),
    "INTEGER": pl.Int32(),
    "BOOLEAN": pl.Boolean(),
    "VARCHAR[]": pl.List(pl.String()),
}


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # DuckDB type
    description: str
    nullable: bool = True

    @property
    def polars_type(self) -> pl.DataType:
        return _POLARS_TYPES[self.type]


@dataclass(frozen=True)
class Table:
    schema: str
    name: str
    description: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    # False: an empty candidate is refused (it would wipe the table); True where no rows is a valid answer.
    may_be_empty: bool = False

    @property
    def qualified_name(self) -> str:
        return f"{self.schema}.{self.name}"

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def polars_schema(self) -> dict[str, pl.DataType]:
        return {c.name: c.polars_type for c in self.columns}

    def create_sql(self) -> str:
        cols = ",\n  ".join(f"{quote_ident(c.name)} {c.type}{'' if c.nullable else ' NOT NULL'}" for c in self.columns)
        return f"CREATE OR REPLACE TABLE {quote_ident(self.schema)}.{quote_ident(self.name)} (\n  {cols}\n)"

    def comment_sql(self) -> list[str]:
        target = f"{quote_ident(self.schema)}.{quote_ident(self.name)}"
        out = [f"COMMENT ON TABLE {target} IS {quote_literal(self.description)}"]
        out += [
            f"COMMENT ON COLUMN {target}.{quote_ident(c.name)} IS {quote_literal(c.description)}" for c in self.columns
        ]
        return out


def quote_ident(name: str) -> str:
    if not name.replace("_", "").isalnum():
        raise ValueError(f"refusing identifier {name!r}: only letters, digits and underscores are allowed")
    return f'"{name}"'


def quote_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _c(name: str, type_: str, description: str, nullable: bool = True) -> Column:
    return Column(name, type_, description, nullable)


INDICATOR_VALUE_COLUMNS = (
    _c("indicator_id", "VARCHAR", "Catalogue id of the indicator (published.indicators).", False),
    _c(
        "breakdown",
        "VARCHAR",
        "Sub-category the value refers to, e.g. the ICCS offence code for recorded-offence rates; NULL when the "
        "indicator has no breakdown.",
    ),
    _c(
        "geo_code", "VARCHAR", "Eurostat territory code: country (EL = Greece), NUTS region or Urban Audit city.", False
    ),
    _c(
        "geo_level",
        "VARCHAR",
        "NUTS0, NUTS1, NUTS2, NUTS3, CITY, or MULTI_COUNTRY for groupings of several countries such as "
        "cross-border cooperation programmes (published.geographies).",
        False,
    ),
    _c(
        "period",
        "VARCHAR",
        "Reference period: YYYY for a year, YYYY-MM for a month, YYYY/YYYY for a multi-year period such as a "
        "funding programming period (2014/2020).",
        False,
    ),
    _c("value", "DOUBLE", "The indicator value, in `unit`. Never NULL: rows without a value are not published.", False),
    _c("unit", "VARCHAR", "Unit of `value`, e.g. 'per 100000 inhabitants' or 'offences'.", False),
    _c("ci_low", "DOUBLE", "Lower 95 % confidence limit of `value` (random variation only; see ci_method)."),
    _c("ci_high", "DOUBLE", "Upper 95 % confidence limit of `value` (random variation only; see ci_method)."),
    _c(
        "ci_method",
        "VARCHAR",
        "How the limits were computed: poisson_exact (Garwood, scipy chi2, on the numerator count); "
        "wilson_approx_n (Wilson score interval, statsmodels, on the survey's documented sample size, which is "
        "approximate: see `note`); NULL when the value has no sampling model (administrative amounts, "
        "registers, mean ratings without a published dispersion).",
    ),
    _c(
        "numerator",
        "DOUBLE",
        "The count or amount the value is computed from (recorded offences, EUR planned, measures in a "
        "register), as published by the source; NULL for survey shares, which are published without counts.",
    ),
    _c(
        "denominator",
        "DOUBLE",
        "The base: population on 1 January of the same territory and year for rates, the sample size used for "
        "the interval for survey shares, the register total for shares of a register; NULL for counts.",
    ),
    _c(
        "obs_status",
        "VARCHAR",
        "Eurostat observation-status flags of the numerator and the denominator together, letters sorted "
        "(b break, d definition differs, e estimated, p provisional, u low reliability, …); NULL when none.",
    ),
    _c(
        "conf_status",
        "VARCHAR",
        "Eurostat confidentiality status (C confidential, N not for publication, "
        "P non-statistical secrecy) of any input; NULL when none.",
    ),
    _c(
        "series_variant",
        "VARCHAR",
        "Which series the row belongs to. Values of different variants are not comparable and no change or "
        "trend may join them (e.g. the national table vs the regional table).",
        False,
    ),
    _c(
        "comparability",
        "VARCHAR",
        "What comparisons the value supports: cross_country (levels comparable across countries), "
        "within_country (levels only within one country), trend_within_country (only trends within one "
        "country), not_comparable (self-reported registers and context figures: not for ranking).",
        False,
    ),
    _c(
        "source_dataset",
        "VARCHAR",
        "Source datasets, numerator first, then the denominator (e.g. 'crim_gen_reg / demo_r_pjanaggr3').",
        False,
    ),
    _c(
        "source_version",
        "VARCHAR",
        "Version of each source as 'dataset@version' joined by ' / ': the "
        "JSON-stat 'updated' stamp, else the file's sha256 prefix.",
        False,
    ),
    _c(
        "note",
        "VARCHAR",
        "What else a reader must know about this value: the sample size used and its source, empty "
        "prevention-pyramid levels, 'EXAMPLE DATA' for the bundled example registers; NULL when nothing.",
    ),
)

INDICATOR_VALUES = Table(
    "published",
    "indicator_values",
    "Every published indicator figure with its evidence: value, 95 % limits, numerator, denominator, the "
    "source flags, comparability and source versions. One row per (indicator_id, breakdown, geo_code, period, "
    "series_variant).",
    INDICATOR_VALUE_COLUMNS,
    ("indicator_id", "breakdown", "geo_code", "period", "series_variant"),
)

INDICATORS = Table(
    "published",
    "indicators",
    "The indicator catalogue: what each indicator_id measures, how it is computed and how far it can be "
    "compared. One row per indicator_id.",
    (
        _c("indicator_id", "VARCHAR", "Catalogue id, e.g. SEC_RECORDED_RATE.", False),
        _c("name", "VARCHAR", "Short human-readable name.", False),
        _c("dimension", "VARCHAR", "Action 1 dimension (D1-D6) or Action 5 area the indicator belongs to.", False),
        _c("unit", "VARCHAR", "Unit of the published values.", False),
        _c(
            "direction",
            "VARCHAR",
            "'+' higher is better, '-' lower is better, 'ctx' context without a direction.",
            False,
        ),
        _c("formula", "VARCHAR", "How the value is computed from the sources.", False),
        _c("breakdown", "VARCHAR", "What the `breakdown` column of its values holds; NULL when unused."),
        _c("geo_levels", "VARCHAR", "Geographic levels with values, comma-separated.", False),
        _c("sources", "VARCHAR", "Source datasets, comma-separated.", False),
        _c("ci_method", "VARCHAR", "Confidence-interval method of its values."),
        _c("caveats", "VARCHAR", "What the figures cannot say; read before comparing.", False),
        _c("comparability", "VARCHAR", "Comparability rule for the indicator as a whole.", False),
    ),
    ("indicator_id",),
)

GEOGRAPHIES = Table(
    "published",
    "geographies",
    "Every territory that has published values, with its parents up to the country. One row per geo_code.",
    (
        _c("geo_code", "VARCHAR", "Eurostat territory code.", False),
        _c("geo_level", "VARCHAR", "NUTS0, NUTS1, NUTS2, NUTS3, CITY or MULTI_COUNTRY.", False),
        _c("name", "VARCHAR", "English name from the Eurostat GEO or CITIES code list; NULL if unlisted."),
        _c(
            "country_code",
            "VARCHAR",
            "Two-letter Eurostat country code (EL = Greece, UK = United Kingdom); NULL for multi-country groupings.",
        ),
        _c(
            "parent_code",
            "VARCHAR",
            "Next level up (NUTS3 -> NUTS2 -> NUTS1 -> NUTS0; CITY -> NUTS0); NULL for countries.",
        ),
    ),
    ("geo_code",),
)

SELF_ASSESSMENT = Table(
    "published",
    "self_assessment",
    "Action 1 self-assessment: for every country, NUTS region and city, and each of the six dimensions, the "
    "share of the dimension's indicators with a recent value (coverage), how fine and regular the data are "
    "(maturity 0-4) and, where comparability allows, the position among peers of the same country. Three "
    "separate scores, never one index. One row per (geo_code, dimension_code).",
    (
        _c("geo_code", "VARCHAR", "Territory (published.geographies).", False),
        _c("geo_level", "VARCHAR", "NUTS0, NUTS1, NUTS2, NUTS3 or CITY.", False),
        _c("dimension_code", "VARCHAR", "Action 1 dimension D1-D6.", False),
        _c(
            "dimension",
            "VARCHAR",
            "Dimension name (quality of life, social cohesion, public space liveability, "
            "sense of safety in public spaces, urban security, background conditions).",
            False,
        ),
        _c(
            "reference_year",
            "INTEGER",
            "The latest year with any published value; 'recent' is measured from it.",
            False,
        ),
        _c("indicators_in_dimension", "INTEGER", "Catalogue indicators belonging to the dimension.", False),
        _c(
            "indicators_with_recent_value",
            "INTEGER",
            "Of those, indicators with a value for this territory itself "
            "no more than 3 years older than reference_year.",
            False,
        ),
        _c(
            "coverage",
            "DOUBLE",
            "indicators_with_recent_value / indicators_in_dimension, in %; NULL when the dimension has no indicator.",
        ),
        _c(
            "maturity",
            "INTEGER",
            "Data maturity 0-4: 0 none, 1 national only, 2 regional (NUTS 1-3), 3 city data "
            "irregular, 4 city data annual and trend-capable (3+ consecutive years, no break).",
            False,
        ),
        _c("maturity_label", "VARCHAR", "The maturity level in words.", False),
        _c("maturity_basis", "VARCHAR", "The indicator that gives the maturity level.", False),
        _c(
            "position",
            "DOUBLE",
            "Mean percentile (0 worst, 100 best) among territories of the same level in the "
            "same country, over the dimension's rankable indicators (direction + or -, levels comparable, not "
            "counts); NULL when fewer than 3 are comparable. Recorded crime is never ranked across countries.",
        ),
        _c("position_indicators", "INTEGER", "How many indicators the position averages.", False),
        _c("position_basis", "VARCHAR", "Each ranked indicator with its number of peers and period."),
    ),
    ("geo_code", "dimension_code"),
)

CRIME_AND_FEELING = Table(
    "published",
    "crime_and_feeling",
    "Recorded crime and feeling safe side by side, per city, between two survey waves of one series: two "
    "figures with their own tests and a divergence label, never blended into one index. No row spans the 2019 "
    "wording break of the survey or a Eurostat break flag. One row per (geo_code, period_from, period_to).",
    (
        _c("geo_code", "VARCHAR", "Urban Audit city code.", False),
        _c("period_from", "VARCHAR", "Earlier survey wave (YYYY).", False),
        _c("period_to", "VARCHAR", "Later survey wave (YYYY), same series.", False),
        _c(
            "crime_indicator_id",
            "VARCHAR",
            "Crime indicator compared (SEC_HOM_COUNT_CITY: homicides recorded in "
            "the city, the only city-level crime series).",
            False,
        ),
        _c("crime_from", "DOUBLE", "Crime figure in period_from.", False),
        _c("crime_to", "DOUBLE", "Crime figure in period_to.", False),
        _c("crime_ratio", "DOUBLE", "crime_to / crime_from."),
        _c(
            "crime_ratio_ci_low",
            "DOUBLE",
            "Lower 95 % exact limit of the ratio (conditional binomial, equal "
            "exposure assumed: city population changes are not accounted for).",
        ),
        _c("crime_ratio_ci_high", "DOUBLE", "Upper 95 % exact limit of the ratio."),
        _c("crime_p_value", "DOUBLE", "Exact conditional test of equal counts (scipy binomtest).", False),
        _c("crime_direction", "VARCHAR", "up, down or no_significant_change (5 % level).", False),
        _c("feeling_indicator_id", "VARCHAR", "Feeling indicator compared (SAF_SAFE_CITY).", False),
        _c("feeling_series_variant", "VARCHAR", "The survey series both waves belong to.", False),
        _c("feeling_from", "DOUBLE", "Share feeling safe in period_from, %.", False),
        _c("feeling_to", "DOUBLE", "Share feeling safe in period_to, %.", False),
        _c("feeling_change_pp", "DOUBLE", "feeling_to - feeling_from, percentage points.", False),
        _c(
            "feeling_change_ci_low",
            "DOUBLE",
            "Lower 95 % Newcombe limit of the change (documented, approximate sample sizes).",
        ),
        _c("feeling_change_ci_high", "DOUBLE", "Upper 95 % Newcombe limit of the change."),
        _c("feeling_direction", "VARCHAR", "safer, less_safe or no_significant_change.", False),
        _c(
            "divergence",
            "VARCHAR",
            "aligned (crime down and safer, or up and less safe), divergent (opposite), "
            "crime_changed_feeling_did_not, feeling_changed_crime_did_not, or no_significant_change.",
            False,
        ),
    ),
    ("geo_code", "period_from", "period_to"),
    may_be_empty=True,
)

# Local incident data (police.uk, SSMSI): the same evidence columns as indicator_values, on local territories
# (police force areas, LSOAs, French départements) that are not Eurostat territories and have no NUTS parents.
_LOCAL_GEO = {
    "geo_code": _c(
        "geo_code",
        "VARCHAR",
        "Local territory: UK-PF-<police.uk force id> (police force area), an ONS LSOA code (E01…/W01…), or "
        "FR-DEP-<code> (French département, 01…95, 2A, 2B, 971…).",
        False,
    ),
    "geo_level": _c("geo_level", "VARCHAR", "POLICE_FORCE_AREA, LSOA or FR_DEPARTEMENT.", False),
}
LOCAL_INDICATOR_VALUES = Table(
    "published",
    "local_indicator_values",
    "Indicator figures from local incident data (police.uk street-level crime, SSMSI by département) with the "
    "same evidence as published.indicator_values: value, 95 % limits, numerator, denominator, comparability, "
    "source versions, note. Missing months have no row (never zero). One row per (indicator_id, breakdown, "
    "geo_code, period, series_variant).",
    tuple(_LOCAL_GEO.get(c.name, c) for c in INDICATOR_VALUE_COLUMNS),
    ("indicator_id", "breakdown", "geo_code", "period", "series_variant"),
    # Empty when no incident data is configured (e.g. live mode); the staging asset refuses an empty result when
    # incident files are there.
    may_be_empty=True,
)

INCIDENT_COMPLETENESS = Table(
    "published",
    "incident_completeness",
    "police.uk completeness per force and month, from the force's first to its last month on file: whether the "
    "month is there, its crimes against the force's own median month, the share without location. A missing or "
    "collapsed month is flagged here and never read as zero crime. One row per (force, month).",
    (
        _c("force", "VARCHAR", "police.uk force id (from the file name), e.g. city-of-london.", False),
        _c("geo_code", "VARCHAR", "UK-PF-<force>, as in published.local_indicator_values.", False),
        _c("falls_within", "VARCHAR", "The force's name as written in the files ('Falls within')."),
        _c("month", "VARCHAR", "Calendar month, YYYY-MM.", False),
        _c("month_present", "BOOLEAN", "A street file for this force and month was landed.", False),
        _c(
            "crimes",
            "BIGINT",
            "Crimes counted (anti-social behaviour and repeated Crime IDs excluded); NULL when the month is missing.",
        ),
        _c("anti_social_behaviour", "BIGINT", "Anti-social behaviour incidents; NULL when the month is missing."),
        _c("force_median_crimes", "DOUBLE", "Median of `crimes` over the force's present months."),
        _c("ratio_to_median", "DOUBLE", "crimes / force_median_crimes; NULL when the month is missing."),
        _c(
            "no_location_share",
            "DOUBLE",
            "Share of the month's crimes without location (no LSOA, no coordinates: 'No Location'), 0-1.",
        ),
        _c("status", "VARCHAR", "ok, missing (no file) or collapsed (under half the force's median month).", False),
        _c("note", "VARCHAR", "What the status means for the published figures; NULL when ok."),
        _c("source_version", "VARCHAR", "police_uk_street@sha256:<prefix> of the month's files; NULL when missing."),
    ),
    ("force", "month"),
    may_be_empty=True,
)

INCIDENT_CHANGES = Table(
    "published",
    "incident_changes",
    "Changes in police.uk crime counts that are tested, not eyeballed: the same month a year earlier and year on "
    "year, per force and crime type and per LSOA, by an exact conditional binomial test of two Poisson counts, "
    "with Benjamini-Hochberg q-values over every test in the table. A direction only where q < 0.05. Nothing is "
    "compared across a change of the police.uk crime-type list, a missing or a collapsed month. One row per "
    "(comparison, geo_code, breakdown, series_variant, period_to).",
    (
        _c("comparison", "VARCHAR", "same_month_previous_year or year_on_year.", False),
        _c("geo_code", "VARCHAR", "UK-PF-<force> or an LSOA code.", False),
        _c("geo_level", "VARCHAR", "POLICE_FORCE_AREA or LSOA.", False),
        _c("breakdown", "VARCHAR", "police.uk crime type, or ALL_CRIME (anti-social behaviour never included).", False),
        _c("series_variant", "VARCHAR", "police.uk (force) or recorded_by:<force> (LSOA).", False),
        _c("period_from", "VARCHAR", "Earlier period (YYYY-MM or YYYY).", False),
        _c("period_to", "VARCHAR", "Later period, one year after period_from.", False),
        _c("count_from", "DOUBLE", "Crimes in period_from.", False),
        _c("count_to", "DOUBLE", "Crimes in period_to.", False),
        _c("ratio", "DOUBLE", "count_to / count_from; NULL when count_from is 0."),
        _c(
            "ratio_ci_low",
            "DOUBLE",
            "Lower 95 % exact limit of the rate ratio (Clopper-Pearson on the "
            "conditional binomial); NULL when both counts are 0.",
        ),
        _c("ratio_ci_high", "DOUBLE", "Upper 95 % exact limit of the rate ratio; NULL when unbounded or both 0."),
        _c("p_value", "DOUBLE", "Exact conditional binomial test of equal rates (scipy binomtest).", False),
        _c("q_value", "DOUBLE", "Benjamini-Hochberg q-value over every test in the table (statsmodels).", False),
        _c(
            "direction",
            "VARCHAR",
            "up or down where q < 0.05; inconclusive where the 95 % interval of the ratio still holds a halving "
            "or a doubling (too few crimes to tell); otherwise no_significant_change.",
            False,
        ),
        _c("source_dataset", "VARCHAR", "police_uk_street.", False),
    ),
    ("comparison", "geo_code", "breakdown", "series_variant", "period_to"),
    may_be_empty=True,
)

PUBLISHED_TABLES: tuple[Table, ...] = (
    INDICATOR_VALUES,
    INDICATORS,
    GEOGRAPHIES,
    SELF_ASSESSMENT,
    CRIME_AND_FEELING,
    LOCAL_INDICATOR_VALUES,
    INCIDENT_COMPLETENESS,
    INCIDENT_CHANGES,
)


def empty_frame(table: Table) -> pl.DataFrame:
    return pl.DataFrame(schema=table.polars_schema)


def conform(table: Table, frame: pl.DataFrame) -> pl.DataFrame:
    """The frame with exactly the table's columns, in order and type; raises if a column is missing or extra."""
    missing = [c for c in table.column_names if c not in frame.columns]
    extra = [c for c in frame.columns if c not in table.column_names]
    if missing or extra:
        raise ValueError(f"{table.qualified_name}: missing columns {missing}, unexpected columns {extra}")
    return frame.select(table.column_names).cast(table.polars_schema, strict=True)


def contract_markdown() -> str:
    """The contract section of the docs, generated from the declarations above."""
    out = []
    for t in PUBLISHED_TABLES:
        out.append(f"### `{t.qualified_name}`\n\n{t.description}\n\nKey: `{', '.join(t.key)}`.\n")
        out.append("| column | type | null | description |\n|---|---|---|---|")
        out += [f"| `{c.name}` | {c.type} | {'yes' if c.nullable else 'no'} | {c.description} |" for c in t.columns]
        out.append("")
    return "\n".join(out)
