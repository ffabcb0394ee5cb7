"""Tests for the ESIF 2014-2020 planned-finances reader (sources/cohesion.py).

Facts about the real file come from cohesion_esif/PROVENANCE.md and were re-checked on the raw bytes with grep,
sed and Python's csv module (never with the reader under test), e.g. ``sed -n 2p``, ``grep -c '^GR,'``. Crafted
edge cases are small files written to ``tmp_path``.
"""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from sources.cohesion import (
    ESIF_PLANNED_COLUMNS,
    ESIF_PLANNED_RELPATH,
    missing_amounts,
    read_esif_planned,
    read_esif_planned_with_quarantine,
    source_version,
)
from sources.config import BUNDLED_DATA_DIR
from sources.errors import SourceFormatError
from sources.eurostat import file_sha256
from sources.quarantine import QUARANTINE_SCHEMA

HEADER = list(ESIF_PLANNED_COLUMNS)
SNAKE = list(ESIF_PLANNED_COLUMNS.values())
SHA256 = "b84c7960ee0f380e26bf0a3e001b959419827328138bb8d78ef78fb1b67c9bc0"  # PROVENANCE.md
MS_CODES = set(
    "AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK TC UK".split()
)  # cut -d, -f1 | sort -u


@pytest.fixture(scope="module")
def esif_path(raw_dir: Path) -> Path:
    return raw_dir / ESIF_PLANNED_RELPATH


@pytest.fixture(scope="module")
def bundled(raw_dir: Path) -> bool:
    return raw_dir.resolve() == BUNDLED_DATA_DIR.resolve()


@pytest.fixture(scope="module")
def planned(esif_path: Path) -> pl.DataFrame:
    return read_esif_planned(esif_path)


@pytest.fixture(scope="module")
def raw_records(esif_path: Path) -> list[list[str]]:
    """The file's records with the csv module alone (the independent reference)."""
    with esif_path.open(newline="", encoding="utf-8-sig") as fh:
        return list(csv.reader(fh))


# ---------------------------------------------------------------------------------------------------------------------
# Real file
# ---------------------------------------------------------------------------------------------------------------------


def test_real_file_columns_and_types(planned: pl.DataFrame):
    assert planned.columns == [*SNAKE, "source_line"]
    assert SNAKE[:8] == ["ms", "ms_name", "cci", "version", "programme_title", "fund", "priority", "to_code"]
    for col in ("eu_amount", "national_amount", "total_amount", "eu_co_financing_pct"):
        assert planned.schema[col] == pl.Decimal(20, 2), col
    for col in ("ms", "cci", "version", "to_code", "category_of_region"):
        assert planned.schema[col] == pl.String, col
    assert planned.schema["source_line"] == pl.Int32


def test_real_file_shape_matches_provenance(planned: pl.DataFrame, raw_records: list[list[str]], bundled: bool):
    assert raw_records[0] == HEADER
    assert planned.height == len(raw_records) - 1
    # Every record sits on one line here, so source_line runs 2..N+1 in file order.
    assert planned["source_line"].to_list() == list(range(2, planned.height + 2))
    assert set(planned["ms"]) == {r[0] for r in raw_records[1:]}
    if bundled:
        assert planned.height == 7524
        assert set(planned["ms"]) == MS_CODES
        assert planned["cci"].n_unique() == 541
        assert planned.filter(pl.col("ms") == "GR").height == 397  # grep -c '^GR,'
        assert planned.filter(pl.col("ms") == "TC").height == 445  # grep -c '^TC,'
        assert set(planned["fund"]) == {"EAFRD", "ERDF", "ESF", "EMFF", "CF", "YEI", "IPAE"}


def test_real_file_sha256_and_version(esif_path: Path, bundled: bool):
    digest = file_sha256(esif_path.read_bytes())
    assert source_version(esif_path) == f"sha256:{digest[:12]}"
    if bundled:
        assert digest == SHA256
        assert source_version(esif_path) == "sha256:b84c7960ee0f"


