"""Blocking checks on the self-assessment and the crime-and-feeling comparison."""

from __future__ import annotations

import dagster as dg
import polars as pl

from expectations.assessment import (
    crime_and_feeling_rules,
    self_assessment_positions_rules,
    self_assessment_rules,
)
from pipelines.defs.common import rules_result


@dg.asset_check(
    asset=dg.AssetKey(["staging", "self_assessment"]),
    blocking=True,
    name="rules_self_assessment",
    description=(self_assessment_rules.__doc__ or "").strip(),
)
def rules_self_assessment(self_assessment: pl.DataFrame) -> dg.AssetCheckResult:
    return rules_result(self_assessment_rules(self_assessment), rows_checked=self_assessment.height)


@dg.asset_check(
    asset=dg.AssetKey(["staging", "self_assessment_positions"]),
    blocking=True,
    name="rules_self_assessment_positions",
    description=(self_assessment_positions_rules.__doc__ or "").strip(),
)
def rules_self_assessment_positions(self_assessment_positions: pl.DataFrame) -> dg.AssetCheckResult:
    return rules_result(
        self_assessment_positions_rules(self_assessment_positions), rows_checked=self_assessment_positions.height
    )


@dg.asset_check(
    asset=dg.AssetKey(["staging", "crime_and_feeling"]),
    blocking=True,
    name="no_break_spanned_crime_and_feeling",
    additional_ins={"indicator_values": dg.AssetIn(key=["staging", "indicator_values"])},
    description=(crime_and_feeling_rules.__doc__ or "").strip(),
)
def no_break_spanned(crime_and_feeling: pl.DataFrame, indicator_values: pl.DataFrame) -> dg.AssetCheckResult:
    return rules_result(
        crime_and_feeling_rules(crime_and_feeling, indicator_values), rows_checked=crime_and_feeling.height
    )


ASSESSMENT_CHECKS = [rules_self_assessment, rules_self_assessment_positions, no_break_spanned]
