"""Raw Eurostat cells -> tidy observations; the breakdown columns, ``breakdown_is()`` and ``merge_flags``."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from sources.eurostat import read_eurostat
from sources.registry import EUROSTAT_POPULATION
from transforms.observations import (
    BREAKDOWN_DIMENSIONS,
    OBSERVATION_SCHEMA,
    breakdown_is,
    merge_flags,
    tidy_observations,
)


def raw_cells(dims: dict[str, list[str]], values: list[float | None], flags: list[str] | None = None) -> pl.DataFrame:
    """A raw table as the readers return it (dimension columns in the given order, then the cell columns)."""
    n = len(values)
    flags = flags or [""] * n
    return pl.DataFrame(
        {
            **{name: pl.Series(name, codes, dtype=pl.String) for name, codes in dims.items()},
            "period": ["2020"] * n,
            "value_raw": [":" if v is None else str(v) for v in values],
            "value": pl.Series(values, dtype=pl.Float64),
            "flags": flags,
            "obs_status": [f.replace("C", "") or None for f in flags],
            "conf_status": ["C" if "C" in f else None for f in flags],
            "source_line": pl.Series(range(2, n + 2), dtype=pl.Int32),
            "source_file": ["x.tsv"] * n,
            "sha256": ["0" * 64] * n,
            "source_version": ["sha256:000000000000"] * n,
        }
    )


def test_breakdown_columns_are_the_same_whatever_the_file_order() -> None:
    a = raw_cells({"freq": ["A"], "unit": ["NR"], "sex": ["T"], "age": ["TOTAL"], "geo": ["DE"]}, [1.0])
    b = raw_cells({"age": ["TOTAL"], "geo": ["DE"], "unit": ["NR"], "sex": ["T"], "freq": ["A"]}, [1.0])
    ta, tb = tidy_observations("demo_r_pjanaggr3", a), tidy_observations("demo_pjan", b)
    for tidy in (ta, tb):
        row = tidy.row(0, named=True)
        assert (row["age"], row["sex"]) == ("TOTAL", "T")
        assert all(row[d] is None for d in BREAKDOWN_DIMENSIONS if d not in ("age", "sex"))
    assert ta.drop("dataset").equals(tb.drop("dataset"))


def test_freq_unit_and_geo_are_not_breakdowns() -> None:
    raw = raw_cells(
        {"freq": ["A", "A"], "iccs": ["ICCS0101", "ICCS0401"], "unit": ["NR", "P_HTHAB"], "geo": ["DE"] * 2},
        [5.0, 0.01],
    )
    tidy = tidy_observations("crim_off_cat", raw)
    assert tidy["iccs"].to_list() == ["ICCS0101", "ICCS0401"]
    assert "freq" not in tidy.columns
    assert tidy["unit"].to_list() == ["NR", "P_HTHAB"]
    assert tidy["geo"].to_list() == ["DE", "DE"]
    assert tidy["dataset"].to_list() == ["crim_off_cat"] * 2


def test_output_has_the_observation_schema() -> None:
    raw = raw_cells(
        {"freq": ["A"], "unit": ["NR"], "iccs": ["ICCS0101"], "geo": ["DE111"]}, [None], ["m"]
    )  # a ": m" cell
    tidy = tidy_observations("crim_gen_reg", raw)
    assert dict(tidy.schema) == OBSERVATION_SCHEMA
    row = tidy.row(0, named=True)
    assert row["value"] is None and row["obs_status"] == "m" and row["flags"] == "m"
    assert row["source_line"] == 2 and row["source_index"] is None  # TSV has lines, no JSON-stat index


def test_geo_is_read_from_cities_when_there_is_no_geo() -> None:
    raw = raw_cells({"freq": ["A"], "unit": ["NR"], "cities": ["AT001C"]}, [3.0])
    tidy = tidy_observations("crim_hom_ocit", raw)
    assert tidy["geo"].to_list() == ["AT001C"]
    assert all(tidy[d].null_count() == tidy.height for d in BREAKDOWN_DIMENSIONS)  # no breakdown at all


def test_unit_is_null_when_the_dataset_has_no_unit_dimension() -> None:
    raw = raw_cells({"indic_de": ["JAN", "JAN"], "geo": ["CH", "EU28"]}, [7_785_806.0, None])
    tidy = tidy_observations("tps00001", raw)
    assert tidy["unit"].to_list() == [None, None]
    assert tidy["indic_de"].to_list() == ["JAN"] * 2
    assert tidy.schema["unit"] == pl.String


def test_missing_geographic_dimension_is_refused() -> None:
    raw = raw_cells({"freq": ["A"], "unit": ["NR"], "iccs": ["ICCS0101"]}, [1.0])
    with pytest.raises(ValueError, match="no geographic dimension"):
        tidy_observations("broken", raw)


def test_json_stat_source_index_is_kept() -> None:
    raw = raw_cells({"freq": ["A"], "unit": ["NR"], "age": ["TOTAL"], "sex": ["T"], "geo": ["DE"]}, [83e6])
    raw = raw.drop("source_line").with_columns(pl.lit(17, dtype=pl.Int64).alias("source_index"))
    row = tidy_observations("demo_pjan", raw).row(0, named=True)
    assert row["source_index"] == 17 and row["source_line"] is None


def test_real_population_files_share_one_breakdown(observations: pl.DataFrame) -> None:
    """demo_pjan (JSON, age before sex) and demo_r_pjanaggr3 (TSV, sex before age) read the same breakdown."""
    totals = observations.filter(breakdown_is({"age": "TOTAL", "sex": "T"})).group_by("dataset").len()
    assert set(totals["dataset"]) == {"demo_pjan", "demo_r_pjanaggr3"}


def test_real_tps00001_has_null_unit_and_indic_de_key(raw_dir: Path) -> None:
    source = next(s for s in EUROSTAT_POPULATION if s.name == "tps00001")
    table = read_eurostat(source.path(raw_dir), source.name)
    raw = table.cells.with_columns(
        pl.lit(table.source_file).alias("source_file"),
        pl.lit(table.sha256).alias("sha256"),
        pl.lit(table.source_version).alias("source_version"),
    )
    tidy = tidy_observations("tps00001", raw)
    assert tidy.height == table.cells.height > 0
    assert tidy["unit"].null_count() == tidy.height
    assert set(tidy["indic_de"]) == {"JAN"}


def test_real_crime_files_with_different_dimension_order_give_the_same_keys(observations: pl.DataFrame) -> None:
    # crim_off_cat is freq,iccs,unit,geo and crim_gen_reg is freq,unit,iccs,geo: both must read iccs=...
    for dataset in ("crim_off_cat", "crim_gen_reg"):
        rows = observations.filter(pl.col("dataset") == dataset)
        assert rows.height > 0
        assert rows["iccs"].str.contains(r"^ICCS[0-9]+$").all(), rows["iccs"].unique().to_list()
        assert all(rows[d].null_count() == rows.height for d in BREAKDOWN_DIMENSIONS if d != "iccs")
    assert observations.filter(pl.col("dataset") == "crim_off_cat")["unit"].unique().sort().to_list() == [
        "NR",
        "P_HTHAB",
    ]


def test_breakdown_is_matches_the_exact_breakdown_only() -> None:
    frame = pl.DataFrame(
        [
            {"age": "TOTAL", "sex": "T"},
            {"age": "TOTAL", "sex": "M"},
            {"age": "TOTAL", "sex": "T", "isced11": "TOTAL"},  # finer: another dimension is set
            {"age": None, "sex": "T"},
        ],
        schema={d: pl.String for d in BREAKDOWN_DIMENSIONS},
    )
    assert frame.select(breakdown_is({"age": "TOTAL", "sex": "T"}).alias("m"))["m"].to_list() == [
        True,
        False,
        False,
        False,
    ]


def test_unknown_dimensions_are_refused() -> None:
    with pytest.raises(ValueError, match="not breakdown dimensions"):
        breakdown_is({"agegroup": "TOTAL"})
    raw = raw_cells({"freq": ["A"], "colour": ["red"], "geo": ["DE"]}, [1.0])
    with pytest.raises(ValueError, match=r"\['colour'\] are not breakdowns"):
        tidy_observations("crim_off_cat", raw)


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("p", "e", "ep"),
        ("bep", "p", "bep"),
        (None, None, None),
        ("", "", None),
        ("p", None, "p"),
        (None, "b", "b"),
        ("p", "b", "bp"),
        ("pe", "eb", "bep"),
        ("C", "N", "CN"),
    ],
)
def test_merge_flags_is_a_sorted_union(a: str | None, b: str | None, expected: str | None) -> None:
    frame = pl.DataFrame({"a": [a], "b": [b]}, schema={"a": pl.String, "b": pl.String})
    assert frame.select(merge_flags("a", "b").alias("m"))["m"].to_list() == [expected]


def test_merge_flags_row_by_row_and_many_columns() -> None:
    frame = pl.DataFrame(
        {"a": ["p", None, "b", None], "b": ["e", None, "b", "u"], "c": [None, None, "p", "d"]},
        schema={"a": pl.String, "b": pl.String, "c": pl.String},
    )
    merged = frame.select(merge_flags("a", "b", "c").alias("m"))["m"]
    assert merged.to_list() == ["ep", None, "bp", "du"]
    assert merged.dtype == pl.String
