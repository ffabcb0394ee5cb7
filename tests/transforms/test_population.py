"""Population denominators: source precedence, one figure per territory-year, missing values never used."""

from __future__ import annotations

import polars as pl
import pytest

from tests.transforms.rows import observation, observations_frame
from transforms.population import POPULATION_SCHEMA, POPULATION_SOURCES, population_denominators

TOTAL = {
    "demo_pjan": {"age": "TOTAL", "sex": "T"},
    "demo_r_pjanaggr3": {"age": "TOTAL", "sex": "T"},
    "tps00001": {"indic_de": "JAN"},
}
UNIT = {"demo_pjan": "NR", "demo_r_pjanaggr3": "NR", "tps00001": None}
RANK = {dataset: rank for rank, (dataset, _, _) in enumerate(POPULATION_SOURCES)}


def pop_obs(
    dataset: str,
    geo: str,
    period: str,
    value: float | None,
    obs_status: str | None = None,
    conf_status: str | None = None,
    breakdown: dict[str, str] | None = None,
    unit: str | None = "default",
) -> dict:
    return observation(
        dataset,
        geo,
        period,
        value,
        breakdown=TOTAL[dataset] if breakdown is None else breakdown,
        unit=UNIT[dataset] if unit == "default" else unit,
        obs_status=obs_status,
        conf_status=conf_status,
    )


frame = observations_frame


def pick(result: pl.DataFrame, geo: str, period: str) -> dict | None:
    rows = result.filter((pl.col("geo") == geo) & (pl.col("period") == period))
    assert rows.height <= 1
    return rows.row(0, named=True) if rows.height else None


COUNTRY_SOURCES = [d for d, _, _ in POPULATION_SOURCES]  # every source may give a country


def test_declared_sources_and_scopes() -> None:
    """Three sources; only the regional table may give regions; each is read with its total breakdown."""
    assert sorted(COUNTRY_SOURCES) == ["demo_pjan", "demo_r_pjanaggr3", "tps00001"]
    assert {d: (b, scope) for d, b, scope in POPULATION_SOURCES} == {
        "demo_pjan": ({"age": "TOTAL", "sex": "T"}, "countries"),
        "demo_r_pjanaggr3": ({"age": "TOTAL", "sex": "T"}, "all"),
        "tps00001": ({"indic_de": "JAN"}, "countries"),
    }


def test_declared_order_is_the_documented_convention() -> None:
    """Pins the convention in transforms/population.py (oldest vintage first, to match Eurostat's P_HTHAB).

    NB: README.md still documents demo_pjan -> demo_r_pjanaggr3 NUTS 0 -> tps00001; change both together.
    """
    assert COUNTRY_SOURCES == ["tps00001", "demo_pjan", "demo_r_pjanaggr3"]


def test_country_precedence_follows_the_declared_order() -> None:
    """All three sources have DE 2020; removing the winner each time walks down the declared order."""
    values = {"demo_pjan": 1.0, "demo_r_pjanaggr3": 2.0, "tps00001": 3.0}
    flags = {"demo_pjan": "b", "demo_r_pjanaggr3": "p", "tps00001": "e"}
    remaining = list(COUNTRY_SOURCES)
    while remaining:
        obs = frame([pop_obs(d, "DE", "2020", values[d], obs_status=flags[d]) for d in reversed(remaining)])
        out = population_denominators(obs)
        best = remaining[0]
        assert out.rows() == [("DE", "2020", values[best], flags[best], None, best, f"{best}-v")]
        remaining.pop(0)


@pytest.mark.parametrize("winner", COUNTRY_SOURCES)
def test_each_source_wins_over_the_ones_ranked_below(winner: str) -> None:
    below = COUNTRY_SOURCES[COUNTRY_SOURCES.index(winner) :]
    obs = frame([pop_obs(d, "NO", "2020", float(10 + RANK[d])) for d in below])
    row = pick(population_denominators(obs), "NO", "2020")
    assert (row["source_dataset"], row["population"]) == (winner, float(10 + RANK[winner]))


def test_country_only_in_tps00001_comes_from_tps00001() -> None:
    obs = frame([pop_obs("tps00001", "CH", "2010", 7_785_806.0, obs_status="b")])
    ch = pick(population_denominators(obs), "CH", "2010")
    assert (ch["population"], ch["source_dataset"], ch["obs_status"]) == (7_785_806.0, "tps00001", "b")


