"""SSMSI département file: read with every quirk, rates recomputed and tested against the file's own tauxpourmille."""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
import pytest

from sources import ssmsi
from sources.errors import SourceFormatError
from transforms.incidents import ssmsi_indicator_values


@pytest.fixture(scope="module")
def table(raw_dir: Path) -> ssmsi.SsmsiTable:
    return ssmsi.read_ssmsi(raw_dir / ssmsi.FILE)


def test_every_row_is_read_with_its_quirks(table: ssmsi.SsmsiTable) -> None:
    rows = table.rows
    assert rows.height == 9_898 and table.quarantine.is_empty()
    assert sorted(rows["year"].unique()) == list(range(2016, 2023))
    assert rows["classe"].n_unique() == 14 and rows["departement"].n_unique() == 101
    deps = set(rows["departement"])
    assert {"01", "09", "2A", "2B", "971", "976"} <= deps and "1" not in deps
    first = rows.row(
        0, named=True
    )  # line 2: Coups et blessures volontaires;16;1;84;victime;16;16;1437;638425;308491,1601
    assert (first["year"], first["departement"], first["faits"], first["population"]) == (2016, "01", 1437, 638425)
    assert first["dwellings"] == pytest.approx(308491.1601)
    assert set(rows["counting_unit"]) == {"victime", "infraction", "véhicule", "Mis en cause", "victime entendue"}


def test_our_rates_agree_with_tauxpourmille_and_limits_bracket_them(table: ssmsi.SsmsiTable) -> None:
    values = ssmsi_indicator_values(table.rows, table.source_version)
    joined = values.join(
        table.rows.select(
            pl.format("FR-DEP-{}", "departement").alias("geo_code"),
            pl.col("year").cast(pl.String).alias("period"),
            pl.col("classe").alias("breakdown"),
            "tauxpourmille",
        ),
        on=["geo_code", "period", "breakdown"],
    )
    assert joined.height == 9_898
    positive = joined.filter(pl.col("tauxpourmille") > 0)
    deviation = ((positive["value"] - positive["tauxpourmille"]).abs() / positive["tauxpourmille"]).to_numpy()
    median = float(pl.Series(deviation).median())
    print(f"median relative deviation {100 * median:.2e} %, max {100 * deviation.max():.2e} %")
    assert median <= 1e-4  # 0.01 %
    assert deviation.max() <= 1e-3  # every row within 0.1 %
    zeros = joined.filter(pl.col("tauxpourmille") == 0)
    assert (zeros["value"] == 0).all()
    assert ((values["ci_low"] <= values["value"]) & (values["value"] <= values["ci_high"])).all()


def test_residential_burglary_is_per_dwelling(table: ssmsi.SsmsiTable) -> None:
    values = ssmsi_indicator_values(table.rows, table.source_version)
    burglary = values.filter(pl.col("breakdown") == ssmsi.PER_DWELLING_CLASS)
    assert burglary.height == 707
    assert set(burglary["indicator_id"]) == {"SEC_FR_DEP_BURGLARY_RATE"}
    assert set(burglary["unit"]) == {"per 1000 dwellings"}
    rows = table.rows.filter(pl.col("classe") == ssmsi.PER_DWELLING_CLASS)
    assert sorted(burglary["denominator"].to_list()) == sorted(rows["dwellings"].to_list())
    others = values.filter(pl.col("breakdown") != ssmsi.PER_DWELLING_CLASS)
    assert set(others["unit"]) == {"per 1000 inhabitants"}


def _copy(raw_dir: Path, tmp_path: Path) -> Path:
    target = tmp_path / "ssmsi.csv"
    shutil.copyfile(raw_dir / ssmsi.FILE, target)
    return target


def test_a_renamed_column_stops_at_line_1(raw_dir: Path, tmp_path: Path) -> None:
    path = _copy(raw_dir, tmp_path)
    path.write_bytes(path.read_bytes().replace(b";faits;", b";nombre;", 1))
    with pytest.raises(SourceFormatError, match=r"line 1, column 8: header: expected 'faits'"):
        ssmsi.read_ssmsi(path)


def test_a_line_with_a_missing_field_stops_with_its_line(raw_dir: Path, tmp_path: Path) -> None:
    path = _copy(raw_dir, tmp_path)
    lines = path.read_bytes().split(b"\r\n")
    lines[99] = lines[99].rsplit(b";", 1)[0]
    path.write_bytes(b"\r\n".join(lines))
    with pytest.raises(SourceFormatError, match=r"ssmsi.csv, line 100: 10 fields, the header has 11"):
        ssmsi.read_ssmsi(path)


def test_a_bad_cell_is_quarantined_with_line_and_column(raw_dir: Path, tmp_path: Path) -> None:
    path = _copy(raw_dir, tmp_path)
    lines = path.read_bytes().split(b"\r\n")
    fields = lines[49].split(b";")
    fields[7] = b"14x7"
    lines[49] = b";".join(fields)
    path.write_bytes(b"\r\n".join(lines))
    table = ssmsi.read_ssmsi(path)
    assert table.rows.height == 9_897
    assert table.quarantine.select("line", "column", "reason", "value_raw").rows() == [
        (50, "faits", "unparseable_value", "14x7")
    ]
