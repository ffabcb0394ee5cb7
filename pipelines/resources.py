"""Resources: where the data and the warehouse are (env-driven), and the IO manager for working tables."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import polars as pl
from pydantic import PrivateAttr

from sources.config import BUNDLED_REGISTERS_DIR, data_dir, db_path, registers_dir, work_db_path
from warehouse import store


class UrbanSafetyPaths(dg.ConfigurableResource):
    """The raw-data folder, the registers folder and the warehouse file (URBAN_SAFETY_DATA_DIR,
    URBAN_SAFETY_REGISTERS_DIR, URBAN_SAFETY_DB)."""

    data_dir: str
    database: str  # the analysts' file: published tables only, replaced atomically by each publication
    work_database: str  # the pipeline's own file: raw, staging, meta
    registers_dir: str = str(BUNDLED_REGISTERS_DIR)

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


class WarehouseIOManager(dg.ConfigurableIOManager):
    """Stores each asset's Polars frame as ``<layer>.<name>`` (key ``["raw", "crim_off_cat"]`` ->
    ``raw.crim_off_cat``), replacing the table in one transaction; loads it back as Polars.

    A frame written in a run is handed to the steps of the same run that read it without reading it back from
    the file (the very frame that was stored; reading 1.5 million rows back cost seconds per run). Inputs written
    by an earlier run, or by another process, are read from the file."""

    database: str
    _written: dict[tuple[str, str], tuple[str, pl.DataFrame]] = PrivateAttr(default_factory=dict)

    def handle_output(self, context: dg.OutputContext, obj: pl.DataFrame) -> None:
        schema, name = context.asset_key.path
        store.write_table(Path(self.database), schema, name, obj, context.definition_metadata.get("comment"))
        if any(run_id != context.run_id for run_id, _ in self._written.values()):
            self._written.clear()  # a new run: nothing of the last one is kept
        self._written[(schema, name)] = (context.run_id, obj)

    def load_input(self, context: dg.InputContext) -> pl.DataFrame:
        schema, name = context.asset_key.path
        run_id, frame = self._written.get((schema, name), (None, None))
        step = getattr(context, "_step_context", None)  # None when the context is built outside a run
        if frame is not None and step is not None and run_id == step.run_id:
            return frame
        return store.read_table(Path(self.database), schema, name)


def default_resources() -> dict[str, object]:
    """Resources built from the environment at load time (tests pass their own temp paths)."""
    work = str(work_db_path())
    return {
        "paths": UrbanSafetyPaths(
            data_dir=str(data_dir()), database=str(db_path()), work_database=work, registers_dir=str(registers_dir())
        ),
        "warehouse_io": WarehouseIOManager(database=work),
    }
