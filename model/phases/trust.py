"""Phase 11, trust and acceptance: employers learn about micro-credentials and decide to accept them.

Two rules, chosen by ``employer.trust_rule`` (DESIGN §5: both defensible, the ensemble may sample
the choice):

* ``learning`` (the default, issue 16): each firm holds a belief per kind of credential (moderated
  or not, EDC or paper), counted from evidence (``model.rules.beliefs``): the work of holders it
  employs, good or bad as their competence makes it; its own checks that fail to verify a
  credential; and, by word of mouth, the average experience of the other firms of its region. A
  firm accepts a kind when its belief clears the break-even share of good hires by a margin its
  uncertainty sets (safety-critical HV work, L375). Holders' reported work also enters their
  provider's published record (its reputation).
* ``signals`` (the earlier rule): trust moves toward a weighted sum of regional shares — moderated,
  digitally verifiable, issuer standing, peers who accept, the firm's own checks (L435, L506,
  L516, L1926) — and an aware firm accepts when its trust reaches its threshold.

Accepting firms may join design groups (stakeholders involved, L622).
"""

from __future__ import annotations

import numpy as np

from model.compiled import Compiled, weekly
from model.events import Event, EventLog
from model.phases.awareness import _share_by_region
from model.rules.beliefs import add_by_region, kind_of, update_beliefs
from model.rules.hazards import trust_signal, trust_update
from model.rules.pathway import popcount8
from model.rules.verification import Checks, pick_credential
from model.state import N_KINDS, World
from model.streams import Streams

TAKES = ("issuance",)  # this week's checks of credentials (model.rules.verification.Checks)
READS = {
    "smes.active",
    "smes.good",
    "smes.bad",
    "smes.prior",
    "smes.accepts_kinds",
    "workers.firm",
    "workers.competent",
    "workers.issued_by",
    "providers.rep_good",
    "providers.rep_bad",
    "workers.cur_held",
    "workers.held",
    "workers.edc_held",
    "workers.mod_held",
    "workers.issuer_q",
    "workers.region",
    "smes.aware",
    "smes.trust",
    "smes.threshold",
    "smes.accepts",
    "smes.region",
    "smes.experience",
    "smes.design_group",
}
WRITES = {
    "smes.trust",
    "smes.accepts",
    "smes.design_group",
    "smes.good",
    "smes.bad",
    "smes.accepts_kinds",
    "providers.rep_good",
    "providers.rep_bad",
}
ALL_KINDS = (1 << N_KINDS) - 1


def regional_signals(world: World, c: Compiled) -> dict[str, np.ndarray]:
    """Per-region shares of moderated and verifiable credentials and mean issuer quality."""
    w = world.workers
    n_reg = len(c.region_names)
    holders = np.flatnonzero(w.held)
    region = w.region[holders]
    held = popcount8(w.held[holders]).astype(np.float64)
    total = np.bincount(region, weights=held, minlength=n_reg)
    prior = c.cfg.employer.prior_quality

    def share(x: np.ndarray, default: float = prior) -> np.ndarray:
        hits = np.bincount(region, weights=x, minlength=n_reg)
        return np.where(total > 0, hits / np.maximum(total, 1e-12), default)

    return {
        "moderated": share(popcount8(w.mod_held[holders]).astype(np.float64)),
        "verifiable": share(popcount8(w.edc_held[holders]).astype(np.float64)),
        "issuer": share(held * w.issuer_q[holders]),
        "current": share(popcount8(w.cur_held[holders]).astype(np.float64), 1.0),
    }


def _signals(world: World, c: Compiled) -> np.ndarray:
    """The signals rule: trust moves toward the weighted regional signal; accept at the threshold."""
    sm, emp = world.smes, c.cfg.employer
    reg = regional_signals(world, c)
    n_reg = len(c.region_names)
    peers = _share_by_region(sm.accepts, sm.region, n_reg, sm.active)
    comps = {
        "moderated": reg["moderated"][sm.region],
        "verifiable": reg["verifiable"][sm.region],
        "issuer": reg["issuer"][sm.region],
        "peers": peers[sm.region],
        "experience": sm.experience.astype(np.float64),
        "current": reg["current"][sm.region],
    }
    weights = {
        "moderated": emp.signal_weight_moderated,
        "verifiable": emp.signal_weight_verifiable,
        "issuer": emp.signal_weight_issuer,
        "peers": emp.signal_weight_peers,
        "experience": emp.signal_weight_experience,
        "current": c.cfg.content.signal_weight_current if c.cfg.content.enabled else 0.0,
    }
    signal = trust_signal(comps, weights)
    aware = sm.aware
    sm.trust[aware] = trust_update(sm.trust[aware], signal[aware], emp.trust_adjust_per_year)
    accepts = aware & (sm.trust >= sm.threshold)
    sm.accepts_kinds[:] = np.where(accepts, ALL_KINDS, 0)
    return accepts


