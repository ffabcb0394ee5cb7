"""Exact (Garwood) Poisson limits: against the published table, statsmodels and closed forms."""

from __future__ import annotations

import math

import numpy as np
import pytest
from statsmodels.stats.rates import confint_poisson

from transforms.stats import poisson_exact_ci

# Garwood limits as tabulated for a population of 50,000, as rates per 100,000 (count k -> (low, high)).
# The table gives two decimals, one for k=50.
GARWOOD_50K = {
    0: (0.00, 7.38, 2),
    1: (0.05, 11.14, 2),
    3: (1.24, 17.53, 2),
    10: (9.59, 36.78, 2),
    50: (74.2, 131.8, 1),
}


@pytest.mark.parametrize("k", sorted(GARWOOD_50K))
def test_matches_published_garwood_table(k: int) -> None:
    expected_low, expected_high, digits = GARWOOD_50K[k]
    low, high = poisson_exact_ci(np.array([k]))
    scale = 100_000 / 50_000
    assert round(float(low[0]) * scale, digits) == expected_low
    assert round(float(high[0]) * scale, digits) == expected_high


COUNTS = np.array([0, 1, 2, 3, 5, 10, 17, 50, 100, 999, 1_000, 12_345, 100_000, 1_234_567, 10_000_000], dtype=float)


@pytest.mark.parametrize("level", [0.95, 0.998, 0.80])
def test_matches_statsmodels_exact_c(level: float) -> None:
    # statsmodels 0.15: confint_poisson(count, exposure, method=None, alpha=0.05, alternative='two-sided')
    sm_low, sm_high = confint_poisson(COUNTS, 1.0, method="exact-c", alpha=1 - level)
    low, high = poisson_exact_ci(COUNTS, level=level)
    np.testing.assert_allclose(low, sm_low, rtol=1e-9, atol=0)
    np.testing.assert_allclose(high, sm_high, rtol=1e-9, atol=0)


def test_statsmodels_exposure_scaling_is_our_rate_scaling() -> None:
    """Limits on a rate per 100,000 = limits on the count x 100,000 / population (what crime.py does)."""
    population = 1_234_567.0
    sm_low, sm_high = confint_poisson(COUNTS, population / 100_000, method="exact-c")
    low, high = poisson_exact_ci(COUNTS)
    np.testing.assert_allclose(low * 100_000 / population, sm_low, rtol=1e-9)
    np.testing.assert_allclose(high * 100_000 / population, sm_high, rtol=1e-9)


def test_zero_count_lower_limit_is_zero_and_upper_is_closed_form() -> None:
    low, high = poisson_exact_ci(np.array([0.0, 0.0]), level=0.95)
    assert low.tolist() == [0.0, 0.0]
    assert not np.isnan(low).any()
    # For k = 0 the upper limit solves exp(-mu) = alpha / 2.
    assert high[0] == pytest.approx(-math.log(0.025), rel=1e-12)


def test_limits_bracket_the_count_and_grow_with_it() -> None:
    low, high = poisson_exact_ci(COUNTS)
    assert (low <= COUNTS).all() and (COUNTS <= high).all()
    assert (low[COUNTS > 0] > 0).all()
    assert (np.diff(low) >= 0).all() and (np.diff(high) > 0).all()
    # Relative width shrinks like 1/sqrt(k): at ten million it is about +-0.062 %.
    assert (high[-1] - low[-1]) / COUNTS[-1] == pytest.approx(2 * 1.959964 / math.sqrt(COUNTS[-1]), rel=1e-3)


def test_higher_level_gives_wider_interval() -> None:
    low95, high95 = poisson_exact_ci(COUNTS, level=0.95)
    low998, high998 = poisson_exact_ci(COUNTS, level=0.998)
    positive = COUNTS > 0
    assert (low998[positive] < low95[positive]).all()
    assert (low998[~positive] == 0).all() and (low95[~positive] == 0).all()
    assert (high998 > high95).all()


def test_default_level_is_95_percent() -> None:
    assert [a.tolist() for a in poisson_exact_ci(COUNTS)] == [a.tolist() for a in poisson_exact_ci(COUNTS, 0.95)]


def test_accepts_lists_and_integer_arrays() -> None:
    from_list = poisson_exact_ci([0, 3, 10])
    from_ints = poisson_exact_ci(np.array([0, 3, 10], dtype=np.int64))
    np.testing.assert_array_equal(from_list[0], from_ints[0])
    np.testing.assert_array_equal(from_list[1], from_ints[1])
    assert from_list[0].shape == (3,)
