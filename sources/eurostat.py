"""Readers for Eurostat's three serialisations in the bundle.

* API TSV: header ``freq,iccs,unit,geo\\TIME_PERIOD``, year headers and cells with trailing spaces;
* older bulk TSV: header ``indic_ur,unit,cities\\time``, no ``freq``, years often descending;
* JSON-stat 2.0: sparse ``value``/``status`` keyed by the flat (row-major) index.

All three return the same long shape (one row per cell, missing cells included where the format lists
them), so everything downstream is format-blind. Dimensions are always taken from the header or the
``id`` list, never from position, because each dataset orders them differently.

A cell is ``<number><space><flags>`` or ``:<space><flags>``; ``:`` is *missing*, never zero. Flags are
kept as written (``flags``) and split into the two code lists Eurostat uses since January 2025
(indicators.md §0.1): observation status (``b``, ``e``, ``p`` …) and confidentiality status (``C``,
``N``, ``P``; the legacy lower-case ``c`` is mapped to ``C``).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from sources.errors import SourceFormatError

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


@dataclass(frozen=True)
class EurostatTable:
    """One Eurostat file as read: its cells in long form plus what identifies the file."""

    dataset: str
    dimensions: list[str]
    cells: pl.DataFrame
    source_file: str
    sha256: str
    source_version: str
    serialisation: str
    labels: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def geo_dimension(self) -> str:
        for name in GEO_DIMENSIONS:
            if name in self.dimensions:
                return name
        raise SourceFormatError(self.source_file, f"no geographic dimension ({' or '.join(GEO_DIMENSIONS)})")


def file_sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _decode(path: Path, data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        column = len(data[line_start : exc.start].decode("utf-8", errors="replace")) + 1  # characters, not bytes
        raise SourceFormatError(
            path, f"not valid UTF-8 (byte {data[exc.start]:#04x})", line, f"char {column}"
        ) from None


def _check_flags(path: Path, flags: pl.Series, lines: pl.Series, columns: pl.Series) -> None:
    """Refuse flag letters outside Eurostat's code lists: an unknown letter means we would mislabel data."""
    allowed = "".join(sorted(OBS_STATUS_CODES | CONF_STATUS_CODES | _FLAG_MARKERS))
    bad = flags.str.replace_all(f"[{re.escape(allowed)}]", "").str.len_chars() > 0
    if bad.any():
        # Report the first offending cell in file order (lowest line), as an editor would find it.
        candidates = pl.DataFrame({"flag": flags, "line": lines, "column": columns, "pos": range(len(flags))})
        first = candidates.filter(bad).sort("line", "pos").row(0, named=True)
        raise SourceFormatError(
            path, f"unknown flag {first['flag']!r} (known: {allowed})", first["line"], first["column"]
        )


