"""Fault injection on COPIES of the real files: bad input loses nothing.

Each case copies one bundled file into ``tmp_path``, breaks it in one precise way (tests/faults/helpers.py) and
reads the copy with the production reader, at the reader + quarantine level (no Dagster run):

* row-level faults must not stop the read: the quarantine holds exactly the expected rows (file, line, column,
  reason, raw text, dataset) and every other cell or record of the file is still there, unchanged
  (``kept == original minus the quarantined cells``, compared frame to frame);
* structural faults must raise :class:`SourceFormatError` whose message names the file, the line and the column
  (``None`` only where a column has no meaning: an empty file, a header without data).

data/raw is never written: the copies are made from its bytes, and a fixture checks the files' hashes afterwards.
"""

from __future__ import annotations

import hashlib
import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from sources.codelists import known_codes, read_code_list, read_dic
from sources.cohesion import ESIF_PLANNED_RELPATH, read_esif_planned_with_quarantine
from sources.config import BUNDLED_DATA_DIR
from sources.errors import SourceFormatError
from sources.eurostat import read_eurostat
from sources.quarantine import (
    DUPLICATE_KEY,
    INVALID_AMOUNT,
    NEGATIVE_COUNT,
    QUARANTINE_SCHEMA,
    UNKNOWN_CODE,
    UNKNOWN_FLAG,
    UNPARSEABLE_VALUE,
    concat_quarantine,
    empty_quarantine,
    quarantine_negative_counts,
    quarantine_unknown_codes,
)
from tests.faults.helpers import (
    Mutation,
    append_line,
    chain,
    copy_line_to_end,
    cut_after,
    cut_end,
    edit_line,
    empty,
    gzipped,
    insert_bytes,
    keep_lines,
    prepend,
    replace_all,
    replace_bytes_in_line,
    replace_in_line,
    replace_once,
    set_csv_field,
    set_tsv_cell,
    truncated_gzip,
)

RAW = BUNDLED_DATA_DIR
OFF_CAT = "eurostat_crime/estat_crim_off_cat.tsv"
GEN_REG = "eurostat_crime/estat_crim_gen_reg.tsv"
PJANAGGR3 = "eurostat_population/demo_r_pjanaggr3.tsv"  # CRLF
TPS = "eurostat_population/tps00001.tsv"
URB = "eurostat_urban_audit/urb_percep.tsv"
PJAN_JSON = "eurostat_population/demo_pjan_total_countries.json"
OFF_CAT_JSON = "eurostat_crime/estat_crim_off_cat_NR_jsonstat.json"
ESIF = ESIF_PLANNED_RELPATH
GEO = "eurostat_codelists/ESTAT_GEO_25.3.tsv"
CITIES = "eurostat_codelists/ESTAT_CITIES.tsv"
ICCS_DIC = "eurostat_codelists/iccs.dic"

ESIF_NAME = Path(ESIF).name
OFF_CAT_KEY = "freq,iccs,unit,geo\\TIME_PERIOD"
GEN_REG_KEY = "freq,unit,iccs,geo\\TIME_PERIOD"

# ---------------------------------------------------------------------------------------------------------------------
# Readers: (path, dataset) -> (kept frame, quarantine), exactly as the pipeline will call them
# ---------------------------------------------------------------------------------------------------------------------

Reader = Callable[[Path, str | None], tuple[pl.DataFrame, pl.DataFrame]]


def eurostat(path: Path, dataset: str | None) -> tuple[pl.DataFrame, pl.DataFrame]:
    table = read_eurostat(path, dataset)
    return table.cells, table.quarantine


def eurostat_then_negative_counts(path: Path, dataset: str | None) -> tuple[pl.DataFrame, pl.DataFrame]:
    table = read_eurostat(path, dataset)
    unit = "unit" if "unit" in table.dimensions else None
    kept, quarantined = quarantine_negative_counts(table.cells, table.dataset, unit, source_file=table.source_file)
    return kept, concat_quarantine(table.quarantine, quarantined)


