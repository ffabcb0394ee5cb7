"""The persistent Dagster instance `make run` and `make dev` share: runs, materialisations, check results and
their logs are kept there, so the UI shows every run however it was started.

``DAGSTER_HOME`` names its folder; by default the repository root, whose ``dagster.yaml`` configures it (storage
in the git-ignored ``history/``, ``storage/``, ``schedules/`` and ``logs/``). A different folder may hold its
own ``dagster.yaml`` (for example one with ``storage: postgres:``, see docs/scaling.md).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sources.config import PROJECT_ROOT

if TYPE_CHECKING:
    import dagster as dg

HOME_ENV = "DAGSTER_HOME"


def dagster_home() -> Path:
    return Path(os.environ.get(HOME_ENV) or PROJECT_ROOT).resolve()


def open_instance() -> dg.DagsterInstance:
    """The instance in :func:`dagster_home` (created on first use)."""
    import dagster as dg

    home = dagster_home()
    home.mkdir(parents=True, exist_ok=True)
    os.environ[HOME_ENV] = str(home)  # runs launched from here (and their subprocesses) use the same instance
    return dg.DagsterInstance.get()


@dataclass(frozen=True)
class CheckEvaluation:
    """One completed evaluation of an asset check, as the instance recorded it."""

    run_id: str
    passed: bool
    metadata: Mapping[str, Any]  # name -> Dagster metadata value


def last_completed_evaluation(instance: dg.DagsterInstance, check_key: dg.AssetCheckKey) -> CheckEvaluation | None:
    """The latest evaluation of ``check_key`` that finished, passed or failed (a run that stopped before the check
    leaves only a "planned" record, which is skipped); None when there is none."""
    from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus as Status

    completed = {Status.SUCCEEDED, Status.FAILED}
    history = instance.event_log_storage.get_asset_check_execution_history(check_key, limit=1, status=completed)
    if not history:
        return None
    record = history[0]
    metadata = record.event.dagster_event.event_specific_data.metadata if record.event is not None else {}
    return CheckEvaluation(record.run_id, record.status == Status.SUCCEEDED, metadata)
