"""Readers of the Action 5 registers: the example registers, every kind of bad row, every kind of bad file.

City codes come from the real Eurostat CITIES code list and programme CCIs from the real ESIF 2014-2020
planned-finance file, so the checks run against the same reference lists the pipeline uses.
"""

from __future__ import annotations

import csv
import hashlib
import re
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from sources.codelists import read_code_list
from sources.config import PROJECT_ROOT
from sources.errors import SourceFormatError
from sources.registers import (
    COLLECTIVE_IMPACT_COLUMNS,
    PREVENTION_COLUMNS,
    RegisterError,
    read_collective_impact_register,
    read_prevention_register,
)
from warehouse.catalogue import CATALOGUE_BY_ID

EXAMPLE_DIR = PROJECT_ROOT / "data" / "registers" / "example"
TEMPLATE_DIR = PROJECT_ROOT / "templates" / "registers"
ESIF_FILE = "cohesion_esif/ESIF_2014-2020_FINANCES_PLANNED_DETAILS_190411.csv"
PP_HEADER = ",".join(PREVENTION_COLUMNS)
CI_HEADER = ",".join(COLLECTIVE_IMPACT_COLUMNS)


@pytest.fixture(scope="module")
def cities(raw_dir: Path) -> set[str]:
    return set(read_code_list(raw_dir / "eurostat_codelists" / "ESTAT_CITIES.tsv")["code"])


@pytest.fixture(scope="module")
def programmes(raw_dir: Path) -> set[str]:
    with (raw_dir / ESIF_FILE).open(encoding="utf-8", newline="") as f:
        return {row["CCI"] for row in csv.DictReader(f)}


@pytest.fixture(scope="module")
def indicator_ids() -> set[str]:
    return set(CATALOGUE_BY_ID)


def _write(tmp_path: Path, content: str | bytes, name: str = "prevention_pyramid.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def _where(errors: list[RegisterError]) -> list[tuple[int, str]]:
    return [(e.line, e.column) for e in errors]


# ---------------------------------------------------------------------------------------------------------------------
# Templates and example registers
# ---------------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "header"), [("prevention_pyramid.csv", PP_HEADER), ("collective_impact.csv", CI_HEADER)]
)
def test_templates_hold_exactly_the_header(name, header):
    assert (TEMPLATE_DIR / name).read_text(encoding="utf-8") == header + "\n"


def test_templates_read_as_empty_registers(cities, indicator_ids):
    pp = read_prevention_register(TEMPLATE_DIR / "prevention_pyramid.csv", known_cities=cities)
    ci = read_collective_impact_register(
        TEMPLATE_DIR / "collective_impact.csv", known_cities=cities, known_indicator_ids=indicator_ids
    )
    assert (pp.rows.height, pp.errors, ci.rows.height, ci.errors) == (0, [], 0, [])
    assert pp.rows.columns == [*PREVENTION_COLUMNS, "source_file", "source_line", "source_version"]


def test_example_folder_says_the_data_is_invented():
    readme = (EXAMPLE_DIR / "README.md").read_text(encoding="utf-8")
    assert "invented" in readme
    assert "not any city's real measures" in readme
    assert EXAMPLE_DIR.name == "example"


def test_example_prevention_register_reads_without_errors(cities, programmes):
    path = EXAMPLE_DIR / "prevention_pyramid.csv"
    result = read_prevention_register(path, known_cities=cities, known_programmes=programmes)
    assert result.errors == []
    assert result.accepted
    rows = result.rows
    assert rows.height == 22
    assert sorted(rows["city_code"].unique()) == ["BE012C", "ES001C", "LV001C"]
    assert rows["source_line"].to_list() == list(range(2, 24))
    assert rows["currency"].drop_nulls().unique().to_list() == ["EUR"]
    # An empty budget is unknown: NULL, never 0.
    unknown = rows.filter(pl.col("annual_budget").is_null())
    assert unknown["measure_id"].to_list() == ["MAD-05"]
    assert unknown["currency"].to_list() == [None]
    assert rows.schema["annual_budget"] == pl.Float64
    assert rows.schema["start_date"] == pl.Date
    assert rows.filter(pl.col("measure_id") == "MEC-02").row(0, named=True)["end_date"] == date(2020, 12, 31)
    sha = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    assert result.source_version == f"prevention_pyramid.csv@sha256:{sha}"
    assert rows["source_version"].unique().to_list() == [result.source_version]
    assert rows["source_file"].unique().to_list() == ["prevention_pyramid.csv"]


