"""The FUNDAE-style training credit (public-facts §1), as a pure rule.

A firm's annual credit is its training contributions of the prior year (``contribution_rate`` of
payroll) times a bonus rate by size band; firms of 1–5 employees get a flat floor instead. Firms
under 50 employees may carry unused credit for a number of years.
"""

from __future__ import annotations

import numpy as np

__all__ = ["annual_credit", "carried_pool"]


def annual_credit(
    payroll_eur: np.ndarray,
    size_band: np.ndarray,
    contribution_rate: float,
    bonus_by_band: np.ndarray,
    floor_eur: float,
) -> np.ndarray:
    """Credit per firm: ``contribution_rate × payroll × bonus[band]``, or the flat floor in band 0 (1–5)."""
    credit = contribution_rate * payroll_eur * bonus_by_band[size_band]
    return np.where(size_band == 0, floor_eur, credit)


def carried_pool(
    before: np.ndarray, credit: np.ndarray, may_carry: np.ndarray, carry_years: int
) -> np.ndarray:
    """The pool after this year's credit: unused credit carries (up to ``carry_years`` credits) if allowed."""
    kept = np.where(may_carry, before, 0.0)
    limit = np.where(may_carry, carry_years * credit, credit)
    return np.minimum(kept + credit, limit)
