"""Readers for Eurostat's three serialisations in the bundle.

* API TSV: header ``freq,iccs,unit,geo\\TIME_PERIOD``, year headers and cells with trailing spaces;
* older bulk TSV: header ``indic_ur,unit,cities\\time``, no ``freq``, years often descending;
* JSON-stat 2.0: sparse ``value``/``status`` keyed by the flat (row-major) index.

All three return the same long shape (one row per cell, missing cells included where the format lists
them), so everything downstream is format-blind. Dimensions are always taken from the header or the
``id`` list, never from position, because each dataset orders them differently.

A cell is ``<number><space><flags>`` or ``:<space><flags>``; ``:`` is *missing*, never zero. Flags are
kept as written (``flags``) and split into the two SDMX code lists Eurostat uses since January 2025
(OBS_STATUS, CONF_STATUS): observation status (``b``, ``e``, ``p`` …) and confidentiality status (``C``,
``N``, ``P``; the legacy lower-case ``c`` is mapped to ``C``).

Bad input is split in two (see :mod:`sources.quarantine`):

* row-level problems do not stop the read: an unparseable cell, an unknown flag letter (TSV and JSON-stat) and a
  repeated series key (TSV: the first line wins) are left out of ``cells`` and listed in ``quarantine`` with file,
  line, column, reason and the text as written;
* structural problems raise :class:`~sources.errors.SourceFormatError` naming file, line and column: a bad header
  or time label, dimensions that are not identifiers or (when known, :data:`EUROSTAT_DIMENSIONS`) not the expected
  ones, a line whose field count or key does not match the header, an empty or header-only file, bytes that are
  not UTF-8, a TSV that does not end with a line break (a truncated download), invalid or truncated JSON, a
  JSON-stat index outside the declared sizes, a truncated or corrupt gzip stream.

Files compressed with gzip (``.tsv.gz`` from the bulk download) are read transparently: the content is
decompressed when it starts with the gzip magic bytes; ``sha256`` stays the hash of the file as stored.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import math
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from sources.errors import SourceFormatError, decode_utf8
from sources.quarantine import (
    DUPLICATE_KEY,
    QUARANTINE_SCHEMA,
    UNKNOWN_FLAG,
    UNPARSEABLE_VALUE,
    count_by_reason,
    empty_quarantine,
    quarantine_frame,
)

# Observation-status letters Eurostat has used (current list plus the pre-2025 ``r``, ``s`` and ``z``).
OBS_STATUS_CODES = frozenset("bdefimnprsuz")
# Confidentiality: current upper-case codes plus the legacy lower-case ``c``.
CONF_STATUS_CODES = frozenset("CNPc")
# ``@`` appears as a marker before a status letter in some releases (``: @N`` in demo_r_pjanaggr3).
_FLAG_MARKERS = frozenset("@")

# ASCII digits only: Polars' \d also matches other scripts' digits, which cannot be cast to a number.
_CELL = re.compile(r"^(?::|(-?[0-9]+(?:\.[0-9]+)?))[ \t]*([A-Za-z@]*)$")
_PERIOD = re.compile(r"^[0-9]{4}(?:-?(?:M?[0-9]{2}|Q[1-4]|S[12]))?$")
_DIM_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
TIME_LABELS = ("TIME_PERIOD", "time")
GEO_DIMENSIONS = ("geo", "cities")
# Every character a flag string may contain.
FLAG_CHARS = "".join(sorted(OBS_STATUS_CODES | CONF_STATUS_CODES | _FLAG_MARKERS))
_UNKNOWN_FLAG_CHAR = re.compile(f"[^{re.escape(FLAG_CHARS)}]")
GZIP_MAGIC = b"\x1f\x8b"

# The dimensions of each registry dataset (sources.registry), in any order. When a reader is given one of these
# names as ``dataset``, a file with other dimensions (one renamed, missing or added) is a structural error: every
# downstream step selects dimensions by name. Checked on the bundled files.
EUROSTAT_DIMENSIONS: dict[str, tuple[str, ...]] = {
    "crim_off_cat": ("freq", "iccs", "unit", "geo"),
    "crim_gen_reg": ("freq", "unit", "iccs", "geo"),
    "crim_hom_ocit": ("freq", "unit", "cities"),
    "demo_pjan": ("freq", "unit", "age", "sex", "geo"),
    "tps00001": ("indic_de", "geo"),
    "demo_r_pjanaggr3": ("freq", "unit", "sex", "age", "geo"),
    "urb_percep": ("indic_ur", "unit", "cities"),
    "ilc_mddw03": ("freq", "hhtyp", "incgrp", "unit", "geo"),
    "ilc_pw03": ("freq", "statinfo", "unit", "isced11", "domain", "sex", "age", "geo"),
    "ilc_pw03b": ("freq", "domain", "statinfo", "isced11", "sex", "age", "unit", "geo"),
    "ilc_scp09": ("freq", "frequenc", "pers_cat", "isced11", "age", "sex", "unit", "geo"),
    "ilc_scp15": ("freq", "isced11", "age", "sex", "unit", "geo"),
    "ilc_scp17": ("freq", "isced11", "age", "sex", "unit", "geo"),
    "ilc_scp19": ("freq", "isced11", "acl00", "age", "sex", "unit", "geo"),
}
# May be added to or left out of the dimensions above (see _check_dimensions).
OPTIONAL_REGISTRY_DIMENSIONS = frozenset({"freq"})


@dataclass(frozen=True)
class EurostatTable:
    """One Eurostat file as read: its cells in long form plus what identifies the file.

    ``quarantine`` (:data:`sources.quarantine.QUARANTINE_SCHEMA`) lists the row-level problems; the cells they
    concern are not in ``cells``.
    """

    dataset: str
    dimensions: list[str]
    cells: pl.DataFrame
    source_file: str
    sha256: str
    source_version: str
    serialisation: str
    labels: dict[str, dict[str, str]] = field(default_factory=dict)
    quarantine: pl.DataFrame = field(default_factory=empty_quarantine)

    @property
    def geo_dimension(self) -> str:
        for name in GEO_DIMENSIONS:
            if name in self.dimensions:
                return name
        raise SourceFormatError(self.source_file, f"no geographic dimension ({' or '.join(GEO_DIMENSIONS)})")

    @property
    def quarantine_counts(self) -> dict[str, int]:
        """Quarantine rows per reason (only reasons that occur)."""
        return count_by_reason(self.quarantine)


def file_sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _gunzip(path: Path, data: bytes) -> bytes:
    """The decompressed content of a gzip file; a truncated or corrupt stream names where the data stops."""
    try:
        return gzip.decompress(data)
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        # Decompress what can be decompressed, chunk by chunk, to tell the reader where the content breaks off.
        partial = bytearray()
        decompressor = zlib.decompressobj(wbits=31)
        try:
            for start in range(0, len(data), 1 << 16):
                partial += decompressor.decompress(data[start : start + (1 << 16)])
        except zlib.error:
            pass
        line = partial.count(b"\n") + 1
        last = bytes(partial[partial.rfind(b"\n") + 1 :])
        column = len(last.decode("utf-8", errors="replace")) + 1
        kind = "truncated" if isinstance(exc, EOFError) else "corrupt"
        raise SourceFormatError(
            path,
            f"{kind} gzip stream ({exc}): the content breaks off after {len(partial)} decompressed bytes",
            line,
            f"char {column}",
        ) from None


def _content(path: Path, data: bytes) -> bytes:
    """The file's content: gunzipped when it starts with the gzip magic bytes."""
    return _gunzip(path, data) if data.startswith(GZIP_MAGIC) else data


