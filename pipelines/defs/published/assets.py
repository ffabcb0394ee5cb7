"""Published layer: the tables dashboards and analysts read, replaced together in one transaction."""

import dagster as dg
from dagster import AssetExecutionContext

from pipelines.fingerprint import fingerprint
from pipelines.observe import contract_column_schema
from pipelines.resources import UrbanSafetyPaths
from warehouse import store
from warehouse.catalogue import catalogue_frame
from warehouse.metadata import (
    CRIME_AND_FEELING,
    GEOGRAPHIES,
    INCIDENT_CHANGES,
    INCIDENT_COMPLETENESS,
    INDICATOR_VALUES,
    INDICATORS,
    LOCAL_INDICATOR_VALUES,
    PUBLISHED_TABLES,
    SELF_ASSESSMENT,
    Table,
)
from warehouse.publish import publish

# Where each published table comes from: a checked staging table of the same shape, or the catalogue.
STAGING_SOURCE: dict[Table, str] = {
    INDICATOR_VALUES: "indicator_values",
    GEOGRAPHIES: "geographies",
    SELF_ASSESSMENT: "self_assessment",
    CRIME_AND_FEELING: "crime_and_feeling",
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
    the analysts' file holding all published tables (warehouse.publish)."""
    frames = {t: store.read_table(paths.work_db_path, "staging", name) for t, name in STAGING_SOURCE.items()}
    frames[INDICATORS] = catalogue_frame()
    rows = publish(
        paths.db_path, frames, run_id=context.run_id, fingerprint=fingerprint(paths.data_path, paths.registers_path)
    )
    for table in PUBLISHED_TABLES:
        yield dg.MaterializeResult(
            asset_key=["published", table.name],
            metadata={"dagster/row_count": rows[table.qualified_name], "database": str(paths.db_path)},
        )


PUBLISHED_ASSETS = [publish_tables]
