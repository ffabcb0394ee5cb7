"""Local incident data: police.uk street files by month, SSMSI by year, landed as Parquet partitions; then the
counts, completeness, tested changes and rates that are published.

Partitions. police.uk uses a ``MonthlyPartitionsDefinition`` whose start and end are read from the data folder
when the definitions load (first and last month found in ``$URBAN_SAFETY_DATA_DIR/police_uk``). Why not dynamic
partitions: a monthly time window gives the UI's date-range backfill and a calendar that shows a *gap* as a
missing partition (a force-month that is absent is visible, not silently skipped), needs no sensor to register
keys and no instance state, and a month folder dropped into the data folder appears as a new partition at the next
definitions load (``make run``, or "Reload definitions" in ``make dev``). SSMSI publishes one file for all years:
yearly time-window partitions over the years in it.

Each partition lands its month (year) in ``<parquet root>/police_uk/month=YYYY-MM/`` (``ssmsi/year=YYYY/``), a
local folder or an S3-compatible object store (``URBAN_SAFETY_PARQUET_ROOT=s3://bucket/prefix``,
sources.partition_store), written aside and then put in place whole: a damaged file fails its partition with file,
line and column, and what was landed before stays. A month whose files and code did not change is not recomputed (the
month's manifest holds the files' sha256 and the code version); the materialisation says ``reused``.

The unpartitioned staging assets read every landed partition of the months now in the data folder (DuckDB/Polars
over the Parquet files) and build the candidates for ``published.local_indicator_values``,
``published.incident_completeness`` and ``published.incident_changes``.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import polars as pl

from pipelines.defs.common import STAGING
from pipelines.observe import contract_column_schema
from pipelines.resources import UrbanSafetyPaths
from sources import police_uk, ssmsi
from sources.errors import SourceFormatError
from sources.quarantine import count_by_reason
from transforms.incidents import change_tests, completeness, police_indicator_values, ssmsi_indicator_values
from warehouse.db import connect
from warehouse.metadata import INCIDENT_CHANGES, INCIDENT_COMPLETENESS, LOCAL_INDICATOR_VALUES, quote_literal

POLICE_KEY = dg.AssetKey(["raw", "police_uk_street"])
SSMSI_KEY = dg.AssetKey(["raw", "ssmsi_dep"])
INCIDENT_GROUP = "raw_incidents"
POLICE_JOB = "police_uk_months"
SSMSI_JOB = "ssmsi_years"
SSMSI_FOLDER = "ssmsi"


# ------------------------------------------------------------------------------------------------ partitions


def police_uk_partitions(data_dir: Path) -> dg.MonthlyPartitionsDefinition | None:
    """Months from the first to the last found in the data folder (None when there is no police.uk file)."""
    months = sorted(police_uk.discover(data_dir))
    if not months:
        return None
    last_y, last_m = int(months[-1][:4]), int(months[-1][5:7])
    end = f"{last_y + (last_m == 12)}-{last_m % 12 + 1:02d}"
    return dg.MonthlyPartitionsDefinition(start_date=months[0], end_date=end, fmt="%Y-%m")


def ssmsi_partitions(data_dir: Path) -> dg.TimeWindowPartitionsDefinition | None:
    path = Path(data_dir) / ssmsi.FILE
    if not path.is_file():
        return None
    years = ssmsi.years(path)
    if not years:
        return None
    return dg.TimeWindowPartitionsDefinition(
        cron_schedule="0 0 1 1 *", start=str(years[0]), end=str(years[-1] + 1), fmt="%Y"
    )


# ------------------------------------------------------------------------------------------------ raw, partitioned


def build_police_uk_asset(partitions: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    @dg.asset(
        key=POLICE_KEY,
        partitions_def=partitions,
        group_name=INCIDENT_GROUP,
        kinds={"polars", "parquet"},
        code_version=police_uk.code_version(),
        pool="parquet_write",
        description="data.police.uk street-level crime, one partition per month: every force file of the month "
        "landed as typed Parquet (Hive layout, <parquet root>/police_uk/month=YYYY-MM/), with counts by force x "
        "LSOA x crime type, the quarantine and a manifest. Publisher: Home Office / police forces; licence: Open "
        "Government Licence v3.0.",
    )
    def _police_uk(context, paths: UrbanSafetyPaths) -> dg.MaterializeResult:
        # One key, or a range in one run (a UI backfill as a single run): each month lands on its own, atomically.
        found = police_uk.discover(paths.data_path)
        per_month: dict[str, dict[str, object]] = {}
        versions = []
        for month in context.partition_keys:
            files = found.get(month)
            if not files:
                # A month inside the range without a file: nothing to land, and it must not read as zero crime.
                police_uk.remove_month(paths.parquet_store, month)
                per_month[month] = {"month_present": False}
                continue
            landing = police_uk.land_month(files, month, paths.parquet_store)
            context.log.info(
                f"{month}: {'kept (unchanged)' if landing.reused else 'landed'} {landing.rows_read} rows, "
                f"{landing.quarantined} quarantined"
            )
            versions.append(_version(landing.files))
            per_month[month] = {
                "month_present": True,
                "reused": landing.reused,
                "files": ", ".join(landing.files),
                "rows_read": landing.rows_read,
                "rows_by_status": landing.rows_by_status,
                "quarantined_by_reason": landing.quarantined_by_reason,
            }
        months = [m for m, d in per_month.items() if d["month_present"]]
        return dg.MaterializeResult(
            data_version=dg.DataVersion(" / ".join(versions))
            if len(context.partition_keys) == 1 and versions
            else None,
            metadata={
                "months": ", ".join(context.partition_keys),
                "months_missing": ", ".join(m for m in per_month if m not in months) or "none",
                "months_reused": sum(1 for m in months if per_month[m]["reused"]),
                "rows_read": sum(int(per_month[m]["rows_read"]) for m in months),
                "quarantined_rows": sum(
                    sum(per_month[m]["quarantined_by_reason"].values())
                    for m in months  # type: ignore[union-attr]
                ),
                "per_month": per_month,
                "parquet": paths.parquet_store.uri(police_uk.month_path("*")),
            },
        )

    return _police_uk


def _version(files: dict[str, str]) -> str:
    return "sha256:" + "+".join(sha[:12] for _, sha in sorted(files.items()))


def build_ssmsi_asset(partitions: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    @dg.asset(
        key=SSMSI_KEY,
        partitions_def=partitions,
        group_name=INCIDENT_GROUP,
        kinds={"polars", "parquet"},
        code_version=police_uk.file_sha256(Path(ssmsi.__file__))[:16],
        pool="parquet_write",
        description="SSMSI recorded crime by département (France), one partition per year, landed as typed "
        "Parquet (<parquet root>/ssmsi/year=YYYY/). Publisher: SSMSI, Ministère de l'Intérieur; licence: Licence "
        "Ouverte v2.0.",
    )
    def _ssmsi(context, paths: UrbanSafetyPaths) -> dg.MaterializeResult:
        path = paths.data_path / ssmsi.FILE
        if not path.is_file():
            raise SourceFormatError(path, f"missing: expected {ssmsi.FILE} in {paths.data_path}")
        table = ssmsi.read_ssmsi(path)
        rows_by_year = {}
        store = paths.parquet_store
        for key in context.partition_keys:
            year = int(key)
            rows = table.rows.filter(pl.col("year") == year)
            landed = rows.with_columns(pl.lit(table.source_version).alias("source_version")).drop("year")
            store.write_parquet(_ssmsi_file(year), landed)
            # Row-level problems of the whole file, kept with each year (a bad year cell belongs to no year).
            store.write_parquet(_ssmsi_file(year, "quarantine.parquet"), table.quarantine)
            rows_by_year[key] = rows.height
        return dg.MaterializeResult(
            data_version=dg.DataVersion(table.source_version),
            metadata={
                "rows_by_year": rows_by_year,
                "quarantined_rows": table.quarantine.height,
                "quarantined_by_reason": count_by_reason(table.quarantine) if table.quarantine.height else {},
                "source_version": table.source_version,
                "parquet": store.uri(SSMSI_FOLDER),
            },
        )

    return _ssmsi


def _ssmsi_file(year: int | str, name: str = "rows.parquet") -> str:
    """A landed SSMSI year's file, relative to the Parquet root (``year="*"``: every year's, as a glob)."""
    return f"{SSMSI_FOLDER}/year={year}/{name}"


def build_partitioned_assets(data_dir: Path) -> tuple[list[dg.AssetsDefinition], list[dg.UnresolvedAssetJobDefinition]]:
    """The partitioned assets and their jobs for the data folder as it is now (partitions read from it)."""
    assets, jobs = [], []
    if (months := police_uk_partitions(data_dir)) is not None:
        assets.append(build_police_uk_asset(months))
        jobs.append(
            dg.define_asset_job(
                POLICE_JOB,
                selection=[POLICE_KEY],
                partitions_def=months,
                description="Land police.uk months (one partition per month; backfill a range from the UI).",
            )
        )
    if (years := ssmsi_partitions(data_dir)) is not None:
        assets.append(build_ssmsi_asset(years))
        jobs.append(
            dg.define_asset_job(SSMSI_JOB, selection=[SSMSI_KEY], partitions_def=years, description="Land SSMSI years.")
        )
    return assets, jobs


def partitions_to_land(paths: UrbanSafetyPaths) -> list[tuple[str, str]]:
    """(job, partition key) for every partition whose input changed since it was landed: police.uk months whose
    files (names, sizes, modification times) or code differ from the month's manifest, SSMSI years not landed or
    landed from another version of the file. What ``make run`` materialises before the main job."""
    todo: list[tuple[str, str]] = []
    for month, files in police_uk.discover(paths.data_path).items():
        if not _landed_is_current(paths, month, files):
            todo.append((POLICE_JOB, month))
    ssmsi_file = paths.data_path / ssmsi.FILE
    if ssmsi_file.is_file():
        version = f"sha256:{police_uk.file_sha256(ssmsi_file)[:12]}"
        for year in ssmsi.years(ssmsi_file):
            if _landed_version(paths, year) != version:
                todo.append((SSMSI_JOB, str(year)))
    return todo


def _landed_is_current(paths: UrbanSafetyPaths, month: str, files: list[police_uk.StreetFile]) -> bool:
    manifest = police_uk.read_manifest(paths.parquet_store, month)
    return (
        manifest is not None
        and manifest.get("stats") == police_uk.file_stats(files)
        and manifest.get("code_version") == police_uk.code_version()
    )


def _landed_version(paths: UrbanSafetyPaths, year: int) -> str | None:
    """The source version an SSMSI year was landed from (None: not landed)."""
    if not paths.parquet_store.exists(_ssmsi_file(year)):
        return None
    versions = paths.parquet_store.read_parquet(_ssmsi_file(year), columns=["source_version"])
    return versions["source_version"][0] if versions.height else None


# ------------------------------------------------------------------------------------------------ reading landed data


def landed_police_counts(paths: UrbanSafetyPaths) -> tuple[pl.DataFrame, dict[str, str]]:
    """Counts of every month now in the data folder, from its landed partition; (counts, month -> version).

    A month in the data folder that is not landed, or landed from other files, is an error: materialise its
    partition first (``make run`` does)."""
    found = police_uk.discover(paths.data_path)
    versions, stale = {}, []
    for month, files in found.items():
        if not _landed_is_current(paths, month, files):
            stale.append(month)
            continue
        manifest = police_uk.read_manifest(paths.parquet_store, month)
        versions[month] = _version(manifest["files"])  # type: ignore[index]
    if stale:
        raise RuntimeError(
            f"police.uk months not landed, or landed from files or code that changed since: {', '.join(stale)}; "
            f"materialise {POLICE_KEY.to_user_string()} for them first (make run does)"
        )
    if not versions:
        return pl.DataFrame(schema={**police_uk.COUNT_SCHEMA, "month": pl.String()}), {}
    frames = [
        paths.parquet_store.read_parquet(f"{police_uk.month_path(m)}/{police_uk.COUNTS_FILE}").with_columns(
            pl.lit(m).alias("month")
        )
        for m in sorted(versions)
    ]
    return pl.concat(frames), versions


def landed_ssmsi(paths: UrbanSafetyPaths) -> pl.DataFrame | None:
    path = paths.data_path / ssmsi.FILE
    if not path.is_file():
        return None
    years = ssmsi.years(path)
    store = paths.parquet_store
    missing = [str(y) for y in years if not store.exists(_ssmsi_file(y))]
    if missing:
        raise RuntimeError(f"SSMSI years not landed: {', '.join(missing)}; materialise {SSMSI_KEY.to_user_string()}")
    return pl.concat(
        [store.read_parquet(_ssmsi_file(y)).with_columns(pl.lit(y, pl.Int32).alias("year")) for y in years]
    )


def create_views(paths: UrbanSafetyPaths) -> None:
    """Views in the working file over the landed Parquet, so the warehouse reads the partitions in place.

    Local partitions only: DuckDB reads ``s3://`` through its httpfs extension, which is downloaded on first use
    and cannot be had offline, so with object storage the views are dropped (the published tables do not need
    them; analysts read the partitions with Polars, pyarrow or a DuckDB that has httpfs)."""
    root = paths.parquet_store.local_root
    views = {
        "police_uk_street": (f"{police_uk.FOLDER}/month=*/{police_uk.INCIDENTS_FILE}", "month"),
        "police_uk_counts": (f"{police_uk.FOLDER}/month=*/{police_uk.COUNTS_FILE}", "month"),
        "police_uk_quarantine": (f"{police_uk.FOLDER}/month=*/{police_uk.QUARANTINE_FILE}", "month"),
        "ssmsi_dep": (_ssmsi_file("*"), "year"),
    }
    with connect(paths.work_db_path) as con:
        con.execute("CREATE SCHEMA IF NOT EXISTS incidents")
        for name, (pattern, part) in views.items():
            if root is None or not any(root.glob(pattern)):
                con.execute(f'DROP VIEW IF EXISTS incidents."{name}"')
                continue
            files = quote_literal(str(root / pattern))
            con.execute(
                f'CREATE OR REPLACE VIEW incidents."{name}" AS SELECT * FROM read_parquet({files}, '
                f"hive_partitioning = true, hive_types = {{'{part}': VARCHAR}})"
            )


# ------------------------------------------------------------------------------------------------ staging


@dg.asset(
    key=["staging", "incident_completeness"],
    deps=[POLICE_KEY],
    group_name="stg_incidents",
    description="police.uk completeness per force and month (present, crimes against the force's median, share "
    "without location; missing and collapsed months flagged, never zero).",
    metadata={
        "comment": "Candidate published.incident_completeness.",
        "dagster/column_schema": contract_column_schema(INCIDENT_COMPLETENESS),
    },
    **STAGING,
)
def incident_completeness(paths: UrbanSafetyPaths) -> dg.Output[pl.DataFrame]:
    counts, versions = landed_police_counts(paths)
    frame = completeness(counts, versions)
    create_views(paths)
    return dg.Output(
        frame,
        metadata={
            "dagster/row_count": frame.height,
            "by_status": dict(frame.group_by("status").len().sort("status").iter_rows()),
        },
    )


@dg.asset(
    key=["staging", "local_indicator_values"],
    deps=[POLICE_KEY, SSMSI_KEY],
    ins={"incident_completeness": dg.AssetIn(key=["staging", "incident_completeness"])},
    group_name="stg_incidents",
    description="SEC_LOCAL_CRIME_COUNT and LIV_ASB_COUNT from the landed police.uk months; SEC_FR_DEP_RATE and "
    "SEC_FR_DEP_BURGLARY_RATE recomputed from the SSMSI counts and bases (tauxpourmille never copied).",
    metadata={
        "comment": "Candidate published.local_indicator_values.",
        "dagster/column_schema": contract_column_schema(LOCAL_INDICATOR_VALUES),
    },
    **STAGING,
)
def local_indicator_values(paths: UrbanSafetyPaths, incident_completeness: pl.DataFrame) -> dg.Output[pl.DataFrame]:
    counts, _ = landed_police_counts(paths)
    police, dropped = police_indicator_values(counts, incident_completeness)
    frames = [police]
    ssmsi_rows = landed_ssmsi(paths)
    if ssmsi_rows is not None and ssmsi_rows.height:
        version = ssmsi_rows["source_version"].unique().sort().str.join(" + ").item()
        frames.append(ssmsi_indicator_values(ssmsi_rows, version))
    frame = pl.concat(frames)
    if frame.is_empty() and (counts.height or (ssmsi_rows is not None and ssmsi_rows.height)):
        raise RuntimeError("incident data was landed but no indicator value came out of it")
    return dg.Output(
        frame,
        metadata={
            "dagster/row_count": frame.height,
            "rows_by_indicator": dict(frame.group_by("indicator_id").len().sort("indicator_id").iter_rows()),
            "dropped_by_reason": dropped,
            "dropped_total": sum(dropped.values()),
        },
    )


@dg.asset(
    key=["staging", "incident_changes"],
    ins={
        "local_indicator_values": dg.AssetIn(key=["staging", "local_indicator_values"]),
        "incident_completeness": dg.AssetIn(key=["staging", "incident_completeness"]),
    },
    group_name="stg_incidents",
    description="Same month a year earlier and year on year, exact conditional binomial tests with "
    "Benjamini-Hochberg q-values; nothing across a crime-type definition change or an incomplete month.",
    metadata={
        "comment": "Candidate published.incident_changes.",
        "dagster/column_schema": contract_column_schema(INCIDENT_CHANGES),
    },
    **STAGING,
)
def incident_changes(
    local_indicator_values: pl.DataFrame, incident_completeness: pl.DataFrame
) -> dg.Output[pl.DataFrame]:
    frame = change_tests(local_indicator_values, incident_completeness)
    return dg.Output(
        frame,
        metadata={
            "dagster/row_count": frame.height,
            "by_direction": dict(frame.group_by("direction").len().sort("direction").iter_rows())
            if frame.height
            else {},
        },
    )


INCIDENT_STAGING_ASSETS = [incident_completeness, local_indicator_values, incident_changes]
