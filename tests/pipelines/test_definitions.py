"""The code location loads, and published names never change by accident (the asset-key snapshot)."""

from __future__ import annotations

import dagster as dg

from pipelines.definitions import defs

# Asset keys are table names analysts and dashboards use. Renaming one is a breaking change: update this
# snapshot on purpose, with the README and a note to users.
SOURCE_KEYS = {
    f"source/{name}"
    for name in (
        "city_codes crim_gen_reg crim_hom_ocit crim_off_cat demo_pjan demo_r_pjanaggr3 esif_planned geo_codes "
        "iccs_labels ilc_mddw03 ilc_pw03 ilc_pw03b ilc_scp09 ilc_scp15 ilc_scp17 ilc_scp19 tps00001 urb_percep "
        "registers nuts_lau_2019"
    ).split()
}
ASSET_KEYS = SOURCE_KEYS | {
    "raw/city_codes",
    "raw/crim_gen_reg",
    "raw/crim_hom_ocit",
    "raw/crim_off_cat",
    "raw/demo_pjan",
    "raw/demo_r_pjanaggr3",
    "raw/esif_planned",
    "raw/geo_codes",
    "raw/iccs_labels",
    "raw/nuts_lau_2019",
    "raw/ilc_mddw03",
    "raw/ilc_pw03",
    "raw/ilc_pw03b",
    "raw/ilc_scp09",
    "raw/ilc_scp15",
    "raw/ilc_scp17",
    "raw/ilc_scp19",
    "raw/tps00001",
    "raw/urb_percep",
    "staging/city_homicide_rates",
    "staging/city_regions",
    "staging/code_labels",
    "raw/police_uk_street",
    "raw/ssmsi_dep",
    "staging/collective_impact_initiatives",
    "staging/crime_and_feeling",
    "staging/crime_indicator_values",
    "staging/funding_indicator_values",
    "staging/geographies",
    "staging/homicide_city_vs_region",
    "staging/indicator_values",
    "staging/observations",
    "staging/population",
    "staging/prevention_measures",
    "staging/quarantine",
    "staging/register_errors",
    "staging/register_indicator_values",
    "staging/self_assessment",
    "staging/self_assessment_positions",
    "staging/survey_indicator_values",
    "published/code_labels",
    "staging/local_indicator_values",
    "staging/incident_completeness",
    "staging/incident_changes",
    "published/crime_and_feeling",
    "published/geographies",
    "published/indicator_values",
    "published/indicators",
    "published/self_assessment",
    "published/self_assessment_positions",
    "dashboard/site",
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
        "gx_staging_indicator_values",
    },
    "staging/geographies": {"contract_geographies", "gx_staging_geographies"},
    "staging/self_assessment": {"rules_self_assessment", "gx_staging_self_assessment"},
    "staging/crime_and_feeling": {"no_break_spanned_crime_and_feeling", "gx_staging_crime_and_feeling"},
    "staging/self_assessment_positions": {"rules_self_assessment_positions", "gx_staging_self_assessment_positions"},
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


# Groups are <layer>_<domain>, short enough to read in the collapsed lineage: raw_crime, stg_survey, published.
GROUP_PREFIX = {"source": "sources", "raw": "raw", "staging": "stg", "published": "published", "dashboard": "dashboard"}


def test_every_asset_is_described_grouped_kinded_and_owned() -> None:
    graph = defs.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        assert node.description and len(node.description) > 30, key
        assert node.group_name.split("_")[0] == GROUP_PREFIX[key.path[0]], f"{key} sits in group {node.group_name}"
        assert len(node.group_name) <= 14, node.group_name
        assert node.kinds, key
        assert node.owners == ["team:urban_safety_data"], key


def test_computed_assets_carry_code_versions_and_table_names() -> None:
    graph = defs.resolve_asset_graph()
    for key in graph.materializable_asset_keys:
        node = graph.get(key)
        assert node.code_version and len(node.code_version) == 16, key
        if key.path[0] in ("raw", "staging", "published"):  # the dashboard's asset is a folder of pages
            assert node.metadata["dagster/table_name"] == ".".join(key.path), key
        assert node.automation_condition is not None, key
    for key in graph.observable_asset_keys:
        assert key.path[0] == "source", key


def test_every_parameter_file_is_in_the_code_version_of_the_assets_reading_it() -> None:
    from pipelines.versions import PARAMETER_FILES
    from sources.config import PROJECT_ROOT

    claimed = {f for files in PARAMETER_FILES.values() for f in files}
    on_disk = {str(p.relative_to(PROJECT_ROOT)) for p in (PROJECT_ROOT / "transforms" / "parameters").glob("*")}
    assert on_disk == claimed
    graph = defs.resolve_asset_graph()
    assert all(graph.has(dg.AssetKey(k.split("/"))) for k in PARAMETER_FILES)


def test_no_check_name_means_both_a_blocking_and_a_report_check() -> None:
    """One name, one meaning: the same rule on several tables is fine (matches_contract), a name that stops the run
    on one table and only reports on another is not."""
    blocking: dict[str, set[bool]] = {}
    for checks_def in defs.asset_checks or []:
        for spec in checks_def.check_specs:
            blocking.setdefault(spec.name, set()).add(spec.blocking)
    assert [name for name, kinds in blocking.items() if len(kinds) > 1] == []


def test_published_tables_declare_their_column_schema_and_publish_tag() -> None:
    graph = defs.resolve_asset_graph()
    for name in (
        "indicator_values",
        "indicators",
        "geographies",
        "self_assessment",
        "self_assessment_positions",
        "crime_and_feeling",
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


def test_schedules_fetch_the_sources_of_their_release_rhythm() -> None:
    """A schedule observes (in live mode: fetches) its sources; the stale_assets sensor recomputes what changed."""
    monthly = defs.resolve_schedule_def("monthly_refresh")
    yearly = defs.resolve_schedule_def("yearly_refresh")
    assert (monthly.cron_schedule, yearly.cron_schedule) == ("0 6 2 * *", "0 6 15 1 *")

    def selected(schedule: dg.ScheduleDefinition) -> set[str]:
        return {k.to_user_string() for k in defs.resolve_job_def(schedule.job_name).asset_layer.selected_asset_keys}

    assert {"source/crim_off_cat", "source/crim_gen_reg", "source/demo_r_pjanaggr3"} <= selected(monthly)
    assert "source/urb_percep" in selected(yearly) and "source/urb_percep" not in selected(monthly)
    assert all(k.startswith("source/") for k in selected(monthly) | selected(yearly))
    assert defs.resolve_sensor_def("stale_assets")
    assert defs.resolve_sensor_def("upstream_changes").job_name == "urban_safety_all"


def test_writers_are_serialised_by_the_instance_configuration() -> None:
    """Every asset that writes DuckDB is in the duckdb_write pool; dagster.yaml gives pools one slot. The incident
    partitions write Parquet only, each its own month or year folder: pool parquet_write."""
    import yaml

    from sources.config import PROJECT_ROOT

    config = yaml.safe_load((PROJECT_ROOT / "dagster.yaml").read_text())
    assert config["concurrency"]["pools"]["default_limit"] == 1
    graph = defs.resolve_asset_graph()
    for key in graph.materializable_asset_keys:
        expected = {"parquet_write"} if graph.get(key).group_name == "raw_incidents" else {"duckdb_write"}
        assert graph.get(key).pools == expected, key
