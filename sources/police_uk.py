"""data.police.uk street-level crime files: find them, check them, and land one month as typed Parquet.

The archive (https://data.police.uk/data/) ships one CSV per force and month, ``YYYY-MM/YYYY-MM-<force>-street.csv``;
a flat folder of ``YYYY-MM-<force>-street.csv`` files (as bundled in ``data/raw/police_uk``) is accepted too.
Twelve columns, CRLF, UTF-8 without BOM.

What the files hold, and what this reader does with each quirk (every row ends up in exactly one place):

* **structural damage** (wrong header, a line with more fields than the header, bytes that are not UTF-8, a file
  whose name does not say its month and force): :class:`SourceFormatError` naming file, line and column; the month
  is not landed and what was landed before stays as it was.
* **row-level problems** go to the month's quarantine (``sources.quarantine`` schema) with file, line, column,
  reason and the text as written: ``wrong_period`` (the ``Month`` cell is not the file's month), ``missing_value``
  (no ``Crime type``, ``Reported by`` or ``Falls within``; no ``Crime ID`` on a crime), ``unknown_code`` (a crime
  type not in ``transforms/parameters/police_uk_crime_types.csv``), ``unparseable_value`` (a coordinate that is not
  a number in range, a Crime ID that is not 64 hex digits, an LSOA code that is not an ONS LSOA code). They also
  stay in the month's incident file with status ``quarantined`` (so one streamed pass writes everything), and are
  never counted.
* every other row is landed with a ``status``:
  - ``crime``: counted;
  - ``anti_social_behaviour``: kept and counted apart, never in crime totals (no Crime ID, not a crime);
  - ``duplicate_crime_id``: a repeat of a Crime ID already seen in the month. police.uk gives one persistent id per
    crime; the bundled 2019 files have 96 ids on 196 rows, always the same month and crime type but a different
    snapped location (and sometimes outcome). The crime is counted once, at its first row in file order; the
    repeats are landed (so nothing is lost) and excluded from counts with this reason.
* ``No Location`` rows (no LSOA, no coordinates) are crimes: they count in the force's totals, in no LSOA, and
  their share is reported by the completeness table. ``On or near Police Station`` is a snapped map point like any
  other (crimes reported at or recorded to the station), kept as written. Rows in LSOAs of neighbouring forces are
  the force's records and stay with the force (LSOA figures are per recording force).

Landing is streamed (Polars ``scan_csv`` -> ``sink_parquet``), never one in-memory frame of the archive; a month is
written to a temporary folder and then replaces the landed month whole, in a local folder or an object store
(sources.partition_store), so a failure leaves the previous month intact.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import polars as pl

from sources.errors import SourceFormatError, decode_utf8
from sources.partition_store import PartitionStore
from sources.quarantine import (
    MISSING_VALUE,
    QUARANTINE_SCHEMA,
    UNKNOWN_CODE,
    UNPARSEABLE_VALUE,
    WRONG_PERIOD,
)

DATASET = "police_uk_street"
FOLDER = "police_uk"  # under the data folder
HEADER = (
    "Crime ID",
    "Month",
    "Reported by",
    "Falls within",
    "Longitude",
    "Latitude",
    "Location",
    "LSOA code",
    "LSOA name",
    "Crime type",
    "Last outcome category",
    "Context",
)
_FILE_NAME = re.compile(r"^(?P<month>\d{4}-(?:0[1-9]|1[0-2]))-(?P<force>[a-z0-9]+(?:-[a-z0-9]+)*)-street\.csv$")
_MONTH_DIR = re.compile(r"^\d{4}-(?:0[1-9]|1[0-2])$")
CRIME_TYPES_FILE = Path(__file__).resolve().parent.parent / "transforms" / "parameters" / "police_uk_crime_types.csv"

CRIME = "crime"
ANTI_SOCIAL_BEHAVIOUR = "anti_social_behaviour"
DUPLICATE_CRIME_ID = "duplicate_crime_id"
QUARANTINED = "quarantined"
STATUSES = (CRIME, ANTI_SOCIAL_BEHAVIOUR, DUPLICATE_CRIME_ID, QUARANTINED)

# The typed incident rows as landed (one Parquet file per month folder; ``month`` is the Hive partition column).
INCIDENT_SCHEMA: dict[str, pl.DataType] = {
    "force": pl.String(),
    "crime_id": pl.String(),
    "reported_by": pl.String(),
    "falls_within": pl.String(),
    "longitude": pl.Float64(),
    "latitude": pl.Float64(),
    "location": pl.String(),
    "lsoa_code": pl.String(),
    "lsoa_name": pl.String(),
    "crime_type": pl.String(),
    "last_outcome_category": pl.String(),
    "context": pl.String(),
    "status": pl.String(),
    "source_file": pl.String(),
    "line": pl.Int64(),
    # Only on quarantined rows (status 'quarantined'): the first problem of the row and its cell as written.
    "quarantine_reason": pl.String(),
    "quarantine_column": pl.String(),
    "quarantine_value_raw": pl.String(),
}
# Monthly counts by file (= force) x LSOA x crime type x status (LSOA NULL = no location): what indicators read.
COUNT_SCHEMA: dict[str, pl.DataType] = {
    "source_file": pl.String(),
    "force": pl.String(),
    "falls_within": pl.String(),
    "lsoa_code": pl.String(),
    "lsoa_name": pl.String(),
    "crime_type": pl.String(),
    "status": pl.String(),
    "incidents": pl.Int64(),
}
COUNT_KEYS = tuple(c for c in COUNT_SCHEMA if c != "incidents")
INCIDENTS_FILE = "incidents.parquet"
COUNTS_FILE = "counts.parquet"
QUARANTINE_FILE = "quarantine.parquet"
MANIFEST_FILE = "_manifest.json"


@dataclass(frozen=True)
class StreetFile:
    path: Path
    month: str
    force: str


@cache
def crime_types() -> pl.DataFrame:
    """The documented crime-type table (crime_type, is_crime, iccs_sections, spans_sections, valid_from,
    valid_to, reasoning)."""
    return pl.read_csv(
        CRIME_TYPES_FILE,
        schema_overrides={"iccs_sections": pl.String, "valid_from": pl.String, "valid_to": pl.String},
    )


def discover(data_dir: Path) -> dict[str, list[StreetFile]]:
    """Street files under ``<data_dir>/police_uk`` by month (sorted), archive layout and flat layout together.

    The same force and month twice (e.g. in a month folder and flat) is refused: which one is right is not ours
    to guess. A ``*-street.csv`` whose name does not parse, or that sits in a month folder of another month, is an
    error, not silently skipped.
    """
    root = Path(data_dir) / FOLDER
    if not root.is_dir():
        return {}
    candidates = [p for p in root.glob("*-street.csv")]
    for sub in root.iterdir():
        if sub.is_dir() and _MONTH_DIR.match(sub.name):
            candidates += [p for p in sub.glob("*-street.csv")]
    by_key: dict[tuple[str, str], StreetFile] = {}
    for path in sorted(candidates):
        match = _FILE_NAME.match(path.name)
        if not match:
            raise SourceFormatError(path, "file name is not YYYY-MM-<force>-street.csv")
        if path.parent != root and path.parent.name != match["month"]:
            raise SourceFormatError(path, f"a {match['month']} file in the month folder {path.parent.name}")
        key = (match["month"], match["force"])
        if key in by_key:
            raise SourceFormatError(path, f"force {key[1]} month {key[0]} is also in {by_key[key].path}")
        by_key[key] = StreetFile(path.resolve(), match["month"], match["force"])
    months: dict[str, list[StreetFile]] = {}
    for (month, _), f in sorted(by_key.items()):
        months.setdefault(month, []).append(f)
    return months


def file_stats(files: list[StreetFile]) -> dict[str, list[int]]:
    """Name -> [size, modification time in ns]: the cheap first test of "unchanged" (then sha256)."""
    return {f.path.name: [f.path.stat().st_size, f.path.stat().st_mtime_ns] for f in files}


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 22):
            digest.update(chunk)
    return digest.hexdigest()


def check_header(path: Path) -> None:
    """The first line must be the 12 documented column names, in order (a UTF-8 BOM is tolerated)."""
    with path.open("rb") as fh:
        first = fh.readline(64 * 1024)
    if not first.strip():
        raise SourceFormatError(path, "empty file: no header", 1)
    names = decode_utf8(path, first).rstrip("\r\n").split(",")
    for i, expected in enumerate(HEADER):
        got = names[i] if i < len(names) else None
        if got != expected:
            raise SourceFormatError(path, f"header: expected {expected!r}, found {got!r}", 1, str(i + 1))
    if len(names) > len(HEADER):
        raise SourceFormatError(
            path, f"header: unexpected extra column {names[len(HEADER)]!r}", 1, str(len(HEADER) + 1)
        )


def locate_structural_error(path: Path) -> SourceFormatError:
    """Find the first line a CSV parser cannot take (too many fields, bad bytes, open quote), slowly but only on
    the failure path, so the error can name it."""
    import csv
    import io

    text = decode_utf8(path, path.read_bytes())
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        for fields in reader:
            if len(fields) > len(HEADER):
                return SourceFormatError(
                    path,
                    f"{len(fields)} fields, the header has {len(HEADER)} (extra text {fields[len(HEADER)]!r})",
                    reader.line_num,
                    str(len(HEADER) + 1),
                )
    except csv.Error as exc:
        return SourceFormatError(path, f"not readable as CSV: {exc}", reader.line_num)
    return SourceFormatError(path, "the CSV parser refused the file (no line could be singled out)")


def _scan_file(f: StreetFile) -> pl.LazyFrame:
    # Every cell as text first: typing happens below, where a bad cell becomes a quarantine row, not an error.
    return pl.scan_csv(
        f.path,
        schema=dict.fromkeys(HEADER, pl.String()),
        has_header=True,
        row_index_name="line",
        row_index_offset=2,  # line 1 is the header; the police.uk fields never hold line breaks
    ).with_columns(
        pl.lit(f.force).alias("force"),
        pl.lit(f.path.name).alias("source_file"),
        pl.lit(f.month).alias("file_month"),
        pl.col("line").cast(pl.Int64),
    )


def _first_problem(checks: list[tuple[pl.Expr, str, str, str]]) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """(reason, column, raw text) of the first failing check of a row, NULL when none fails."""
    reason = column = raw = None
    for bad, why, col_name, raw_col in reversed(checks):
        reason = pl.when(bad).then(pl.lit(why)).otherwise(reason if reason is not None else pl.lit(None, pl.String))
        column = (
            pl.when(bad).then(pl.lit(col_name)).otherwise(column if column is not None else pl.lit(None, pl.String))
        )
        raw = pl.when(bad).then(pl.col(raw_col)).otherwise(raw if raw is not None else pl.lit(None, pl.String))
    return reason, column, raw


def typed_rows(files: list[StreetFile]) -> pl.LazyFrame:
    """All rows of one month's files, typed, each with its quarantine reason (NULL when fine) and status."""
    types = crime_types()
    known_types = types["crime_type"].to_list()
    not_crime = types.filter(~pl.col("is_crime"))["crime_type"].to_list()
    lf = pl.concat([_scan_file(f) for f in files], how="vertical")
    lon = pl.col("Longitude").cast(pl.Float64, strict=False)
    lat = pl.col("Latitude").cast(pl.Float64, strict=False)
    is_asb = pl.col("Crime type").is_in(not_crime)
    checks = [
        (pl.col("Month") != pl.col("file_month"), WRONG_PERIOD, "Month", "Month"),
        (pl.col("Month").is_null(), WRONG_PERIOD, "Month", "Month"),
        (pl.col("Crime type").is_null(), MISSING_VALUE, "Crime type", "Crime type"),
        (~pl.col("Crime type").is_in(known_types), UNKNOWN_CODE, "Crime type", "Crime type"),
        (pl.col("Reported by").is_null(), MISSING_VALUE, "Reported by", "Reported by"),
        (pl.col("Falls within").is_null(), MISSING_VALUE, "Falls within", "Falls within"),
        (pl.col("Crime ID").is_null() & ~is_asb, MISSING_VALUE, "Crime ID", "Crime ID"),
        (~pl.col("Crime ID").str.contains(r"^[0-9a-f]{64}$"), UNPARSEABLE_VALUE, "Crime ID", "Crime ID"),
        (
            pl.col("Longitude").is_not_null() & (lon.is_null() | (lon.abs() > 180)),
            UNPARSEABLE_VALUE,
            "Longitude",
            "Longitude",
        ),
        (
            pl.col("Latitude").is_not_null() & (lat.is_null() | (lat.abs() > 90)),
            UNPARSEABLE_VALUE,
            "Latitude",
            "Latitude",
        ),
        (~pl.col("LSOA code").str.contains(r"^[EWS]0[0-9]{7}$"), UNPARSEABLE_VALUE, "LSOA code", "LSOA code"),
    ]
    # A NULL test (e.g. a regex on a NULL cell) means "not bad".
    checks = [(bad.fill_null(False), *rest) for bad, *rest in checks]
    reason, column, raw = _first_problem(checks)
    lf = lf.with_columns(reason.alias("q_reason"), column.alias("q_column"), raw.alias("q_raw"))
    ok = pl.col("q_reason").is_null()
    first_of_id = pl.when(ok).then(pl.col("Crime ID")).is_first_distinct() | pl.col("Crime ID").is_null()
    status = (
        pl.when(is_asb)
        .then(pl.lit(ANTI_SOCIAL_BEHAVIOUR))
        .when(first_of_id)
        .then(pl.lit(CRIME))
        .otherwise(pl.lit(DUPLICATE_CRIME_ID))
    )
    return lf.with_columns(
        pl.col("Crime ID").alias("crime_id"),
        pl.col("Reported by").alias("reported_by"),
        pl.col("Falls within").alias("falls_within"),
        lon.alias("longitude"),
        lat.alias("latitude"),
        pl.col("Location").alias("location"),
        pl.col("LSOA code").alias("lsoa_code"),
        pl.col("LSOA name").alias("lsoa_name"),
        pl.col("Crime type").alias("crime_type"),
        pl.col("Last outcome category").alias("last_outcome_category"),
        pl.col("Context").alias("context"),
        pl.when(ok).then(status).alias("status"),
        pl.col("q_reason").alias("quarantine_reason"),
        pl.col("q_column").alias("quarantine_column"),
        pl.col("q_raw").alias("quarantine_value_raw"),
    )


