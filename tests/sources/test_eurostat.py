"""Tests for the Eurostat readers (API TSV, old bulk TSV, JSON-stat 2.0).

Expected values on real files come from each folder's PROVENANCE.md and were re-checked with grep/cut on the raw
bytes (not with the reader under test). Crafted edge cases are small files written to ``tmp_path``.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import zlib
from collections import Counter
from functools import cache
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from sources.errors import SourceFormatError
from sources.eurostat import (
    EUROSTAT_DIMENSIONS,
    EurostatTable,
    read_eurostat,
    read_eurostat_tsv,
    read_jsonstat,
    split_flags,
)
from sources.quarantine import QUARANTINE_SCHEMA
from sources.registry import EUROSTAT_CRIME, EUROSTAT_POPULATION, EUROSTAT_SURVEY

YEARS_2008_2023 = [str(y) for y in range(2008, 2024)]

# ---------------------------------------------------------------------------------------------------------------------
# Real files
# ---------------------------------------------------------------------------------------------------------------------

# relpath -> documented facts. "series" is the number of data lines of a TSV (PROVENANCE "rows"); "cells" the number of
# rows of the long frame; "missing" the number of ':' cells (grep -c '^:' over the tab-split cells).
REAL = {
    "eurostat_crime/estat_crim_off_cat.tsv": {
        "dataset": "crim_off_cat",
        "serialisation": "tsv_api",
        "dims": ["freq", "iccs", "unit", "geo"],
        "series": 1768,
        "cells": 1768 * 16,
        "missing": 8706,
        "zeros": 353,
        "periods": YEARS_2008_2023,
        "n_geo": 41,
        "distinct": {"freq": 1, "iccs": 25, "unit": 2},
        "sha256": "dbc13d9cccecd0b0addd4c6e181fddf0e8d6bb7a63d93095b080f42304df0131",
    },
    "eurostat_crime/estat_crim_gen_reg.tsv": {
        "dataset": "crim_gen_reg",
        "serialisation": "tsv_api",
        "dims": ["freq", "unit", "iccs", "geo"],
        "series": 24674,
        "cells": 24674 * 16,
        "missing": 122613,
        "zeros": 7936,
        "periods": YEARS_2008_2023,
        "n_geo": 1860,
        "distinct": {"freq": 1, "iccs": 7, "unit": 2},
        "sha256": "e1ef5262b09fdac47feff3e6f3ce9be96f0b192d835adfbc3a40958d09bc9792",
    },
    "eurostat_crime/estat_crim_hom_ocit.tsv": {
        "dataset": "crim_hom_ocit",
        "serialisation": "tsv_api",
        "dims": ["freq", "unit", "cities"],
        "series": 72,
        "cells": 72 * 16,
        "missing": 271,
        "zeros": 40,
        "periods": YEARS_2008_2023,
        "n_geo": 37,
        "distinct": {"freq": 1, "unit": 2},
        "sha256": "f3fa03c902388acae994bb0d5e9870a2972f6d5d6a8c348f671ab5f4527da27c",
    },
    "eurostat_crime/estat_crim_hom_soff.tsv": {
        "dataset": "crim_hom_soff",
        "serialisation": "tsv_api",
        "dims": ["freq", "iccs", "leg_stat", "sex", "unit", "geo"],
        "series": 2687,
        "cells": 2687 * 16,
        "missing": 9396,
        "zeros": 2080,
        "periods": YEARS_2008_2023,
        "n_geo": 42,
        "distinct": {"iccs": 3, "leg_stat": 4, "sex": 3, "unit": 2},
        "sha256": "2d7a74061ac4186a110218f92cc405782c29e9c6612e2565d65a0bc2cfe9b659",
    },
    "eurostat_crime/estat_crim_hom_vcit.tsv": {
        "dataset": "crim_hom_vcit",
        "serialisation": "tsv_api",
        "dims": ["freq", "sex", "unit", "cities"],
        "series": 57,
        "cells": 57 * 16,
        "missing": 242,
        "zeros": 22,
        "periods": YEARS_2008_2023,
        "n_geo": 33,
        "distinct": {"sex": 1, "unit": 2},
        "sha256": "4e3b8b0cb97035118a3fc9d5ea300dd9387a090aaf2ed08728ef030176a5d888",
    },
    "eurostat_population/demo_r_pjanaggr3.tsv": {
        "dataset": "demo_r_pjanaggr3",
        "serialisation": "tsv_api",
        "dims": ["freq", "unit", "sex", "age", "geo"],
        "series": 32115,
        "cells": 32115 * 10,
        "missing": 34417,
        "zeros": 57723,
        "periods": [str(y) for y in range(2016, 2026)],
        "n_geo": 2141,
        "distinct": {"unit": 1, "sex": 3, "age": 5},
        "sha256": "32c218304cb30e5bb514d3465362e6acca6b5f42d52bc15d630cc2240f692ac8",
    },
    "eurostat_population/tps00001.tsv": {
        "dataset": "tps00001",
        "serialisation": "tsv_bulk",
        "dims": ["indic_de", "geo"],
        "series": 55,
        "cells": 55 * 12,
        "missing": 28,
        "zeros": 0,
        "periods": [str(y) for y in range(2008, 2020)],
        "n_geo": 55,
        "distinct": {"indic_de": 1},
        "sha256": "a6342247092786d8aa79174c74a5be7c67056a61dcc88ab2ab1082b1813745e1",
    },
    "eurostat_urban_audit/urb_percep.tsv": {
        "dataset": "urb_percep",
        "serialisation": "tsv_bulk",
        "dims": ["indic_ur", "unit", "cities"],
        "series": 37651,
        "cells": 37651 * 6,
        "missing": 156016,
        "zeros": 1179,
        "periods": ["2019", "2015", "2012", "2009", "2006", "2004"],  # descending, as in the file
        "n_geo": 115,
        "distinct": {"indic_ur": 410, "unit": 1},
        "sha256": "c96f688fec4f409ebd662c70bc2f11f88ef7149428e030d4f5501c378453cce9",
    },
    "eurostat_population/demo_pjan_total_countries.json": {
        "dataset": "demo_pjan",
        "serialisation": "jsonstat",
        "dims": ["freq", "unit", "age", "sex", "geo"],
        "series": None,
        "cells": 584,
        "missing": 0,
        "zeros": 0,
        "periods": [str(y) for y in range(2004, 2025)],
        "n_geo": 28,
        "distinct": {"freq": 1, "unit": 1, "age": 1, "sex": 1},
        "sha256": "3ce6579eb700726085108544bbb14a11b2dbda2cc686e7d2319f43e3115893ff",
    },
    "eurostat_crime/estat_crim_off_cat_NR_jsonstat.json": {
        "dataset": "crim_off_cat",
        "serialisation": "jsonstat",
        "dims": ["freq", "iccs", "unit", "geo"],
        "series": None,
        "cells": 7033,
        "missing": 0,
        "zeros": None,
        "periods": YEARS_2008_2023,
        "n_geo": 30,
        "distinct": {"freq": 1, "iccs": 20, "unit": 1},
        "sha256": "d3c4a4ad3f5ff35c107a7d99500f995050c52e798197dab039d07aa0e195bd9f",
    },
}

# eurostat_silc_social/*.json -> (dataset from extension.id, non-missing values per PROVENANCE, sha256)
SILC = {
    "ilc_mddw03_crime_violence_vandalism.json": (
        "ilc_mddw03",
        477,
        "8b2b7837021079d953e98efdd62d05633ffd6fb6e984a81fc2ef30795d3168a8",
    ),
    "ilc_pw03b_trust_by_domain.json": (
        "ilc_pw03b",
        83,
        "1b2c930ece2d22b1cd70ab1cf3b36d96f7fb6ea07dd9ebcf78dca823aa9b027b",
    ),
    "ilc_pw03_trust_in_others.json": (
        "ilc_pw03",
        161,
        "f65fdff4c3bfb511d1ab001f821827b42abc751c9854bece2f117d54a74cab4b",
    ),
    "ilc_scp09_getting_together.json": (
        "ilc_scp09",
        108,
        "1e034324d7a7a2741dce4dff4a5905e02b9c73811c3a85170a2e9866d8268b60",
    ),
    "ilc_scp15_someone_to_ask_for_help.json": (
        "ilc_scp15",
        28,
        "7941ed54bda3bf7b675149e7610a5478475aa6142522c856c977f1f59da36615",
    ),
    "ilc_scp17_someone_to_discuss.json": (
        "ilc_scp17",
        56,
        "bc810f1a0dbdf9a4dcb88dbb1b237d512bb3f4d6a90dabd7729e48ba715ca5c4",
    ),
    "ilc_scp19_voluntary_activities.json": (
        "ilc_scp19",
        107,
        "c8daa6601020fc65bda75749301b17c25dd8804add8f7e582ceaa78133477eae",
    ),
}


@pytest.fixture(scope="module")
def read_real(raw_dir: Path):
    """Read a real file once per module (the three big TSVs take ~0.3 s each)."""

    @cache
    def _read(relpath: str) -> EurostatTable:
        return read_eurostat(raw_dir / relpath)

    return _read


def _cell(table: EurostatTable, period: str, **key: str) -> dict:
    """The one cell of ``table`` with this period and series key."""
    rows = table.cells.filter(pl.col("period") == period, *[pl.col(k) == v for k, v in key.items()])
    assert rows.height == 1, f"{key} {period}: {rows.height} rows"
    return rows.row(0, named=True)


def test_registry_eurostat_files_are_all_covered():
    covered = {(src.name, src.relpath) for src in EUROSTAT_CRIME + EUROSTAT_POPULATION if src.relpath in REAL}
    assert len(covered) == len(EUROSTAT_CRIME + EUROSTAT_POPULATION) == 6
    assert all(src.reader == "eurostat" for src in EUROSTAT_CRIME + EUROSTAT_POPULATION)


@pytest.mark.parametrize("source", EUROSTAT_CRIME + EUROSTAT_POPULATION, ids=lambda s: s.name)
def test_registry_file_reads_with_registry_name(source, raw_dir):
    table = read_eurostat(source.path(raw_dir), source.name)
    facts = REAL[source.relpath]
    assert table.dataset == source.name
    assert table.dimensions == facts["dims"]
    assert table.cells.height == facts["cells"]
    assert table.sha256 == facts["sha256"]


@pytest.mark.parametrize("relpath", list(REAL))
def test_real_file_documented_shape(relpath, read_real):
    facts = REAL[relpath]
    table = read_real(relpath)
    cells = table.cells
    assert table.dataset == facts["dataset"]
    assert table.serialisation == facts["serialisation"]
    assert table.dimensions == facts["dims"], "dimensions must follow the header / id order"
    assert table.sha256 == facts["sha256"]
    assert table.source_file == Path(relpath).name
    assert cells.height == facts["cells"]
    assert cells["value"].null_count() == facts["missing"]
    assert cells["period"].unique(maintain_order=True).to_list() == facts["periods"]
    assert cells[table.geo_dimension].n_unique() == facts["n_geo"]
    for dim, n in facts["distinct"].items():
        assert cells[dim].n_unique() == n, dim
    assert cells.select([*table.dimensions, "period"]).is_duplicated().sum() == 0, "one cell per key and period"
    if facts["series"] is not None:
        # Every data line 2..N+1 is present, each with one cell per period.
        per_line = cells.group_by("source_line").len()
        assert per_line.height == facts["series"]
        assert per_line["len"].unique().to_list() == [len(facts["periods"])]
        assert (per_line["source_line"].min(), per_line["source_line"].max()) == (2, facts["series"] + 1)
    else:
        assert cells["source_index"].is_unique().all()


def test_real_tsv_source_version_is_hash_and_json_uses_updated_stamp(read_real):
    tsv = read_real("eurostat_crime/estat_crim_off_cat.tsv")
    assert tsv.source_version == "sha256:dbc13d9cccec"
    js = read_real("eurostat_crime/estat_crim_off_cat_NR_jsonstat.json")
    assert js.source_version.startswith("2025-04-23")
    assert "CRIM_OFF_CAT v32.0" in js.source_version
    assert js.labels["geo"]["AT"] == "Austria"


def test_dimension_order_differs_between_crime_files(read_real):
    off_cat = read_real("eurostat_crime/estat_crim_off_cat.tsv")
    gen_reg = read_real("eurostat_crime/estat_crim_gen_reg.tsv")
    assert off_cat.dimensions == ["freq", "iccs", "unit", "geo"]
    assert gen_reg.dimensions == ["freq", "unit", "iccs", "geo"]
    # The key is split by header name, not by position: units land in `unit`, ICCS codes in `iccs`, in both files.
    for table in (off_cat, gen_reg):
        assert set(table.cells["unit"].unique()) == {"NR", "P_HTHAB"}
        assert table.cells["iccs"].str.starts_with("ICCS").all()


OFF_CAT = "eurostat_crime/estat_crim_off_cat.tsv"
GEN_REG = "eurostat_crime/estat_crim_gen_reg.tsv"
PJANAGGR3 = "eurostat_population/demo_r_pjanaggr3.tsv"
TPS00001 = "eurostat_population/tps00001.tsv"
URB_PERCEP = "eurostat_urban_audit/urb_percep.tsv"
OFF_CAT_JSON = "eurostat_crime/estat_crim_off_cat_NR_jsonstat.json"

# (relpath, series key, period, value_raw, value, flags, obs_status, conf_status, source_line) — checked with grep -n.
SPOT_CHECKS = [
    (OFF_CAT, {"iccs": "ICCS0101", "unit": "NR", "geo": "AT"}, "2008", "58", 58.0, "", None, None, 3),
    (OFF_CAT, {"iccs": "ICCS0101", "unit": "NR", "geo": "AT"}, "2012", "88", 88.0, "", None, None, 3),
    (OFF_CAT, {"iccs": "ICCS0101", "unit": "NR", "geo": "AL"}, "2012", "125", 125.0, "", None, None, 2),
    # Same key in crim_gen_reg (different release, different column order) has 126 for 2012.
    (GEN_REG, {"iccs": "ICCS0101", "unit": "NR", "geo": "AL"}, "2012", "126", 126.0, "", None, None, 2),
    (GEN_REG, {"iccs": "ICCS0101", "unit": "P_HTHAB", "geo": "TR822"}, "2018", ": m", None, "m", "m", None, 14044),
    (GEN_REG, {"iccs": "ICCS0101", "unit": "P_HTHAB", "geo": "TR822"}, "2016", "0.55", 0.55, "", None, None, 14044),
    (PJANAGGR3, {"sex": "F", "age": "TOTAL", "geo": "AL"}, "2024", ":", None, "", None, None, 2),
    (PJANAGGR3, {"sex": "F", "age": "TOTAL", "geo": "AL"}, "2025", "1194597", 1194597.0, "", None, None, 2),
    (PJANAGGR3, {"sex": "F", "age": "Y_GE65", "geo": "TR715"}, "2025", ": @N", None, "@N", None, "N", 8272),
    (PJANAGGR3, {"sex": "F", "age": "Y_GE65", "geo": "TR715"}, "2024", "18897", 18897.0, "", None, None, 8272),
    (TPS00001, {"indic_de": "JAN", "geo": "DE"}, "2011", "80222065 b", 80222065.0, "b", "b", None, 14),
    (TPS00001, {"indic_de": "JAN", "geo": "AD"}, "2018", "74794 e", 74794.0, "e", "e", None, 2),
    (TPS00001, {"indic_de": "JAN", "geo": "AD"}, "2014", ":", None, "", None, None, 2),
    (URB_PERCEP, {"indic_ur": "PS3290V", "cities": "AT001C"}, "2019", ":", None, "", None, None, 21041),
    (URB_PERCEP, {"indic_ur": "PS3290V", "cities": "AT001C"}, "2015", "53.0", 53.0, "", None, None, 21041),
    (URB_PERCEP, {"indic_ur": "PS3290V", "cities": "AT001C"}, "2004", "74.0", 74.0, "", None, None, 21041),
    (URB_PERCEP, {"indic_ur": "PS1014V", "cities": "LV004C"}, "2015", ": u", None, "u", "u", None, 312),
]


@pytest.mark.parametrize(
    ("relpath", "key", "period", "value_raw", "value", "flags", "obs", "conf", "line"),
    SPOT_CHECKS,
    ids=[f"{Path(c[0]).stem.removeprefix('estat_')}-{'-'.join(c[1].values())}-{c[2]}" for c in SPOT_CHECKS],
)
def test_real_tsv_spot_values(relpath, key, period, value_raw, value, flags, obs, conf, line, read_real):
    cell = _cell(read_real(relpath), period, **key)
    assert cell["value_raw"] == value_raw
    assert cell["value"] == value
    assert cell["flags"] == flags
    assert cell["obs_status"] == obs
    assert cell["conf_status"] == conf
    assert cell["source_line"] == line


@pytest.mark.parametrize(
    ("relpath", "key", "period", "index", "value", "flags"),
    [
        # demo_pjan: size [1,1,1,1,28,21]; "437":37073357 with status "bep" -> geo #20 (PL), time #17 (2021).
        ("eurostat_population/demo_pjan_total_countries.json", {"geo": "PL"}, "2021", 437, 37073357.0, "bep"),
        ("eurostat_population/demo_pjan_total_countries.json", {"geo": "BE"}, "2011", 7, 11000638.0, "b"),
        # crim_off_cat JSON: size [1,20,1,30,16]; "304":58 -> ICCS0101, geo #19 (AT), 2008 — same as the TSV.
        (OFF_CAT_JSON, {"iccs": "ICCS0101", "geo": "AT"}, "2008", 304, 58.0, ""),
        (OFF_CAT_JSON, {"iccs": "ICCS0101", "geo": "AT"}, "2012", 308, 88.0, ""),
    ],
)
def test_real_jsonstat_spot_values(relpath, key, period, index, value, flags, read_real):
    cell = _cell(read_real(relpath), period, **key)
    assert cell["source_index"] == index
    assert cell["value"] == value
    assert cell["flags"] == flags
    assert cell["obs_status"] == (flags or None)
    assert cell["conf_status"] is None


@pytest.mark.parametrize(
    ("relpath", "flags"),
    [
        ("eurostat_crime/estat_crim_off_cat.tsv", {}),
        ("eurostat_crime/estat_crim_gen_reg.tsv", {"m": 14}),
        (
            "eurostat_population/demo_r_pjanaggr3.tsv",
            {"b": 7992, "p": 5172, "e": 4019, "ep": 3001, "be": 63, "bep": 45, "@N": 42},
        ),
        ("eurostat_population/tps00001.tsv", {"b": 48, "e": 13, "p": 7, "ep": 5}),
        ("eurostat_urban_audit/urb_percep.tsv", {"e": 995, "u": 362, "d": 120, "b": 74}),
        ("eurostat_population/demo_pjan_total_countries.json", {"b": 15, "e": 4, "p": 4, "ep": 2, "bep": 1}),
        ("eurostat_crime/estat_crim_off_cat_NR_jsonstat.json", {}),
    ],
)
def test_real_flag_counts(relpath, flags, read_real):
    cells = read_real(relpath).cells
    counts = Counter(f for f in cells["flags"].to_list() if f)
    assert counts == Counter(flags)


def test_crim_gen_reg_m_flags_are_all_missing(read_real):
    m = read_real("eurostat_crime/estat_crim_gen_reg.tsv").cells.filter(pl.col("flags") == "m")
    assert m.height == 14
    assert m["value"].null_count() == 14
    assert set(m["value_raw"]) == {": m"}
    assert set(m["obs_status"]) == {"m"}
    assert m["source_line"].n_unique() == 7  # grep -c ': m' -> 7 lines


def test_demo_r_pjanaggr3_status_split(read_real):
    cells = read_real("eurostat_population/demo_r_pjanaggr3.tsv").cells
    conf = cells.filter(pl.col("conf_status").is_not_null())
    assert conf.height == 42
    assert set(conf["conf_status"]) == {"N"}
    assert set(conf["value_raw"]) == {": @N"}
    assert conf["obs_status"].null_count() == 42
    obs = Counter(cells["obs_status"].drop_nulls().to_list())
    assert obs == Counter({"b": 7992, "p": 5172, "e": 4019, "ep": 3001, "be": 63, "bep": 45})
    # 12 of the 'p' cells are provisional *missing* values (': p'); they stay null.
    assert cells.filter(pl.col("value_raw") == ": p").height == 12
    # CRLF: no carriage return may survive in the last period column or in any key.
    last = cells.filter(pl.col("period") == "2025")
    assert not last["value_raw"].str.contains("\r").any()
    assert not cells["geo"].str.contains("\r").any()


def test_tsv_periods_and_cells_are_stripped(read_real):
    cells = read_real("eurostat_crime/estat_crim_off_cat.tsv").cells
    assert cells["period"].str.len_chars().unique().to_list() == [4]
    assert not cells["value_raw"].str.ends_with(" ").any()
    assert not cells["value_raw"].str.starts_with(" ").any()


@pytest.mark.parametrize("relpath", list(REAL))
def test_missing_is_never_zero(relpath, read_real):
    cells = read_real(relpath).cells
    number_part = cells["value_raw"].str.split(" ").list.first()
    is_colon = number_part == ":"
    # Every ':' cell is null, and every null cell came from ':'.
    assert (cells["value"].is_null() == is_colon).all()
    assert cells.filter(is_colon)["value"].null_count() == is_colon.sum()
    if REAL[relpath]["zeros"] is not None:
        # Zeros in the frame are exactly the literal '0'/'0.00' cells of the file, no more.
        assert (cells["value"] == 0).sum() == REAL[relpath]["zeros"]


@pytest.mark.parametrize("name", sorted(SILC))
def test_silc_jsonstat_files_read(name, raw_dir):
    dataset, n_values, sha = SILC[name]
    table = read_eurostat(raw_dir / "eurostat_silc_social" / name)
    cells = table.cells
    assert table.serialisation == "jsonstat"
    assert table.dataset == dataset
    assert table.sha256 == sha
    assert table.dimensions[0] == "freq" and table.dimensions[-1] == "geo"
    assert cells["value"].is_not_null().sum() == n_values
    # Status-only positions (value absent, status present) are kept as missing cells with value_raw ':'.
    nulls = cells.filter(pl.col("value").is_null())
    assert (nulls["value_raw"] == ":").all()
    assert (nulls["flags"] != "").all()
    assert cells["geo"].n_unique() == 28


def test_silc_folder_has_exactly_the_documented_files_and_flags(raw_dir):
    files = sorted(p.name for p in (raw_dir / "eurostat_silc_social").glob("*.json"))
    assert files == sorted(SILC)
    flags = set()
    for name in files:
        flags |= set(read_eurostat(raw_dir / "eurostat_silc_social" / name).cells["flags"])
    assert flags == {"", "b", "u", "bu", "p", "n"}


def test_silc_mddw03_has_no_cells_for_empty_2024(raw_dir):
    # The time dimension lists 2024 but no value or status refers to it: sparse JSON-stat yields no 2024 cells.
    raw = json.loads((raw_dir / "eurostat_silc_social/ilc_mddw03_crime_violence_vandalism.json").read_text())
    assert "2024" in raw["dimension"]["time"]["category"]["index"]
    table = read_eurostat(raw_dir / "eurostat_silc_social/ilc_mddw03_crime_violence_vandalism.json")
    assert "2024" not in set(table.cells["period"])
    assert {"2021", "2022"}.isdisjoint(set(table.cells["period"]))


def test_cross_format_crim_off_cat_json_agrees_with_tsv(read_real):
    keys = ["freq", "iccs", "unit", "geo", "period"]
    js = read_real("eurostat_crime/estat_crim_off_cat_NR_jsonstat.json").cells
    tsv = read_real("eurostat_crime/estat_crim_off_cat.tsv").cells.filter(pl.col("unit") == "NR")
    assert set(js["unit"]) == {"NR"}
    joined = js.join(tsv, on=keys, how="inner", suffix="_tsv")
    # Every JSON-stat key exists in the TSV (20 of its 25 ICCS codes, 30 of its 41 geos).
    assert joined.height / js.height >= 0.95
    both = joined.filter(pl.col("value").is_not_null() & pl.col("value_tsv").is_not_null())
    assert both.height >= 0.95 * js.height
    share_identical = (both["value"] == both["value_tsv"]).mean()
    # Different releases (JSON 2025-04, TSV 2025-11): measured share is 100 %, we only require ≥ 95 %.
    assert share_identical >= 0.95
    assert set(js["iccs"]) <= set(tsv["iccs"])
    assert set(js["geo"]) <= set(tsv["geo"])


# ---------------------------------------------------------------------------------------------------------------------
# Crafted TSV edge cases
# ---------------------------------------------------------------------------------------------------------------------

API_HEADER = "freq,unit,geo\\TIME_PERIOD\t2020 \t2021 "


def _write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def _tsv(tmp_path: Path, *lines: str, name: str = "estat_test.tsv", eol: str = "\n") -> Path:
    return _write(tmp_path, name, eol.join(lines) + eol)


@pytest.mark.parametrize(
    ("cell", "value", "flags", "obs", "conf"),
    [
        ("88 ", 88.0, "", None, None),
        ("0 ", 0.0, "", None, None),
        ("-1.25 ", -1.25, "", None, None),
        ("5 p", 5.0, "p", "p", None),
        ("5 e", 5.0, "e", "e", None),
        ("5 b", 5.0, "b", "b", None),
        ("5 bep", 5.0, "bep", "bep", None),
        ("5 ep", 5.0, "ep", "ep", None),
        (": ", None, "", None, None),
        (":", None, "", None, None),
        (": c", None, "c", None, "C"),  # legacy lower-case confidential -> C
        (": m", None, "m", "m", None),
        (": u", None, "u", "u", None),
        (": @N", None, "@N", None, "N"),
        # A number with upper-case C is accepted as is: the value is kept and conf_status says C.
        ("12 C", 12.0, "C", None, "C"),
    ],
)
def test_tsv_cell_flags(tmp_path, cell, value, flags, obs, conf):
    path = _tsv(tmp_path, API_HEADER, f"A,NR,AT\t{cell}\t1 ")
    table = read_eurostat_tsv(path)
    row = _cell(table, "2020", geo="AT")
    assert row["value"] == value
    assert row["flags"] == flags
    assert row["obs_status"] == obs
    assert row["conf_status"] == conf
    assert row["value_raw"] == cell.strip()
    other = _cell(table, "2021", geo="AT")
    assert (other["value"], other["flags"]) == (1.0, "")


def test_tsv_api_header_trailing_spaces(tmp_path):
    path = _tsv(tmp_path, "freq,iccs,unit,geo\\TIME_PERIOD\t2008 \t2009 ", "A,ICCS0101,NR,AL\t88 \t82 ")
    table = read_eurostat_tsv(path)
    assert table.serialisation == "tsv_api"
    assert table.dataset == "test"  # estat_ prefix and extension dropped
    assert table.dimensions == ["freq", "iccs", "unit", "geo"]
    assert table.cells.sort("period").select("period", "value_raw", "value").rows() == [
        ("2008", "88", 88.0),
        ("2009", "82", 82.0),
    ]


def test_tsv_crlf_and_lf_give_identical_frames(tmp_path):
    lines = (API_HEADER, "A,NR,AT\t1 p\t: ", "A,NR,BE\t: c\t2.5 ")
    lf = read_eurostat_tsv(_tsv(tmp_path, *lines, name="lf.tsv"))
    crlf = read_eurostat_tsv(_tsv(tmp_path, *lines, name="crlf.tsv", eol="\r\n"))
    assert b"\r\n" in (tmp_path / "crlf.tsv").read_bytes()
    assert_frame_equal(lf.cells, crlf.cells)
    assert lf.dimensions == crlf.dimensions
    assert lf.sha256 != crlf.sha256
    assert crlf.cells.height == 4
    assert not crlf.cells["value_raw"].str.contains("\r").any()


def test_tsv_bom_is_ignored(tmp_path):
    body = "\n".join((API_HEADER, "A,NR,AT\t1 \t2 ")) + "\n"
    plain = read_eurostat_tsv(_write(tmp_path, "plain.tsv", body))
    bom = read_eurostat_tsv(_write(tmp_path, "bom.tsv", b"\xef\xbb\xbf" + body.encode()))
    assert bom.dimensions == ["freq", "unit", "geo"]
    assert "\ufeff" not in bom.cells.columns[0]
    assert_frame_equal(plain.cells, bom.cells)
    assert read_eurostat(tmp_path / "bom.tsv").serialisation == "tsv_api"


def test_tsv_descending_years_map_each_cell_to_its_header(tmp_path):
    path = _tsv(tmp_path, "indic_ur,unit,cities\\time\t2019 \t2015 \t2012 ", "PS3290V,PC,AT001C\t: \t53.0 \t51.0 e")
    table = read_eurostat_tsv(path)
    got = {r["period"]: (r["value"], r["flags"]) for r in table.cells.iter_rows(named=True)}
    assert got == {"2019": (None, ""), "2015": (53.0, ""), "2012": (51.0, "e")}
    assert table.cells["period"].to_list() == ["2019", "2015", "2012"]


def test_tsv_old_bulk_cities_header_without_freq(tmp_path):
    path = _tsv(tmp_path, "cities\\time\t2004 \t2006 ", "AT001C\t1.5 \t: ", "BE001C\t2 d\t3 ", name="urb_x.tsv")
    table = read_eurostat_tsv(path)
    assert table.serialisation == "tsv_bulk"
    assert table.dimensions == ["cities"]
    assert table.geo_dimension == "cities"
    assert "freq" not in table.cells.columns
    assert table.dataset == "urb_x"
    assert _cell(table, "2004", cities="BE001C")["obs_status"] == "d"
    assert _cell(table, "2006", cities="AT001C")["value"] is None


def test_tsv_dataset_argument_overrides_file_name(tmp_path):
    path = _tsv(tmp_path, API_HEADER, "A,NR,AT\t1 \t2 ", name="estat_whatever.tsv")
    assert read_eurostat_tsv(path).dataset == "whatever"
    # A name outside EUROSTAT_DIMENSIONS: no dimension check (registry names are checked, see the tests below).
    assert read_eurostat_tsv(path, "my_dataset").dataset == "my_dataset"
    assert read_eurostat(path, "my_dataset").dataset == "my_dataset"
    assert read_eurostat(path, "crim_off_cat", expected_dimensions=["geo", "unit", "freq"]).dataset == "crim_off_cat"


def test_tsv_key_parts_and_source_lines(tmp_path):
    path = _tsv(tmp_path, API_HEADER, "A,NR,AT\t1 \t2 ", "A,P_HTHAB,AT\t3 \t4 ", "A,NR,BE\t5 \t6 ")
    cells = read_eurostat_tsv(path).cells
    assert cells.filter(pl.col("value") == 4)[["unit", "geo", "period", "source_line"]].row(0) == (
        "P_HTHAB",
        "AT",
        "2021",
        3,
    )
    assert sorted(cells["source_line"].unique()) == [2, 3, 4]


def test_geo_dimension_missing_raises(tmp_path):
    table = read_eurostat_tsv(_tsv(tmp_path, "freq,unit\\TIME_PERIOD\t2020 ", "A,NR\t1 "))
    with pytest.raises(SourceFormatError, match="no geographic dimension"):
        _ = table.geo_dimension


# ---------------------------------------------------------------------------------------------------------------------
# Crafted JSON-stat edge cases
# ---------------------------------------------------------------------------------------------------------------------


def _jsonstat(**overrides) -> dict:
    """A 1 x 2 x 3 JSON-stat dataset: freq [A] x geo [AT, BE] x time [2020, 2021, 2022]."""
    doc = {
        "version": "2.0",
        "class": "dataset",
        "id": ["freq", "geo", "time"],
        "size": [1, 2, 3],
        "dimension": {
            "freq": {"category": {"index": {"A": 0}, "label": {"A": "Annual"}}},
            "geo": {"category": {"index": {"AT": 0, "BE": 1}, "label": {"AT": "Austria", "BE": "Belgium"}}},
            "time": {"category": {"index": {"2020": 0, "2021": 1, "2022": 2}}},
        },
        "value": {"4": 7.5},
    }
    doc.update(overrides)
    return doc


def _json_file(tmp_path: Path, doc: dict, name: str = "test.json") -> Path:
    return _write(tmp_path, name, json.dumps(doc))


def test_jsonstat_flat_index_decoding_hand_computed(tmp_path):
    # sizes [1,2,3] -> strides [6,3,1]; index 4 = 0*6 + 1*3 + 1 -> (A, 2nd geo = BE, 2nd time = 2021).
    table = read_jsonstat(_json_file(tmp_path, _jsonstat()))
    assert table.cells.select("freq", "geo", "period", "source_index", "value").rows() == [("A", "BE", "2021", 4, 7.5)]
    assert table.dimensions == ["freq", "geo"]
    assert table.serialisation == "jsonstat"
    assert table.labels["geo"] == {"AT": "Austria", "BE": "Belgium"}


def test_jsonstat_flat_index_decoding_three_varying_dimensions(tmp_path):
    # sizes [2,3,4] -> strides [12,4,1]: 17 = 1*12 + 1*4 + 1, 23 = 1*12 + 2*4 + 3, 6 = 0*12 + 1*4 + 2.
    doc = {
        "class": "dataset",
        "id": ["sex", "geo", "time"],
        "size": [2, 3, 4],
        "dimension": {
            "sex": {"category": {"index": ["F", "M"]}},
            "geo": {"category": {"index": ["AT", "BE", "CZ"]}},
            "time": {"category": {"index": ["2020", "2021", "2022", "2023"]}},
        },
        "value": {"17": 1, "23": 2, "6": 3, "0": 4},
    }
    cells = read_jsonstat(_json_file(tmp_path, doc)).cells
    got = {r[3]: r[:3] for r in cells.select("sex", "geo", "period", "source_index").rows()}
    assert got == {
        0: ("F", "AT", "2020"),
        6: ("F", "BE", "2022"),
        17: ("M", "BE", "2021"),
        23: ("M", "CZ", "2023"),
    }
    assert cells["source_index"].to_list() == [0, 6, 17, 23]


def test_jsonstat_dense_value_list_decodes_every_position(tmp_path):
    cells = read_jsonstat(_json_file(tmp_path, _jsonstat(value=[0, 1, 2, 3, 4, 5]))).cells
    expected = [(g, t) for g in ("AT", "BE") for t in ("2020", "2021", "2022")]
    assert list(zip(cells["geo"], cells["period"], strict=True)) == expected
    assert cells["value"].to_list() == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    assert (cells["value"] == 0).sum() == 1  # a real zero stays zero


def test_jsonstat_index_object_and_array_give_same_frame(tmp_path):
    as_object = read_jsonstat(_json_file(tmp_path, _jsonstat(value={"0": 1, "4": 2, "5": 3}), "obj.json"))
    doc = _jsonstat(value={"0": 1, "4": 2, "5": 3})
    for dim in ("freq", "geo", "time"):
        index = doc["dimension"][dim]["category"]["index"]
        doc["dimension"][dim]["category"]["index"] = sorted(index, key=index.get)
    as_array = read_jsonstat(_json_file(tmp_path, doc, "arr.json"))
    assert_frame_equal(as_object.cells, as_array.cells)
    assert as_array.cells.select("geo", "period").rows() == [("AT", "2020"), ("BE", "2021"), ("BE", "2022")]


def test_jsonstat_index_object_out_of_order_positions(tmp_path):
    doc = _jsonstat(value={"3": 1.0})
    doc["dimension"]["geo"]["category"]["index"] = {"BE": 1, "AT": 0}
    cells = read_jsonstat(_json_file(tmp_path, doc)).cells
    assert cells.select("geo", "period").rows() == [("BE", "2020")]


def test_jsonstat_single_category_without_index(tmp_path):
    doc = _jsonstat()
    doc["dimension"]["freq"] = {"category": {"label": {"A": "Annual"}}}
    cells = read_jsonstat(_json_file(tmp_path, doc)).cells
    assert cells.select("freq", "geo", "period").rows() == [("A", "BE", "2021")]


def test_jsonstat_without_status_has_no_flags(tmp_path):
    doc = _jsonstat(value={"0": 10, "5": 20})
    assert "status" not in doc
    cells = read_jsonstat(_json_file(tmp_path, doc)).cells
    assert cells["flags"].to_list() == ["", ""]
    assert cells["obs_status"].null_count() == 2
    assert cells["conf_status"].null_count() == 2


def test_jsonstat_status_flags_and_status_only_cells(tmp_path):
    doc = _jsonstat(value={"4": 7.5, "5": 1}, status={"4": "p", "1": "c", "5": "bep"})
    cells = read_jsonstat(_json_file(tmp_path, doc)).cells
    rows = {r["source_index"]: r for r in cells.iter_rows(named=True)}
    assert sorted(rows) == [1, 4, 5]
    assert (rows[1]["value"], rows[1]["value_raw"], rows[1]["obs_status"], rows[1]["conf_status"]) == (
        None,
        ":",
        None,
        "C",
    )
    assert (rows[4]["value"], rows[4]["obs_status"], rows[4]["conf_status"]) == (7.5, "p", None)
    assert (rows[5]["obs_status"], rows[5]["flags"]) == ("bep", "bep")


def test_jsonstat_status_as_single_string_applies_to_every_cell(tmp_path):
    cells = read_jsonstat(_json_file(tmp_path, _jsonstat(status="e"))).cells
    assert cells.height == 6
    assert set(cells["obs_status"]) == {"e"}
    assert cells["value"].is_not_null().sum() == 1


def test_jsonstat_dense_value_list_with_nulls(tmp_path):
    cells = read_jsonstat(_json_file(tmp_path, _jsonstat(value=[1, None, 3, None, None, 0]))).cells
    assert cells.select("geo", "period", "value").rows() == [
        ("AT", "2020", 1.0),
        ("AT", "2022", 3.0),
        ("BE", "2022", 0.0),
    ]
    assert cells["source_index"].to_list() == [0, 2, 5]


def test_jsonstat_explicit_null_in_sparse_value_is_missing_not_zero(tmp_path):
    cells = read_jsonstat(_json_file(tmp_path, _jsonstat(value={"4": None, "5": 0}))).cells
    rows = {r["source_index"]: (r["value"], r["value_raw"]) for r in cells.iter_rows(named=True)}
    assert rows[4] == (None, ":")
    assert rows[5][0] == 0.0 and rows[5][1] != ":"


def test_jsonstat_dataset_name_from_extension_or_file(tmp_path):
    plain = read_jsonstat(_json_file(tmp_path, _jsonstat(), "estat_plain.json"))
    assert plain.dataset == "plain"
    ext = {"id": "ILC_XYZ", "datastructure": {"id": "ILC_XYZ", "version": "3.0"}}
    named = read_jsonstat(_json_file(tmp_path, _jsonstat(extension=ext, updated="2025-01-01"), "other.json"))
    assert named.dataset == "ilc_xyz"
    assert named.source_version == "2025-01-01 (DSD ILC_XYZ v3.0)"
    assert read_jsonstat(tmp_path / "other.json", "mine").dataset == "mine"


def test_read_eurostat_dispatches_json_with_bom_and_whitespace(tmp_path):
    path = _write(tmp_path, "x.json", b"\xef\xbb\xbf \n " + json.dumps(_jsonstat()).encode())
    table = read_eurostat(path)
    assert table.serialisation == "jsonstat"
    assert table.cells.height == 1


# ---------------------------------------------------------------------------------------------------------------------
# split_flags
# ---------------------------------------------------------------------------------------------------------------------


def test_split_flags_on_small_frame():
    frame = pl.DataFrame({"flags": ["bep", "c", "", "@N", "ep", "C", "pc"]})
    obs, conf = split_flags(pl.col("flags"))
    out = frame.select(obs.alias("obs"), conf.alias("conf"))
    assert out.rows() == [
        ("bep", None),
        (None, "C"),
        (None, None),
        (None, "N"),
        ("ep", None),
        (None, "C"),
        ("p", "C"),
    ]


# ---------------------------------------------------------------------------------------------------------------------
# Errors: file, line and column must be right
# ---------------------------------------------------------------------------------------------------------------------


def _assert_error(exc: pytest.ExceptionInfo[SourceFormatError], path: Path, line: int | None, column: str | None):
    err = exc.value
    assert err.path == str(path)
    assert err.line == line
    assert err.column == column
    message = str(err)
    assert path.name in message
    if line is not None:
        assert f"line {line}" in message
    if column is not None:
        assert f"column {column}" in message


def test_error_wrong_field_count(tmp_path):
    # Structural (the column alignment is lost); the column is the first field without a header.
    path = _tsv(tmp_path, API_HEADER, "A,NR,AT\t1 \t2 ", "A,NR,BE\t1 \t2 \t3 ")
    with pytest.raises(SourceFormatError, match="expected 3 tab-separated fields, found 4") as exc:
        read_eurostat_tsv(path)
    _assert_error(exc, path, 3, "4")


def test_error_too_few_fields_names_the_first_missing_period(tmp_path):
    path = _tsv(tmp_path, API_HEADER, "A,NR,AT\t1 \t2 ", "A,NR,BE\t1 ")
    with pytest.raises(SourceFormatError, match="found 2: no field for period '2021'") as exc:
        read_eurostat_tsv(path)
    _assert_error(exc, path, 3, "2021")


def test_error_blank_line_inside_data(tmp_path):
    path = _tsv(tmp_path, API_HEADER, "A,NR,AT\t1 \t2 ", "", "A,NR,BE\t1 \t2 ")
    with pytest.raises(SourceFormatError, match="found 1") as exc:
        read_eurostat_tsv(path)
    _assert_error(exc, path, 3, None)


# Row-level problems: quarantined with file, line, column, reason and raw text; the rest is read.
# These tests replace the earlier "raises SourceFormatError" expectations for the same inputs.


def _quarantine(table: EurostatTable) -> list[tuple]:
    assert table.quarantine.schema == QUARANTINE_SCHEMA
    return table.quarantine.rows()


def test_quarantine_unparseable_cell_names_line_and_period(tmp_path):
    path = _tsv(tmp_path, API_HEADER, "A,NR,AT\t1 \t2 ", "A,NR,BE\t1 \t12x3")
    table = read_eurostat_tsv(path)
    assert _quarantine(table) == [("estat_test.tsv", 3, "2021", "unparseable_value", "12x3", "test")]
    assert table.quarantine_counts == {"unparseable_value": 1}
    # The other three cells are read as usual.
    assert table.cells.select("geo", "period", "value").rows() == [
        ("AT", "2020", 1.0),
        ("BE", "2020", 1.0),
        ("AT", "2021", 2.0),
    ]


@pytest.mark.parametrize("cell", ["", "1.5e3", "+2", "1,234", "- ", "N/A"])
def test_quarantine_other_unparseable_cells(tmp_path, cell):
    path = _tsv(tmp_path, API_HEADER, f"A,NR,AT\t{cell}\t2 ")
    table = read_eurostat_tsv(path)
    assert _quarantine(table) == [("estat_test.tsv", 2, "2020", "unparseable_value", cell.strip(), "test")]
    assert table.cells.select("period", "value").rows() == [("2021", 2.0)]


def test_quarantine_unknown_flag(tmp_path):
    path = _tsv(tmp_path, API_HEADER, "A,NR,AT\t1 \t2 ", "A,NR,BE\t5 k\t2 ")
    table = read_eurostat_tsv(path)
    assert _quarantine(table) == [("estat_test.tsv", 3, "2020", "unknown_flag", "5 k", "test")]
    assert table.cells.height == 3
    assert table.cells.filter(pl.col("geo") == "BE")["period"].to_list() == ["2021"]


def test_quarantine_duplicate_series_key_keeps_the_first_line(tmp_path):
    path = _tsv(tmp_path, API_HEADER, "A,NR,AT\t1 \t2 ", "A,NR,BE\t1 \t2 ", "A,NR, AT\t3 \t4 x")
    table = read_eurostat_tsv(path)
    # One row for the whole line: column = the first header cell, value_raw = the key as written.
    assert _quarantine(table) == [
        ("estat_test.tsv", 4, "freq,unit,geo\\TIME_PERIOD", "duplicate_key", "A,NR, AT", "test")
    ]
    assert table.cells.filter(pl.col("geo") == "AT")["value"].to_list() == [1.0, 2.0]
    assert sorted(table.cells["source_line"].unique()) == [2, 3]


def test_quarantine_rows_are_in_file_order_and_counted(tmp_path):
    path = _tsv(
        tmp_path,
        "freq,unit,geo\\TIME_PERIOD\t2020 \t2021 \t2022 ",
        "A,NR,AT\t1 \t2 k\tx ",
        "A,NR,BE\t? \t2 \t3 ",
        "A,NR,AT\t1 \t2 \t3 ",
    )
    table = read_eurostat_tsv(path, "mine")
    assert _quarantine(table) == [
        ("estat_test.tsv", 2, "2021", "unknown_flag", "2 k", "mine"),
        ("estat_test.tsv", 2, "2022", "unparseable_value", "x", "mine"),
        ("estat_test.tsv", 3, "2020", "unparseable_value", "?", "mine"),
        ("estat_test.tsv", 4, "freq,unit,geo\\TIME_PERIOD", "duplicate_key", "A,NR,AT", "mine"),
    ]
    assert table.quarantine_counts == {"unparseable_value": 2, "unknown_flag": 1, "duplicate_key": 1}
    assert table.cells.height == 2 * 3 - 3  # 2 distinct series x 3 periods, minus the 3 bad cells


def test_quarantine_every_cell_bad_leaves_no_cells(tmp_path):
    table = read_eurostat_tsv(_tsv(tmp_path, API_HEADER, "A,NR,AT\tx \ty "))
    good = read_eurostat_tsv(_tsv(tmp_path, API_HEADER, "A,NR,AT\t1 \t2 ", name="ok.tsv"))
    assert table.cells.height == 0
    assert table.cells.schema == good.cells.schema
    assert table.quarantine["value_raw"].to_list() == ["x", "y"]


def test_clean_tsv_has_an_empty_quarantine(tmp_path):
    table = read_eurostat_tsv(_tsv(tmp_path, API_HEADER, "A,NR,AT\t1 \t: c"))
    assert table.quarantine.height == 0
    assert table.quarantine.schema == QUARANTINE_SCHEMA
    assert table.quarantine_counts == {}


def test_error_series_key_with_wrong_number_of_parts(tmp_path):
    path = _tsv(tmp_path, API_HEADER, "A,NR,AT\t1 \t2 ", "A,NR\t1 \t2 ")
    with pytest.raises(SourceFormatError, match="does not match dimensions") as exc:
        read_eurostat_tsv(path)
    _assert_error(exc, path, 3, "freq,unit,geo\\TIME_PERIOD")


def test_error_header_without_backslash(tmp_path):
    path = _tsv(tmp_path, "freq,unit,geo\t2020 \t2021 ", "A,NR,AT\t1 \t2 ")
    with pytest.raises(SourceFormatError, match="lacks") as exc:
        read_eurostat_tsv(path)
    _assert_error(exc, path, 1, "1")


def test_error_unknown_time_label(tmp_path):
    path = _tsv(tmp_path, "freq,unit,geo\\year\t2020 ", "A,NR,AT\t1 ")
    with pytest.raises(SourceFormatError, match="time label") as exc:
        read_eurostat_tsv(path)
    _assert_error(exc, path, 1, "1")


def test_error_bad_period_header_names_its_position(tmp_path):
    path = _tsv(tmp_path, "freq,unit,geo\\TIME_PERIOD\t2020 \t20X1 ", "A,NR,AT\t1 \t2 ")
    with pytest.raises(SourceFormatError, match="'20X1'") as exc:
        read_eurostat_tsv(path)
    _assert_error(exc, path, 1, "3")


def test_error_repeated_period(tmp_path):
    path = _tsv(tmp_path, "freq,unit,geo\\TIME_PERIOD\t2020 \t2020 ", "A,NR,AT\t1 \t2 ")
    with pytest.raises(SourceFormatError, match="repeated period") as exc:
        read_eurostat_tsv(path)
    _assert_error(exc, path, 1, None)


@pytest.mark.parametrize("content", [b"", b"\n\n", b"  \r\n"])
def test_error_empty_tsv(tmp_path, content):
    path = _write(tmp_path, "empty.tsv", content)
    with pytest.raises(SourceFormatError, match="empty file") as exc:
        read_eurostat_tsv(path)
    _assert_error(exc, path, 1, None)


def test_error_invalid_utf8_names_line(tmp_path):
    data = (API_HEADER + "\nA,NR,AT\t1 \t2 \nA,NR,B").encode() + b"\xff" + b"\t1 \t2 \n"
    path = _write(tmp_path, "bad.tsv", data)
    with pytest.raises(SourceFormatError, match="not valid UTF-8") as exc:
        read_eurostat_tsv(path)
    # 'A,NR,B' is 6 ASCII characters, so the bad byte is the 7th.
    _assert_error(exc, path, 3, "char 7")
    with pytest.raises(SourceFormatError, match="0xff"):
        read_eurostat(path)


def test_error_invalid_json_reports_decoder_position(tmp_path):
    path = _write(tmp_path, "bad.json", '{"class": "dataset",\n "id": [}')
    with pytest.raises(SourceFormatError, match="invalid JSON") as exc:
        read_jsonstat(path)
    _assert_error(exc, path, 2, "char 9")


def test_error_empty_json(tmp_path):
    path = _write(tmp_path, "empty.json", "  \n")
    with pytest.raises(SourceFormatError, match="empty file") as exc:
        read_jsonstat(path)
    _assert_error(exc, path, 1, None)


def test_error_not_a_jsonstat_dataset(tmp_path):
    path = _json_file(tmp_path, _jsonstat(**{"class": "collection"}))
    with pytest.raises(SourceFormatError, match='"class" must be "dataset"') as exc:
        read_jsonstat(path)
    _assert_error(exc, path, 1, None)


@pytest.mark.parametrize(
    ("overrides", "column", "match"),
    [
        ({"value": {"9": 1}}, "value[9]", "index 9 outside 0..5"),
        ({"value": {"-1": 1}}, "value[-1]", "outside"),
        ({"status": {"6": "p"}}, "status[6]", "index 6 outside 0..5"),
        ({"value": {"x": 1}}, "value", "not a flat index"),
        ({"value": [1, 2]}, "value", "dense value has 2 entries, size implies 6"),
        ({"value": 5}, "value", "must be an object or an array"),
        ({"size": [1, 2]}, "id", "equal length"),
        ({"size": [1, 3, 3]}, "dimension.geo", "size says 3 categories, index has 2"),
        ({"id": ["freq", "geo"], "size": [1, 2]}, "id", "no time dimension"),
        ({"id": ["freq", "geo", "year"]}, "dimension", "must describe every id"),
    ],
)
def test_error_jsonstat_structure(tmp_path, overrides, column, match):
    path = _json_file(tmp_path, _jsonstat(**overrides))
    with pytest.raises(SourceFormatError, match=match) as exc:
        read_jsonstat(path)
    _assert_error(exc, path, 1, column)


@pytest.mark.parametrize(
    ("overrides", "expected", "kept"),
    [
        ({"value": {"4": "12", "5": 1}}, [("value[4]", "unparseable_value", '"12"')], [5]),
        ({"value": {"4": True, "5": 1}}, [("value[4]", "unparseable_value", "true")], [5]),
        ({"value": {"4": float("nan"), "5": 1}}, [("value[4]", "unparseable_value", "NaN")], [5]),
        ({"value": {"4": {"v": 1}, "5": 1}}, [("value[4]", "unparseable_value", '{"v": 1}')], [5]),
        ({"value": [1, "x", 2, None, None, 3]}, [("value[1]", "unparseable_value", '"x"')], [0, 2, 5]),
        ({"value": {"4": 1, "5": 2}, "status": {"4": "k"}}, [("status[4]", "unknown_flag", '"k"')], [5]),
        ({"value": {"4": 1, "5": 2}, "status": {"5": 7}}, [("status[5]", "unknown_flag", "7")], [4]),
        # A status-only position with an unknown letter: the missing cell is quarantined too.
        ({"value": {"4": 1}, "status": {"1": "X"}}, [("status[1]", "unknown_flag", '"X"')], [4]),
        (
            {"value": {"4": "a", "5": 2}, "status": {"4": "k", "5": "p"}},
            [("value[4]", "unparseable_value", '"a"'), ("status[4]", "unknown_flag", '"k"')],
            [5],
        ),
    ],
)
def test_quarantine_jsonstat_value_and_status(tmp_path, overrides, expected, kept):
    table = read_jsonstat(_json_file(tmp_path, _jsonstat(**overrides)))
    assert _quarantine(table) == [("test.json", 1, column, reason, raw, "test") for column, reason, raw in expected]
    assert table.cells["source_index"].to_list() == kept


def test_error_jsonstat_bad_index_position(tmp_path):
    doc = _jsonstat()
    doc["dimension"]["geo"]["category"]["index"] = {"AT": 0, "BE": 2}
    path = _json_file(tmp_path, doc)
    with pytest.raises(SourceFormatError, match="bad index 2 for 'BE'") as exc:
        read_jsonstat(path)
    _assert_error(exc, path, 1, "dimension.geo")


# ---------------------------------------------------------------------------------------------------------------------
# Regressions: reader bugs found by these tests, now fixed
# ---------------------------------------------------------------------------------------------------------------------


def test_header_only_tsv_is_a_structural_error(tmp_path):
    path = _tsv(tmp_path, API_HEADER)
    with pytest.raises(SourceFormatError, match="header but no data lines") as exc:
        read_eurostat_tsv(path)
    _assert_error(exc, path, 1, None)


def test_jsonstat_repeated_index_position_is_rejected(tmp_path):
    doc = _jsonstat()
    doc["dimension"]["time"]["category"]["index"] = {"2020": 0, "2021": 0, "2022": 2}
    path = _json_file(tmp_path, doc)
    with pytest.raises(SourceFormatError) as exc:
        read_jsonstat(path)
    _assert_error(exc, path, 1, "dimension.time")


def test_unknown_flags_are_quarantined_in_file_order(tmp_path):
    path = _tsv(tmp_path, API_HEADER, "A,NR,AT\t1 \t2 ", "A,NR,BE\t1 \t2 k", "A,NR,DE\t1 k\t2 ")
    assert [r[1:3] for r in _quarantine(read_eurostat_tsv(path))] == [(3, "2021"), (4, "2020")]


def test_non_ascii_digits_are_quarantined_not_cast(tmp_path):
    path = _tsv(tmp_path, API_HEADER, "A,NR,AT\t\u0661\u0662 \t2 ")
    table = read_eurostat_tsv(path)
    assert _quarantine(table) == [("estat_test.tsv", 2, "2020", "unparseable_value", "\u0661\u0662", "test")]
    assert table.cells["value"].to_list() == [2.0]


def test_invalid_utf8_column_counts_characters(tmp_path):
    data = (API_HEADER + "\nA,NR,B\u00e9").encode() + b"\xff" + b"\t1 \t2 \n"
    path = _write(tmp_path, "bad.tsv", data)
    with pytest.raises(SourceFormatError) as exc:
        read_eurostat_tsv(path)
    # 'A,NR,Bé' is 7 characters (8 bytes): the bad byte is character 8.
    _assert_error(exc, path, 2, "char 8")


# ---------------------------------------------------------------------------------------------------------------------
# Issue 4: structural checks added with the quarantine, and gzip input
# ---------------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("relpath", list(REAL))
def test_real_files_have_an_empty_quarantine(relpath, read_real):
    table = read_real(relpath)
    assert table.quarantine.schema == QUARANTINE_SCHEMA
    assert table.quarantine.height == 0


@pytest.mark.parametrize("source", EUROSTAT_CRIME + EUROSTAT_POPULATION + EUROSTAT_SURVEY, ids=lambda s: s.name)
def test_registry_dimensions_are_known_and_match_the_real_files(source, raw_dir):
    assert source.name in EUROSTAT_DIMENSIONS
    table = read_eurostat(source.path(raw_dir), source.name)  # checks the dimensions
    assert sorted(table.dimensions) == sorted(EUROSTAT_DIMENSIONS[source.name])
    assert table.quarantine.height == 0


def test_error_registry_dataset_with_a_renamed_dimension(tmp_path):
    path = _tsv(tmp_path, "freq,iccs,unit,region\\TIME_PERIOD\t2020 ", "A,ICCS0101,NR,AT\t1 ")
    with pytest.raises(
        SourceFormatError, match=r"unknown dimension\(s\) \['region'\]; missing dimension\(s\) \['geo'\]"
    ):
        read_eurostat(path, "crim_off_cat")
    with pytest.raises(SourceFormatError) as exc:
        read_eurostat_tsv(path, "crim_off_cat")
    _assert_error(exc, path, 1, "1")
    # Without a registry name (or with expected_dimensions given explicitly) the reader takes the header's word.
    assert read_eurostat_tsv(path).dimensions == ["freq", "iccs", "unit", "region"]
    assert read_eurostat_tsv(path, "crim_off_cat", ["region", "unit", "iccs", "freq"]).cells.height == 1


def test_error_jsonstat_registry_dataset_with_an_extra_dimension(tmp_path):
    path = _json_file(tmp_path, _jsonstat())
    with pytest.raises(SourceFormatError, match=r"unknown dimension\(s\) \['freq'\]") as exc:
        read_jsonstat(path, expected_dimensions=["geo"])
    _assert_error(exc, path, 1, "id")


def test_error_tsv_without_final_line_break_looks_truncated(tmp_path):
    # A download cut inside the last cell ("1234" -> "12") would otherwise be read as a wrong number.
    path = _write(tmp_path, "cut.tsv", API_HEADER + "\nA,NR,AT\t1 \t2 \nA,NR,BE\t1 \t12")
    with pytest.raises(SourceFormatError, match="does not end with a line break") as exc:
        read_eurostat_tsv(path)
    _assert_error(exc, path, 3, "char 14")  # where the line break should be


def test_error_blank_line_message(tmp_path):
    path = _tsv(tmp_path, API_HEADER, "A,NR,AT\t1 \t2 ", "  ", "A,NR,BE\t1 \t2 ")
    with pytest.raises(SourceFormatError, match="blank line inside the data") as exc:
        read_eurostat_tsv(path)
    _assert_error(exc, path, 3, None)


@pytest.mark.parametrize(
    ("overrides", "column", "match"),
    [
        ({"id": ["freq", "ge o", "time"]}, "id", "'ge o' is not an identifier"),
        ({"id": ["freq", "freq", "time"]}, "id", "repeated dimension"),
        ({"size": [1, "2", 3]}, "size", "non-negative integers"),
    ],
)
def test_error_jsonstat_dimension_ids(tmp_path, overrides, column, match):
    path = _json_file(tmp_path, _jsonstat(**overrides))
    with pytest.raises(SourceFormatError, match=match) as exc:
        read_jsonstat(path)
    _assert_error(exc, path, 1, column)


def test_error_jsonstat_time_category_not_a_period(tmp_path):
    doc = _jsonstat()
    doc["dimension"]["time"]["category"]["index"] = {"2020": 0, "last year": 1, "2022": 2}
    path = _json_file(tmp_path, doc)
    with pytest.raises(SourceFormatError, match="'last year' is not a period") as exc:
        read_jsonstat(path)
    _assert_error(exc, path, 1, "dimension.time")


def test_gzip_tsv_and_json_read_like_the_plain_files(tmp_path):
    body = ("\n".join((API_HEADER, "A,NR,AT\t1 p\t: ", "A,NR,BE\t: c\t2.5 ")) + "\n").encode()
    plain = read_eurostat(_write(tmp_path, "estat_x.tsv", body))
    packed = read_eurostat(_write(tmp_path, "estat_x.tsv.gz", gzip.compress(body)))
    assert_frame_equal(plain.cells, packed.cells)
    assert packed.dataset == "x"
    assert packed.sha256 == hashlib.sha256((tmp_path / "estat_x.tsv.gz").read_bytes()).hexdigest()  # file as stored
    assert read_eurostat_tsv(tmp_path / "estat_x.tsv.gz").cells.height == 4
    doc = json.dumps(_jsonstat()).encode()
    js = read_eurostat(_write(tmp_path, "x.json.gz", gzip.compress(doc)))
    assert js.serialisation == "jsonstat"
    assert_frame_equal(js.cells, read_jsonstat(_write(tmp_path, "x.json", doc)).cells)


def test_error_truncated_gzip_names_where_the_content_breaks_off(tmp_path):
    body = ("\n".join([API_HEADER, *(f"A,NR,G{i:04d}\t{i} \t{i * 7} " for i in range(3000))]) + "\n").encode()
    packed = gzip.compress(body)
    path = _write(tmp_path, "estat_x.tsv.gz", packed[: len(packed) // 2])
    with pytest.raises(SourceFormatError, match="truncated gzip stream") as exc:
        read_eurostat(path)
    err = exc.value
    assert err.path == str(path) and path.name in str(err)
    # The reported line is the one the decompressed content stops in (independently: zlib on the same bytes).
    partial = zlib.decompressobj(wbits=31).decompress(packed[: len(packed) // 2])
    assert err.line == partial.count(b"\n") + 1 > 1
    last_line_start = partial.rfind(b"\n") + 1
    assert err.column == f"char {len(partial) - last_line_start + 1}"


def test_error_corrupt_gzip(tmp_path):
    packed = bytearray(gzip.compress(b"x\ty\n" * 1000))
    packed[20:30] = b"\xff" * 10
    path = _write(tmp_path, "bad.tsv.gz", bytes(packed))
    with pytest.raises(SourceFormatError, match="gzip stream") as exc:
        read_eurostat_tsv(path)
    assert exc.value.path == str(path) and exc.value.line is not None
