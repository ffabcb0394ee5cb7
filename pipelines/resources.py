"""Resources: where the data and the warehouse are (env-driven), and the IO manager for working tables."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import polars as pl

from sources.config import BUNDLED_REGISTERS_DIR, data_dir, db_path, parquet_root, registers_dir, work_db_path
from warehouse import store


class UrbanSafetyPaths(dg.ConfigurableResource):
    """The raw-data folder, the registers folder and the warehouse file (URBAN_SAFETY_DATA_DIR,
    URBAN_SAFETY_REGISTERS_DIR, URBAN_SAFETY_DB)."""

    data_dir: str
    database: str  # the analysts' file: published tables only, replaced atomically by each publication
    work_database: str  # the pipeline's own file: raw, staging, meta
    registers_dir: str = str(BUNDLED_REGISTERS_DIR)
    # Incident Parquet partitions; "" = ``incidents/`` next to the working file (URBAN_SAFETY_PARQUET_ROOT).
    parquet_root: str = ""

    @property
    def data_path(self) -> Path:
        return Path(self.data_dir)

    @property
    def registers_path(self) -> Path:
        return Path(self.registers_dir)

    @property
    def db_path(self) -> Path:
        return Path(self.database)

    @property
    def work_db_path(self) -> Path:
        return Path(self.work_database)

    @property
    def parquet_root_path(self) -> Path:
        return Path(self.parquet_root) if self.parquet_root else self.work_db_path.parent / "incidents"


class WarehouseIOManager(dg.ConfigurableIOManager):
    """Stores each asset's Polars frame as ``<layer>.<name>`` (key ``["raw", "crim_off_cat"]`` ->
    ``raw.crim_off_cat``), replacing the table in one transaction; loads it back as Polars."""

    database: str

    def handle_output(self, context: dg.OutputContext, obj: pl.DataFrame) -> None:
        schema, name = context.asset_key.path
        store.write_table(Path(self.database), schema, name, obj, context.definition_metadata.get("comment"))

    def load_input(self, context: dg.InputContext) -> pl.DataFrame:
        schema, name = context.asset_key.path
        return store.read_table(Path(self.database), schema, name)


def default_resources() -> dict[str, object]:
    """Resources built from the environment at load time (tests pass their own temp paths)."""
    work = str(work_db_path())
    return {
        "paths": UrbanSafetyPaths(
            data_dir=str(data_dir()),
            database=str(db_path()),
            work_database=work,
            registers_dir=str(registers_dir()),
            parquet_root=str(parquet_root()),
        ),
        "warehouse_io": WarehouseIOManager(database=work),
    }
