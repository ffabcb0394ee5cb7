"""Helpers for the survey, self-assessment and crime-and-feeling tests.

Loaders of the real survey files (cached, so each test module can declare its own session fixture cheaply),
an independent reader of the raw ``urb_percep`` TSV and of JSON-stat status flags (plain ``csv``/``json``, not
the project's readers, so the tests recompute from the raw cells), and builders of crafted frames.
"""

from __future__ import annotations

import csv
import json
from functools import cache
from pathlib import Path

import polars as pl

from sources.codelists import read_code_list
from sources.eurostat import read_eurostat
from sources.registry import CODELISTS, EUROSTAT_SURVEY
from tests.transforms.rows import observation, observations_frame
from transforms.geographies import geo_level, geographies
from transforms.observations import tidy_observations
from transforms.survey import SAMPLE_SIZES_CSV, load_sample_sizes, survey_indicators
from warehouse.catalogue.survey import QOL, SURVEY_SERIES, SurveySeries
from warehouse.metadata import INDICATOR_VALUES, conform

QOL_SERIES: tuple[SurveySeries, ...] = tuple(s for s in SURVEY_SERIES if s.dataset == QOL)
SILC_SERIES: tuple[SurveySeries, ...] = tuple(s for s in SURVEY_SERIES if s.dataset != QOL)
SOURCE_BY_NAME = {s.name: s for s in EUROSTAT_SURVEY + CODELISTS}


# ---------------------------------------------------------------------------------------------------------------------
# The real files, read with the project's readers (as tests/conftest.py does for crime and population)
# ---------------------------------------------------------------------------------------------------------------------


@cache
def survey_observations_of(raw_dir: Path) -> pl.DataFrame:
    """Tidy observations of urb_percep and every EU-SILC file, read with the real readers."""
    frames = []
    for source in EUROSTAT_SURVEY:
        table = read_eurostat(source.path(raw_dir), source.name)
        raw = table.cells.with_columns(
            pl.lit(table.source_file).alias("source_file"),
            pl.lit(table.sha256).alias("sha256"),
            pl.lit(table.source_version).alias("source_version"),
        )
        frames.append(tidy_observations(source.name, raw))
    return pl.concat(frames)


