"""Resources: where the data and the warehouse are (env-driven), and the IO manager for working tables."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

import dagster as dg
import polars as pl
from pydantic import PrivateAttr

from pipelines.observe import frame_metadata
from sources.config import BUNDLED_REGISTERS_DIR, data_dir, db_path, parquet_root, registers_dir, work_db_path
from sources.partition_store import PartitionStore
from warehouse import store
from warehouse.db import held_open
from warehouse.lock import exclusive_writer


class _HoldsWriterLock:
    """Resources that write hold the writer lock for the whole run (warehouse.lock): taken when the run sets them
    up, released when it tears them down. Only runs lock; a sensor tick building a resource does not."""

    def _lock_file(self) -> Path:
        raise NotImplementedError

    def _hold(self, held: ExitStack) -> None:
        """What else the resource holds for the run, under the lock (released in reverse order)."""

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        if context.dagster_run is not None:
            with ExitStack() as held:
                held.enter_context(exclusive_writer(self._lock_file(), log=context.log.info if context.log else None))
                self._hold(held)
                self._held = held.pop_all()  # kept until teardown (released here only if setting up failed)

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        held = getattr(self, "_held", None)
        if held is not None:
            self._held = None
            held.close()


class UrbanSafetyPaths(_HoldsWriterLock, dg.ConfigurableResource):
    """The raw-data folder, the registers folder and the warehouse file (URBAN_SAFETY_DATA_DIR,
    URBAN_SAFETY_REGISTERS_DIR, URBAN_SAFETY_DB)."""

    data_dir: str
    database: str  # the analysts' file: published tables only, replaced atomically by each publication
    work_database: str  # the pipeline's own file: raw, staging, meta
    registers_dir: str = str(BUNDLED_REGISTERS_DIR)
    # Incident Parquet partitions: a folder or s3://bucket/prefix; "" = ``incidents/`` next to the working file
    # (URBAN_SAFETY_PARQUET_ROOT).
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

    def _lock_file(self) -> Path:
        return self.work_db_path

    @property
    def parquet_store(self) -> PartitionStore:
        return PartitionStore.at(self.parquet_root or self.work_db_path.parent / "incidents")


class WarehouseIOManager(_HoldsWriterLock, dg.ConfigurableIOManager):
    """Stores each asset's Polars frame as ``<layer>.<name>`` (key ``["raw", "crim_off_cat"]`` ->
    ``raw.crim_off_cat``), replacing the table in one transaction; loads it back as Polars.

    A frame written in a run is handed to the steps of the same run that read it without reading it back from
    the file (the very frame that was stored; reading 1.5 million rows back cost seconds per run). Inputs written
    by an earlier run, or by another process, are read from the file."""

    database: str
    _written: dict[tuple[str, str], tuple[str, pl.DataFrame]] = PrivateAttr(default_factory=dict)

    def _lock_file(self) -> Path:
        return Path(self.database)

    def _hold(self, held: ExitStack) -> None:
        # The working file stays open for the run: every step's reads and writes share one database instance.
        held.enter_context(held_open(self.database))

    def handle_output(self, context: dg.OutputContext, obj: pl.DataFrame) -> None:
        schema, name = context.asset_key.path
        store.write_table(Path(self.database), schema, name, obj, context.definition_metadata.get("comment"))
        if any(run_id != context.run_id for run_id, _ in self._written.values()):
            self._written.clear()  # a new run: nothing of the last one is kept
        self._written[(schema, name)] = (context.run_id, obj)
        # What the UI shows for every stored table: where it is and the columns it was written with.
        extra: dict[str, object] = {"dagster/table_name": f"{schema}.{name}"}
        if "dagster/column_schema" not in (context.output_metadata or {}):
            extra["dagster/column_schema"] = frame_metadata(obj)["dagster/column_schema"]
        context.add_output_metadata(extra)
        context.log.info(f"{schema}.{name}: {obj.height:,} rows, {obj.width} columns written to {self.database}")

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
            data_dir=str(data_dir()),
            database=str(db_path()),
            work_database=work,
            registers_dir=str(registers_dir()),
            parquet_root=str(parquet_root()),
        ),
        "warehouse_io": WarehouseIOManager(database=work),
    }
