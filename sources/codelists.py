"""Eurostat code lists: the GEO and CITIES TSV exports and the ``.dic`` label dictionaries.

Unlike the data files, a code list has no row-level quarantine: every problem in it is structural and raises
:class:`~sources.errors.SourceFormatError` naming file, line and column. That includes a repeated code. A code list
is the reference other files are checked against (:func:`known_codes`, used with
:func:`sources.quarantine.quarantine_unknown_codes`) and the source of every label and GEO "standard code"; a
repeated code (two labels, or two statuses, for one code) means the export itself is wrong, perhaps two releases
concatenated, and keeping "the first" would pick a label or status silently, then multiply rows in every join on the
list. The lists are small, versioned files: replacing a broken one is cheap, guessing is not.
"""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl

from sources.errors import SourceFormatError, decode_utf8

CODELIST_HEADER = ("CODE", "Label - English")


def _lines(path: Path) -> list[str]:
    text = decode_utf8(path, path.read_bytes())
    lines = [ln.removesuffix("\r") for ln in text.split("\n")]
    while lines and not lines[-1].strip():
        lines.pop()
    if not lines:
        raise SourceFormatError(path, "empty file", 1)
    return lines


def read_code_list(path: Path | str) -> pl.DataFrame:
    """A code-list TSV export (``CODE``, ``Label - English``, …): one row per code, with the line it came from."""
    path = Path(path)
    lines = _lines(path)
    header = lines[0].split("\t")
    if tuple(header[:2]) != CODELIST_HEADER:
        raise SourceFormatError(path, f"header must start with {CODELIST_HEADER}, found {header[:2]}", 1)
    std = header.index("Standard code") if "Standard code" in header else None
    rows: list[tuple[str, str, str | None, int]] = []
    seen: dict[str, int] = {}
    for lineno, line in enumerate(lines[1:], start=2):
        fields = line.split("\t")
        if len(fields) != len(header) and "  " in fields[0]:
            # Real quirk (ESTAT_CITIES.tsv, 's-Hertogenbosch rows): columns padded with spaces, not tabs.
            fields = re.split(r"\t| {2,}", line)
        if len(fields) < 2 or len(fields) > len(header):
            raise SourceFormatError(path, f"expected {len(header)} fields, found {len(fields)}", lineno)
        fields += [""] * (len(header) - len(fields))  # trailing empty columns may be cut off
        code = fields[0].strip()
        if not code:
            raise SourceFormatError(path, "empty code", lineno, "CODE")
        if code in seen:
            raise SourceFormatError(path, f"code {code!r} repeats line {seen[code]}", lineno, "CODE")
        seen[code] = lineno
        rows.append((code, fields[1].strip(), fields[std].strip() if std is not None else None, lineno))
    return pl.DataFrame(
        rows,
        schema={"code": pl.String, "label": pl.String, "standard": pl.String, "source_line": pl.Int32},
        orient="row",
    )


def read_dic(path: Path | str) -> pl.DataFrame:
    """A bulk-download dictionary: ``CODE<TAB>label`` per line, no header, LF or CRLF."""
    path = Path(path)
    rows: list[tuple[str, str, int]] = []
    seen: dict[str, int] = {}
    for lineno, line in enumerate(_lines(path), start=1):
        code, sep, label = line.partition("\t")
        code = code.strip()
        if not sep or not code:
            raise SourceFormatError(path, "expected 'CODE<TAB>label'", lineno)
        if code in seen:  # a repeated code would multiply rows in every join on the labels
            raise SourceFormatError(path, f"code {code!r} repeats line {seen[code]}", lineno, "1")
        seen[code] = lineno
        rows.append((code, label.strip(), lineno))
    return pl.DataFrame(rows, schema={"code": pl.String, "label": pl.String, "source_line": pl.Int32}, orient="row")


def known_codes(*code_lists: pl.DataFrame) -> set[str]:
    """Every code of one or more code lists (frames of :func:`read_code_list` or :func:`read_dic`).

    For geographic codes: ``known_codes(geo, cities)`` with the GEO and CITIES lists, passed to
    :func:`sources.quarantine.quarantine_unknown_codes`. Not for ICCS: iccs.dic lacks codes Eurostat now uses.
    """
    codes: set[str] = set()
    for frame in code_lists:
        codes.update(frame["code"].to_list())
    return codes