def test_missing_value_never_wins_and_never_counts() -> None:
    obs = frame(
        [
            pop_obs("demo_pjan", "FR", "2021", None, obs_status="p"),  # ':'
            pop_obs("tps00001", "FR", "2021", None),  # ':'
            pop_obs("demo_r_pjanaggr3", "FR", "2021", 67e6),
            pop_obs("demo_r_pjanaggr3", "FR", "2022", None, conf_status="N"),  # ': @N'
            pop_obs("tps00001", "FR", "2022", 68e6),
            pop_obs("tps00001", "MC", "2008", None),  # only a missing value anywhere
            pop_obs("demo_r_pjanaggr3", "DE111", "2021", None),
        ]
    )
    out = population_denominators(obs)
    fr = pick(out, "FR", "2021")
    assert (fr["population"], fr["source_dataset"], fr["obs_status"]) == (67e6, "demo_r_pjanaggr3", None)
    fr22 = pick(out, "FR", "2022")
    assert (fr22["population"], fr22["source_dataset"], fr22["conf_status"]) == (68e6, "tps00001", None)
    assert pick(out, "MC", "2008") is None
    assert pick(out, "DE111", "2021") is None
    assert out["population"].null_count() == 0


def test_regions_come_only_from_the_regional_table() -> None:
    obs = frame(
        [
            pop_obs("demo_pjan", "DE1", "2020", 1.0),  # regions in a national source are ignored
            pop_obs("tps00001", "DE11", "2020", 2.0),
            pop_obs("demo_r_pjanaggr3", "DE111", "2020", 3.0, obs_status="bep"),
            pop_obs("demo_r_pjanaggr3", "UKC", "2019", 4.0),
            pop_obs("tps00001", "EU28", "2019", 5.0),  # aggregates are not countries
        ]
    )
    out = population_denominators(obs)
    assert sorted(out["geo"]) == ["DE111", "UKC"]
    assert set(out["source_dataset"]) == {"demo_r_pjanaggr3"}
    assert pick(out, "DE111", "2020")["obs_status"] == "bep"


def test_only_the_total_breakdown_and_unit_nr_are_used() -> None:
    obs = frame(
        [
            pop_obs("demo_pjan", "AT", "2020", 1.0, breakdown={"age": "TOTAL", "sex": "F"}),
            pop_obs("demo_pjan", "AT", "2020", 2.0, breakdown={"age": "Y_LT15", "sex": "T"}),
            pop_obs("demo_pjan", "AT", "2020", 3.0, unit="PC"),
            pop_obs("demo_r_pjanaggr3", "AT", "2020", 4.0, breakdown={"age": "TOTAL", "sex": "M"}),
            pop_obs("tps00001", "AT", "2020", 8.0, breakdown={"indic_de": "DEATH"}),
            pop_obs("demo_r_pjanaggr3", "AT", "2020", 9.0),
            pop_obs("demo_r_pjanaggr3", "AT1", "2020", 5.0, breakdown={"age": "UNK", "sex": "T"}),
        ]
    )
    out = population_denominators(obs)
    assert out.rows() == [("AT", "2020", 9.0, None, None, "demo_r_pjanaggr3", "demo_r_pjanaggr3-v")]


def test_each_year_is_chosen_independently() -> None:
    obs = frame(
        [
            pop_obs("tps00001", "IS", "2010", 317_630.0),
            pop_obs("demo_r_pjanaggr3", "IS", "2021", 368_792.0),
            pop_obs("demo_pjan", "IS", "2015", 329_100.0),
        ]
    )
    out = population_denominators(obs)
    assert out.select("geo", "period", "source_dataset").rows() == [
        ("IS", "2010", "tps00001"),
        ("IS", "2015", "demo_pjan"),
        ("IS", "2021", "demo_r_pjanaggr3"),
    ]


def test_order_of_the_input_does_not_matter() -> None:
    rows = [
        pop_obs("tps00001", "DE", "2020", 3.0),
        pop_obs("demo_pjan", "DE", "2020", 1.0),
        pop_obs("demo_r_pjanaggr3", "DE", "2020", 2.0),
    ]
    forward = population_denominators(frame(rows))
    backward = population_denominators(frame(rows[::-1]))
    assert forward.equals(backward)
    assert forward["population"].to_list() == [
        {"demo_pjan": 1.0, "demo_r_pjanaggr3": 2.0, "tps00001": 3.0}[COUNTRY_SOURCES[0]]
    ]


def test_other_datasets_are_ignored_and_empty_input_keeps_the_schema() -> None:
    crime = pop_obs("demo_pjan", "DE", "2020", 5.0) | {
        "dataset": "crim_off_cat",
        "age": None,
        "sex": None,
        "iccs": "ICCS0101",
    }
    out = population_denominators(frame([crime]))
    assert out.height == 0
    assert dict(out.schema) == POPULATION_SCHEMA


# ---- the real files ---------------------------------------------------------------------------------------------


def _candidates(observations: pl.DataFrame) -> pl.DataFrame:
    """Every non-missing total population per source, independent of the code under test."""
    return observations.filter(
        (
            ((pl.col("dataset") == "demo_pjan") & (pl.col("age") == "TOTAL") & (pl.col("sex") == "T"))
            | ((pl.col("dataset") == "demo_r_pjanaggr3") & (pl.col("age") == "TOTAL") & (pl.col("sex") == "T"))
            | ((pl.col("dataset") == "tps00001") & (pl.col("indic_de") == "JAN"))
        )
        & pl.col("value").is_not_null()
    ).select("dataset", "geo", "period", "value", "obs_status", "conf_status")


