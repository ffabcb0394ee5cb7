"""Tests for the LAU 2019 <-> NUTS 2016 reader (sources/lau.py).

Facts about the real file come from eurostat_lau/PROVENANCE.md and were re-checked on the raw bytes with zcat,
grep and Python's csv module (never with the reader under test). Crafted edge cases are small files in tmp_path.
"""

from __future__ import annotations

import csv
import gzip
import io
from pathlib import Path

import polars as pl
import pytest

from sources.config import BUNDLED_DATA_DIR
from sources.errors import SourceFormatError
from sources.eurostat import file_sha256
from sources.lau import LAU_COLUMNS, LAU_RELPATH, LAU_SCHEMA, read_lau, read_lau_with_quarantine
from sources.quarantine import QUARANTINE_SCHEMA

HEADER = list(LAU_COLUMNS)
SHA256 = "366e25250c828c6a7b89933c70f1659c0c4c475b7e409cf682424322eea87d46"  # PROVENANCE.md
# Line 2 of the real file (zcat | sed -n 2p): Anderlecht, a Brussels commune with only a greater-city code.
ANDERLECHT = (
    "BE100,21001,Anderlecht,Anderlecht,False,119714.0,17744118.0,1.0,False,no,False,,False,,BE001K1,False,"
    "Bruxelles / Brussel (greater city),BE001L3,False,Bruxelles/Brussel/Leuven,BE,BE_21001"
)


@pytest.fixture(scope="module")
def lau_path(raw_dir: Path) -> Path:
    return raw_dir / LAU_RELPATH


@pytest.fixture(scope="module")
def bundled(raw_dir: Path) -> bool:
    return raw_dir.resolve() == BUNDLED_DATA_DIR.resolve()


