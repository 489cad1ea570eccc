"""Phase 9, moderation: panels sit on a cadence and audit sampled assessments, oldest first.

Panels convened by sector bodies audit sampled assessment artefacts (L379) with finite assessor
capacity (L622–624). They sit every ``sitting_interval_days``; what was assessed since the last
sitting waits for the next, so the moderation cycle is the wait for a sitting plus any backlog the
sitting could not clear. A sitting also re-approves renewed content of moderated modules (the
content phase hands it over), out of the same capacity. An audit finds a pass that the learner's
competence does not bear out (``audit_detection``; a sound pass fails only by ``audit_false_alarm``):
the learner is reassessed, and the result is published in the provider's record, which employers
read as its reputation. Each audit costs the panel's funder (an overhead in the funders' figures).
"""

from __future__ import annotations

import numpy as np

from model.compiled import Compiled
from model.events import Event, EventLog
from model.rules.queues import lexsort
from model.state import Status, World
from model.streams import Streams

READS = {
    "workers.status",
    "workers.day_due",
    "workers.provider",
    "workers.module",
    "workers.rpl",
    "workers.skilled",
    "providers.edc",
    "providers.rep_good",
    "providers.rep_bad",
    "providers.approval_since",
    "providers.renew_due",
}
WRITES = {
    "workers.status",
    "workers.day_due",
    "providers.rep_good",
    "providers.rep_bad",
    "providers.approval_since",
    "providers.renew_due",
}


def sitting_day(c: Compiled, step: int) -> int | None:
    """The day a panel sits in this week, if it does: the last day of each sitting interval."""
    interval = c.cfg.moderation.sitting_interval_days
    day0 = c.day0(step)
    day = day0 + (interval - 1 - day0) % interval
    return day if day < day0 + 7 else None


def run(world: World, c: Compiled, s: Streams, step: int, log: EventLog) -> None:
    """At a sitting: re-approve content and audit samples, oldest first, within the sitting's capacity."""
    day = sitting_day(c, step)
    if day is None:
        return
    w, p, g = world.workers, world.providers, world.globals
    mod = c.cfg.moderation
    samples = np.flatnonzero((w.status == Status.AUDIT) & (w.day_due < day))
    rows, mods = np.nonzero(
        (p.approval_since[:, : c.n_modules] >= 0) & (p.approval_since[:, : c.n_modules] <= day)
    )
    if len(samples) == 0 and len(rows) == 0:
        g.panel_carry = 0.0
        return
    capacity = mod.assessors * mod.audits_per_assessor_per_sitting / c.w_scale + g.panel_carry
    # One queue, oldest first: a re-approval takes ``approval_audits`` audits of capacity.
    since = np.concatenate([w.day_due[samples], p.approval_since[rows, mods]]).astype(np.int64)
    cost = np.concatenate([np.ones(len(samples)), np.full(len(rows), mod.approval_audits / c.w_scale)])
    is_sample = np.concatenate([np.ones(len(samples), bool), np.zeros(len(rows), bool)])
    ident = np.concatenate([samples, rows * 64 + mods])
    order = lexsort(ident, ~is_sample, since)
    served = np.cumsum(cost[order]) <= capacity + 1e-9
    g.panel_carry = capacity - float(cost[order][served].sum()) if not served.all() else 0.0
    chosen = order[served]
    _audit(world, c, s, step, log, samples[chosen[is_sample[chosen]]], day)
    k = chosen[~is_sample[chosen]] - len(samples)
    _approve(world, c, step, log, rows[k], mods[k], day)


def _audit(
    world: World, c: Compiled, s: Streams, step: int, log: EventLog, done: np.ndarray, day: int
) -> None:
    """Audit outcomes: learners whose pass holds go on to issuance, the others are reassessed."""
    w, p = world.workers, world.providers
    mod, ver = c.cfg.moderation, c.cfg.verification
    if len(done) == 0:
        return
    assessed = w.day_due[done]
    fail_prob = np.where(w.skilled[done], mod.audit_false_alarm, mod.audit_detection)
    passed = s.uniform("audit", step, done) >= fail_prob
    ok, ko = done[passed], done[~passed]
    cycle = (day - assessed).astype(float)
    for ids, kind, cyc in ((ok, Event.AUDITED_PASS, cycle[passed]), (ko, Event.AUDITED_FAIL, cycle[~passed])):
        log.emit(kind, step, day, worker=ids, provider=w.provider[ids], module=w.module[ids], value=cyc)
    log.emit(Event.AUDIT_COST, step, day, worker=done, value=mod.cost_per_audit_eur)
    # The published record: every audited pass or failure counts once (real audits: w_scale each).
    np.add.at(p.rep_good, w.provider[ok], c.w_scale)
    np.add.at(p.rep_bad, w.provider[ko], c.w_scale)
    issue_days = np.where(p.edc[w.provider[ok]], ver.edc_issue_days, ver.paper_issue_days)
    w.status[ok] = Status.ISSUING
    w.day_due[ok] = (day + np.round(issue_days)).astype(np.int32)
    w.status[ko] = Status.TRAINING
    w.day_due[ko] = day + int(round(mod.reassessment_days))


def _approve(
    world: World, c: Compiled, step: int, log: EventLog, rows: np.ndarray, mods: np.ndarray, day: int
) -> None:
    """Renewed content approved at the sitting: the content phase completes the renewal."""
    p = world.providers
    waited = (day - p.approval_since[rows, mods]).astype(float)
    log.emit(Event.APPROVED, step, day, provider=rows, module=mods, value=waited)
    p.renew_due[rows, mods] = day
    p.approval_since[rows, mods] = -1
