"""Phase 10, trust and acceptance: SMEs update trust from quality signals and decide to accept MCs.

Signals (L435, L506, L516, L1926): the share of credentials around the firm that were externally
moderated, the share that are digitally verifiable, the issuers' standing, the share of peer firms
in the region that accept MCs, and the firm's own verification experience. Where no credential has
been issued in a region yet, the prior quality stands in. Aware firms whose trust reaches their own
threshold accept micro-credentials in recruitment and compliance.
"""

from __future__ import annotations

import numpy as np

from model.compiled import Compiled, weekly
from model.events import Event, EventLog
from model.phases.awareness import _share_by_region
from model.rules.hazards import trust_signal, trust_update
from model.rules.pathway import popcount8
from model.state import World
from model.streams import Streams

READS = {
    "smes.active",
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
WRITES = {"smes.trust", "smes.accepts", "smes.design_group"}


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


def run(world: World, c: Compiled, s: Streams, step: int, log: EventLog) -> None:
    """Move trust toward the signal; accept or withdraw; accepting firms may join design groups."""
    sm, emp = world.smes, c.cfg.employer
    day0 = c.day0(step)
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
