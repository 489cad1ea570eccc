"""Population synthesis: firms from the size bands, workers drawn per firm, providers from the preset.

Why its own streams: who is in the population must not depend on policy levers, so two scenarios
of a comparison start from the same people and firms (common random numbers). Every draw here uses
a ``synth.*`` purpose keyed by agent id.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtri

from model.compiled import AGE_BANDS, ASSESSMENTS, BANDS, DELIVERIES, PTYPES, Compiled
from model.params.schema import SIZE_BANDS
from model.rules.beliefs import break_even
from model.state import ActorArrays, Globals, Status, World
from model.streams import Streams

# Purposes of the keyed draws that make one entrant or one new firm (drawn together, by id).
_ENTRANT_DRAWS = ("entry.region", "entry.woman", "entry.age", "entry.caring", "entry.hv", "entry.aware")
_FIRM_DRAWS = ("synth.size", "synth.employees", "synth.sme_region", "synth.ev_mult", "synth.ca")
_FIRM_DRAWS += ("synth.trust", "synth.thr", "synth.plan", "synth.complies", "synth.open_women")

__all__ = ["synthesise", "add_entrants", "add_firms", "band_of"]


def _categorical(u: np.ndarray, shares: list[float]) -> np.ndarray:
    """Inverse-CDF draw of category indices from uniforms."""
    cdf = np.cumsum(shares)
    cdf[-1] = 1.0
    return np.searchsorted(cdf, u, side="right").astype(np.int64)


def _smes(c: Compiled, s: Streams, employed: int) -> ActorArrays:
    """The initial firms: drawn like firms that open later until their staff fills the employed sample.

    Firms are drawn in id order (keyed draws), so the set does not depend on the batch size; the last
    firm keeps only the staff still to place (its size band follows). Some start aware.
    """
    smes = ActorArrays("smes", 0, c.n_instruments)
    mean = max(c.staff.mean, 1.0)
    while int(smes.employees.sum()) < employed:
        short = employed - int(smes.employees.sum())
        add_firms(c, s, smes, int(short / mean * 1.2) + 16)
    cum = np.cumsum(smes.employees)
    keep = int(np.searchsorted(cum, employed, side="left")) + 1 if employed > 0 else 1
    smes.truncate(keep)
    last = keep - 1
    smes.employees[last] -= int(cum[last]) - employed if employed > 0 else 0
    smes.size_band[last] = band_of(smes.employees[last : last + 1])[0]
    ids = np.arange(smes.n)
    smes.aware[:] = s.uniform("synth.sme_aware", 0, ids) < c.cfg.diffusion.initial_sme_aware
    return smes


def _workers(c: Compiled, s: Streams, smes: ActorArrays) -> ActorArrays:
    pop = c.cfg.population
    n = pop.workers
    ids = np.arange(n)
    w = ActorArrays("workers", n, c.n_instruments)
    n_js = int(round(n * pop.jobseeker_share))
    w.jobseeker[:] = ids >= n - n_js
    employed = ~w.jobseeker
    # Every firm employs exactly its staff count; the simulated firms' staff fills the employed sample.
    w.firm[:] = np.where(employed, np.pad(np.repeat(np.arange(smes.n), smes.employees), (0, n_js)), -1)
    js_region = _categorical(s.uniform("synth.js_region", 0, ids), [r.share for r in pop.regions])
    w.region[:] = np.where(employed, smes.region[np.maximum(w.firm, 0)], js_region)
    women = np.where(employed, pop.women_share_employed, pop.women_share_jobseekers)
    w.woman[:] = s.uniform("synth.woman", 0, ids) < women
    w.age_band[:] = _categorical(
        s.uniform("synth.age", 0, ids), [pop.age_shares.get(a, 0.0) for a in AGE_BANDS]
    )
    caring = np.where(w.woman, pop.caring_share_women, pop.caring_share_men)
    w.caring[:] = s.uniform("synth.caring", 0, ids) < caring
    w.hv_exp[:] = employed & (s.uniform("synth.hv", 0, ids) < pop.hv_experience_share)
    w.aware[:] = s.uniform("synth.worker_aware", 0, ids) < c.cfg.diffusion.initial_worker_aware
    w.status[:] = Status.IDLE
    w.active[:] = True
    w.module[:] = -1
    w.provider[:] = -1
    w.exit_week[:] = -1
    w.older_week[:] = -1
    w.issued_by[:] = -1
    w.claim_due[:] = -1
    return w


def add_entrants(c: Compiled, s: Streams, w: ActorArrays, stream_of: np.ndarray) -> np.ndarray:
    """Append entrants to the worker arrays, one per element of ``stream_of`` (their inflow stream).

    They arrive as jobseekers. Their attributes are keyed by their (new, never reused) ids, so both
    engines draw the same people; all streams of a week are drawn in one pass.
    """
    f, pop = c.cfg.flows, c.cfg.population
    ids = w.append(len(stream_of))
    u = dict(zip(_ENTRANT_DRAWS, s.uniforms(_ENTRANT_DRAWS, 0, ids), strict=True))

    def per_stream(attr: str) -> np.ndarray:
        return np.array([getattr(i, attr) for i in f.inflows], dtype=np.float64)[stream_of]

    outreach = np.array([i.outreach_to_women for i in f.inflows])[stream_of]
    women = np.minimum(1.0, per_stream("women_share") * np.where(outreach, f.women_inflow_multiplier, 1.0))
    age_cdf = np.cumsum([[i.age_shares.get(a, 0.0) for a in AGE_BANDS] for i in f.inflows], axis=1)
    age_cdf[:, -1] = 1.0
    w.active[ids] = True
    w.jobseeker[ids] = True
    w.firm[ids] = -1
    w.region[ids] = _categorical(u["entry.region"], [r.share for r in pop.regions])
    w.woman[ids] = u["entry.woman"] < women
    w.age_band[ids] = (age_cdf[stream_of] <= u["entry.age"][:, None]).sum(axis=1)  # as _categorical
    caring = np.where(w.woman[ids], pop.caring_share_women, pop.caring_share_men)
    w.caring[ids] = u["entry.caring"] < caring
    w.hv_exp[ids] = u["entry.hv"] < per_stream("hv_experience_share")
    w.aware[ids] = u["entry.aware"] < per_stream("aware_share")
    w.status[ids] = Status.IDLE
    w.module[ids] = -1
    w.provider[ids] = -1
    w.exit_week[ids] = -1
    w.older_week[ids] = -1
    w.issued_by[ids] = -1
    w.claim_due[ids] = -1
    return ids


def add_firms(c: Compiled, s: Streams, smes: ActorArrays, k: int) -> np.ndarray:
    """Append ``k`` new firms (size band, region, EV mix, trust) drawn like the initial ones."""
    pop, emp = c.cfg.population, c.cfg.employer
    ids = smes.append(k)
    u = dict(zip(_FIRM_DRAWS, s.uniforms(_FIRM_DRAWS, 0, ids), strict=True))
    shares = [pop.size_shares.get(b, 0.0) for b in BANDS]
    smes.size_band[ids] = _categorical(u["synth.size"], shares)
    smes.employees[ids] = c.staff.draw(smes.size_band[ids], u["synth.employees"])
    smes.region[ids] = _categorical(u["synth.sme_region"], [r.share for r in pop.regions])
    spread = c.cfg.ev.firm_spread
    smes.ev_mult[ids] = np.exp(spread * ndtri(u["synth.ev_mult"]) - spread**2 / 2)
    smes.ca_covered[ids] = u["synth.ca"] < pop.ca_coverage
    trust = emp.initial_trust_mean + emp.initial_trust_sd * ndtri(u["synth.trust"])
    smes.trust[ids] = np.clip(trust, 0.0, 1.0)
    smes.prior[ids] = np.clip(trust, 0.01, 0.99)
    # The learning rule's threshold is the break-even share of good hires (cost of a wrong hire, L375).
    centre = (
        emp.acceptance_threshold_mean
        if emp.trust_rule == "signals"
        else break_even(emp.wrong_hire_cost_ratio)
    )
    thr = centre + emp.acceptance_threshold_sd * ndtri(u["synth.thr"])
    smes.threshold[ids] = np.clip(thr, 0.01, 1.0)
    smes.experience[ids] = emp.prior_quality
    compliance = np.array([c.cfg.training.duty.compliance_by_size.get(b, 0.0) for b in BANDS])
    smes.complies[ids] = u["synth.complies"] < compliance[smes.size_band[ids]]  # acts on a duty to train
    smes.open_to_women[ids] = u["synth.open_women"] < c.cfg.flows.firms_open_to_women
    spread = c.cfg.training.plan_spread  # lognormal with mean 1: plans vary between firms
    smes.plan_mult[ids] = np.exp(spread * ndtri(u["synth.plan"]) - spread**2 / 2)
    smes.active[ids] = True
    return ids


def _providers(c: Compiled, s: Streams) -> ActorArrays:
    rows = [p for p in c.cfg.providers for _ in range(p.count)]
    n = len(rows)
    prov = ActorArrays("providers", n, c.n_instruments)
    ids = np.arange(n)
    real_seats = np.array([p.seats for p in rows], dtype=np.float64)
    sim = real_seats / c.w_scale
    frac = sim - np.floor(sim)
    prov.seats[:] = np.floor(sim) + (s.uniform("synth.seats", 0, ids) < frac)
    required = c.cfg.moderation.required
    regions = list(c.region_names)
    for i, p in enumerate(rows):
        prov.ptype[i] = PTYPES.index(p.type)
        prov.region[i] = regions.index(p.region)
        prov.teachers[i] = p.teachers
        prov.intake_interval[i] = p.intake_interval_weeks
        prov.min_cohort[i] = max(1, int(np.ceil(p.min_cohort / c.w_scale)))
        prov.fee_mult[i] = p.fee_multiplier
        prov.delivery[i] = DELIVERIES.index(p.delivery)
        prov.hours_per_week[i] = p.hours_per_week
        prov.assessment[i] = ASSESSMENTS.index(p.assessment)
        prov.moderated[i] = p.joins_moderation or required
        prov.edc[i] = p.issues_edc
        prov.esco[i] = p.esco_tagged
        by_type = c.cfg.pathway.competence_by_provider_type.get(p.type, 0.8)
        prov.competence[i] = p.competence if p.competence is not None else by_type
        prov.certified[i] = p.certified
        wanted = p.modules if p.modules is not None else list(c.module_ids)
        prov.offers[i] = sum(1 << c.module_ids.index(m) for m in wanted)
        prov.capable[i] = prov.offers[i] | sum(1 << c.module_ids.index(m) for m in p.could_teach)
        prov.base_seats[i] = prov.seats[i]
    for name in (
        "outdated_since",
        "renew_due",
        "renew_started",
        "detect_due",
        "last_change",
        "approval_since",
    ):
        getattr(prov, name)[:] = -1
    return prov


def band_of(staff: np.ndarray) -> np.ndarray:
    """Size band index of each staff count."""
    upper = np.array([SIZE_BANDS[b][1] for b in BANDS])
    return np.minimum(np.searchsorted(upper, staff, side="left"), len(BANDS) - 1).astype(np.int8)


def synthesise(c: Compiled, streams: Streams) -> World:
    """Build the initial world; depends only on population parameters and the seed."""
    pop = c.cfg.population
    smes = _smes(c, streams, pop.workers - int(round(pop.workers * pop.jobseeker_share)))
    workers = _workers(c, streams, smes)
    providers = _providers(c, streams)
    k = c.n_instruments
    glob = Globals(pool=np.zeros(k))
    return World(workers=workers, smes=smes, providers=providers, globals=glob)
