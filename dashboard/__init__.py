"""The Action 1 joint dashboard: a static site (HTML, SVG and the Vega bundle; no server, no request leaves a
page) generated from the published tables. ``dashboard.build.build_site`` writes it; the Dagster asset
``dashboard/site`` (pipelines/defs/dashboard) runs it after every publication."""

from __future__ import annotations

import os
from pathlib import Path

SITE_DIR_ENV = "URBAN_SAFETY_SITE_DIR"


def site_dir(db: Path) -> Path:
    """Where the site is written: ``$URBAN_SAFETY_SITE_DIR``, else ``site/`` next to the analysts' file
    (``warehouse/site/`` by default; git-ignored)."""
    explicit = os.environ.get(SITE_DIR_ENV)
    return Path(explicit).resolve() if explicit else db.resolve().parent / "site"
