"""Phase 7, rationing: settle scarce funding by a random priority key, then enrol the winners.

Budgets are rationed instrument by instrument in precedence order; seats are rationed later, at
intake, so enrolled learners may wait. The priority key is a keyed draw (per learner for their own
enrolments, per firm for a firm's occasion, whose rows stand or fall together), so no result
depends on the order in which agents are stored or iterated. Firms' usual courses take place in the
week and are paid at once; a firm pays what claiming an instrument costs the first time it uses it
in a budget year (``Event.CLAIMED``) and its net costs come off what is left of its plan.
"""

from __future__ import annotations

import numpy as np

from model.compiled import Compiled
from model.events import Event, EventLog
from model.rules import funding
from model.rules.intents import Intents
from model.state import Status, World
from model.streams import Streams

TAKES = ("decisions",)  # the decisions phase's return value: this week's Intents
READS = {
    "smes.claimed",
    "smes.trained_year",
    "workers.hours_year",
    "workers.credit_hours",
    "workers.firm",
    "workers.pool",
    "workers.commit",
    "workers.aware",
    "workers.provider",
    "smes.pool",
    "smes.budget_left",
    "providers.pool",
}
WRITES = {
    "smes.claimed",
    "smes.trained_year",
    "workers.hours_year",
    "workers.credit_hours",
    "workers.status",
    "workers.module",
    "workers.provider",
    "workers.rpl",
    "workers.sponsored",
    "workers.day_enrolled",
    "workers.day_due",
    "workers.stage",
    "workers.commit",
    "workers.pool",
    "workers.aware",
    "smes.pool",
    "smes.budget_left",
    "providers.pool",
}


def _occasions_stand_together(it: Intents, won: np.ndarray) -> np.ndarray:
    """A firm's training occasion goes ahead only if every one of its rows keeps its funding."""
    own = it.occasion < 0
    failed = np.unique(it.occasion[~own & ~won])
    return won & (own | ~np.isin(it.occasion, failed))


def _claims(world: World, c: Compiled, step: int, log: EventLog, it: Intents, won: np.ndarray) -> np.ndarray:
    """Firms claim instruments they use for the first time this budget year; return each firm's entry cost."""
    sm, w = world.smes, world.workers
    paid_entry = np.zeros(sm.n)
    for k in range(c.n_instruments):
        rows = np.flatnonzero(won & (it.quote.amount[:, k] > 0) & (it.quote.entry[:, k] > 0))
        firms, first = np.unique(w.firm[it.worker[rows]], return_index=True)
        new = (firms >= 0) & ~sm.claimed[np.maximum(firms, 0), k]
        firms, cost = firms[new], it.quote.entry[rows[first[new]], k]
        sm.claimed[firms, k] = True
        paid_entry[firms] += cost
        log.emit(Event.CLAIMED, step, c.day0(step), firm=firms, instrument=k, value=cost)
    return paid_entry


def _courses(
    world: World, c: Compiled, s: Streams, step: int, log: EventLog, it: Intents, won: np.ndarray
) -> None:
    """Firms' usual courses take place this week (a day or a few) and their funding is paid at once."""
    w = world.workers
    rows = np.flatnonzero(won & ~it.offer.mc)
    worker, course, firm = it.worker[rows], it.offer.course[rows], w.firm[it.worker[rows]]
    day = c.day0(step) + s.day_in_week("day.course", step, firm)
    log.emit(
        Event.COURSE_TAKEN, step, day, worker=worker, firm=firm, module=course, value=it.offer.hours[rows]
    )
    amounts = funding.draw(world, c, it.quote, it.worker, it.offer.provider, won & ~it.offer.mc)
    for k in np.flatnonzero(amounts[rows].any(axis=0)):
        paid = amounts[rows, k] > 0
        log.emit(
            Event.COURSE_PAID,
            step,
            day[paid],
            worker=worker[paid],
            firm=firm[paid],
            module=course[paid],
            instrument=int(k),
            value=amounts[rows[paid], k],
        )


