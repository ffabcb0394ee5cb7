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


_REQUIRED = object()


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # DuckDB type
    description: str
    nullable: bool = True
    # A column with a default may be left out by a transform it does not concern (the survey sample of a
    # crime rate); conform() then adds it with this value. Columns without one must always be produced.
    default: object = _REQUIRED

    @property
    def has_default(self) -> bool:
        return self.default is not _REQUIRED

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


def _c(name: str, type_: str, description: str, nullable: bool = True, default: object = _REQUIRED) -> Column:
    return Column(name, type_, description, nullable, default)


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
        "approximate: see `note` and sample_size); NULL when the value has no sampling model (administrative "
        "amounts, registers, mean ratings without a published dispersion) or when the limits are withheld "
        "because the source flags the value u (low reliability: the sample behind it is unknown).",
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
        "The base: population on 1 January of the same territory and year for rates, the register total for "
        "shares of a register; NULL for counts and for survey shares (their assumed sample is in sample_size).",
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
    _c(
        "sample_size",
        "DOUBLE",
        "Survey shares only: the number of interviews the interval assumes. The surveys publish shares without "
        "counts, so this is the survey's documented sample size per city and wave (or EU-SILC's minimum "
        "effective sample size per country), an assumption cited in `note`; NULL for non-survey values.",
        default=None,
    ),
    _c(
        "design_effect",
        "DOUBLE",
        "Survey shares only: the design effect the interval divides `sample_size` by (Kish), where the survey "
        "documents one for this territory and wave; NULL when none is documented (the interval then ignores "
        "weighting and is too narrow: read it as indicative).",
        default=None,
    ),
    _c(
        "dont_know_share",
        "DOUBLE",
        "Agree/disagree survey items only: the share answering 'don't know / no answer', in % of all "
        "respondents; NULL when the item has no such answer or one of its answer shares is missing.",
        default=None,
    ),
    _c(
        "opinion_share",
        "DOUBLE",
        "Agree/disagree survey items only: `value` among respondents with an opinion (don't know left out), in "
        "%; comparisons between places use it, since don't-know shares differ widely between cities.",
        default=None,
    ),
    _c(
        "opinion_ci_low",
        "DOUBLE",
        "Lower 95 % Wilson limit of opinion_share (on the part of sample_size with an opinion).",
        default=None,
    ),
    _c("opinion_ci_high", "DOUBLE", "Upper 95 % Wilson limit of opinion_share.", default=None),
    _c(
        "example_data",
        "BOOLEAN",
        "True for values computed from the bundled example registers, which describe no real city: never "
        "compare, rank or report them.",
        False,
        default=False,
    ),
    _c(
        "quality_flags",
        "VARCHAR",
        "Screening flags, comma-separated codes in a fixed order (see the README's list and "
        "warehouse.metadata.QUALITY_FLAGS): small_count, implausible_jump, sources_disagree, low_reliability, "
        "high_dont_know, example_data; NULL when none applies.",
    ),
)

# The evidence every indicator figure carries, up to `note`; the columns after it (survey sample, screening) are
# added where they apply.
EVIDENCE_COLUMNS: tuple[str, ...] = tuple(c.name for c in INDICATOR_VALUE_COLUMNS)[
    : [c.name for c in INDICATOR_VALUE_COLUMNS].index("note") + 1
]

# The screening flags of published.indicator_values (transforms/screening.py), in the order they are written.
QUALITY_FLAGS: dict[str, str] = {
    "small_count": "the value rests on fewer than 10 recorded events: its relative uncertainty is large and a "
    "change of one or two events moves it visibly",
    "implausible_jump": "the count changed by a factor of 3 or more from the previous year of the same series "
    "with at least 500 events in both years: more likely a recording or boundary change than a change in crime",
    "sources_disagree": "two tables of the same source describe the same territory and year with counts that "
    "differ by more than 5 % (and more than one event): the national and the regional table, or the city and the "
    "regional table for a city that is its own NUTS 3 region",
    "low_reliability": "the source flags the value 'u' (low reliability): its interval is withheld",
    "high_dont_know": "at least 10 % of respondents answered 'don't know': compare places on opinion_share",
    "example_data": "computed from the bundled example registers, not from a real city",
}

