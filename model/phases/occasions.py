"""Part of phase 6 (decisions): firms' training occasions, their usual courses and sponsoring an MC.

Why firms' whole training: public statistics (CVTS, FUNDAE, Portugal's Relatório Único) count all
the training firms do, and a funder's first question is whether a subsidy adds training or pays for
training that would have happened anyway under another name. So each firm weighs its usual courses
(the preset's ``training.courses``: OEM product courses, safety refreshers, other short courses)
and, once it knows of them, sponsoring a micro-credential module for one of its staff, against not
training at all (``model.rules.firm_choice``). All options compete for the same staff time, the same
plan and the same funding: an instrument pays for any eligible training unless its rule says
otherwise (``module.mc``).

Thinning: a firm's occasion probability can only fall below its bound (every option at its best
value, at no cost), so one keyed draw per firm is compared with the bound first and the full
evaluation — participants, quotes, utilities — runs only for the firms under it. Same decisions.
"""

from __future__ import annotations

import numba
import numpy as np

from model.compiled import DAYS_PER_YEAR, Compiled
from model.rules import funding
from model.rules.firm_choice import choose_option, occasion_probability, option_utility
from model.rules.firms import firm_ev_share, staff_counts
from model.rules.intents import Intents
from model.rules.offers import concat_offers, course_offers, module_offers
from model.rules.providers import choose_provider, members, routes
from model.state import Status, World
from model.streams import Streams, unit_at

__all__ = ["firm_intents", "no_intents", "THINNING"]


def no_intents(c: Compiled) -> Intents:
    """Intents with no rows."""
    empty = np.zeros(0, dtype=np.int64)
    offer = course_offers(c, empty, empty, empty)
    q = funding.Quote(np.zeros((0, c.n_instruments)), np.zeros(0), np.zeros((0, c.n_instruments)))
    return Intents(offer, q, np.zeros(0), np.zeros(0, bool), np.zeros(0, bool), empty)


def _mc_value(c: Compiled, trust: np.ndarray, need: np.ndarray) -> np.ndarray:
    """Utility of sponsoring an MC: trust in MCs and the firm's EV need (its log: need scales the rate)."""
    emp = c.cfg.employer
    with np.errstate(divide="ignore"):
        return emp.mc_value + emp.trust_weight * (trust - 0.5) + np.log(need)


def _course_values(c: Compiled, ev: np.ndarray) -> np.ndarray:
    """(firms, courses) utility of each usual course: its value plus its EV weight × the firm's EV share."""
    courses = c.cfg.training.courses
    value = np.array([k.value for k in courses], dtype=np.float64)
    ev_weight = np.array([k.ev_value_weight for k in courses], dtype=np.float64)
    return value[None, :] + ev_weight[None, :] * ev[:, None]


def _first_per_group(group: np.ndarray, key: np.ndarray) -> np.ndarray:
    """Index of the lowest ``key`` within each group (positions into the arrays); keys are distinct draws."""
    if len(group) == 0:
        return np.zeros(0, dtype=np.int64)
    lowest = np.full(int(group.max()) + 1, np.inf)
    np.minimum.at(lowest, group, key)
    return np.flatnonzero(key == lowest[group])


def _course_rows(world: World, c: Compiled, s: Streams, step: int, mem: np.ndarray, pos: np.ndarray):
    """Participants each candidate firm would send on each course: a lead, and staff who join.

    ``mem``/``pos`` are the candidate firms' staff and their firm's position. Staff in
    micro-credential training this week are away. Returns (worker, course, firm position).
    """
    w = world.workers
    free = w.status[mem] != Status.TRAINING
    mem, pos = mem[free], pos[free]
    n_courses = len(c.cfg.training.courses)
    if len(mem) == 0 or n_courses == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    lead = np.zeros(len(mem), dtype=bool)
    lead[_first_per_group(pos, s.uniform("course.lead", step, mem))] = True
    catalogue = c.cfg.training.courses
    share = np.array([k.group_share for k in catalogue])[:, None]
    joins = lead | (s.uniforms(tuple(f"course.join.{k.id}" for k in catalogue), step, mem) < share)
    course, member = np.nonzero(joins)  # course by course, members in order: as drawn one by one
    return mem[member], course.astype(np.int64), pos[member]


