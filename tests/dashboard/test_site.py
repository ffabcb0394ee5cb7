"""The generated site keeps the rules of the data: no trend line across a series variant or break, recorded crime
never ranked or coloured across countries, example data marked, CSV safe for spreadsheets, nothing fetched from
elsewhere. Read from the pages the dashboard/site asset wrote, on the real data."""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pytest

from dashboard.build import trend_rows
from dashboard.data import RECORDED_CRIME, REGISTER_INDICATORS
from warehouse.export import FORMULA_PREFIXES


def layers_of(spec: dict[str, Any]) -> list[dict[str, Any]]:
    inner = spec.get("spec", spec)
    return inner.get("layer", [inner])


def test_every_city_with_a_value_and_every_indicator_has_a_page(site: Path, site_db: Path) -> None:
    with duckdb.connect(str(site_db), read_only=True) as con:
        cities = {r[0] for r in con.execute(
            "SELECT DISTINCT g.geo_code FROM published.geographies g JOIN published.indicator_values v "
            "USING (geo_code) WHERE g.geo_level = 'CITY'"
        ).fetchall()}  # fmt: skip
        indicators = {r[0] for r in con.execute("SELECT indicator_id FROM published.indicators").fetchall()}
    assert {p.stem for p in (site / "city").glob("*.html")} == cities
    assert {p.stem for p in (site / "indicator").glob("*.html")} == indicators
    assert (site / "index.html").is_file() and (site / "assets" / "vega.js").stat().st_size > 500_000


def test_no_trend_line_spans_a_series_variant_or_break(all_specs: list) -> None:
    trends = [(page, ident, spec) for page, ident, spec in all_specs if spec["usermeta"]["chart"] == "trend"]
    assert len(trends) > 500
    breaks_seen = 0
    for page, ident, spec in trends:
        # lines and bands are drawn per segment ...
        for layer in layers_of(spec):
            if layer["mark"]["type"] in ("line", "area"):
                assert layer["encoding"]["detail"]["field"] == "segment", (page, ident)
        # ... and a segment holds one series variant, in years without a gap in an annual series, with a break
        # flag only on its first year.
        segments: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for row in spec["datasets"]["values"]:
            segments[row["segment"]].append(row)
        for rows in segments.values():
            assert len({r["series_variant"] for r in rows}) == 1, (page, ident)
            years = [r["year"] for r in rows]
            assert years == sorted(set(years)), (page, ident)
            assert not any("b" in r["obs_status"] for r in rows[1:]), (page, ident, rows)
            breaks_seen += sum(1 for r in rows if r["starts_break"])
    assert breaks_seen > 0  # the real data has breaks (Eurostat b flags, survey wording changes): they are marked


def test_recorded_crime_is_never_ranked_or_coloured_across_countries(all_specs: list, site: Path) -> None:
    crime_charts = [(p, i, s) for p, i, s in all_specs if s["usermeta"].get("indicator_id") in RECORDED_CRIME]
    assert crime_charts
    for page, ident, spec in crime_charts:
        rows = spec["datasets"]["values"]
        countries = {r["country"] for r in rows if "country" in r}
        if spec["usermeta"]["chart"] == "trend":
            assert len({r["geo_code"] for r in rows}) == 1, (page, ident)  # one territory, so one country
            continue
        assert len(countries) >= 1
        # several countries: one panel each, every scale independent, so no axis or order spans two countries
        assert spec["facet"]["row"]["field"] == "country", (page, ident)
        assert spec["resolve"]["scale"]["x"] == "independent", (page, ident)
        assert spec["resolve"]["scale"]["y"] == "independent", (page, ident)
        if spec["usermeta"]["chart"] == "funnel":
            # colours say where a region sits in its own country's funnel, never against other countries
            for country in countries:
                limits = {r["pooled"] for r in rows if r["kind"] == "limit" and r["country"] == country}
                assert len(limits) == 1, (page, ident, country)
    # the spine tables compare crime with peers of the city's own country only
    for page in (site / "city").glob("*.html"):
        html = page.read_text(encoding="utf-8")
        country = re.search(r"<dt>Country</dt><dd>[^<]*\((\w\w)\)</dd>", html).group(1)
        for group in re.findall(r"<small>\d+ · ([^<]*)</small>", html):
            assert f"of {country}" in group, (page.name, group)


def test_example_register_data_is_marked_wherever_it_is_shown(site: Path, site_db: Path) -> None:
    with duckdb.connect(str(site_db), read_only=True) as con:
        example_cities = {r[0] for r in con.execute(
            "SELECT DISTINCT geo_code FROM published.indicator_values WHERE example_data"
        ).fetchall()}  # fmt: skip
    assert example_cities
    for code in example_cities:
        html = (site / "city" / f"{code}.html").read_text(encoding="utf-8")
        assert '<span class="example">EXAMPLE DATA</span>' in html
        assert "never compare, rank or report them" in html


