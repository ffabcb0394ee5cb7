"""When runs happen, the Dagster way.

- Schedules follow each source's release rhythm and *fetch*: they observe the sources released at that rhythm
  (in live mode an observation is a conditional GET that downloads only a changed file; pipelines.defs.sources).
- The ``stale_assets`` sensor (declarative automation) then materialises exactly what a new source version or a
  new code version made stale, and everything downstream of it, in one run per change — the same selection
  ``make run`` makes. Unchanged work is never redone.
- The ``upstream_changes`` sensor notices a file replaced in the data folder by hand (or by another tool): its
  tick only hashes the local files and compares them with the data versions the instance recorded; it never
  downloads. A change requests a run of that source and its downstream.

All are off until switched on in the UI (Automation), as a deployment decision.
"""

from __future__ import annotations

import hashlib

import dagster as dg

from pipelines.defs.sources.assets import local_versions, source_key
from pipelines.resources import UrbanSafetyPaths
from sources.locations import SOURCE_LOCATIONS
from sources.registry import ALL_SOURCES

ALL_JOB = "urban_safety_all"


def _fetch_job(rhythm: str) -> dg.UnresolvedAssetJobDefinition:
    """Observe (in live mode: fetch) every source released at this rhythm."""
    names = [s.name for s in ALL_SOURCES if SOURCE_LOCATIONS[s.name].release_rhythm == rhythm]
    return dg.define_asset_job(
        f"refresh_{rhythm}_sources",
        selection=dg.AssetSelection.assets(*[source_key(n) for n in names]),
        description=f"Fetch the {rhythm} sources ({', '.join(names)}); the stale_assets sensor recomputes "
        "what changed.",
    )


monthly_job = _fetch_job("monthly")
yearly_job = _fetch_job("yearly")

# Eurostat crime and population tables change several times a year: monthly, on the 2nd at 06:00 UTC. Survey
# and EU-SILC modules change at most yearly: mid-January. Static sources (the 2019 ESIF export, code lists)
# have no schedule; the upstream_changes sensor notices if their local copy is ever replaced.
monthly_refresh = dg.ScheduleDefinition(
    name="monthly_refresh",
    job=monthly_job,
    cron_schedule="0 6 2 * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.STOPPED,
)
yearly_refresh = dg.ScheduleDefinition(
    name="yearly_refresh",
    job=yearly_job,
    cron_schedule="0 6 15 1 *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.STOPPED,
)

stale_assets = dg.AutomationConditionSensorDefinition(
    "stale_assets",
    target=dg.AssetSelection.all() - dg.AssetSelection.groups("sources"),
    default_status=dg.DefaultSensorStatus.STOPPED,
    description="Materialises every asset whose code version changed or whose inputs got a new data version "
    "(pipelines.definitions.ON_CHANGE), with its checks; unchanged assets are left alone.",
)


def recorded_source_versions(instance: dg.DagsterInstance, keys) -> dict[dg.AssetKey, str | None]:
    """The data version the instance last recorded for each source asset (None if never observed)."""
    from dagster._core.definitions.data_version import extract_data_version_from_entry

    versions: dict[dg.AssetKey, str | None] = {}
    for key in keys:
        record = instance.get_latest_data_version_record(key, is_source=True)
        version = extract_data_version_from_entry(record.event_log_entry) if record else None
        versions[key] = version.value if version else None
    return versions


@dg.sensor(
    name="upstream_changes",
    job_name=ALL_JOB,
    minimum_interval_seconds=3600,
    default_status=dg.DefaultSensorStatus.STOPPED,
    description="Hashes the files in the data folder and the registers folder (no download) and requests a run "
    "of the sources whose bytes differ from the data versions the instance recorded, and of their downstream.",
)
def upstream_changes(context: dg.SensorEvaluationContext, paths: UrbanSafetyPaths):
    current = local_versions(paths.data_path, paths.registers_path)
    recorded = recorded_source_versions(context.instance, current)
    changed = sorted((k for k, v in current.items() if recorded[k] != v), key=lambda k: k.to_user_string())
    if not changed:
        return dg.SkipReason(f"no source changed ({len(current)} files hashed)")
    names = [k.path[-1] for k in changed]
    context.log.info(f"changed on disk: {', '.join(names)}")
    selection = dg.AssetSelection.assets(
        *changed
    ).downstream().required_multi_asset_neighbors() - dg.AssetSelection.assets(
        *[k for k in current if k not in changed]
    )
    run_key = hashlib.sha256("".join(f"{k.to_user_string()}:{current[k]}" for k in changed).encode()).hexdigest()
    return dg.RunRequest(
        run_key=run_key[:32],
        asset_selection=list(selection.resolve(context.repository_def.asset_graph)),
        tags={"changed_sources": ",".join(names)},
    )


AUTOMATION_JOBS = [monthly_job, yearly_job]
AUTOMATION_SCHEDULES = [monthly_refresh, yearly_refresh]
AUTOMATION_SENSORS = [upstream_changes, stale_assets]
