"""The dashboard built once per session (by the dashboard/site asset, inside the shared materialisation of the whole
graph on the real data) and one headless Chromium for the browser tests."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dashboard import site_dir

CHROMIUM = Path(os.environ.get("URBAN_SAFETY_CHROMIUM", "/usr/bin/chromium"))
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
_SPEC = re.compile(r'<script type="application/json" id="(chart-\d+)-spec">(.*?)</script>', re.S)


@pytest.fixture(scope="session")
def site_db(request: pytest.FixtureRequest) -> Path:
    """The analysts' file the site was built from (URBAN_SAFETY_TEST_SITE_DB with URBAN_SAFETY_TEST_SITE: a site
    built before, to re-run these tests quickly; else the session's shared materialisation)."""
    explicit = os.environ.get("URBAN_SAFETY_TEST_SITE_DB")
    return Path(explicit) if explicit else request.getfixturevalue("built").db


@pytest.fixture(scope="session")
def site(request: pytest.FixtureRequest, site_db: Path) -> Path:
    """The site folder the dashboard/site asset wrote (or URBAN_SAFETY_TEST_SITE, see site_db)."""
    explicit = os.environ.get("URBAN_SAFETY_TEST_SITE")
    if explicit:
        return Path(explicit)
    built = request.getfixturevalue("built")
    assert built.result.success, "the materialisation that builds the dashboard failed"
    folder = site_dir(built.db)
    assert (folder / "index.html").is_file(), f"the dashboard/site asset wrote no {folder / 'index.html'}"
    return folder


def page_specs(html: str) -> list[tuple[str, dict[str, Any]]]:
    """(chart id, Vega-Lite spec) of every chart embedded in a page."""
    return [(ident, json.loads(text)) for ident, text in _SPEC.findall(html)]


@pytest.fixture(scope="session")
def all_specs(site: Path) -> list[tuple[str, str, dict[str, Any]]]:
    """(page, chart id, spec) of every chart on every page."""
    out = []
    for page in sorted(site.rglob("*.html")):
        rel = page.relative_to(site).as_posix()
        out += [(rel, ident, spec) for ident, spec in page_specs(page.read_text(encoding="utf-8"))]
    return out


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Module-scoped: Playwright's synchronous API keeps an event loop running in this thread while it is open,
    which other tests' asyncio use (Dagster's run cleanup) must not meet."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"Chromium not found at {CHROMIUM}. `make test` installs Debian's package (apt-get install -y chromium); "
            "or set URBAN_SAFETY_CHROMIUM=/path/to/chromium. The browser tests are never skipped."
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        # --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield chromium
        chromium.close()
