"""Tests for sources/quarantine.py: the schema, the frame helpers and the two pipeline helpers
(negative counts, unknown codes) on crafted cells and on the real files."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from sources.codelists import known_codes, read_code_list, read_dic
from sources.eurostat import read_eurostat, read_eurostat_tsv, read_jsonstat
from sources.quarantine import (
    DUPLICATE_KEY,
    INVALID_AMOUNT,
    NEGATIVE_COUNT,
    QUARANTINE_SCHEMA,
    REASONS,
    UNKNOWN_CODE,
    UNKNOWN_FLAG,
    UNPARSEABLE_VALUE,
    check_quarantine,
    concat_quarantine,
    count_by_reason,
    empty_quarantine,
    quarantine_frame,
    quarantine_negative_counts,
    quarantine_unknown_codes,
)
from sources.registry import CODELISTS, EUROSTAT_CRIME, EUROSTAT_POPULATION, EUROSTAT_SURVEY

HEADER = "freq,unit,geo\\TIME_PERIOD\t2020 \t2021 "


def _tsv(tmp_path: Path, *lines: str, name: str = "estat_x.tsv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_schema_and_reason_codes():
    assert QUARANTINE_SCHEMA == {
        "source_file": pl.String,
        "line": pl.Int64,
        "column": pl.String,
        "reason": pl.String,
        "value_raw": pl.String,
        "dataset": pl.String,
    }
    assert REASONS == (
        "unparseable_value",
        "unknown_flag",
        "duplicate_key",
        "unknown_code",
        "negative_count",
        "invalid_amount",
        "wrong_period",
        "missing_value",
    )
    assert (UNPARSEABLE_VALUE, UNKNOWN_FLAG, DUPLICATE_KEY, UNKNOWN_CODE, NEGATIVE_COUNT, INVALID_AMOUNT) == REASONS[:6]
    assert empty_quarantine().schema == QUARANTINE_SCHEMA
    assert empty_quarantine().height == 0


def test_quarantine_frame_from_mappings_and_tuples():
    frame = quarantine_frame(
        [
            {"line": 3, "column": "2020", "reason": UNPARSEABLE_VALUE, "value_raw": "x"},
            ("other.tsv", 4, "2021", UNKNOWN_FLAG, "1 k", "other"),
        ],
        source_file="a.tsv",
        dataset="a",
    )
    assert frame.schema == QUARANTINE_SCHEMA
    assert frame.rows() == [
        ("a.tsv", 3, "2020", "unparseable_value", "x", "a"),
        ("other.tsv", 4, "2021", "unknown_flag", "1 k", "other"),
    ]
    assert count_by_reason(frame) == {"unparseable_value": 1, "unknown_flag": 1}
    assert quarantine_frame([]).schema == QUARANTINE_SCHEMA


@pytest.mark.parametrize(
    ("rows", "match"),
    [
        ([{"line": 1, "column": "c", "reason": "bad_reason", "value_raw": "x"}], "unknown quarantine reason"),
        ([{"line": 1, "column": "c", "reason": UNKNOWN_CODE, "value_raw": "x", "note": 1}], "unknown quarantine field"),
        ([("f", 1, "c", UNKNOWN_CODE)], "6 fields"),
        ([{"line": 1, "column": "c", "reason": UNKNOWN_CODE, "value_raw": "x"}], "'source_file' must not be null"),
    ],
)
def test_quarantine_frame_refuses_bad_rows(rows, match):
    kwargs = {} if "null" in match else {"source_file": "f", "dataset": "d"}
    with pytest.raises(ValueError, match=match):
        quarantine_frame(rows, **kwargs)


def test_concat_and_counts(tmp_path):
    a = read_eurostat_tsv(_tsv(tmp_path, HEADER, "A,NR,AT\tx \t2 ", "A,NR,AT\t1 \t2 ")).quarantine
    b = read_eurostat_tsv(_tsv(tmp_path, HEADER, "A,NR,AT\t1 q\ty ", name="estat_y.tsv")).quarantine
    both = concat_quarantine(a, b, empty_quarantine())
    assert both.height == 4
    assert both["source_file"].to_list() == ["estat_x.tsv", "estat_x.tsv", "estat_y.tsv", "estat_y.tsv"]
    assert count_by_reason(both) == {"unparseable_value": 2, "unknown_flag": 1, "duplicate_key": 1}
    assert concat_quarantine().schema == QUARANTINE_SCHEMA
    with pytest.raises(ValueError, match="schema"):
        concat_quarantine(a.drop("dataset"))
    check_quarantine(both)


# ---------------------------------------------------------------------------------------------------------------------
# quarantine_negative_counts
# ---------------------------------------------------------------------------------------------------------------------


def test_negative_counts_tsv_only_count_units(tmp_path):
    path = _tsv(tmp_path, HEADER, "A,NR,AT\t-3 \t2 ", "A,P_HTHAB,AT\t-0.5 \t: ", "A,NR,BE\t: \t-1 p")
    table = read_eurostat_tsv(path, "x")
    assert table.quarantine.height == 0  # not a reader concern
    kept, quarantined = quarantine_negative_counts(table.cells, "x", source_file=table.source_file)
    assert quarantined.schema == QUARANTINE_SCHEMA
    assert quarantined.rows() == [
        ("estat_x.tsv", 2, "2020", "negative_count", "-3", "x"),
        ("estat_x.tsv", 4, "2021", "negative_count", "-1 p", "x"),
    ]
    assert kept.height == table.cells.height - 2
    assert kept.filter(pl.col("unit") == "P_HTHAB")["value"].to_list()[0] == -0.5  # a rate may be negative
    assert kept["value"].null_count() == table.cells["value"].null_count()  # missing is never negative


def test_negative_counts_source_file_from_the_cells_column(tmp_path):
    table = read_eurostat_tsv(_tsv(tmp_path, HEADER, "A,NR,AT\t-3 \t2 "))
    raw = table.cells.with_columns(pl.lit("from_column.tsv").alias("source_file"))
    kept, quarantined = quarantine_negative_counts(raw, "x")
    assert quarantined["source_file"].to_list() == ["from_column.tsv"]
    assert kept.columns == raw.columns
    with pytest.raises(ValueError, match="source_file"):
        quarantine_negative_counts(table.cells, "x")


def test_negative_counts_without_unit_dimension_and_custom_units(tmp_path):
    path = _tsv(tmp_path, "indic_de,geo\\time\t2019 ", "JAN,AD\t-5 ", "JAN,AL\t7 ", name="tps.tsv")
    cells = read_eurostat_tsv(path).cells
    with pytest.raises(ValueError, match="no column 'unit'"):
        quarantine_negative_counts(cells, "tps", source_file="tps.tsv")
    kept, quarantined = quarantine_negative_counts(cells, "tps", unit_column=None, source_file="tps.tsv")
    assert quarantined.rows() == [("tps.tsv", 2, "2019", "negative_count", "-5", "tps")]
    assert kept["geo"].to_list() == ["AL"]
    cells2 = read_eurostat_tsv(_tsv(tmp_path, HEADER, "A,THS,AT\t-3 \t2 ", name="b.tsv")).cells
    assert quarantine_negative_counts(cells2, "b", source_file="b.tsv")[1].height == 0
    assert quarantine_negative_counts(cells2, "b", count_units={"THS"}, source_file="b.tsv")[1].height == 1


def test_negative_counts_jsonstat(tmp_path):
    doc = {
        "class": "dataset",
        "id": ["unit", "geo", "time"],
        "size": [1, 2, 2],
        "dimension": {
            "unit": {"category": {"index": ["NR"]}},
            "geo": {"category": {"index": ["AT", "BE"]}},
            "time": {"category": {"index": ["2020", "2021"]}},
        },
        "value": {"0": 5, "1": -2, "3": 0},
    }
    path = tmp_path / "j.json"
    path.write_text(json.dumps(doc))
    table = read_jsonstat(path, "j")
    kept, quarantined = quarantine_negative_counts(table.cells, "j", source_file=table.source_file)
    assert quarantined.rows() == [("j.json", 1, "value[1]", "negative_count", "-2.0", "j")]
    assert kept["source_index"].to_list() == [0, 3]  # zero is a count, not a problem


# ---------------------------------------------------------------------------------------------------------------------
# quarantine_unknown_codes
# ---------------------------------------------------------------------------------------------------------------------


def test_unknown_codes_tsv_one_row_per_line(tmp_path):
    path = _tsv(tmp_path, HEADER, "A,NR,AT\t1 \t2 ", "A,NR,XX9\t3 \t: ", "A,P_HTHAB,XX9\t4 \t5 ", "A,NR,ZZ\t6 \t7 ")
    table = read_eurostat_tsv(path, "x")
    kept, quarantined = quarantine_unknown_codes(table.cells, "geo", {"AT", "BE"}, "x", table.source_file)
    assert quarantined.schema == QUARANTINE_SCHEMA
    assert quarantined.rows() == [
        ("estat_x.tsv", 3, "geo", "unknown_code", "XX9", "x"),
        ("estat_x.tsv", 4, "geo", "unknown_code", "XX9", "x"),
        ("estat_x.tsv", 5, "geo", "unknown_code", "ZZ", "x"),
    ]
    assert_frame_equal(kept, table.cells.filter(pl.col("geo") == "AT"))
    assert table.cells.height - kept.height == 6  # the cells left out: every cell of the three lines


def test_unknown_codes_jsonstat_one_row_per_code(tmp_path):
    doc = {
        "class": "dataset",
        "id": ["geo", "time"],
        "size": [3, 2],
        "dimension": {
            "geo": {"category": {"index": ["AT", "QQ", "BE"]}},
            "time": {"category": {"index": ["2020", "2021"]}},
        },
        "value": [1, 2, 3, 4, 5, 6],
    }
    path = tmp_path / "j.json"
    path.write_text(json.dumps(doc))
    table = read_jsonstat(path, "j")
    kept, quarantined = quarantine_unknown_codes(table.cells, "geo", {"AT", "BE"}, "j", "j.json")
    assert quarantined.rows() == [("j.json", 1, "dimension.geo", "unknown_code", "QQ", "j")]
    assert kept["source_index"].to_list() == [0, 1, 4, 5]


def test_unknown_codes_needs_a_known_column(tmp_path):
    cells = read_eurostat_tsv(_tsv(tmp_path, HEADER, "A,NR,AT\t1 \t2 ")).cells
    with pytest.raises(ValueError, match="no column 'cities'"):
        quarantine_unknown_codes(cells, "cities", set(), "x", "x.tsv")


@pytest.fixture(scope="module")
def geo_and_city_codes(raw_dir: Path) -> set[str]:
    lists = [read_code_list(s.path(raw_dir)) for s in CODELISTS if s.reader == "codelist"]
    return known_codes(*lists)


@pytest.mark.parametrize("source", EUROSTAT_CRIME + EUROSTAT_POPULATION + EUROSTAT_SURVEY, ids=lambda s: s.name)
def test_real_files_have_no_unknown_geo_codes_and_no_negative_counts(source, raw_dir, geo_and_city_codes):
    # What the pipeline will call: on the bundled files both helpers must keep every cell.
    table = read_eurostat(source.path(raw_dir), source.name)
    kept, quarantined = quarantine_unknown_codes(
        table.cells, table.geo_dimension, geo_and_city_codes, table.dataset, table.source_file
    )
    assert quarantined.height == 0
    assert kept.height == table.cells.height
    unit = "unit" if "unit" in table.cells.columns else None
    kept, quarantined = quarantine_negative_counts(table.cells, table.dataset, unit, source_file=table.source_file)
    assert quarantined.height == 0
    assert kept.height == table.cells.height


def test_iccs_codes_missing_from_iccs_dic_are_legitimate(raw_dir):
    # Documented in PROVENANCE.md: iccs.dic predates five codes crim_off_cat uses. Checking ICCS against it would
    # quarantine real data, which is why the helper is for geographic codes only.
    table = read_eurostat(raw_dir / "eurostat_crime/estat_crim_off_cat.tsv", "crim_off_cat")
    iccs = known_codes(read_dic(raw_dir / "eurostat_codelists/iccs.dic"))
    _, quarantined = quarantine_unknown_codes(table.cells, "iccs", iccs, "crim_off_cat", table.source_file)
    assert set(quarantined["value_raw"]) == {"ICCS030221", "ICCS1001", "ICCS1002", "ICCS1003", "ICCS1004"}


def test_known_codes_unions_code_lists(tmp_path):
    a = tmp_path / "a.tsv"
    a.write_text("CODE\tLabel - English\nAT\tAustria\nBE\tBelgium\n", encoding="utf-8")
    b = tmp_path / "b.dic"
    b.write_text("AT001C\tWien\n", encoding="utf-8")
    assert known_codes(read_code_list(a), read_dic(b)) == {"AT", "BE", "AT001C"}
    assert known_codes() == set()