@cache
def _geo_and_city_codes() -> frozenset[str]:
    return frozenset(known_codes(read_code_list(RAW / GEO), read_code_list(RAW / CITIES)))


def eurostat_then_unknown_geo(path: Path, dataset: str | None) -> tuple[pl.DataFrame, pl.DataFrame]:
    table = read_eurostat(path, dataset)
    kept, quarantined = quarantine_unknown_codes(
        table.cells, table.geo_dimension, _geo_and_city_codes(), table.dataset, table.source_file
    )
    return kept, concat_quarantine(table.quarantine, quarantined)


def esif(path: Path, dataset: str | None) -> tuple[pl.DataFrame, pl.DataFrame]:
    return read_esif_planned_with_quarantine(path)


def code_list(path: Path, dataset: str | None) -> tuple[pl.DataFrame, pl.DataFrame]:
    return read_code_list(path), empty_quarantine()


def dic(path: Path, dataset: str | None) -> tuple[pl.DataFrame, pl.DataFrame]:
    return read_dic(path), empty_quarantine()


# ---------------------------------------------------------------------------------------------------------------------
# Cases
# ---------------------------------------------------------------------------------------------------------------------


def cell(line: int, period: str) -> pl.Expr:
    return (pl.col("source_line") == line) & (pl.col("period") == period)


def lines(*numbers: int) -> pl.Expr:
    return pl.col("source_line").is_in(list(numbers))


def index(i: int) -> pl.Expr:
    return pl.col("source_index") == i


NOTHING = pl.lit(False)


@dataclass(frozen=True)
class RowFault:
    """A row-level fault: read goes on, ``quarantine`` is exact, the original minus ``removed`` is kept."""

    id: str
    relpath: str
    mutate: Mutation
    quarantine: list[tuple]
    removed: pl.Expr
    dataset: str | None = None
    reader: Reader = eurostat
    suffix: str = ""


Where = int | str | None | Callable[[bytes], int | str]


@dataclass(frozen=True)
class StructuralFault:
    """A structural fault: SourceFormatError naming the file, ``line`` and ``column`` (or computed from the bytes)."""

    id: str
    relpath: str
    mutate: Mutation
    line: Where
    column: Where
    match: str
    dataset: str | None = None
    reader: Reader = eurostat
    suffix: str = ""


def _last_line_end(data: bytes) -> str:
    """Where the line break of a cut-off last line should be: 'char <len + 1>'."""
    last = data[data.rfind(b"\n") + 1 :].decode("utf-8")
    return f"char {len(last) + 1}"


def _gzip_stop(data: bytes) -> tuple[int, str]:
    """Line and column where the decompressible part of a truncated gzip stops (zlib, independently)."""
    partial = zlib.decompressobj(wbits=31).decompress(data)
    start = partial.rfind(b"\n") + 1
    return partial.count(b"\n") + 1, f"char {len(partial[start:].decode('utf-8')) + 1}"


