"""Every quality suite, generated: the structure from where each table is declared, the semantic rules by hand.

A suite is a GX 1.x suite dict (``{"name", "meta", "notes", "expectations": [{"type", "kwargs"}]}``) named
``<layer>.<table>``. Its structural expectations are derived, never written out:

* published tables, their staging candidates and the per-domain ``staging.<domain>_indicator_values`` from
  :mod:`warehouse.metadata` (columns in order, types, NOT NULL columns, the unique key) and the catalogue (the
  indicator ids and units it declares);
* raw Eurostat tables from the registry's dimensions (:data:`sources.eurostat.EUROSTAT_DIMENSIONS`) and the cell
  columns every reader adds; quarantine tables from :data:`sources.quarantine.QUARANTINE_SCHEMA`; the other working
  tables from the Polars schema their producer declares;
* a row-count band of 0.5x-3x the rows the bundled data gives (quarantine tables: any number).

:mod:`expectations.rules` holds what no declaration says: ranges, code lists and cross-column rules.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import polars as pl

from expectations import rules
from sources.cohesion import ESIF_PLANNED_SCHEMA
from sources.eurostat import CONF_STATUS_CODES, EUROSTAT_DIMENSIONS, FLAG_CHARS, OBS_STATUS_CODES
from sources.lau import LAU_SCHEMA
from sources.quarantine import QUARANTINE_SCHEMA, REASONS
from sources.registers import COLLECTIVE_IMPACT_SCHEMA, PREVENTION_SCHEMA
from sources.registry import ALL_INPUTS
from transforms.city_regions import CITY_REGION_SCHEMA
from transforms.crime import HOMICIDE_CHECK_SCHEMA
from transforms.observations import OBSERVATION_SCHEMA
from transforms.population import POPULATION_SCHEMA
from warehouse.catalogue import CATALOGUE
from warehouse.catalogue.action5 import ACTION5_INDICATORS
from warehouse.catalogue.crime import CRIME_INDICATORS, SEC_HOM_RATE_CITY
from warehouse.catalogue.funding import FUNDING_INDICATORS
from warehouse.catalogue.indicator import Indicator
from warehouse.catalogue.survey import SURVEY_INDICATORS
from warehouse.metadata import DOMAIN_INDICATOR_VALUES, PUBLISHED_TABLES, Table

LAYERS = ("raw", "staging", "published")
# Candidates checked before publication: their suites are the published table's.
CANDIDATES = (
    "indicator_values",
    "geographies",
    "self_assessment",
    "self_assessment_positions",
    "crime_and_feeling",
    "code_labels",
    "local_indicator_values",
    "incident_completeness",
    "incident_changes",
)
# staging.<domain>_indicator_values and the catalogue entries each may hold.
DOMAIN_VALUES = {
    "crime": CRIME_INDICATORS,
    "survey": SURVEY_INDICATORS,
    "funding": FUNDING_INDICATORS,
    "register": ACTION5_INDICATORS,
}
# Other staging tables in the shape of one domain's values, with the catalogue entries each may hold.
VALUE_SHAPED = {"staging.city_homicide_rates": (SEC_HOM_RATE_CITY,)}
# Columns every raw table carries besides what it read (pipelines/defs/ingest/assets.py).
RAW_PROVENANCE = {"source_file": pl.String, "sha256": pl.String, "source_version": pl.String, "loaded_at": pl.Datetime}
# Cell columns of a raw Eurostat table (sources.eurostat): TSV cells know their line, JSON-stat cells their index.
EUROSTAT_CELLS = {"period": pl.String, "value_raw": pl.String, "value": pl.Float64, "flags": pl.String}
EUROSTAT_CELLS |= {"obs_status": pl.String, "conf_status": pl.String}
QUARANTINE_MAX_ROWS = 5_000_000

_GX_TYPES = {pl.String: "str", pl.Float64: "float64", pl.Int32: "int32", pl.Int64: "int64", pl.Boolean: "bool"}


def _e(kind: str, **kwargs: Any) -> dict[str, Any]:
    return {"type": f"expect_{kind}", "kwargs": kwargs}


def structure(
    columns: Sequence[str],
    *,
    types: Mapping[str, Any] | None = None,
    not_null: Iterable[str] = (),
    key: Sequence[str] = (),
    ordered: bool = True,
) -> list[dict[str, Any]]:
    """Columns (in order, or present when not ``ordered``), each column's type where GX can check it (strings,
    floats, integers, booleans), NOT NULL columns and the unique key."""
    out = [
        _e("table_columns_to_match_ordered_list", column_list=list(columns))
        if ordered
        else _e("table_columns_to_match_set", column_set=list(columns), exact_match=False)
    ]
    for column, dtype in (types or {}).items():
        gx_type = _GX_TYPES.get(dtype.base_type() if isinstance(dtype, pl.DataType) else dtype)
        if gx_type:
            out.append(_e("column_values_to_be_of_type", column=column, type_=gx_type))
    out += [_e("column_values_to_not_be_null", column=c) for c in not_null]
    if len(key) == 1:
        out.append(_e("column_values_to_be_unique", column=key[0]))
    elif key:
        out.append(_e("compound_columns_to_be_unique", column_list=list(key)))
    return out


def codes(columns: Iterable[str]) -> list[dict[str, Any]]:
    """The code lists the readers accept, for whichever of these columns a table has: Eurostat's observation and
    confidentiality status letters (a flag string may also hold the ``@`` marker), a sha256 in hex."""
    patterns = {
        "obs_status": f"^[{''.join(sorted(OBS_STATUS_CODES))}]+$",
        "conf_status": f"^[{''.join(sorted(CONF_STATUS_CODES - {'c'}))}]+$",
        "flags": f"^[{FLAG_CHARS}]*$",
        "sha256": "^[0-9a-f]{64}$",
    }
    return [_e("column_values_to_match_regex", column=c, regex=patterns[c]) for c in columns if c in patterns]


def _row_band(name: str) -> dict[str, Any]:
    """0.5x-3x of the bundled rows; from 0 where the contract allows an empty table; quarantine: any number."""
    if ".quarantine" in name:
        low, high = 0, QUARANTINE_MAX_ROWS
    elif name in rules.ROW_BANDS:
        low, high = rules.ROW_BANDS[name]
    else:
        bundled = rules.BUNDLED_ROWS[name]
        may_be_empty = any(t.name == table_of(name)[1] and t.may_be_empty for t in PUBLISHED_TABLES)
        low, high = 0 if may_be_empty else bundled // 2, 3 * bundled
    return _e("table_row_count_to_be_between", min_value=low, max_value=high)


def _from_metadata(table: Table, catalogue: Sequence[Indicator] = CATALOGUE) -> list[dict[str, Any]]:
    """Structure from the table's declaration; indicator ids and units from the catalogue entries it may hold."""
    out = structure(
        table.column_names,
        types=table.polars_schema,
        not_null=[c.name for c in table.columns if not c.nullable],
        key=table.key,
    )
    for column, values in (
        ("indicator_id", {i.indicator_id for i in catalogue}),
        ("unit", {i.unit for i in catalogue}),
    ):
        if column in table.column_names:
            out.append(_e("column_values_to_be_in_set", column=column, value_set=sorted(values)))
    return out


