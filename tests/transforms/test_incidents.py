"""Incident indicators on the real bundled police.uk months: counts, completeness, tested changes."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from scipy.stats import binomtest

from sources import police_uk
from transforms.incidents import (
    ALL_CRIME,
    SNAP_POINT_PLACES,
    change_tests,
    completeness,
    era_of_month,
    police_indicator_values,
    snap_point_kinds,
)

FORCE = "UK-PF-city-of-london"


@pytest.fixture(scope="module")
def counts(tmp_path_factory: pytest.TempPathFactory, raw_dir: Path) -> pl.DataFrame:
    root = tmp_path_factory.mktemp("parquet")
    for month, files in police_uk.discover(raw_dir).items():
        police_uk.land_month(files, month, root)
    return pl.read_parquet(root / "police_uk" / "month=*" / police_uk.COUNTS_FILE, hive_partitioning=True)


def _versions(frame: pl.DataFrame) -> dict[str, str]:
    return {m: f"sha256:{m}" for m in frame["month"].unique()}


def _values(counts: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame, dict[str, int]]:
    complete = completeness(counts, _versions(counts))
    values, dropped = police_indicator_values(counts, complete)
    return complete, values, dropped


def test_completeness_of_the_bundled_year(counts: pl.DataFrame) -> None:
    complete, _, _ = _values(counts)
    assert complete.height == 12 and set(complete["status"]) == {"ok"}
    assert complete["crimes"].sum() == 8_689 and complete["anti_social_behaviour"].sum() == 1_243
    assert complete["force_median_crimes"].unique().to_list() == [float(complete["crimes"].median())]
    shares = complete["no_location_share"]
    assert ((shares > 0) & (shares < 0.2)).all()


def test_yearly_and_monthly_counts_keep_anti_social_behaviour_apart(counts: pl.DataFrame) -> None:
    _, values, dropped = _values(counts)
    assert dropped == {}
    year = values.filter(pl.col("period") == "2019", pl.col("geo_code") == FORCE)
    crime = year.filter(pl.col("indicator_id") == "SEC_LOCAL_CRIME_COUNT")
    assert crime.filter(pl.col("breakdown") == ALL_CRIME)["value"].to_list() == [8_689.0]
    assert crime.filter(pl.col("breakdown") != ALL_CRIME)["value"].sum() == 8_689
    assert "Anti-social behaviour" not in crime["breakdown"].to_list()
    assert year.filter(pl.col("indicator_id") == "LIV_ASB_COUNT")["value"].to_list() == [1_243.0]
    # Every month of every LSOA is there, zeros included; the located crimes add up to the force's minus no-location.
    lsoa = values.filter(pl.col("geo_level") == "LSOA", pl.col("period").str.len_chars() == 7)
    assert lsoa.group_by("geo_code").len()["len"].unique().to_list() == [12]
    located = counts.filter(pl.col("status") == "crime", pl.col("lsoa_code").is_not_null())["incidents"].sum()
    assert lsoa["value"].sum() == located
    assert ((values["ci_low"] <= values["value"]) & (values["value"] <= values["ci_high"])).all()
    spans = crime.filter(pl.col("breakdown") == "Violence and sexual offences")["note"].item()
    assert "spans" in spans and "01, 02, 03" in spans


def test_a_missing_month_is_flagged_never_zero_and_the_year_is_not_published(counts: pl.DataFrame) -> None:
    gap = counts.filter(pl.col("month") != "2019-06")
    complete, values, dropped = _values(gap)
    june = complete.filter(pl.col("month") == "2019-06").row(0, named=True)
    assert (june["month_present"], june["status"], june["crimes"]) == (False, "missing", None)
    assert values.filter(pl.col("period") == "2019-06").is_empty()
    assert values.filter(pl.col("period") == "2019").is_empty()
    assert dropped["police.uk force-months without a file (not zero: no value)"] == 1


def test_a_collapsed_month_is_flagged_and_kept_out_of_the_year(counts: pl.DataFrame) -> None:
    # Keep a tenth of March's counts, as a partial upload would look.
    thin = pl.concat(
        [
            counts.filter(pl.col("month") != "2019-03"),
            counts.filter(pl.col("month") == "2019-03").with_columns(pl.col("incidents") // 10),
        ]
    )
    complete, values, _ = _values(thin)
    assert complete.filter(pl.col("month") == "2019-03")["status"].item() == "collapsed"
    march = values.filter(pl.col("period") == "2019-03", pl.col("breakdown") == ALL_CRIME, pl.col("geo_code") == FORCE)
    assert "COLLAPSED" in march["note"].item()
    assert values.filter(pl.col("period") == "2019").is_empty()


def _two_years(counts: pl.DataFrame, year: int, factor: dict[str, float]) -> pl.DataFrame:
    """The real 2019 counts and the same counts shifted to ``year``, scaled per crime type: a controlled input
    for the change test (derived from the real rows, not a claim about any real year)."""
    shifted = counts.with_columns(
        (pl.lit(str(year)) + pl.col("month").str.slice(4)).alias("month"),
        (pl.col("incidents") * pl.col("crime_type").replace_strict(factor, default=1.0)).round(0).cast(pl.Int64),
    )
    return pl.concat([counts, shifted])


def test_change_tests_find_a_doubling_and_control_the_false_discovery_rate(counts: pl.DataFrame) -> None:
    frame = _two_years(counts, 2020, {"Bicycle theft": 2.0})
    complete, values, _ = _values(frame)
    changes = change_tests(values, complete)
    assert set(changes["comparison"]) == {"same_month_previous_year", "year_on_year"}
    bikes = changes.filter(
        pl.col("comparison") == "year_on_year", pl.col("geo_code") == FORCE, pl.col("breakdown") == "Bicycle theft"
    ).row(0, named=True)
    assert bikes["direction"] == "up" and bikes["q_value"] < 0.05
    assert bikes["ratio_ci_low"] < bikes["ratio"] < bikes["ratio_ci_high"]
    expected = binomtest(int(bikes["count_to"]), int(bikes["count_to"] + bikes["count_from"]), 0.5).pvalue
    assert bikes["p_value"] == pytest.approx(expected)
    same = changes.filter(pl.col("count_from") == pl.col("count_to"))
    assert not same.filter(pl.col("direction").is_in(["up", "down"])).height
    assert (changes["q_value"] >= changes["p_value"] - 1e-12).all()
    # Small counts cannot tell a halving from a doubling: inconclusive, never "no change".
    tiny = changes.filter(pl.col("count_from") + pl.col("count_to") < 6)
    assert tiny.height and set(tiny["direction"]) == {"inconclusive"}
    unchanged_total = changes.filter(
        pl.col("comparison") == "year_on_year", pl.col("geo_code") == FORCE, pl.col("breakdown") == "Robbery"
    )["direction"].item()
    assert unchanged_total in {"no_significant_change", "inconclusive"}


def test_nothing_is_compared_across_a_change_of_crime_types(counts: pl.DataFrame) -> None:
    eras = era_of_month(["2012-06", "2013-04", "2013-05", "2014-06", "2019-01"])
    assert eras["2012-06"] == eras["2013-04"] != eras["2013-05"] == eras["2014-06"] == eras["2019-01"]
    # Shift the real year to 2012/2013 around the May 2013 change: months before May 2013 have no pair with 2013-05+.
    early = counts.with_columns((pl.lit("2012") + pl.col("month").str.slice(4)).alias("month"))
    later = counts.with_columns((pl.lit("2013") + pl.col("month").str.slice(4)).alias("month"))
    frame = pl.concat([early, later]).filter(
        # 2012-2013 types differ from 2019's: keep the ones valid throughout, to isolate the era rule.
        pl.col("crime_type").is_in(["Burglary", "Robbery", "Vehicle crime", "Drugs", "Shoplifting"])
    )
    complete, values, _ = _values(frame)
    changes = change_tests(values, complete)
    assert changes.height
    assert set(changes["period_to"].str.slice(5).unique()) <= {"01", "02", "03", "04"}
    assert "year_on_year" not in set(changes["comparison"])


def test_location_text_names_a_snap_point_not_a_kind_of_place(raw_dir: Path, tmp_path: Path) -> None:
    """The basis of the public-space finding: every located crime is 'On or near' an anonymous map point named
    after the nearest street or one of a few place types; nothing says whether the crime happened in public."""
    for month, files in police_uk.discover(raw_dir).items():
        police_uk.land_month(files, month, tmp_path)
    incidents = pl.read_parquet(tmp_path / "police_uk" / "month=*" / police_uk.INCIDENTS_FILE, hive_partitioning=True)
    kinds = dict(snap_point_kinds(incidents).select("kind", "crimes").iter_rows())
    assert sum(kinds.values()) == 8_689
    located = incidents.filter(pl.col("status") == "crime", pl.col("location") != "No Location")
    assert located["location"].str.starts_with("On or near ").all()
    assert kinds["street-named point"] > 0.7 * 8_689
    places = {k: n for k, n in kinds.items() if k not in {"street-named point", "no location"}}
    assert set(places) <= set(SNAP_POINT_PLACES) and len(places) >= 10
    # Crimes at 'Supermarket' and 'Police Station' points are mostly not in public space, yet share the vocabulary.
    assert kinds["Supermarket"] > 100 and kinds["Police Station"] > 100
