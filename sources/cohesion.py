"""Reader for the Cohesion Open Data export "ESIF 2014-2020 FINANCES PLANNED DETAILS" (CSV).

One row per programme (CCI) x priority x thematic objective x category of region (x EAFRD measure and focus
area for rural-development programmes), 19 comma-separated columns, RFC 4180 quoting (titles contain commas).

* The header is checked by column NAME, never by position: a missing, renamed, repeated or extra column stops
  the read with a message naming the file, line 1 and the column.
* Every record must have 19 fields; a record's line is the file line it starts on (quoted fields may span lines).
  A record with another field count, a blank line inside the data, a file that does not end with a line break
  (truncated), bytes that are not UTF-8 or broken CSV quoting are structural: :class:`SourceFormatError`.
* Amounts are parsed EXACTLY: the text is checked against a plain decimal pattern (at most two decimals, no
  exponent, no thousands separator) and converted with :class:`decimal.Decimal` into a Polars
  ``Decimal(20, 2)``, so sums are exact to the cent. No float is ever on the way in.
* An amount that does not match the pattern (``x12``, ``1.234,5``, ``1e5``) is row-level: the record is left out
  of the frame and each such cell gets a quarantine row (:mod:`sources.quarantine`, reason ``invalid_amount``,
  column = the header name, value_raw = the text as written, blanks around it stripped).
  :func:`read_esif_planned_with_quarantine` returns both; :func:`read_esif_planned` the frame only.
* An empty amount is missing (null), never zero; :func:`missing_amounts` counts them. Other empty text cells
  become null too. ``VOID`` (the platform's "not applicable" marker) is kept as written.
* UTF-8 with or without BOM, LF or CRLF.
"""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal
from pathlib import Path

import polars as pl

from sources.errors import SourceFormatError, decode_utf8
from sources.eurostat import file_sha256
from sources.quarantine import INVALID_AMOUNT, quarantine_frame

ESIF_PLANNED_DATASET = "esif_2014_2020_planned"
ESIF_PLANNED_RELPATH = "cohesion_esif/ESIF_2014-2020_FINANCES_PLANNED_DETAILS_190411.csv"

# Header name in the file -> column name in the frame, in the file's documented order.
ESIF_PLANNED_COLUMNS: dict[str, str] = {
    "MS": "ms",
    "MS Name": "ms_name",
    "CCI": "cci",
    "Ver": "version",
    "Programme Title": "programme_title",
    "Fund": "fund",
    "Priority": "priority",
    "TO_code": "to_code",
    "To short": "to_short",
    "TO long": "to_long",
    "Category of region": "category_of_region",
    "EAFRD Measure code": "eafrd_measure_code",
    "Measure short description": "measure_short_description",
    "EAFRD Focus Area code": "eafrd_focus_area_code",
    "Focus area short description": "focus_area_short_description",
    "EU Amount": "eu_amount",
    "National Amount": "national_amount",
    "Total Amount": "total_amount",
    "EU co-financing": "eu_co_financing_pct",
}
# Decimal columns (EUR amounts and the co-financing rate in %): exact, two decimals at most.
AMOUNT_COLUMNS: tuple[str, ...] = ("EU Amount", "National Amount", "Total Amount")
DECIMAL_COLUMNS: tuple[str, ...] = (*AMOUNT_COLUMNS, "EU co-financing")
AMOUNT_DTYPE = pl.Decimal(20, 2)
# At most 18 integer digits so the value fits Decimal(20, 2); at most 2 decimals so nothing is rounded away
# (Polars would silently truncate a third decimal).
_DECIMAL = re.compile(r"^-?[0-9]{1,18}(?:\.[0-9]{1,2})?$")

ESIF_PLANNED_SCHEMA: dict[str, pl.DataType] = {
    **{
        snake: (AMOUNT_DTYPE if name in DECIMAL_COLUMNS else pl.String())
        for name, snake in ESIF_PLANNED_COLUMNS.items()
    },
    "source_line": pl.Int32(),
}


def source_version(path: Path | str) -> str:
    """The file's version as used in ``source_version``: its sha256 prefix, as for the Eurostat TSV files."""
    return f"sha256:{file_sha256(Path(path).read_bytes())[:12]}"


