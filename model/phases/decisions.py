"""Phase 6, decisions: firms meet training occasions; workers choose to enrol.

Every agent decides on the state at the phase start and nothing is changed here: the intents are
returned to the rationing phase, which settles scarce funding. Firms weigh their usual courses and
sponsoring a micro-credential against not training (``model.phases.occasions``). Workers weigh the
value of a credential (how far employers around them accept it), the fee left after the funding
they would get (a quote against the pools as they stand), the time it takes them, distance and
caring load.
"""

from __future__ import annotations

import numba
import numpy as np

from model.compiled import DELIVERIES, Compiled
from model.events import EventLog
from model.phases.awareness import women_share_by_region
from model.phases.occasions import firm_intents
from model.rules import funding
from model.rules.beliefs import kind_of, reputation_factor
from model.rules.hazards import enrolment_bound, enrolment_probability
from model.rules.intents import Intents
from model.rules.offers import module_offers
from model.rules.pathway import popcount8
from model.rules.providers import candidates
from model.state import N_KINDS, Status, World
from model.streams import Streams

READS = {
    "smes.active",
    "workers.active",
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
    "smes.accepts_kinds",
    "smes.region",
    "smes.ev_mult",
    "smes.trust",
    "smes.size_band",
    "smes.budget_left",
    "smes.employees",
    "smes.ca_covered",
    "smes.claimed",
    "smes.plan_mult",
    "smes.complies",
    "smes.trained_year",
    "workers.credit_hours",
    "providers.certified",
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
    "providers.rep_good",
    "providers.rep_bad",
}
WRITES: set[str] = set()

_FLEXIBLE = np.array([d in ("online", "hybrid", "in_situ") for d in DELIVERIES])


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


def _bundle_progress(c: Compiled, held: np.ndarray, module: np.ndarray) -> np.ndarray:
    """Share of its certificate a unit would complete (0 for a module in no certificate)."""
    b = c.module_bundle[module]
    if not len(c.bundle_masks):
        return np.zeros(len(module))
    mask = c.bundle_masks[np.maximum(b, 0)]
    after = popcount8((held | np.left_shift(1, module).astype(np.uint8)) & mask)
    return np.where(b >= 0, after / np.maximum(popcount8(mask), 1), 0.0)


def kind_acceptance(world: World, c: Compiled) -> np.ndarray:
    """(regions, kinds): the share of each region's firms that accept each kind of credential."""
    sm = world.smes
    n_reg = len(c.region_names)
    per_mask = _firms_by_accepted_kinds(sm.region, sm.accepts_kinds, sm.active, n_reg)
    bits = (np.arange(16)[:, None] >> np.arange(N_KINDS)) & 1  # (masks, kinds)
    firms = per_mask.sum(axis=1, keepdims=True)
    return np.divide(per_mask @ bits, firms, out=np.zeros((n_reg, N_KINDS)), where=firms > 0)


@numba.njit(cache=True, nogil=True)
def _firms_by_accepted_kinds(region, accepts_kinds, active, n_regions: int) -> np.ndarray:
    """(regions, 16): active firms per region by the set of kinds they accept (a 4-bit mask)."""
    counts = np.zeros((n_regions, 16), np.int64)
    for f in range(region.size):
        if active[f]:
            counts[region[f], accepts_kinds[f]] += 1
    return counts


def provider_reputation(world: World, c: Compiled) -> np.ndarray:
    """Each provider's published record relative to the average provider (1 under the signals rule)."""
    p, emp = world.providers, c.cfg.employer
    if emp.trust_rule == "signals":
        return np.ones(p.n)
    return reputation_factor(p.rep_good, p.rep_bad, emp.prior_strength, p.offers > 0)