INDICATOR_VALUES = Table(
    "published",
    "indicator_values",
    "Every published indicator figure with its evidence: value, 95 % limits, numerator, denominator, the "
    "survey sample assumed, the source flags, screening flags, comparability and source versions. One row per "
    "(indicator_id, breakdown, geo_code, period, series_variant).",
    INDICATOR_VALUE_COLUMNS,
    ("indicator_id", "breakdown", "geo_code", "period", "series_variant"),
)
# What each domain's transform produces: everything but the screening flags, which compare rows across
# domains and years and are added to the candidate of all values (transforms/screening.py).
DOMAIN_INDICATOR_VALUES = Table(
    "staging",
    "domain_indicator_values",
    "Indicator values of one domain before screening: the columns of published.indicator_values without quality_flags.",
    tuple(c for c in INDICATOR_VALUE_COLUMNS if c.name != "quality_flags"),
    INDICATOR_VALUES.key,
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
        # City <-> region (cities only, NULL for other levels), from Eurostat's LAU 2019: transforms/city_regions.py
        _c(
            "nuts3_code",
            "VARCHAR",
            "Cities: the NUTS 3 region (NUTS 2016 code, as in the LAU 2019 table) holding most of the city's "
            "municipalities (LAUs), weighed as nuts3_basis says; NULL when the city is not linked (see link_note).",
        ),
        _c(
            "nuts3_basis",
            "VARCHAR",
            "Cities: what 'most' is measured on: lau_population, lau_area (a LAU of the city has no population), "
            "lau_count (no population and no area, e.g. France).",
        ),
        _c(
            "territory_match",
            "VARCHAR",
            "Cities: same_territory (the city's LAUs are exactly the region's: the region's figures are the "
            "city's), part_of_region (the city is part of the region), spans_regions (its LAUs lie in several).",
        ),
        _c(
            "lau_match",
            "VARCHAR",
            "Cities: how the city was found in the LAU table: city_id or greater_city_id (same code, same name), "
            "city_name (LAU 2019 uses another code for the city: found by its name), documented_list "
            "(transforms/parameters/city_lau_overrides.csv, each entry with its source); NULL when not linked.",
        ),
        _c("lau_count", "INTEGER", "Cities: number of LAUs (municipalities) making up the city in LAU 2019."),
        _c(
            "city_population",
            "DOUBLE",
            "Cities: approximate population, the sum of the city's LAU populations in LAU 2019 (reference date not "
            "stated there; not a 1 January figure of a given year), or as city_population_source says; NULL when "
            "unknown (link_note says why). For peer groups, not a denominator.",
        ),
        _c("city_population_source", "VARCHAR", "Cities: where city_population comes from."),
        _c(
            "size_class",
            "VARCHAR",
            "Cities: EU-OECD city size class from city_population (Dijkstra & Poelman 2012, 'Cities in Europe: the "
            "new OECD-EC definition'): S 50-100k, M 100-250k, L 250-500k, XL 500k-1M, XXL 1M or more; NULL when "
            "the population is unknown or below 50,000.",
        ),
        _c(
            "link_note",
            "VARCHAR",
            "Cities: how the link was made or why it was not (renumbered code, documented source, missing "
            "population); NULL when nothing to add.",
        ),
    ),
    ("geo_code",),
)

SELF_ASSESSMENT = Table(
    "published",
    "self_assessment",
    "Action 1 self-assessment: for every country, NUTS region and city, and each of the six dimensions, the "
    "share of the dimension's indicators with a current value (coverage), how fine and regular the current data "
    "are (maturity 0-4) and, for cities and regions, how they compare with peers of the same country (position "
    "band, decided by intervals; detail in published.self_assessment_positions). Three separate scores, never "
    "one index. One row per (geo_code, dimension_code).",
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
            "The latest year of any source in this publication (context only: each indicator is judged current "
            "against its own source's latest release, see indicators_with_recent_value).",
            False,
        ),
        _c("indicators_in_dimension", "INTEGER", "Catalogue indicators belonging to the dimension.", False),
        _c(
            "indicators_with_recent_value",
            "INTEGER",
            "Of those, indicators with a current value for this territory: a value in its source's latest release "
            "period, or within the source's cycle (the year before for annual tables; surveys: the latest wave). "
            "A city that is its own NUTS 3 region counts the region's values as its own.",
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
            "Data maturity 0-4, one scale for every territory: 4 current annual rates (not counts) of the territory "
            "itself over 3+ consecutive years without a break; 3 current data of the territory itself, not "
            "trend-capable (survey waves, counts, short series); 2 current data only of a larger region containing "
            "it; 1 current data only for the whole country; 0 none. Countries are judged on national data.",
            False,
        ),
        _c("maturity_label", "VARCHAR", "The maturity level in words.", False),
        _c(
            "maturity_basis",
            "VARCHAR",
            "The evidence for the level: indicator, years and, for levels 1-2, the territory the data describe.",
            False,
        ),
        _c(
            "position",
            "DOUBLE",
            "Supplementary: mean percentile (0 worst, 100 best) over the comparisons that have a band; read "
            "position_band first. NULL when no comparison has a band.",
        ),
        _c("position_indicators", "INTEGER", "Comparisons with a band (indicator and breakdown).", False),
        _c("position_basis", "VARCHAR", "Each compared indicator with its band, period, what was compared and peers."),
        _c(
            "latest_years",
            "VARCHAR",
            "Every indicator of the dimension with the latest year this territory has a value for, '(not "
            "current)' when that is older than its source's cycle allows, 'none' when it has no value.",
            False,
        ),
        _c(
            "position_band",
            "VARCHAR",
            "better, similar or worse than the peers' median when every banded comparison agrees (similar: no "
            "interval excludes the median), mixed otherwise; NULL when nothing could be compared (see "
            "position_reason).",
        ),
        _c("indicators_better", "INTEGER", "Comparisons whose interval lies entirely on the better side.", False),
        _c("indicators_similar", "INTEGER", "Comparisons whose interval contains the peers' median.", False),
        _c("indicators_worse", "INTEGER", "Comparisons whose interval lies entirely on the worse side.", False),
        _c("position_reason", "VARCHAR", "Why there is no position_band; NULL when there is one."),
    ),
    ("geo_code", "dimension_code"),
)

