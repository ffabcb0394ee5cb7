"""The persistent Dagster instance `make run` and `make dev` share: runs, materialisations, check results and
their logs are kept there, so the UI shows every run however it was started.

``DAGSTER_HOME`` names its folder; by default the repository root, whose ``dagster.yaml`` configures it (storage
in the git-ignored ``history/``, ``storage/``, ``schedules/`` and ``logs/``). A different folder may hold its
own ``dagster.yaml`` (for example one with ``storage: postgres:``, see docs/scaling.md).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

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
