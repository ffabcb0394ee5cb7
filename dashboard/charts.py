"""One Vega-Lite spec template per chart type, built with Altair and validated once; charts get their data
injected into a copy (``inject``), so a site of thousands of charts pays one schema validation per chart type.

Every template reads one named dataset, ``values``; the generator (dashboard.build) shapes the rows. The fields
each template expects are listed in its docstring, and the tests read the injected specs back to check the
rules the charts must keep (no line across a series break or variant; recorded crime never across countries).
"""

from __future__ import annotations

import functools
from typing import Any

import altair as alt
import vl_convert

# Vega-Lite version of the specs, of the JavaScript bundle and of the SVG fallbacks (vl_convert).
VL_VERSION = "6.4"
DATASET = "values"

# Band colours (Fingertips-like, colour-blind safe): better blue, worse orange-red, similar yellow;
# grey where the indicator has no direction or nothing was compared.
BAND_COLOURS = {
    "better": "#2166ac",
    "similar": "#e6c34a",
    "worse": "#d6604d",
    "higher": "#7f7fbf",
    "lower": "#7f7fbf",
    "not compared": "#bdbdbd",
}

_FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"
_CONFIG = {
    "font": _FONT,
    "view": {"stroke": None},
    "axis": {"labelFontSize": 11, "titleFontSize": 11, "grid": True, "gridColor": "#eeeeee"},
    "legend": {"labelFontSize": 11, "titleFontSize": 11, "orient": "bottom"},
}


def _data() -> alt.NamedData:
    return alt.NamedData(name=DATASET)


@functools.cache
def trend_template() -> dict[str, Any]:
    """A trend with its 95 % band. Fields: year (int), value, ci_low, ci_high, segment (a series variant and the
    stretch between two breaks: lines and bands are drawn per segment, never across), series_variant, starts_break
    (true on the first year of a segment after a break or variant change), break_opacity (1 there: a dashed
    rule marks it; 0 elsewhere), whisker_opacity (0.3 for a wide interval, drawn lighter; 0.9
    otherwise), flagged (``flagged``/``none``), flags (the meaning of every screening flag, for the tooltip),
    obs_status, label (the value as text)."""
    base = alt.Chart(_data()).encode(
        x=alt.X("year:Q", title=None, axis=alt.Axis(format="d", tickMinStep=1)),
        color=alt.Color("series_variant:N", title="series", legend=alt.Legend(orient="bottom", columns=1)),
    )
    tooltip = [
        alt.Tooltip("year:Q", format="d", title="year"),
        alt.Tooltip("label:N", title="value (95 % interval)"),
        alt.Tooltip("series_variant:N", title="series"),
        alt.Tooltip("obs_status:N", title="source flags"),
        alt.Tooltip("flags:N", title="screening flags"),
    ]
    band = base.mark_area(opacity=0.18).encode(y=alt.Y("ci_low:Q", title=None), y2="ci_high:Q", detail="segment:N")
    line = base.mark_line(strokeWidth=2).encode(y="value:Q", detail="segment:N")
    whisker = base.mark_rule(strokeWidth=2).encode(
        y="ci_low:Q",
        y2="ci_high:Q",
        opacity=alt.Opacity("whisker_opacity:Q", scale=None),
    )
    points = base.mark_point(filled=True, size=45).encode(
        y="value:Q",
        shape=alt.Shape(
            "flagged:N",
            scale=alt.Scale(domain=["none", "flagged"], range=["circle", "triangle-up"]),
            legend=alt.Legend(title="screening flag", orient="bottom"),
        ),
        tooltip=tooltip,
    )
    # Drawn on every year, visible only where a segment starts after a break (an empty layer would warn).
    breaks = (
        alt.Chart(_data())
        .mark_rule(strokeDash=[4, 3], color="#444444")
        .encode(x="year:Q", opacity=alt.Opacity("break_opacity:Q", scale=None))
    )
    chart = alt.layer(band, line, whisker, points, breaks).properties(width=460, height=170)
    return chart.configure(**_CONFIG).to_dict(validate=True)


