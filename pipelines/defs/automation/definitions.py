"""When runs happen: schedules that follow each source's release rhythm, and a sensor for upstream changes."""

from __future__ import annotations

import hashlib

import dagster as dg

from pipelines.resources import UrbanSafetyPaths
from sources.config import live_mode
from sources.locations import SOURCE_LOCATIONS
from sources.registry import ALL_SOURCES

ALL_JOB = "urban_safety_all"


def _refresh_job(rhythm: str) -> dg.UnresolvedAssetJobDefinition:
    """The raw assets of every source released at this rhythm, and everything computed from them."""
    names = [s.name for s in ALL_SOURCES if SOURCE_LOCATIONS[s.name].release_rhythm == rhythm]
    selection = (
        dg.AssetSelection.assets(*[dg.AssetKey(["raw", n]) for n in names])
        .downstream()
        .required_multi_asset_neighbors()
    )
    return dg.define_asset_job(
        f"refresh_{rhythm}_sources",
        selection=selection,
        description=f"Re-read the {rhythm} sources ({', '.join(names)}) and republish.",
    )


monthly_job = _refresh_job("monthly")
yearly_job = _refresh_job("yearly")

# Eurostat crime and population tables change several times a year: monthly, on the 2nd at 06:00 UTC. Survey
# and EU-SILC modules change at most yearly: mid-January. Static sources (the 2019 ESIF export, code lists)
# have no schedule; the sensor notices if they ever change.
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


@dg.sensor(
    name="upstream_changes",
    job_name=ALL_JOB,
    minimum_interval_seconds=6 * 3600,
    default_status=dg.DefaultSensorStatus.STOPPED,
    description="In live mode (URBAN_SAFETY_LIVE=1), asks every publisher whether its file changed (conditional "
    "GET: an unchanged source is not downloaded) and requests a run only when one did.",
)
def upstream_changes(context: dg.SensorEvaluationContext, paths: UrbanSafetyPaths):
    if not live_mode():
        return dg.SkipReason("live mode is off (set URBAN_SAFETY_LIVE=1): the bundled files do not change")
    from sources.live import refresh_sources

    refresh = refresh_sources(paths.data_path)
    context.log.info(refresh.summary())
    if not refresh.changed:
        return dg.SkipReason(f"no upstream change ({refresh.summary()})")
    key = hashlib.sha256("".join(f"{n}:{refresh.results[n].sha256}" for n in refresh.changed).encode()).hexdigest()
    return dg.RunRequest(run_key=key[:32], tags={"changed_sources": ",".join(refresh.changed)})


AUTOMATION_JOBS = [monthly_job, yearly_job]
AUTOMATION_SCHEDULES = [monthly_refresh, yearly_refresh]
AUTOMATION_SENSORS = [upstream_changes]