def test_example_collective_impact_register_reads_without_errors(cities, indicator_ids):
    result = read_collective_impact_register(
        EXAMPLE_DIR / "collective_impact.csv", known_cities=cities, known_indicator_ids=indicator_ids
    )
    assert result.errors == []
    assert result.rows["initiative_id"].to_list() == ["MEC-CI-01", "MEC-CI-02", "MAD-CI-01", "RIG-CI-01"]
    first = result.rows.row(0, named=True)
    assert first["initiative_name"] == "Nightlife safety partnership (city, police, bar owners, youth work)"
    assert first["shared_indicator_ids"] == ["SEC_RECORDED_RATE", "PP_BALANCE"]
    assert (first["common_agenda"], first["backbone_support"]) == (2, 1)
    assert result.rows.filter(pl.col("initiative_id") == "RIG-CI-01")["shared_indicator_ids"].to_list() == [[]]


def test_example_city_codes_are_the_real_cities(raw_dir):
    labels = dict(read_code_list(raw_dir / "eurostat_codelists" / "ESTAT_CITIES.tsv").select("code", "label").rows())
    assert labels["BE012C"] == "Mechelen"
    assert labels["ES001C"].startswith("Madrid")
    assert labels["LV001C"] == "Rīga"


# ---------------------------------------------------------------------------------------------------------------------
# Row errors: all collected, register rejected
# ---------------------------------------------------------------------------------------------------------------------

BAD_PREVENTION = f"""{PP_HEADER}
BE012C,M-01,Youth work,2019,1,community,young people,100000,EUR,ERDF Flanders,2014BE16RFOP002,2015-01-01,
BE012C,M-02,Street lighting,2019,5,situational,,20000,EUR,,,2018-01-01,
BE012C,M-03,CCTV,2019,3,prevention,,-1500,EUR,,,2016-01-01,
BE012C,M-01,Victim support,2019,4,victim,,30000,EUR,,,2012-01-01,
XX999C,M-05,Stewards,2019,3,situational,,"12,5",EUR,,,2014-01-01,
BE012F,M-06,Outreach,2019,3,offender,,4000,,,,2014-01-01,
BE012C,M-07,Mediation,19,4,offender,,5000,eur,,2014BE16RFOP009,01/03/2019,
BE012C,M-08,Anti-poverty,2019,2,community,,6000,SEK,,2014BE16RFOP01,2019-03-01,2019-01-01
BE012C,M-09,School project,2019,2,offender,,,,,,2021-01-01,
BE012C,,,2019,,,,,,,,,2018-06-30
BE012C,M-11,Sport,2019,1,community,,1 200,EUR,,,2019-02-30,
"""

EXPECTED_PREVENTION_ERRORS = [
    (3, "pyramid_level", "5 is not a pyramid level (1-4)"),
    (4, "orientation", "'prevention' is not an orientation (situational, offender, victim, community)"),
    (4, "annual_budget", "-1500 is negative"),
    (5, "measure_id", "measure 'M-01' of BE012C 2019 is also on line 2 (lines 2 and 5)"),
    (6, "city_code", "'XX999C' is not an Urban Audit city code"),
    (6, "annual_budget", "'12,5' is not an amount"),
    (7, "city_code", "'BE012F' is not a city"),
    (7, "currency", "a budget needs its currency"),
    (8, "reference_year", "'19' is not a reference year"),
    (8, "currency", "'eur' is not an ISO 4217 currency code"),
    (8, "esif_cci", "'2014BE16RFOP009' is not a programme of the ESIF 2014-2020 planned-finance data"),
    (8, "start_date", "'01/03/2019' is not a date (YYYY-MM-DD)"),
    (9, "currency", "SEK differs from EUR on line 2 for BE012C 2019"),
    (9, "esif_cci", "'2014BE16RFOP01' is not an ESIF programme CCI"),
    (9, "end_date", "end 2019-01-01 is before start 2019-03-01"),
    (10, "start_date", "the measure starts on 2021-01-01, after reference year 2019"),
    (11, "measure_id", "measure_id is required"),
    (11, "measure_name", "measure_name is required"),
    (11, "pyramid_level", "pyramid_level is required (1-4)"),
    (11, "orientation", "orientation is required"),
    (11, "start_date", "start_date is required (YYYY-MM-DD)"),
    (11, "end_date", "the measure ended on 2018-06-30, before reference year 2019"),
    (12, "annual_budget", "'1 200' is not an amount"),
    (12, "start_date", "'2019-02-30' is not a date (YYYY-MM-DD)"),
]