SELF_ASSESSMENT_POSITIONS = Table(
    "published",
    "self_assessment_positions",
    "Each city's and region's comparison with its peers, per indicator of a dimension: the value compared with "
    "its 95 % interval, the peer group (same level, same country, same size class where at least 3 qualify), "
    "the peers' median and range, and the band decided by the interval (better, similar, worse), or why there "
    "is none. One row per (geo_code, dimension_code, indicator_id, breakdown).",
    (
        _c("geo_code", "VARCHAR", "City or NUTS region compared.", False),
        _c("geo_level", "VARCHAR", "NUTS1, NUTS2, NUTS3 or CITY.", False),
        _c("dimension_code", "VARCHAR", "Action 1 dimension D1-D6.", False),
        _c("indicator_id", "VARCHAR", "Indicator compared (published.indicators).", False),
        _c("breakdown", "VARCHAR", "Its breakdown (ICCS code for recorded crime); NULL when none."),
        _c("series_variant", "VARCHAR", "The series compared: always the indicator's latest variant.", False),
        _c("period", "VARCHAR", "The period compared: the latest the peer group has.", False),
        _c(
            "compared_on",
            "VARCHAR",
            "value, or opinion_share for survey items (the share among respondents with an opinion).",
            False,
        ),
        _c("value", "DOUBLE", "The territory's figure that was compared.", False),
        _c("ci_low", "DOUBLE", "Its lower 95 % limit; NULL when it has none (then no band)."),
        _c("ci_high", "DOUBLE", "Its upper 95 % limit."),
        _c(
            "via_region",
            "VARCHAR",
            "For a city that is its own NUTS 3 region: the region whose value this is; NULL for the city's own.",
        ),
        _c("peer_group", "VARCHAR", "Who the peers are, e.g. 'cities of DE, size class XL'.", False),
        _c("peers", "INTEGER", "Comparable peers, the territory itself not counted.", False),
        _c("peer_median", "DOUBLE", "Median of the peers' figures; NULL without peers."),
        _c("peer_min", "DOUBLE", "Lowest peer figure."),
        _c("peer_max", "DOUBLE", "Highest peer figure."),
        _c(
            "band",
            "VARCHAR",
            "better / worse: the interval lies entirely on that side of peer_median (direction-aware); similar: "
            "it contains it; NULL when not compared (see reason).",
        ),
        _c("percentile", "DOUBLE", "Supplementary: percentile among the peers and itself (0 worst, 100 best)."),
        _c("reason", "VARCHAR", "Why there is no band; NULL when there is one."),
    ),
    ("geo_code", "dimension_code", "indicator_id", "breakdown"),
    may_be_empty=True,
)

