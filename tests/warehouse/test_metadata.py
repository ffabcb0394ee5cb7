"""The contract is declared once; docs, DDL and the catalogue derive from it."""

from __future__ import annotations

import pytest

from sources.config import PROJECT_ROOT
from warehouse.catalogue import CATALOGUE, catalogue_frame
from warehouse.metadata import INDICATOR_VALUES, PUBLISHED_TABLES, contract_markdown, quote_ident

# The published contract dashboards rely on. Changing it is a breaking change: update this list, the
# README and the changelog together, on purpose.
CONTRACT_COLUMNS = {
    "published.indicator_values": [
        "indicator_id",
        "breakdown",
        "geo_code",
        "geo_level",
        "period",
        "value",
        "unit",
        "ci_low",
        "ci_high",
        "ci_method",
        "numerator",
        "denominator",
        "obs_status",
        "conf_status",
        "series_variant",
        "comparability",
        "source_dataset",
        "source_version",
        "note",
        "sample_size",
        "design_effect",
        "dont_know_share",
        "opinion_share",
        "opinion_ci_low",
        "opinion_ci_high",
        "example_data",
        "quality_flags",
    ],
    "published.indicators": [
        "indicator_id",
        "name",
        "dimension",
        "unit",
        "direction",
        "formula",
        "breakdown",
        "geo_levels",
        "sources",
        "ci_method",
        "caveats",
        "comparability",
    ],
    "published.geographies": [
        "geo_code",
        "geo_level",
        "name",
        "country_code",
        "parent_code",
        "nuts3_code",
        "nuts3_basis",
        "territory_match",
        "lau_match",
        "lau_count",
        "city_population",
        "city_population_source",
        "size_class",
        "link_note",
    ],
    "published.self_assessment": [
        "geo_code",
        "geo_level",
        "dimension_code",
        "dimension",
        "reference_year",
        "indicators_in_dimension",
        "indicators_with_recent_value",
        "coverage",
        "maturity",
        "maturity_label",
        "maturity_basis",
        "position",
        "position_indicators",
        "position_basis",
        "latest_years",
        "position_band",
        "indicators_better",
        "indicators_similar",
        "indicators_worse",
        "position_reason",
    ],
    "published.self_assessment_positions": [
        "geo_code",
        "geo_level",
        "dimension_code",
        "indicator_id",
        "breakdown",
        "series_variant",
        "period",
        "compared_on",
        "value",
        "ci_low",
        "ci_high",
        "via_region",
        "peer_group",
        "peers",
        "peer_median",
        "peer_min",
        "peer_max",
        "band",
        "percentile",
        "reason",
    ],
    "published.crime_and_feeling": [
        "geo_code",
        "period_from",
        "period_to",
        "crime_indicator_id",
        "crime_from",
        "crime_to",
        "crime_ratio",
        "crime_ratio_ci_low",
        "crime_ratio_ci_high",
        "crime_p_value",
        "crime_direction",
        "feeling_indicator_id",
        "feeling_series_variant",
        "feeling_from",
        "feeling_to",
        "feeling_change_pp",
        "feeling_change_ci_low",
        "feeling_change_ci_high",
        "feeling_direction",
        "divergence",
        "crime_q_value",
        "feeling_p_value",
        "feeling_q_value",
        "crime_window_from",
        "crime_window_to",
        "note",
    ],
    "published.code_labels": [
        "code_list",
        "code",
        "label",
        "source",
    ],
    "published.local_indicator_values": [
        "indicator_id",
        "breakdown",
        "geo_code",
        "geo_level",
        "period",
        "value",
        "unit",
        "ci_low",
        "ci_high",
        "ci_method",
        "numerator",
        "denominator",
        "obs_status",
        "conf_status",
        "series_variant",
        "comparability",
        "source_dataset",
        "source_version",
        "note",
    ],
    "published.incident_completeness": [
        "force",
        "geo_code",
        "falls_within",
        "month",
        "month_present",
        "crimes",
        "anti_social_behaviour",
        "force_median_crimes",
        "ratio_to_median",
        "no_location_share",
        "status",
        "note",
        "source_version",
    ],
    "published.incident_changes": [
        "comparison",
        "geo_code",
        "geo_level",
        "breakdown",
        "series_variant",
        "period_from",
        "period_to",
        "count_from",
        "count_to",
        "ratio",
        "ratio_ci_low",
        "ratio_ci_high",
        "p_value",
        "q_value",
        "direction",
        "source_dataset",
    ],
}