def _count_training(world: World, it: Intents, won: np.ndarray) -> None:
    """Who trains this year, for a statutory duty: firms' trained staff, workers' hours, credit used."""
    w, sm = world.workers, world.smes
    rows = np.flatnonzero(won)
    worker, hours = it.worker[rows], it.offer.hours[rows]
    employed = w.firm[worker] >= 0
    np.add.at(sm.trained_year, w.firm[worker[employed & (it.occasion[rows] >= 0)]], 1)
    w.hours_year[worker[employed]] += hours[employed].astype(np.float32)
    own = employed & (it.occasion[rows] < 0)  # the worker's own training draws on the credit first
    w.credit_hours[worker[own]] -= np.minimum(w.credit_hours[worker[own]], hours[own]).astype(np.float32)


def run(world: World, c: Compiled, s: Streams, step: int, log: EventLog, decisions: Intents) -> None:
    """Fund this week's intents; enrol the micro-credential learners; hold the firms' courses."""
    it = decisions
    w, sm = world.workers, world.smes
    own = it.occasion < 0
    priority = np.where(
        own, s.uniform("priority", step, it.worker), s.uniform("priority.occasion", step, it.occasion)
    )
    won, refused_by = funding.ration(world, c, it.quote, it.worker, it.offer.provider, priority)
    won = _occasions_stand_together(it, won)
    lost = np.flatnonzero(refused_by >= 0)
    log.emit(
        Event.REFUSED,
        step,
        c.day0(step) + s.day_in_week("day.enrol", step, it.worker[lost]),
        worker=it.worker[lost],
        instrument=refused_by[lost],
        module=it.offer.module[lost],
        value=it.quote.amount[lost, refused_by[lost]],
    )
    entry = _claims(world, c, step, log, it, won)
    _count_training(world, it, won)
    paid = won & it.sponsored
    spent = np.bincount(w.firm[it.worker[paid]], weights=it.net_cost[paid], minlength=sm.n)[: sm.n] + entry
    sm.budget_left[:] = (sm.budget_left - spent).astype(np.float32)
    _courses(world, c, s, step, log, it, won)
    _enrol(world, c, s, step, log, it, won & it.offer.mc)


def _enrol(
    world: World, c: Compiled, s: Streams, step: int, log: EventLog, it: Intents, won: np.ndarray
) -> None:
    """MC winners: funding committed, then waiting for a seat (or straight to the RPL assessment)."""
    w = world.workers
    funding.commit(world, c, it.quote, it.worker, it.offer.provider, won)
    ids = it.worker[won]
    module = it.offer.module[won]
    day = c.day0(step) + s.day_in_week("day.enrol", step, ids)
    rpl = it.rpl[won]
    w.status[ids] = np.where(rpl, Status.TRAINING, Status.WAITING)
    w.module[ids] = module
    w.provider[ids] = it.offer.provider[won]
    w.rpl[ids] = rpl
    w.sponsored[ids] = it.sponsored[won]
    w.day_enrolled[ids] = day
    w.day_due[ids] = np.where(rpl, day + int(round(c.cfg.pathway.rpl.assessment_days)), day)
    w.stage[ids] = 1
    spons = it.sponsored[won]
    firms = w.firm[ids[spons]]
    newly_aware = ids[~w.aware[ids]]
    w.aware[ids] = True
    log.emit(
        Event.WORKER_AWARE,
        step,
        c.day0(step) + s.day_in_week("day.enrol", step, newly_aware),
        worker=newly_aware,
    )
    net = it.net_cost[won]
    log.emit(
        Event.SPONSORED,
        step,
        day[spons],
        worker=ids[spons],
        firm=firms,
        module=module[spons],
        value=net[spons],
    )
    log.emit(
        Event.ENROLLED,
        step,
        day,
        worker=ids,
        firm=w.firm[ids],
        provider=it.offer.provider[won],
        module=module,
        value=net,
    )
    # An RPL route starts at once: the evidence is assessed (its hours are the learner's time).
    log.emit(
        Event.STARTED,
        step,
        day[rpl],
        worker=ids[rpl],
        firm=w.firm[ids[rpl]],
        provider=it.offer.provider[won][rpl],
        module=module[rpl],
        value=it.offer.hours[won][rpl],
    )