def _raw_eurostat(name: str, tsv: bool) -> list[dict[str, Any]]:
    dims = list(EUROSTAT_DIMENSIONS[name])  # freq, where declared (the API's layout); a bulk file has none
    cells = EUROSTAT_CELLS | ({"source_line": pl.Int32} if tsv else {"source_index": pl.Int64})
    columns = [*dims, *cells, *RAW_PROVENANCE]
    return structure(
        columns,
        types=cells,
        not_null=[*dims, "period", "value_raw", "source_file", "sha256"],
        key=[*dims, "period"],
        ordered=False,
    )


def _generated(name: str) -> list[dict[str, Any]]:
    layer, table = table_of(name)
    published = {t.name: t for t in PUBLISHED_TABLES}
    if layer == "published" or (layer == "staging" and table in CANDIDATES):
        return _from_metadata(published[table])
    if layer == "staging" and table.removesuffix("_indicator_values") in DOMAIN_VALUES:
        return _from_metadata(DOMAIN_INDICATOR_VALUES, DOMAIN_VALUES[table.removesuffix("_indicator_values")])
    if name in VALUE_SHAPED:
        return _from_metadata(DOMAIN_INDICATOR_VALUES, VALUE_SHAPED[name])
    if table == "quarantine" or table.startswith("quarantine_"):
        schema = QUARANTINE_SCHEMA | {"loaded_at": pl.Datetime}
        out = structure(list(schema), not_null=["source_file", "line", "column", "reason"])
        return [*out, _e("column_values_to_be_in_set", column="reason", value_set=list(REASONS))]
    if layer == "raw" and table in EUROSTAT_DIMENSIONS:
        source = next(s for s in ALL_INPUTS if s.name == table)
        return _raw_eurostat(table, tsv=not source.relpath.endswith(".json"))
    schemas: dict[str, Mapping[str, Any]] = {
        "raw.esif_planned": ESIF_PLANNED_SCHEMA | RAW_PROVENANCE,
        "raw.nuts_lau_2019": LAU_SCHEMA | RAW_PROVENANCE,
        "staging.city_regions": CITY_REGION_SCHEMA | {"lau_source_version": pl.String},
        "staging.homicide_city_vs_region": HOMICIDE_CHECK_SCHEMA,
        "staging.observations": OBSERVATION_SCHEMA,
        "staging.population": POPULATION_SCHEMA,
        # The register's rows, with the title of the ESIF programme each measure names (if any).
        "staging.prevention_measures": PREVENTION_SCHEMA | {"programme_title": pl.String},
        "staging.collective_impact_initiatives": COLLECTIVE_IMPACT_SCHEMA,
    }
    if name in schemas:
        return structure(list(schemas[name]), types=schemas[name], ordered=layer != "raw")
    return structure(rules.COLUMNS[name], ordered=layer != "raw")