def test_every_bad_prevention_row_is_reported_with_line_and_column(tmp_path, cities, programmes):
    # The crafted CCIs: one real programme (Flanders ERDF), one well-formed but not in the ESIF file, one malformed.
    assert "2014BE16RFOP002" in programmes and "2014BE16RFOP009" not in programmes
    assert "XX999C" not in cities and "BE012F" in cities  # BE012F: Mechelen's functional urban area
    path = _write(tmp_path, BAD_PREVENTION)
    result = read_prevention_register(path, known_cities=cities, known_programmes=programmes)
    assert _where(result.errors) == [(line, column) for line, column, _ in EXPECTED_PREVENTION_ERRORS]
    for error, (line, column, message) in zip(result.errors, EXPECTED_PREVENTION_ERRORS, strict=True):
        assert message in error.message, (line, column)
        assert str(error).startswith(f"prevention_pyramid.csv, line {line}, column {column}: ")
    first = "prevention_pyramid.csv, line 3, column pyramid_level: 5 is not a pyramid level (1-4)"
    assert str(result.errors[0]) == first
    assert result.rows.height == 0
    assert not result.accepted
    assert result.rows.columns == [*PREVENTION_COLUMNS, "source_file", "source_line", "source_version"]


def test_one_bad_row_rejects_the_whole_register(tmp_path, cities, programmes):
    lines = (EXAMPLE_DIR / "prevention_pyramid.csv").read_text(encoding="utf-8").splitlines()
    assert lines[6].startswith("BE012C,MEC-06,CCTV in the station area,2019,3,")
    lines[6] = lines[6].replace(",2019,3,", ",2019,7,")
    path = _write(tmp_path, "\n".join(lines) + "\n")
    result = read_prevention_register(path, known_cities=cities, known_programmes=programmes)
    assert [str(e) for e in result.errors] == [
        "prevention_pyramid.csv, line 7, column pyramid_level: 7 is not a pyramid level (1-4)"
    ]
    assert result.rows.height == 0


def test_programmes_are_only_checked_for_form_without_a_programme_list(tmp_path, cities):
    path = _write(tmp_path, BAD_PREVENTION)
    result = read_prevention_register(path, known_cities=cities)
    columns = _where(result.errors)
    assert (8, "esif_cci") not in columns  # well-formed, unknown programme: accepted without a list
    assert (9, "esif_cci") in columns  # malformed: still an error


def test_ids_may_repeat_across_cities_and_years_but_not_within_one(tmp_path, cities):
    path = _write(
        tmp_path,
        f"{PP_HEADER}\n"
        "BE012C,M-01,Youth work,2019,1,community,,,,,,2015-01-01,\n"
        "BE012C,M-01,Youth work,2020,1,community,,,,,,2015-01-01,\n"
        "ES001C,M-01,Youth centres,2019,1,community,,,,,,2015-01-01,\n"
        "ES001C,M-01,Youth centres again,2019,1,community,,,,,,2015-01-01,\n"
        "ES001C,M-01,Youth centres thrice,2019,1,community,,,,,,2015-01-01,\n",
    )
    result = read_prevention_register(path, known_cities=cities)
    assert [str(e) for e in result.errors] == [
        "prevention_pyramid.csv, line 5, column measure_id: measure 'M-01' of ES001C 2019 is also on line 4 "
        "(lines 4 and 5); each measure once per city and reference year",
        "prevention_pyramid.csv, line 6, column measure_id: measure 'M-01' of ES001C 2019 is also on line 4 "
        "(lines 4 and 6); each measure once per city and reference year",
    ]


def test_currencies_must_agree_within_a_city_year_only(tmp_path, cities):
    path = _write(
        tmp_path,
        f"{PP_HEADER}\n"
        "FI001C,H-01,Youth work,2019,1,community,,1000,EUR,,,2015-01-01,\n"
        "LV001C,R-01,Youth work,2019,1,community,,1000,EUR,,,2015-01-01,\n"
        "FI001C,H-02,Lighting,2020,2,situational,,1000,SEK,,,2015-01-01,\n"
        "FI001C,H-03,Patrols,2019,3,situational,,,SEK,,,2015-01-01,\n"  # currency without budget: not a share input
        "FI001C,H-04,CCTV,2019,3,situational,,500,SEK,,,2015-01-01,\n",
    )
    result = read_prevention_register(path, known_cities=cities)
    assert [str(e) for e in result.errors] == [
        "prevention_pyramid.csv, line 6, column currency: SEK differs from EUR on line 2 for FI001C 2019: "
        "budget shares need one currency per city and reference year"
    ]