@pytest.fixture(scope="module")
def read(lau_path: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    return read_lau_with_quarantine(lau_path)


@pytest.fixture(scope="module")
def raw_records(lau_path: Path) -> list[list[str]]:
    """The file's records with gzip and the csv module alone (the independent reference)."""
    with gzip.open(lau_path, "rt", encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


def write(tmp_path: Path, lines: list[str], name: str = "lau.csv", compress: bool = False) -> Path:
    path = tmp_path / name
    data = ("\n".join(lines) + "\n").encode()
    path.write_bytes(gzip.compress(data) if compress else data)
    return path


def row(**cells: str) -> str:
    """The Anderlecht line with some cells replaced (by column name)."""
    values = dict(zip(HEADER, next(csv.reader([ANDERLECHT])), strict=True))
    values.update(cells)
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow([values[c] for c in HEADER])
    return out.getvalue()


# ------------------------------------------------------------------------------------------------ the real file


def test_real_file_is_the_documented_copy(lau_path: Path, bundled: bool) -> None:
    if not bundled:
        pytest.skip("checksum documented for the bundled copy only")
    assert file_sha256(lau_path.read_bytes()) == SHA256


def test_real_file_shape_and_types(read: tuple[pl.DataFrame, pl.DataFrame], raw_records, bundled: bool) -> None:
    frame, quarantine = read
    assert dict(frame.schema) == LAU_SCHEMA
    assert quarantine.is_empty() and dict(quarantine.schema) == QUARANTINE_SCHEMA
    assert frame.height == len(raw_records) - 1
    if bundled:
        assert frame.height == 99_140  # PROVENANCE.md: 99,140 rows x 22 columns
    assert raw_records[0] == HEADER
    assert frame["source_line"].to_list()[:2] == [2, 3]


def test_real_file_missing_populations_as_documented(read, raw_records, bundled: bool) -> None:
    frame, _ = read
    # Independent count: empty population cells with the csv module.
    col = HEADER.index("population")
    assert frame["population"].null_count() == sum(1 for r in raw_records[1:] if r[col] == "")
    if not bundled:
        return
    assert frame["population"].null_count() == 35_592
    missing = frame.filter(pl.col("population").is_null()).group_by("country").len()
    assert dict(missing.iter_rows()) == {"FR": 34_970, "CY": 615, "MK": 7}
    assert frame.filter(pl.col("country") == "FR")["lau_name_latin"].null_count() == 34_970


def test_real_spot_rows(read, bundled: bool) -> None:
    if not bundled:
        pytest.skip("spot values of the bundled release")
    frame, _ = read
    anderlecht = frame.filter(pl.col("gisco_id") == "BE_21001").row(0, named=True)
    assert anderlecht["code_2016"] == "BE100" and anderlecht["population"] == 119_714.0
    assert anderlecht["city_id"] is None and anderlecht["greater_city_id"] == "BE001K1"
    assert anderlecht["degurba"] == 1 and anderlecht["name_change_last_year"] is False
    assert anderlecht["source_line"] == 2
    koeln = frame.filter(pl.col("city_id") == "DE004C1")
    assert koeln["code_2016"].unique().to_list() == ["DEA23"] and koeln.height == 1
    # The Hungarian fua_id codes end in a no-break space in the file; the reader strips it.
    assert frame.filter(pl.col("fua_id").str.contains("\xa0")).is_empty()
    assert set(frame["coastal_area"].drop_nulls()) == {"yes", "no"}


def test_real_codes_keep_the_gisco_version_digit(read, bundled: bool) -> None:
    if not bundled:
        pytest.skip("facts of the bundled release")
    frame, _ = read
    assert frame["city_id"].drop_nulls().n_unique() == 929  # PROVENANCE.md: 929 cities
    paris = frame.filter(pl.col("greater_city_id") == "FR001C1")
    assert paris["city_id"].drop_nulls().unique().to_list() == ["FR001P1"]


# ------------------------------------------------------------------------------------------------ crafted files


def test_crafted_gzip_and_plain_read_the_same(tmp_path: Path) -> None:
    lines = [",".join(HEADER), ANDERLECHT]
    plain = read_lau(write(tmp_path, lines))
    packed = read_lau(write(tmp_path, lines, "lau.csv.gz", compress=True))
    assert plain.equals(packed) and plain.height == 1


def test_crafted_columns_in_another_order_are_read_by_name(tmp_path: Path) -> None:
    reordered = HEADER[::-1]
    values = dict(zip(HEADER, next(csv.reader([ANDERLECHT])), strict=True))
    frame = read_lau(write(tmp_path, [",".join(reordered), ",".join(values[c] for c in reordered)]))
    assert frame.row(0, named=True)["population"] == 119_714.0


def test_crafted_empty_population_is_missing_not_zero(tmp_path: Path) -> None:
    frame = read_lau(write(tmp_path, [",".join(HEADER), row(population="")]))
    assert frame["population"].to_list() == [None]


@pytest.mark.parametrize(
    ("column", "cell", "reason"),
    [
        ("population", "12x4", "unparseable_value"),
        ("population", "-5.0", "negative_count"),
        ("total_area_m2", "1,5", "unparseable_value"),
        ("degurba", "4.0", "unparseable_value"),
        ("name_change_last_year", "maybe", "unparseable_value"),
        ("coastal_area", "sometimes", "unparseable_value"),
        ("code_2016", "DE1234", "unknown_code"),
        ("code_2016", "DEA23", "unknown_code"),  # another country's region for a BE row
        ("city_id", "Köln", "unknown_code"),
        ("country", "Belgium", "unknown_code"),
    ],
)
def test_quarantine_bad_cell_names_line_column_and_reason(tmp_path: Path, column: str, cell: str, reason: str) -> None:
    path = write(
        tmp_path, [",".join(HEADER), row(lau_code="1"), row(lau_code="2", **{column: cell}), row(lau_code="3")]
    )
    frame, quarantine = read_lau_with_quarantine(path)
    assert frame["lau_code"].to_list() == ["1", "3"]  # the rest of the file is used
    assert quarantine.rows() == [(path.name, 3, column, reason, cell.strip(), "nuts_lau_2019")]


def test_quarantine_repeated_lau_code_keeps_the_first(tmp_path: Path) -> None:
    path = write(tmp_path, [",".join(HEADER), row(population="1.0"), row(population="2.0")])
    frame, quarantine = read_lau_with_quarantine(path)
    assert frame["population"].to_list() == [1.0]
    assert quarantine.select("line", "column", "reason", "value_raw").rows() == [
        (3, "lau_code", "duplicate_key", "BE/21001")
    ]


@pytest.mark.parametrize(
    ("header", "column"),
    [
        ([c for c in HEADER if c != "population"], "population"),
        ([("pop" if c == "population" else c) for c in HEADER], "population"),
        ([*HEADER, "extra"], "extra"),
        ([*HEADER, "city_id"], "city_id"),
    ],
)
def test_error_header_names_the_column(tmp_path: Path, header: list[str], column: str) -> None:
    with pytest.raises(SourceFormatError, match=rf"line 1, column {column}") as err:
        read_lau(write(tmp_path, [",".join(header), ANDERLECHT]))
    assert err.value.line == 1 and err.value.column == column


def test_error_wrong_field_count_names_the_line(tmp_path: Path) -> None:
    short = ANDERLECHT.rsplit(",", 1)[0]
    with pytest.raises(SourceFormatError, match=r"line 3, column gisco_id: expected 22"):
        read_lau(write(tmp_path, [",".join(HEADER), ANDERLECHT, short]))
    with pytest.raises(SourceFormatError, match=r"line 2, column 23"):
        read_lau(write(tmp_path, [",".join(HEADER), ANDERLECHT + ",x"]))


def test_error_truncated_gzip_names_where_it_stops(tmp_path: Path) -> None:
    data = gzip.compress(("\n".join([",".join(HEADER), *[ANDERLECHT] * 200]) + "\n").encode())
    path = tmp_path / "lau.csv.gz"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(SourceFormatError, match="truncated gzip stream"):
        read_lau(path)


def test_error_no_final_line_break_and_bad_utf8(tmp_path: Path) -> None:
    path = tmp_path / "cut.csv"
    path.write_text(",".join(HEADER) + "\n" + ANDERLECHT[:40], encoding="utf-8")
    with pytest.raises(SourceFormatError, match="line 2, column char 41: the last line"):
        read_lau(path)
    bad = tmp_path / "bad.csv"
    bad.write_bytes(
        (",".join(HEADER) + "\n").encode() + ANDERLECHT.encode().replace(b"Anderlecht", b"Ander\xfflecht", 1) + b"\n"
    )
    with pytest.raises(SourceFormatError, match=r"line 2, column char 18: not valid UTF-8"):
        read_lau(bad)


@pytest.mark.parametrize(("content", "match"), [(b"", "empty file"), (("\n".join(HEADER[:1]) + "\n").encode(), "")])
def test_error_empty_or_header_only(tmp_path: Path, content: bytes, match: str) -> None:
    path = tmp_path / "lau.csv"
    path.write_bytes(content or b"")
    with pytest.raises(SourceFormatError, match=match or "missing column"):
        read_lau(path)
    header_only = write(tmp_path, [",".join(HEADER)], "header.csv")
    with pytest.raises(SourceFormatError, match="header but no data lines"):
        read_lau(header_only)
