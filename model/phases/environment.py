"""Phase 1, environment: budget years, firm credits, vouchers, grant calls, campaign costs.

Runs first so that every decision of the week sees this week's budgets.
"""

from __future__ import annotations

import numpy as np

from model.compiled import BANDS, PTYPES, Compiled
from model.events import Event, EventLog
from model.state import World
from model.streams import Streams

READS = {
    "smes.active",
    "workers.active",
    "smes.employees",
    "smes.size_band",
    "smes.ca_covered",
    "smes.pool",
    "smes.budget_left",
    "smes.credit_active",
    "providers.ptype",
    "providers.seats",
    "providers.pool",
    "providers.day_grant_end",
    "providers.moderated",
    "workers.pool",
    "smes.aware",
    "workers.aware",
    "workers.firm",
}
WRITES = {
    "smes.pool",
    "smes.budget_left",
    "smes.credit_active",
    "providers.pool",
    "providers.day_grant_end",
    "workers.pool",
}


def _payroll_eur(world: World, c: Compiled) -> np.ndarray:
    pop = c.cfg.population
    return world.smes.employees * pop.wage_eur_per_hour * pop.hours_per_year


def _new_year(world: World, c: Compiled, s: Streams, step: int, log: EventLog) -> None:
    """Reset annual budgets; grant firms their training credit; renew vouchers; firm budgets."""
    sm, g = world.smes, world.globals
    day = c.day0(step)
    year = c.year_of(step)
    # Each simulated firm carries the money of the share of its employees that the simulated
    # workers represent, so firm budgets, levies and credits stay consistent with the worker sample
    # whatever the preset's firm-size mix (outputs scale by w_scale).
    open_firms = sm.active
    employed = (world.workers.firm >= 0) & world.workers.active
    firm_money = float(employed.sum()) / max(float(sm.employees[open_firms].sum()), 1.0)
    payroll = _payroll_eur(world, c) * sm.active  # closed firms pay no levy and get no credit
    sm.budget_left[:] = sm.employees * c.cfg.population.training_budget_eur_per_employee * firm_money
    for inst in c.instruments:
        k, cfg = inst.index, inst.config
        added = 0.0
        if inst.owner == "global":
            levy = cfg.levy_rate_of_payroll * float(payroll[sm.ca_covered].sum()) * firm_money
            g.pool[k] = cfg.budget_eur_per_year / c.w_scale + levy
            added = g.pool[k]
        elif inst.kind == "training_credit":
            rules = cfg.credit
            rate = np.array([0.0, *[rules.bonus_rates.get(b, 0.0) for b in BANDS[1:]]])
            credit = rules.contribution_rate * payroll * rate[sm.size_band]
            credit = np.where(sm.size_band == 0, rules.floor_eur, credit) * firm_money * sm.active
            carry = sm.employees < 50
            limit = np.where(carry, rules.carry_years_under_50 * credit, credit)
            before = np.where(carry, sm.pool[:, k], 0.0)
            new_pool = np.minimum(before + credit, limit)
            added = float((new_pool - before).sum())
            sm.pool[:, k] = new_pool
            uptake = np.array([rules.admin_uptake_by_size.get(b, 0.0) for b in BANDS])
            u = s.uniform(f"credit_admin.{inst.id}", year, np.arange(sm.n))
            sm.credit_active[:] = u < uptake[sm.size_band]
        elif inst.kind == "voucher":
            if (year - c.cfg.start_date.year) % cfg.voucher_period_years == 0:
                world.workers.pool[:, k] = cfg.voucher_eur_per_period
                added = cfg.voucher_eur_per_period * world.workers.n
        if added > 0:
            log.emit(Event.BUDGET_AVAILABLE, step, day, instrument=k, value=added)


def _grant_calls(world: World, c: Compiled, s: Streams, step: int, log: EventLog) -> None:
    """Open competitive-grant calls: eligible providers apply, the budget is split by seats."""
    p = world.providers
    for inst in c.instruments:
        if inst.kind != "competitive_grant":
            continue
        k = inst.index
        for j, call in enumerate(inst.config.calls):
            if call.open_week + call.deadline_weeks != step:  # awards at the deadline
                continue
            types = [PTYPES.index(t) for t in inst.config.provider_types]
            eligible = np.isin(p.ptype, types)
            u = s.uniform(f"grant_apply.{inst.id}.{j}", step, np.arange(p.n))
            applied = eligible & (u < inst.config.application_rate)
            budget = call.budget_eur / c.w_scale
            log.emit(Event.BUDGET_AVAILABLE, step, c.day0(step), instrument=k, value=budget)
            if not applied.any():
                continue
            weight = np.where(applied, p.seats.astype(np.float64) + 1e-9, 0.0)
            p.pool[:, k] += (budget * weight / weight.sum()).astype(np.float32)
            end = c.day0(step) + call.project_weeks * 7
            p.day_grant_end[:, k] = np.where(
                applied, np.maximum(p.day_grant_end[:, k], end), p.day_grant_end[:, k]
            )


def run(world: World, c: Compiled, s: Streams, step: int, log: EventLog) -> None:
    """Advance the calendar: new budget year, grant calls, campaign costs, panel set-up."""
    year = c.year_of(step)
    if year != world.globals.year:
        _new_year(world, c, s, step, log)
        world.globals.year = year
    _grant_calls(world, c, s, step, log)
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
