"""Raw Eurostat cells -> tidy observations; the ``dimensions`` key, ``dimension()`` and ``merge_flags``."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from sources.eurostat import read_eurostat
from sources.registry import EUROSTAT_POPULATION
from transforms.observations import OBSERVATION_SCHEMA, dimension, merge_flags, tidy_observations


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


def test_dimensions_are_sorted_by_name_whatever_the_file_order() -> None:
    a = raw_cells({"freq": ["A"], "unit": ["NR"], "sex": ["T"], "age": ["TOTAL"], "geo": ["DE"]}, [1.0])
    b = raw_cells({"age": ["TOTAL"], "geo": ["DE"], "unit": ["NR"], "sex": ["T"], "freq": ["A"]}, [1.0])
    ta, tb = tidy_observations("demo_r_pjanaggr3", a), tidy_observations("demo_pjan", b)
    assert ta["dimensions"].to_list() == ["age=TOTAL|sex=T"]
    assert tb["dimensions"].to_list() == ["age=TOTAL|sex=T"]


def test_freq_unit_and_geo_are_not_breakdowns() -> None:
    raw = raw_cells(
        {"freq": ["A", "A"], "iccs": ["ICCS0101", "ICCS0401"], "unit": ["NR", "P_HTHAB"], "geo": ["DE"] * 2},
        [5.0, 0.01],
    )
    tidy = tidy_observations("crim_off_cat", raw)
    assert tidy["dimensions"].to_list() == ["iccs=ICCS0101", "iccs=ICCS0401"]
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
    assert tidy["dimensions"].to_list() == [""]  # no breakdown at all


def test_unit_is_null_when_the_dataset_has_no_unit_dimension() -> None:
    raw = raw_cells({"indic_de": ["JAN", "JAN"], "geo": ["CH", "EU28"]}, [7_785_806.0, None])
    tidy = tidy_observations("tps00001", raw)
    assert tidy["unit"].to_list() == [None, None]
    assert tidy["dimensions"].to_list() == ["indic_de=JAN"] * 2
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


def test_real_population_files_share_one_breakdown_key(observations: pl.DataFrame) -> None:
    """demo_pjan (JSON, age before sex) and demo_r_pjanaggr3 (TSV, sex before age) read the same key."""
    totals = observations.filter(pl.col("dimensions") == "age=TOTAL|sex=T").group_by("dataset").len()
    assert set(totals["dataset"]) >= {"demo_pjan", "demo_r_pjanaggr3"}
    assert observations.filter(pl.col("dimensions").str.contains("sex=T\\|age=")).height == 0


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
    assert set(tidy["dimensions"]) == {"indic_de=JAN"}


def test_real_crime_files_with_different_dimension_order_give_the_same_keys(observations: pl.DataFrame) -> None:
    # crim_off_cat is freq,iccs,unit,geo and crim_gen_reg is freq,unit,iccs,geo: both must read iccs=...
    for dataset in ("crim_off_cat", "crim_gen_reg"):
        keys = observations.filter(pl.col("dataset") == dataset)["dimensions"].unique()
        assert keys.len() > 0
        assert keys.str.contains(r"^iccs=ICCS[0-9]+$").all(), keys.to_list()
    assert observations.filter(pl.col("dataset") == "crim_off_cat")["unit"].unique().sort().to_list() == [
        "NR",
        "P_HTHAB",
    ]


@pytest.mark.parametrize(
    ("dimensions", "name", "expected"),
    [
        ("iccs=ICCS0101", "iccs", "ICCS0101"),
        ("age=TOTAL|iccs=ICCS0401|sex=T", "iccs", "ICCS0401"),
        ("age=Y15-64|sex=M", "age", "Y15-64"),
        ("age=Y15-64|sex=M", "sex", "M"),
        ("age=TOTAL|sex=T", "iccs", None),
        ("unisex=F|age=TOTAL", "sex", None),  # a name must match whole, not as a suffix
        ("xsex=F|sex=T", "sex", "T"),
        ("", "iccs", None),
    ],
)
def test_dimension_reads_one_breakdown_code(dimensions: str, name: str, expected: str | None) -> None:
    frame = pl.DataFrame({"dimensions": [dimensions]})
    assert frame.select(dimension(name))["dimensions"].to_list() == [expected]


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
