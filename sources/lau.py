"""Reader for Eurostat's LAU 2019 <-> NUTS 2016 correspondence (``eurostat_lau/nuts_lau_2019.csv.gz``).

One row per Local Administrative Unit (municipality) with its NUTS 3 region, population, area, degree of
urbanisation and Urban Audit city / greater city / functional urban area. The file is the rOpenGov ``regions``
package's join of Eurostat's ``EU-28-LAU-2019-NUTS-2016.xlsx`` sheets written as CSV (see its PROVENANCE.md).

* Header checked by column NAME (:data:`LAU_COLUMNS`, any order): a missing, renamed, repeated or extra column
  stops the read naming file, line 1 and the column.
* Every record must have as many fields as the header; a file that does not end with a line break, bytes that
  are not UTF-8, broken CSV quoting, a truncated or corrupt gzip stream: :class:`SourceFormatError` with line and
  column.
* Row-level problems quarantine the record (:mod:`sources.quarantine`; one row per bad cell, the record is left
  out, the rest of the file is used): a population or area that is not a number (``unparseable_value``) or is
  negative (``negative_count``); a degree of urbanisation other than 1, 2, 3 or 9 (Eurostat: 9 = not classified),
  a yes/no or True/False cell with another text (``unparseable_value``); a NUTS code, Urban Audit code or
  country code of the wrong shape, or a NUTS code of another country (``unknown_code``); a LAU code repeated
  within a country (``duplicate_key``, the first record wins).
* Empty cell = missing (NA in the R data), never zero: all of France, Cyprus and North Macedonia have no
  population. Cells are stripped of surrounding blanks, including the no-break spaces after six Hungarian
  ``fua_id`` codes; ``coastal_area`` is lower-cased (the file mixes ``yes``, ``Yes`` and ``YES``).
* Albania's regions are NUTS-2-length codes (``AL35``) in ``code_2016``: accepted as written.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import polars as pl

from sources.errors import SourceFormatError, decode_utf8
from sources.eurostat import _content, file_sha256
from sources.quarantine import (
    DUPLICATE_KEY,
    NEGATIVE_COUNT,
    UNKNOWN_CODE,
    UNPARSEABLE_VALUE,
    empty_quarantine,
    quarantine_frame,
)

LAU_DATASET = "nuts_lau_2019"
LAU_RELPATH = "eurostat_lau/nuts_lau_2019.csv.gz"

# Column -> Polars type of the frame (file order). Urban Audit codes carry GISCO's version digit (DE004C1).
LAU_COLUMNS: dict[str, pl.DataType] = {
    "code_2016": pl.String(),
    "lau_code": pl.String(),
    "lau_name_national": pl.String(),
    "lau_name_latin": pl.String(),
    "name_change_last_year": pl.Boolean(),
    "population": pl.Float64(),
    "total_area_m2": pl.Float64(),
    "degurba": pl.Int32(),
    "degurba_change_last_year": pl.Boolean(),
    "coastal_area": pl.String(),
    "coastal_change_last_year": pl.Boolean(),
    "city_id": pl.String(),
    "city_id_change_last_year": pl.Boolean(),
    "city_name": pl.String(),
    "greater_city_id": pl.String(),
    "greater_city_id_change_last_year": pl.Boolean(),
    "greater_city_name": pl.String(),
    "fua_id": pl.String(),
    "fua_id_change_last_year": pl.Boolean(),
    "fua_name": pl.String(),
    "country": pl.String(),
    "gisco_id": pl.String(),
}
LAU_SCHEMA: dict[str, pl.DataType] = {**LAU_COLUMNS, "source_line": pl.Int32()}

_NUMBER = re.compile(r"^-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$")
_NUTS = re.compile(r"^[A-Z]{2}[A-Z0-9]{1,3}$")
_URBAN_AUDIT = re.compile(r"^[A-Z]{2}[0-9]{3}[A-Z][0-9]?$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_BOOLEANS = {"True": True, "False": False}
_DEGURBA = {"1.0": 1, "2.0": 2, "3.0": 3, "9.0": 9, "1": 1, "2": 2, "3": 3, "9": 9}
_COASTAL = {"yes", "no"}


def _check_header(path: Path, header: list[str]) -> list[str]:
    names = [h.strip() for h in header]
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise SourceFormatError(path, f"column {name!r} appears twice in the header", 1, name)
        seen.add(name)
    missing = [n for n in LAU_COLUMNS if n not in seen]
    extra = [n for n in names if n not in LAU_COLUMNS]
    if missing:
        found = f"; unexpected column(s) {extra} found instead" if extra else ""
        raise SourceFormatError(path, f"missing column {missing[0]!r} (all missing: {missing}){found}", 1, missing[0])
    if extra:
        raise SourceFormatError(path, f"unexpected column {extra[0]!r} (expected {list(LAU_COLUMNS)})", 1, extra[0])
    return names


def _cell_problem(name: str, text: str, country: str) -> tuple[str, object] | None:
    """(reason, None) when the cell is bad, else None; ``text`` is stripped and non-empty."""
    dtype = LAU_COLUMNS[name]
    if name in ("population", "total_area_m2"):
        if not _NUMBER.match(text):
            return UNPARSEABLE_VALUE, None
        if float(text) < 0:
            return NEGATIVE_COUNT, None
        return None
    if name == "degurba":
        return None if text in _DEGURBA else (UNPARSEABLE_VALUE, None)
    if name == "coastal_area":
        return None if text.lower() in _COASTAL else (UNPARSEABLE_VALUE, None)
    if dtype == pl.Boolean():
        return None if text in _BOOLEANS else (UNPARSEABLE_VALUE, None)
    if name == "code_2016":
        # Another country's region is a wrong code; a malformed country is reported on its own cell.
        ok = bool(_NUTS.match(text)) and (not _COUNTRY.match(country) or text[:2] == country)
        return None if ok else (UNKNOWN_CODE, None)
    if name in ("city_id", "greater_city_id", "fua_id"):
        return None if _URBAN_AUDIT.match(text) else (UNKNOWN_CODE, None)
    if name == "country":
        return None if _COUNTRY.match(text) else (UNKNOWN_CODE, None)
    return None


def _convert(name: str, text: str) -> object:
    dtype = LAU_COLUMNS[name]
    if name in ("population", "total_area_m2"):
        return float(text)
    if name == "degurba":
        return _DEGURBA[text]
    if name == "coastal_area":
        return text.lower()
    if dtype == pl.Boolean():
        return _BOOLEANS[text]
    return text


def read_lau_with_quarantine(path: Path | str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(frame, quarantine): one row per LAU (:data:`LAU_SCHEMA`, ``source_line`` = the record's first file line)
    and one quarantine row (:data:`sources.quarantine.QUARANTINE_SCHEMA`) per bad cell of the records left out."""
    path = Path(path)
    text = decode_utf8(path, _content(path, path.read_bytes()))
    if not text.strip():
        raise SourceFormatError(path, "empty file: no header line", 1)
    if not text.endswith("\n"):
        n_lines = text.count("\n") + 1
        last = text[text.rfind("\n") + 1 :].removesuffix("\r")
        raise SourceFormatError(
            path,
            "the last line does not end with a line break: the file looks truncated",
            n_lines,
            f"char {len(last) + 1}",
        )
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    problems: list[dict[str, object]] = []
    try:
        names = _check_header(path, next(reader))
        columns: dict[str, list[object]] = {name: [] for name in LAU_COLUMNS}
        lines: list[int] = []
        seen: dict[tuple[str, str], int] = {}
        previous_end = reader.line_num
        for record in reader:
            start = previous_end + 1
            previous_end = reader.line_num
            if len(record) != len(names):
                found = f"expected {len(names)} comma-separated fields, found {len(record)}"
                if len(record) > len(names):
                    column = str(len(names) + 1)
                    raise SourceFormatError(path, f"{found}: field {column} has no column in the header", start, column)
                missing = names[len(record)]
                raise SourceFormatError(path, f"{found}: no field for column {missing!r}", start, missing)
            cells = {name: cell.strip() for name, cell in zip(names, record, strict=True)}
            bad = False
            for name, cell in cells.items():
                if not cell:
                    continue
                problem = _cell_problem(name, cell, cells["country"])
                if problem is not None:
                    problems.append({"line": start, "column": name, "reason": problem[0], "value_raw": cell})
                    bad = True
            key = (cells["country"], cells["lau_code"])
            if not bad and key in seen:
                problems.append(
                    {"line": start, "column": "lau_code", "reason": DUPLICATE_KEY, "value_raw": "/".join(key)}
                )
                bad = True
            if bad:
                continue
            seen[key] = start
            for name, cell in cells.items():
                columns[name].append(_convert(name, cell) if cell else None)
            lines.append(start)
    except csv.Error as exc:
        raise SourceFormatError(path, f"not valid CSV: {exc}", reader.line_num) from None
    if not lines and not problems:
        raise SourceFormatError(path, "header but no data lines", 1)
    frame = pl.DataFrame(
        {
            **{name: pl.Series(name, columns[name], dtype=dtype) for name, dtype in LAU_COLUMNS.items()},
            "source_line": pl.Series("source_line", lines, dtype=pl.Int32),
        }
    )
    quarantine = (
        quarantine_frame(problems, source_file=path.name, dataset=LAU_DATASET) if problems else empty_quarantine()
    )
    return frame, quarantine


def read_lau(path: Path | str) -> pl.DataFrame:
    """The LAU table (records with a row-level problem left out; see :func:`read_lau_with_quarantine`)."""
    return read_lau_with_quarantine(path)[0]


def source_version(path: Path | str) -> str:
    return f"sha256:{file_sha256(Path(path).read_bytes())[:12]}"
