"""Rules every indicator value must meet before it is published."""

from __future__ import annotations

import polars as pl

from warehouse.catalogue import CATALOGUE_BY_ID, RATE_UNIT
from warehouse.catalogue.funding import PER_INHABITANT_UNIT
from warehouse.contract import contract_problems
from warehouse.metadata import INDICATOR_VALUES, Table

# What value = numerator / denominator is multiplied by, per unit.
UNIT_SCALES = {
    RATE_UNIT: 100_000.0,
    PER_INHABITANT_UNIT: 1.0,
    "%": 100.0,
    "per 1000 inhabitants": 1000.0,
    "per 1000 dwellings": 1000.0,
}
_REL_TOL = 1e-9


def _examples(frame: pl.DataFrame, n: int = 3) -> str:
    cols = ["indicator_id", "breakdown", "geo_code", "period", "value", "ci_low", "ci_high"]
    return "; ".join(str(r) for r in frame.select(cols).head(n).iter_rows())


def contract(frame: pl.DataFrame, table: Table = INDICATOR_VALUES) -> list[str]:
    """Columns, types, NOT NULLs and the unique key of published.indicator_values (or of one domain's values
    before screening: ``table=DOMAIN_INDICATOR_VALUES``)."""
    return contract_problems(table, frame)


def ci_brackets_value(frame: pl.DataFrame) -> list[str]:
    """ci_low <= value <= ci_high wherever limits exist."""
    tol = pl.col("value").abs() * _REL_TOL
    bad = frame.filter(
        pl.col("ci_low").is_not_null()
        & ((pl.col("ci_low") > pl.col("value") + tol) | (pl.col("ci_high") < pl.col("value") - tol))
    )
    missing = frame.filter(
        pl.col("ci_method").is_not_null() & (pl.col("ci_low").is_null() | pl.col("ci_high").is_null())
    )
    out = []
    if bad.height:
        out.append(f"{bad.height} rows with value outside [ci_low, ci_high], e.g. {_examples(bad)}")
    if missing.height:
        out.append(f"{missing.height} rows name a ci_method but lack limits, e.g. {_examples(missing)}")
    return out


def rate_arithmetic(frame: pl.DataFrame) -> list[str]:
    """Ratios equal numerator / denominator x the unit's scale (per 100000, per inhabitant, %); counts and
    amounts (no denominator) equal their numerator."""
    out = []
    ratios = frame.filter(pl.col("numerator").is_not_null() & pl.col("denominator").is_not_null())
    unknown = sorted(set(ratios["unit"]) - set(UNIT_SCALES))
    if unknown:
        out.append(f"rows with numerator and denominator in units without a known scale: {unknown}")
    scale = pl.col("unit").replace_strict(UNIT_SCALES, default=None, return_dtype=pl.Float64)
    expected = pl.col("numerator") / pl.col("denominator") * scale
    bad = ratios.filter(
        scale.is_not_null()
        & ((pl.col("denominator") <= 0) | ((pl.col("value") - expected).abs() > expected.abs() * _REL_TOL))
    )
    if bad.height:
        out.append(f"{bad.height} rows where value != numerator / denominator x scale, e.g. {_examples(bad)}")
    rates_without_base = frame.filter(
        (pl.col("unit") == RATE_UNIT) & (pl.col("numerator").is_null() | pl.col("denominator").is_null())
    )
    if rates_without_base.height:
        out.append(f"{rates_without_base.height} rates per 100000 without numerator or denominator")
    counts = frame.filter(pl.col("numerator").is_not_null() & pl.col("denominator").is_null())
    bad_counts = counts.filter(pl.col("value") != pl.col("numerator"))
    if bad_counts.height:
        out.append(f"{bad_counts.height} count rows where value != numerator, e.g. {_examples(bad_counts)}")
    return out


def values_in_range(frame: pl.DataFrame) -> list[str]:
    """Counts and rates are finite and not negative; every indicator id is in the catalogue with its unit."""
    out = []
    bad = frame.filter(~pl.col("value").is_finite() | (pl.col("value") < 0))
    if bad.height:
        out.append(f"{bad.height} rows with a negative or non-finite value, e.g. {_examples(bad)}")
    for (indicator_id, unit), rows in (
        frame.group_by("indicator_id", "unit").len().rows_by_key(["indicator_id", "unit"]).items()
    ):
        entry = CATALOGUE_BY_ID.get(indicator_id)
        if entry is None:
            out.append(f"indicator {indicator_id!r} ({rows[0][0]} rows) is not in the catalogue")
        elif entry.unit != unit:
            out.append(f"indicator {indicator_id!r} has unit {unit!r}, the catalogue says {entry.unit!r}")
    return out


RULES = {
    "contract": contract,
    "ci_brackets_value": ci_brackets_value,
    "rate_arithmetic": rate_arithmetic,
    "values_in_range": values_in_range,
}


def all_problems(frame: pl.DataFrame, table: Table = INDICATOR_VALUES) -> dict[str, list[str]]:
    """Every rule's problems; ``table`` is the contract the frame is checked against (see ``contract``)."""
    problems = {name: rule(frame) for name, rule in RULES.items() if name != "contract"}
    return {"contract": contract(frame, table), **problems}
