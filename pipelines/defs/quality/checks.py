"""Great Expectations suites (expectations/suites/<layer>.<table>.json) as Dagster asset checks.

The suites of the four candidate tables are blocking: a failing expectation stops the run before anything is
published, and the analysts' file keeps the previous publication. The suites of every raw, staging and
published table run in the `quality_report` job (and `make quality`, which also writes the Data Docs).
An internal GX error is raised as an error of the check, never reported as bad data.
"""

from __future__ import annotations

import dagster as dg

from expectations import gx_runner
from pipelines.resources import UrbanSafetyPaths
from warehouse import store
from warehouse.db import connect

# Candidates for publication: blocking, part of every run.
BLOCKING_SUITES = (
    "staging.indicator_values",
    "staging.geographies",
    "staging.self_assessment",
    "staging.crime_and_feeling",
)


def _read(paths: UrbanSafetyPaths, layer: str, table: str):  # -> pl.DataFrame
    if layer == "published":
        with connect(paths.db_path, read_only=True) as con:
            return con.sql(f"SELECT * FROM published.{table}").pl()  # table is a suite name, checked below
    return store.read_table(paths.work_db_path, layer, table)


def build_gx_check(suite: str, blocking: bool) -> dg.AssetChecksDefinition:
    layer, table = gx_runner.table_of(suite)
    if layer not in {"raw", "staging", "published"} or not table.replace("_", "").isalnum():
        raise ValueError(f"suite {suite!r} does not name a warehouse table")

    @dg.asset_check(
        asset=dg.AssetKey([layer, table]),
        name=f"gx_{layer}_{table}",  # the layer too: staging and published tables share names
        blocking=blocking,
        description=f"Great Expectations suite {suite} ({len(gx_runner.load_suite(suite)['expectations'])} "
        "expectations: types, keys, ranges, codes, flags, row-count band).",
    )
    def _check(paths: UrbanSafetyPaths) -> dg.AssetCheckResult:
        outcome = gx_runner.validate(suite, _read(paths, layer, table))
        outcome.raise_for_errors()  # a broken suite or GX itself: an error of the check, not bad data
        stats = {k: v for k, v in (outcome.statistics or {}).items() if v is not None}
        return dg.AssetCheckResult(
            passed=outcome.passed,
            severity=dg.AssetCheckSeverity.ERROR if blocking else dg.AssetCheckSeverity.WARN,
            metadata={
                "failed_expectations": "\n".join(outcome.failed) or "none",
                "seconds": outcome.seconds,
                **{f"gx_{k}": v for k, v in stats.items()},
            },
        )

    return _check


BLOCKING_GX_CHECKS = [build_gx_check(s, blocking=True) for s in BLOCKING_SUITES]
# raw.quarantine_<source> tables are written by the raw assets, not assets themselves: `make quality` validates
# them; the Dagster checks cover the assets (staging.quarantine holds the same rows).
REPORT_GX_CHECKS = [
    build_gx_check(s, blocking=False)
    for s in gx_runner.suite_names()
    if s not in BLOCKING_SUITES and not s.startswith("raw.quarantine_")
]