CRIME_AND_FEELING = Table(
    "published",
    "crime_and_feeling",
    "Recorded crime and feeling safe side by side, per city, between two consecutive survey waves of one series: "
    "homicides recorded in the three calendar years before each wave's fieldwork year, and the share feeling "
    "safe, each with its own test, directions decided on Benjamini-Hochberg q-values over the whole table, and "
    "a divergence label; never blended into one index. No row spans a series break (the 2019 wording change, "
    "the 2009-2012 break of the feeling-safe items, a Eurostat break flag). One row per (geo_code, period_from, "
    "period_to).",
    (
        _c("geo_code", "VARCHAR", "Urban Audit city code.", False),
        _c("period_from", "VARCHAR", "Earlier survey wave (YYYY).", False),
        _c("period_to", "VARCHAR", "Later survey wave (YYYY), same series.", False),
        _c(
            "crime_indicator_id",
            "VARCHAR",
            "Crime indicator compared (SEC_HOM_COUNT_CITY: homicides recorded in the city, the only crime series "
            "the survey cities have as cities).",
            False,
        ),
        _c("crime_from", "DOUBLE", "Homicides recorded in crime_window_from (sum of the three years).", False),
        _c("crime_to", "DOUBLE", "Homicides recorded in crime_window_to.", False),
        _c("crime_ratio", "DOUBLE", "crime_to / crime_from; NULL when crime_from is 0 (no finite ratio)."),
        _c(
            "crime_ratio_ci_low",
            "DOUBLE",
            "Lower 95 % exact limit of the ratio (conditional binomial, equal exposure assumed: population change "
            "over the windows is not accounted for); NULL when undefined.",
        ),
        _c("crime_ratio_ci_high", "DOUBLE", "Upper 95 % exact limit of the ratio; NULL when infinite."),
        _c("crime_p_value", "DOUBLE", "Exact conditional test of equal counts (scipy binomtest).", False),
        _c(
            "crime_direction",
            "VARCHAR",
            "up or down (q < 0.05), stable (not significant and the ratio's interval within 0.8-1.25), "
            "inconclusive (the test could not tell: too few events), not_assessed (see note).",
            False,
        ),
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
        _c(
            "feeling_direction",
            "VARCHAR",
            "safer or less_safe (q < 0.05), stable (not significant and the change's interval within +-5 points), "
            "inconclusive otherwise.",
            False,
        ),
        _c(
            "divergence",
            "VARCHAR",
            "aligned (crime down and safer, or up and less safe), divergent (opposite), crime_changed_feeling_stable, "
            "feeling_changed_crime_stable, both_stable, inconclusive (a side could not tell), not_assessed (no "
            "usable crime figure, see note).",
            False,
        ),
        _c("crime_q_value", "DOUBLE", "Benjamini-Hochberg q-value of crime_p_value; NULL when not assessed."),
        _c("feeling_p_value", "DOUBLE", "Score test of equal shares (statsmodels test_proportions_2indep).", False),
        _c("feeling_q_value", "DOUBLE", "Benjamini-Hochberg q-value of feeling_p_value.", False),
        _c(
            "crime_window_from",
            "VARCHAR",
            "Years of crime_from (YYYY-YYYY): the three calendar years before period_from.",
            False,
        ),
        _c("crime_window_to", "VARCHAR", "Years of crime_to: the three calendar years before period_to.", False),
        _c(
            "note",
            "VARCHAR",
            "Why the crime side is not assessed (e.g. the city's count disagrees with the regional table of the "
            "same territory); NULL when it is.",
        ),
    ),
    ("geo_code", "period_from", "period_to"),
    may_be_empty=True,
)

CODE_LABELS = Table(
    "published",
    "code_labels",
    "Labels of the codes in the published tables, for analysts: ICCS offence categories (breakdown of "
    "SEC_RECORDED_RATE), ESIF thematic objectives (breakdown of FUND_*), Eurostat flags, and this project's own "
    "codes (geo_level, comparability, ci_method, territory_match, lau_match, nuts3_basis, size_class). One row per "
    "(code_list, code).",
    (
        _c(
            "code_list",
            "VARCHAR",
            "Which list the code belongs to: iccs, esif_thematic_objective, obs_status, conf_status, or the name of "
            "the published column the code appears in (geo_level, comparability, ci_method, territory_match, "
            "lau_match, nuts3_basis, size_class).",
            False,
        ),
        _c("code", "VARCHAR", "The code as it appears in the published tables.", False),
        _c("label", "VARCHAR", "Its meaning in words (English).", False),
        _c("source", "VARCHAR", "Where the label comes from (the code list file or the publication).", False),
    ),
    ("code_list", "code"),
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
    # The evidence columns of indicator_values up to `note`: the survey-sample and screening columns do not apply
    # to local counts yet (screening of local values is open work).
    tuple(_LOCAL_GEO.get(c.name, c) for c in INDICATOR_VALUE_COLUMNS if c.name in EVIDENCE_COLUMNS),
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
    SELF_ASSESSMENT_POSITIONS,
    CRIME_AND_FEELING,
    CODE_LABELS,
    LOCAL_INDICATOR_VALUES,
    INCIDENT_COMPLETENESS,
    INCIDENT_CHANGES,
)


def empty_frame(table: Table) -> pl.DataFrame:
    return pl.DataFrame(schema=table.polars_schema)


def conform(table: Table, frame: pl.DataFrame) -> pl.DataFrame:
    """The frame with exactly the table's columns, in order and type; raises if a column is missing or extra.
    Columns declared with a default are added with it when the frame does not have them."""
    absent = [c for c in table.columns if c.has_default and c.name not in frame.columns]
    frame = frame.with_columns(pl.lit(c.default, dtype=c.polars_type).alias(c.name) for c in absent)
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
