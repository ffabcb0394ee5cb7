"""Build small tidy-observation frames (the shape of staging.observations) for crafted transform tests."""

from __future__ import annotations

import polars as pl

from transforms.observations import BREAKDOWN_DIMENSIONS, OBSERVATION_SCHEMA


def observation(
    dataset: str,
    geo: str,
    period: str,
    value: float | None,
    *,
    breakdown: dict[str, str] | None = None,
    unit: str | None = "NR",
    obs_status: str | None = None,
    conf_status: str | None = None,
) -> dict:
    return {
        "dataset": dataset,
        **{d: (breakdown or {}).get(d) for d in BREAKDOWN_DIMENSIONS},
        "unit": unit,
        "geo": geo,
        "period": period,
        "value": value,
        "obs_status": obs_status,
        "conf_status": conf_status,
        "flags": (obs_status or "") + (conf_status or ""),
        "source_file": f"{dataset}.file",
        "source_line": 2,
        "source_index": None,
        "source_version": f"{dataset}-v",
    }


def observations_frame(rows: list[dict]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=OBSERVATION_SCHEMA, orient="row")