def _nominees(
    world: World, c: Compiled, s: Streams, step: int, cand: np.ndarray, mem: np.ndarray, idle_mask: np.ndarray
):
    """Each aware candidate firm's nominee for its next MC module: the idle employee with a route first drawn.

    Returns (worker, module, rpl, provider, firm position).
    """
    w, sm = world.workers, world.smes
    mem = mem[sm.aware[w.firm[mem]] & idle_mask[mem]]
    idle, mod, rpl = routes(world, c, mem)
    firm = w.firm[idle]
    pick = _first_per_group(firm, s.uniform("nominee", step, idle))
    idle, mod, rpl, firm = idle[pick], mod[pick], rpl[pick], firm[pick]
    prov, _ = choose_provider(world, c, w.region[idle], mod, rpl, s.uniform("provider", step, idle))
    return idle, mod, rpl, prov, np.searchsorted(cand, firm)  # ``cand`` is sorted (from flatnonzero)


def _lacking_first_gateway(world: World, cand: np.ndarray, mem: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """Share of each candidate firm's staff without the first gateway."""
    size = np.bincount(pos, minlength=len(cand))
    lacking = np.bincount(pos, weights=(world.workers.held[mem] & 1) == 0, minlength=len(cand))
    return np.divide(lacking, size, out=np.zeros(len(cand)), where=size > 0)


def _group_sum(group: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    return np.bincount(group, weights=values, minlength=n)[:n]


def _group_max(group: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    out = np.zeros(n)
    np.maximum.at(out, group, values)
    return out


def _duty_pressure(c: Compiled, sm, firms: np.ndarray, staff: np.ndarray) -> np.ndarray:
    """Utility a firm that acts on a statutory duty adds while it has trained fewer than its quota (PT)."""
    duty = c.cfg.training.duty
    if duty.duty_share <= 0:
        return np.zeros(len(firms))
    below = sm.trained_year[firms] < duty.duty_share * staff
    return np.where(sm.complies[firms] & below, duty.duty_weight, 0.0)


def _least_option_costs(world: World, c: Compiled) -> tuple[np.ndarray, np.ndarray]:
    """(net EUR, hours) per option, the least any participant can cost: its shortest hours.

    The net cost is at least what stacked instruments, each at its largest cover, leave of the
    cheapest fee and of the release time. With one participant, a firm's least utility cost of an
    option follows (``_candidates``): so the bound stays above every true probability.
    """
    tr, pop, rpl = c.cfg.training, c.cfg.population, c.cfg.pathway.rpl
    hours = np.array([*(k.hours for k in tr.courses), min(float(c.hours.min()), rpl.hours)])
    module_fee = float(c.fee.min())
    if rpl.enabled:
        module_fee = min(module_fee, rpl.fee_eur * c.cfg.fees.multiplier)
    p = world.providers
    fees = np.array([*(k.cost_eur for k in tr.courses), module_fee * float(p.fee_mult.min(initial=1.0))])
    fee_share = float(np.prod([1.0 - i.impl.max_fee_cover(i) for i in c.instruments]))
    wage_share = float(np.prod([1.0 - i.wage_coverage for i in c.instruments]))  # stacked, at most all
    return fee_share * fees + wage_share * pop.wage_eur_per_hour * hours, hours


def _coarse_table(world: World, c: Compiled, step: int, max_staff: int) -> np.ndarray:
    """A bound of a firm's occasion probability by its staff alone: the table, indexed by staff.

    Every option at the best value any active firm has (EV share, trust, need and the duty's
    pressure at their largest), costing only the downtime of its shortest hours for one participant.
    """
    sm, emp, tr = world.smes, c.cfg.employer, c.cfg.training
    sizes = np.arange(max_staff + 1)
    active = sm.active
    if not active.any():
        return np.zeros(len(sizes))
    mult = sm.ev_mult[active]
    ev_lo, ev_hi = firm_ev_share(c.ev_share(step), np.array([mult.min(), mult.max()]))
    best = [k.value + max(k.ev_value_weight * ev_lo, k.ev_value_weight * ev_hi) for k in tr.courses]
    hours = [k.hours for k in tr.courses]
    aware = sm.aware & active
    if aware.any():
        trust = sm.trust[aware]
        ends = np.array([trust.min(), trust.max()], dtype=np.float64)  # the value is linear in trust
        best.append(float(_mc_value(c, ends, np.full(2, min(1.0, emp.need_weight * ev_hi))).max()))
        hours.append(min(float(c.hours.min()), c.cfg.pathway.rpl.hours))
    duty = tr.duty
    pressure = duty.duty_weight if duty.duty_share > 0 and sm.complies[active].any() else 0.0
    week = np.maximum(sizes * c.cfg.population.hours_per_year / 52.0, 1.0)
    utility = (
        np.array(best)[None, :] + pressure - tr.downtime_weight * np.array(hours)[None, :] / week[:, None]
    )
    return occasion_bound(c, sizes, utility)


@numba.njit(cache=True, nogil=True)
def _candidates(firm_cols, course_cols, option_cols, scalars, table, key):
    """Firms whose keyed occasion draw falls under their bound, and the draws (a compiled loop).

    First the staff-only ``table``; then, for the few under it, each firm's own bound: every option
    at its best value this week (EV share, trust, need, the duty's pressure) less the least it can
    cost (``_least_option_costs``: one participant, money against the plan and what is left of it,
    downtime). The same rule as ``_course_values``, ``_mc_value``, ``_duty_pressure`` and
    ``occasion_probability``; only an upper bound, so decisions are those of no thinning.
    """
    active, staff, ev_mult, aware, trust, complies, trained, employees, plan_mult, left_eur = firm_cols
    course_value, course_ev_weight = course_cols
    net, hours = option_cols
    (
        ev_share,
        mc_value,
        trust_weight,
        need_weight,
        duty_share,
        duty_weight,
        plan_per_employee,
        cost_weight,
        overrun_weight,
        downtime_weight,
        hours_per_person_week,
        rate,
        elasticity,
    ) = scalars
    n_courses = course_value.size
    firms = np.empty(active.size, np.int64)
    draws = np.empty(active.size, np.float64)
    n = 0
    for f in range(active.size):
        if not active[f] or staff[f] == 0:
            continue
        u = unit_at(key, f)
        if u >= table[staff[f]]:
            continue
        ev = min(1.0, ev_share * np.float64(ev_mult[f]))
        duty = 0.0
        if duty_share > 0.0 and complies[f] and trained[f] < duty_share * staff[f]:
            duty = duty_weight
        plan = max(np.float64(employees[f]) * plan_per_employee * np.float64(plan_mult[f]), 1.0)
        left = max(np.float64(left_eur[f]), 0.0)
        week = max(staff[f] * hours_per_person_week, 1.0)
        total = 0.0
        for o in range(n_courses + 1):
            if o < n_courses:
                best = course_value[o] + course_ev_weight[o] * ev
            else:
                need = min(1.0, need_weight * ev)
                if not aware[f] or need <= 0.0:
                    continue
                best = mc_value + trust_weight * (np.float64(trust[f]) - 0.5) + np.log(need)
            money = (cost_weight * net[o] + overrun_weight * max(net[o] - left, 0.0)) / plan
            total += np.exp(best + duty - money - downtime_weight * hours[o] / week)
        hazard = rate * max(staff[f], 1) ** elasticity * total
        bound = 1.0 - np.exp(-hazard * 7.0 / DAYS_PER_YEAR)
        if u < bound * (1.0 + 1e-12):  # a hair above: rounding never puts a bound under its rule
            firms[n] = f
            draws[n] = u
            n += 1
    return firms[:n], draws[:n]


def _occasion_candidates(world: World, c: Compiled, s: Streams, step: int, staff: np.ndarray):
    """(firms, draws) of the firms worth evaluating this week (without thinning: every firm with staff)."""
    sm, tr, emp, pop = world.smes, c.cfg.training, c.cfg.employer, c.cfg.population
    key = s.key("occasion", step)
    if not THINNING:
        firms = np.flatnonzero(sm.active & (staff > 0))
        return firms, s.uniform("occasion", step, firms)
    net, hours = _least_option_costs(world, c)
    firm_cols = (
        sm.active, staff, sm.ev_mult, sm.aware, sm.trust, sm.complies, sm.trained_year,
        sm.employees, sm.plan_mult, sm.budget_left,
    )  # fmt: skip
    course_cols = (
        np.array([k.value for k in tr.courses], dtype=np.float64),
        np.array([k.ev_value_weight for k in tr.courses], dtype=np.float64),
    )
    scalars = (
        float(c.ev_share(step)), float(emp.mc_value), float(emp.trust_weight), float(emp.need_weight),
        float(tr.duty.duty_share), float(tr.duty.duty_weight), float(pop.training_budget_eur_per_employee),
        float(tr.cost_weight), float(tr.overrun_weight), float(tr.downtime_weight),
        float(pop.hours_per_year / 52.0), float(tr.occasion_rate_per_year), float(tr.staff_elasticity),
    )  # fmt: skip
    table = _coarse_table(world, c, step, int(staff.max()))
    return _candidates(firm_cols, course_cols, (net, hours), scalars, table, key)


THINNING = True  # tests switch it off to check that thinning changes no decision


def occasion_bound(c: Compiled, staff: np.ndarray, best: np.ndarray) -> np.ndarray:
    """Upper bound of each firm's occasion probability: every option at its best value, at no cost."""
    tr = c.cfg.training
    return occasion_probability(tr.occasion_rate_per_year, staff, tr.staff_elasticity, best)


def firm_intents(world: World, c: Compiled, s: Streams, step: int, idle_mask: np.ndarray) -> Intents:
    """This week's training occasions of firms: the rows of the option each firm takes, if it trains."""
    w, sm = world.workers, world.smes
    tr, emp, pop = c.cfg.training, c.cfg.employer, c.cfg.population
    n_opt = len(tr.courses) + 1  # the usual courses, then the micro-credential
    staff = staff_counts(w.firm, sm.n)
    if not staff.any():
        return no_intents(c)
    # Thinning: a keyed draw per firm, compared with a staff-only bound and then the firm's own;
    # only the firms under both are evaluated in full (compiled: it runs over every firm each week).
    cand, u = _occasion_candidates(world, c, s, step, staff)
    if len(cand) == 0:
        return no_intents(c)
    ev = firm_ev_share(c.ev_share(step), sm.ev_mult[cand])
    need_max = np.minimum(1.0, emp.need_weight * ev)
    best = np.full((len(cand), n_opt), -np.inf)
    best[:, :-1] = _course_values(c, ev)
    best[:, -1] = np.where(sm.aware[cand], _mc_value(c, sm.trust[cand].astype(np.float64), need_max), -np.inf)
    best += _duty_pressure(c, sm, cand, staff[cand])[:, None]

    mem, mem_pos = members(world, cand)
    cw, cc, cp = _course_rows(world, c, s, step, mem, mem_pos)
    nw, nm, nr, nprov, npos = _nominees(world, c, s, step, cand, mem, idle_mask)
    offer = concat_offers(
        course_offers(c, cw, cc, sm.region[cand[cp]]), module_offers(world, c, nw, nm, nprov, nr)
    )
    option = np.concatenate([cc, np.full(len(nw), n_opt - 1, dtype=np.int64)])
    pos = np.concatenate([cp, npos])
    rpl = np.concatenate([np.zeros(len(cw), bool), nr])
    group = pos * n_opt + option
    n_groups = len(cand) * n_opt
    wage = offer.hours * pop.wage_eur_per_hour
    sponsored = np.ones(len(offer), dtype=bool)
    day = c.day0(step)
    q = funding.quote(world, c, offer, wage, day, sponsored)
    # A firm leaves an instrument unclaimed for an option when it would pay less than claiming costs.
    declined = np.zeros((n_groups, c.n_instruments), dtype=bool)
    for k in range(c.n_instruments):
        entry = _group_max(group, q.entry[:, k], n_groups)
        declined[:, k] = (entry > 0) & (_group_sum(group, q.amount[:, k], n_groups) < entry)
    if declined.any():
        q = funding.quote(world, c, offer, wage, day, sponsored, declined=declined[group])
    entry_cost = sum(_group_max(group, q.entry[:, k], n_groups) for k in range(c.n_instruments))
    paid_by_funders = funding.perceived(c, q)
    net = (_group_sum(group, offer.fee + wage - paid_by_funders, n_groups) + entry_cost).reshape(
        len(cand), n_opt
    )
    hours = _group_sum(group, offer.hours, n_groups).reshape(len(cand), n_opt)
    has_rows = np.bincount(group, minlength=n_groups)[:n_groups].reshape(len(cand), n_opt) > 0

    value = best.copy()  # the duty's pressure is in it already
    need = need_max * (
        emp.need_floor + (1.0 - emp.need_floor) * _lacking_first_gateway(world, cand, mem, mem_pos)
    )
    mc = _mc_value(c, sm.trust[cand].astype(np.float64), need) + _duty_pressure(c, sm, cand, staff[cand])
    value[:, -1] = np.where(sm.aware[cand], mc, -np.inf)
    plan = sm.employees[cand] * pop.training_budget_eur_per_employee * sm.plan_mult[cand]
    utility = option_utility(
        value,
        net,
        plan[:, None],
        sm.budget_left[cand][:, None],
        hours,
        (staff[cand] * pop.hours_per_year / 52.0)[:, None],
        cost_weight=tr.cost_weight,
        downtime_weight=tr.downtime_weight,
        overrun_weight=tr.overrun_weight,
    )
    utility = np.where(has_rows, utility, -np.inf)
    p = occasion_probability(tr.occasion_rate_per_year, staff[cand], tr.staff_elasticity, utility)
    occurs = u < p
    chosen = np.full(len(cand), -1, dtype=np.int64)
    chosen[occurs] = choose_option(utility[occurs], s.uniform("occasion.option", step, cand[occurs]))
    keep = chosen[pos] == option
    return Intents(
        offer.take(keep),
        q.take(keep),
        wage[keep],
        sponsored[keep],
        rpl[keep],
        cand[pos[keep]].astype(np.int64),
    )
