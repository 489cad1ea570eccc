"""Funding: quotes, rationing under finite pools, commitments, payments and releases.

Why commitments: a learner's funding is reserved when they enrol and paid when the instrument's
trigger is reached (enrolment, completion or credential), so money paid can never exceed the
budget made available, and a dropout returns what was not yet paid. Instruments stack in the
scenario's list order (their declared precedence): each covers a share of what the ones before it
left. Pools belong to whoever holds the money: the funder (collective fund, programme budget), the
firm (training credit), the provider (competitive grant) or the worker (voucher).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from model.compiled import AGE_BANDS, BANDS, DELIVERIES, PTYPES, Compiled, InstrumentSpec
from model.events import Event, EventLog
from model.instruments import owner_ids, pool_of
from model.instruments.pools import own_balance
from model.rules.offers import Offer
from model.rules.queues import cumsum_within, lexsort
from model.state import World

__all__ = [
    "Quote",
    "eligibility_context",
    "quote",
    "ration",
    "draw",
    "commit",
    "release",
    "release_one",
    "perceived",
    "pay",
]


@dataclass
class Quote:
    """What each instrument would pay for each candidate, and what is left to pay."""

    amount: np.ndarray  # (n, K) simulated EUR per instrument
    out_of_pocket: np.ndarray  # fee left for the payer (learner or sponsoring firm)
    entry: np.ndarray  # (n, K) what claiming each instrument costs its holder first in a budget year

    def take(self, rows: np.ndarray) -> Quote:
        """The given rows (indices or a mask)."""
        return Quote(self.amount[rows], self.out_of_pocket[rows], self.entry[rows])

    @staticmethod
    def concat(*quotes: Quote) -> Quote:
        """Rows of several quotes, in order."""
        return Quote(
            np.vstack([q.amount for q in quotes]),
            np.concatenate([q.out_of_pocket for q in quotes]),
            np.vstack([q.entry for q in quotes]),
        )


def _listed_fee(world: World, c: Compiled, offer: Offer) -> np.ndarray:
    """A module's fee at the provider, as listed (not the RPL fee of an RPL route)."""
    return c.fee[np.maximum(offer.module, 0)] * world.providers.fee_mult[np.maximum(offer.provider, 0)]


def eligibility_context(world: World, c: Compiled, offer: Offer) -> dict[str, np.ndarray]:
    """Attribute arrays for the eligibility rules, for the candidates given (lazy per attribute)."""
    w, s = world.workers, world.smes
    worker = offer.worker
    firm = w.firm[worker]
    has_firm = firm >= 0
    f = np.maximum(firm, 0)
    regions = np.array(c.region_names, dtype=object)
    band_names = np.array([*BANDS, "none"], dtype=object)
    course_ids = np.array([k.id for k in c.cfg.training.courses] or [""], dtype=object)
    module_ids = np.array(c.module_ids, dtype=object)
    needed = set().union(*(i.rule.attributes for i in c.instruments)) if c.instruments else set()
    getters = {
        "worker.woman": lambda: w.woman[worker],
        "worker.gender": lambda: np.where(w.woman[worker], "f", "m"),
        "worker.jobseeker": lambda: w.jobseeker[worker],
        "worker.employed": lambda: ~w.jobseeker[worker],
        "worker.age_band": lambda: np.array(AGE_BANDS, dtype=object)[w.age_band[worker]],
        "worker.region": lambda: regions[w.region[worker]],
        "worker.rural": lambda: c.region_rural[w.region[worker]],
        "worker.caring": lambda: w.caring[worker],
        "worker.hv_experience": lambda: w.hv_exp[worker],
        "firm.size": lambda: np.where(has_firm, s.employees[f], 0),
        "firm.size_band": lambda: band_names[np.where(has_firm, s.size_band[f], len(BANDS))],
        "firm.ca_covered": lambda: has_firm & s.ca_covered[f],
        "firm.accepts": lambda: has_firm & s.accepts[f],
        "firm.region": lambda: np.where(has_firm, regions[s.region[f]], ""),
        "provider.type": lambda: np.array(PTYPES, dtype=object)[offer.ptype],
        "provider.moderated": lambda: offer.moderated,
        "provider.edc": lambda: offer.edc,
        "provider.esco": lambda: offer.esco,
        "provider.certified": lambda: offer.certified,
        "provider.delivery": lambda: np.array(DELIVERIES, dtype=object)[offer.delivery],
        "provider.region": lambda: regions[offer.region],
        "module.id": lambda: np.where(
            offer.mc, module_ids[np.maximum(offer.module, 0)], course_ids[offer.course]
        ),
        "module.mc": lambda: offer.mc,
        # The module's own hours and fee, whatever the route (an RPL route costs less of both).
        "module.hours": lambda: np.where(offer.mc, c.hours[np.maximum(offer.module, 0)], offer.hours),
        "module.fee": lambda: np.where(offer.mc, _listed_fee(world, c, offer), offer.fee),
        "module.moderated": lambda: offer.moderated,
        "module.edc": lambda: offer.edc,
        "module.esco": lambda: offer.esco,
    }
    ctx = {name: getters[name]() for name in needed}
    ctx["_n"] = worker
    return ctx


