"""Settings every staging asset shares: stored by the warehouse IO manager, one writer at a time."""

from __future__ import annotations

import dagster as dg
import polars as pl

STAGING = {"kinds": {"polars", "duckdb"}, "io_manager_key": "warehouse_io", "pool": "duckdb_write"}


def drop_metadata(dropped: pl.DataFrame) -> dict[str, object]:
    """Observations that could not become a value (indicator_id, source_dataset, reason, rows) as metadata."""
    return {
        "dropped_by_reason": {
            f"{r['indicator_id']} / {r['source_dataset']} / {r['reason']}": r["rows"]
            for r in dropped.iter_rows(named=True)
        },
        "dropped_total": int(dropped["rows"].sum()) if dropped.height else 0,
    }


def rules_result(problems: list[str], **metadata: object) -> dg.AssetCheckResult:
    """A check result from a rule's list of problems (empty = passed), listed in the metadata."""
    return dg.AssetCheckResult(
        passed=not problems,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={"problems": "\n".join(problems) or "none", **metadata},
    )