ROW_FAULTS = [
    RowFault(
        "tsv-unparseable-value",
        OFF_CAT,
        set_tsv_cell(3, "2012", "8,8 ", expect="88 "),
        [("estat_crim_off_cat.tsv", 3, "2012", UNPARSEABLE_VALUE, "8,8", "crim_off_cat")],
        cell(3, "2012"),
        "crim_off_cat",
    ),
    RowFault(
        "tsv-unknown-flag",
        OFF_CAT,
        set_tsv_cell(3, "2008", "58 k", expect="58 "),
        [("estat_crim_off_cat.tsv", 3, "2008", UNKNOWN_FLAG, "58 k", "crim_off_cat")],
        cell(3, "2008"),
        "crim_off_cat",
    ),
    RowFault(
        "tsv-bad-cell-in-the-last-line",
        OFF_CAT,
        set_tsv_cell(1769, "2023", "3.22%", expect="3.22 "),
        [("estat_crim_off_cat.tsv", 1769, "2023", UNPARSEABLE_VALUE, "3.22%", "crim_off_cat")],
        cell(1769, "2023"),
        "crim_off_cat",
    ),
    RowFault(
        "tsv-two-faults-reported-in-file-order",
        OFF_CAT,
        chain(set_tsv_cell(10, "2012", "6l9 ", expect="619 "), set_tsv_cell(3, "2023", "75 k", expect="75 ")),
        [
            ("estat_crim_off_cat.tsv", 3, "2023", UNKNOWN_FLAG, "75 k", "crim_off_cat"),
            ("estat_crim_off_cat.tsv", 10, "2012", UNPARSEABLE_VALUE, "6l9", "crim_off_cat"),
        ],
        cell(3, "2023") | cell(10, "2012"),
        "crim_off_cat",
    ),
    RowFault(
        "tsv-duplicate-series-line-first-wins",
        GEN_REG,
        copy_line_to_end(2, lambda text: text.replace("\t88 \t", "\t99 \t", 1)),
        [("estat_crim_gen_reg.tsv", 24676, GEN_REG_KEY, DUPLICATE_KEY, "A,NR,ICCS0101,AL", "crim_gen_reg")],
        NOTHING,
        "crim_gen_reg",
    ),
    RowFault(
        "tsv-negative-count-via-helper",
        GEN_REG,
        set_tsv_cell(2, "2012", "-126 ", expect="126 "),
        [("estat_crim_gen_reg.tsv", 2, "2012", NEGATIVE_COUNT, "-126", "crim_gen_reg")],
        cell(2, "2012"),
        "crim_gen_reg",
        eurostat_then_negative_counts,
    ),
    RowFault(
        "tsv-unknown-geo-code-via-helper",
        OFF_CAT,
        replace_in_line(3, "A,ICCS0101,NR,AT\t", "A,ICCS0101,NR,XX99\t"),
        [("estat_crim_off_cat.tsv", 3, "geo", UNKNOWN_CODE, "XX99", "crim_off_cat")],
        lines(3),
        "crim_off_cat",
        eurostat_then_unknown_geo,
    ),
    RowFault(
        "crlf-bad-cell-keeps-the-line-number",
        PJANAGGR3,
        set_tsv_cell(8272, "2024", "18 897 ", expect="18897 "),
        [("demo_r_pjanaggr3.tsv", 8272, "2024", UNPARSEABLE_VALUE, "18 897", "demo_r_pjanaggr3")],
        cell(8272, "2024"),
        "demo_r_pjanaggr3",
    ),
    RowFault(
        "crlf-unknown-flag-in-the-last-column-without-cr",
        PJANAGGR3,
        set_tsv_cell(2, "2025", "1194597 X", expect="1194597 "),
        [("demo_r_pjanaggr3.tsv", 2, "2025", UNKNOWN_FLAG, "1194597 X", "demo_r_pjanaggr3")],
        cell(2, "2025"),
        "demo_r_pjanaggr3",
    ),
    RowFault(
        "bom-bad-cell-keeps-the-line-number",
        TPS,
        chain(prepend(b"\xef\xbb\xbf"), set_tsv_cell(3, "2012", "2903008 ?", expect="2903008 ")),
        [("tps00001.tsv", 3, "2012", UNPARSEABLE_VALUE, "2903008 ?", "tps00001")],
        cell(3, "2012"),
        "tps00001",
    ),
    RowFault(
        "bulk-tsv-unknown-flag",
        TPS,
        set_tsv_cell(2, "2018", "74794 q", expect="74794 e"),
        [("tps00001.tsv", 2, "2018", UNKNOWN_FLAG, "74794 q", "tps00001")],
        cell(2, "2018"),
        "tps00001",
    ),
    RowFault(
        "bulk-tsv-descending-years-bad-cell",
        URB,
        set_tsv_cell(21041, "2015", "53.O ", expect="53.0 "),
        [("urb_percep.tsv", 21041, "2015", UNPARSEABLE_VALUE, "53.O", "urb_percep")],
        cell(21041, "2015"),
        "urb_percep",
    ),
    RowFault(
        "gzip-tsv-bad-cell",
        OFF_CAT,
        chain(set_tsv_cell(3, "2012", "8,8 ", expect="88 "), gzipped),
        [("estat_crim_off_cat.tsv.gz", 3, "2012", UNPARSEABLE_VALUE, "8,8", "crim_off_cat")],
        cell(3, "2012"),
        "crim_off_cat",
        suffix=".gz",
    ),
    RowFault(
        "jsonstat-value-is-a-string",
        PJAN_JSON,
        replace_once(b'"437":37073357', b'"437":"37073357"'),
        [("demo_pjan_total_countries.json", 1, "value[437]", UNPARSEABLE_VALUE, '"37073357"', "demo_pjan")],
        index(437),
        "demo_pjan",
    ),
    RowFault(
        "jsonstat-unknown-status",
        PJAN_JSON,
        replace_once(b'"437":"bep"', b'"437":"bex"'),
        [("demo_pjan_total_countries.json", 1, "status[437]", UNKNOWN_FLAG, '"bex"', "demo_pjan")],
        index(437),
        "demo_pjan",
    ),
    RowFault(
        "jsonstat-nan-value",
        OFF_CAT_JSON,
        replace_once(b'"304":58,', b'"304":NaN,'),
        [("estat_crim_off_cat_NR_jsonstat.json", 1, "value[304]", UNPARSEABLE_VALUE, "NaN", "crim_off_cat")],
        index(304),
        "crim_off_cat",
    ),
    RowFault(
        "jsonstat-negative-count-via-helper",
        PJAN_JSON,
        replace_once(b'"7":11000638', b'"7":-11000638'),
        [("demo_pjan_total_countries.json", 1, "value[7]", NEGATIVE_COUNT, "-11000638.0", "demo_pjan")],
        index(7),
        "demo_pjan",
        eurostat_then_negative_counts,
    ),
    RowFault(
        "esif-invalid-amount",
        ESIF,
        set_csv_field(5, "EU Amount", "x12", expect="112182520"),
        [(ESIF_NAME, 5, "EU Amount", INVALID_AMOUNT, "x12", "esif_2014_2020_planned")],
        lines(5),
        reader=esif,
    ),
    RowFault(
        "esif-decimal-comma",
        ESIF,
        set_csv_field(53, "National Amount", "650.030,4", expect="650030.4"),
        [(ESIF_NAME, 53, "National Amount", INVALID_AMOUNT, "650.030,4", "esif_2014_2020_planned")],
        lines(53),
        reader=esif,
    ),
    RowFault(
        "esif-bad-rate-in-the-last-line",
        ESIF,
        set_csv_field(7525, "EU co-financing", "26,3", expect="26.3"),
        [(ESIF_NAME, 7525, "EU co-financing", INVALID_AMOUNT, "26,3", "esif_2014_2020_planned")],
        lines(7525),
        reader=esif,
    ),
]