@dataclass
class MonthLanding:
    """What landing one month did: where, from which files, and where every row went."""

    month: str
    location: str  # the landed partition (folder or s3:// prefix)
    files: dict[str, str]  # file name -> sha256
    rows_read: int = 0
    rows_by_status: dict[str, int] = field(default_factory=dict)
    quarantined_by_reason: dict[str, int] = field(default_factory=dict)
    rows_by_file: dict[str, int] = field(default_factory=dict)
    reused: bool = False  # True: inputs and code unchanged, the landed month was kept as it was

    @property
    def quarantined(self) -> int:
        return sum(self.quarantined_by_reason.values())

    def manifest(self, code_version: str) -> dict[str, object]:
        return {
            "dataset": DATASET,
            "month": self.month,
            "code_version": code_version,
            "files": self.files,
            "rows_read": self.rows_read,
            "rows_by_status": self.rows_by_status,
            "quarantined_by_reason": self.quarantined_by_reason,
            "rows_by_file": self.rows_by_file,
        }


@cache
def code_version() -> str:
    """What a landed month depends on besides its files: this reader and the crime-type table."""
    digest = hashlib.sha256(Path(__file__).read_bytes())
    digest.update(CRIME_TYPES_FILE.read_bytes())
    return digest.hexdigest()[:16]