def test_budget_zero_is_kept_apart_from_unknown_and_cells_are_stripped(tmp_path, cities):
    path = _write(
        tmp_path,
        f"{PP_HEADER}\n"
        " BE012C , M-01 , Volunteers ,2019, 1 ,community,,0,EUR,,, 2015-01-01 ,\n"
        "BE012C,M-02,Lighting,2019,2,situational,,,,,,2015-01-01,\n"
        "BE012C,M-03,Mediation,2019,4,offender,,12500.50,EUR,,,2015-01-01,2019-01-01\n",
    )
    result = read_prevention_register(path, known_cities=cities)
    assert result.errors == []
    assert result.rows["annual_budget"].to_list() == [0.0, None, 12500.5]
    assert result.rows["city_code"].to_list() == ["BE012C"] * 3
    assert result.rows["start_date"].to_list() == [date(2015, 1, 1)] * 3


def test_every_bad_collective_impact_row_is_reported(tmp_path, cities, indicator_ids):
    assert "SAF_FEEL_SAFE" not in indicator_ids
    path = _write(
        tmp_path,
        f"{CI_HEADER}\n"
        "BE012C,CI-1,Nightlife partnership,2019,2,2,3,2,1,SEC_RECORDED_RATE;PP_BALANCE\n"
        "BE012C,CI-2,Network,2019,4,1.5,,x,3,SAF_FEEL_SAFE; PP_BALANCE\n"
        "BE012C,CI-1,Again,2019,1,1,1,1,1,\n"
        "ES001C,CI|3,Pilot,2019,0,0,0,0,0,\n"
        "XX999C,CI-4,,2019,0,0,0,0,-1,\n"
        "LV001C,CI-5,Coalition,2150,0,0,0,0,0,CIM_CONDITIONS;NOPE\n",
        name="collective_impact.csv",
    )
    result = read_collective_impact_register(path, known_cities=cities, known_indicator_ids=indicator_ids)
    assert [str(e) for e in result.errors] == [
        "collective_impact.csv, line 3, column common_agenda: '4' is not a rating (integer 0-3)",
        "collective_impact.csv, line 3, column shared_measurement: '1.5' is not a rating (integer 0-3)",
        "collective_impact.csv, line 3, column mutually_reinforcing_activities: a rating is required (integer 0-3)",
        "collective_impact.csv, line 3, column continuous_communication: 'x' is not a rating (integer 0-3)",
        "collective_impact.csv, line 3, column shared_indicator_ids: 'SAF_FEEL_SAFE' is not an indicator id of the "
        "catalogue",
        "collective_impact.csv, line 4, column initiative_id: initiative 'CI-1' of BE012C 2019 is also on line 2 "
        "(lines 2 and 4); each initiative once per city and reference year",
        "collective_impact.csv, line 5, column initiative_id: 'CI|3' contains '|', which an identifier may not contain",
        "collective_impact.csv, line 6, column city_code: 'XX999C' is not an Urban Audit city code (Eurostat CITIES "
        "code list)",
        "collective_impact.csv, line 6, column initiative_name: initiative_name is required",
        "collective_impact.csv, line 6, column backbone_support: '-1' is not a rating (integer 0-3)",
        f"collective_impact.csv, line 7, column reference_year: '2150' is not a reference year (YYYY, "
        f"1990-{date.today().year})",
        "collective_impact.csv, line 7, column shared_indicator_ids: 'NOPE' is not an indicator id of the catalogue",
    ]
    assert result.rows.height == 0


def test_register_error_prints_file_line_and_column():
    error = RegisterError("prevention_pyramid.csv", 7, "pyramid_level", "5 is not a pyramid level (1-4)")
    assert str(error) == "prevention_pyramid.csv, line 7, column pyramid_level: 5 is not a pyramid level (1-4)"


# ---------------------------------------------------------------------------------------------------------------------
# The file itself: SourceFormatError with line and column
# ---------------------------------------------------------------------------------------------------------------------

GOOD_ROW = "BE012C,M-01,Youth work,2019,1,community,,1000,EUR,,,2015-01-01,"


