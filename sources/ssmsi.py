"""SSMSI (France): crime recorded by the police and gendarmerie, by département and year (data.gouv.fr).

Quirks of the file, each handled on purpose:

* UTF-8 **with BOM**, CRLF, ``;`` separator, **decimal comma** (``308491,1601``);
* two-digit years (``annee``, ``millPOP``, ``millLOG``: 16 = 2016);
* département codes without leading zero (``1`` -> ``01``; ``2A``/``2B`` and ``971``… kept);
* ``LOG`` (dwellings) is fractional: an estimate, kept as a decimal;
* every class has its own counting unit (victime, infraction, véhicule, mis en cause, victime entendue): figures of
  different classes are never added up;
* ``tauxpourmille`` (per 1,000 inhabitants, per 1,000 dwellings for residential burglary) is the publisher's own
  rate: read so that tests can compare, never published (rates are recomputed from ``faits`` and ``POP``/``LOG``).

Structural problems (header, field counts, encoding) raise :class:`SourceFormatError` with file, line and column;
a cell that is not a number, a negative count or a non-positive base goes to the quarantine.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from sources.errors import SourceFormatError, decode_utf8
from sources.quarantine import (
    INVALID_AMOUNT,
    NEGATIVE_COUNT,
    QUARANTINE_SCHEMA,
    UNPARSEABLE_VALUE,
    empty_quarantine,
)

DATASET = "ssmsi_dep"
FILE = "france_ssmsi/donnee-dep-data.gouv-2022-geographie2023-produit-le2023-07-17.csv"
HEADER = (
    "classe",
    "annee",
    "Code.département",
    "Code.région",
    "unité.de.compte",
    "millPOP",
    "millLOG",
    "faits",
    "POP",
    "LOG",
    "tauxpourmille",
)
# The one class counted per 1,000 dwellings rather than per 1,000 inhabitants.
PER_DWELLING_CLASS = "Cambriolages de logement"

SCHEMA: dict[str, pl.DataType] = {
    "classe": pl.String(),
    "year": pl.Int32(),
    "departement": pl.String(),
    "region": pl.String(),
    "counting_unit": pl.String(),
    "population_year": pl.Int32(),
    "dwellings_year": pl.Int32(),
    "faits": pl.Int64(),
    "population": pl.Int64(),
    "dwellings": pl.Float64(),
    "tauxpourmille": pl.Float64(),
    "source_line": pl.Int64(),
}


@dataclass(frozen=True)
class SsmsiTable:
    rows: pl.DataFrame  # SCHEMA
    quarantine: pl.DataFrame  # sources.quarantine schema
    source_file: str
    sha256: str

    @property
    def source_version(self) -> str:
        return f"sha256:{self.sha256[:12]}"


def _number(col: str) -> pl.Expr:
    return pl.col(col).str.strip_chars().str.replace(",", ".", literal=True).cast(pl.Float64, strict=False)


def read_ssmsi(path: Path) -> SsmsiTable:
    """The département file, typed, with row-level problems quarantined."""
    path = Path(path)
    data = path.read_bytes()
    text = decode_utf8(path, data)
    lines = text.splitlines()
    if not lines:
        raise SourceFormatError(path, "empty file: no header", 1)
    names = lines[0].split(";")
    if tuple(names) != HEADER:
        for i, expected in enumerate(HEADER):
            got = names[i] if i < len(names) else None
            if got != expected:
                raise SourceFormatError(path, f"header: expected {expected!r}, found {got!r}", 1, str(i + 1))
        raise SourceFormatError(
            path, f"header: unexpected extra column {names[len(HEADER)]!r}", 1, str(len(HEADER) + 1)
        )
    for number, line in enumerate(lines[1:], start=2):
        fields = line.count(";") + 1
        if line and fields != len(HEADER):
            raise SourceFormatError(path, f"{fields} fields, the header has {len(HEADER)}", number)
    raw = pl.read_csv(
        text.encode(),
        separator=";",
        infer_schema=False,
        has_header=True,
        row_index_name="source_line",
        row_index_offset=2,
    ).filter(pl.any_horizontal(pl.exclude("source_line").is_not_null()))
    numeric = {c: _number(c) for c in ("annee", "millPOP", "millLOG", "faits", "POP", "LOG", "tauxpourmille")}
    problems = []
    for col, expr in numeric.items():
        problems.append((raw.filter(pl.col(col).is_not_null() & expr.is_null()), col, UNPARSEABLE_VALUE))
    problems.append((raw.filter(numeric["faits"] < 0), "faits", NEGATIVE_COUNT))
    problems.append((raw.filter(numeric["faits"] != numeric["faits"].round(0)), "faits", UNPARSEABLE_VALUE))
    problems.append((raw.filter(numeric["POP"] <= 0), "POP", INVALID_AMOUNT))
    problems.append((raw.filter(numeric["LOG"] <= 0), "LOG", INVALID_AMOUNT))
    for col in ("classe", "annee", "Code.département", "faits", "POP"):
        problems.append((raw.filter(pl.col(col).is_null()), col, UNPARSEABLE_VALUE))
    quarantine = pl.concat(
        [
            bad.select(
                pl.lit(path.name).alias("source_file"),
                pl.col("source_line").cast(pl.Int64).alias("line"),
                pl.lit(col).alias("column"),
                pl.lit(reason).alias("reason"),
                pl.col(col).alias("value_raw"),
                pl.lit(DATASET).alias("dataset"),
            )
            for bad, col, reason in problems
        ]
    )
    quarantine = quarantine.cast(QUARANTINE_SCHEMA).unique(["line", "column"], keep="first").sort("line", "column")
    if quarantine.is_empty():
        quarantine = empty_quarantine()
    bad_lines = quarantine["line"].unique().to_list()
    dep = pl.col("Code.département").str.strip_chars()
    rows = raw.filter(~pl.col("source_line").cast(pl.Int64).is_in(bad_lines)).select(
        pl.col("classe").str.strip_chars(),
        (2000 + numeric["annee"]).cast(pl.Int32).alias("year"),
        pl.when(dep.str.contains(r"^\d$")).then(pl.lit("0") + dep).otherwise(dep).alias("departement"),
        pl.col("Code.région").str.strip_chars().alias("region"),
        pl.col("unité.de.compte").str.strip_chars().alias("counting_unit"),
        (2000 + numeric["millPOP"]).cast(pl.Int32).alias("population_year"),
        (2000 + numeric["millLOG"]).cast(pl.Int32).alias("dwellings_year"),
        numeric["faits"].cast(pl.Int64).alias("faits"),
        numeric["POP"].cast(pl.Int64).alias("population"),
        numeric["LOG"].alias("dwellings"),
        numeric["tauxpourmille"].alias("tauxpourmille"),
        pl.col("source_line").cast(pl.Int64),
    )
    return SsmsiTable(rows.cast(SCHEMA), quarantine, path.name, hashlib.sha256(data).hexdigest())


def years(path: Path) -> list[int]:
    """The years the file covers (cheap: one column), for the yearly partitions."""
    frame = pl.read_csv(path, separator=";", columns=["annee"], infer_schema=False)
    return sorted({2000 + int(y) for y in frame["annee"].drop_nulls().to_list() if str(y).strip().isdigit()})
