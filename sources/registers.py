"""Readers for the Action 5 registers that cities fill in themselves (templates in ``templates/registers/``).

* Prevention Pyramid register: one row per local measure, mapped to one of the manual's four levels;
* Collective Impact register: one row per initiative, a 0-3 self-rating for each of the five conditions.

No open dataset holds these registers, so they are checked harder than a statistical office's file:

* a problem with the file itself (empty, not UTF-8, not CSV, a missing, unknown or renamed column, a row with the
  wrong number of fields) raises :class:`~sources.errors.SourceFormatError` naming file, line and column;
* every problem in a row is collected (not just the first) as a :class:`RegisterError`; a register with any row
  error is rejected as a whole: ``rows`` is then empty, so nothing of it can be published, and ``errors`` lists
  everything the city has to correct. ``docs/registers.md`` documents every column and every message.

Columns are found by their header name, never by position. Cells are stripped of surrounding spaces; lines whose
cells are all empty (spreadsheets export them) are skipped.
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import polars as pl

from sources.errors import SourceFormatError, decode_utf8

PREVENTION_COLUMNS = (
    "city_code",
    "measure_id",
    "measure_name",
    "reference_year",
    "pyramid_level",
    "orientation",
    "target_group",
    "annual_budget",
    "currency",
    "funding_source",
    "esif_cci",
    "start_date",
    "end_date",
)
CONDITIONS = (
    "common_agenda",
    "shared_measurement",
    "mutually_reinforcing_activities",
    "continuous_communication",
    "backbone_support",
)
COLLECTIVE_IMPACT_COLUMNS = (
    "city_code",
    "initiative_id",
    "initiative_name",
    "reference_year",
    *CONDITIONS,
    "shared_indicator_ids",
)

PYRAMID_LEVELS = {1: "quality of life", 2: "general prevention", 3: "specific prevention", 4: "reaction"}
ORIENTATIONS = ("situational", "offender", "victim", "community")
RATINGS = (0, 1, 2, 3)
FIRST_REFERENCE_YEAR = 1990

# Urban Audit city (CCnnnC) or city proper of a greater city (CCnnnC1, CCnnnC2); not FUAs (F) or others.
_CITY = re.compile(r"^[A-Z]{2}[0-9]{3}C[0-9]?$")
_YEAR = re.compile(r"^[0-9]{4}$")
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_AMOUNT = re.compile(r"^-?[0-9]+(?:\.[0-9]+)?$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
# ESIF 2014-2020 programme CCI: year, member state (or TC), fund, programme type, number: 2014BE16RFOP001.
_CCI = re.compile(r"^[0-9]{4}[A-Z]{2}[0-9]{2}[A-Z0-9]{4}[0-9]{3}$")
# '|' separates the initiative from the condition in the published breakdown, ';' separates indicator ids.
_ID_FORBIDDEN = ("|", ";")

PREVENTION_SCHEMA: dict[str, pl.DataType] = {
    "city_code": pl.String(),
    "measure_id": pl.String(),
    "measure_name": pl.String(),
    "reference_year": pl.Int32(),
    "pyramid_level": pl.Int32(),
    "orientation": pl.String(),
    "target_group": pl.String(),
    "annual_budget": pl.Float64(),
    "currency": pl.String(),
    "funding_source": pl.String(),
    "esif_cci": pl.String(),
    "start_date": pl.Date(),
    "end_date": pl.Date(),
    "source_file": pl.String(),
    "source_line": pl.Int32(),
    "source_version": pl.String(),
}
COLLECTIVE_IMPACT_SCHEMA: dict[str, pl.DataType] = {
    "city_code": pl.String(),
    "initiative_id": pl.String(),
    "initiative_name": pl.String(),
    "reference_year": pl.Int32(),
    **{c: pl.Int32() for c in CONDITIONS},
    "shared_indicator_ids": pl.List(pl.String()),
    "source_file": pl.String(),
    "source_line": pl.Int32(),
    "source_version": pl.String(),
}


@dataclass(frozen=True)
class RegisterError:
    """One problem in one cell of a register, where the city has to correct it."""

    file: str
    line: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}, line {self.line}, column {self.column}: {self.message}"


@dataclass(frozen=True, eq=False)
class RegisterResult:
    """A register as read: its typed rows (empty when rejected) and every row error found."""

    rows: pl.DataFrame
    errors: list[RegisterError] = field(default_factory=list)
    source_file: str = ""
    source_version: str = ""  # '<file name>@sha256:<12 hex>'

    @property
    def accepted(self) -> bool:
        return not self.errors


# ---------------------------------------------------------------------------------------------------------------------
# The file: bytes -> header and records, or SourceFormatError
# ---------------------------------------------------------------------------------------------------------------------


def _check_header(path: Path, names: list[str], expected: tuple[str, ...]) -> None:
    if len(names) == 1 and any(sep in names[0] for sep in (";", "\t")):
        sep = "';'" if ";" in names[0] else "a tab"
        raise SourceFormatError(path, f"the register must be comma-separated; the header is separated by {sep}", 1, "1")
    seen: dict[str, int] = {}
    for position, name in enumerate(names, start=1):
        if not name:
            raise SourceFormatError(path, "empty column name in the header", 1, str(position))
        if name in seen:
            raise SourceFormatError(
                path, f"column {name!r} appears twice (positions {seen[name]} and {position})", 1, name
            )
        seen[name] = position
    missing = [c for c in expected if c not in seen]
    unknown = [n for n in names if n not in expected]
    if unknown:
        name = unknown[0]
        guess = difflib.get_close_matches(name, missing, n=1, cutoff=0.5)
        hint = f" (renamed {guess[0]!r}?)" if guess else ""
        reason = f"unknown column {name!r}{hint}"
        if missing:
            reason += f"; missing columns: {', '.join(missing)}"
        raise SourceFormatError(path, f"{reason}; expected columns: {', '.join(expected)}", 1, name)
    if missing:
        raise SourceFormatError(
            path, f"missing column {missing[0]!r}; expected columns: {', '.join(expected)}", 1, missing[0]
        )


def _records(path: Path, expected: tuple[str, ...]) -> tuple[list[tuple[int, dict[str, str]]], str]:
    """[(first line of the record, {column: stripped cell})] and the file's sha256."""
    data = path.read_bytes()
    sha256 = hashlib.sha256(data).hexdigest()
    text = decode_utf8(path, data, "; save the register as 'CSV UTF-8'")
    if not text.strip():
        raise SourceFormatError(path, f"empty file: expected the header line {','.join(expected)}", 1)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    out: list[tuple[int, dict[str, str]]] = []
    names: list[str] | None = None
    previous_end = 0
    try:
        for record in reader:
            line, previous_end = previous_end + 1, reader.line_num
            if names is None:
                if not record:
                    raise SourceFormatError(path, "the first line must be the header", line)
                names = [n.strip() for n in record]
                _check_header(path, names, expected)
                continue
            if not any(cell.strip() for cell in record):
                continue  # blank line, or a spreadsheet's row of empty cells
            if len(record) != len(names):
                column = names[len(record)] if len(record) < len(names) else str(len(names) + 1)
                raise SourceFormatError(
                    path, f"expected {len(names)} fields as in the header, found {len(record)}", line, column
                )
            out.append((line, {name: cell.strip() for name, cell in zip(names, record, strict=True)}))
    except csv.Error as exc:
        line = previous_end + 1  # where the record that failed starts
        lines = re.split(r"\r\n|\r|\n", text)  # the line breaks csv counts
        column = _open_quote_column(lines[line - 1] if line <= len(lines) else "", names)
        reason = "a quoted field is never closed" if "end of data" in str(exc) else str(exc)
        raise SourceFormatError(path, f"not valid CSV: {reason}", line, column) from None
    return out, sha256


