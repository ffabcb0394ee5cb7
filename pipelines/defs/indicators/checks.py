"""Blocking checks on the candidate tables: a failure stops the run before anything is published."""

from __future__ import annotations

import dagster as dg
import polars as pl

from expectations import indicator_values as rules
from pipelines.defs.common import rules_result
from warehouse.contract import contract_problems
from warehouse.metadata import GEOGRAPHIES


def _build_rule_check(name: str) -> dg.AssetChecksDefinition:
    rule = rules.RULES[name]

    @dg.asset_check(
        asset=dg.AssetKey(["staging", "indicator_values"]),
        name=f"{name}_indicator_values",
        blocking=True,
        description=(rule.__doc__ or name).strip(),
    )
    def _check(indicator_values: pl.DataFrame) -> dg.AssetCheckResult:
        return rules_result(rule(indicator_values), rows_checked=indicator_values.height)

    return _check


@dg.asset_check(
    asset=dg.AssetKey(["staging", "geographies"]),
    blocking=True,
    name="contract_geographies",
    description="Columns, types, NOT NULLs and the unique key of published.geographies; every "
    "territory with values is listed.",
)
def contract_geographies(geographies: pl.DataFrame) -> dg.AssetCheckResult:
    return rules_result(contract_problems(GEOGRAPHIES, geographies), rows_checked=geographies.height)


INDICATOR_CHECKS = [*(_build_rule_check(n) for n in rules.RULES), contract_geographies]
