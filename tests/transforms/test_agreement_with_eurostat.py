"""ACCEPTANCE: our SEC_RECORDED_RATE agrees with the rate Eurostat publishes next to the counts.

The crime files carry, next to each count (unit NR), Eurostat's own rate per 100,000 inhabitants (unit
P_HTHAB). We never copy it: ours is count / our population x 100,000. Here the two are compared for the same
offence, territory and year, separately for the national table (crim_off_cat, NUTS 0) and the NUTS 3 rows
of the regional table (crim_gen_reg).

They cannot agree exactly: Eurostat rounds to two decimals and divides by the population of its own
release, while ours comes from the population files in the data folder (other vintages, revised after
censuses, sometimes other NUTS boundaries). The test therefore bounds the typical deviation and reports
the largest ones with their cause: our population next to the population implied by Eurostat's rate
(count / P_HTHAB x 100,000), for the pair itself and for the whole territory-year (median over its
offences with a rate >= 10, where the two-decimal rounding is below 0.05 %).
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl
import pytest

MAX_MEDIAN_DEVIATION = 0.0005  # 0.05 %
WITHIN = 0.005  # 0.5 %
MIN_SHARE_WITHIN = 0.80
MIN_PAIRS = 1_000
MIN_SHARE_EXPLAINED = 0.90  # of the pairs beyond 0.5 %: population difference or Eurostat's rounding
TOP = 10

# Rates >= 10 are rounded by at most 0.05 %, so they show the population Eurostat used.
LARGE_RATE = 10.0
# The territory's population differs from Eurostat's when the two disagree by more than this.
POPULATION_DIFFERS = 0.001
ROUNDING = 0.005 + 1e-9  # half a unit of Eurostat's second decimal

COMPARISONS = {
    "national": ("crim_off_cat", "national_table", "NUTS0"),
    "NUTS 3": ("crim_gen_reg", "regional_table", "NUTS3"),
}


def agreement_pairs(
    observations: pl.DataFrame, values: pl.DataFrame, dataset: str, variant: str, level: str
) -> pl.DataFrame:
    """Our rate next to Eurostat's for the same offence, territory and year, with the populations behind both."""
    eurostat = observations.filter(
        (pl.col("dataset") == dataset) & (pl.col("unit") == "P_HTHAB") & pl.col("value").is_not_null()
    ).select(
        pl.col("iccs").alias("breakdown"),
        pl.col("geo").alias("geo_code"),
        "period",
        pl.col("value").alias("eurostat"),
    )
    ours = values.filter((pl.col("series_variant") == variant) & (pl.col("geo_level") == level)).select(
        "breakdown",
        "geo_code",
        "period",
        pl.col("value").alias("ours"),
        "numerator",
        pl.col("denominator").alias("our_population"),
        pl.col("source_dataset").str.split(" / ").list.last().alias("population_source"),
    )
    pairs = (
        ours.join(eurostat, on=["breakdown", "geo_code", "period"], how="inner")
        .filter(pl.col("eurostat") > 0)
        .with_columns(
            ((pl.col("ours") - pl.col("eurostat")).abs() / pl.col("eurostat")).alias("deviation"),
            (pl.col("numerator") / pl.col("eurostat") * 100_000.0).alias("implied_population"),
        )
        .with_columns((pl.col("our_population") / pl.col("implied_population") - 1).alias("population_diff"))
    )
    territory = (
        pairs.filter(pl.col("eurostat") >= LARGE_RATE)
        .group_by("geo_code", "period")
        .agg(pl.col("implied_population").median().alias("territory_implied_population"))
    )
    pairs = pairs.join(territory, on=["geo_code", "period"], how="left").with_columns(
        (pl.col("our_population") / pl.col("territory_implied_population") - 1).alias("territory_population_diff")
    )
    cause = (
        pl.when(pl.col("territory_population_diff").abs() > POPULATION_DIFFERS)
        .then(pl.lit("population differs"))
        .when((pl.col("ours") - pl.col("eurostat")).abs() <= ROUNDING)
        .then(pl.lit("Eurostat 2-decimal rounding"))
        .when(pl.col("territory_population_diff").is_null())
        .then(pl.lit("unexplained (no rate >= 10 to infer the population)"))
        .otherwise(pl.lit("count: Eurostat's rate does not fit its own count"))
    )
    return pairs.with_columns(cause.alias("cause")).sort("deviation", descending=True)


