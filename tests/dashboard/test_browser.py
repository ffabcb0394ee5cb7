"""The dashboard in a real headless Chromium, opened from disk (file://): no console error, no request leaving the
page (every request is routed: anything but file: and data: is blocked and counted), the charts drawn, and a
screenshot of each page for review (tests/dashboard/screenshots/, git-ignored)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.dashboard.conftest import SCREENSHOTS

# A large city whose recorded crime comes from its NUTS 3 region (Köln is the Kreisfreie Stadt Köln, DEA23), a small
# city with survey data only (Tartu, size class S) and a city with the bundled example registers (Mechelen).
PAGES = {
    "overview": "index.html",
    "large_city_regional_crime": "city/DE004C.html",
    "small_survey_city": "city/EE002C.html",
    "example_registers": "city/BE012C.html",
}
ALL_CHARTS_DONE = (
    "document.querySelectorAll('[data-spec]').length === "
    "document.querySelectorAll('.vega.rendered, .vega.failed').length"
)


@dataclass
class Visit:
    page: Any
    console_errors: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)


def open_page(browser: Any, url: str, content: str | None = None) -> Visit:
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    visit = Visit(page)
    page.on("console", lambda m: visit.console_errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: visit.console_errors.append(f"uncaught: {e}"))

    def route(r: Any) -> None:
        if r.request.url.startswith(("file://", "data:")):
            r.continue_()
        else:
            visit.blocked.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    if content is not None:
        page.set_content(content)
    else:
        page.goto(url)
        page.wait_for_function(ALL_CHARTS_DONE, timeout=120_000)
    return visit


@pytest.fixture(scope="module")
def visits(browser: Any, site: Path) -> dict[str, Visit]:
    SCREENSHOTS.mkdir(exist_ok=True)
    out = {}
    for name, path in PAGES.items():
        visit = open_page(browser, (site / path).as_uri())
        visit.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
        out[name] = visit
    return out


def test_the_harness_counts_and_blocks_external_requests(browser: Any) -> None:
    """The request counter can fail: a page asking for an external image is caught, and nothing is fetched."""
    visit = open_page(browser, "", content='<img src="https://example.invalid/pixel.png" alt="">')
    visit.page.wait_for_timeout(300)
    assert visit.blocked == ["https://example.invalid/pixel.png"]
    visit.page.close()


@pytest.mark.parametrize("name", list(PAGES))
def test_page_loads_from_disk_without_errors_or_external_requests(visits: dict[str, Visit], name: str) -> None:
    visit = visits[name]
    assert visit.console_errors == []
    assert visit.blocked == []
    assert visit.page.locator(".vega.failed").count() == 0
    assert (SCREENSHOTS / f"{name}.png").stat().st_size > 10_000


def chart_marks(visit: Visit, usermeta_test: str) -> list[dict[str, int]]:
    """Per chart whose spec matches the JS predicate on its usermeta ``u``: the rendered marks it drew."""
    return visit.page.evaluate(
        """(test) => Array.from(document.querySelectorAll('[data-spec]')).filter((el) => {
              const u = JSON.parse(document.getElementById(el.dataset.spec).textContent).usermeta || {};
              return eval(test);
           }).map((el) => ({
              rendered: el.classList.contains('rendered') ? 1 : 0,
              band: el.querySelectorAll('svg .mark-area path').length,
              line: el.querySelectorAll('svg .mark-line path').length,
              points: el.querySelectorAll('svg .mark-symbol path').length,
              bars: el.querySelectorAll('svg .mark-rect path').length,
           }))""",
        usermeta_test,
    )


def test_large_city_shows_its_regional_crime_trends_with_bands_and_lines(visits: dict[str, Visit]) -> None:
    visit = visits["large_city_regional_crime"]
    crime = chart_marks(visit, "u.indicator_id === 'SEC_RECORDED_RATE' && u.geo_code === 'DEA23'")
    assert len(crime) >= 5  # one per offence category of the regional table
    for marks in crime:
        assert marks["rendered"] and marks["band"] >= 1 and marks["line"] >= 1 and marks["points"] >= 1
    assert visit.page.locator("#D5 .spine-table tbody tr").count() >= 5
    assert "never ranked or coloured across countries" in visit.page.locator("#D5 .rule").inner_text()


def test_small_survey_city_shows_survey_trends(visits: dict[str, Visit]) -> None:
    visit = visits["small_survey_city"]
    own = chart_marks(visit, "u.chart === 'trend' && u.geo_code === 'EE002C'")
    assert own and all(m["rendered"] for m in own)
    assert any(m["band"] >= 1 and m["line"] >= 1 for m in own)
    assert not chart_marks(visit, "u.geo_code === 'EE002C' && (u.indicator_id || '').startsWith('SEC_')")


def test_example_registers_are_labelled_and_drawn(visits: dict[str, Visit]) -> None:
    visit = visits["example_registers"]
    assert "EXAMPLE DATA" in visit.page.locator("#registers-h").inner_text()
    assert visit.page.locator("#registers .example-note").is_visible()
    bars = chart_marks(visit, "u.indicator_id === 'PP_LEVEL_SHARE'")
    assert bars and bars[0]["rendered"] and bars[0]["bars"] >= 4


def test_overview_matrix_and_search(visits: dict[str, Visit], site: Path) -> None:
    page = visits["overview"].page
    assert page.locator("table.matrix tbody tr").count() == len(list((site / "city").glob("*.html")))
    page.fill("#city-search", "koln")
    results = page.locator("#search-results a")
    assert results.count() == 1 and results.first.get_attribute("href") == "city/DE004C.html"
