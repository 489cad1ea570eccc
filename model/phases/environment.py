"""Phase 1, environment: budget years, firm credits, vouchers, grant calls, campaign costs.

Runs first so that every decision of the week sees this week's budgets.
"""

from __future__ import annotations

import numpy as np

from model.compiled import Compiled
from model.events import Event, EventLog
from model.rules.firms import money_share
from model.state import World
from model.streams import Streams

READS = {
    "smes.active",
    "workers.active",
    "workers.jobseeker",
    "smes.employees",
    "smes.size_band",
    "smes.ca_covered",
    "smes.pool",
    "smes.budget_left",
    "smes.claimed",
    "smes.plan_mult",
    "providers.ptype",
    "providers.seats",
    "providers.pool",
    "providers.day_grant_end",
    "providers.moderated",
    "workers.pool",
    "smes.aware",
    "workers.aware",
    "workers.firm",
    "workers.hours_year",
    "workers.credit_hours",
    "smes.trained_year",
}
WRITES = {
    "smes.pool",
    "smes.budget_left",
    "smes.claimed",
    "providers.pool",
    "providers.day_grant_end",
    "workers.pool",
    "workers.hours_year",
    "workers.credit_hours",
    "smes.trained_year",
}


def _new_year(world: World, c: Compiled, s: Streams, step: int, log: EventLog) -> None:
    """Firms revise their training plans for the year; each instrument refills for the new budget year.

    A plan is the sector's training spend per employee (CVTS) times the firm's own multiplier: a
    plan, not a wall (firms may overrun it at a cost, ``model.rules.firm_choice``).
    """
    sm = world.smes
    per_employee = c.cfg.population.training_budget_eur_per_employee
    sm.budget_left[:] = sm.employees * per_employee * sm.plan_mult * money_share(world)
    sm.trained_year[:] = 0
    _bank_untrained_hours(world, c)
    _made_available(c, step, log, lambda inst: inst.impl.refill_year(world, c, inst, s, step, log))


def _bank_untrained_hours(world: World, c: Compiled) -> None:
    """A statutory entitlement not given in the year becomes the worker's training credit (Portugal)."""
    duty, w = c.cfg.training.duty, world.workers
    if duty.entitlement_hours_per_year > 0:
        owed = np.maximum(duty.entitlement_hours_per_year - w.hours_year, 0.0) * (w.active & (w.firm >= 0))
        w.credit_hours[:] = np.minimum(w.credit_hours + owed, duty.credit_cap_hours)
    w.hours_year[:] = 0.0


def _made_available(c: Compiled, step: int, log: EventLog, refill) -> None:
    """Log each amount an instrument's refill made available (funders' budget figures)."""
    for inst in c.instruments:
        for added in refill(inst):
            if added > 0:
                log.emit(Event.BUDGET_AVAILABLE, step, c.day0(step), instrument=inst.index, value=added)


def run(world: World, c: Compiled, s: Streams, step: int, log: EventLog) -> None:
    """Advance the calendar: new budget year, grant calls, campaign costs, panel set-up."""
    year = c.year_of(step)
    if year != world.globals.year:
        _new_year(world, c, s, step, log)
        world.globals.year = year
    _made_available(c, step, log, lambda inst: inst.impl.refill_week(world, c, inst, s, step, log))
    o = c.cfg.outreach
    weekly_cost = (o.smes.cost_eur_per_year + o.women.cost_eur_per_year + o.rural.cost_eur_per_year) / 52.0
    if weekly_cost > 0:
        log.emit(Event.OUTREACH_COST, step, c.day0(step), value=weekly_cost / c.w_scale)
    if step == 0:
        _initial_state_events(world, c, log)


def _initial_state_events(world: World, c: Compiled, log: EventLog) -> None:
    """Log who starts aware, and the panel, so stocks rebuilt from events include them."""
    log.emit(Event.SME_AWARE, 0, 0, firm=np.flatnonzero(world.smes.aware))
    log.emit(Event.WORKER_AWARE, 0, 0, worker=np.flatnonzero(world.workers.aware))
    mod = c.cfg.moderation
    if mod.assessors > 0 and world.providers.moderated.any():
        log.emit(Event.ASSESSORS_JOINED, 0, 0, value=float(mod.assessors))