def quote(
    world: World,
    c: Compiled,
    offer: Offer,
    wage_cost: np.ndarray,
    day: int,
    sponsored: np.ndarray | None = None,
    declined: np.ndarray | None = None,
) -> Quote:
    """Funding each instrument would give, given pools at the phase start.

    Each instrument covers its share of the fee and of the wage cost that the instruments before
    it left uncovered, so stacked instruments never pay more than the cost. ``sponsored`` marks
    candidates a firm pays for (a firm's own credit funds only those); ``declined`` (n, K) marks
    instruments a candidate's payer chose not to claim (its entry cost outweighs what it pays).
    """
    n, k_all = len(offer), c.n_instruments
    amount = np.zeros((n, k_all))
    entry = np.zeros((n, k_all))
    left = offer.fee.astype(np.float64).copy()
    wage_left = np.asarray(wage_cost, dtype=np.float64).copy()
    if n == 0 or not c.instruments:
        return Quote(amount, left, entry)
    sponsored = np.zeros(n, dtype=bool) if sponsored is None else sponsored
    ctx = eligibility_context(world, c, offer)
    for inst in c.instruments:
        k, kind = inst.index, inst.impl
        terms = kind.terms(world, c, inst, offer, sponsored)
        ok = inst.rule(ctx) & kind.implicit(world, c, inst, offer, day) & terms.ok
        if declined is not None:
            ok &= ~declined[:, k]
        fee_part = np.minimum(left * terms.cover, terms.cap)
        wage_part = wage_left * inst.wage_coverage
        wanted = fee_part + wage_part
        balance = own_balance(world, inst.owner, k, offer.worker, offer.provider)
        total = np.where(ok, np.minimum(wanted, balance), 0.0)
        share = np.divide(total, wanted, out=np.zeros(n), where=wanted > 0)  # pool-limited share
        amount[:, k] = total
        entry[:, k] = np.where(total > 0, terms.entry_cost, 0.0)
        left = np.maximum(left - fee_part * share, 0.0)
        wage_left = np.maximum(wage_left - wage_part * share, 0.0)
    return Quote(amount, left, entry)


def ration(
    world: World, c: Compiled, q: Quote, worker, provider, priority: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Who keeps their quoted funding when pools are finite: priority order, instrument by instrument.

    A candidate refused by any instrument they were counting on does not enrol this week (they may
    try again next week), so no-one enrols on funding that was not there. Returns (kept, index of
    the instrument that refused each candidate or -1): refusals tell funders when a budget ran out.
    """
    alive = np.ones(len(worker), dtype=bool)
    refused_by = np.full(len(worker), -1, dtype=np.int64)
    for inst in c.instruments:
        want = alive & (q.amount[:, inst.index] > 0)
        if not want.any():
            continue
        idx = np.flatnonzero(want)
        owner = owner_ids(world, inst.owner, worker[idx], provider[idx])
        order = lexsort(priority[idx], owner)
        g, amt = owner[order], q.amount[idx[order], inst.index]
        within = cumsum_within(g, amt)
        balance = pool_of(world, inst.owner, inst.index)[g]
        refused = within > balance + 1e-9
        alive[idx[order[refused]]] = False
        refused_by[idx[order[refused]]] = inst.index
    return alive, refused_by


def draw(world: World, c: Compiled, q: Quote, worker, provider, winners: np.ndarray) -> np.ndarray:
    """Take the winners' funding out of the pools; return it (n, K), zero for the others."""
    amounts = np.where(winners[:, None], q.amount, 0.0)
    for inst in c.instruments:
        k = inst.index
        if amounts[:, k].any():
            owner = owner_ids(world, inst.owner, worker, provider)
            np.subtract.at(pool_of(world, inst.owner, k), owner, amounts[:, k])
    return amounts


def commit(world: World, c: Compiled, q: Quote, worker, provider, winners: np.ndarray) -> None:
    """Reserve the winners' funding: take it out of the pools, hold it against the worker until paid."""
    amounts = draw(world, c, q, worker, provider, winners)
    for k in np.flatnonzero(amounts.any(axis=0)):
        world.workers.commit[worker, k] = amounts[:, k].astype(np.float32)


def release(world: World, c: Compiled, ids: np.ndarray) -> None:
    """Return unpaid commitments of workers who left the pipeline to the pools they came from."""
    for inst in c.instruments:
        release_one(world, inst, ids)


def release_one(world: World, inst: InstrumentSpec, ids: np.ndarray) -> None:
    """Return the given workers' unpaid commitment on one instrument to its pool; any claim lapses."""
    w, k = world.workers, inst.index
    amt = w.commit[ids, k].astype(np.float64)
    w.claim_due[ids, k] = -1
    if not amt.any():
        return
    owner = owner_ids(world, inst.owner, ids, w.provider[ids])
    np.add.at(pool_of(world, inst.owner, k), owner, amt)
    w.commit[ids, k] = 0.0


def perceived(c: Compiled, q: Quote) -> np.ndarray:
    """Funding as the payer values it when deciding: a refund paid months later is worth less."""
    if not c.instruments:
        return np.zeros(len(q.out_of_pocket))
    share = np.array([inst.impl.perceived_share(c, inst) for inst in c.instruments])
    return q.amount @ share


def pay(
    world: World, c: Compiled, inst: InstrumentSpec, due: np.ndarray, step: int, day, log: EventLog
) -> None:
    """Pay the due workers' commitments on one instrument (PAID events); nothing stays committed."""
    w, k = world.workers, inst.index
    if len(due) == 0:
        return
    log.emit(
        Event.PAID,
        step,
        day,
        worker=due,
        firm=w.firm[due],
        provider=w.provider[due],
        module=w.module[due],
        instrument=k,
        value=w.commit[due, k].astype(np.float64),
    )
    w.commit[due, k] = 0.0
    w.claim_due[due, k] = -1