# line -> expected fields, copied from `sed -n <line>p` of the file.
SPOT = {
    2: {
        "ms": "FR",
        "cci": "2014FR06RDRP073",
        "version": "10",
        "programme_title": "Midi-Pyrénées - Rural Development",
        "fund": "EAFRD",
        "priority": "P4",
        "to_code": "06",
        "category_of_region": "VOID",
        "eafrd_measure_code": "M13",
        "eu_amount": Decimal("465519898"),
        "national_amount": Decimal("155173299.31"),
        "total_amount": Decimal("620693197.31"),
        "eu_co_financing_pct": Decimal("75"),
    },
    5: {  # a quoted field with commas (TO long)
        "ms": "IT",
        "programme_title": "Campania - ERDF",
        "priority": "9",
        "to_code": "10",
        "to_long": "Investing in education, training and vocational training for skills and lifelong learning",
        "category_of_region": "Less developed",
        "eu_amount": Decimal("112182520"),
        "national_amount": Decimal("37394173"),
        "total_amount": Decimal("149576693"),
    },
    53: {  # EAFRD measure discontinued from 2007-2013: TO 'DM', empty priority
        "ms": "ES",
        "programme_title": "Aragón  - Rural Development blabla from pipo",
        "priority": None,
        "to_code": "DM",
        "to_short": "Competitiveness of SMEs",
        "national_amount": Decimal("650030.4"),
        "total_amount": Decimal("1383043.4"),
    },
    5178: {  # IPA cross-border programme without a thematic objective
        "ms": "TC",
        "ms_name": "Interreg",
        "fund": "IPAE",
        "to_code": "VOID",
        "total_amount": Decimal("18797060"),
    },
    5200: {  # the one row where EU + national (11998634) != total (11998635)
        "ms": "TC",
        "cci": "2014TC16M4TN003",
        "eu_amount": Decimal("10198838"),
        "national_amount": Decimal("1799796"),
        "total_amount": Decimal("11998635"),
    },
    7525: {
        "ms": "LU",
        "eu_amount": Decimal("1847135"),
        "national_amount": Decimal("5176192"),
        "total_amount": Decimal("7023327"),
        "eu_co_financing_pct": Decimal("26.3"),
    },
}


@pytest.mark.parametrize("line", sorted(SPOT))
def test_real_spot_values(line: int, planned: pl.DataFrame, bundled: bool):
    if not bundled:
        pytest.skip("spot values of the bundled release")
    rows = planned.filter(pl.col("source_line") == line)
    assert rows.height == 1
    row = rows.row(0, named=True)
    for col, expected in SPOT[line].items():
        assert row[col] == expected, (line, col, row[col])
        if isinstance(expected, Decimal):
            assert isinstance(row[col], Decimal)  # exact, not a float


def test_real_amounts_are_exact_to_the_cent(planned: pl.DataFrame, raw_records: list[list[str]], bundled: bool):
    header = raw_records[0]
    for name in ("EU Amount", "National Amount", "Total Amount"):
        i = header.index(name)
        expected = [Decimal(r[i]) for r in raw_records[1:]]
        got = planned[ESIF_PLANNED_COLUMNS[name]].to_list()
        assert got == expected, name
        assert planned[ESIF_PLANNED_COLUMNS[name]].sum() == sum(expected), name
    if bundled:
        assert planned["total_amount"].sum() == Decimal("645475621413.39")
        assert planned["eu_amount"].sum() == Decimal("461546379664.00")
        assert planned["national_amount"].sum() == Decimal("183929241748.39")
        # the float sum is off: the reason for reading Decimals
        assert sum(float(v) for v in planned["national_amount"]) != 183929241748.39


def test_real_missing_cells(planned: pl.DataFrame, raw_records: list[list[str]], bundled: bool):
    i = raw_records[0].index("Priority")
    assert planned["priority"].null_count() == sum(1 for r in raw_records[1:] if r[i] == "")
    assert missing_amounts(planned) == {
        col: sum(1 for r in raw_records[1:] if r[raw_records[0].index(name)].strip() == "")
        for name, col in ESIF_PLANNED_COLUMNS.items()
        if col in ("eu_amount", "national_amount", "total_amount")
    }
    if bundled:
        assert missing_amounts(planned) == {"eu_amount": 0, "national_amount": 0, "total_amount": 0}
        assert planned["priority"].null_count() == 274
        assert planned.filter(pl.col("total_amount") == 0).height == 0


def test_real_crlf_and_bom_variants_read_identically(esif_path: Path, planned: pl.DataFrame, tmp_path: Path):
    data = esif_path.read_bytes()
    assert b"\r\n" not in data  # the original is LF
    for name, variant in {
        "crlf.csv": data.replace(b"\n", b"\r\n"),
        "bom.csv": b"\xef\xbb\xbf" + data,
        "bom_crlf.csv": b"\xef\xbb\xbf" + data.replace(b"\n", b"\r\n"),
    }.items():
        path = tmp_path / name
        path.write_bytes(variant)
        assert_frame_equal(read_esif_planned(path), planned)


