"""Phase 5, decisions: SMEs choose to sponsor a worker; workers choose to enrol.

Every agent decides on the state at the phase start and nothing is changed here: the intents go to
the rationing phase, which settles scarce funding. Decisions see the funding they would get
(a quote against the pools as they stand), the fee of the provider they would attend, the time it
takes them, distance, caring load and how far employers recognise the credential.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from model.compiled import BANDS, DELIVERIES, Compiled
from model.events import EventLog
from model.phases.awareness import _share_by_region
from model.rules import funding
from model.rules.firms import firm_ev_share
from model.rules.hazards import (
    enrolment_bound,
    enrolment_probability,
    sponsorship_bound,
    sponsorship_probability,
)
from model.rules.pathway import next_module
from model.rules.queues import group_starts, lexsort
from model.state import Status, World
from model.streams import Streams

READS = {
    "smes.active",
    "workers.cur_held",
    "workers.edc_held",
    "workers.mod_held",
    "workers.issuer_q",
    "workers.aware",
    "workers.status",
    "workers.held",
    "workers.hv_exp",
    "workers.region",
    "workers.firm",
    "workers.jobseeker",
    "workers.caring",
    "workers.woman",
    "workers.age_band",
    "workers.pool",
    "smes.aware",
    "smes.accepts",
    "smes.region",
    "smes.ev_mult",
    "smes.trust",
    "smes.size_band",
    "smes.budget_left",
    "smes.employees",
    "smes.ca_covered",
    "smes.credit_active",
    "smes.pool",
    "providers.offers",
    "providers.seats",
    "providers.region",
    "providers.moderated",
    "providers.fee_mult",
    "providers.delivery",
    "providers.pool",
    "providers.day_grant_end",
    "providers.ptype",
    "providers.edc",
    "providers.esco",
}
WRITES: set[str] = set()

_FLEXIBLE = np.array([d in ("online", "hybrid", "in_situ") for d in DELIVERIES])


@dataclass
class Intents:
    """Who wants to enrol in what, where, at what cost, and how it would be funded."""

    worker: np.ndarray
    module: np.ndarray
    provider: np.ndarray
    rpl: np.ndarray
    sponsored: np.ndarray
    fee: np.ndarray
    wage_cost: np.ndarray
    quote: funding.Quote

    @property
    def net_cost(self) -> np.ndarray:
        """What the payer (sponsoring firm, or the learner) still pays after funding."""
        return self.fee + self.wage_cost - self.quote.amount.sum(axis=1)


@dataclass(frozen=True)
class ProviderTable:
    """Seat-weighted provider choice per (region, module, route), as padded arrays.

    Providers' offers, seats, regions and moderation do not change within a run, so the table is
    built once and every week's choices are one vectorised lookup.
    """

    cum: np.ndarray  # (keys, P) normalised cumulative seat shares, 2.0 past the end
    ids: np.ndarray  # (keys, P) provider ids
    far: np.ndarray  # (keys,) no provider in the worker's own region
    valid: np.ndarray  # (keys,) some provider offers it at all

    @staticmethod
    def build(world: World, c: Compiled) -> ProviderTable:
        """Tabulate every (region, module, RPL) combination."""
        p = world.providers
        n_keys = len(c.region_names) * c.n_modules * 2
        width = max(1, p.n)
        cum = np.full((n_keys, width), 2.0)
        ids = np.zeros((n_keys, width), dtype=np.int64)
        far = np.zeros(n_keys, dtype=bool)
        valid = np.zeros(n_keys, dtype=bool)
        for r in range(len(c.region_names)):
            for m in range(c.n_modules):
                for needs_mod in (0, 1):
                    k = (r * c.n_modules + m) * 2 + needs_mod
                    offers = ((p.offers >> m) & 1).astype(bool) & (p.seats > 0)
                    if needs_mod:
                        offers &= p.moderated
                    local = offers & (p.region == r)
                    pool = np.flatnonzero(local if local.any() else offers)
                    if len(pool) == 0:
                        continue
                    seats = np.cumsum(p.seats[pool].astype(np.float64))
                    cum[k, : len(pool)] = seats / seats[-1]
                    cum[k, len(pool) - 1] = 1.0
                    ids[k, : len(pool)] = pool
                    far[k] = not local.any()
                    valid[k] = True
        return ProviderTable(cum, ids, far, valid)


def _provider_table(world: World, c: Compiled) -> ProviderTable:
    table = world.cache.get("provider_table")
    if table is None:
        table = world.cache["provider_table"] = ProviderTable.build(world, c)
    return table


def _table_key(c: Compiled, region: np.ndarray, module: np.ndarray, rpl: np.ndarray | bool) -> np.ndarray:
    return (region.astype(np.int64) * c.n_modules + module) * 2 + rpl


def choose_provider(
    world: World,
    c: Compiled,
    region: np.ndarray,
    module: np.ndarray,
    rpl: np.ndarray,
    u: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Seat-weighted choice among providers offering the module, own region first.

    Returns (provider id or -1, far). RPL needs a provider whose assessment is moderated.
    """
    table = _provider_table(world, c)
    key = _table_key(c, region, module, rpl)
    pick = (table.cum[key] <= u[:, None]).sum(axis=1)
    out = np.where(table.valid[key], table.ids[key, np.minimum(pick, table.ids.shape[1] - 1)], -1)
    return out, table.far[key] & table.valid[key]