def _unknown_flags(flags: pl.Expr) -> pl.Expr:
    """True where a flag string has a letter outside Eurostat's code lists (we would mislabel the cell)."""
    return flags.str.replace_all(f"[{re.escape(FLAG_CHARS)}]", "").str.len_chars() > 0


def split_flags(flags: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """(obs_status, conf_status) from a raw flag string; empty becomes null."""
    obs = flags.str.replace_all(r"[^abd-z]", "")
    conf = flags.str.replace_all("c", "C").str.replace_all(r"[^CNP]", "")
    return (
        pl.when(obs.str.len_chars() > 0).then(obs).otherwise(None),
        pl.when(conf.str.len_chars() > 0).then(conf).otherwise(None),
    )


def _expected(dataset: str | None, expected_dimensions: Sequence[str] | None) -> Sequence[str] | None:
    if expected_dimensions is not None:
        return expected_dimensions
    return EUROSTAT_DIMENSIONS.get(dataset) if dataset else None


def _check_dimensions(
    path: Path, dims: list[str], expected: Sequence[str] | None, column: str, *, registry: bool = False
) -> None:
    """The file's dimensions must be the expected ones, in any order (each dataset orders them differently).

    For a registry dataset (``registry``) ``freq`` may be present or absent whatever the bundled file shows: the
    dissemination API writes it first in every TSV, the discontinued bulk download never did. Downstream it is not
    a breakdown (``transforms.observations.NON_BREAKDOWN``)."""
    if expected is None:
        return
    optional = OPTIONAL_REGISTRY_DIMENSIONS if registry else frozenset()
    unknown = [d for d in dims if d not in expected and d not in optional]
    missing = [d for d in expected if d not in dims and d not in optional]
    if unknown or missing:
        parts = []
        if unknown:
            parts.append(f"unknown dimension(s) {unknown}")
        if missing:
            parts.append(f"missing dimension(s) {missing}")
        raise SourceFormatError(
            path, f"{'; '.join(parts)} (found {dims}, expected {list(expected)} in any order)", 1, column
        )


def read_eurostat_tsv(
    path: Path | str, dataset: str | None = None, expected_dimensions: Sequence[str] | None = None
) -> EurostatTable:
    """Read an API TSV or an old bulk TSV (plain or gzip). Both line endings, with or without BOM, any year order.

    ``expected_dimensions`` (any order) defaults to :data:`EUROSTAT_DIMENSIONS` of ``dataset`` when it is listed.
    """
    path = Path(path)
    data = path.read_bytes()
    return _read_tsv_text(path, data, decode_utf8(path, _content(path, data)), dataset, expected_dimensions)


def _read_tsv_text(
    path: Path, data: bytes, text: str, dataset: str | None, expected_dimensions: Sequence[str] | None
) -> EurostatTable:
    lines = text.split("\n")
    ends_with_line_break = len(lines) > 1 and lines[-1].strip() == ""
    while lines and lines[-1].strip() == "":
        lines.pop()
    if not lines:
        raise SourceFormatError(path, "empty file: no header line", 1)
    lines = [ln[:-1] if ln.endswith("\r") else ln for ln in lines]
    if not ends_with_line_break:
        raise SourceFormatError(
            path,
            "the last line does not end with a line break: the file looks truncated",
            len(lines),
            f"char {len(lines[-1]) + 1}",
        )

    header = lines[0].split("\t")
    first = header[0]
    if "\\" not in first:
        raise SourceFormatError(path, f"first header cell {first!r} lacks the '<dims>\\<time>' form", 1, "1")
    dims_part, time_label = first.rsplit("\\", 1)
    if time_label.strip() not in TIME_LABELS:
        raise SourceFormatError(path, f"time label {time_label!r} is not one of {TIME_LABELS}", 1, "1")
    dims = [d.strip() for d in dims_part.split(",")]
    for d in dims:
        if not _DIM_NAME.match(d):
            raise SourceFormatError(path, f"dimension name {d!r} is not an identifier", 1, "1")
    if len(set(dims)) != len(dims):
        raise SourceFormatError(path, f"repeated dimension in {dims}", 1, "1")
    name = dataset or _dataset_from_name(path)
    _check_dimensions(path, dims, _expected(dataset, expected_dimensions), "1", registry=expected_dimensions is None)
    periods = [h.strip() for h in header[1:]]
    for pos, p in enumerate(periods, start=2):
        if not _PERIOD.match(p):
            raise SourceFormatError(path, f"period header {p!r} is not a period", 1, str(pos))
    if len(set(periods)) != len(periods):
        raise SourceFormatError(path, "repeated period in header", 1)
    if not periods:
        raise SourceFormatError(path, "header has no period columns", 1)

    n_fields = len(header)
    if len(lines) < 2:
        raise SourceFormatError(path, "header but no data lines", 1)
    body = pl.DataFrame({"_line": lines[1:]}).with_row_index("source_line", offset=2)
    keys = pl.col("_line").str.split("\t").list.first().str.split(",")
    well_formed = (
        (pl.col("_line").str.count_matches("\t", literal=True) == n_fields - 1)
        & (keys.list.len() == len(dims))
        & ~keys.list.eval(pl.element().str.strip_chars() == "").list.any()
    )
    if not body.select(well_formed.all()).item():
        _raise_first_structural_error(path, lines, dims, periods, first)  # the slow path only locates the error
    fields = pl.col("_line").str.split_exact("\t", n_fields - 1)
    key_fields = pl.col("_key").str.split_exact(",", len(dims) - 1)
    wide = body.with_columns(fields.struct.field("field_0").alias("_key")).with_columns(
        *[key_fields.struct.field(f"field_{i}").str.strip_chars().alias(d) for i, d in enumerate(dims)],
        *[fields.struct.field(f"field_{i}").alias(p) for i, p in enumerate(periods, start=1)],
        pl.col("source_line").cast(pl.Int32),
    )
    # Row-level: a repeated series key; the first line of the series is used, the others are quarantined whole.
    repeated = ~pl.struct(dims).is_first_distinct()
    duplicates = wide.filter(repeated).select(
        pl.col("source_line").cast(pl.Int64).alias("line"),
        pl.lit(first).alias("column"),
        pl.lit(DUPLICATE_KEY).alias("reason"),
        pl.col("_key").str.strip_chars().alias("value_raw"),
        pl.lit(0, dtype=pl.Int64).alias("_pos"),
    )
    wide = wide.filter(~repeated).select(*dims, *periods, "source_line")
    long = wide.unpivot(index=[*dims, "source_line"], on=periods, variable_name="period", value_name="cell")
    long, bad = _parse_cells(long)
    positions = {p: i for i, p in enumerate(periods, start=1)}
    problems = pl.concat(
        [
            duplicates,
            bad.select(
                pl.col("source_line").cast(pl.Int64).alias("line"),
                pl.col("period").alias("column"),
                pl.col("_reason").alias("reason"),
                pl.col("value_raw"),
                pl.col("period").replace_strict(positions, return_dtype=pl.Int64).alias("_pos"),
            ),
        ]
    ).sort("line", "_pos")
    quarantine = problems.select(
        pl.lit(path.name).alias("source_file"),
        "line",
        "column",
        "reason",
        "value_raw",
        pl.lit(name).alias("dataset"),
    ).cast(QUARANTINE_SCHEMA)
    return EurostatTable(
        dataset=name,
        dimensions=dims,
        cells=long,
        source_file=path.name,
        sha256=file_sha256(data),
        source_version=f"sha256:{file_sha256(data)[:12]}",
        serialisation="tsv_api" if time_label.strip() == "TIME_PERIOD" else "tsv_bulk",
        quarantine=quarantine,
    )


def _raise_first_structural_error(
    path: Path, lines: list[str], dims: list[str], periods: list[str], first: str
) -> None:
    """Raise the SourceFormatError of the first data line whose field count or series key does not fit the header
    (line by line, so the message names the exact line and column; only called when something is wrong)."""
    n_fields = len(periods) + 1
    for lineno, line in enumerate(lines[1:], start=2):
        fields = line.split("\t")
        if len(fields) != n_fields:
            found = f"expected {n_fields} tab-separated fields, found {len(fields)}"
            if not line.strip():
                raise SourceFormatError(path, f"blank line inside the data ({found})", lineno)
            if len(fields) > n_fields:  # the column alignment is lost: structural
                raise SourceFormatError(
                    path, f"{found}: field {n_fields + 1} has no column in the header", lineno, str(n_fields + 1)
                )
            missing = periods[len(fields) - 1]
            raise SourceFormatError(path, f"{found}: no field for period {missing!r}", lineno, missing)
        key = [k.strip() for k in fields[0].split(",")]
        if len(key) != len(dims) or any(k == "" for k in key):
            raise SourceFormatError(path, f"series key {fields[0]!r} does not match dimensions {dims}", lineno, first)
    raise AssertionError(f"{path}: a line failed the vectorised check but no structural error was found")


def _parse_cells(long: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(cells, bad): parsed cells, and the unparseable / unknown-flag cells with their reason (``_reason``)."""
    cell = pl.col("cell").str.strip_chars()
    parsed = long.with_columns(
        cell.alias("value_raw"),
        cell.str.extract(_CELL.pattern, 1).alias("_number"),
        cell.str.extract(_CELL.pattern, 2).alias("flags"),
        cell.str.contains(_CELL.pattern).alias("_ok"),
    )
    reason = (
        pl.when(~pl.col("_ok"))
        .then(pl.lit(UNPARSEABLE_VALUE))
        .when(_unknown_flags(pl.col("flags")))
        .then(pl.lit(UNKNOWN_FLAG))
        .otherwise(pl.lit(None, dtype=pl.String))
    )
    parsed = parsed.with_columns(reason.alias("_reason"))
    bad = parsed.filter(pl.col("_reason").is_not_null()).select("source_line", "period", "value_raw", "_reason")
    obs, conf = split_flags(pl.col("flags"))
    good = (
        parsed.filter(pl.col("_reason").is_null())
        .with_columns(
            pl.col("_number").cast(pl.Float64).alias("value"),
            obs.alias("obs_status"),
            conf.alias("conf_status"),
        )
        .drop("cell", "_number", "_ok", "_reason")
    )
    return good, bad


def _dataset_from_name(path: Path) -> str:
    stem = path.name.split(".")[0]
    return stem.removeprefix("estat_")


def read_jsonstat(
    path: Path | str, dataset: str | None = None, expected_dimensions: Sequence[str] | None = None
) -> EurostatTable:
    """Read a JSON-stat 2.0 dataset (Eurostat dissemination API, ``format=JSON``), plain or gzip."""
    path = Path(path)
    data = path.read_bytes()
    return _read_jsonstat_text(path, data, decode_utf8(path, _content(path, data)), dataset, expected_dimensions)


def _json_text(value: object) -> str:
    """A JSON member as written (strings keep their quotes, so ``"12"`` and ``12`` stay distinguishable)."""
    return json.dumps(value, ensure_ascii=False)


def _is_number(value: object) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an integer too large for a float
        return False


def _read_jsonstat_text(
    path: Path, data: bytes, text: str, dataset: str | None, expected_dimensions: Sequence[str] | None
) -> EurostatTable:
    if not text.strip():
        raise SourceFormatError(path, "empty file", 1)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SourceFormatError(path, f"invalid JSON: {exc.msg}", exc.lineno, f"char {exc.colno}") from None
    if not isinstance(doc, dict) or doc.get("class") != "dataset":
        raise SourceFormatError(path, 'not a JSON-stat dataset ("class" must be "dataset")', 1)
    ids, sizes, dims = doc.get("id"), doc.get("size"), doc.get("dimension")
    if not isinstance(ids, list) or not isinstance(sizes, list) or len(ids) != len(sizes):
        raise SourceFormatError(path, '"id" and "size" must be lists of equal length', 1, "id")
    for d in ids:
        if not isinstance(d, str) or not _DIM_NAME.match(d):
            raise SourceFormatError(path, f"dimension name {d!r} is not an identifier", 1, "id")
    if len(set(ids)) != len(ids):
        raise SourceFormatError(path, f"repeated dimension in {ids}", 1, "id")
    if any(isinstance(s, bool) or not isinstance(s, int) or s < 0 for s in sizes):
        raise SourceFormatError(path, f'"size" must be non-negative integers, found {sizes}', 1, "size")
    if not isinstance(dims, dict) or any(d not in dims for d in ids):
        raise SourceFormatError(path, '"dimension" must describe every id', 1, "dimension")
    time_dim = next((d for d in ids if d in TIME_LABELS), None)
    if time_dim is None:
        raise SourceFormatError(path, "no time dimension", 1, "id")
    ext = doc.get("extension") or {}
    name = dataset or str(ext.get("id") or _dataset_from_name(path)).lower()
    _check_dimensions(
        path,
        [d for d in ids if d != time_dim],
        _expected(dataset, expected_dimensions),
        "id",
        registry=expected_dimensions is None,
    )

    codes: dict[str, list[str]] = {}
    labels: dict[str, dict[str, str]] = {}
    for d, size in zip(ids, sizes, strict=True):
        category = dims[d].get("category", {}) if isinstance(dims[d], dict) else None
        if not isinstance(category, dict):
            raise SourceFormatError(path, "category must be an object", 1, f"dimension.{d}")
        index = category.get("index")
        if isinstance(index, list):
            ordered = [str(c) for c in index]
        elif isinstance(index, dict):
            ordered = [""] * len(index)
            for code, pos in index.items():
                if not isinstance(pos, int) or not 0 <= pos < len(index):
                    raise SourceFormatError(path, f"bad index {pos!r} for {code!r}", 1, f"dimension.{d}")
                if ordered[pos]:
                    raise SourceFormatError(
                        path, f"index {pos} given to both {ordered[pos]!r} and {code!r}", 1, f"dimension.{d}"
                    )
                ordered[pos] = str(code)
        elif index is None and isinstance(category.get("label"), dict) and len(category["label"]) == 1:
            ordered = [str(next(iter(category["label"])))]  # single category may omit index
        else:
            raise SourceFormatError(path, "category.index must be an object or an array", 1, f"dimension.{d}")
        if len(ordered) != size:
            raise SourceFormatError(path, f"size says {size} categories, index has {len(ordered)}", 1, f"dimension.{d}")
        codes[d] = ordered
        labels[d] = {str(k): str(v) for k, v in (category.get("label") or {}).items()}
    for period in codes[time_dim]:
        if not _PERIOD.match(period):
            raise SourceFormatError(path, f"time category {period!r} is not a period", 1, f"dimension.{time_dim}")

    total = int(np.prod(sizes)) if sizes else 0
    values = _sparse(path, doc.get("value"), total, "value")
    status = _sparse(path, doc.get("status"), total, "status")
    # Row-level: a value that is not a finite number, a status with a letter outside the code lists.
    problems: list[tuple[int, int, str, str, str]] = []
    for k, v in values.items():
        if v is not None and not _is_number(v):
            problems.append((k, 0, f"value[{k}]", UNPARSEABLE_VALUE, _json_text(v)))
    for k, s in status.items():
        if s is not None and (not isinstance(s, str) or _UNKNOWN_FLAG_CHAR.search(s)):
            problems.append((k, 1, f"status[{k}]", UNKNOWN_FLAG, _json_text(s)))
    problems.sort()
    removed = {k for k, *_ in problems}
    flat = np.array(sorted((set(values) | set(status)) - removed), dtype=np.int64)
    strides = np.cumprod([1, *sizes[::-1]])[:-1][::-1]
    columns: dict[str, object] = {}
    for d, stride, size in zip(ids, strides, sizes, strict=True):
        pos = (flat // stride) % size
        columns[d] = np.array(codes[d], dtype=object)[pos] if len(flat) else []
    dims_no_time = [d for d in ids if d != time_dim]
    frame = pl.DataFrame(
        {
            **{d: pl.Series(d, columns[d], dtype=pl.String) for d in dims_no_time},
            "period": pl.Series("period", columns[time_dim], dtype=pl.String),
            "source_index": pl.Series("source_index", flat, dtype=pl.Int64),
            "value": pl.Series("value", [values.get(int(i)) for i in flat], dtype=pl.Float64),
            "flags": pl.Series("flags", [str(status.get(int(i)) or "") for i in flat], dtype=pl.String),
        }
    )
    obs, conf = split_flags(pl.col("flags"))
    frame = frame.with_columns(
        pl.when(pl.col("value").is_null())
        .then(pl.lit(":"))
        .otherwise(pl.col("value").cast(pl.String))
        .alias("value_raw"),
        obs.alias("obs_status"),
        conf.alias("conf_status"),
    )
    ds = ext.get("datastructure") or {}
    version = str(doc.get("updated") or "")
    if ds.get("version"):
        version += f" (DSD {ds.get('id', '')} v{ds['version']})"
    quarantine = quarantine_frame(
        ({"line": 1, "column": column, "reason": reason, "value_raw": raw} for _, _, column, reason, raw in problems),
        source_file=path.name,
        dataset=name,
    )
    return EurostatTable(
        dataset=name,
        dimensions=dims_no_time,
        cells=frame,
        source_file=path.name,
        sha256=file_sha256(data),
        source_version=version.strip() or f"sha256:{file_sha256(data)[:12]}",
        serialisation="jsonstat",
        labels=labels,
        quarantine=quarantine,
    )


def _sparse(path: Path, obj: object, total: int, name: str) -> dict[int, object]:
    """JSON-stat ``value``/``status``: object keyed by flat index, dense array, single string, or absent.

    An index outside the declared sizes is structural: the sizes every index is decoded with are then wrong.
    """
    if obj is None:
        return {}
    if isinstance(obj, str) and name == "status":
        return dict.fromkeys(range(total), obj)
    if isinstance(obj, list):
        if len(obj) != total:
            raise SourceFormatError(path, f"dense {name} has {len(obj)} entries, size implies {total}", 1, name)
        return {i: v for i, v in enumerate(obj) if v is not None}
    if isinstance(obj, dict):
        out: dict[int, object] = {}
        for k, v in obj.items():
            try:
                i = int(k)
            except ValueError:
                raise SourceFormatError(path, f"key {k!r} is not a flat index", 1, name) from None
            if not 0 <= i < total:
                raise SourceFormatError(path, f"index {i} outside 0..{total - 1}", 1, f"{name}[{k}]")
            out[i] = v
        return out
    raise SourceFormatError(path, f"{name} must be an object or an array", 1, name)


def read_eurostat(
    path: Path | str, dataset: str | None = None, expected_dimensions: Sequence[str] | None = None
) -> EurostatTable:
    """Dispatch on the content (gunzipped if need be): JSON-stat when it starts with ``{``, otherwise TSV."""
    path = Path(path)
    data = path.read_bytes()
    text = decode_utf8(path, _content(path, data))
    if text.lstrip().startswith("{"):
        return _read_jsonstat_text(path, data, text, dataset, expected_dimensions)
    return _read_tsv_text(path, data, text, dataset, expected_dimensions)