def _open_quote_column(line: str, names: list[str] | None) -> str | None:
    """The column whose quote the line leaves open (a lone '"'), by header name, else None."""
    commas, quoted = 0, False
    for char in line:
        if char == '"':
            quoted = not quoted  # a doubled quote inside a field toggles twice
        elif char == "," and not quoted:
            commas += 1
    if not quoted:
        return None
    return names[commas] if names and commas < len(names) else str(commas + 1)


# ---------------------------------------------------------------------------------------------------------------------
# Cells: each parser returns the typed value, or raises _Bad with the message for the city
# ---------------------------------------------------------------------------------------------------------------------


class _Bad(ValueError):
    pass


class _Rows:
    """Collects the typed rows and every error of one register."""

    def __init__(self, path: Path, sha256: str):
        self.file = path.name
        self.version = f"{path.name}@sha256:{sha256[:12]}"
        self.errors: list[RegisterError] = []

    def error(self, line: int, column: str, message: str) -> None:
        self.errors.append(RegisterError(self.file, line, column, message))

    def cell(self, line: int, cells: dict[str, str], column: str, parse: Callable[[str], object]) -> object:
        try:
            return parse(cells[column])
        except _Bad as exc:
            self.error(line, column, str(exc))
            return _INVALID

    def result(self, rows: list[dict], schema: dict[str, pl.DataType], columns: tuple[str, ...]) -> RegisterResult:
        order = {c: i for i, c in enumerate(columns)}
        errors = sorted(self.errors, key=lambda e: (e.line, order.get(e.column, len(order)), e.message))
        frame = pl.DataFrame([] if errors else rows, schema=schema, orient="row")
        return RegisterResult(frame, errors, self.file, self.version)


_INVALID = object()


