"""The code location: every asset, check, job and schedule of the urban-safety pipeline."""

from __future__ import annotations

import dagster as dg

from pipelines.defs.assessment.assets import ASSESSMENT_ASSETS
from pipelines.defs.assessment.checks import ASSESSMENT_CHECKS
from pipelines.defs.automation.definitions import AUTOMATION_JOBS, AUTOMATION_SCHEDULES, AUTOMATION_SENSORS
from pipelines.defs.crime.assets import CRIME_ASSETS
from pipelines.defs.funding.assets import FUNDING_ASSETS
from pipelines.defs.incidents.assets import INCIDENT_STAGING_ASSETS, build_partitioned_assets
from pipelines.defs.incidents.checks import INCIDENT_CHECKS
from pipelines.defs.indicators.assets import INDICATOR_ASSETS
from pipelines.defs.indicators.checks import INDICATOR_CHECKS
from pipelines.defs.ingest.assets import QUARANTINE_ASSETS, QUARANTINE_CHECKS, RAW_ASSETS
from pipelines.defs.observations.assets import OBSERVATION_ASSETS
from pipelines.defs.published.assets import PUBLISHED_ASSETS
from pipelines.defs.published.checks import PUBLISHED_CHECKS
from pipelines.defs.quality.checks import BLOCKING_GX_CHECKS, REPORT_GX_CHECKS
from pipelines.defs.registers.assets import REGISTER_ASSETS, REGISTER_CHECKS
from pipelines.defs.survey.assets import SURVEY_ASSETS
from pipelines.resources import default_resources

ALL_ASSETS = [
    *RAW_ASSETS,
    *QUARANTINE_ASSETS,
    *OBSERVATION_ASSETS,
    *CRIME_ASSETS,
    *SURVEY_ASSETS,
    *FUNDING_ASSETS,
    *REGISTER_ASSETS,
    *INDICATOR_ASSETS,
    *INCIDENT_STAGING_ASSETS,
    *ASSESSMENT_ASSETS,
    *PUBLISHED_ASSETS,
]
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

# The GX report suites (every raw, staging and published table) run in their own job: the blocking ones on the
# candidates are part of every run, the full report would double its time (README, "Operations").
_report_checks = dg.AssetSelection.checks(*REPORT_GX_CHECKS)
# The partitioned incident assets (police.uk months, SSMSI years) run per partition in their own jobs; the main job
# reads what they landed.
_partitioned = dg.AssetSelection.groups("raw_incidents")
all_assets_job = dg.define_asset_job(
    "urban_safety_all",
    selection=dg.AssetSelection.all() - _report_checks - _partitioned,
    description="Read every source, compute every indicator, check, and publish.",
)
quality_report_job = dg.define_asset_job(
    "quality_report",
    selection=_report_checks,
    description="Run the Great Expectations suite of every raw, staging and published table.",
)


def build_definitions(resources: dict[str, object] | None = None) -> dg.Definitions:
    resources = resources or default_resources()
    # Partitions are read from the data folder now: a month folder added there is a new partition at next load.
    partitioned, partition_jobs = build_partitioned_assets(resources["paths"].data_path)
    return dg.Definitions(
        assets=[*ALL_ASSETS, *partitioned],
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
