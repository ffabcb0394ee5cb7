"""Checks on what readers see: the published tables in the DuckDB file match the declared contract, and each is
row for row the candidate that was checked before publication."""

from __future__ import annotations

import dagster as dg

from pipelines.defs.published.assets import STAGING_SOURCE
from pipelines.resources import UrbanSafetyPaths
from warehouse.contract import published_schema_problems
from warehouse.metadata import PUBLISHED_TABLES
from warehouse.store import table_fingerprint


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


@dg.multi_asset_check(
    specs=[
        dg.AssetCheckSpec(
            "same_rows_as_candidate",
            asset=dg.AssetKey(["published", t.name]),
            description=f"Row for row the candidate staging.{source}, whose checks (its Great Expectations suite "
            f"gx_staging_{source} among them) ran on those rows: the published copy is not validated a second time "
            "(`make quality` still runs the published suites on the analysts' file).",
        )
        for t, source in STAGING_SOURCE.items()
    ],
)
def published_same_as_candidate(paths: UrbanSafetyPaths):
    for table, source in STAGING_SOURCE.items():
        published = table_fingerprint(paths.db_path, "published", table.name)
        candidate = table_fingerprint(paths.work_db_path, "staging", source)
        yield dg.AssetCheckResult(
            asset_key=dg.AssetKey(["published", table.name]),
            check_name="same_rows_as_candidate",
            passed=published == candidate,
            metadata={
                "published_rows": published[0],
                "candidate_rows": candidate[0],
                "candidate": f"staging.{source}",
                "same_row_hashes": published[1] == candidate[1],
            },
        )


PUBLISHED_CHECKS = [published_match_contract, published_same_as_candidate]
