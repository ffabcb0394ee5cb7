"""Action 5 indicators from the city registers: Prevention Pyramid shares and balance, Collective Impact ratings.

Inputs are the typed rows of ``sources.registers`` (a rejected register has no rows, so nothing is published from
it). The registers list every measure of a city and year, so a pyramid level without a measure is a real 0 %,
while a measure without a budget is unknown, never 0: budget shares are published only when every measure of the
city and year has a budget. docs/registers.md documents the formulas and the example results.
"""

from __future__ import annotations

import math

import polars as pl

from sources.registers import CONDITIONS, PYRAMID_LEVELS
from warehouse.catalogue.action5 import CIM_CONDITIONS, PP_BALANCE, PP_LEVEL_SHARE
from warehouse.metadata import DOMAIN_INDICATOR_VALUES, EVIDENCE_COLUMNS, INDICATOR_VALUES, conform

PREVENTION_DATASET = "prevention_pyramid_register"
COLLECTIVE_IMPACT_DATASET = "collective_impact_register"
SERIES_VARIANT = "register"
COMPARABILITY = "not_comparable"
EXAMPLE_NOTE = "EXAMPLE DATA"

_KEYS = ["city_code", "reference_year"]
_MEASURE_COLUMNS = ["city_code", "reference_year", "pyramid_level", "annual_budget", "currency", "source_version"]
_INITIATIVE_COLUMNS = ["city_code", "initiative_id", "reference_year", *CONDITIONS, "shared_indicator_ids"]


def level_label(level: int) -> str:
    """'L3_specific_prevention': the level in a breakdown."""
    return f"L{level}_{PYRAMID_LEVELS[level].replace(' ', '_')}"


def _level_names(levels: list[int]) -> str:
    return ", ".join(f"{level} {PYRAMID_LEVELS[level]}" for level in levels)


def _note(*parts: str | None) -> str | None:
    text = "; ".join(p for p in parts if p)
    return text or None


def evenness(weights: list[float]) -> float:
    """Normalised Shannon evenness over the four levels, H / ln 4 with H = -sum p ln p (0 ln 0 = 0).

    1 when all four levels weigh the same, 0 when one level holds everything. Rounded to 12 decimals so that
    equal levels give exactly 1.
    """
    if len(weights) != len(PYRAMID_LEVELS) or sum(weights) <= 0 or min(weights) < 0:
        raise ValueError(f"evenness needs {len(PYRAMID_LEVELS)} non-negative weights with a positive sum: {weights}")
    from scipy.stats import entropy  # imported when used: scipy.stats costs ~0.5 s at start-up

    h = float(entropy(weights))  # normalises the weights, natural log
    return max(0.0, round(h / math.log(len(PYRAMID_LEVELS)), 12))