STRUCTURAL_FAULTS = [
    StructuralFault(
        "tsv-header-lacks-a-period-column",
        OFF_CAT,
        replace_in_line(1, "\t2023 ", ""),
        2,
        "17",
        "expected 16 tab-separated fields, found 17: field 17 has no column in the header",
        "crim_off_cat",
    ),
    StructuralFault(
        "tsv-bad-period-header",
        OFF_CAT,
        replace_in_line(1, "\t2015 ", "\t2015a "),
        1,
        "9",
        "period header '2015a' is not a period",
        "crim_off_cat",
    ),
    StructuralFault(
        "tsv-renamed-dimension",
        OFF_CAT,
        replace_in_line(1, ",geo\\", ",region\\"),
        1,
        "1",
        r"unknown dimension\(s\) \['region'\]; missing dimension\(s\) \['geo'\]",
        "crim_off_cat",
    ),
    StructuralFault(
        "tsv-renamed-time-label-crlf",
        PJANAGGR3,
        replace_in_line(1, "\\TIME_PERIOD", "\\YEAR"),
        1,
        "1",
        "time label 'YEAR' is not one of",
        "demo_r_pjanaggr3",
    ),
    StructuralFault(
        "tsv-non-identifier-dimension",
        URB,
        replace_in_line(1, "indic_ur,", "indic ur,"),
        1,
        "1",
        "dimension name 'indic ur' is not an identifier",
        "urb_percep",
    ),
    StructuralFault(
        "tsv-extra-field-in-one-line",
        GEN_REG,
        edit_line(100, lambda text: text + "\t5 "),
        100,
        "18",
        "expected 17 tab-separated fields, found 18",
        "crim_gen_reg",
    ),
    StructuralFault(
        "tsv-series-key-lacks-a-part",
        OFF_CAT,
        replace_in_line(10, "A,ICCS0101,NR,DE\t", "A,ICCS0101,DE\t"),
        10,
        OFF_CAT_KEY,
        "series key 'A,ICCS0101,DE' does not match dimensions",
        "crim_off_cat",
    ),
    StructuralFault(
        "tsv-truncated-download-crlf",
        PJANAGGR3,
        cut_end(20),
        lambda data: data.count(b"\n") + 1,
        _last_line_end,
        "does not end with a line break: the file looks truncated",
        "demo_r_pjanaggr3",
    ),
    StructuralFault("tsv-empty-file", URB, empty, 1, None, "empty file", "urb_percep"),
    StructuralFault("tsv-header-only", TPS, keep_lines(1), 1, None, "header but no data lines", "tps00001"),
    StructuralFault(
        "tsv-undecodable-byte",
        TPS,
        insert_bytes(4, 4, b"\xff"),
        4,
        "char 5",
        r"not valid UTF-8 \(byte 0xff\)",
        "tps00001",
    ),
    StructuralFault(
        "gzip-truncated",
        GEN_REG,
        truncated_gzip(0.6),
        lambda data: _gzip_stop(data)[0],
        lambda data: _gzip_stop(data)[1],
        "truncated gzip stream",
        "crim_gen_reg",
        suffix=".gz",
    ),
    StructuralFault(
        "jsonstat-truncated",
        PJAN_JSON,
        cut_after(b'"399":8142573,'),
        1,
        lambda data: f"char {len(data.decode('utf-8')) + 1}",
        "invalid JSON: Expecting property name enclosed in double quotes",
        "demo_pjan",
    ),
    StructuralFault(
        "jsonstat-index-out-of-range",
        PJAN_JSON,
        replace_once(b'"419":9158750', b'"999":9158750'),
        1,
        "value[999]",
        r"index 999 outside 0\.\.587",
        "demo_pjan",
    ),
    StructuralFault(
        "jsonstat-size-disagrees-with-categories",
        PJAN_JSON,
        replace_once(b'"size":[1,1,1,1,28,21]', b'"size":[1,1,1,1,28,20]'),
        1,
        "dimension.time",
        "size says 20 categories, index has 21",
        "demo_pjan",
    ),
    StructuralFault(
        "jsonstat-renamed-dimension",
        OFF_CAT_JSON,
        replace_all(b'"geo"', b'"region"', 3),
        1,
        "id",
        r"unknown dimension\(s\) \['region'\]; missing dimension\(s\) \['geo'\]",
        "crim_off_cat",
    ),
    StructuralFault(
        "esif-renamed-column",
        ESIF,
        replace_in_line(1, ",EU Amount,", ",EU Amt,"),
        1,
        "EU Amount",
        r"missing column 'EU Amount'.*'EU Amt'",
        reader=esif,
    ),
    StructuralFault(
        "esif-missing-column",
        ESIF,
        replace_in_line(1, ",Fund,", ","),
        1,
        "Fund",
        "missing column 'Fund'",
        reader=esif,
    ),
    StructuralFault(
        "esif-extra-field-in-one-line",
        ESIF,
        edit_line(100, lambda text: text + ",x"),
        100,
        "20",
        "expected 19 comma-separated fields, found 20",
        reader=esif,
    ),
    StructuralFault(
        "esif-truncated-download",
        ESIF,
        cut_end(10),
        7525,
        _last_line_end,
        "does not end with a line break",
        reader=esif,
    ),
    StructuralFault(
        "esif-latin1-byte",
        ESIF,
        replace_bytes_in_line(2, "Pyrénées".encode(), "Pyrénées".encode("latin-1")),  # 'é' as the byte 0xe9
        2,
        "char 38",
        r"not valid UTF-8 \(byte 0xe9\)",
        reader=esif,
    ),
    StructuralFault(
        "codelist-duplicate-code",
        GEO,
        copy_line_to_end(269),
        4288,
        "CODE",
        "code 'DE' repeats line 269",
        reader=code_list,
    ),
    StructuralFault(
        "codelist-renamed-header",
        GEO,
        replace_in_line(1, "CODE\t", "Code\t"),
        1,
        None,
        "header must start with",
        reader=code_list,
    ),
    StructuralFault(
        "dic-duplicate-code",
        ICCS_DIC,
        append_line("ICCS0101\tIntentional homicide (again)"),
        46,
        "1",
        "code 'ICCS0101' repeats line 4",
        reader=dic,
    ),
    StructuralFault(
        "dic-line-without-tab",
        ICCS_DIC,
        replace_in_line(4, "ICCS0101\t", "ICCS0101 "),
        4,
        None,
        "expected 'CODE<TAB>label'",
        reader=dic,
    ),
]