def _check_header(path: Path, header: list[str]) -> list[str]:
    """The header's names, stripped; refuses anything but exactly the 19 documented names (in any order)."""
    names = [h.strip() for h in header]
    expected = list(ESIF_PLANNED_COLUMNS)
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise SourceFormatError(path, f"column {name!r} appears twice in the header", 1, name)
        seen.add(name)
    missing = [n for n in expected if n not in seen]
    extra = [n for n in names if n not in ESIF_PLANNED_COLUMNS]
    if missing:
        found = f"; unexpected column(s) {extra} found instead" if extra else ""
        raise SourceFormatError(path, f"missing column {missing[0]!r} (all missing: {missing}){found}", 1, missing[0])
    if extra:
        raise SourceFormatError(path, f"unexpected column {extra[0]!r} (expected exactly {expected})", 1, extra[0])
    return names


_INVALID = object()  # marks a decimal cell that does not parse


def _parse_decimal(text: str) -> Decimal | object | None:
    """A decimal cell: ``Decimal``, ``None`` when empty (missing, never zero), or :data:`_INVALID`."""
    text = text.strip()
    if text == "":
        return None
    if not _DECIMAL.match(text):
        return _INVALID
    return Decimal(text)


def read_esif_planned(path: Path | str) -> pl.DataFrame:
    """The planned-finances CSV as a frame: snake_case columns (:data:`ESIF_PLANNED_COLUMNS`), exact
    ``Decimal(20, 2)`` amounts (null when empty), and ``source_line``, the 1-based file line of the record.

    Records with an invalid amount are left out; use :func:`read_esif_planned_with_quarantine` to get them."""
    return read_esif_planned_with_quarantine(path)[0]


def read_esif_planned_with_quarantine(path: Path | str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(frame, quarantine): the frame of :func:`read_esif_planned` and one quarantine row
    (:data:`sources.quarantine.QUARANTINE_SCHEMA`) per invalid amount cell of the records left out of it."""
    path = Path(path)
    data = path.read_bytes()
    text = decode_utf8(path, data)
    if text.strip() and not text.endswith("\n"):
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
        header = next(reader, None)
        if header is None or not any(h.strip() for h in header):
            raise SourceFormatError(path, "empty file: no header line", 1)
        names = _check_header(path, header)
        n_fields = len(names)
        columns: dict[str, list] = {name: [] for name in names}
        lines: list[int] = []
        blank_since: int | None = None
        previous_end = reader.line_num
        for record in reader:
            start = previous_end + 1
            previous_end = reader.line_num
            if not record or (len(record) == 1 and record[0].strip() == ""):
                blank_since = blank_since or start  # tolerated only at the end of the file
                continue
            if blank_since is not None:
                raise SourceFormatError(path, "blank line inside the data", blank_since)
            if len(record) != n_fields:
                found = f"expected {n_fields} comma-separated fields, found {len(record)}"
                if len(record) > n_fields:  # the column alignment is lost: structural
                    column = str(n_fields + 1)
                    raise SourceFormatError(path, f"{found}: field {column} has no column in the header", start, column)
                missing = names[len(record)]
                raise SourceFormatError(path, f"{found}: no field for column {missing!r}", start, missing)
            parsed: dict[str, object] = {}
            for name, cell in zip(names, record, strict=True):
                if name in DECIMAL_COLUMNS:
                    value = _parse_decimal(cell)
                    if value is _INVALID:
                        problems.append(
                            {"line": start, "column": name, "reason": INVALID_AMOUNT, "value_raw": cell.strip()}
                        )
                    parsed[name] = value
                else:
                    parsed[name] = cell if cell != "" else None
            if any(v is _INVALID for v in parsed.values()):
                continue  # the record is quarantined; the rest of the file is used
            for name, value in parsed.items():
                columns[name].append(value)
            lines.append(start)
    except csv.Error as exc:
        raise SourceFormatError(path, f"not valid CSV: {exc}", reader.line_num) from None
    if not lines and not problems:
        raise SourceFormatError(path, "header but no data lines", 1)
    frame = pl.DataFrame(
        {
            **{
                snake: pl.Series(snake, columns[name], dtype=ESIF_PLANNED_SCHEMA[snake])
                for name, snake in ESIF_PLANNED_COLUMNS.items()
            },
            "source_line": pl.Series("source_line", lines, dtype=pl.Int32),
        }
    )
    quarantine = quarantine_frame(problems, source_file=path.name, dataset=ESIF_PLANNED_DATASET)
    return frame, quarantine


def missing_amounts(planned: pl.DataFrame) -> dict[str, int]:
    """Empty (missing, never zero) cells per amount column of a frame from :func:`read_esif_planned`."""
    return {ESIF_PLANNED_COLUMNS[c]: planned[ESIF_PLANNED_COLUMNS[c]].null_count() for c in AMOUNT_COLUMNS}