# The contract as first published: later versions may only add columns after these (and add tables).
FIRST_CONTRACT = {
    "published.indicator_values": [
        "indicator_id",
        "breakdown",
        "geo_code",
        "geo_level",
        "period",
        "value",
        "unit",
        "ci_low",
        "ci_high",
        "ci_method",
        "numerator",
        "denominator",
        "obs_status",
        "conf_status",
        "series_variant",
        "comparability",
        "source_dataset",
        "source_version",
        "note",
    ],
    "published.indicators": [
        "indicator_id",
        "name",
        "dimension",
        "unit",
        "direction",
        "formula",
        "breakdown",
        "geo_levels",
        "sources",
        "ci_method",
        "caveats",
        "comparability",
    ],
    "published.geographies": [
        "geo_code",
        "geo_level",
        "name",
        "country_code",
        "parent_code",
    ],
    "published.self_assessment": [
        "geo_code",
        "geo_level",
        "dimension_code",
        "dimension",
        "reference_year",
        "indicators_in_dimension",
        "indicators_with_recent_value",
        "coverage",
        "maturity",
        "maturity_label",
        "maturity_basis",
        "position",
        "position_indicators",
        "position_basis",
    ],
    "published.crime_and_feeling": [
        "geo_code",
        "period_from",
        "period_to",
        "crime_indicator_id",
        "crime_from",
        "crime_to",
        "crime_ratio",
        "crime_ratio_ci_low",
        "crime_ratio_ci_high",
        "crime_p_value",
        "crime_direction",
        "feeling_indicator_id",
        "feeling_series_variant",
        "feeling_from",
        "feeling_to",
        "feeling_change_pp",
        "feeling_change_ci_low",
        "feeling_change_ci_high",
        "feeling_direction",
        "divergence",
    ],
}


def test_published_contract_is_stable() -> None:
    assert {t.qualified_name: t.column_names for t in PUBLISHED_TABLES} == CONTRACT_COLUMNS
    assert INDICATOR_VALUES.key == ("indicator_id", "breakdown", "geo_code", "period", "series_variant")


def test_contract_changes_are_additive() -> None:
    for table, columns in FIRST_CONTRACT.items():
        assert CONTRACT_COLUMNS[table][: len(columns)] == columns, table


def test_every_table_and_column_is_described() -> None:
    for table in PUBLISHED_TABLES:
        assert len(table.description) > 40
        for column in table.columns:
            assert len(column.description) > 10, f"{table.qualified_name}.{column.name}"


def test_readme_carries_the_generated_contract() -> None:
    """README's contract section is generated (python -m warehouse.docs); it must match the declarations."""
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    assert contract_markdown() in readme, "README is stale: run `.venv/bin/python -m warehouse.docs`"


def test_catalogue_rows_are_complete() -> None:
    frame = catalogue_frame()
    assert frame["indicator_id"].to_list() == [i.indicator_id for i in CATALOGUE]
    assert frame["indicator_id"].is_unique().all()
    for row in frame.iter_rows(named=True):
        for field in ("name", "dimension", "unit", "direction", "formula", "sources", "caveats", "comparability"):
            assert row[field], f"{row['indicator_id']}.{field} is empty"
        assert row["direction"] in {"+", "-", "ctx"}


@pytest.mark.parametrize("name", ["x; DROP TABLE y", "a b", 't"', ""])
def test_identifiers_are_refused_unless_plain(name: str) -> None:
    with pytest.raises(ValueError, match="refusing identifier"):
        quote_ident(name)
