"""Generate the dashboard: an overview, a page per city with any published value and a page per indicator.

The site is plain files (HTML, one CSS, one script, the Vega bundle written once per build from vl-convert, CSV
files): it opens from disk or a file share and can be copied to any web server; no request leaves a page.
Charts are Vega-Lite specs embedded in the pages (dashboard.charts: one validated template per chart type, data
injected); each has a table alternative, an accessible label and, for readers without JavaScript, a static SVG
rendered by vl-convert (see ``SVG_ENV`` for what it costs and how to choose).

Usage: ``python -m dashboard.build [--out DIR]`` (reads ``$URBAN_SAFETY_DB``).
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import math
import os
import shutil
import sys
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
import numpy as np
import polars as pl
import vl_convert
from markupsafe import Markup
from scipy.stats import chi2

from dashboard import charts, site_dir
from dashboard.data import (
    RECORDED_CRIME,
    REGION_INDICATORS,
    REGISTER_INDICATORS,
    Published,
    first_dimension,
    load,
)
from transforms.self_assessment import DIMENSIONS, SIZE_UNITS
from warehouse.export import neutralise_formulas
from warehouse.metadata import QUALITY_FLAGS

# Static SVG fallbacks (vl-convert) for readers without JavaScript. Rendering costs 40-200 ms per chart on the
# 2-core reference machine and a city's trend charts number in the thousands, so rendering all of them would
# break the 60 s budget (measured: bench/results.md). "summary" (the default) renders the indicator pages'
# dot-and-whisker comparisons; every other chart's no-JS view is its table alternative, which every chart has,
# and the city pages' spine tables are server-side SVG that need no script. "all" renders every chart (for a
# publication where time does not matter), "none" none. Printing uses the live SVG the page draws.
SVG_ENV = "URBAN_SAFETY_SITE_SVG"
SVG_MODES = {"all": None, "summary": ("comparison", "comparison_within_country"), "none": ()}
PACKAGE = Path(__file__).resolve().parent
# A relative half-width above this (interval wider than the value itself) is drawn as uncertain.
WIDE_INTERVAL = 0.5
WHISKER_OPACITY = {"precise": 0.9, "wide": 0.3}
CSV_COLUMNS = (
    "indicator_id",
    "breakdown",
    "geo_code",
    "geo_level",
    "period",
    "value",
    "unit",
    "ci_low",
    "ci_high",
    "numerator",
    "denominator",
    "sample_size",
    "opinion_share",
    "obs_status",
    "series_variant",
    "comparability",
    "quality_flags",
    "example_data",
    "note",
    "source_dataset",
    "source_version",
)


@dataclass
class Chart:
    kind: str
    title: str
    spec: dict[str, Any]
    table: list[dict[str, Any]]
    columns: list[str]
    ident: str = ""
    svg: str = ""


@dataclass
class Page:
    path: str  # relative to the site root
    template: str
    context: dict[str, Any]
    charts: list[Chart] = field(default_factory=list)
    csv_name: str = ""
    csv_frame: pl.DataFrame | None = None


@dataclass(frozen=True)
class SiteStats:
    out_dir: Path
    pages: int
    cities: int
    indicators: int
    charts: int
    svg_fallbacks: int
    seconds: float


# ---------------------------------------------------------------------------------------------------- formatting


def fmt(value: float | None, unit: str = "") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    magnitude = abs(value)
    if magnitude >= 1000:
        text = f"{value:,.0f}"
    elif magnitude >= 100:
        text = f"{value:.0f}"
    elif magnitude >= 10:
        text = f"{value:.1f}"
    else:
        text = f"{value:.2f}"
    return text


def with_interval(value: float | None, low: float | None, high: float | None) -> str:
    if low is None or high is None:
        return fmt(value)
    return f"{fmt(value)} ({fmt(low)}–{fmt(high)})"


def precision(value: float | None, low: float | None, high: float | None) -> str:
    if value is None or low is None or high is None or value == 0:
        return "wide" if low is not None and high is not None and high > low else "precise"
    return "wide" if (high - low) / 2 > WIDE_INTERVAL * abs(value) else "precise"


def flag_meanings(flags: str | None) -> str:
    if not flags:
        return ""
    return "; ".join(f"{f}: {QUALITY_FLAGS.get(f, f)}" for f in flags.split(","))


def breakdown_label(pub: Published, indicator_id: str, breakdown: str | None) -> str:
    if breakdown is None:
        return ""
    return pub.label("iccs", breakdown) or pub.label("esif_thematic_objective", breakdown) or breakdown


def js_json(data: Any) -> Markup:
    """JSON for a <script type="application/json"> element: '</' cannot close the element early."""
    return Markup(json.dumps(data, separators=(",", ":"), ensure_ascii=False).replace("</", "<\\/"))


# ------------------------------------------------------------------------------------------------------- charts


def trend_rows(series: pl.DataFrame | list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows of one trend chart (one indicator, breakdown and territory), with the segments lines may join.

    A segment ends where the series variant changes (another question wording or table: not comparable), at a
    Eurostat break flag ``b`` (the value is not comparable with the one before) and at a gap of missing years in
    an annual series. Lines and bands are drawn per segment, so none of these is ever bridged."""
    rows: list[dict[str, Any]] = []
    by_variant: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in series.to_dicts() if isinstance(series, pl.DataFrame) else series:
        by_variant[r["series_variant"]].append(r)
    variants = sorted(by_variant, key=lambda v: (min(r["year"] for r in by_variant[v]), v))
    for number, variant in enumerate(variants):
        part = sorted(by_variant[variant], key=lambda r: r["year"])
        years = [r["year"] for r in part]
        annual = len(years) > 1 and sorted(b - a for a, b in itertools.pairwise(years))[(len(years) - 1) // 2] == 1
        segment, previous = 0, None
        for r in part:
            breaks = "b" in (r["obs_status"] or "")
            starts_break, note = False, ""
            if previous is None and number > 0:
                starts_break, note = True, f"new series: {variant} (not comparable with the previous one)"
            elif previous is not None and breaks:
                segment += 1
                starts_break, note = True, "break in series (source flag b): not comparable with earlier years"
            elif previous is not None and annual and r["year"] - previous > 1:
                segment += 1  # missing years: not joined, nothing to mark
            rows.append(
                {
                    "year": r["year"],
                    "value": r["value"],
                    "ci_low": r["ci_low"],
                    "ci_high": r["ci_high"],
                    "series_variant": variant,
                    "segment": f"{variant}#{segment}",
                    "starts_break": starts_break,
                    "break_note": note,
                    "whisker_opacity": WHISKER_OPACITY[precision(r["value"], r["ci_low"], r["ci_high"])],
                    "break_opacity": 1 if starts_break else 0,
                    "flagged": "flagged" if r["quality_flags"] else "none",
                    "flags": flag_meanings(r["quality_flags"]),
                    "obs_status": r["obs_status"] or "",
                    "label": with_interval(r["value"], r["ci_low"], r["ci_high"]),
                    "numerator": r["numerator"],
                    "geo_code": r["geo_code"],
                }
            )
            previous = r["year"]
    return rows


def poisson_limits(pooled: np.ndarray | float, population: np.ndarray, p: float) -> tuple[np.ndarray, np.ndarray]:
    """Exact Poisson limits (per 100,000) of a rate around ``pooled`` (events per person) for ``population``."""
    expected = np.asarray(pooled * population, dtype=float)
    low = np.where(expected > 0, chi2.ppf(p, 2 * np.maximum(expected, 1e-12)) / 2, 0.0)
    high = chi2.ppf(1 - p, 2 * expected + 2) / 2
    return low / population * 1e5, high / population * 1e5


def funnel_rows(regions: pl.DataFrame) -> list[dict[str, Any]]:
    """Regions of each country (one period and offence) with the country's pooled rate and exact Poisson 95 % and
    99.8 % limits (Spiegelhalter's funnel plot): inside the funnel, a small region's rate is what chance alone
    produces. Countries with fewer than 3 regions get no funnel."""
    rows: list[dict[str, Any]] = []
    for (country,), part in regions.group_by(["country"], maintain_order=True):
        total_events, total_pop = part["numerator"].sum(), part["denominator"].sum()
        if not total_pop or len(part) < 3:
            continue
        pooled = total_events / total_pop
        low_pop, high_pop = max(part["denominator"].min() * 0.8, 1.0), part["denominator"].max() * 1.2
        grid = low_pop * (high_pop / low_pop) ** (np.arange(41) / 40)
        lo95, hi95 = poisson_limits(pooled, grid, 0.025)
        lo998, hi998 = poisson_limits(pooled, grid, 0.001)
        rows += [
            {
                "country": country,
                "kind": "limit",
                "population": float(grid[i]),
                "pooled": pooled * 1e5,
                "lo95": float(lo95[i]),
                "hi95": float(hi95[i]),
                "lo998": float(lo998[i]),
                "hi998": float(hi998[i]),
            }
            for i in range(len(grid))
        ]
        population = part["denominator"].to_numpy()
        r_lo95, r_hi95 = poisson_limits(pooled, population, 0.025)
        r_lo998, r_hi998 = poisson_limits(pooled, population, 0.001)
        for i, r in enumerate(part.iter_rows(named=True)):
            rate = r["value"]
            position = (
                "above 99.8 % limit"
                if rate > r_hi998[i]
                else "above 95 % limit"
                if rate > r_hi95[i]
                else "below 99.8 % limit"
                if rate < r_lo998[i]
                else "below 95 % limit"
                if rate < r_lo95[i]
                else "within limits"
            )
            rows.append(
                {
                    "country": country,
                    "kind": "region",
                    "name": r["name"],
                    "population": r["denominator"],
                    "value": rate,
                    "position": position,
                    "label": with_interval(rate, r["ci_low"], r["ci_high"]),
                }
            )
    return rows


def spine_svg(
    value: float,
    low: float | None,
    high: float | None,
    median: float | None,
    pmin: float | None,
    pmax: float | None,
    colour: str,
    wide: bool,
) -> Markup:
    """A spine row: the peers' range (grey bar), their median (black tick), the value (dot) and its interval."""
    points = [v for v in (value, low, high, median, pmin, pmax) if v is not None]
    lo, hi = min(points), max(points)
    span = (hi - lo) or 1.0
    width, pad = 220, 8

    def x(v: float) -> float:
        return round(pad + (v - lo) / span * (width - 2 * pad), 1)

    parts = [f'<svg class="spine" width="{width}" height="22" viewBox="0 0 {width} 22" aria-hidden="true">']
    if pmin is not None and pmax is not None:
        parts.append(f'<rect x="{x(pmin)}" y="7" width="{max(x(pmax) - x(pmin), 1)}" height="8" fill="#d9d9d9"/>')
    if median is not None:
        parts.append(f'<line x1="{x(median)}" x2="{x(median)}" y1="3" y2="19" stroke="#000" stroke-width="2"/>')
    if low is not None and high is not None:
        dash = ' stroke-dasharray="3 2"' if wide else ""
        opacity = 0.45 if wide else 0.9
        parts.append(
            f'<line x1="{x(low)}" x2="{x(high)}" y1="11" y2="11" stroke="{colour}" stroke-width="3" '
            f'stroke-opacity="{opacity}"{dash}/>'
        )
    parts.append(f'<circle cx="{x(value)}" cy="11" r="5" fill="{colour}" stroke="#333" stroke-width="0.8"/>')
    parts.append("</svg>")
    return Markup("".join(parts))


def band_display(band: str | None, direction: str) -> str:
    """What a band is called on the page: without a direction, better/worse become higher/lower (neutral)."""
    if band is None:
        return "not compared"
    if direction == "ctx":
        return {"better": "higher", "worse": "lower"}.get(band, band)
    return band


# -------------------------------------------------------------------------------------------------------- pages


class SiteBuilder:
    def __init__(self, pub: Published) -> None:
        self.pub = pub
        self.geo = {r["geo_code"]: r for r in pub.geographies.iter_rows(named=True)}
        self.indicators = {r["indicator_id"]: r for r in pub.indicators.iter_rows(named=True)}
        self.cities = pub.geographies.filter(pl.col("geo_level") == "CITY").sort("country_code", "name")
        values = pub.values.with_columns(
            pl.when(pl.col("period").str.contains(r"^\d{4}$"))
            .then(pl.col("period").cast(pl.Int32, strict=False))
            .alias("year")
        )
        self.values = values
        self.values_by_geo = {k[0]: v for k, v in values.partition_by("geo_code", as_dict=True).items()}
        self.charts = 0

    def name(self, geo_code: str | None) -> str:
        if geo_code is None:
            return ""
        row = self.geo.get(geo_code)
        return (row["name"] if row and row["name"] else None) or geo_code

    # --- city ---------------------------------------------------------------------------------------------
    def city_values(self, city: dict[str, Any]) -> pl.DataFrame:
        """The city's own values and, for recorded crime and population, those of its NUTS 3 region (its own
        figures when the city is the region; context when the city is part of it)."""
        own = self.values_by_geo.get(city["geo_code"], pl.DataFrame(schema=self.values.schema))
        region = city["nuts3_code"]
        if region and region in self.values_by_geo:
            via = self.values_by_geo[region].filter(pl.col("indicator_id").is_in(REGION_INDICATORS))
            return pl.concat([own, via])
        return own

    def city_page(self, city: dict[str, Any]) -> Page:
        code = city["geo_code"]
        ind = self.indicators
        values = self.city_values(city)
        country = self.name(city["country_code"])
        region = city["nuts3_code"]
        dims = self.pub.self_assessment.filter(pl.col("geo_code") == code).sort("dimension_code")
        positions = (
            self.pub.positions.filter(pl.col("geo_code") == code) if self.pub.positions.height else self.pub.positions
        )
        profile = []
        for d in dims.iter_rows(named=True):
            profile.append({**d, "band_class": (d["position_band"] or "none")})
        value_rows = values.to_dicts()
        numerators = {
            (r["geo_code"], r["indicator_id"], r["breakdown"], r["period"], r["series_variant"]): r["numerator"]
            for r in value_rows
        }
        spine: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for p in positions.iter_rows(named=True) if positions.height else []:
            meta = ind.get(p["indicator_id"], {})
            direction = meta.get("direction", "ctx")
            shown = band_display(p["band"], direction)
            key = (p["via_region"] or code, p["indicator_id"], p["breakdown"], p["period"], p["series_variant"])
            count = numerators.get(key)
            colour = charts.BAND_COLOURS.get(shown, charts.BAND_COLOURS["not compared"])
            wide = precision(p["value"], p["ci_low"], p["ci_high"]) == "wide"
            spine[p["dimension_code"]].append(
                {
                    **p,
                    "name": meta.get("name", p["indicator_id"]),
                    "breakdown_label": breakdown_label(self.pub, p["indicator_id"], p["breakdown"]),
                    "direction": direction,
                    "shown_band": shown,
                    "colour": colour,
                    "count": f"{count:,.0f}" if count is not None else "",
                    "value_text": with_interval(p["value"], p["ci_low"], p["ci_high"]),
                    "wide": wide,
                    "svg": spine_svg(
                        p["value"],
                        p["ci_low"],
                        p["ci_high"],
                        p["peer_median"],
                        p["peer_min"],
                        p["peer_max"],
                        colour,
                        wide,
                    ),
                    "crime": p["indicator_id"] in RECORDED_CRIME,
                }
            )
        trends: dict[str, list[Chart]] = defaultdict(list)
        grouped: dict[tuple[str, str | None, str], list[dict[str, Any]]] = defaultdict(list)
        for r in value_rows:
            if r["year"] is not None and r["indicator_id"] not in REGISTER_INDICATORS:
                grouped[(r["indicator_id"], r["breakdown"], r["geo_code"])].append(r)
        for (indicator_id, breakdown, geo_code), series in grouped.items():
            meta = ind.get(indicator_id)
            if meta is None:
                continue
            dim = first_dimension(meta["dimension"]) or "D6"
            title = meta["name"] + (f" — {breakdown_label(self.pub, indicator_id, breakdown)}" if breakdown else "")
            if geo_code != code:
                match = city["territory_match"] or "linked"
                relation = "the city's own territory" if match == "same_territory" else "the region around the city"
                title += f" ({self.name(geo_code)}, {geo_code}: {relation})"
            rows = trend_rows(series)
            spec = charts.inject(
                "trend",
                rows,
                f"{title}, {meta['unit']}, by year, with 95 % intervals",
                indicator_id=indicator_id,
                breakdown=breakdown,
                geo_code=geo_code,
            )
            columns = ["year", "series_variant", "label", "numerator", "obs_status", "flags"]
            trends[dim].append(Chart("trend", f"{title} · {meta['unit']}", spec, rows, columns))
        for dim in trends:
            trends[dim].sort(key=lambda c: c.title)
        registers = values.filter(pl.col("indicator_id").is_in(REGISTER_INDICATORS)).sort("indicator_id", "breakdown")
        register_rows = [
            {**r, "name": ind.get(r["indicator_id"], {}).get("name", r["indicator_id"]), "value_text": fmt(r["value"])}
            for r in registers.iter_rows(named=True)
        ]
        register_charts = []
        shares = registers.filter(pl.col("indicator_id") == "PP_LEVEL_SHARE")
        if shares.height:
            rows = [
                {
                    "label": r["breakdown"].split("|")[0],
                    "group": "share of " + r["breakdown"].split("|")[-1],
                    "value": r["value"],
                }
                for r in shares.iter_rows(named=True)
            ]
            example = bool(shares["example_data"].any())
            title = "Prevention Pyramid: share per level" + (" — EXAMPLE DATA" if example else "")
            register_charts.append(
                Chart(
                    "bars",
                    title,
                    charts.inject("bars", rows, title, indicator_id="PP_LEVEL_SHARE", geo_code=code),
                    rows,
                    ["group", "label", "value"],
                )
            )
        latest = (
            values.filter(~pl.col("indicator_id").is_in(REGISTER_INDICATORS))
            .group_by("indicator_id", "geo_code")
            .agg(pl.col("period").max().alias("latest"))
            .sort("indicator_id", "geo_code")
        )
        currency = [
            {
                "name": ind.get(r["indicator_id"], {}).get("name", r["indicator_id"]),
                "geo": r["geo_code"],
                "latest": r["latest"],
            }
            for r in latest.iter_rows(named=True)
        ]
        page_charts = [c for dim in sorted(trends) for c in trends[dim]] + register_charts
        context = {
            "city": city,
            "country": country,
            "region": region,
            "region_name": self.name(region) if region else None,
            "region_page": "../indicator/SEC_RECORDED_RATE.html",
            "profile": profile,
            "spine": spine,
            "trends": trends,
            "register_rows": register_rows,
            "register_charts": register_charts,
            "registers_example": bool(registers["example_data"].any()) if registers.height else False,
            "currency": currency,
            "dimensions": DIMENSIONS,
            "indicators": ind,
        }
        csv = values.select([c for c in CSV_COLUMNS if c in values.columns]).sort(
            "indicator_id", "breakdown", "geo_code", "period"
        )
        return Page(f"city/{code}.html", "city.html", context, page_charts, f"city-{code}.csv", csv)

    # --- indicator ----------------------------------------------------------------------------------------
    def indicator_page(self, meta: dict[str, Any]) -> Page:
        indicator_id = meta["indicator_id"]
        crime = indicator_id in RECORDED_CRIME
        rows = self.values.filter(pl.col("indicator_id") == indicator_id)
        page_charts: list[Chart] = []
        sections: list[dict[str, Any]] = []
        # Counts and amounts are not compared between places: without the population behind them they say
        # nothing about a place's level (the self-assessment compares rates and shares only, too).
        count_like = meta["unit"] in SIZE_UNITS
        comparable = meta["comparability"] != "not_comparable" and not count_like
        city_rows = self.comparison_values(indicator_id, rows) if comparable else rows.clear()
        csv_parts = [city_rows]
        for (breakdown,), part in sorted(
            city_rows.group_by(["breakdown"]), key=lambda kv: (kv[0][0] is not None, kv[0][0] or "")
        ):
            label = breakdown_label(self.pub, indicator_id, breakdown)
            section: dict[str, Any] = {"breakdown": breakdown, "label": label, "charts": []}
            data = [
                {
                    "country": self.name(r["country_code"]),
                    "name": r["display_name"],
                    "value": r["value"],
                    "ci_low": r["ci_low"],
                    "ci_high": r["ci_high"],
                    "period": r["period"],
                    "whisker_opacity": WHISKER_OPACITY[precision(r["value"], r["ci_low"], r["ci_high"])],
                    "label": with_interval(r["value"], r["ci_low"], r["ci_high"]) + f" in {r['period']}",
                }
                for r in part.sort("country_code", "value").iter_rows(named=True)
            ]
            title = f"{meta['name']}{' — ' + label if label else ''}: cities within their country"
            kind = "comparison_within_country" if crime or meta["comparability"] != "cross_country" else "comparison"
            chart = Chart(
                kind,
                title,
                charts.inject(kind, data, title, indicator_id=indicator_id, breakdown=breakdown),
                data,
                ["country", "name", "label"],
            )
            section["charts"].append(chart)
            page_charts.append(chart)
            if meta["unit"] == "per 100000 inhabitants":
                funnel = self.funnel_regions(indicator_id, breakdown)
                frows = funnel_rows(funnel) if funnel.height else []
                if frows:  # a country needs 3 regions for a funnel
                    ftitle = f"{meta['name']}{' — ' + label if label else ''}: funnel plot per country"
                    fchart = Chart(
                        "funnel",
                        ftitle,
                        charts.inject("funnel", frows, ftitle, indicator_id=indicator_id, breakdown=breakdown),
                        [r for r in frows if r["kind"] == "region"],
                        ["country", "name", "population", "label", "position"],
                    )
                    section["charts"].append(fchart)
                    page_charts.append(fchart)
                    csv_parts.append(funnel.drop("country", "name"))
            sections.append(section)
        csv = pl.concat(
            [p.select([c for c in CSV_COLUMNS if c in p.columns]) for p in csv_parts], how="diagonal_relaxed"
        )
        context = {
            "meta": meta,
            "count_like": count_like,
            "crime": crime,
            "sections": sections,
            "comparable": comparable,
            "dimension": first_dimension(meta["dimension"]),
        }
        return Page(
            f"indicator/{indicator_id}.html",
            "indicator.html",
            context,
            page_charts,
            f"indicator-{indicator_id}.csv",
            csv,
        )

    def comparison_values(self, indicator_id: str, rows: pl.DataFrame) -> pl.DataFrame:
        """The cities' latest values of the indicator's latest series variant, one per city and breakdown: for
        regional indicators the value of the city's NUTS 3 region when the city is that region. Example data
        never enters a comparison."""
        cities = self.cities.select("geo_code", "name", "country_code", "nuts3_code", "territory_match")
        own = rows.join(cities.select("geo_code", "name", "country_code"), on="geo_code").with_columns(
            pl.col("name").fill_null(pl.col("geo_code")).alias("display_name")
        )
        same = cities.filter(pl.col("territory_match") == "same_territory")
        via = rows.join(
            same.select(pl.col("nuts3_code").alias("geo_code"), pl.col("name").alias("city_name"), "country_code"),
            on="geo_code",
        ).with_columns((pl.col("city_name") + " (via " + pl.col("geo_code") + ")").alias("display_name"))
        both = pl.concat([own.drop("name"), via.drop("city_name")], how="diagonal_relaxed").filter(
            ~pl.col("example_data") & pl.col("year").is_not_null()
        )
        if both.is_empty():
            return both
        latest_variant = (
            both.group_by("breakdown", "series_variant")
            .agg(pl.col("year").max().alias("y"))
            .sort("y")
            .group_by("breakdown")
            .agg(pl.col("series_variant").last())
        )
        both = both.join(latest_variant, on=["breakdown", "series_variant"], nulls_equal=True)
        return both.filter(pl.col("year") == pl.col("year").max().over("breakdown", "country_code", "display_name"))

    def funnel_regions(self, indicator_id: str, breakdown: str | None) -> pl.DataFrame:
        """NUTS 3 regions (or cities, for a city rate) of each country in that country's latest year."""
        level = "CITY" if indicator_id == "SEC_HOM_RATE_CITY" else "NUTS3"
        part = self.values.filter(
            (pl.col("indicator_id") == indicator_id)
            & pl.col("breakdown").eq_missing(breakdown)
            & (pl.col("geo_level") == level)
            & pl.col("numerator").is_not_null()
            & pl.col("denominator").is_not_null()
        ).join(self.pub.geographies.select("geo_code", "name", pl.col("country_code").alias("cc")), on="geo_code")
        if part.is_empty():
            return part
        part = part.filter(pl.col("year") == pl.col("year").max().over("cc"))
        return part.with_columns(
            pl.col("cc").replace_strict({c: self.name(c) for c in part["cc"].unique()}).alias("country"),
            pl.col("name").fill_null(pl.col("geo_code")),
        ).sort("cc", "denominator")

    # --- overview -----------------------------------------------------------------------------------------
    def overview_page(self, city_codes: list[str]) -> Page:
        assessment = self.pub.self_assessment.filter(pl.col("geo_code").is_in(city_codes))
        cells: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
        for r in assessment.iter_rows(named=True):
            cells[r["geo_code"]][r["dimension_code"]] = r
        countries: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for c in self.cities.filter(pl.col("geo_code").is_in(city_codes)).iter_rows(named=True):
            countries[self.name(c["country_code"])].append(c)
        index = [
            {
                "name": c["name"] or c["geo_code"],
                "code": c["geo_code"],
                "country": country,
                "url": f"city/{c['geo_code']}.html",
            }
            for country, items in countries.items()
            for c in items
        ]
        context = {
            "countries": dict(sorted(countries.items())),
            "cells": cells,
            "dimensions": DIMENSIONS,
            "index": js_json(index),
            "indicators": sorted(self.indicators.values(), key=lambda m: m["indicator_id"]),
        }
        return Page("index.html", "overview.html", context, [], "overview.csv", assessment.sort("geo_code"))


# ------------------------------------------------------------------------------------------------------ writing


SVG_CACHE = "svg"  # under assets/: each fallback as <sha of renderer + spec>.svg, reused by the next build


def render_svgs(all_charts: list[Chart], mode: str, previous: Path, cache: Path) -> int:
    """The SVG fallbacks of the charts ``mode`` selects. Rendering is deterministic (same vl-convert, same
    Vega-Lite, same spec: same SVG), so a fallback the previous build rendered from the same spec is copied from
    ``previous`` instead of rendered again (rendering costs ~0.2 s a chart); every fallback is written to
    ``cache`` for the next build."""
    kinds = SVG_MODES[mode]
    chosen = [c for c in all_charts if kinds is None or c.kind in kinds]
    renderer = f"vl-convert {vl_convert.__version__}, Vega-Lite {charts.VL_VERSION}\n"
    files = [
        f"{hashlib.sha256((renderer + json.dumps(c.spec, sort_keys=True, default=str)).encode()).hexdigest()[:32]}.svg"
        for c in chosen
    ]
    todo = []
    for chart, name in zip(chosen, files, strict=True):
        if (previous / name).is_file():
            chart.svg = (previous / name).read_text(encoding="utf-8")
        else:
            todo.append(chart)

    def one(chart: Chart) -> None:
        chart.svg = vl_convert.vegalite_to_svg(chart.spec, vl_version=charts.VL_VERSION)

    with ThreadPoolExecutor(max_workers=max(1, min(2, os.cpu_count() or 1))) as pool:
        list(pool.map(one, todo))
    cache.mkdir(parents=True, exist_ok=True)
    for chart, name in zip(chosen, files, strict=True):
        (cache / name).write_text(chart.svg, encoding="utf-8")
    return len(chosen)


def write_vega_bundle(assets: Path, previous: Path) -> None:
    """assets/vega.js from vl-convert, or the previous build's copy when vl-convert and the Vega-Lite version are
    the same (the bundle takes 2-7 s to generate on the reference machine; it only changes with them)."""
    stamp = f"vl-convert {vl_convert.__version__}, Vega-Lite {charts.VL_VERSION}\n"
    old_stamp = previous / "vega.version"
    if (previous / "vega.js").is_file() and old_stamp.is_file() and old_stamp.read_text(encoding="utf-8") == stamp:
        shutil.copyfile(previous / "vega.js", assets / "vega.js")
    else:
        (assets / "vega.js").write_text(charts.vega_bundle(), encoding="utf-8")
    (assets / "vega.version").write_text(stamp, encoding="utf-8")


def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(PACKAGE / "templates"),
        autoescape=jinja2.select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["fmt"] = fmt
    env.filters["js_json"] = js_json
    env.globals["quality_flags"] = QUALITY_FLAGS
    env.globals["band_colours"] = charts.BAND_COLOURS
    return env


def build_site(db: Path, out_dir: Path, svg_mode: str | None = None, work_db: Path | None = None) -> SiteStats:
    """Write the whole site for the analysts' file ``db`` into ``out_dir`` (built next to it, then swapped in,
    so a reader never sees half a site). ``work_db``: the pipeline's working file, for ICCS labels when the
    warehouse publishes no published.code_labels."""
    started = time.perf_counter()
    svg_mode = (svg_mode or os.environ.get(SVG_ENV) or "summary").strip().lower()
    if svg_mode not in SVG_MODES:
        raise ValueError(f"{SVG_ENV} must be one of {', '.join(SVG_MODES)}, not {svg_mode!r}")
    pub = load(db, work_db)
    builder = SiteBuilder(pub)
    city_codes = [c for c in builder.cities["geo_code"] if c in builder.values_by_geo]
    city_rows = {r["geo_code"]: r for r in builder.cities.iter_rows(named=True)}
    pages = [builder.overview_page(city_codes)]
    pages += [builder.city_page(city_rows[c]) for c in city_codes]
    pages += [builder.indicator_page(m) for m in sorted(builder.indicators.values(), key=lambda m: m["indicator_id"])]
    all_charts = []
    for page in pages:
        for number, chart in enumerate(page.charts, 1):
            chart.ident = f"chart-{number}"
            all_charts.append(chart)
    tmp = out_dir.with_name(f".{out_dir.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    for sub in ("city", "indicator", "data", "assets"):
        (tmp / sub).mkdir(parents=True)
    svg_count = render_svgs(
        all_charts, svg_mode, previous=out_dir / "assets" / SVG_CACHE, cache=tmp / "assets" / SVG_CACHE
    )
    write_vega_bundle(tmp / "assets", previous=out_dir / "assets")
    for asset in ("site.css", "site.js"):
        shutil.copyfile(PACKAGE / "static" / asset, tmp / "assets" / asset)
    env = environment()
    common = {"published_at": pub.published_at, "generated_by": "dashboard.build", "flags": QUALITY_FLAGS}
    for page in pages:
        depth = page.path.count("/")
        root = "../" * depth
        html = env.get_template(page.template).render(
            **page.context,
            **common,
            root=root,
            page_path=page.path,
            charts_on_page=page.charts,
            csv_href=f"{root}data/{page.csv_name}",
            permalink=page.path.rsplit("/", 1)[-1],
        )
        (tmp / page.path).write_text(html, encoding="utf-8")
        if page.csv_frame is not None:
            neutralise_formulas(page.csv_frame).write_csv(tmp / "data" / page.csv_name)
    if out_dir.exists():
        old = out_dir.with_name(f".{out_dir.name}.old-{os.getpid()}")
        os.replace(out_dir, old)
        os.replace(tmp, out_dir)
        shutil.rmtree(old, ignore_errors=True)
    else:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp, out_dir)
    return SiteStats(
        out_dir=out_dir,
        pages=len(pages),
        cities=len(city_codes),
        indicators=len(builder.indicators),
        charts=len(all_charts),
        svg_fallbacks=svg_count,
        seconds=time.perf_counter() - started,
    )


def main(argv: list[str] | None = None) -> int:
    from sources.config import db_path, work_db_path

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=None, help="output folder (default: $URBAN_SAFETY_SITE_DIR)")
    parser.add_argument("--svg", choices=list(SVG_MODES), default=None, help=f"SVG fallbacks (default ${SVG_ENV})")
    args = parser.parse_args(argv)
    db = db_path()
    stats = build_site(db, args.out or site_dir(db), args.svg, work_db_path())
    print(
        f"site: {stats.out_dir / 'index.html'}: {stats.pages} pages ({stats.cities} cities, {stats.indicators} "
        f"indicators), {stats.charts} charts, {stats.svg_fallbacks} SVG fallbacks, {stats.seconds:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