# ---------------------------------------------------------------------------------------------------------------------
# Crafted files
# ---------------------------------------------------------------------------------------------------------------------

ROWS = [
    ["FR", "France", "2014FR06RDRP073", "10", "Midi-Pyrénées - Rural Development", "EAFRD", "P4", "06",
     "Environment", "Preserving", "VOID", "M13", "Areas", "FA_P4", "Priority 4",
     "465519898", "155173299.31", "620693197.31", "75"],
    ["IT", "Italy", "2014IT16RFOP007", "4", "Campania - ERDF", "ERDF", "9", "10", "Educational",
     "Investing in education, training and vocational training", "Less developed", "VOID", "VOID", "VOID", "VOID",
     "112182520", "37394173", "149576693", "75"],
    ["GR", "Greece", "2014GR16M2OP001", "3", "Competitiveness, Entrepreneurship", "ESF", "1", "09", "Social Inclusion",
     "Promoting social inclusion", "Transition", "VOID", "VOID", "VOID", "VOID", "0.1", "0.2", "0.3", "33.33"],
]  # fmt: skip


def write_csv(path: Path, header: list[str], rows: list[list[str]], newline: str = "\n") -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, lineterminator=newline).writerows([header, *rows])
    return path


def assert_names(exc: SourceFormatError, path: Path, line: int, column: str | None) -> None:
    message = str(exc)
    assert path.name in message
    assert exc.line == line
    assert f"line {line}" in message
    assert exc.column == column
    if column is not None:
        assert f"column {column}" in message


def test_crafted_file_reads_exact_decimals(tmp_path: Path):
    frame = read_esif_planned(write_csv(tmp_path / "ok.csv", HEADER, ROWS))
    assert frame.height == 3
    assert frame["national_amount"].to_list() == [Decimal("155173299.31"), Decimal("37394173"), Decimal("0.2")]
    assert frame["to_long"][1] == "Investing in education, training and vocational training"
    assert frame["programme_title"][2] == "Competitiveness, Entrepreneurship"
    # 0.1 + 0.2 == 0.3 exactly (floats would give 0.30000000000000004)
    row = frame.row(2, named=True)
    assert row["eu_amount"] + row["national_amount"] == row["total_amount"] == Decimal("0.3")
    assert row["eu_co_financing_pct"] == Decimal("33.33")
    assert frame["source_line"].to_list() == [2, 3, 4]


def test_crafted_columns_in_another_order_are_read_by_name(tmp_path: Path):
    order = list(reversed(range(19)))
    path = write_csv(tmp_path / "reordered.csv", [HEADER[i] for i in order], [[r[i] for i in order] for r in ROWS])
    assert_frame_equal(read_esif_planned(path), read_esif_planned(write_csv(tmp_path / "ok.csv", HEADER, ROWS)))


def test_crafted_header_names_are_stripped(tmp_path: Path):
    header = [f" {h} " if h == "Priority" else h for h in HEADER]
    frame = read_esif_planned(write_csv(tmp_path / "spaces.csv", header, ROWS))
    assert frame["priority"].to_list() == ["P4", "9", "1"]


def test_crafted_empty_amount_is_missing_not_zero(tmp_path: Path):
    rows = [list(r) for r in ROWS]
    rows[1][15] = ""  # EU Amount on line 3
    rows[2][17] = "  "  # Total Amount on line 4, blanks only
    frame = read_esif_planned(write_csv(tmp_path / "empty.csv", HEADER, rows))
    assert frame["eu_amount"].to_list() == [Decimal("465519898"), None, Decimal("0.1")]
    assert frame["total_amount"][2] is None
    assert missing_amounts(frame) == {"eu_amount": 1, "national_amount": 0, "total_amount": 1}


def test_crafted_quoted_newline_keeps_line_numbers(tmp_path: Path):
    rows = [list(r) for r in ROWS]
    rows[0][4] = "A title\nover two lines"
    path = write_csv(tmp_path / "multiline.csv", HEADER, rows)
    frame = read_esif_planned(path)
    assert frame["programme_title"][0] == "A title\nover two lines"
    assert frame["source_line"].to_list() == [2, 4, 5]  # the record on lines 2-3 starts on line 2
    rows[2][15] = "x12"
    # An invalid amount is quarantined: the line is the one the record starts on.
    kept, quarantine = read_esif_planned_with_quarantine(write_csv(tmp_path / "multiline_bad.csv", HEADER, rows))
    assert quarantine.rows() == [
        ("multiline_bad.csv", 5, "EU Amount", "invalid_amount", "x12", "esif_2014_2020_planned")
    ]
    assert kept["source_line"].to_list() == [2, 4]