@functools.cache
def comparison_template(independent_x: bool) -> dict[str, Any]:
    """Dots with 95 % whiskers, one panel per country (peers are compared within their country only). Fields:
    country, name, value, ci_low, ci_high, whisker_opacity, label. ``independent_x``: every country its own scale
    (indicators whose levels do not compare across countries, such as recorded crime)."""
    base = alt.Chart().encode(
        y=alt.Y("name:N", title=None, sort=alt.EncodingSortField("value", order="descending")),
    )
    whisker = base.mark_rule(strokeWidth=2, color="#4d4d4d").encode(
        x=alt.X("ci_low:Q", title=None),
        x2="ci_high:Q",
        opacity=alt.Opacity("whisker_opacity:Q", scale=None),
    )
    dots = base.mark_point(filled=True, size=50, color="#1f4e79").encode(
        x="value:Q", tooltip=[alt.Tooltip("name:N"), alt.Tooltip("label:N", title="value (95 % interval)")]
    )
    median = alt.Chart().mark_rule(color="#999999", strokeDash=[2, 2]).encode(x="median(value):Q")
    chart = (
        alt.layer(whisker, dots, median, data=_data())
        .properties(width=420)
        .facet(row=alt.Row("country:N", title=None, header=alt.Header(labelAngle=0, labelAlign="left")))
        .resolve_scale(y="independent", x="independent" if independent_x else "shared")
    )
    return chart.configure(**_CONFIG).to_dict(validate=True)


@functools.cache
def funnel_template() -> dict[str, Any]:
    """A funnel plot per country: each region's rate against its population, with the country's pooled rate
    and exact Poisson 95 % and 99.8 % limits, so small places are not over-read. Fields: country, kind
    (``region`` or ``limit``); regions: name, population, value, position, label; limits: population, pooled,
    lo95, hi95, lo998, hi998. Scales are per country: levels of recorded crime do not compare across countries."""
    x = alt.X("population:Q", title="population", scale=alt.Scale(type="log"))
    limits = alt.Chart().transform_filter("datum.kind === 'limit'")
    layers = [
        limits.mark_line(color="#999999", strokeDash=[4, 3]).encode(x=x, y=alt.Y(f"{f}:Q", title=None))
        for f in ("lo998", "hi998")
    ]
    layers += [limits.mark_line(color="#666666").encode(x=x, y=f"{f}:Q") for f in ("lo95", "hi95")]
    layers.append(limits.mark_line(color="#222222").encode(x=x, y="pooled:Q"))
    layers.append(
        alt.Chart()
        .transform_filter("datum.kind === 'region'")
        .mark_point(filled=True, size=30, opacity=0.8)
        .encode(
            x=x,
            y="value:Q",
            color=alt.Color(
                "position:N",
                title="against the country's funnel",
                scale=alt.Scale(
                    domain=[
                        "above 99.8 % limit",
                        "above 95 % limit",
                        "within limits",
                        "below 95 % limit",
                        "below 99.8 % limit",
                    ],
                    range=["#b2182b", "#ef8a62", "#bababa", "#67a9cf", "#2166ac"],
                ),
            ),
            tooltip=[
                alt.Tooltip("name:N"),
                alt.Tooltip("label:N", title="rate (95 % interval)"),
                alt.Tooltip("population:Q", format=",.0f"),
            ],
        )
    )
    chart = (
        alt.layer(*layers, data=_data())
        .properties(width=420, height=220)
        .facet(row=alt.Row("country:N", title=None, header=alt.Header(labelAngle=0, labelAlign="left")))
        .resolve_scale(x="independent", y="independent")
    )
    return chart.configure(**_CONFIG).to_dict(validate=True)


@functools.cache
def bars_template() -> dict[str, Any]:
    """Horizontal bars for register shares (Action 5). Fields: label, value, group."""
    chart = (
        alt.Chart(_data())
        .mark_bar(color="#8c6bb1")
        .encode(
            y=alt.Y("label:N", title=None, sort=None),
            x=alt.X("value:Q", title="%"),
            row=alt.Row("group:N", title=None, header=alt.Header(labelAngle=0, labelAlign="left")),
            tooltip=["label:N", alt.Tooltip("value:Q", format=".1f")],
        )
        .properties(width=360)
    )
    return chart.configure(**_CONFIG).to_dict(validate=True)


TEMPLATES = {
    "trend": trend_template,
    "comparison": lambda: comparison_template(False),
    "comparison_within_country": lambda: comparison_template(True),
    "funnel": funnel_template,
    "bars": bars_template,
}


def inject(kind: str, rows: list[dict[str, Any]], title: str, **about: Any) -> dict[str, Any]:
    """The validated template of ``kind`` with ``rows`` as its data (no validation: the template was). ``about``
    (indicator_id, breakdown, geo_code) goes to the spec's ``usermeta``, for readers and the tests."""
    spec = dict(TEMPLATES[kind]())  # a shallow copy: only top-level keys are set below, the template stays intact
    spec["datasets"] = {DATASET: rows}
    spec["description"] = title
    spec["usermeta"] = {"chart": kind, **about}
    return spec


@functools.cache
def vega_bundle() -> str:
    """The Vega, Vega-Lite and Vega-Embed JavaScript (no imports, sets window.vegaEmbed), from vl-convert: the
    same versions that validated the templates and render the SVG fallbacks; built once per process."""
    return vl_convert.javascript_bundle(vl_version=VL_VERSION)
