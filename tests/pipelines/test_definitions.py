"""The code location loads, and published names never change by accident (the asset-key snapshot)."""

from __future__ import annotations

import dagster as dg

from pipelines.definitions import defs

# Asset keys are table names analysts and dashboards use. Renaming one is a breaking change: update this
# snapshot on purpose, with the README and a note to users.
ASSET_KEYS = {
    "raw/city_codes",
    "raw/crim_gen_reg",
    "raw/crim_hom_ocit",
    "raw/crim_off_cat",
    "raw/demo_pjan",
    "raw/demo_r_pjanaggr3",
    "raw/esif_planned",
    "raw/geo_codes",
    "raw/iccs_labels",
    "raw/ilc_mddw03",
    "raw/ilc_pw03",
    "raw/ilc_pw03b",
    "raw/ilc_scp09",
    "raw/ilc_scp15",
    "raw/ilc_scp17",
    "raw/ilc_scp19",
    "raw/tps00001",
    "raw/urb_percep",
    "raw/police_uk_street",
    "raw/ssmsi_dep",
    "staging/collective_impact_initiatives",
    "staging/crime_and_feeling",
    "staging/crime_indicator_values",
    "staging/funding_indicator_values",
    "staging/geographies",
    "staging/indicator_values",
    "staging/observations",
    "staging/population",
    "staging/prevention_measures",
    "staging/quarantine",
    "staging/register_errors",
    "staging/register_indicator_values",
    "staging/self_assessment",
    "staging/survey_indicator_values",
    "staging/local_indicator_values",
    "staging/incident_completeness",
    "staging/incident_changes",
    "published/crime_and_feeling",
    "published/geographies",
    "published/indicator_values",
    "published/indicators",
    "published/self_assessment",
    "published/local_indicator_values",
    "published/incident_completeness",
    "published/incident_changes",
}
BLOCKING_CHECKS = {
    "staging/indicator_values": {
        "contract_indicator_values",
        "ci_brackets_value_indicator_values",
        "rate_arithmetic_indicator_values",
        "values_in_range_indicator_values",
        "gx_indicator_values",
    },
    "staging/geographies": {"contract_geographies", "gx_geographies"},
    "staging/self_assessment": {"rules_self_assessment", "gx_self_assessment"},
    "staging/crime_and_feeling": {"no_break_spanned_crime_and_feeling", "gx_crime_and_feeling"},
    "staging/local_indicator_values": {
        "contract_local_indicator_values",
        "evidence_local_indicator_values",
        "no_anti_social_behaviour_in_crime",
    },
    "staging/incident_completeness": {"contract_incident_completeness"},
    "staging/incident_changes": {"contract_incident_changes"},
}


def test_definitions_load() -> None:
    dg.Definitions.validate_loadable(defs)


def test_asset_keys_snapshot() -> None:
    keys = {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()}
    assert keys == ASSET_KEYS


def test_every_asset_is_described_grouped_and_kinded() -> None:
    graph = defs.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        assert node.description and len(node.description) > 30, key
        # Groups are <layer>_<source or domain>: raw_eurostat_crime, staging_survey, published.
        assert node.group_name.split("_")[0] == key.path[0], f"{key} sits in group {node.group_name}"
        assert node.kinds, key


def test_published_tables_declare_their_column_schema_and_publish_tag() -> None:
    graph = defs.resolve_asset_graph()
    for name in (
        "indicator_values",
        "indicators",
        "geographies",
        "self_assessment",
        "crime_and_feeling",
        "local_indicator_values",
        "incident_completeness",
        "incident_changes",
    ):
        node = graph.get(dg.AssetKey(["published", name]))
        assert node.metadata["dagster/column_schema"].columns
        assert node.tags.get("publish") == "dashboard"


def test_candidate_checks_are_blocking() -> None:
    found: dict[str, set[str]] = {}
    for checks_def in defs.asset_checks or []:
        for spec in checks_def.check_specs:
            if spec.blocking:
                found.setdefault(spec.asset_key.to_user_string(), set()).add(spec.name)
    assert found == BLOCKING_CHECKS


def test_jobs_schedules_follow_release_rhythms_and_sensor() -> None:
    assert defs.resolve_job_def("urban_safety_all")
    monthly = defs.resolve_schedule_def("monthly_refresh")
    yearly = defs.resolve_schedule_def("yearly_refresh")
    assert (monthly.cron_schedule, yearly.cron_schedule) == ("0 6 2 * *", "0 6 15 1 *")
    monthly_raw = {
        k.to_user_string()
        for k in defs.resolve_job_def(monthly.job_name).asset_layer.selected_asset_keys
        if k.path[0] == "raw"
    }
    yearly_raw = {
        k.to_user_string()
        for k in defs.resolve_job_def(yearly.job_name).asset_layer.selected_asset_keys
        if k.path[0] == "raw"
    }
    assert {"raw/crim_off_cat", "raw/crim_gen_reg", "raw/demo_r_pjanaggr3"} <= monthly_raw
    assert "raw/urb_percep" in yearly_raw and "raw/urb_percep" not in monthly_raw
    assert defs.resolve_sensor_def("upstream_changes").job_name == "urban_safety_all"


def test_writers_are_serialised_by_the_instance_configuration() -> None:
    """Every asset that writes DuckDB is in the duckdb_write pool; dagster.yaml gives pools one slot. The incident
    partitions write Parquet only, each its own month or year folder: pool parquet_write."""
    import yaml

    from sources.config import PROJECT_ROOT

    config = yaml.safe_load((PROJECT_ROOT / "dagster.yaml").read_text())
    assert config["concurrency"]["pools"]["default_limit"] == 1
    graph = defs.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        expected = {"parquet_write"} if graph.get(key).group_name == "raw_incidents" else {"duckdb_write"}
        assert graph.get(key).pools == expected, key
