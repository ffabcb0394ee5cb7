"""The code location: every asset, check, job, schedule and sensor of the urban-safety pipeline."""

from __future__ import annotations

import dagster as dg

from pipelines.defs.assessment.assets import ASSESSMENT_ASSETS
from pipelines.defs.assessment.checks import ASSESSMENT_CHECKS
from pipelines.defs.automation.definitions import ALL_JOB, AUTOMATION_JOBS, AUTOMATION_SCHEDULES, AUTOMATION_SENSORS
from pipelines.defs.crime.assets import CRIME_ASSETS
from pipelines.defs.dashboard.assets import DASHBOARD_ASSETS
from pipelines.defs.funding.assets import FUNDING_ASSETS
from pipelines.defs.geography.assets import GEOGRAPHY_ASSETS
from pipelines.defs.incidents.assets import INCIDENT_STAGING_ASSETS, build_partitioned_assets
from pipelines.defs.incidents.checks import INCIDENT_CHECKS
from pipelines.defs.indicators.assets import INDICATOR_ASSETS
from pipelines.defs.indicators.checks import INDICATOR_CHECKS
from pipelines.defs.ingest.assets import QUARANTINE_ASSETS, QUARANTINE_CHECKS, RAW_ASSETS
from pipelines.defs.observations.assets import OBSERVATION_ASSETS
from pipelines.defs.published.assets import PUBLISHED_ASSETS
from pipelines.defs.published.checks import PUBLISHED_CHECKS
from pipelines.defs.quality.checks import BLOCKING_GX_CHECKS, QUALITY_REPORT_JOB, REPORT_GX_CHECKS
from pipelines.defs.registers.assets import REGISTER_ASSETS, REGISTER_CHECKS
from pipelines.defs.sources.assets import SOURCE_ASSETS
from pipelines.defs.survey.assets import SURVEY_ASSETS
from pipelines.resources import default_resources
from pipelines.versions import code_version

# Layers whose assets are DuckDB tables (the dashboard's asset is a folder of pages).
TABLE_LAYERS = ("raw", "staging", "published")
# Who answers for every asset (shown in the UI and searchable there).
OWNERS = ["team:urban_safety_data"]

# Declarative automation (run by the `stale_assets` sensor when it is switched on): an asset is materialised
# when its code version changed, when it is missing, or when an input got a new data version (or is being
# requested in the same tick) — never merely because an input was re-materialised with the same data.
ON_CHANGE = (
    (
        dg.AutomationCondition.code_version_changed()
        | dg.AutomationCondition.newly_missing()
        | dg.AutomationCondition.any_deps_match(
            dg.AutomationCondition.data_version_changed() | dg.AutomationCondition.will_be_requested()
        )
    ).since_last_handled()
    & ~dg.AutomationCondition.any_deps_missing()
    & ~dg.AutomationCondition.any_deps_in_progress()
    & ~dg.AutomationCondition.in_progress()
).with_label("on new code or new data")


def _operational(spec: dg.AssetSpec) -> dg.AssetSpec:
    """Owners, code version, table name and automation on every computed asset (one place, not per decorator)."""
    key = spec.key.to_user_string()
    layer, name = spec.key.path
    return spec.replace_attributes(
        owners=OWNERS,
        code_version=code_version(key),
        automation_condition=ON_CHANGE,
        metadata={**spec.metadata, **({"dagster/table_name": f"{layer}.{name}"} if layer in TABLE_LAYERS else {})},
    )


COMPUTED_ASSETS = dg.map_asset_specs(
    _operational,
    [
        *RAW_ASSETS,
        *QUARANTINE_ASSETS,
        *OBSERVATION_ASSETS,
        *GEOGRAPHY_ASSETS,
        *CRIME_ASSETS,
        *SURVEY_ASSETS,
        *FUNDING_ASSETS,
        *REGISTER_ASSETS,
        *INDICATOR_ASSETS,
        *INCIDENT_STAGING_ASSETS,
        *ASSESSMENT_ASSETS,
        *PUBLISHED_ASSETS,
        *DASHBOARD_ASSETS,
    ],
)
ALL_ASSETS = [*SOURCE_ASSETS, *COMPUTED_ASSETS]
ALL_CHECKS = [
    *INDICATOR_CHECKS,
    *INCIDENT_CHECKS,
    *QUARANTINE_CHECKS,
    *REGISTER_CHECKS,
    *ASSESSMENT_CHECKS,
    *PUBLISHED_CHECKS,
    *BLOCKING_GX_CHECKS,
    *REPORT_GX_CHECKS,
]

# Every check runs with its asset, the GX report suites included (warnings, not blocking): after any run the UI
# shows each check's result for the latest materialisation, never "Not evaluated". Only stale assets re-run, so
# the suites of unchanged tables are not re-run either.
_report_checks = dg.AssetSelection.checks(*REPORT_GX_CHECKS)
# The partitioned incident assets (police.uk months, SSMSI years) run per partition in their own jobs; the main job
# reads what they landed.
_partitioned = dg.AssetSelection.groups("raw_incidents")
all_assets_job = dg.define_asset_job(
    ALL_JOB,
    selection=dg.AssetSelection.all() - _partitioned,
    description="Observe every source, read it, compute every indicator, check, and publish (everything, "
    "changed or not; `make run` and the `stale_assets` sensor run only what is stale).",
)
quality_report_job = dg.define_asset_job(
    QUALITY_REPORT_JOB,
    selection=_report_checks,
    description="Re-run the Great Expectations suite of every raw and staging table (and of published.indicators) "
    "on what is stored; `make quality` runs every suite, the published copies included, and writes the Data Docs.",
)


def build_definitions(resources: dict[str, object] | None = None) -> dg.Definitions:
    resources = resources or default_resources()
    # Partitions are read from the data folder now: a month folder added there is a new partition at next load.
    partitioned, partition_jobs = build_partitioned_assets(resources["paths"].data_path)
    return dg.Definitions(
        assets=[*ALL_ASSETS, *dg.map_asset_specs(_operational, partitioned)],
        asset_checks=ALL_CHECKS,
        jobs=[all_assets_job, quality_report_job, *AUTOMATION_JOBS, *partition_jobs],
        schedules=AUTOMATION_SCHEDULES,
        sensors=AUTOMATION_SENSORS,
        resources=resources,
        # One writer on one DuckDB file, small data: steps run in one process, one after another, so no step
        # ever waits on the file lock and a run pays the imports once.
        executor=dg.in_process_executor,
    )


defs = build_definitions()