def agreement_report(name: str, pairs: pl.DataFrame) -> str:
    beyond = pairs.filter(pl.col("deviation") > WITHIN)
    lines = [
        f"Agreement with Eurostat P_HTHAB, {name}: {pairs.height} pairs with Eurostat > 0",
        f"  median relative deviation {pairs['deviation'].median():.5%}   (limit {MAX_MEDIAN_DEVIATION:.3%})",
        f"  share within {WITHIN:.1%}: {(pairs['deviation'] <= WITHIN).mean():.2%}   (limit {MIN_SHARE_WITHIN:.0%})",
        f"  share within 0.05%: {(pairs['deviation'] <= 0.0005).mean():.2%}",
        f"  pairs beyond {WITHIN:.1%}: {beyond.height}, by cause:",
    ]
    for cause, n in beyond.group_by("cause").len().sort("len", descending=True).iter_rows():
        lines.append(f"    {n:6d}  {cause}")
    lines.append(f"  largest {TOP} deviations (pop diff = our population / implied population - 1):")
    header = (
        f"    {'iccs':<10} {'geo':<6} {'year':<4} {'count':>8} {'ours':>10} {'eurostat':>10} {'rel dev':>9} "
        f"{'our pop':>11} {'pop source':<16} {'implied pop':>12} {'pop diff':>9} {'territory':>9}  cause"
    )
    lines.append(header)
    for r in pairs.head(TOP).iter_rows(named=True):
        territory = r["territory_population_diff"]
        lines.append(
            f"    {r['breakdown']:<10} {r['geo_code']:<6} {r['period']:<4} {r['numerator']:>8.0f} {r['ours']:>10.4f} "
            f"{r['eurostat']:>10.2f} {r['deviation']:>9.3%} {r['our_population']:>11.0f} "
            f"{r['population_source']:<16} {r['implied_population']:>12.0f} {r['population_diff']:>+9.3%} "
            f"{'n/a' if territory is None else format(territory, '+.3%'):>9}  {r['cause']}"
        )
    return "\n".join(lines)


@pytest.fixture(scope="module")
def agreement(
    observations: pl.DataFrame, rates: tuple[pl.DataFrame, pl.DataFrame]
) -> Callable[[str], tuple[pl.DataFrame, str]]:
    values, _ = rates
    cache: dict[str, tuple[pl.DataFrame, str]] = {}

    def get(name: str) -> tuple[pl.DataFrame, str]:
        if name not in cache:
            pairs = agreement_pairs(observations, values, *COMPARISONS[name])
            cache[name] = (pairs, agreement_report(name, pairs))
        return cache[name]

    return get


@pytest.mark.parametrize("name", list(COMPARISONS))
def test_our_rates_agree_with_eurostat(
    name: str,
    agreement: Callable[[str], tuple[pl.DataFrame, str]],
    record_property: Callable[[str, object], None],
    capsys: pytest.CaptureFixture[str],
) -> None:
    pairs, report = agreement(name)
    record_property(f"agreement {name}", report)
    with capsys.disabled():  # shown with or without -s
        print("\n" + report)

    assert pairs.height > MIN_PAIRS, f"only {pairs.height} pairs: the comparison would be vacuous\n{report}"
    median = pairs["deviation"].median()
    share = (pairs["deviation"] <= WITHIN).mean()
    assert median <= MAX_MEDIAN_DEVIATION, f"median relative deviation {median:.5%}\n{report}"
    assert share >= MIN_SHARE_WITHIN, f"only {share:.2%} of pairs within {WITHIN:.1%}\n{report}"


@pytest.mark.parametrize("name", list(COMPARISONS))
def test_deviations_are_explained_by_population_or_rounding(
    name: str, agreement: Callable[[str], tuple[pl.DataFrame, str]]
) -> None:
    pairs, report = agreement(name)
    beyond = pairs.filter(pl.col("deviation") > WITHIN)
    assert beyond.height > 0, f"no deviation beyond {WITHIN:.1%}: suspicious (copied rates?)\n{report}"
    explained = beyond["cause"].is_in(["population differs", "Eurostat 2-decimal rounding"]).mean()
    assert explained >= MIN_SHARE_EXPLAINED, f"only {explained:.1%} of large deviations explained\n{report}"


@pytest.mark.parametrize("name", list(COMPARISONS))
def test_rates_are_computed_not_copied(name: str, agreement: Callable[[str], tuple[pl.DataFrame, str]]) -> None:
    """Eurostat's rate has two decimals; ours is count / population x 100,000 at full precision."""
    pairs, report = agreement(name)
    identical = (pairs["ours"] == pairs["eurostat"]).mean()
    assert identical < 0.05, f"{identical:.1%} of our rates equal Eurostat's to the last digit\n{report}"
    recomputed = pairs["numerator"] / pairs["our_population"] * 100_000.0
    assert (pairs["ours"] == recomputed).all()
