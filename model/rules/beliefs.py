"""What employers believe about micro-credentials, counted from evidence (a Beta–Bernoulli belief).

Why counted evidence: a belief moves with the number of observations behind it, so many good
observations move a firm further than a few, and a firm that has seen little stays near its prior.
A firm accepts a kind of credential when its posterior mean clears its threshold by
``risk_aversion`` posterior standard deviations: in safety-critical HV work a wrong hire is costly
(report L375), so uncertainty itself holds acceptance back. The threshold is the break-even share of
good hires, ``r / (1 + r)`` for a cost ratio ``r`` of a wrong hire to a right one.
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = [
    "kind_of",
    "posterior",
    "accepted",
    "break_even",
    "reputation",
    "reputation_factor",
    "add_by_region",
    "update_beliefs",
    "KIND_MODERATED",
    "KIND_EDC",
]

KIND_EDC = 1  # bit of the kind index: issued as a European Digital Credential
KIND_MODERATED = 2  # bit of the kind index: assessment externally moderated


def kind_of(moderated: np.ndarray, edc: np.ndarray) -> np.ndarray:
    """Kind index of credentials: 0 paper, 1 EDC, 2 moderated paper, 3 moderated EDC."""
    return np.asarray(moderated, np.int64) * KIND_MODERATED + np.asarray(edc, np.int64) * KIND_EDC


def posterior(
    prior_mean: np.ndarray, strength: float, good: np.ndarray, bad: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Posterior mean and standard deviation of the share of good holders (Beta prior + counts)."""
    a = np.asarray(prior_mean, np.float64) * strength + good
    b = (1.0 - np.asarray(prior_mean, np.float64)) * strength + bad
    n = a + b
    return a / n, np.sqrt(a * b / (n * n * (n + 1.0)))


def accepted(mean: np.ndarray, sd: np.ndarray, threshold: np.ndarray, risk_aversion: float) -> np.ndarray:
    """Whether a belief clears the threshold by ``risk_aversion`` standard deviations."""
    return mean - risk_aversion * sd >= threshold


@numba.njit(cache=True, nogil=True)
def add_by_region(rows: np.ndarray, region: np.ndarray, table: np.ndarray, total: np.ndarray) -> None:
    """``total[f] += table[region[f]]`` for each firm ``f`` in ``rows`` (word of mouth), in place.

    A compiled loop: the gather-and-scatter over every aware firm each week costs several times more
    in NumPy. Same float32 sums.
    """
    for i in range(rows.size):
        f = rows[i]
        r = region[f]
        for k in range(total.shape[1]):
            total[f, k] += table[r, k]


@numba.njit(cache=True, nogil=True)
def update_beliefs(
    rows: np.ndarray,
    prior: np.ndarray,
    strength: float,
    good: np.ndarray,
    bad: np.ndarray,
    threshold: np.ndarray,
    risk_aversion: float,
    accepts_kinds: np.ndarray,
    trust: np.ndarray,
) -> None:
    """For each firm in ``rows``: the kinds it accepts (a bit mask) and its best posterior mean, in place.

    ``posterior`` and ``accepted`` as one compiled loop, the same arithmetic in the same order (a test
    compares them), because every aware firm's beliefs are recomputed every week.
    """
    for i in range(rows.size):
        f = rows[i]
        p = np.float64(prior[f])
        bits = 0
        best = -np.inf
        for k in range(good.shape[1]):
            a = p * strength + good[f, k]
            b = (1.0 - p) * strength + bad[f, k]
            n = a + b
            mean = a / n
            sd = np.sqrt(a * b / (n * n * (n + 1.0)))
            if mean - risk_aversion * sd >= threshold[f]:
                bits |= 1 << k
            best = max(best, mean)
        accepts_kinds[f] = bits
        trust[f] = best


def break_even(cost_ratio: float) -> float:
    """Share of good hires at which hiring on the credential breaks even: ``r / (1 + r)``."""
    return cost_ratio / (1.0 + cost_ratio)


def reputation(good: np.ndarray, bad: np.ndarray, strength: float) -> np.ndarray:
    """Providers' reputation: the posterior mean share of good outcomes in their published record."""
    return (0.5 * strength + good) / (strength + good + bad)


def reputation_factor(good: np.ndarray, bad: np.ndarray, strength: float, active: np.ndarray) -> np.ndarray:
    """Each provider's reputation relative to the average of the active providers (1: average)."""
    rep = reputation(good, bad, strength)
    mean = float(rep[active].mean()) if active.any() else 0.5
    return rep / max(mean, 1e-9)
