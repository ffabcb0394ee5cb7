"""Checks on what readers see: the published tables in the DuckDB file match the declared contract."""

from __future__ import annotations

import dagster as dg

from pipelines.resources import UrbanSafetyPaths
from warehouse.contract import published_schema_problems
from warehouse.metadata import PUBLISHED_TABLES


@dg.multi_asset_check(
    specs=[
        dg.AssetCheckSpec(
            "matches_contract",
            asset=dg.AssetKey(["published", t.name]),
            description="Columns, types and COMMENTs in the file equal the declared contract.",
        )
        for t in PUBLISHED_TABLES
    ],
)
def published_match_contract(paths: UrbanSafetyPaths):
    for table in PUBLISHED_TABLES:
        problems = published_schema_problems(paths.db_path, table)
        yield dg.AssetCheckResult(
            asset_key=dg.AssetKey(["published", table.name]),
            check_name="matches_contract",
            passed=not problems,
            metadata={"problems": "\n".join(problems) or "none"},
        )


PUBLISHED_CHECKS = [published_match_contract]
