"""Published layer: the tables dashboards and analysts read, replaced together in one transaction."""

import dagster as dg
from dagster import AssetExecutionContext

from pipelines.observe import contract_column_schema
from pipelines.resources import UrbanSafetyPaths
from warehouse import store
from warehouse.catalogue import catalogue_frame
from warehouse.metadata import (
    CODE_LABELS,
    CRIME_AND_FEELING,
    GEOGRAPHIES,
    INCIDENT_CHANGES,
    INCIDENT_COMPLETENESS,
    INDICATOR_VALUES,
    INDICATORS,
    LOCAL_INDICATOR_VALUES,
    PUBLISHED_TABLES,
    SELF_ASSESSMENT,
    SELF_ASSESSMENT_POSITIONS,
    Table,
)
from warehouse.publish import publish

# Where each published table comes from: a checked staging table of the same shape, or the catalogue.
STAGING_SOURCE: dict[Table, str] = {
    INDICATOR_VALUES: "indicator_values",
    GEOGRAPHIES: "geographies",
    SELF_ASSESSMENT: "self_assessment",
    SELF_ASSESSMENT_POSITIONS: "self_assessment_positions",
    CRIME_AND_FEELING: "crime_and_feeling",
    CODE_LABELS: "code_labels",
    LOCAL_INDICATOR_VALUES: "local_indicator_values",
    INCIDENT_COMPLETENESS: "incident_completeness",
    INCIDENT_CHANGES: "incident_changes",
}

_SPECS = [
    dg.AssetSpec(
        key=["published", t.name],
        description=t.description,
        group_name="published",
        kinds={"duckdb"},
        tags={"publish": "dashboard"},
        metadata={"dagster/column_schema": contract_column_schema(t), "dagster/table_name": t.qualified_name},
        deps=[["staging", STAGING_SOURCE[t]]] if t in STAGING_SOURCE else [],
    )
    for t in PUBLISHED_TABLES
]


@dg.multi_asset(specs=_SPECS, pool="duckdb_write", name="publish_tables")
def publish_tables(context: AssetExecutionContext, paths: UrbanSafetyPaths):
    """Read the checked staging tables and the catalogue from the working file, then swap in a new snapshot of
    the analysts' file holding all published tables (warehouse.publish).

    The run holds the writer lock from its first step (pipelines.resources), so the tables read here are the very
    ones the blocking checks passed: no other process can have rewritten them in between."""
    frames = {t: store.read_table(paths.work_db_path, "staging", name) for t, name in STAGING_SOURCE.items()}
    frames[INDICATORS] = catalogue_frame()
    inputs = {f"staging/{name}": _data_version(context, ["staging", name]) for name in STAGING_SOURCE.values()}
    rows = publish(
        paths.db_path,
        frames,
        run_id=context.run_id,
        fingerprint=" ".join(f"{k}@{v}" for k, v in sorted(inputs.items())),
        work_db=paths.work_db_path,
    )
    context.log.info(
        f"published {sum(rows.values()):,} rows in {len(rows)} tables to {paths.db_path}: "
        + ", ".join(f"{t} {n:,}" for t, n in rows.items())
    )
    for table in PUBLISHED_TABLES:
        yield dg.MaterializeResult(
            asset_key=["published", table.name],
            metadata={"dagster/row_count": rows[table.qualified_name], "database": str(paths.db_path)},
        )


def _data_version(context: AssetExecutionContext, key: list[str]) -> str:
    """The Dagster data version of a staging table as recorded by the instance (what this publication used)."""
    from dagster._core.definitions.data_version import extract_data_version_from_entry

    record = context.instance.get_latest_data_version_record(dg.AssetKey(key))
    version = extract_data_version_from_entry(record.event_log_entry) if record else None
    return version.value[:16] if version else "unknown"


PUBLISHED_ASSETS = [publish_tables]