def test_real_one_row_per_territory_year_with_a_value(population: pl.DataFrame) -> None:
    assert population.height > 10_000
    assert population.select(pl.struct("geo", "period").is_duplicated().any()).item() is False
    assert population["population"].null_count() == 0
    # Real zeros exist (e.g. extra-regio ALX, Jan Mayen/Svalbard NO0B2): kept here, dropped by the rates.
    assert (population["population"] >= 0).all()
    assert set(population["source_dataset"]) == {"demo_pjan", "demo_r_pjanaggr3", "tps00001"}


def test_real_choice_is_the_best_ranked_source_with_a_value(
    observations: pl.DataFrame, population: pl.DataFrame
) -> None:
    cand = _candidates(observations).with_columns(
        pl.col("dataset").replace_strict(RANK, return_dtype=pl.Int64).alias("rank"),
        pl.col("geo").str.contains(r"^[A-Z]{2}$").alias("country"),
    )
    eligible = cand.filter(pl.col("country") | (pl.col("dataset") == "demo_r_pjanaggr3"))
    best = eligible.sort("rank").group_by("geo", "period").first()
    joined = population.join(best, on=["geo", "period"], how="full", coalesce=True)
    assert joined.height == population.height == best.height
    wrong = joined.filter(
        (pl.col("source_dataset") != pl.col("dataset"))
        | (pl.col("population") != pl.col("value"))
        | pl.col("obs_status").ne_missing(pl.col("obs_status_right"))
        | pl.col("conf_status").ne_missing(pl.col("conf_status_right"))
    )
    assert wrong.height == 0, wrong.head(5)


def test_real_regions_only_from_demo_r_pjanaggr3(population: pl.DataFrame) -> None:
    regions = population.filter(~pl.col("geo").str.contains(r"^[A-Z]{2}$"))
    assert regions.height > 10_000
    assert set(regions["source_dataset"]) == {"demo_r_pjanaggr3"}


def test_real_each_source_supplies_some_country_years(population: pl.DataFrame, observations: pl.DataFrame) -> None:
    countries = population.filter(pl.col("geo").str.contains(r"^[A-Z]{2}$"))
    by_source = dict(countries.group_by("source_dataset").len().iter_rows())
    assert by_source.get("demo_pjan", 0) > 0
    assert by_source.get("demo_r_pjanaggr3", 0) > 0
    assert by_source.get("tps00001", 0) > 0
    # A country-year that only tps00001 has comes from tps00001 with tps00001's figure.
    cand = _candidates(observations).filter(pl.col("geo").str.contains(r"^[A-Z]{2}$"))
    only_tps = (
        cand.group_by("geo", "period")
        .agg(pl.col("dataset").unique())
        .filter(pl.col("dataset").list.len() == 1, pl.col("dataset").list.first() == "tps00001")
    )
    assert only_tps.height > 0
    got = population.join(only_tps.select("geo", "period"), on=["geo", "period"])
    assert got.height == only_tps.height
    assert set(got["source_dataset"]) == {"tps00001"}


@pytest.mark.parametrize(
    ("geo", "period", "having"),
    [
        ("CH", "2010", {"tps00001": 7_785_806.0}),  # non-EU, before the regional table starts (2016)
        ("NO", "2016", {"demo_r_pjanaggr3": 5_213_985.0, "tps00001": 5_210_721.0}),
        ("BG", "2013", {"demo_pjan": 7_202_556.0, "tps00001": 7_284_552.0}),  # post-census revision
        ("EL", "2016", {"demo_pjan": 10_783_748.0, "demo_r_pjanaggr3": 10_735_415.0, "tps00001": 10_783_748.0}),
        ("DE111", "2020", {"demo_r_pjanaggr3": None}),
        ("MC", "2008", {}),  # ':' in tps00001, nowhere else: no population
    ],
)
def test_real_bundled_facts(
    bundled: bool,
    observations: pl.DataFrame,
    population: pl.DataFrame,
    geo: str,
    period: str,
    having: dict[str, float | None],
) -> None:
    if not bundled:
        pytest.skip("figures of the bundled release")
    cand = _candidates(observations).filter((pl.col("geo") == geo) & (pl.col("period") == period))
    found = dict(cand.select("dataset", "value").iter_rows())
    assert set(found) == set(having)
    assert all(v is None or found[d] == v for d, v in having.items())
    row = pick(population, geo, period)
    if not having:
        assert row is None
        return
    best = min(having, key=RANK.__getitem__)
    assert row is not None
    assert (row["source_dataset"], row["population"]) == (best, found[best])