# ---------------------------------------------------------------------------------------------------------------------
# Tests
# ---------------------------------------------------------------------------------------------------------------------

USED_FILES = sorted(
    {c.relpath for c in ROW_FAULTS + STRUCTURAL_FAULTS} | {GEO, CITIES},
)


@pytest.fixture(scope="module", autouse=True)
def _raw_files_are_never_modified():
    """The suite works on copies: the bundled files hash the same before and after."""
    before = {rel: hashlib.sha256((RAW / rel).read_bytes()).hexdigest() for rel in USED_FILES}
    yield
    after = {rel: hashlib.sha256((RAW / rel).read_bytes()).hexdigest() for rel in USED_FILES}
    assert after == before, "a fault-injection test modified a file in data/raw"


def _copy(relpath: str, mutate: Mutation, tmp_path: Path, suffix: str) -> tuple[Path, bytes]:
    data = mutate((RAW / relpath).read_bytes())
    path = tmp_path / (Path(relpath).name + suffix)
    path.write_bytes(data)
    return path, data


@cache
def _original(relpath: str, reader: Reader, dataset: str | None) -> pl.DataFrame:
    """The unmodified file, read by the same reader (once per session): the reference for 'nothing else lost'."""
    kept, quarantine = reader(RAW / relpath, dataset)
    assert quarantine.height == 0, f"the bundled {relpath} already has quarantined rows"
    return kept


