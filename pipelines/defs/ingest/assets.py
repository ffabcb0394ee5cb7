"""Raw layer: every source file as read, one table per file, with its source file, sha256 and load time.

Row-level problems (unparseable value, unknown flag, duplicate series, unknown territory code, negative count,
invalid amount) are not dropped silently: each goes to the file's quarantine table ``raw.quarantine_<name>``
with file, line, column, reason and the raw text, and is counted in the asset's metadata. Structural problems
stop the asset with a SourceFormatError naming file, line and column.
"""

from __future__ import annotations

from datetime import UTC, datetime

import dagster as dg
import polars as pl

from pipelines.defs.sources.assets import source_key
from pipelines.observe import frame_metadata
from pipelines.resources import UrbanSafetyPaths
from sources.codelists import known_codes, read_code_list, read_dic
from sources.cohesion import read_esif_planned_with_quarantine
from sources.eurostat import file_sha256, read_eurostat
from sources.lau import read_lau_with_quarantine
from sources.quarantine import (
    concat_quarantine,
    count_by_reason,
    empty_quarantine,
    quarantine_negative_counts,
    quarantine_unknown_codes,
)
from sources.registry import (
    CODELISTS,
    COHESION,
    EUROSTAT_CRIME,
    EUROSTAT_POPULATION,
    EUROSTAT_SURVEY,
    REFERENCE,
    SourceFile,
)
from warehouse import store

# Datasets whose values are counts of events or people: a negative value there is an error, not data.
COUNT_DATASETS = {s.name for s in EUROSTAT_CRIME + EUROSTAT_POPULATION}


def quarantine_table(name: str) -> str:
    return f"quarantine_{name}"


def _read_eurostat(source: SourceFile, path, known: set[str]) -> tuple[pl.DataFrame, pl.DataFrame, dict]:
    table = read_eurostat(path, source.name)
    cells, unknown = quarantine_unknown_codes(table.cells, table.geo_dimension, known, table.dataset, table.source_file)
    negative = empty_quarantine()
    if source.name in COUNT_DATASETS:
        unit = "unit" if "unit" in table.dimensions else None
        cells, negative = quarantine_negative_counts(
            cells, table.dataset, unit_column=unit, source_file=table.source_file
        )
    frame = cells.with_columns(
        pl.lit(table.source_file).alias("source_file"),
        pl.lit(table.sha256).alias("sha256"),
        pl.lit(table.source_version).alias("source_version"),
    )
    extra = {
        "serialisation": table.serialisation,
        "source_version": table.source_version,
        "missing_cells": frame["value"].null_count(),
        "dimensions": ", ".join(table.dimensions),
    }
    return frame, concat_quarantine(table.quarantine, unknown, negative), extra | {"sha256": table.sha256}


def _read_other(source: SourceFile, path) -> tuple[pl.DataFrame, pl.DataFrame, dict]:
    quarantine = empty_quarantine()
    if source.reader == "esif_planned":
        frame, quarantine = read_esif_planned_with_quarantine(path)
    elif source.reader == "lau":
        frame, quarantine = read_lau_with_quarantine(path)
    else:
        frame = read_code_list(path) if source.reader == "codelist" else read_dic(path)
    sha = file_sha256(path.read_bytes())
    frame = frame.with_columns(
        pl.lit(path.name).alias("source_file"),
        pl.lit(sha).alias("sha256"),
        pl.lit(f"sha256:{sha[:12]}").alias("source_version"),
    )
    return frame, quarantine, {"sha256": sha}


