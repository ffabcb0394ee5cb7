"""Blocking checks on the incident candidates: a failure stops the run before anything is published."""

from __future__ import annotations

import dagster as dg
import polars as pl

from expectations import indicator_values as rules
from pipelines.defs.common import rules_result
from warehouse.metadata import INCIDENT_CHANGES, INCIDENT_COMPLETENESS, LOCAL_INDICATOR_VALUES, Table
from warehouse.publish import contract_problems


def _contract_check(table: Table) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=dg.AssetKey(["staging", table.name]),
        name=f"contract_{table.name}",
        blocking=True,
        description=f"Columns, types, NOT NULLs and the unique key of {table.qualified_name}.",
    )
    def _check(frame: pl.DataFrame) -> dg.AssetCheckResult:
        return rules_result(contract_problems(table, frame), rows_checked=frame.height)

    _check.__name__ = f"contract_{table.name}"
    return _check


@dg.asset_check(
    asset=dg.AssetKey(["staging", "local_indicator_values"]),
    name="evidence_local_indicator_values",
    blocking=True,
    description="Limits bracket every value; rates equal numerator / denominator x 1000; counts equal their "
    "numerator; every indicator is in the catalogue with its unit.",
)
def evidence_local_indicator_values(local_indicator_values: pl.DataFrame) -> dg.AssetCheckResult:
    problems = [
        *rules.ci_brackets_value(local_indicator_values),
        *rules.rate_arithmetic(local_indicator_values),
        *rules.values_in_range(local_indicator_values),
    ]
    return rules_result(problems, rows_checked=local_indicator_values.height)


@dg.asset_check(
    asset=dg.AssetKey(["staging", "local_indicator_values"]),
    name="no_anti_social_behaviour_in_crime",
    blocking=True,
    description="Anti-social behaviour is never a crime: no crime count has it as breakdown, and every force's "
    "ALL_CRIME equals the sum of its crime types.",
)
def no_anti_social_behaviour_in_crime(local_indicator_values: pl.DataFrame) -> dg.AssetCheckResult:
    crime = local_indicator_values.filter(pl.col("indicator_id") == "SEC_LOCAL_CRIME_COUNT")
    problems = []
    if crime.filter(pl.col("breakdown").str.contains("(?i)anti-social")).height:
        problems.append("anti-social behaviour appears as a crime type")
    force = crime.filter(pl.col("geo_level") == "POLICE_FORCE_AREA")
    sums = (
        force.group_by("geo_code", "period")
        .agg(
            pl.col("value").filter(pl.col("breakdown") == "ALL_CRIME").sum().alias("total"),
            pl.col("value").filter(pl.col("breakdown") != "ALL_CRIME").sum().alias("types"),
        )
        .filter(pl.col("total") != pl.col("types"))
    )
    if sums.height:
        problems.append(f"{sums.height} force-periods where ALL_CRIME != sum of crime types, e.g. {sums.row(0)}")
    return rules_result(problems, rows_checked=crime.height)


INCIDENT_CHECKS = [
    *(_contract_check(t) for t in (LOCAL_INDICATOR_VALUES, INCIDENT_COMPLETENESS, INCIDENT_CHANGES)),
    evidence_local_indicator_values,
    no_anti_social_behaviour_in_crime,
]