def test_the_suite_has_at_least_20_distinct_cases():
    ids = [c.id for c in ROW_FAULTS + STRUCTURAL_FAULTS]
    assert len(ids) == len(set(ids)) >= 20
    # Every file named in the brief is faulted at least once.
    assert {OFF_CAT, GEN_REG, PJANAGGR3, TPS, URB, PJAN_JSON, OFF_CAT_JSON, ESIF, GEO, ICCS_DIC} <= {
        c.relpath for c in ROW_FAULTS + STRUCTURAL_FAULTS
    }


@pytest.mark.parametrize("case", ROW_FAULTS, ids=[c.id for c in ROW_FAULTS])
def test_row_level_fault_is_quarantined_and_nothing_else_is_lost(case: RowFault, tmp_path: Path):
    path, data = _copy(case.relpath, case.mutate, tmp_path, case.suffix)
    assert data != (RAW / case.relpath).read_bytes()
    kept, quarantine = case.reader(path, case.dataset)

    # The exact quarantine rows: file, line, column, reason, raw text, dataset.
    assert quarantine.schema == QUARANTINE_SCHEMA
    assert quarantine.rows() == case.quarantine
    assert not quarantine["value_raw"].str.contains("\r").any()

    # Every other cell / record of the file is still there, unchanged: kept == original minus the removed ones.
    original = _original(case.relpath, case.reader, case.dataset)
    expected = original.filter(~case.removed)
    n_removed = original.height - expected.height
    assert kept.height == original.height - n_removed
    assert_frame_equal(kept, expected)
    if case.quarantine[0][3] in (DUPLICATE_KEY,):
        assert n_removed == 0  # the first line of the series is used
    elif case.quarantine[0][3] == UNKNOWN_CODE:
        assert n_removed == original.filter(case.removed).height > 1  # the whole series
    else:
        assert n_removed == len(case.quarantine)  # one quarantine row per cell / record


