"""Tests for the Eurostat code-list readers (GEO / CITIES TSV exports and ``.dic`` dictionaries).

Expected counts and lines come from eurostat_codelists/PROVENANCE.md and were re-checked with wc/sed/cat -A.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from sources.codelists import read_code_list, read_dic
from sources.errors import SourceFormatError
from sources.eurostat import read_eurostat
from sources.registry import CODELISTS

CODELIST_DIR = "eurostat_codelists"
HEADER = "CODE\tLabel - English\tLabel - French\tLabel - German\tStandard code\tNote (EN only)"


@pytest.fixture(scope="module")
def geo(raw_dir: Path) -> pl.DataFrame:
    return read_code_list(raw_dir / CODELIST_DIR / "ESTAT_GEO_25.3.tsv")


@pytest.fixture(scope="module")
def cities(raw_dir: Path) -> pl.DataFrame:
    return read_code_list(raw_dir / CODELIST_DIR / "ESTAT_CITIES.tsv")


def _label(frame: pl.DataFrame, code: str) -> tuple[str, str | None, int]:
    row = frame.filter(pl.col("code") == code)
    assert row.height == 1, code
    return row.select("label", "standard", "source_line").row(0)


def _write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


# ---------------------------------------------------------------------------------------------------------------------
# Real files
# ---------------------------------------------------------------------------------------------------------------------


def test_registry_code_lists_read(raw_dir):
    readers = {"codelist": read_code_list, "dic": read_dic}
    sizes = {source.name: readers[source.reader](source.path(raw_dir)).height for source in CODELISTS}
    assert sizes == {"geo_codes": 4286, "city_codes": 1803, "iccs_labels": 45}


def test_geo_code_list(geo):
    assert geo.columns == ["code", "label", "standard", "source_line"]
    assert geo.height == 4286
    assert geo["code"].is_unique().all()
    assert (geo["source_line"].min(), geo["source_line"].max()) == (2, 4287)
    assert dict(geo.group_by("standard").len().iter_rows()) == {"Y": 2952, "O": 1197, "N": 98, "M": 39}
    assert _label(geo, "EU27_2020") == ("European Union - 27 countries (from 2020)", "Y", 8)
    assert _label(geo, "DE") == ("Germany", "Y", 269)
    assert _label(geo, "AT") == ("Austria", "Y", 1991)
    assert _label(geo, "UKC-L") == ("England and Wales", "O", 2809)
    assert _label(geo, "TR715") == ("Kırşehir", "Y", 3398)  # UTF-8 decoded, not mojibake
    assert not geo["label"].str.contains("\t").any()


def test_cities_code_list_with_space_padded_rows(cities, raw_dir):
    raw_lines = (raw_dir / CODELIST_DIR / "ESTAT_CITIES.tsv").read_text(encoding="utf-8").split("\n")
    # The quirk is really there: lines 1101-1102 use runs of spaces instead of tabs for the first columns.
    assert raw_lines[1100].startswith("NL025C  's-Hertogenbosch    ")
    assert raw_lines[1101].startswith("NL025F  's-Hertogenbosch    ")
    assert cities.height == 1803
    assert cities["code"].is_unique().all()
    assert (cities["source_line"].min(), cities["source_line"].max()) == (2, 1804)
    assert _label(cities, "NL024C") == ("Hengelo", "Y", 1100)
    assert _label(cities, "NL025C") == ("'s-Hertogenbosch", "Y", 1101)
    assert _label(cities, "NL025F") == ("'s-Hertogenbosch", "Y", 1102)
    assert _label(cities, "NL026C") == ("Hilversum", "Y", 1103)
    assert _label(cities, "AT001C") == ("Wien (greater city)", "Y", 1143)
    assert dict(cities.group_by("standard").len().iter_rows()) == {"Y": 1799, "O": 4}
    # No code or label may carry padding from the quirky rows.
    assert not cities["code"].str.contains(" ").any()
    assert (cities["label"] == cities["label"].str.strip_chars()).all()


def test_geo_codes_of_data_files_are_all_in_code_lists(geo, cities, raw_dir):
    geo_codes = set(geo["code"])
    for rel in ("eurostat_crime/estat_crim_off_cat.tsv", "eurostat_population/tps00001.tsv"):
        assert set(read_eurostat(raw_dir / rel).cells["geo"]) <= geo_codes, rel
    city_codes = set(cities["code"])
    assert set(read_eurostat(raw_dir / "eurostat_crime/estat_crim_hom_ocit.tsv").cells["cities"]) <= city_codes


# file -> (lines, CRLF?) per PROVENANCE.md
DICS = {
    "acl00.dic": (78, False),
    "hhtyp.dic": (46, False),
    "iccs.dic": (45, False),
    "incgrp.dic": (20, True),
    "indic_ur.dic": (731, False),
    "leg_stat.dic": (14, True),
    "pers_cat.dic": (14, False),
    "sex.dic": (7, True),
    "unit.dic": (709, False),
}


def test_dic_files_in_folder_are_the_documented_ones(raw_dir):
    assert sorted(p.name for p in (raw_dir / CODELIST_DIR).glob("*.dic")) == sorted(DICS)


@pytest.mark.parametrize("name", sorted(DICS))
def test_real_dic(name, raw_dir):
    n_lines, crlf = DICS[name]
    path = raw_dir / CODELIST_DIR / name
    assert (b"\r\n" in path.read_bytes()) is crlf
    dic = read_dic(path)
    assert dic.columns == ["code", "label", "source_line"]
    assert dic.height == n_lines
    assert dic["source_line"].to_list() == list(range(1, n_lines + 1))
    assert dic["code"].is_unique().all()
    assert not dic["label"].str.contains("\r").any()
    assert not dic["code"].str.contains("\r").any()
    assert (dic["label"].str.len_chars() > 0).all()


def test_sex_dic_crlf_labels(raw_dir):
    dic = read_dic(raw_dir / CODELIST_DIR / "sex.dic")
    assert dic.head(3).rows() == [("T", "Total", 1), ("M", "Males", 2), ("F", "Females", 3)]


def test_iccs_dic_labels_and_missing_newer_codes(raw_dir):
    dic = read_dic(raw_dir / CODELIST_DIR / "iccs.dic")
    labels = dict(zip(dic["code"], dic["label"], strict=True))
    assert labels["ICCS0101"] == "Intentional homicide"
    assert labels["TOTAL"] == "Total"
    # The dictionary predates the environmental-crime codes used in crim_off_cat (documented in PROVENANCE.md).
    used = set(read_eurostat(raw_dir / "eurostat_crime/estat_crim_off_cat.tsv").cells["iccs"])
    assert used - set(labels) == {"ICCS030221", "ICCS1001", "ICCS1002", "ICCS1003", "ICCS1004"}


def test_indic_ur_dic_labels_safety_items(raw_dir):
    dic = read_dic(raw_dir / CODELIST_DIR / "indic_ur.dic")
    row = dic.filter(pl.col("code") == "PS3290V").row(0)
    assert row == ("PS3290V", "You feel safe in this city: strongly agree", 489)


# ---------------------------------------------------------------------------------------------------------------------
# Crafted files
# ---------------------------------------------------------------------------------------------------------------------


def test_code_list_lf_crlf_and_bom_give_identical_frames(tmp_path):
    lines = [HEADER, "AT\tAustria\tAutriche\tÖsterreich\tY\t", "BE\tBelgium\tBelgique\tBelgien\tY\tnote"]
    lf = read_code_list(_write(tmp_path, "lf.tsv", "\n".join(lines) + "\n"))
    crlf = read_code_list(_write(tmp_path, "crlf.tsv", "\r\n".join(lines) + "\r\n"))
    bom = read_code_list(_write(tmp_path, "bom.tsv", b"\xef\xbb\xbf" + ("\n".join(lines)).encode()))
    assert lf.rows() == [("AT", "Austria", "Y", 2), ("BE", "Belgium", "Y", 3)]
    assert_frame_equal(lf, crlf)
    assert_frame_equal(lf, bom)


def test_code_list_short_rows_and_no_standard_column(tmp_path):
    # Trailing empty columns may be cut off; without a "Standard code" column, standard is null.
    path = _write(tmp_path, "short.tsv", "CODE\tLabel - English\tLabel - French\nAT\tAustria\nBE\tBelgium\tBelgique\n")
    frame = read_code_list(path)
    assert frame.rows() == [("AT", "Austria", None, 2), ("BE", "Belgium", None, 3)]


def test_code_list_space_padded_row(tmp_path):
    content = (
        HEADER + "\n"
        "NL024C\tHengelo\tHengelo\tHengelo\tY\t\n"
        "NL025C  's-Hertogenbosch    's-Hertogenbosch    's-Hertogenbosch\tY\n"
    )
    frame = read_code_list(_write(tmp_path, "cities.tsv", content))
    assert frame.rows() == [("NL024C", "Hengelo", "Y", 2), ("NL025C", "'s-Hertogenbosch", "Y", 3)]


def test_dic_lf_and_crlf_give_identical_frames(tmp_path):
    lines = ["T\tTotal", "M\tMales", "F\tFemales"]
    lf = read_dic(_write(tmp_path, "lf.dic", "\n".join(lines) + "\n"))
    crlf = read_dic(_write(tmp_path, "crlf.dic", "\r\n".join(lines) + "\r\n"))
    no_final_eol = read_dic(_write(tmp_path, "noeol.dic", "\r\n".join(lines)))
    assert lf.rows() == [("T", "Total", 1), ("M", "Males", 2), ("F", "Females", 3)]
    assert_frame_equal(lf, crlf)
    assert_frame_equal(lf, no_final_eol)


def test_dic_label_may_contain_tabs_after_the_first(tmp_path):
    frame = read_dic(_write(tmp_path, "x.dic", "A\tfirst\tpart\n"))
    assert frame.rows() == [("A", "first\tpart", 1)]


# ---------------------------------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------------------------------


def _assert_error(exc: pytest.ExceptionInfo[SourceFormatError], path: Path, line: int, column: str | None = None):
    err = exc.value
    assert err.path == str(path)
    assert err.line == line
    assert err.column == column
    assert path.name in str(err)
    assert f"line {line}" in str(err)


def test_error_code_list_duplicate_code(tmp_path):
    path = _write(tmp_path, "dup.tsv", f"{HEADER}\nAT\tAustria\nBE\tBelgium\nAT\tAustria again\n")
    with pytest.raises(SourceFormatError, match="'AT' repeats line 2") as exc:
        read_code_list(path)
    _assert_error(exc, path, 4, "CODE")


@pytest.mark.parametrize(
    "header",
    ["code\tLabel - English", "CODE\tLabel", "Label - English\tCODE", "CODE Label - English", "AT\tAustria"],
)
def test_error_code_list_bad_header(tmp_path, header):
    path = _write(tmp_path, "bad.tsv", f"{header}\nAT\tAustria\n")
    with pytest.raises(SourceFormatError, match="header must start with") as exc:
        read_code_list(path)
    _assert_error(exc, path, 1)


def test_error_code_list_too_many_fields(tmp_path):
    path = _write(tmp_path, "wide.tsv", "CODE\tLabel - English\nAT\tAustria\nBE\tBelgium\textra\n")
    with pytest.raises(SourceFormatError, match="expected 2 fields, found 3") as exc:
        read_code_list(path)
    _assert_error(exc, path, 3)


def test_error_code_list_row_without_label_column(tmp_path):
    path = _write(tmp_path, "narrow.tsv", "CODE\tLabel - English\nAT\tAustria\nBE\n")
    with pytest.raises(SourceFormatError, match="found 1") as exc:
        read_code_list(path)
    _assert_error(exc, path, 3)


def test_error_code_list_empty_code(tmp_path):
    path = _write(tmp_path, "nocode.tsv", "CODE\tLabel - English\nAT\tAustria\n \tNobody\n")
    with pytest.raises(SourceFormatError, match="empty code") as exc:
        read_code_list(path)
    _assert_error(exc, path, 3, "CODE")


@pytest.mark.parametrize("reader", [read_code_list, read_dic])
def test_error_empty_files(tmp_path, reader):
    path = _write(tmp_path, "empty.txt", "\n \r\n")
    with pytest.raises(SourceFormatError, match="empty file") as exc:
        reader(path)
    _assert_error(exc, path, 1)


@pytest.mark.parametrize("reader", [read_code_list, read_dic])
def test_error_invalid_utf8_line(tmp_path, reader):
    path = _write(tmp_path, "latin1.txt", b"CODE\tLabel - English\nAT\tAustria\nDE\tK\xf6ln\n")
    with pytest.raises(SourceFormatError, match="not valid UTF-8") as exc:
        reader(path)
    _assert_error(exc, path, 3, "char 5")  # "DE<TAB>K" is 4 characters: the bad byte is the 5th


@pytest.mark.parametrize(
    ("content", "line"),
    [
        ("T\tTotal\nM Males\n", 2),  # space instead of tab
        ("T\tTotal\nM\tMales\n\nF\tFemales\n", 3),  # blank line inside
        ("\tno code\n", 1),
    ],
)
def test_error_dic_line_without_code_tab_label(tmp_path, content, line):
    path = _write(tmp_path, "bad.dic", content)
    with pytest.raises(SourceFormatError, match="CODE<TAB>label") as exc:
        read_dic(path)
    _assert_error(exc, path, line)


def test_error_dic_repeated_code_names_both_lines(tmp_path):
    path = tmp_path / "x.dic"
    path.write_bytes(b"T\tTotal\nM\tMales\nT\tTotal again\n")
    with pytest.raises(SourceFormatError, match="code 'T' repeats line 1") as exc:
        read_dic(path)
    assert exc.value.line == 3
    assert path.name in str(exc.value)
