"""How a firm decides to train: a training occasion, and the choice among its options.

Why a logit with an outside option: a firm trains when one of its options is worth it. Each option
(one of the firms' usual courses, or sponsoring a micro-credential) has a utility; the firm meets a
training occasion at an annual rate ``rate × staff^elasticity × Σ exp(utility)``, and takes option
``o`` with probability ``exp(U_o) / Σ exp(U)``. Funding that lowers one option's net cost thus both
adds training (the sum grows) and draws training away from the other options (substitution),
which is what funders ask about. Every driver is an observable of the firm: staff, its training
plan and what is left of it, the hours an option takes from its working time, and its net cost.
"""

from __future__ import annotations

import numpy as np

from model.compiled import weekly

__all__ = ["option_utility", "occasion_probability", "choose_option"]


def option_utility(
    value: np.ndarray,
    net_cost_eur: np.ndarray,
    plan_eur: np.ndarray,
    plan_left_eur: np.ndarray,
    hours: np.ndarray,
    staff_hours_per_week: np.ndarray,
    *,
    cost_weight: float,
    downtime_weight: float,
    overrun_weight: float,
) -> np.ndarray:
    """Utility of an option: its value less net cost and overrun (relative to the plan) and downtime.

    Downtime is the share of the firm's weekly working hours the option takes: a one-person
    workshop loses its whole week to a 40-hour course, a firm of 40 a fortieth (limited
    redundancy, report L500). Never above ``value``: costs only lower it.
    """
    plan = np.maximum(plan_eur, 1.0)
    overrun = np.maximum(net_cost_eur - np.maximum(plan_left_eur, 0.0), 0.0)
    return (
        value
        - cost_weight * np.maximum(net_cost_eur, 0.0) / plan
        - overrun_weight * overrun / plan
        - downtime_weight * hours / np.maximum(staff_hours_per_week, 1.0)
    )


def occasion_probability(
    rate_per_year: float, staff: np.ndarray, elasticity: float, utilities: np.ndarray
) -> np.ndarray:
    """Weekly probability of a training occasion; ``utilities`` (firms, options) is -inf where unavailable."""
    total = np.exp(utilities).sum(axis=1)
    return weekly(rate_per_year * np.power(np.maximum(staff, 1).astype(np.float64), elasticity) * total)


def choose_option(utilities: np.ndarray, u: np.ndarray) -> np.ndarray:
    """The option each firm takes, by inversion of a keyed uniform over the logit shares."""
    w = np.exp(utilities)
    cum = np.cumsum(w, axis=1)
    total = cum[:, -1:]
    share = np.divide(cum, total, out=np.ones_like(cum), where=total > 0)
    return np.minimum((share <= u[:, None]).sum(axis=1), utilities.shape[1] - 1)
