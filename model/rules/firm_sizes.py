"""Staff counts of firms within their size bands, consistent with the sector's real average.

Why: a simulated firm stands for real firms of its size (firms and workers are sampled at the same
fraction), so per-firm amounts — FUNDAE's EUR 420 floor, a training plan, the share of staff a
course takes away — apply as they do to a real firm. The size bands' shares are an assumption; within
a band, staff counts follow a discrete power law ``P(k) ∝ k^-alpha`` whose one exponent is solved so
that the average firm has the sector's real average staff (real employed ÷ real firms). Micro-firm
sectors have many one- and two-person workshops; the exponent says how many.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["StaffDistribution", "staff_distribution"]

_ALPHA_RANGE = (-3.0, 40.0)


@dataclass(frozen=True)
class StaffDistribution:
    """Per band: the possible staff counts and their cumulative probabilities; the solved exponent."""

    sizes: tuple[np.ndarray, ...]
    cdf: tuple[np.ndarray, ...]
    alpha: float
    mean: float  # the mean staff per firm it gives (equals the target unless the target is out of reach)

    def draw(self, band: np.ndarray, u: np.ndarray) -> np.ndarray:
        """Staff counts for firms of the given bands, by inversion of keyed uniforms."""
        out = np.zeros(len(band), dtype=np.int64)
        for b, (sizes, cdf) in enumerate(zip(self.sizes, self.cdf, strict=True)):
            sel = band == b
            out[sel] = sizes[np.minimum(np.searchsorted(cdf, u[sel], side="right"), len(sizes) - 1)]
        return out


def _pmf(sizes: np.ndarray, alpha: float) -> np.ndarray:
    w = np.exp(-alpha * np.log(sizes) - np.max(-alpha * np.log(sizes)))
    return w / w.sum()


def _mean(bands: list[np.ndarray], shares: np.ndarray, alpha: float) -> float:
    return float(sum(s * (_pmf(k, alpha) * k).sum() for k, s in zip(bands, shares, strict=True)))


def staff_distribution(
    bounds: list[tuple[int, int]], shares: np.ndarray, target_mean: float
) -> StaffDistribution:
    """Solve the within-band exponent for ``target_mean`` staff per firm (the mean falls with alpha).

    A target outside what the band shares allow (all firms at the bottom or top of their bands)
    gets the nearest reachable mean; ``mean`` says which.
    """
    shares = np.asarray(shares, dtype=np.float64)
    bands = [np.arange(lo, hi + 1, dtype=np.float64) for lo, hi in bounds]
    lo, hi = _ALPHA_RANGE
    if _mean(bands, shares, lo) <= target_mean:
        alpha = lo
    elif _mean(bands, shares, hi) >= target_mean:
        alpha = hi
    else:
        for _ in range(80):
            mid = 0.5 * (lo + hi)
            if _mean(bands, shares, mid) > target_mean:
                lo = mid
            else:
                hi = mid
        alpha = 0.5 * (lo + hi)
    cdfs = []
    for k in bands:
        cdf = np.cumsum(_pmf(k, alpha))
        cdf[-1] = 1.0
        cdfs.append(cdf)
    return StaffDistribution(
        tuple(k.astype(np.int64) for k in bands), tuple(cdfs), alpha, _mean(bands, shares, alpha)
    )