def test_register_data_never_enters_a_comparison(all_specs: list) -> None:
    compared = {s["usermeta"].get("indicator_id") for _, _, s in all_specs if s["usermeta"]["chart"] != "trend"}
    assert compared & {"SAF_SAFE_CITY", "SEC_RECORDED_RATE"}
    assert not compared & set(REGISTER_INDICATORS) - {"PP_LEVEL_SHARE"}
    for page, _ident, spec in all_specs:  # the one register chart: the city's own pyramid, on its own page
        if spec["usermeta"].get("indicator_id") == "PP_LEVEL_SHARE":
            assert spec["usermeta"]["chart"] == "bars" and page == f"city/{spec['usermeta']['geo_code']}.html"


def test_every_chart_has_a_label_and_a_table_alternative(site: Path) -> None:
    for page in [site / "index.html", *(site / "city").glob("*.html"), *(site / "indicator").glob("*.html")]:
        html = page.read_text(encoding="utf-8")
        charts = html.count('class="chart"')
        assert html.count('role="img" aria-label="') == charts, page.name
        assert html.count("<figcaption>") == charts and html.count('class="table-alt"') == charts, page.name
        assert re.search(r'href="[^"]*data/[^"]+\.csv" download', html) and 'rel="bookmark"' in html, page.name


def test_nothing_is_loaded_from_elsewhere(site: Path) -> None:
    for page in site.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        assert not re.search(r'(src|href)\s*=\s*"(https?:)?//', html), page.name
        assert "@import" not in html and "fonts.googleapis" not in html
    assert "url(" not in (site / "assets" / "site.css").read_text(encoding="utf-8")


def test_page_data_is_spreadsheet_safe_csv(site: Path) -> None:
    files = list((site / "data").glob("*.csv"))
    assert len(files) == len(list(site.rglob("*.html")))
    for path in files:
        frame = pl.read_csv(path, infer_schema=False)
        for column in frame.columns:
            for cell in frame[column].drop_nulls():
                if cell[:1] in FORMULA_PREFIXES:
                    # only numbers may start with '-' (written as numbers); text is prefixed with an apostrophe
                    float(cell)


def test_trend_rows_split_at_variant_change_break_flag_and_gap() -> None:
    series = pl.DataFrame(
        {
            "year": [2016, 2017, 2018, 2019, 2021, 2022, 2019],
            "value": [1.0, 2, 3, 4, 5, 6, 50],
            "ci_low": [0.5, 1, 2, 3, 4, 5, 45],
            "ci_high": [1.5, 3, 4, 5, 6, 7, 55],
            "obs_status": [None, None, "b", None, None, None, None],
            "quality_flags": [None, "small_count", None, None, None, None, None],
            "series_variant": ["a", "a", "a", "a", "a", "a", "new_wording"],
            "numerator": [1.0, 2, 3, 4, 5, 6, None],
            "geo_code": ["X"] * 7,
        }
    )
    rows = trend_rows(series)
    assert [(r["year"], r["segment"], r["starts_break"]) for r in rows] == [
        (2016, "a#0", False),
        (2017, "a#0", False),
        (2018, "a#1", True),  # break flag b: not comparable with 2017
        (2019, "a#1", False),
        (2021, "a#2", False),  # 2020 missing in an annual series: not joined, nothing to mark
        (2022, "a#2", False),
        (2019, "new_wording#0", True),  # another variant: its own line, marked
    ]
    assert rows[1]["flagged"] == "flagged" and "fewer than 10" in rows[1]["flags"]


def _bar(values: list[float]) -> dict[str, Any]:
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "data": {"values": [{"x": str(i), "y": v} for i, v in enumerate(values)]},
        "mark": "bar",
        "encoding": {"x": {"field": "x", "type": "nominal"}, "y": {"field": "y", "type": "quantitative"}},
    }


def test_an_svg_fallback_of_an_unchanged_spec_is_reused_and_a_changed_one_rendered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import vl_convert

    from dashboard import build

    first = [build.Chart("comparison", "a", _bar([1, 2]), [], []), build.Chart("comparison", "b", _bar([3, 4]), [], [])]
    assert build.render_svgs(first, "summary", previous=tmp_path / "none", cache=tmp_path / "one") == 2
    assert all(c.svg.startswith("<svg") for c in first) and len(list((tmp_path / "one").glob("*.svg"))) == 2

    rendered = []
    real = vl_convert.vegalite_to_svg
    monkeypatch.setattr(vl_convert, "vegalite_to_svg", lambda spec, **kw: rendered.append(spec) or real(spec, **kw))
    again = [build.Chart("comparison", "a", _bar([1, 2]), [], []), build.Chart("comparison", "b", _bar([3, 5]), [], [])]
    build.render_svgs(again, "summary", previous=tmp_path / "one", cache=tmp_path / "two")
    assert again[0].svg == first[0].svg  # same spec: the previous build's SVG, byte for byte
    assert rendered == [_bar([3, 5])] and again[1].svg != first[1].svg  # a changed spec is rendered anew
    assert len(list((tmp_path / "two").glob("*.svg"))) == 2  # only what this build uses is kept for the next
