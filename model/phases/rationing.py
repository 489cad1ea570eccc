"""Phase 6, rationing: settle scarce funding by a random priority key, then enrol the winners.

Budgets are rationed instrument by instrument in precedence order; seats are rationed later, at
intake, so enrolled learners may wait. The priority key is a keyed draw, so no result depends on
the order in which agents are stored or iterated.
"""

from __future__ import annotations

import numpy as np

from model.compiled import Compiled
from model.events import Event, EventLog
from model.phases.decisions import Intents
from model.rules import funding
from model.state import Status, World
from model.streams import Streams

TAKES = ("decisions",)  # the decisions phase's return value: this week's Intents
READS = {
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


def run(world: World, c: Compiled, s: Streams, step: int, log: EventLog, decisions: Intents) -> None:
    """Fund, then enrol, this week's intents (what the decisions phase returned)."""
    it = decisions
    w, sm = world.workers, world.smes
    priority = s.uniform("priority", step, it.worker)
    won, refused_by = funding.ration(world, c, it.quote, it.worker, it.provider, priority)
    lost = np.flatnonzero(refused_by >= 0)
    log.emit(
        Event.REFUSED,
        step,
        c.day0(step) + s.day_in_week("day.enrol", step, it.worker[lost]),
        worker=it.worker[lost],
        instrument=refused_by[lost],
        module=it.module[lost],
        value=it.quote.amount[lost, refused_by[lost]],
    )
    funding.commit(world, c, it.quote, it.worker, it.provider, won)
    ids = it.worker[won]
    day = c.day0(step) + s.day_in_week("day.enrol", step, ids)
    rpl = it.rpl[won]
    w.status[ids] = np.where(rpl, Status.TRAINING, Status.WAITING)
    w.module[ids] = it.module[won]
    w.provider[ids] = it.provider[won]
    w.rpl[ids] = rpl
    w.sponsored[ids] = it.sponsored[won]
    w.day_enrolled[ids] = day
    w.day_due[ids] = np.where(rpl, day + int(round(c.cfg.pathway.rpl.assessment_days)), day)
    w.stage[ids] = 1
    spons = it.sponsored[won]
    firms = w.firm[ids[spons]]
    np.subtract.at(sm.budget_left, firms, it.net_cost[won][spons].astype(np.float32))
    newly_aware = ids[~w.aware[ids]]
    w.aware[ids] = True
    log.emit(
        Event.WORKER_AWARE,
        step,
        c.day0(step) + s.day_in_week("day.enrol", step, newly_aware),
        worker=newly_aware,
    )
    log.emit(
        Event.SPONSORED,
        step,
        day[spons],
        worker=ids[spons],
        firm=firms,
        module=it.module[won][spons],
        value=it.net_cost[won][spons],
    )
    log.emit(
        Event.ENROLLED,
        step,
        day,
        worker=ids,
        firm=w.firm[ids],
        provider=it.provider[won],
        module=it.module[won],
        value=it.net_cost[won],
    )
