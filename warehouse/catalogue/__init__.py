"""The indicator catalogue, described once per domain and assembled here: published as
``published.indicators``, used by the transforms for units and comparability, and rendered into the docs."""

from __future__ import annotations

from dataclasses import asdict

import polars as pl

from warehouse.catalogue.action5 import ACTION5_INDICATORS
from warehouse.catalogue.crime import (
    CRIME_INDICATORS,
    RATE_UNIT,
    SEC_HOM_COUNT_CITY,
    SEC_HOM_RATE_CITY,
    SEC_RECORDED_RATE,
)
from warehouse.catalogue.funding import FUNDING_INDICATORS
from warehouse.catalogue.incidents import INCIDENT_INDICATORS
from warehouse.catalogue.indicator import Indicator
from warehouse.catalogue.survey import SURVEY_INDICATORS
from warehouse.metadata import INDICATORS, conform

CATALOGUE: tuple[Indicator, ...] = (
    *CRIME_INDICATORS,
    *SURVEY_INDICATORS,
    *FUNDING_INDICATORS,
    *ACTION5_INDICATORS,
    *INCIDENT_INDICATORS,
)
CATALOGUE_BY_ID = {i.indicator_id: i for i in CATALOGUE}
assert len(CATALOGUE_BY_ID) == len(CATALOGUE), "duplicate indicator_id in the catalogue"


def catalogue_frame() -> pl.DataFrame:
    return conform(INDICATORS, pl.DataFrame([asdict(i) for i in CATALOGUE], schema=INDICATORS.polars_schema))


def catalogue_markdown() -> str:
    rows = ["| id | name | dimension | unit | dir | comparability |", "|---|---|---|---|---|---|"]
    rows += [
        f"| `{i.indicator_id}` | {i.name} | {i.dimension} | {i.unit} | {i.direction} | {i.comparability} |"
        for i in CATALOGUE
    ]
    return "\n".join(rows)


__all__ = [
    "CATALOGUE",
    "CATALOGUE_BY_ID",
    "RATE_UNIT",
    "SEC_HOM_COUNT_CITY",
    "SEC_HOM_RATE_CITY",
    "SEC_RECORDED_RATE",
    "Indicator",
    "catalogue_frame",
    "catalogue_markdown",
]
