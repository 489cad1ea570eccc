"""Phase 9, issuance and verification: credentials are issued; employers check holders.

A credential is issued as a European Digital Credential if its provider issues EDCs, otherwise as
paper/PDF. Employers check holders' credentials (compliance audits, L407); a check succeeds only for
an EDC with complete metadata and working infrastructure (DESIGN §3), and its outcome is the
employer's own experience with micro-credentials.
"""

from __future__ import annotations

import numpy as np

from model.compiled import PTYPES, Compiled, weekly
from model.events import Event, EventLog
from model.rules.pathway import bit_of, popcount8
from model.state import Status, World
from model.streams import Streams

READS = {
    "workers.cur_held",
    "providers.outdated_since",
    "workers.status",
    "workers.day_due",
    "workers.provider",
    "workers.module",
    "workers.rpl",
    "workers.day_enrolled",
    "workers.held",
    "workers.edc_held",
    "workers.mod_held",
    "workers.firm",
    "workers.issuer_q",
    "workers.stage",
    "providers.edc",
    "providers.moderated",
    "providers.ptype",
    "smes.experience",
}
WRITES = {
    "workers.cur_held",
    "workers.status",
    "workers.held",
    "workers.edc_held",
    "workers.mod_held",
    "workers.issuer_q",
    "workers.stage",
    "smes.experience",
}


def _issue(world: World, c: Compiled, s: Streams, step: int, log: EventLog) -> None:
    w, p = world.workers, world.providers
    end = c.day0(step) + 7
    ids = np.flatnonzero((w.status == Status.ISSUING) & (w.day_due < end))
    if len(ids) == 0:
        return
    prov = w.provider[ids]
    bit = bit_of(w.module[ids])
    before = popcount8(w.held[ids]).astype(np.float32)
    quality = np.array([c.cfg.employer.issuer_quality[t] for t in PTYPES], dtype=np.float32)[p.ptype[prov]]
    w.issuer_q[ids] = (w.issuer_q[ids] * before + quality) / (before + 1)
    w.held[ids] |= bit
    w.edc_held[ids] |= np.where(p.edc[prov], bit, 0).astype(np.uint8)
    w.mod_held[ids] |= np.where(p.moderated[prov], bit, 0).astype(np.uint8)
    day = w.day_due[ids]
    log.emit(
        Event.ISSUED,
        step,
        day,
        worker=ids,
        firm=w.firm[ids],
        provider=prov,
        module=w.module[ids],
        value=(day - w.day_enrolled[ids]).astype(float),
    )
    # Content currency: days since the content first missed a change (0: up to date, L540, L586).
    since = p.outdated_since[prov, w.module[ids]]
    age = np.where((since >= 0) & (since <= day), day - since, 0)
    w.cur_held[ids] = np.where(age == 0, w.cur_held[ids] | bit, w.cur_held[ids] & ~bit)
    log.emit(
        Event.ISSUED_CONTENT,
        step,
        day,
        worker=ids,
        provider=prov,
        module=w.module[ids],
        value=age.astype(float),
    )
    w.stage[ids] = 3
    w.status[ids] = Status.IDLE  # module and provider stay as the last ones, for the ledger


def _verify(world: World, c: Compiled, s: Streams, step: int, log: EventLog) -> None:
    w, sm = world.workers, world.smes
    ver = c.cfg.verification
    holders = np.flatnonzero((w.held != 0) & (w.firm >= 0))
    n_held = popcount8(w.held[holders])
    checked = holders[s.uniform("check", step, holders) < weekly(ver.checks_per_holder_per_year * n_held)]
    if len(checked) == 0:
        return
    # Which credential: one of the held ones, by a keyed draw.
    held = w.held[checked]
    k = np.floor(s.uniform("check.which", step, checked) * popcount8(held)).astype(np.int64)
    bit = np.zeros(len(checked), dtype=np.uint8)
    seen = np.zeros(len(checked), dtype=np.int64)
    for m in range(c.n_modules):
        has = (held >> m) & 1 == 1
        pick = has & (seen == k) & (bit == 0)
        bit[pick] = 1 << m
        seen += has
    edc = (w.edc_held[checked] & bit) != 0
    fail_rate = ver.infra_failure_rate + ver.metadata_incomplete_rate
    u = s.uniform("check.ok", step, checked)
    ok = np.where(edc, u >= fail_rate, u < ver.paper_success_rate)
    day = c.day0(step) + s.day_in_week("day.check", step, checked)
    firm = w.firm[checked]
    log.emit(Event.VERIFIED_OK, step, day[ok], worker=checked[ok], firm=firm[ok])
    log.emit(Event.VERIFIED_FAIL, step, day[~ok], worker=checked[~ok], firm=firm[~ok])
    # Each firm's experience moves toward its checks' mean outcome this week.
    n = np.bincount(firm, minlength=sm.n)
    good = np.bincount(firm, weights=ok, minlength=sm.n)
    seen_firms = n > 0
    mean = np.divide(good, n, out=np.zeros(sm.n), where=seen_firms)
    step_size = c.cfg.employer.experience_step
    sm.experience[seen_firms] += (step_size * (mean - sm.experience))[seen_firms].astype(np.float32)


def run(world: World, c: Compiled, s: Streams, step: int, log: EventLog) -> None:
    """Issue what is due this week, then run employers' checks on holders."""
    _issue(world, c, s, step, log)
    _verify(world, c, s, step, log)