@pytest.mark.parametrize("case", STRUCTURAL_FAULTS, ids=[c.id for c in STRUCTURAL_FAULTS])
def test_structural_fault_names_file_line_and_column(case: StructuralFault, tmp_path: Path):
    path, data = _copy(case.relpath, case.mutate, tmp_path, case.suffix)
    line = case.line(data) if callable(case.line) else case.line
    column = case.column(data) if callable(case.column) else case.column
    with pytest.raises(SourceFormatError, match=case.match) as info:
        case.reader(path, case.dataset)
    err = info.value
    message = str(err)
    assert err.path == str(path)
    assert message.startswith(f"{path}"), message
    assert path.name in message
    assert (err.line, err.column) == (line, column), message
    if line is not None:
        assert f", line {line}" in message
    if column is not None:
        assert f", column {column}:" in message
    else:
        assert ", column " not in message


def test_the_gzip_copy_of_a_real_file_reads_like_the_file(tmp_path: Path):
    # The control for the gzip faults: an intact .gz gives exactly the plain file's cells.
    path, _ = _copy(OFF_CAT, gzipped, tmp_path, ".gz")
    table = read_eurostat(path, "crim_off_cat")
    assert table.quarantine.height == 0
    assert_frame_equal(table.cells, _original(OFF_CAT, eurostat, "crim_off_cat"))


def test_faults_are_located_by_header_name_not_position(tmp_path: Path):
    # crim_gen_reg orders its dimensions differently from crim_off_cat; the quarantine column is still the period.
    case = next(c for c in ROW_FAULTS if c.id == "tsv-negative-count-via-helper")
    path, _ = _copy(case.relpath, case.mutate, tmp_path, "")
    kept, quarantine = eurostat(path, "crim_gen_reg")
    assert quarantine.height == 0  # a negative count is not the reader's concern
    row = kept.filter(cell(2, "2012")).row(0, named=True)
    assert (row["unit"], row["iccs"], row["geo"], row["value"]) == ("NR", "ICCS0101", "AL", -126.0)


def test_error_messages_read_well():
    # One full message, as an engineer sees it in the run log.
    err = SourceFormatError("data/raw/x.tsv", "unknown dimension(s) ['region']", 1, "1")
    assert str(err) == "data/raw/x.tsv, line 1, column 1: unknown dimension(s) ['region']"
    assert re.match(r"^.+, line \d+, column .+: .+$", str(err))