def test_crafted_trailing_blank_lines_are_tolerated(tmp_path: Path):
    path = write_csv(tmp_path / "trailing.csv", HEADER, ROWS)
    path.write_bytes(path.read_bytes() + b"\n\n")
    assert read_esif_planned(path).height == 3


# --- errors ---------------------------------------------------------------------------------------------------------


def test_error_missing_column(tmp_path: Path):
    i = HEADER.index("Fund")
    path = write_csv(tmp_path / "missing.csv", HEADER[:i] + HEADER[i + 1 :], [r[:i] + r[i + 1 :] for r in ROWS])
    with pytest.raises(SourceFormatError, match="missing column 'Fund'") as info:
        read_esif_planned(path)
    assert_names(info.value, path, 1, "Fund")


def test_error_renamed_column(tmp_path: Path):
    header = ["EU Amt" if h == "EU Amount" else h for h in HEADER]
    path = write_csv(tmp_path / "renamed.csv", header, ROWS)
    with pytest.raises(SourceFormatError, match=r"missing column 'EU Amount'.*'EU Amt'") as info:
        read_esif_planned(path)
    assert_names(info.value, path, 1, "EU Amount")


def test_error_extra_column(tmp_path: Path):
    path = write_csv(tmp_path / "extra.csv", [*HEADER, "Comment"], [[*r, "x"] for r in ROWS])
    with pytest.raises(SourceFormatError, match="unexpected column 'Comment'") as info:
        read_esif_planned(path)
    assert_names(info.value, path, 1, "Comment")


def test_error_repeated_column(tmp_path: Path):
    header = ["Fund" if h == "Priority" else h for h in HEADER]
    path = write_csv(tmp_path / "repeated.csv", header, ROWS)
    with pytest.raises(SourceFormatError, match="'Fund' appears twice") as info:
        read_esif_planned(path)
    assert_names(info.value, path, 1, "Fund")


@pytest.mark.parametrize(("n_fields", "column"), [(18, "EU co-financing"), (20, "20")])
def test_error_wrong_field_count_names_the_line(tmp_path: Path, n_fields: int, column: str):
    # Structural: the column is the first one without a field (too few) or the first field without a column.
    rows = [list(r) for r in ROWS]
    rows[2] = (rows[2] + ["extra"])[:n_fields]  # line 4
    path = write_csv(tmp_path / "fields.csv", HEADER, rows)
    with pytest.raises(SourceFormatError, match=f"expected 19 comma-separated fields, found {n_fields}") as info:
        read_esif_planned(path)
    assert_names(info.value, path, 4, column)


# Row-level: an invalid amount no longer stops the read. The record goes to the quarantine with file,
# line, column and the text as written; the other records are read. (These inputs used to raise.)


def test_quarantine_bad_amount_names_line_and_column(tmp_path: Path):
    rows = [list(r) for r in ROWS]
    rows[1][HEADER.index("EU Amount")] = "x12"  # line 3
    path = write_csv(tmp_path / "bad.csv", HEADER, rows)
    frame, quarantine = read_esif_planned_with_quarantine(path)
    assert quarantine.schema == QUARANTINE_SCHEMA
    assert quarantine.rows() == [("bad.csv", 3, "EU Amount", "invalid_amount", "x12", "esif_2014_2020_planned")]
    assert frame["source_line"].to_list() == [2, 4]
    assert_frame_equal(
        frame, read_esif_planned(write_csv(tmp_path / "ok.csv", HEADER, ROWS)).filter(pl.col("source_line") != 3)
    )
    assert_frame_equal(read_esif_planned(path), frame)  # the frame-only reader leaves the record out too


def test_quarantine_two_bad_amounts_in_one_record_give_two_rows(tmp_path: Path):
    rows = [list(r) for r in ROWS]
    rows[0][HEADER.index("National Amount")] = "1.234,5"
    rows[0][HEADER.index("EU co-financing")] = "75%"
    path = write_csv(tmp_path / "two.csv", HEADER, rows)
    frame, quarantine = read_esif_planned_with_quarantine(path)
    assert quarantine.rows() == [
        ("two.csv", 2, "National Amount", "invalid_amount", "1.234,5", "esif_2014_2020_planned"),
        ("two.csv", 2, "EU co-financing", "invalid_amount", "75%", "esif_2014_2020_planned"),
    ]
    assert frame["source_line"].to_list() == [3, 4]


