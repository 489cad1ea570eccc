"""Firm money: payroll and how much of a firm's money one simulated firm carries.

Why a rule of its own: levies, training credits and firms' training budgets are all computed from
payroll, and all must stay consistent with the worker sample whatever the preset's firm-size mix,
so they share one definition.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numba
import numpy as np

if TYPE_CHECKING:
    from model.compiled import Compiled
    from model.state import World

__all__ = ["payroll_eur", "money_share", "firm_ev_share", "staff_counts"]


def payroll_eur(world: World, c: Compiled) -> np.ndarray:
    """Annual payroll of each firm (real employees × wage × hours); closed firms pay none."""
    pop = c.cfg.population
    return world.smes.employees * pop.wage_eur_per_hour * pop.hours_per_year * world.smes.active


def money_share(world: World) -> float:
    """Share of its real employees' money a simulated firm carries: simulated staff ÷ real staff.

    Outputs scale euros by ``w_scale`` (real workers per simulated worker), so per-firm amounts
    computed from real staff counts are scaled by this share to stay consistent with the sample.
    """
    sm, w = world.smes, world.workers
    employed = (w.firm >= 0) & w.active
    return float(employed.sum()) / max(float(sm.employees[sm.active].sum()), 1.0)


def firm_ev_share(ev_share: float, ev_mult: np.ndarray | float) -> np.ndarray:
    """A firm's EV share of its service work: the national share times its own mix, at most 1."""
    return np.minimum(1.0, ev_share * np.asarray(ev_mult, dtype=np.float64))


@numba.njit(cache=True, nogil=True)
def staff_counts(firm_of_worker: np.ndarray, n_firms: int) -> np.ndarray:
    """People each firm employs (people who left have no firm, -1): one compiled pass over the workers."""
    staff = np.zeros(n_firms, np.int64)
    for i in range(firm_of_worker.size):
        f = firm_of_worker[i]
        if f >= 0:
            staff[f] += 1
    return staff