def table_of(name: str) -> tuple[str, str]:
    """(layer, table) of a suite name."""
    layer, _, table = name.partition(".")
    if layer not in LAYERS or not table:
        raise ValueError(f"suite name {name!r} is not <layer>.<table> with layer one of {LAYERS}")
    return layer, table


def suite_names() -> list[str]:
    """Every suite, ``<layer>.<table>``, sorted: one per raw, staging and published table."""
    raw = [f"raw.{s.name}" for s in ALL_INPUTS] + [f"raw.quarantine_{s.name}" for s in ALL_INPUTS]
    staging = [f"staging.{t}" for t in CANDIDATES] + [f"staging.{d}_indicator_values" for d in DOMAIN_VALUES]
    staging += ["staging.observations", "staging.population", "staging.quarantine", "staging.register_errors"]
    staging += ["staging.prevention_measures", "staging.collective_impact_initiatives"]
    staging += ["staging.city_regions", "staging.homicide_city_vs_region", *VALUE_SHAPED]
    return sorted([*raw, *staging, *(t.qualified_name for t in PUBLISHED_TABLES)])


def build_suite(name: str) -> dict[str, Any]:
    """The suite of table ``name`` as a GX 1.x suite dict: generated structure, row band, then the semantic rules."""
    if name not in suite_names():
        raise KeyError(f"no GX suite {name!r}; known: {', '.join(suite_names())}")
    layer, table = table_of(name)
    semantic = rules.SEMANTIC.get(name) or rules.SEMANTIC.get(f"*.{table}", [])
    if not semantic and table.startswith("quarantine"):
        semantic = rules.SEMANTIC["*.quarantine"]
    generated = _generated(name)
    columns = next(e["kwargs"].get("column_list") or e["kwargs"]["column_set"] for e in generated)
    expectations = [*generated, *codes(columns), _row_band(name), *(_e(kind, **kwargs) for kind, kwargs in semantic)]
    return {
        "name": name,
        "meta": {"layer": layer, "table": table, "generated_by": "expectations.suites"},
        "expectations": expectations,
    }
