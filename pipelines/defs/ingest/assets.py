"""Raw layer: every bundled file as read, one table per file, with its source file, sha256 and load time."""

from __future__ import annotations

from datetime import UTC, datetime

import dagster as dg
import polars as pl

from pipelines.observe import frame_metadata
from pipelines.resources import UrbanSafetyPaths
from sources.codelists import read_code_list, read_dic
from sources.cohesion import read_esif_planned
from sources.eurostat import file_sha256, read_eurostat
from sources.registry import CODELISTS, COHESION, EUROSTAT_CRIME, EUROSTAT_POPULATION, EUROSTAT_SURVEY, SourceFile


def _read(source: SourceFile, paths: UrbanSafetyPaths) -> tuple[pl.DataFrame, dict[str, object]]:
    path = source.path(paths.data_path)
    loaded_at = datetime.now(UTC).replace(tzinfo=None)
    if source.reader == "eurostat":
        table = read_eurostat(path, source.name)
        frame = table.cells.with_columns(
            pl.lit(table.source_file).alias("source_file"),
            pl.lit(table.sha256).alias("sha256"),
            pl.lit(table.source_version).alias("source_version"),
            pl.lit(loaded_at).alias("loaded_at"),
        )
        extra = {
            "serialisation": table.serialisation,
            "source_version": table.source_version,
            "missing_cells": frame["value"].null_count(),
            "dimensions": ", ".join(table.dimensions),
        }
        sha = table.sha256
    else:
        readers = {"codelist": read_code_list, "dic": read_dic, "esif_planned": read_esif_planned}
        frame = readers[source.reader](path)
        sha = file_sha256(path.read_bytes())
        frame = frame.with_columns(
            pl.lit(path.name).alias("source_file"),
            pl.lit(sha).alias("sha256"),
            pl.lit(f"sha256:{sha[:12]}").alias("source_version"),
            pl.lit(loaded_at).alias("loaded_at"),
        )
        extra = {}
    return frame, {"source_file": str(path), "sha256": sha, **extra}


def build_raw_asset(source: SourceFile, group: str) -> dg.AssetsDefinition:
    @dg.asset(
        name=source.name,
        key_prefix=["raw"],
        group_name=group,
        kinds={"polars", "duckdb"},
        description=f"{source.title} — `{source.relpath}` as read (publisher: {source.publisher}; "
        f"licence: {source.licence}).",
        io_manager_key="warehouse_io",
        metadata={"relpath": source.relpath, "comment": f"As read from {source.relpath}: {source.title}"},
        pool="duckdb_write",
    )
    def _raw(paths: UrbanSafetyPaths) -> dg.Output[pl.DataFrame]:
        frame, meta = _read(source, paths)
        return dg.Output(frame, metadata={**frame_metadata(frame), **meta})

    return _raw


raw_crime_assets = [build_raw_asset(s, "raw_eurostat_crime") for s in EUROSTAT_CRIME]
raw_population_assets = [build_raw_asset(s, "raw_eurostat_population") for s in EUROSTAT_POPULATION]
raw_survey_assets = [build_raw_asset(s, "raw_eurostat_survey") for s in EUROSTAT_SURVEY]
raw_cohesion_assets = [build_raw_asset(s, "raw_cohesion") for s in COHESION]
raw_codelist_assets = [build_raw_asset(s, "raw_codelists") for s in CODELISTS]
RAW_ASSETS = [
    *raw_crime_assets,
    *raw_population_assets,
    *raw_survey_assets,
    *raw_cohesion_assets,
    *raw_codelist_assets,
]