@pytest.mark.parametrize(
    ("content", "line", "column", "reason"),
    [
        pytest.param("", 1, None, "empty file", id="empty"),
        pytest.param(" \n\n", 1, None, "empty file", id="blank"),
        pytest.param(f"\n{PP_HEADER}\n", 1, None, "the first line must be the header", id="blank-first-line"),
        pytest.param(
            PP_HEADER.replace("pyramid_level", "level") + "\n",
            1,
            "level",
            "unknown column 'level' (renamed 'pyramid_level'?); missing columns: pyramid_level",
            id="renamed",
        ),
        pytest.param(
            PP_HEADER.removesuffix(",end_date") + "\n", 1, "end_date", "missing column 'end_date'", id="missing"
        ),
        pytest.param(PP_HEADER + ",comment\n", 1, "comment", "unknown column 'comment'", id="unknown"),
        pytest.param(PP_HEADER + ",currency\n", 1, "currency", "appears twice (positions 9 and 14)", id="twice"),
        pytest.param(PP_HEADER + ",\n", 1, "14", "empty column name", id="empty-name"),
        pytest.param(PP_HEADER.replace(",", ";") + "\n", 1, "1", "must be comma-separated", id="semicolons"),
        pytest.param(
            f"{PP_HEADER}\n{GOOD_ROW}\n{GOOD_ROW.removesuffix(',')}\n",
            3,
            "end_date",
            "expected 13 fields as in the header, found 12",
            id="too-few-fields",
        ),
        pytest.param(
            f"{PP_HEADER}\n{GOOD_ROW},extra\n", 2, "14", "expected 13 fields as in the header, found 14", id="too-many"
        ),
        pytest.param(
            f'{PP_HEADER}\n{GOOD_ROW}\nBE012C,M-02,"Youth work,2019,1,community,,,,,,2015-01-01,\n',
            3,
            "measure_name",
            "a quoted field is never closed",
            id="open-quote",
        ),
        pytest.param(
            (PP_HEADER + "\r\n" + GOOD_ROW.replace("Youth work", "Jeugdwerk \xe9\xe9n") + "\r\n").encode("latin-1"),
            2,
            "char 23",  # B E 0 1 2 C , M - 0 1 , J e u g d w e r k ␠ = 22 characters before it
            "not valid UTF-8 (byte 0xe9)",
            id="latin-1",
        ),
    ],
)
def test_structural_problems_raise_with_line_and_column(tmp_path, cities, content, line, column, reason):
    path = _write(tmp_path, content)
    with pytest.raises(SourceFormatError) as info:
        read_prevention_register(path, known_cities=cities)
    error = info.value
    assert (error.line, error.column) == (line, column)
    assert reason in error.reason
    assert str(error).startswith(f"{path}, line {line}" + (f", column {column}" if column else "") + ": ")


def test_collective_impact_register_with_a_renamed_column_raises(tmp_path, cities, indicator_ids):
    path = _write(tmp_path, CI_HEADER.replace("backbone_support", "backbone") + "\n", name="collective_impact.csv")
    with pytest.raises(SourceFormatError, match=re.escape("unknown column 'backbone' (renamed 'backbone_support'?)")):
        read_collective_impact_register(path, known_cities=cities, known_indicator_ids=indicator_ids)


def test_bom_crlf_blank_lines_and_multiline_quotes_keep_true_line_numbers(tmp_path, cities):
    content = (
        "\ufeff"
        + PP_HEADER
        + "\r\n"
        + 'BE012C,M-01,"Youth work\r\nin two lines",2019,1,community,,1000,EUR,,,2015-01-01,\r\n'  # lines 2-3
        + "\r\n"  # line 4, blank
        + ",,,,,,,,,,,,\r\n"  # line 5, a spreadsheet's empty row
        + "BE012C,M-02,Lighting,2019,9,situational,,1000,EUR,,,2015-01-01,\r\n"  # line 6
    )
    result = read_prevention_register(_write(tmp_path, content), known_cities=cities)
    assert _where(result.errors) == [(6, "pyramid_level")]
    good = read_prevention_register(_write(tmp_path, content.replace(",2019,9,", ",2019,2,")), known_cities=cities)
    assert good.errors == []
    assert good.rows["source_line"].to_list() == [2, 6]
    assert good.rows["measure_name"].to_list() == ["Youth work\r\nin two lines", "Lighting"]