def _required(what: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if not text:
            raise _Bad(f"{what} is required")
        return text

    return parse


def _identifier(what: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if not text:
            raise _Bad(f"{what} is required")
        if bad := [c for c in _ID_FORBIDDEN if c in text]:
            raise _Bad(f"{text!r} contains {bad[0]!r}, which an identifier may not contain")
        return text

    return parse


def _optional(text: str) -> str | None:
    return text or None


def _city(known_cities: set[str]) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if not text:
            raise _Bad("city_code is required (Urban Audit city code, e.g. BE012C)")
        if text not in known_cities:
            raise _Bad(f"{text!r} is not an Urban Audit city code (Eurostat CITIES code list)")
        if not _CITY.match(text):
            raise _Bad(
                f"{text!r} is not a city: use the city code CCnnnC (or CCnnnC1/C2 for the city proper), "
                "not a functional urban area or other territory"
            )
        return text

    return parse


def _reference_year(text: str) -> int:
    last = date.today().year
    if not text:
        raise _Bad(f"reference_year is required (YYYY, {FIRST_REFERENCE_YEAR}-{last})")
    if not _YEAR.match(text) or not FIRST_REFERENCE_YEAR <= int(text) <= last:
        raise _Bad(f"{text!r} is not a reference year (YYYY, {FIRST_REFERENCE_YEAR}-{last})")
    return int(text)


def _pyramid_level(text: str) -> int:
    if text in {str(level) for level in PYRAMID_LEVELS}:
        return int(text)
    if not text:
        raise _Bad("pyramid_level is required (1-4)")
    shown = text if re.fullmatch(r"-?[0-9]+", text) else repr(text)
    raise _Bad(f"{shown} is not a pyramid level (1-4)")


def _orientation(text: str) -> str:
    if text in ORIENTATIONS:
        return text
    if not text:
        raise _Bad(f"orientation is required ({', '.join(ORIENTATIONS)})")
    raise _Bad(f"{text!r} is not an orientation ({', '.join(ORIENTATIONS)})")


def _budget(text: str) -> float | None:
    if not text:
        return None  # unknown, never 0
    if not _AMOUNT.match(text):
        raise _Bad(
            f"{text!r} is not an amount: digits with '.' as decimal separator, no thousands separator, "
            "no currency sign (leave empty when unknown)"
        )
    amount = float(text)
    if amount < 0:
        raise _Bad(f"{text} is negative: a budget is 0 or more (leave empty when unknown)")
    return amount


def _currency(text: str) -> str | None:
    if text and not _CURRENCY.match(text):
        raise _Bad(f"{text!r} is not an ISO 4217 currency code (3 upper-case letters, e.g. EUR)")
    return text or None


def _cci(known_programmes: set[str] | None) -> Callable[[str], str | None]:
    def parse(text: str) -> str | None:
        if not text:
            return None
        if not _CCI.match(text):
            raise _Bad(f"{text!r} is not an ESIF programme CCI (e.g. 2014BE16RFOP001)")
        if known_programmes is not None and text not in known_programmes:
            raise _Bad(f"{text!r} is not a programme of the ESIF 2014-2020 planned-finance data")
        return text

    return parse


def _date(required: bool) -> Callable[[str], date | None]:
    def parse(text: str) -> date | None:
        if not text:
            if required:
                raise _Bad("start_date is required (YYYY-MM-DD)")
            return None
        try:
            if not _DATE.match(text):
                raise ValueError
            return date.fromisoformat(text)
        except ValueError:
            raise _Bad(f"{text!r} is not a date (YYYY-MM-DD)") from None

    return parse


def _rating(text: str) -> int:
    if text in {str(r) for r in RATINGS}:
        return int(text)
    if not text:
        raise _Bad("a rating is required (integer 0-3)")
    raise _Bad(f"{text!r} is not a rating (integer 0-3)")


def _valid(*values: object) -> bool:
    return all(v is not _INVALID for v in values)


def _repeats(rows: _Rows, keyed: Iterable[tuple[int, str, int, str]], column: str, what: str) -> None:
    """An error on every later line of an id repeated within one city and reference year, naming both lines."""
    first: dict[tuple[str, int, str], int] = {}
    for line, city, year, ident in keyed:
        key = (city, year, ident)
        if key in first:
            rows.error(
                line,
                column,
                f"{what} {ident!r} of {city} {year} is also on line {first[key]} (lines {first[key]} and {line}); "
                f"each {what} once per city and reference year",
            )
        else:
            first[key] = line


# ---------------------------------------------------------------------------------------------------------------------
# The two registers
# ---------------------------------------------------------------------------------------------------------------------


def read_prevention_register(
    path: Path | str, *, known_cities: set[str], known_programmes: set[str] | None = None
) -> RegisterResult:
    """The Prevention Pyramid register: one typed row per measure, or no rows and every error found.

    ``known_cities``: the Urban Audit codes (``ESTAT_CITIES.tsv``); ``known_programmes``: ESIF 2014-2020 programme
    CCIs; when None, an ``esif_cci`` is only checked for its form.
    """
    path = Path(path)
    records, sha256 = _records(path, PREVENTION_COLUMNS)
    rows = _Rows(path, sha256)
    parsers: dict[str, Callable[[str], object]] = {
        "city_code": _city(known_cities),
        "measure_id": _identifier("measure_id"),
        "measure_name": _required("measure_name"),
        "reference_year": _reference_year,
        "pyramid_level": _pyramid_level,
        "orientation": _orientation,
        "target_group": _optional,
        "annual_budget": _budget,
        "currency": _currency,
        "funding_source": _optional,
        "esif_cci": _cci(known_programmes),
        "start_date": _date(required=True),
        "end_date": _date(required=False),
    }
    typed: list[dict] = []
    for line, cells in records:
        row = {c: rows.cell(line, cells, c, parse) for c, parse in parsers.items()}
        budget, currency, year = row["annual_budget"], row["currency"], row["reference_year"]
        start, end = row["start_date"], row["end_date"]
        if budget is not None and currency is None:  # an invalid budget still needs its currency
            rows.error(line, "currency", "a budget needs its currency (ISO 4217, e.g. EUR)")
        if _valid(start, end) and start is not None and end is not None and end < start:
            rows.error(line, "end_date", f"end {end} is before start {start}")
        if _valid(start, year) and start is not None and start.year > year:
            rows.error(line, "start_date", f"the measure starts on {start}, after reference year {year}")
        if _valid(end, year) and end is not None and end.year < year:
            rows.error(line, "end_date", f"the measure ended on {end}, before reference year {year}")
        typed.append({**row, "source_file": rows.file, "source_line": line, "source_version": rows.version})

    ok = [r for r in typed if _valid(r["city_code"], r["reference_year"], r["measure_id"])]
    keyed = ((r["source_line"], r["city_code"], r["reference_year"], r["measure_id"]) for r in ok)
    _repeats(rows, keyed, "measure_id", "measure")
    # Budget shares need one currency per city and year: every budgeted measure must use the first one's currency.
    first_currency: dict[tuple, tuple[str, int]] = {}
    for r in typed:
        if not (_valid(r["city_code"], r["reference_year"], r["annual_budget"], r["currency"]) and r["currency"]):
            continue
        if r["annual_budget"] is None:
            continue
        key = (r["city_code"], r["reference_year"])
        currency, line = first_currency.setdefault(key, (r["currency"], r["source_line"]))
        if r["currency"] != currency:
            rows.error(
                r["source_line"],
                "currency",
                f"{r['currency']} differs from {currency} on line {line} for {key[0]} {key[1]}: "
                "budget shares need one currency per city and reference year",
            )
    return rows.result(typed, PREVENTION_SCHEMA, PREVENTION_COLUMNS)


def read_collective_impact_register(
    path: Path | str, *, known_cities: set[str], known_indicator_ids: set[str]
) -> RegisterResult:
    """The Collective Impact register: one typed row per initiative, or no rows and every error found.

    ``known_indicator_ids``: the catalogue's indicator ids (``warehouse.catalogue.CATALOGUE_BY_ID``).
    """
    path = Path(path)
    records, sha256 = _records(path, COLLECTIVE_IMPACT_COLUMNS)
    rows = _Rows(path, sha256)
    parsers: dict[str, Callable[[str], object]] = {
        "city_code": _city(known_cities),
        "initiative_id": _identifier("initiative_id"),
        "initiative_name": _required("initiative_name"),
        "reference_year": _reference_year,
        **{c: _rating for c in CONDITIONS},
    }
    typed: list[dict] = []
    for line, cells in records:
        row = {c: rows.cell(line, cells, c, parse) for c, parse in parsers.items()}
        ids: list[str] = []
        for ident in (i.strip() for i in cells["shared_indicator_ids"].split(";")):
            if not ident or ident in ids:
                continue
            if ident not in known_indicator_ids:
                rows.error(line, "shared_indicator_ids", f"{ident!r} is not an indicator id of the catalogue")
            ids.append(ident)
        typed.append(
            {
                **row,
                "shared_indicator_ids": ids,
                "source_file": rows.file,
                "source_line": line,
                "source_version": rows.version,
            }
        )
    ok = [r for r in typed if _valid(r["city_code"], r["reference_year"], r["initiative_id"])]
    keyed = ((r["source_line"], r["city_code"], r["reference_year"], r["initiative_id"]) for r in ok)
    _repeats(rows, keyed, "initiative_id", "initiative")
    return rows.result(typed, COLLECTIVE_IMPACT_SCHEMA, COLLECTIVE_IMPACT_COLUMNS)