def _self_enrolment(
    world: World, c: Compiled, s: Streams, step: int, idle_mask: np.ndarray, taken: np.ndarray
) -> Intents:
    """Aware idle workers weigh value, cost, time, caring load and distance.

    Thinning as for sponsorship: only workers whose draw is under the bound are evaluated.
    """
    w, sm, p = world.workers, world.smes, world.providers
    wk = c.cfg.worker
    accept_share = kind_acceptance(world, c)
    rep = provider_reputation(world, c)
    bonus = wk.jobseeker_value_bonus
    payoff = _hiring_payoff(c)
    top = float(accept_share.max()) * float(rep.max(initial=1.0))
    current = _current_share(world, c)
    stale = c.cfg.content.stale_value_weight if c.cfg.content.enabled else 0.0
    lowest = min(0.0, bonus) + float(accept_share.min()) * float(rep.min(initial=1.0)) - stale
    value_range = (
        lowest,
        top + max(0.0, bonus) + payoff * top + wk.bundle_value_weight + wk.role_model_value,
    )
    shortest = min(float(c.hours.min()), c.cfg.pathway.rpl.hours)
    if c.cfg.training.duty.entitlement_hours_per_year > 0:
        shortest = 0.0  # hours the employer still owes are paid: a learner's own time may be none
    least_time = wk.time_weight_per_10_hours * shortest / 10.0  # caring only adds time (schema: >= 1)
    bound = enrolment_bound(
        wk.enrol_rate_per_year, wk.value_weight, value_range, wk.employer_support_weight, least_time
    )
    pool, _ = s.under("enrol", step, idle_mask & w.aware, bound)
    taken_mask = np.zeros(world.workers.n, dtype=bool)
    taken_mask[taken] = True
    pool = pool[~taken_mask[pool]]
    idle, mod, rpl, prov, far = candidates(world, c, s, step, pool)
    offer = module_offers(world, c, idle, mod, prov, rpl)
    wage = np.zeros(len(idle))
    q = funding.quote(world, c, offer, wage, c.day0(step))
    kind = kind_of(p.moderated[prov], p.edc[prov])
    local = accept_share[w.region[idle], kind] * rep[prov]
    value = (
        local
        + wk.bundle_value_weight * _bundle_progress(c, w.held[idle], mod)
        + w.jobseeker[idle] * (wk.jobseeker_value_bonus + payoff * local)
    )
    if c.cfg.content.enabled:  # credentials on stale content are worth less (issue: agility)
        value = value - c.cfg.content.stale_value_weight * (1.0 - current[w.region[idle]])
    if wk.role_model_value > 0:  # women who see women learning value the credential more
        learners = women_share_by_region(world, c, learners_only=True)
        value = value + wk.role_model_value * w.woman[idle] * learners[w.region[idle]]
    flexible = _FLEXIBLE[p.delivery[prov]]
    relief = np.where(flexible, wk.flexible_delivery_relief, 0.0)
    time_mult = 1.0 + w.caring[idle] * (wk.caring_time_multiplier - 1.0) * (1.0 - relief)
    rural_classroom = c.region_rural[w.region[idle]] & (p.delivery[prov] == DELIVERIES.index("classroom"))
    firm = w.firm[idle]
    employer_accepts = (firm >= 0) & (((sm.accepts_kinds[np.maximum(firm, 0)] >> kind) & 1) == 1)
    # Hours a statutory entitlement still owes the worker are paid training time (Portugal's credit).
    own_hours = np.maximum(offer.hours - w.credit_hours[idle] * (w.firm[idle] >= 0), 0.0)
    prob = enrolment_probability(
        wk.enrol_rate_per_year,
        value,
        offer.fee - funding.perceived(c, q),
        own_hours,
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
    n = int(yes.sum())
    return Intents(
        offer.take(yes), q.take(yes), wage[yes], np.zeros(n, bool), rpl[yes], np.full(n, -1, np.int64)
    )


def run(world: World, c: Compiled, s: Streams, step: int, log: EventLog) -> Intents:
    """This week's intents (firms' occasions first, then workers' own enrolments), for rationing."""
    idle = world.workers.status == Status.IDLE
    firms = firm_intents(world, c, s, step, idle)
    own = _self_enrolment(world, c, s, step, idle, firms.worker)
    return Intents.concat(firms, own)