def _fee(c: Compiled, world: World, module, provider, rpl) -> np.ndarray:
    base = np.where(rpl, c.cfg.pathway.rpl.fee_eur * c.cfg.fees.multiplier, c.fee[module])
    return base * world.providers.fee_mult[provider]


def _routes(world: World, c: Compiled, idle: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Next module and route of idle workers who have somewhere to go; drops the others.

    RPL is tried first where it applies; a worker for whom no moderated provider offers the
    module takes the taught route instead. Needs no draw: whether some provider offers a
    (region, module, route) is in the provider table.
    """
    w = world.workers
    rpl_possible = c.cfg.pathway.rpl.enabled and bool(world.providers.moderated.any())
    mod, via_rpl = next_module(w.held[idle], w.hv_exp[idle], c.prereq, c.needs_hv, c.rpl_sub, rpl_possible)
    keep = mod >= 0
    idle, mod, via_rpl = idle[keep], mod[keep].astype(np.int64), via_rpl[keep]
    valid, region = _provider_table(world, c).valid, w.region[idle]
    via_rpl = via_rpl & valid[_table_key(c, region, mod, True)]
    keep = via_rpl | valid[_table_key(c, region, mod, False)]
    return idle[keep], mod[keep], via_rpl[keep]


def _providers(world: World, c: Compiled, s: Streams, step: int, idle, mod, via_rpl):
    """Each worker's provider for their route (``_routes`` guarantees one exists), and whether it is far."""
    return choose_provider(
        world, c, world.workers.region[idle], mod, via_rpl, s.uniform("provider", step, idle)
    )


def _candidates(world: World, c: Compiled, s: Streams, step: int, idle: np.ndarray):
    """Next module, route and provider for idle workers; drops those with nowhere to go."""
    idle, mod, via_rpl = _routes(world, c, idle)
    prov, far = _providers(world, c, s, step, idle, mod, via_rpl)
    return idle, mod, via_rpl, prov, far


def _members(world: World, firms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Worker ids of the given firms and, for each, the position of its firm in ``firms``.

    One pass over the workers with a lookup table: workforces change every week with flows.
    """
    w = world.workers
    position = np.full(world.smes.n + 1, -1, dtype=np.int64)  # last slot: no firm (-1)
    position[firms] = np.arange(len(firms))
    members = np.flatnonzero((position >= 0)[w.firm])  # a one-byte gather over the workers
    return members, position[w.firm[members]]


def _lacking_first_gateway(
    world: World, firms: np.ndarray, members: np.ndarray, group: np.ndarray
) -> np.ndarray:
    """Share of each given firm's workers without the first gateway, from ``_members(world, firms)``."""
    size = np.bincount(group, minlength=len(firms))
    lacking = np.bincount(group, weights=(world.workers.held[members] & 1) == 0, minlength=len(firms))
    return np.divide(lacking, size, out=np.zeros(len(firms)), where=size > 0)


def _downtime(emp) -> np.ndarray:
    return np.array([emp.downtime_by_size.get(b, 0.0) for b in BANDS])


def _no_intents(c: Compiled) -> Intents:
    empty = np.zeros(0, dtype=np.int64)
    q = funding.Quote(np.zeros((0, c.n_instruments)), np.zeros(0))
    return Intents(empty, empty, empty, np.zeros(0, bool), np.zeros(0, bool), np.zeros(0), np.zeros(0), q)


def _sponsorship(world: World, c: Compiled, s: Streams, step: int, idle_mask: np.ndarray) -> Intents:
    """Aware SMEs nominate their first idle employee (by keyed draw) and decide to sponsor.

    Firms whose draw lies above the bound of the sponsorship probability cannot say yes, so only
    the others look for a nominee (thinning: the same decisions, much less work).
    """
    w, sm = world.workers, world.smes
    emp = c.cfg.employer
    firm_u = s.uniform("sponsor", step, np.arange(sm.n))
    aware = np.flatnonzero(sm.aware)
    if len(aware) == 0:
        return _no_intents(c)
    trust = sm.trust[aware]
    downtime = _downtime(emp)
    bound = sponsorship_bound(
        emp.sponsor_rate_per_year,
        emp.trust_weight,
        (float(trust.min()), float(trust.max())),
        emp.downtime_weight,
        float(downtime.min()),
    )
    maybe = aware[firm_u[aware] < bound]
    members, group = _members(world, maybe)
    gap_of_maybe = _lacking_first_gateway(world, maybe, members, group)
    pool = members[idle_mask[members]]
    idle, mod, rpl = _routes(world, c, pool)
    firm = w.firm[idle]
    # One nominee per firm: the lowest keyed draw.
    order = lexsort(s.uniform("nominee", step, idle), firm)
    first = group_starts(firm[order])
    pick = order[first]
    idle, mod, rpl, firm = idle[pick], mod[pick], rpl[pick], firm[pick]
    prov, _far = _providers(world, c, s, step, idle, mod, rpl)
    # Need: EV work in the firm's mix times the share of its staff still able to progress.
    gap = gap_of_maybe[np.searchsorted(maybe, firm)]  # ``maybe`` is sorted: it comes from flatnonzero
    ev_need = emp.need_weight * firm_ev_share(c.ev_share(step), sm.ev_mult[firm])
    need = np.minimum(1.0, ev_need) * (emp.need_floor + (1.0 - emp.need_floor) * gap)
    fee = _fee(c, world, mod, prov, rpl)
    hours = np.where(rpl, c.cfg.pathway.rpl.hours, c.hours[mod])
    wage = hours * c.cfg.population.wage_eur_per_hour
    q = funding.quote(world, c, idle, mod, prov, fee, wage, c.day0(step), np.ones(len(idle), bool))
    net = fee + wage - q.amount.sum(axis=1)
    prob = sponsorship_probability(
        emp.sponsor_rate_per_year,
        need,
        sm.trust[firm],
        net,
        c.cfg.population.training_budget_eur_per_employee,
        downtime[sm.size_band[firm]],
        trust_weight=emp.trust_weight,
        cost_weight=emp.cost_weight,
        downtime_weight=emp.downtime_weight,
    )
    yes = (firm_u[firm] < prob) & (net <= sm.budget_left[firm])
    return Intents(
        idle[yes],
        mod[yes],
        prov[yes],
        rpl[yes],
        np.ones(yes.sum(), bool),
        fee[yes],
        wage[yes],
        funding.Quote(q.amount[yes], q.out_of_pocket[yes]),
    )


def _current_share(world: World, c: Compiled) -> np.ndarray:
    """Per region, the share of credentials held that were issued on up-to-date content."""
    if not c.cfg.content.enabled:
        return np.ones(len(c.region_names))
    from model.phases.trust import regional_signals

    return regional_signals(world, c)["current"]


def _hiring_payoff(c: Compiled) -> float:
    """Extra value of a credential to a jobseeker when employers who accept it hire its holders first.

    Only with labour-market flows: without hiring there is nothing for acceptance to pay off in.
    """
    f = c.cfg.flows
    return c.cfg.worker.hiring_value_per_weight * f.credential_hiring_weight if f.enabled else 0.0


def _self_enrolment(
    world: World, c: Compiled, s: Streams, step: int, idle_mask: np.ndarray, taken: np.ndarray
) -> Intents:
    """Aware idle workers weigh value, cost, time, caring load and distance.

    Thinning as for sponsorship: only workers whose draw is under the bound are evaluated.
    """
    w, sm, p = world.workers, world.smes, world.providers
    wk = c.cfg.worker
    pool = np.flatnonzero(idle_mask & w.aware)
    accept_share = _share_by_region(sm.accepts, sm.region, len(c.region_names), sm.active)
    bonus = wk.jobseeker_value_bonus
    payoff = _hiring_payoff(c)
    top = float(accept_share.max())
    current = _current_share(world, c)
    stale = c.cfg.content.stale_value_weight if c.cfg.content.enabled else 0.0
    lowest = min(0.0, bonus) + float(accept_share.min()) - stale
    value_range = (lowest, top + max(0.0, bonus) + payoff * top)
    shortest = min(float(c.hours.min()), c.cfg.pathway.rpl.hours)
    bound = enrolment_bound(
        wk.enrol_rate_per_year,
        wk.value_weight,
        value_range,
        wk.employer_support_weight,
        wk.time_weight_per_10_hours * shortest / 10.0,
    )
    pool = pool[s.uniform("enrol", step, pool) < bound]
    taken_mask = np.zeros(world.workers.n, dtype=bool)
    taken_mask[taken] = True
    pool = pool[~taken_mask[pool]]
    idle, mod, rpl, prov, far = _candidates(world, c, s, step, pool)
    fee = _fee(c, world, mod, prov, rpl)
    wage = np.zeros(len(idle))
    q = funding.quote(world, c, idle, mod, prov, fee, wage, c.day0(step))
    local = accept_share[w.region[idle]]
    value = local + w.jobseeker[idle] * (wk.jobseeker_value_bonus + payoff * local)
    if c.cfg.content.enabled:  # credentials on stale content are worth less (issue: agility)
        value = value - c.cfg.content.stale_value_weight * (1.0 - current[w.region[idle]])
    flexible = _FLEXIBLE[p.delivery[prov]]
    relief = np.where(flexible, wk.flexible_delivery_relief, 0.0)
    time_mult = 1.0 + w.caring[idle] * (wk.caring_time_multiplier - 1.0) * (1.0 - relief)
    rural_classroom = c.region_rural[w.region[idle]] & (p.delivery[prov] == DELIVERIES.index("classroom"))
    firm = w.firm[idle]
    employer_accepts = (firm >= 0) & sm.accepts[np.maximum(firm, 0)]
    hours = np.where(rpl, c.cfg.pathway.rpl.hours, c.hours[mod])
    prob = enrolment_probability(
        wk.enrol_rate_per_year,
        value,
        q.out_of_pocket,
        hours,
        time_mult,
        far | rural_classroom,
        employer_accepts,
        value_weight=wk.value_weight,
        cost_weight_per_100_eur=wk.cost_weight_per_100_eur,
        time_weight_per_10_hours=wk.time_weight_per_10_hours,
        distance_penalty=wk.distance_penalty,
        employer_support_weight=wk.employer_support_weight,
    )
    yes = s.uniform("enrol", step, idle) < prob
    return Intents(
        idle[yes],
        mod[yes],
        prov[yes],
        rpl[yes],
        np.zeros(yes.sum(), bool),
        fee[yes],
        wage[yes],
        funding.Quote(q.amount[yes], q.out_of_pocket[yes]),
    )


def _concat(a: Intents, b: Intents) -> Intents:
    cat = np.concatenate
    q = funding.Quote(
        np.vstack([a.quote.amount, b.quote.amount]),
        cat([a.quote.out_of_pocket, b.quote.out_of_pocket]),
    )
    return Intents(
        cat([a.worker, b.worker]),
        cat([a.module, b.module]),
        cat([a.provider, b.provider]),
        cat([a.rpl, b.rpl]),
        cat([a.sponsored, b.sponsored]),
        cat([a.fee, b.fee]),
        cat([a.wage_cost, b.wage_cost]),
        q,
    )


def run(world: World, c: Compiled, s: Streams, step: int, log: EventLog) -> Intents:
    """This week's enrolment intents (sponsored first, then workers' own), for the rationing phase."""
    idle = world.workers.status == Status.IDLE
    sponsored = _sponsorship(world, c, s, step, idle)
    own = _self_enrolment(world, c, s, step, idle, sponsored.worker)
    return _concat(sponsored, own)
