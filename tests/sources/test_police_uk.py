"""police.uk street files: every bundled row accounted for, each quirk handled as documented, damage located."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import duckdb
import polars as pl
import pytest

from sources import police_uk
from sources.errors import SourceFormatError

BUNDLED_ROWS = 10_032  # PROVENANCE.md: 12 files


@pytest.fixture(scope="module")
def landed(tmp_path_factory: pytest.TempPathFactory, raw_dir: Path) -> tuple[Path, dict[str, police_uk.MonthLanding]]:
    root = tmp_path_factory.mktemp("parquet")
    out = {month: police_uk.land_month(files, month, root) for month, files in police_uk.discover(raw_dir).items()}
    return root, out


def _incidents(root: Path) -> pl.DataFrame:
    return pl.read_parquet(root / "police_uk" / "month=*" / police_uk.INCIDENTS_FILE, hive_partitioning=True)


def test_bundled_files_are_found_one_per_month(raw_dir: Path) -> None:
    months = police_uk.discover(raw_dir)
    assert list(months) == [f"2019-{m:02d}" for m in range(1, 13)]
    assert {f.force for files in months.values() for f in files} == {"city-of-london"}


def test_every_bundled_row_is_accounted_for(landed, raw_dir: Path) -> None:
    root, months = landed
    lines = sum(len(p.read_bytes().splitlines()) - 1 for p in (raw_dir / "police_uk").glob("*-street.csv"))
    assert lines == BUNDLED_ROWS
    read = sum(m.rows_read for m in months.values())
    by_status: dict[str, int] = {}
    for m in months.values():
        for status, n in m.rows_by_status.items():
            by_status[status] = by_status.get(status, 0) + n
    quarantined = sum(m.quarantined for m in months.values())
    assert read == BUNDLED_ROWS == sum(by_status.values()) + quarantined
    # Published as crimes, kept apart as anti-social behaviour, or excluded as repeats of a Crime ID: nothing else.
    assert by_status == {"crime": 8_689, "anti_social_behaviour": 1_243, "duplicate_crime_id": 100}
    assert quarantined == 0
    assert _incidents(root).height == BUNDLED_ROWS


def test_anti_social_behaviour_has_no_crime_id_and_is_never_a_crime(landed) -> None:
    frame = _incidents(landed[0])
    asb = frame.filter(pl.col("crime_type") == "Anti-social behaviour")
    assert asb.height == 1_243
    assert asb["status"].unique().to_list() == ["anti_social_behaviour"]
    assert asb["crime_id"].null_count() == asb.height
    assert frame.filter(pl.col("status") == "crime")["crime_type"].str.contains("Anti-social").sum() == 0


def test_duplicate_crime_ids_are_counted_once_as_documented(landed) -> None:
    frame = _incidents(landed[0]).filter(pl.col("crime_id").is_not_null())
    repeated = frame.filter(pl.col("crime_id").is_duplicated())
    assert (repeated["crime_id"].n_unique(), repeated.height) == (96, 196)
    per_id = repeated.group_by("crime_id").agg(
        pl.col("month").n_unique().alias("months"),
        pl.col("crime_type").n_unique().alias("types"),
        (pl.col("status") == "crime").sum().alias("counted"),
        pl.col("line").min().alias("first_line"),
        pl.col("line").filter(pl.col("status") == "crime").first().alias("counted_line"),
    )
    # Same month and crime type every time; exactly one row counted, the first in the file.
    assert per_id["months"].max() == per_id["types"].max() == 1
    assert per_id["counted"].to_list() == [1] * 96
    assert (per_id["first_line"] == per_id["counted_line"]).all()


def test_no_location_police_station_and_neighbouring_lsoas_are_kept(landed) -> None:
    frame = _incidents(landed[0])
    no_location = frame.filter(pl.col("location") == "No Location")
    assert no_location.height == 676
    assert no_location["lsoa_code"].null_count() == no_location["longitude"].null_count() == 676
    assert frame.filter(pl.col("location") == "On or near Police Station").height == 279
    outside = frame.filter(pl.col("lsoa_name").is_not_null() & ~pl.col("lsoa_name").str.starts_with("City of London"))
    assert outside.height == 10_032 - 8_855 - 676
    boroughs = dict(outside.group_by(pl.col("lsoa_name").str.extract(r"^(.*) \d{3}[A-Z]$")).len().iter_rows())
    # The largest neighbours as PROVENANCE.md lists them (a force's file is not limited to its own area).
    assert {b: boroughs[b] for b in ("Tower Hamlets", "Islington", "Camden")} == {
        "Tower Hamlets": 236,
        "Islington": 150,
        "Camden": 49,
    }


def test_landed_partitions_are_typed_and_readable_by_duckdb(landed) -> None:
    root = landed[0]
    glob = str(root / "police_uk" / "month=*" / police_uk.INCIDENTS_FILE)
    rows = duckdb.sql(
        f"SELECT month, count(*), typeof(any_value(longitude)) FROM read_parquet('{glob}', hive_partitioning = true) "
        "GROUP BY month ORDER BY month"
    ).fetchall()
    assert [r[0] for r in rows] == [f"2019-{m:02d}" for m in range(1, 13)]
    assert sum(r[1] for r in rows) == BUNDLED_ROWS
    assert {r[2] for r in rows} == {"DOUBLE"}
    counts = pl.read_parquet(root / "police_uk" / "month=*" / police_uk.COUNTS_FILE, hive_partitioning=True)
    assert counts["incidents"].sum() == BUNDLED_ROWS


def test_archive_layout_is_accepted_and_a_month_twice_refused(raw_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "police_uk" / "2019-01"
    folder.mkdir(parents=True)
    shutil.copy2(raw_dir / "police_uk" / "2019-01-city-of-london-street.csv", folder)
    assert [f.path.parent.name for f in police_uk.discover(tmp_path)["2019-01"]] == ["2019-01"]
    shutil.copy2(raw_dir / "police_uk" / "2019-01-city-of-london-street.csv", tmp_path / "police_uk")
    with pytest.raises(SourceFormatError, match="also in"):
        police_uk.discover(tmp_path)


def _one_month(raw_dir: Path, tmp_path: Path, month: str = "2019-02") -> tuple[Path, list[police_uk.StreetFile]]:
    data = tmp_path / "data"
    (data / "police_uk").mkdir(parents=True)
    shutil.copy2(raw_dir / "police_uk" / f"{month}-city-of-london-street.csv", data / "police_uk")
    return data, police_uk.discover(data)[month]


def _edit_line(path: Path, line: int, edit) -> None:
    lines = path.read_bytes().split(b"\r\n")
    lines[line - 1] = edit(lines[line - 1])
    path.write_bytes(b"\r\n".join(lines))


def _tree_sha(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_a_damaged_file_names_file_line_and_column_and_the_landed_month_stays(raw_dir: Path, tmp_path: Path) -> None:
    data, files = _one_month(raw_dir, tmp_path)
    root = tmp_path / "parquet"
    police_uk.land_month(files, "2019-02", root)
    before = _tree_sha(root / police_uk.month_path("2019-02"))
    _edit_line(files[0].path, 10, lambda b: b + b",extra")
    with pytest.raises(SourceFormatError) as err:
        police_uk.land_month(police_uk.discover(data)["2019-02"], "2019-02", root)
    assert "2019-02-city-of-london-street.csv, line 10, column 13" in str(err.value)
    assert _tree_sha(root / police_uk.month_path("2019-02")) == before
    assert not list((root / "police_uk").glob(".tmp-*"))


def test_a_renamed_column_stops_at_line_1(raw_dir: Path, tmp_path: Path) -> None:
    _, files = _one_month(raw_dir, tmp_path)
    _edit_line(files[0].path, 1, lambda b: b.replace(b"LSOA code", b"LSOA"))
    with pytest.raises(SourceFormatError, match=r"line 1, column 8: header: expected 'LSOA code', found 'LSOA'"):
        police_uk.land_month(files, "2019-02", tmp_path / "parquet")


def test_row_level_problems_are_quarantined_with_file_line_column(raw_dir: Path, tmp_path: Path) -> None:
    _, files = _one_month(raw_dir, tmp_path)
    path = files[0].path
    _edit_line(path, 5, lambda b: b.replace(b",2019-02,", b",2019-03,", 1))
    _edit_line(path, 6, lambda b: b.replace(b",-0.", b",west0.", 1))
    _edit_line(path, 7, lambda b: b.replace(b",Robbery,", b",Teleportation,"))
    landing = police_uk.land_month(files, "2019-02", tmp_path / "parquet")
    quarantine = pl.read_parquet(f"{landing.location}/{police_uk.QUARANTINE_FILE}").sort("line")
    rows = {(r["line"], r["column"], r["reason"]) for r in quarantine.iter_rows(named=True)}
    assert (5, "Month", "wrong_period") in rows
    assert (6, "Longitude", "unparseable_value") in rows
    assert (7, "Crime type", "unknown_code") in rows
    assert quarantine.filter(pl.col("line") == 7)["value_raw"].to_list() == ["Teleportation"]
    assert quarantine["source_file"].unique().to_list() == [path.name]
    assert landing.rows_read == 688 == sum(landing.rows_by_status.values()) + landing.quarantined


def test_an_unchanged_month_is_not_recomputed_and_a_changed_one_is(raw_dir: Path, tmp_path: Path) -> None:
    data, files = _one_month(raw_dir, tmp_path)
    root = tmp_path / "parquet"
    assert not police_uk.land_month(files, "2019-02", root).reused
    assert police_uk.land_month(files, "2019-02", root).reused
    os.utime(files[0].path)  # touched, same bytes: still not recomputed, and the new time is remembered
    assert police_uk.land_month(files, "2019-02", root).reused
    manifest = police_uk.read_manifest(root, "2019-02")
    assert manifest is not None and manifest["stats"] == police_uk.file_stats(files)
    with files[0].path.open("ab") as fh:  # police.uk re-publishes a month with one more row
        fh.write(files[0].path.read_bytes().split(b"\r\n")[3] + b"\r\n")
    again = police_uk.land_month(police_uk.discover(data)["2019-02"], "2019-02", root)
    assert not again.reused and again.rows_read == 689


def test_crime_type_table_documents_every_bundled_type_with_reasoning(landed) -> None:
    table = police_uk.crime_types()
    assert table["reasoning"].str.len_chars().min() > 40
    bundled = set(_incidents(landed[0])["crime_type"].unique())
    assert bundled <= set(table["crime_type"])
    spanning = set(table.filter(pl.col("spans_sections"))["crime_type"])
    assert {"Violence and sexual offences", "Other crime"} <= spanning
    assert table.filter(pl.col("crime_type") == "Anti-social behaviour")["is_crime"].to_list() == [False]