@cache
def survey_values_of(raw_dir: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(survey indicator values, drop counts) of the real files with the documented sample sizes."""
    return survey_indicators(survey_observations_of(raw_dir), load_sample_sizes())


def real_geographies(raw_dir: Path, codes: pl.Series) -> pl.DataFrame:
    """The geography table of ``codes``, named from the real GEO and CITIES code lists."""
    geo_names = read_code_list(SOURCE_BY_NAME["geo_codes"].path(raw_dir))
    city_names = read_code_list(SOURCE_BY_NAME["city_codes"].path(raw_dir))
    return geographies(codes, geo_names, city_names)


# ---------------------------------------------------------------------------------------------------------------------
# Independent readers of the raw files
# ---------------------------------------------------------------------------------------------------------------------


@cache
def urb_percep_cells(path: Path) -> dict[tuple[str, str, str], tuple[float | None, str]]:
    """Every cell of the old bulk TSV as {(indic_ur, city, year): (value or None for ':', flags)}.

    Plain text parsing: header ``indic_ur,unit,cities\\time`` then one column per year (any order); a cell is
    ``12.3 `` / ``12.3 e`` / ``: `` / ``: u``.
    """
    lines = path.read_text(encoding="utf-8").splitlines()
    header = lines[0].split("\t")
    assert header[0].split("\\")[0].split(",") == ["indic_ur", "unit", "cities"], header[0]
    years = [h.strip() for h in header[1:]]
    cells: dict[tuple[str, str, str], tuple[float | None, str]] = {}
    for line in lines[1:]:
        if not line.strip():
            continue
        fields = line.split("\t")
        code, unit, city = fields[0].split(",")
        assert unit == "PC"
        for year, cell in zip(years, fields[1:], strict=True):
            number, _, flags = cell.strip().partition(" ")
            cells[(code, city, year)] = (None if number == ":" else float(number), flags.strip())
    return cells


def urb_percep_expected(
    cells: dict[tuple[str, str, str], tuple[float | None, str]], series: SurveySeries
) -> tuple[dict[tuple[str, str], float], int, int]:
    """For one series: {(city, year): sum of its answer shares} where every answer is published, and the number
    of (city, year) with some answers missing / with every answer missing (among rows present in the file)."""
    complete: dict[tuple[str, str], float] = {}
    partial = absent = 0
    keys = {
        (city, year)
        for (code, city, year) in cells
        if code in series.answer_codes and (series.waves is None or year in series.waves)
    }
    for city, year in keys:
        shares = [cells.get((code, city, year), (None, ""))[0] for code in series.answer_codes]
        present = [s for s in shares if s is not None]
        if len(present) == len(shares):
            complete[(city, year)] = sum(present)
        elif present:
            partial += 1
        else:
            absent += 1
    return complete, partial, absent


def jsonstat_cells(path: Path) -> list[dict]:
    """Every cell of a JSON-stat 2.0 file with a value or a status: its codes by dimension, value and status."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    ids, sizes = doc["id"], doc["size"]
    codes_by_dim = []
    for dim in ids:
        index = doc["dimension"][dim]["category"]["index"]
        if isinstance(index, list):
            codes_by_dim.append(list(index))
        else:
            codes_by_dim.append([code for code, _ in sorted(index.items(), key=lambda kv: kv[1])])

    def sparse(obj: object) -> dict[int, object]:
        if obj is None:
            return {}
        if isinstance(obj, dict):
            return {int(k): v for k, v in obj.items()}
        if isinstance(obj, list):
            return {i: v for i, v in enumerate(obj) if v is not None}
        raise AssertionError(f"unexpected JSON-stat shape {type(obj)}")

    values, status = sparse(doc.get("value")), sparse(doc.get("status"))
    out = []
    for flat in sorted(set(values) | set(status)):
        rest, coords = flat, []
        for size in reversed(sizes):  # row-major: the last dimension varies fastest
            coords.append(rest % size)
            rest //= size
        coords.reverse()
        out.append(
            {
                "codes": {dim: codes_by_dim[i][c] for i, (dim, c) in enumerate(zip(ids, coords, strict=True))},
                "value": values.get(flat),
                "status": status.get(flat) or "",
            }
        )
    return out


def silc_breakdown(codes: dict[str, str]) -> dict[str, str]:
    """The breakdown codes of a JSON-stat cell (every dimension but frequency, unit, territory and time)."""
    skip = {"freq", "unit", "geo", "time"}
    return {dim: code for dim, code in codes.items() if dim not in skip}


def sample_size_rows(path: Path = SAMPLE_SIZES_CSV) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


# ---------------------------------------------------------------------------------------------------------------------
# Crafted frames
# ---------------------------------------------------------------------------------------------------------------------


def qol_cell(code: str, city: str, period: str, value: float | None, flags: str | None = None) -> dict:
    return observation(QOL, city, period, value, breakdown={"indic_ur": code}, unit="PC", obs_status=flags)


def silc_cell(
    series: SurveySeries,
    geo: str,
    period: str,
    value: float | None,
    obs_status: str | None = None,
    conf_status: str | None = None,
) -> dict:
    return observation(
        series.dataset,
        geo,
        period,
        value,
        breakdown=series.dimension_codes,
        unit=series.unit_code,
        obs_status=obs_status,
        conf_status=conf_status,
    )


crafted_observations = observations_frame


def value_row(
    indicator_id: str,
    geo: str,
    period: str,
    value: float,
    *,
    breakdown: str | None = None,
    series_variant: str = "default",
    obs_status: str | None = None,
    comparability: str = "cross_country",
    denominator: float | None = None,
    numerator: float | None = None,
    ci: tuple[float, float] | None = None,
    ci_method: str | None = None,
    sample_size: float | None = None,
    opinion_share: float | None = None,
    opinion_ci: tuple[float, float] | None = None,
    quality_flags: str | None = None,
    example_data: bool = False,
    unit: str = "test unit",
) -> dict:
    """One row of published.indicator_values (only the columns the assessments read carry meaning)."""
    level = pl.select(geo_level(pl.lit(geo))).item()
    return {
        "indicator_id": indicator_id,
        "breakdown": breakdown,
        "geo_code": geo,
        "geo_level": level,
        "period": period,
        "value": value,
        "unit": unit,
        "ci_low": ci[0] if ci else None,
        "ci_high": ci[1] if ci else None,
        "ci_method": ci_method or (("wilson_approx_n" if sample_size else "poisson_exact") if ci else None),
        "numerator": numerator,
        "denominator": denominator,
        "obs_status": obs_status,
        "conf_status": None,
        "series_variant": series_variant,
        "comparability": comparability,
        "source_dataset": "crafted",
        "source_version": "crafted@1",
        "note": None,
        "sample_size": sample_size,
        "design_effect": None,
        "dont_know_share": None,
        "opinion_share": opinion_share,
        "opinion_ci_low": opinion_ci[0] if opinion_ci else None,
        "opinion_ci_high": opinion_ci[1] if opinion_ci else None,
        "example_data": example_data,
        "quality_flags": quality_flags,
    }


def values_frame(rows: list[dict]) -> pl.DataFrame:
    return conform(INDICATOR_VALUES, pl.DataFrame(rows, schema=INDICATOR_VALUES.polars_schema, orient="row"))


def crafted_geographies(values: pl.DataFrame) -> pl.DataFrame:
    """The geography table of crafted values (with their ancestors), without names."""
    names = pl.DataFrame(schema={"code": pl.String, "label": pl.String})
    return geographies(values["geo_code"], names, names)