def build_raw_asset(source: SourceFile, group: str) -> dg.AssetsDefinition:
    eurostat = source.reader == "eurostat"
    ins = (
        {"geo_codes": dg.AssetIn(key=["raw", "geo_codes"]), "city_codes": dg.AssetIn(key=["raw", "city_codes"])}
        if eurostat
        else {}
    )

    @dg.asset(
        name=source.name,
        key_prefix=["raw"],
        group_name=group,
        kinds={"polars", "duckdb"},
        description=f"{source.title} — `{source.relpath}` as read (publisher: {source.publisher}; "
        f"licence: {source.licence}). Row-level problems: raw.{quarantine_table(source.name)}.",
        io_manager_key="warehouse_io",
        metadata={"relpath": source.relpath, "comment": f"As read from {source.relpath}: {source.title}"},
        pool="duckdb_write",
        ins=ins,
        deps=[source_key(source.name)],
    )
    def _raw(context, paths: UrbanSafetyPaths, **code_lists: pl.DataFrame) -> dg.Output[pl.DataFrame]:
        path = source.path(paths.data_path)
        loaded_at = datetime.now(UTC).replace(tzinfo=None)
        if eurostat:
            known = known_codes(code_lists["geo_codes"], code_lists["city_codes"])
            frame, quarantine, extra = _read_eurostat(source, path, known)
        else:
            frame, quarantine, extra = _read_other(source, path)
        frame = frame.with_columns(pl.lit(loaded_at).alias("loaded_at"))
        context.log.info(
            f"{source.relpath}: {frame.height:,} rows read, {quarantine.height:,} quarantined "
            f"(sha256 {extra['sha256'][:12]})"
        )
        store.write_table(
            paths.work_db_path,
            "raw",
            quarantine_table(source.name),
            quarantine.with_columns(pl.lit(loaded_at).alias("loaded_at")),
            f"Row-level problems set aside while reading {source.relpath}: file, line, column, reason, raw text.",
        )
        return dg.Output(
            frame,
            metadata={
                **frame_metadata(frame),
                "source_file": str(path),
                **extra,
                "quarantined_rows": quarantine.height,
                "quarantined_by_reason": count_by_reason(quarantine) if quarantine.height else {},
            },
        )

    return _raw


raw_crime_assets = [build_raw_asset(s, "raw_crime") for s in EUROSTAT_CRIME]
raw_population_assets = [build_raw_asset(s, "raw_population") for s in EUROSTAT_POPULATION]
raw_survey_assets = [build_raw_asset(s, "raw_survey") for s in EUROSTAT_SURVEY]
raw_cohesion_assets = [build_raw_asset(s, "raw_funding") for s in COHESION]
raw_codelist_assets = [build_raw_asset(s, "raw_codes") for s in CODELISTS]
raw_reference_assets = [build_raw_asset(s, "raw_codes") for s in REFERENCE]
RAW_ASSETS = [
    *raw_crime_assets,
    *raw_population_assets,
    *raw_survey_assets,
    *raw_cohesion_assets,
    *raw_codelist_assets,
    *raw_reference_assets,
]
ALL_RAW_NAMES = [
    s.name for s in EUROSTAT_CRIME + EUROSTAT_POPULATION + EUROSTAT_SURVEY + COHESION + CODELISTS + REFERENCE
]


@dg.asset(
    key=["staging", "quarantine"],
    deps=[dg.AssetKey(["raw", n]) for n in ALL_RAW_NAMES],
    group_name="stg_tidy",
    kinds={"polars", "duckdb"},
    io_manager_key="warehouse_io",
    pool="duckdb_write",
    description="Every row-level problem of every source in one table: file, line, column, reason, the raw text "
    "and when it was read. Nothing in it reaches the published tables; nothing is lost either.",
    metadata={"comment": "Quarantined source rows (file, line, column, reason, raw text)."},
)
def quarantine(context, paths: UrbanSafetyPaths) -> dg.Output[pl.DataFrame]:
    frames = [store.read_table(paths.work_db_path, "raw", quarantine_table(n)) for n in ALL_RAW_NAMES]
    frame = (
        pl.concat([f for f in frames if f.height], how="diagonal_relaxed")
        if any(f.height for f in frames)
        else (empty_quarantine().with_columns(pl.lit(None, dtype=pl.Datetime("us")).alias("loaded_at")))
    )
    context.log.info(f"{frame.height:,} source rows in quarantine from {sum(bool(f.height) for f in frames)} files")
    return dg.Output(
        frame,
        metadata={
            "dagster/row_count": frame.height,
            "quarantined_by_reason": count_by_reason(frame) if frame.height else {},
            "quarantined_by_file": dict(frame.group_by("source_file").len().sort("source_file").iter_rows())
            if frame.height
            else {},
        },
    )


@dg.asset_check(
    asset=dg.AssetKey(["staging", "quarantine"]),
    name="nothing_quarantined",
    description="No source row was set aside (a warning: quarantined rows are kept, not published).",
)
def nothing_quarantined(quarantine: pl.DataFrame) -> dg.AssetCheckResult:
    lines = [
        f"{r['source_file']}, line {r['line']}, column {r['column']}: {r['reason']} ({r['value_raw']!r})"
        for r in quarantine.head(50).iter_rows(named=True)
    ]
    return dg.AssetCheckResult(
        passed=quarantine.is_empty(),
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"rows": quarantine.height, "first_rows": "\n".join(lines) or "none"},
    )


QUARANTINE_ASSETS = [quarantine]
QUARANTINE_CHECKS = [nothing_quarantined]