def test_quarantine_every_record_bad_leaves_an_empty_frame(tmp_path: Path):
    rows = [[*r[:15], "x", *r[16:]] for r in ROWS]
    frame, quarantine = read_esif_planned_with_quarantine(write_csv(tmp_path / "all.csv", HEADER, rows))
    assert frame.height == 0
    assert quarantine["line"].to_list() == [2, 3, 4]


def test_real_file_has_an_empty_quarantine(esif_path: Path, planned: pl.DataFrame):
    frame, quarantine = read_esif_planned_with_quarantine(esif_path)
    assert quarantine.height == 0
    assert quarantine.schema == QUARANTINE_SCHEMA
    assert_frame_equal(frame, planned)


def test_error_file_without_final_line_break_looks_truncated(tmp_path: Path):
    path = write_csv(tmp_path / "cut.csv", HEADER, ROWS)
    path.write_bytes(path.read_bytes()[:-4])  # cut inside the last record's co-financing rate "33.33"
    with pytest.raises(SourceFormatError, match="does not end with a line break") as info:
        read_esif_planned(path)
    assert_names(info.value, path, 4, f"char {len(path.read_text(encoding='utf-8').split(chr(10))[-1]) + 1}")


@pytest.mark.parametrize(
    ("cell", "column"),
    [
        ("1e5", "Total Amount"),  # exponent
        ("1.005", "National Amount"),  # a third decimal would be lost in Decimal(20, 2)
        ("1,000", "EU Amount"),  # thousands separator (quoted in the CSV)
        ("12.", "EU Amount"),
        (".5", "EU Amount"),
        ("--1", "EU Amount"),
        ("NaN", "Total Amount"),
        ("١٢", "EU Amount"),  # Arabic-Indic digits
        ("1 000", "EU co-financing"),
        ("1234567890123456789", "Total Amount"),  # 19 integer digits: does not fit Decimal(20, 2)
    ],
)
def test_quarantine_other_unparseable_amounts(tmp_path: Path, cell: str, column: str):
    rows = [list(r) for r in ROWS]
    rows[0][HEADER.index(column)] = cell  # line 2
    path = write_csv(tmp_path / "bad.csv", HEADER, rows)
    frame, quarantine = read_esif_planned_with_quarantine(path)
    assert quarantine.rows() == [("bad.csv", 2, column, "invalid_amount", cell, "esif_2014_2020_planned")]
    assert frame["source_line"].to_list() == [3, 4]


def test_error_blank_line_inside_data(tmp_path: Path):
    path = write_csv(tmp_path / "blank.csv", HEADER, ROWS)
    lines = path.read_text(encoding="utf-8").split("\n")
    path.write_text("\n".join([*lines[:2], "", *lines[2:]]), encoding="utf-8")
    with pytest.raises(SourceFormatError, match="blank line") as info:
        read_esif_planned(path)
    assert_names(info.value, path, 3, None)


def test_error_unterminated_quote(tmp_path: Path):
    path = write_csv(tmp_path / "quote.csv", HEADER, ROWS)
    path.write_text(path.read_text(encoding="utf-8") + 'FR,"unterminated\n', encoding="utf-8")
    with pytest.raises(SourceFormatError, match="not valid CSV") as info:
        read_esif_planned(path)
    assert path.name in str(info.value)
    assert info.value.line is not None and info.value.line >= 5


def test_error_invalid_utf8_names_line(tmp_path: Path):
    path = write_csv(tmp_path / "latin1.csv", HEADER, ROWS)
    path.write_bytes(path.read_bytes().replace("Pyrénées".encode(), "Pyrénées".encode("latin-1")))
    with pytest.raises(SourceFormatError, match="not valid UTF-8") as info:
        read_esif_planned(path)
    # The column is the character position in the line: 'FR,France,2014FR06RDRP073,10,Midi-Pyr' then the bad byte.
    assert_names(info.value, path, 2, f"char {len('FR,France,2014FR06RDRP073,10,Midi-Pyr') + 1}")


@pytest.mark.parametrize(("content", "match"), [(b"", "empty file"), (b"\n\n", "empty file")])
def test_error_empty_file(tmp_path: Path, content: bytes, match: str):
    path = tmp_path / "empty.csv"
    path.write_bytes(content)
    with pytest.raises(SourceFormatError, match=match) as info:
        read_esif_planned(path)
    assert_names(info.value, path, 1, None)


def test_error_header_only(tmp_path: Path):
    path = write_csv(tmp_path / "header.csv", HEADER, [])
    with pytest.raises(SourceFormatError, match="header but no data lines") as info:
        read_esif_planned(path)
    assert_names(info.value, path, 1, None)