def month_path(month: str) -> str:
    """The month's partition, relative to the Parquet root (Hive layout)."""
    return f"{FOLDER}/month={month}"


def read_manifest(root: Path | str | PartitionStore, month: str) -> dict[str, object] | None:
    """The landed month's manifest; None when the month is not landed (a partition without one is not landed)."""
    text = PartitionStore.at(root).read_text(f"{month_path(month)}/{MANIFEST_FILE}")
    return json.loads(text) if text is not None else None


def land_month(
    files: list[StreetFile], month: str, root: Path | str | PartitionStore, *, force: bool = False
) -> MonthLanding:
    """Land one month's street files under ``<root>/police_uk/month=<month>/`` (a folder or an object store): the
    typed incident rows, the counts by force x LSOA x crime type x status, the quarantine and a manifest.
    Unchanged inputs and code: kept as is."""
    store = PartitionStore.at(root)
    if not files:
        raise SourceFormatError(Path(store.root), f"no street file for {month}")
    for f in files:
        if f.month != month:
            raise SourceFormatError(f.path, f"file of {f.month} given for month {month}")
    target = month_path(month)
    previous = read_manifest(store, month)
    stats = file_stats(files)
    if not force and previous and previous.get("stats") == stats and previous.get("code_version") == code_version():
        shas = dict(previous["files"])  # same names, sizes and modification times: not even re-hashed
    else:
        shas = {f.path.name: file_sha256(f.path) for f in files}
    if not force and previous and previous.get("files") == shas and previous.get("code_version") == code_version():
        landing = MonthLanding(month, store.uri(target), shas, reused=True)
        landing.rows_read = int(previous["rows_read"])
        landing.rows_by_status = dict(previous["rows_by_status"])
        landing.quarantined_by_reason = dict(previous["quarantined_by_reason"])
        landing.rows_by_file = dict(previous["rows_by_file"])
        if previous.get("stats") != stats:
            # Same bytes, new times (a copy, a touch): remember the new stats so the next check is cheap again.
            store.write_text(
                f"{target}/{MANIFEST_FILE}", json.dumps(previous | {"stats": stats}, indent=1, sort_keys=True)
            )
        return landing
    for f in files:
        check_header(f.path)

    with store.new_folder(target, commit_file=MANIFEST_FILE) as staging:
        rows = typed_rows(files).with_columns(pl.col("status").fill_null(pl.lit(QUARANTINED)))
        try:
            # One streamed pass over the CSV: every row, typed, quarantined ones with their reason. The counts and
            # the quarantine file are read back from this Parquet (columnar, a fraction of the CSV's cost).
            rows.select([pl.col(c).cast(t) for c, t in INCIDENT_SCHEMA.items()]).sink_parquet(
                staging / INCIDENTS_FILE, compression="zstd", statistics=True
            )
        except (pl.exceptions.ComputeError, pl.exceptions.NoDataError) as exc:
            for f in files:
                error = locate_structural_error(f.path)
                if error.line is not None:
                    raise error from exc
            raise SourceFormatError(files[0].path, f"cannot be read: {exc}") from exc
        landed = pl.scan_parquet(staging / INCIDENTS_FILE)
        landed.filter(pl.col("status") == QUARANTINED).select(
            "source_file",
            "line",
            pl.col("quarantine_column").alias("column"),
            pl.col("quarantine_reason").alias("reason"),
            pl.col("quarantine_value_raw").alias("value_raw"),
            pl.lit(DATASET).alias("dataset"),
        ).sink_parquet(staging / QUARANTINE_FILE)
        landed.group_by(*COUNT_KEYS).agg(pl.len().cast(pl.Int64).alias("incidents")).sink_parquet(staging / COUNTS_FILE)
        qframe = pl.read_parquet(staging / QUARANTINE_FILE).cast(QUARANTINE_SCHEMA)
        counts = pl.read_parquet(staging / COUNTS_FILE)
        per_file = counts.group_by("source_file").agg(pl.col("incidents").sum())
        counts = counts.filter(pl.col("status") != QUARANTINED)
        landing = MonthLanding(month, store.uri(target), shas)
        landing.rows_by_status = {
            s: int(n) for s, n in counts.group_by("status").agg(pl.col("incidents").sum()).sort("status").iter_rows()
        }
        landing.quarantined_by_reason = dict(sorted(qframe.group_by("reason").len().iter_rows()))
        landing.rows_by_file = {f.path.name: 0 for f in files} | dict(per_file.iter_rows())
        landing.rows_read = sum(landing.rows_by_status.values()) + qframe.height
        manifest = landing.manifest(code_version()) | {"stats": stats}
        (staging / MANIFEST_FILE).write_text(json.dumps(manifest, indent=1, sort_keys=True))
    return landing


def remove_month(root: Path | str | PartitionStore, month: str) -> None:
    """Drop a landed month (its files are gone from the data folder)."""
    PartitionStore.at(root).remove(month_path(month))


def landed_months(root: Path | str | PartitionStore) -> list[str]:
    store = PartitionStore.at(root)
    months = [name.removeprefix("month=") for name in store.folders(FOLDER) if name.startswith("month=")]
    return [m for m in months if store.exists(f"{month_path(m)}/{MANIFEST_FILE}")]
