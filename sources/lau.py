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


_BOOLEAN_COLUMNS = tuple(c for c, t in LAU_COLUMNS.items() if t == pl.Boolean())


def _cell_checks() -> list[tuple[str, str, pl.Expr]]:
    """(column, reason, expression True where a non-empty cell is bad), evaluated on the stripped text cells."""
    number = _NUMBER.pattern
    country_ok = pl.col("country").str.contains(_COUNTRY.pattern)
    checks: list[tuple[str, str, pl.Expr]] = []
    for column in ("population", "total_area_m2"):
        checks.append((column, UNPARSEABLE_VALUE, ~pl.col(column).str.contains(number)))
        checks.append(
            (column, NEGATIVE_COUNT, pl.col(column).str.contains(number) & pl.col(column).str.starts_with("-"))
        )
    checks.append(("degurba", UNPARSEABLE_VALUE, ~pl.col("degurba").is_in(list(_DEGURBA))))
    checks.append(("coastal_area", UNPARSEABLE_VALUE, ~pl.col("coastal_area").str.to_lowercase().is_in(list(_COASTAL))))
    checks += [(c, UNPARSEABLE_VALUE, ~pl.col(c).is_in(list(_BOOLEANS))) for c in _BOOLEAN_COLUMNS]
    # Another country's region is a wrong code; a malformed country is reported on its own cell.
    other_country = country_ok & (pl.col("code_2016").str.slice(0, 2) != pl.col("country"))
    checks.append(("code_2016", UNKNOWN_CODE, ~pl.col("code_2016").str.contains(_NUTS.pattern) | other_country))
    checks += [
        (c, UNKNOWN_CODE, ~pl.col(c).str.contains(_URBAN_AUDIT.pattern))
        for c in ("city_id", "greater_city_id", "fua_id")
    ]
    checks.append(("country", UNKNOWN_CODE, ~country_ok))
    return checks


def _typed(text: pl.DataFrame) -> pl.DataFrame:
    """The checked text cells in their types (:data:`LAU_SCHEMA`)."""
    return text.with_columns(
        pl.col("population", "total_area_m2").cast(pl.Float64),
        pl.col("degurba").replace_strict(_DEGURBA, default=None, return_dtype=pl.Int32),
        pl.col("coastal_area").str.to_lowercase(),
        *[pl.col(c).replace_strict(_BOOLEANS, default=None, return_dtype=pl.Boolean) for c in _BOOLEAN_COLUMNS],
    ).select(list(LAU_SCHEMA))


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
    records: list[list[str]] = []
    lines: list[int] = []
    try:
        names = _check_header(path, next(reader))
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
            records.append(record)
            lines.append(start)
    except csv.Error as exc:
        raise SourceFormatError(path, f"not valid CSV: {exc}", reader.line_num) from None
    if not records:
        raise SourceFormatError(path, "header but no data lines", 1)
    # Stripped text cells, empty = missing; then every check at once, column by column.
    by_column = dict(zip(names, zip(*records, strict=True), strict=True))
    text_cells = pl.DataFrame(
        {name: pl.Series(name, by_column[name], dtype=pl.String) for name in LAU_COLUMNS}
    ).with_columns(pl.all().str.strip_chars().replace("", None), pl.Series("source_line", lines, dtype=pl.Int32))
    order = {name: i for i, name in enumerate(names)}
    problems = [
        text_cells.filter(pl.col(column).is_not_null() & bad).select(
            pl.col("source_line").cast(pl.Int64).alias("line"),
            pl.lit(column).alias("column"),
            pl.lit(reason).alias("reason"),
            pl.col(column).alias("value_raw"),
        )
        for column, reason, bad in _cell_checks()
    ]
    cell_problems = pl.concat(problems).sort(
        pl.col("line"), pl.col("column").replace_strict(order, return_dtype=pl.Int32)
    )
    clean = text_cells.filter(~pl.col("source_line").is_in(cell_problems["line"].cast(pl.Int32).to_list()))
    # A LAU code repeated within a country: the first record wins.
    repeated = ~pl.struct("country", "lau_code").is_first_distinct()
    duplicates = clean.filter(repeated).select(
        pl.col("source_line").cast(pl.Int64).alias("line"),
        pl.lit("lau_code").alias("column"),
        pl.lit(DUPLICATE_KEY).alias("reason"),
        pl.concat_str("country", "lau_code", separator="/").alias("value_raw"),
    )
    frame = _typed(clean.filter(~repeated))
    rows = pl.concat([cell_problems, duplicates]).sort("line", maintain_order=True)
    quarantine = (
        quarantine_frame(rows.iter_rows(named=True), source_file=path.name, dataset=LAU_DATASET)
        if rows.height
        else empty_quarantine()
    )
    return frame, quarantine


def read_lau(path: Path | str) -> pl.DataFrame:
    """The LAU table (records with a row-level problem left out; see :func:`read_lau_with_quarantine`)."""
    return read_lau_with_quarantine(path)[0]


def source_version(path: Path | str) -> str:
    return f"sha256:{file_sha256(Path(path).read_bytes())[:12]}"