def split_flags(flags: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """(obs_status, conf_status) from a raw flag string; empty becomes null."""
    obs = flags.str.replace_all(r"[^abd-z]", "")
    conf = flags.str.replace_all("c", "C").str.replace_all(r"[^CNP]", "")
    return (
        pl.when(obs.str.len_chars() > 0).then(obs).otherwise(None),
        pl.when(conf.str.len_chars() > 0).then(conf).otherwise(None),
    )


def read_eurostat_tsv(path: Path | str, dataset: str | None = None) -> EurostatTable:
    """Read an API TSV or an old bulk TSV. Both line endings, with or without BOM, any year order."""
    path = Path(path)
    data = path.read_bytes()
    text = _decode(path, data)
    lines = text.split("\n")
    while lines and lines[-1].strip() == "":
        lines.pop()
    if not lines:
        raise SourceFormatError(path, "empty file: no header line", 1)
    lines = [ln[:-1] if ln.endswith("\r") else ln for ln in lines]

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
    periods = [h.strip() for h in header[1:]]
    for pos, p in enumerate(periods, start=2):
        if not _PERIOD.match(p):
            raise SourceFormatError(path, f"period header {p!r} is not a period", 1, str(pos))
    if len(set(periods)) != len(periods):
        raise SourceFormatError(path, "repeated period in header", 1)
    if not periods:
        raise SourceFormatError(path, "header has no period columns", 1)

    n_fields = len(header)
    keys: list[list[str]] = []
    cells: list[list[str]] = []
    line_numbers: list[int] = []
    seen: dict[tuple[str, ...], int] = {}
    for lineno, line in enumerate(lines[1:], start=2):
        fields = line.split("\t")
        if len(fields) != n_fields:
            raise SourceFormatError(path, f"expected {n_fields} tab-separated fields, found {len(fields)}", lineno)
        key = [k.strip() for k in fields[0].split(",")]
        if len(key) != len(dims) or any(k == "" for k in key):
            raise SourceFormatError(path, f"series key {fields[0]!r} does not match dimensions {dims}", lineno, first)
        tkey = tuple(key)
        if tkey in seen:
            raise SourceFormatError(path, f"series {fields[0]!r} repeats line {seen[tkey]}", lineno, first)
        seen[tkey] = lineno
        keys.append(key)
        cells.append(fields[1:])
        line_numbers.append(lineno)

    if not keys:
        raise SourceFormatError(path, "header but no data lines", 1)
    columns: dict[str, list] = {d: list(col) for d, col in zip(dims, zip(*keys, strict=True), strict=True)}
    for p, col in zip(periods, zip(*cells, strict=True), strict=True):
        columns[p] = list(col)
    columns["source_line"] = line_numbers
    wide = pl.DataFrame(columns, schema={**{c: pl.String for c in dims + periods}, "source_line": pl.Int32})
    long = wide.unpivot(index=[*dims, "source_line"], on=periods, variable_name="period", value_name="cell")
    long = _parse_cells(path, long)
    return EurostatTable(
        dataset=dataset or _dataset_from_name(path),
        dimensions=dims,
        cells=long,
        source_file=path.name,
        sha256=file_sha256(data),
        source_version=f"sha256:{file_sha256(data)[:12]}",
        serialisation="tsv_api" if time_label.strip() == "TIME_PERIOD" else "tsv_bulk",
    )


def _parse_cells(path: Path, long: pl.DataFrame) -> pl.DataFrame:
    cell = pl.col("cell").str.strip_chars()
    parsed = long.with_columns(
        cell.alias("value_raw"),
        cell.str.extract(_CELL.pattern, 1).alias("_number"),
        cell.str.extract(_CELL.pattern, 2).alias("flags"),
        cell.str.contains(_CELL.pattern).alias("_ok"),
    )
    bad = parsed.filter(~pl.col("_ok"))
    if bad.height:
        first = bad.sort("source_line").row(0, named=True)
        raise SourceFormatError(
            path,
            f"cell {first['cell']!r} is neither a number nor ':' followed by flags",
            first["source_line"],
            first["period"],
        )
    _check_flags(path, parsed["flags"], parsed["source_line"], parsed["period"])
    obs, conf = split_flags(pl.col("flags"))
    return parsed.with_columns(
        pl.col("_number").cast(pl.Float64).alias("value"),
        obs.alias("obs_status"),
        conf.alias("conf_status"),
    ).drop("cell", "_number", "_ok")


def _dataset_from_name(path: Path) -> str:
    stem = path.name.split(".")[0]
    return stem.removeprefix("estat_")


def read_jsonstat(path: Path | str, dataset: str | None = None) -> EurostatTable:
    """Read a JSON-stat 2.0 dataset (Eurostat dissemination API, ``format=JSON``)."""
    path = Path(path)
    data = path.read_bytes()
    text = _decode(path, data)
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
    if not isinstance(dims, dict) or any(d not in dims for d in ids):
        raise SourceFormatError(path, '"dimension" must describe every id', 1, "dimension")
    time_dim = next((d for d in ids if d in ("time", "TIME_PERIOD")), None)
    if time_dim is None:
        raise SourceFormatError(path, "no time dimension", 1, "id")

    codes: dict[str, list[str]] = {}
    labels: dict[str, dict[str, str]] = {}
    for d, size in zip(ids, sizes, strict=True):
        category = dims[d].get("category", {})
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

    total = int(np.prod(sizes)) if sizes else 0
    values = _sparse(path, doc.get("value"), total, "value")
    status = _sparse(path, doc.get("status"), total, "status")
    for k, v in values.items():
        if v is not None and (isinstance(v, bool) or not isinstance(v, int | float)):
            raise SourceFormatError(path, f"value {v!r} at index {k} is not a number", 1, f"value[{k}]")
    flat = np.array(sorted(set(values) | set(status)), dtype=np.int64)
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
    _check_flags(
        path, frame["flags"], pl.Series([1] * frame.height), "status[" + frame["source_index"].cast(pl.String) + "]"
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
    ext = doc.get("extension") or {}
    ds = ext.get("datastructure") or {}
    name = dataset or str(ext.get("id") or _dataset_from_name(path)).lower()
    version = str(doc.get("updated") or "")
    if ds.get("version"):
        version += f" (DSD {ds.get('id', '')} v{ds['version']})"
    return EurostatTable(
        dataset=name,
        dimensions=dims_no_time,
        cells=frame,
        source_file=path.name,
        sha256=file_sha256(data),
        source_version=version.strip() or f"sha256:{file_sha256(data)[:12]}",
        serialisation="jsonstat",
        labels=labels,
    )


def _sparse(path: Path, obj: object, total: int, name: str) -> dict[int, object]:
    """JSON-stat ``value``/``status``: object keyed by flat index, dense array, single string, or absent."""
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


def read_eurostat(path: Path | str, dataset: str | None = None) -> EurostatTable:
    """Dispatch on the file: JSON-stat when it starts with ``{``, otherwise TSV."""
    path = Path(path)
    with path.open("rb") as fh:
        head = fh.read(64).lstrip(b"\xef\xbb\xbf").lstrip()
    if head.startswith(b"{"):
        return read_jsonstat(path, dataset)
    return read_eurostat_tsv(path, dataset)
