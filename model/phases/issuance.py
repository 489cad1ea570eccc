"""Phase 10, issuance and verification: credentials are issued; employers check holders.

A credential is issued as a European Digital Credential if its provider issues EDCs, otherwise as
paper/PDF; it records whether its holder can actually do the work (``Event.COMPETENCE``, read by
every later mechanism in both engines). Employers check holders' credentials (compliance audits,
L407; ``model.rules.verification``): an EDC check is instant, a paper check takes time and sometimes
fails. The checks are returned to the trust phase, which learns from them (a check that cannot
verify a credential is bad evidence about its kind); the signals rule keeps its running score here.
"""

from __future__ import annotations

import numpy as np

from model.compiled import PTYPES, Compiled, weekly
from model.events import Event, EventLog
from model.rules.pathway import bit_of, popcount8
from model.rules.verification import Checks, check_credentials
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
    "workers.skilled",
    "workers.competent",
    "workers.issued_by",
    "workers.bundles",
}
WRITES = {
    "workers.bundles",
    "workers.competent",
    "workers.issued_by",
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
    w.competent[ids] = np.where(w.skilled[ids], w.competent[ids] | bit, w.competent[ids] & ~bit)
    w.issued_by[ids, w.module[ids]] = prov
    day = w.day_due[ids]
    _bundles(world, c, step, log, ids, day)
    log.emit(
        Event.COMPETENCE,
        step,
        day,
        worker=ids,
        provider=prov,
        module=w.module[ids],
        value=w.skilled[ids].astype(float),
    )
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


def _bundles(world: World, c: Compiled, step: int, log: EventLog, ids: np.ndarray, day: np.ndarray) -> None:
    """Certificates made of units: issued once the learner holds every unit (Spain, report L1202–1222)."""
    w = world.workers
    for b, mask in enumerate(c.bundle_masks):
        done = ((w.held[ids] & mask) == mask) & ((w.bundles[ids] >> b) & 1 == 0)
        new = ids[done]
        w.bundles[new] |= np.uint8(1 << b)
        log.emit(Event.BUNDLE_ISSUED, step, day[done], worker=new, firm=w.firm[new], value=float(b))


def _verify(world: World, c: Compiled, s: Streams, step: int, log: EventLog) -> Checks:
    """Employers check some of their staff's credentials (each holder at a rate per credential held)."""
    w, sm = world.workers, world.smes
    ver = c.cfg.verification
    holders = np.flatnonzero((w.held != 0) & (w.firm >= 0))
    n_held = popcount8(w.held[holders])
    checked = holders[s.uniform("check", step, holders) < weekly(ver.checks_per_holder_per_year * n_held)]
    checks = check_credentials(world, c, s, "check", step, checked, w.firm[checked])
    log_checks(log, step, checks)
    if c.cfg.employer.trust_rule == "signals":
        # Each firm's experience moves toward its checks' mean outcome this week.
        n = np.bincount(checks.firm, minlength=sm.n)
        good = np.bincount(checks.firm, weights=checks.ok, minlength=sm.n)
        seen_firms = n > 0
        mean = np.divide(good, n, out=np.zeros(sm.n), where=seen_firms)
        step_size = c.cfg.employer.experience_step
        sm.experience[seen_firms] += (step_size * (mean - sm.experience))[seen_firms].astype(np.float32)
    return checks


def log_checks(log: EventLog, step: int, checks: Checks) -> None:
    """VERIFIED_OK / VERIFIED_FAIL events of a batch of checks."""
    ok = checks.ok
    log.emit(
        Event.VERIFIED_OK,
        step,
        checks.day[ok],
        worker=checks.worker[ok],
        firm=checks.firm[ok],
        module=checks.module[ok],
    )
    log.emit(
        Event.VERIFIED_FAIL,
        step,
        checks.day[~ok],
        worker=checks.worker[~ok],
        firm=checks.firm[~ok],
        module=checks.module[~ok],
    )


def run(world: World, c: Compiled, s: Streams, step: int, log: EventLog) -> Checks:
    """Issue what is due this week, then run employers' checks on holders (returned to the trust phase)."""
    _issue(world, c, s, step, log)
    return _verify(world, c, s, step, log)