def _require(frame: pl.DataFrame, columns: list[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{what}: missing columns {missing}")


def _value_row(
    indicator_id: str,
    breakdown: str,
    city: str,
    year: int,
    value: float,
    unit: str,
    numerator: float | None,
    denominator: float | None,
    dataset: str,
    version: str,
    note: str | None,
) -> dict:
    return {
        "indicator_id": indicator_id,
        "breakdown": breakdown,
        "geo_code": city,
        "geo_level": "CITY",
        "period": str(year),
        "value": float(value),
        "unit": unit,
        "ci_low": None,
        "ci_high": None,
        "ci_method": None,
        "numerator": numerator,
        "denominator": denominator,
        "obs_status": None,
        "conf_status": None,
        "series_variant": SERIES_VARIANT,
        "comparability": COMPARABILITY,
        "source_dataset": dataset,
        "source_version": version,
        "note": note,
    }


def _frame(rows: list[dict], *, example: bool) -> pl.DataFrame:
    columns = {name: dtype for name, dtype in DOMAIN_INDICATOR_VALUES.polars_schema.items() if name in EVIDENCE_COLUMNS}
    frame = pl.DataFrame(rows, schema=columns, orient="row").with_columns(pl.lit(example).alias("example_data"))
    return conform(DOMAIN_INDICATOR_VALUES, frame).sort(list(INDICATOR_VALUES.key), nulls_last=True)


def prevention_pyramid_indicators(measures: pl.DataFrame, *, example: bool) -> pl.DataFrame:
    """PP_LEVEL_SHARE and PP_BALANCE per city and reference year, in the shape of published.indicator_values.

    Per level: the share of measures (breakdown 'L<n>_<name>|count') and, when every measure of the city and year
    has a budget and they add up to more than 0, the share of budget ('L<n>_<name>|budget'). A level without
    measures is an explicit 0 %. PP_BALANCE is the evenness of those shares ('count', 'budget'); its note names the
    empty levels. ``example`` adds 'EXAMPLE DATA' to every note.
    """
    _require(measures, _MEASURE_COLUMNS, "prevention_pyramid_indicators")
    bad_levels = measures.filter(~pl.col("pyramid_level").is_in(list(PYRAMID_LEVELS)))
    if bad_levels.height:
        raise ValueError(f"pyramid levels outside 1-4: {bad_levels['pyramid_level'].unique().to_list()}")
    example_note = EXAMPLE_NOTE if example else None
    per_year = (
        measures.group_by(_KEYS)
        .agg(
            pl.len().alias("measures"),
            pl.col("annual_budget").null_count().alias("unbudgeted"),
            pl.col("currency").filter(pl.col("annual_budget").is_not_null()).unique().sort().alias("currencies"),
            pl.col("source_version").unique().sort().str.join(" / ").alias("source_version"),
        )
        .sort(_KEYS)
    )
    per_level = measures.group_by(*_KEYS, "pyramid_level").agg(
        pl.len().alias("n"), pl.col("annual_budget").sum().alias("budget")
    )
    out: list[dict] = []
    for group in per_year.iter_rows(named=True):
        city, year, version = group["city_code"], group["reference_year"], group["source_version"]
        here = per_level.filter((pl.col("city_code") == city) & (pl.col("reference_year") == year))
        counts = {level: 0 for level in PYRAMID_LEVELS}
        budgets = {level: 0.0 for level in PYRAMID_LEVELS}
        for row in here.iter_rows(named=True):
            counts[row["pyramid_level"]] = row["n"]
            budgets[row["pyramid_level"]] = float(row["budget"])
        total = group["measures"]
        total_budget = sum(budgets.values())
        if len(group["currencies"]) > 1:
            raise ValueError(f"{city} {year}: budgets in several currencies {group['currencies']}")
        if group["unbudgeted"]:
            no_budget = f"budget shares not published: {group['unbudgeted']} of {total} measures without a budget"
        elif total_budget <= 0:
            no_budget = "budget shares not published: the budgets add up to 0"
        else:
            no_budget = None
        empty = [level for level, n in counts.items() if n == 0]
        empty_note = f"empty levels: {_level_names(empty)}" if empty else None

        def row(indicator, breakdown, value, numerator, denominator, note, *, _city=city, _year=year, _v=version):
            return _value_row(
                indicator.indicator_id,
                breakdown,
                _city,
                _year,
                value,
                indicator.unit,
                numerator,
                denominator,
                PREVENTION_DATASET,
                _v,
                note,
            )

        for level, n in counts.items():
            note = _note(example_note, "empty level" if n == 0 else None, no_budget)
            out.append(row(PP_LEVEL_SHARE, f"{level_label(level)}|count", 100.0 * n / total, n, total, note))
        out.append(
            row(PP_BALANCE, "count", evenness(list(counts.values())), None, None, _note(example_note, empty_note))
        )
        if no_budget is None:
            amounts = f"numerator and denominator in {group['currencies'][0]}"
            for level, amount in budgets.items():
                share = 100.0 * amount / total_budget
                note = _note(example_note, "empty level" if counts[level] == 0 else None, amounts)
                out.append(row(PP_LEVEL_SHARE, f"{level_label(level)}|budget", share, amount, total_budget, note))
            zero = [level for level, amount in budgets.items() if amount == 0 and counts[level] > 0]
            zero_note = f"levels with measures but no budget: {_level_names(zero)}" if zero else None
            balance = evenness(list(budgets.values()))
            out.append(row(PP_BALANCE, "budget", balance, None, None, _note(example_note, empty_note, zero_note)))
    return _frame(out, example=example)


def collective_impact_indicators(initiatives: pl.DataFrame, *, example: bool) -> pl.DataFrame:
    """CIM_CONDITIONS: one row per initiative and condition (breakdown '<initiative_id>|<condition>').

    The value is the 0-3 self-rating as entered, never summed or averaged over conditions. The shared-measurement
    row's note lists the indicator ids the initiative shares.
    """
    _require(initiatives, [*_INITIATIVE_COLUMNS, "source_version"], "collective_impact_indicators")
    example_note = EXAMPLE_NOTE if example else None
    out: list[dict] = []
    for initiative in initiatives.iter_rows(named=True):
        for condition in CONDITIONS:
            rating = initiative[condition]
            if rating not in (0, 1, 2, 3):
                raise ValueError(f"{initiative['initiative_id']}: {condition} rating {rating!r} is not 0-3")
            shared = initiative["shared_indicator_ids"] or []
            shared_note = (
                f"shared indicators: {', '.join(shared)}" if condition == "shared_measurement" and shared else None
            )
            out.append(
                _value_row(
                    CIM_CONDITIONS.indicator_id,
                    f"{initiative['initiative_id']}|{condition}",
                    initiative["city_code"],
                    initiative["reference_year"],
                    rating,
                    CIM_CONDITIONS.unit,
                    None,
                    None,
                    COLLECTIVE_IMPACT_DATASET,
                    initiative["source_version"],
                    _note(example_note, shared_note),
                )
            )
    return _frame(out, example=example)


def link_esif(measures: pl.DataFrame, programmes: pl.DataFrame) -> pl.DataFrame:
    """The measures with the columns of the ESIF programme their ``esif_cci`` names (NULL when none or unknown).

    ``programmes`` has a ``cci`` column and whatever describes a programme (``programme_title``, …); rows repeated
    per priority or fund are collapsed, but one CCI with two different descriptions is refused.
    """
    _require(measures, ["esif_cci"], "link_esif measures")
    _require(programmes, ["cci"], "link_esif programmes")
    clash = [c for c in programmes.columns if c != "cci" and c in measures.columns]
    if clash:
        raise ValueError(f"link_esif: programme columns {clash} already exist in the measures")
    distinct = programmes.unique(maintain_order=True)
    repeated = distinct.filter(pl.col("cci").is_duplicated())["cci"].unique().sort().to_list()
    if repeated:
        raise ValueError(f"link_esif: programmes with more than one description: {repeated}")
    return measures.join(distinct, left_on="esif_cci", right_on="cci", how="left", maintain_order="left")
