"""Phase 5, awareness: Bass diffusion among SMEs and among workers, raised by outreach.

External rate ``p`` (raised by campaigns) plus imitation ``q`` of aware peers in the same region;
workers also hear of micro-credentials from an aware employer.
"""

from __future__ import annotations

import numba
import numpy as np

from model.compiled import Compiled
from model.events import Event, EventLog
from model.rules.hazards import bass_probability
from model.state import World
from model.streams import Streams

READS = {
    "workers.status",
    "smes.active",
    "workers.active",
    "smes.aware",
    "smes.region",
    "workers.aware",
    "workers.region",
    "workers.woman",
    "workers.firm",
}
WRITES = {"smes.aware", "workers.aware"}


def _share_by_region(
    flag: np.ndarray, region: np.ndarray, n_regions: int, active: np.ndarray | None = None
) -> np.ndarray:
    """Share of flagged agents per region among active ones (one compiled pass: totals and hits)."""
    if active is None:
        active = np.ones(len(flag), dtype=np.bool_)
    total, hits = _count_by_region(flag.astype(np.bool_, copy=False), region, active, n_regions)
    return np.divide(hits, total, out=np.zeros(n_regions), where=total > 0)


@numba.njit(cache=True, nogil=True)
def _count_by_region(flag: np.ndarray, region: np.ndarray, active: np.ndarray, n_regions: int):
    total = np.zeros(n_regions, np.float64)
    hits = np.zeros(n_regions, np.float64)
    for i in range(flag.size):
        if active[i]:
            total[region[i]] += 1.0
            if flag[i]:
                hits[region[i]] += 1.0
    return total, hits


def worker_bound(c: Compiled) -> float:
    """Upper bound of a worker's weekly awareness probability (all channels at their best)."""
    d, o = c.cfg.diffusion, c.cfg.outreach
    p_max = d.worker_p * max(o.women.p_multiplier, 1.0) * max(o.rural.p_multiplier, 1.0)
    p_max += c.cfg.worker.role_model_awareness  # a woman's regional share is at most 1
    return float(bass_probability(p_max + d.employer_channel_per_year, d.worker_q, 1.0))


def women_share_by_region(world: World, c: Compiled, learners_only: bool = False) -> np.ndarray:
    """Women's share among each region's workforce and learners (or learners only): role models."""
    w = world.workers
    n_reg = len(c.region_names)
    total, hits = _women_by_region(w.woman, w.region, w.active, w.firm, w.status, n_reg, learners_only)
    return np.divide(hits, total, out=np.zeros(n_reg), where=total > 0)


@numba.njit(cache=True, nogil=True)
def _women_by_region(woman, region, active, firm, status, n_regions: int, learners_only: bool):
    """(people, women) per region among active learners and, unless ``learners_only``, the employed."""
    total = np.zeros(n_regions, np.float64)
    hits = np.zeros(n_regions, np.float64)
    for i in range(woman.size):
        if not active[i]:
            continue
        if status[i] == 0 and (learners_only or firm[i] < 0):
            continue
        total[region[i]] += 1.0
        if woman[i]:
            hits[region[i]] += 1.0
    return total, hits


def _contacts(s: Streams, purpose: str, step: int, ids: np.ndarray, target, scale: float) -> np.ndarray:
    """Members of a group a campaign contacts this week (each with the same chance, aware or not)."""
    per_week = target.people_per_year / 52.0 / scale
    if per_week <= 0 or len(ids) == 0:
        return ids[:0]
    return ids[s.uniform(f"{purpose}.contact", step, ids) < min(1.0, per_week / len(ids))]


def _campaigns(
    world: World, c: Compiled, s: Streams, step: int, log: EventLog
) -> tuple[np.ndarray, np.ndarray]:
    """Direct contacts of the campaigns: (firms, workers) made aware; each contact costs the funder."""
    o, sm, w = c.cfg.outreach, world.smes, world.workers
    groups = (
        ("outreach.smes", o.smes, lambda: np.flatnonzero(sm.active), True),
        ("outreach.women", o.women, lambda: np.flatnonzero(w.active & w.woman), False),
        ("outreach.rural", o.rural, lambda: np.flatnonzero(w.active & c.region_rural[w.region]), False),
    )
    found = {True: [np.zeros(0, np.int64)], False: [np.zeros(0, np.int64)]}
    for purpose, target, members, firms in groups:
        if target.people_per_year <= 0:
            continue
        ids = members()
        reached = _contacts(s, purpose, step, ids, target, c.f_scale if firms else c.w_scale)
        if len(reached) and target.cost_eur_per_person > 0:
            log.emit(Event.OUTREACH_COST, step, c.day0(step), value=len(reached) * target.cost_eur_per_person)
        aware = sm.aware[reached] if firms else w.aware[reached]
        won = reached[~aware & (s.uniform(f"{purpose}.convert", step, reached) < target.conversion)]
        found[firms].append(won)
    return np.unique(np.concatenate(found[True])), np.unique(np.concatenate(found[False]))


def run(world: World, c: Compiled, s: Streams, step: int, log: EventLog) -> None:
    """Unaware SMEs and workers become aware with Bass probabilities."""
    d, o = c.cfg.diffusion, c.cfg.outreach
    sm, w = world.smes, world.workers
    n_reg = len(c.region_names)
    rural_mult = np.where(c.region_rural, o.rural.p_multiplier, 1.0)
    day0 = c.day0(step)
    sme_share = _share_by_region(sm.aware, sm.region, n_reg, sm.active)
    worker_share = _share_by_region(w.aware, w.region, n_reg, w.active)

    idx = np.flatnonzero(~sm.aware & sm.active)
    p = d.p * o.smes.p_multiplier * rural_mult[sm.region[idx]]
    prob = bass_probability(p, d.q, sme_share[sm.region[idx]])
    new = idx[s.uniform("aware.sme", step, idx) < prob]

    # Workers: draw first, then evaluate the hazard only under its bound (thinning, same result).
    jdx, u = s.under("aware.worker", step, ~w.aware & w.active, worker_bound(c))
    reg = w.region[jdx]
    firm = w.firm[jdx]
    employer_aware = (firm >= 0) & sm.aware[np.maximum(firm, 0)]
    p = d.worker_p * np.where(w.woman[jdx], o.women.p_multiplier, 1.0) * rural_mult[reg]
    p = p + d.employer_channel_per_year * employer_aware
    if c.cfg.worker.role_model_awareness > 0:
        p = p + c.cfg.worker.role_model_awareness * w.woman[jdx] * women_share_by_region(world, c)[reg]
    prob = bass_probability(p, d.worker_q, worker_share[reg])
    new_w = jdx[u < prob]

    firms, people = _campaigns(world, c, s, step, log)
    new = np.union1d(new, firms[~sm.aware[firms]])
    new_w = np.union1d(new_w, people[~w.aware[people]])
    sm.aware[new] = True
    w.aware[new_w] = True
    log.emit(Event.SME_AWARE, step, day0 + s.day_in_week("day.sme_aware", step, new), firm=new)
    log.emit(
        Event.WORKER_AWARE,
        step,
        day0 + s.day_in_week("day.worker_aware", step, new_w),
        worker=new_w,
    )
