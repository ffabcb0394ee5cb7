"""Confidence limits, from scipy: exact Poisson (Garwood, 1936) for counts, Wilson score for shares."""

from __future__ import annotations

import numpy as np


def poisson_exact_ci(counts: np.ndarray, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Exact (Garwood) limits for a Poisson count k: chi2(a/2; 2k)/2 and chi2(1-a/2; 2k+2)/2; lower is 0 at k=0.

    Scale both limits like the rate (×100,000 / population) to get limits on the rate.
    """
    from scipy.stats import chi2  # imported when used: scipy.stats costs ~0.5 s at start-up

    k = np.asarray(counts, dtype=float)
    alpha = 1.0 - level
    with np.errstate(invalid="ignore"):
        low = np.where(k > 0, chi2.ppf(alpha / 2, 2 * k) / 2, 0.0)
        high = chi2.ppf(1 - alpha / 2, 2 * k + 2) / 2
    return low, high