def _observe_work(world: World, c: Compiled, s: Streams, step: int, log: EventLog) -> tuple[np.ndarray, ...]:
    """Employers see holders' work: good or bad as the holder's competence makes it.

    Returns (firm, kind, good) of this week's observations; each also enters the issuing provider's
    published record (its reputation), reported at ``reputation_report_weight``.
    """
    w, p, emp = world.workers, world.providers, c.cfg.employer
    holders = np.flatnonzero((w.held != 0) & (w.firm >= 0))
    rate = emp.observations_per_holder_per_year * popcount8(w.held[holders])
    seen = holders[s.uniform("work", step, holders) < weekly(rate)]
    module = pick_credential(w.held[seen], s.uniform("work.which", step, seen), c.n_modules)
    bit = np.left_shift(1, module).astype(np.uint8)
    competent = (w.competent[seen] & bit) != 0
    good = s.uniform("work.good", step, seen) < np.where(
        competent, emp.good_if_competent, emp.good_if_not_competent
    )
    kind = kind_of((w.mod_held[seen] & bit) != 0, (w.edc_held[seen] & bit) != 0)
    firm, issuer = w.firm[seen], w.issued_by[seen, module]
    day = c.day0(step) + s.day_in_week("day.work", step, seen)
    log.emit(
        Event.PERFORMANCE,
        step,
        day,
        worker=seen,
        firm=firm,
        provider=issuer,
        module=module,
        value=good.astype(float),
    )
    weight = emp.reputation_report_weight * c.w_scale  # the record counts real holders' reports
    np.add.at(p.rep_good, issuer[good], weight)
    np.add.at(p.rep_bad, issuer[~good], weight)
    return firm, kind, good


def _evidence(sm, firm: np.ndarray, kind: np.ndarray, weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """This week's own evidence, sparse: the (firm, kind) cells that have some, and how much."""
    cell = firm.astype(np.int64) * N_KINDS + kind
    cells, inverse = np.unique(cell, return_inverse=True)
    return cells, np.bincount(inverse, weights=weight, minlength=len(cells))


def _learning(world: World, c: Compiled, s: Streams, step: int, log: EventLog, checks: Checks) -> np.ndarray:
    """The learning rule: count this week's evidence, hear the region's, accept the kinds that clear."""
    sm, emp = world.smes, c.cfg.employer
    firm, kind, good = _observe_work(world, c, s, step, log)
    n_reg = len(c.region_names)
    region_firms = np.bincount(sm.region[sm.active], minlength=n_reg).astype(np.float64)
    others = np.maximum(region_firms - 1.0, 1.0)
    hears = sm.aware & sm.active
    aware = np.flatnonzero(hears)
    bad_checks = ~checks.ok
    sources = (
        (sm.good, firm, kind, good.astype(np.float64)),
        (
            sm.bad,
            np.concatenate([firm, checks.firm]),
            np.concatenate([kind, checks.kind]),
            np.concatenate([(~good).astype(np.float64), emp.failed_check_weight * bad_checks]),
        ),
    )
    for total, f, k, wgt in sources:
        cells, own = _evidence(sm, f, k, wgt)
        if len(cells) == 0:
            continue
        owner, kinds = cells // N_KINDS, cells % N_KINDS
        # Word of mouth: an aware firm hears the average experience of the other firms of its region.
        region = np.bincount(sm.region[owner] * N_KINDS + kinds, weights=own, minlength=n_reg * N_KINDS)
        heard = (emp.peer_weight * region.reshape(n_reg, N_KINDS) / others[:, None]).astype(np.float32)
        add_by_region(aware, sm.region, heard, total)
        # The firm's own evidence counts fully; what it "heard" of its own it does not hear again.
        self_heard = np.where(hears[owner], emp.peer_weight * own / others[sm.region[owner]], 0.0)
        total[owner, kinds] += (own - self_heard).astype(np.float32)
    sm.accepts_kinds[:] = 0
    update_beliefs(
        aware,
        sm.prior,
        float(emp.prior_strength),
        sm.good,
        sm.bad,
        sm.threshold,
        float(emp.risk_aversion),
        sm.accepts_kinds,
        sm.trust,
    )
    return sm.accepts_kinds != 0


def run(world: World, c: Compiled, s: Streams, step: int, log: EventLog, issuance: Checks) -> None:
    """Update beliefs by the scenario's rule; accept or withdraw; accepting firms may join design groups."""
    sm, emp = world.smes, c.cfg.employer
    day0 = c.day0(step)
    accepts = (
        _signals(world, c) if emp.trust_rule == "signals" else _learning(world, c, s, step, log, issuance)
    )
    sm.accepts_kinds[:] = np.where(accepts, sm.accepts_kinds, 0)
    new = np.flatnonzero(accepts & ~sm.accepts)
    gone = np.flatnonzero(~accepts & sm.accepts)
    sm.accepts[:] = accepts
    log.emit(Event.ACCEPTED, step, day0 + s.day_in_week("day.accept", step, new), firm=new)
    log.emit(Event.WITHDRAWN, step, day0 + s.day_in_week("day.accept", step, gone), firm=gone)
    # Representatives of firms that stop accepting leave the design groups.
    left = gone[sm.design_group[gone]]
    sm.design_group[left] = False
    log.emit(Event.REP_LEFT, step, day0 + s.day_in_week("day.rep", step, left), firm=left, value=-c.f_scale)
    cand = np.flatnonzero(accepts & ~sm.design_group)
    joins = cand[s.uniform("design_group", step, cand) < weekly(emp.design_group_join_per_year)]
    sm.design_group[joins] = True
    log.emit(
        Event.REP_JOINED,
        step,
        day0 + s.day_in_week("day.rep", step, joins),
        firm=joins,
        value=c.f_scale,
    )
