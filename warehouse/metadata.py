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

PUBLISHED_TABLES: tuple[Table, ...] = (INDICATOR_VALUES, INDICATORS, GEOGRAPHIES)


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
