"""Phase 8, moderation: the panel audits sampled assessments, oldest first, within its capacity.

Assessor capacity is finite (L379, L622–624), so a queue forms; the moderation cycle time is the
days from assessment to audit. A failed audit sends the learner back to be reassessed. Each audit
costs the panel's funder (an overhead in the funders' figures).
"""

from __future__ import annotations

import numpy as np

from model.compiled import ASSESSMENTS, Compiled
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
    "providers.assessment",
    "providers.edc",
}
WRITES = {"workers.status", "workers.day_due"}


def run(world: World, c: Compiled, s: Streams, step: int, log: EventLog) -> None:
    """Audit up to this week's capacity; unused fractional capacity carries only while work waits."""
    w, p, g = world.workers, world.providers, world.globals
    mod, ver = c.cfg.moderation, c.cfg.verification
    day0 = c.day0(step)
    capacity = mod.assessors * mod.audits_per_assessor_per_week / c.w_scale + g.panel_carry
    # Audits happen the day after assessment at the earliest, within this week.
    queue = np.flatnonzero((w.status == Status.AUDIT) & (w.day_due < day0 + 6))
    if len(queue) == 0:
        g.panel_carry = 0.0
        return
    order = lexsort(queue, w.day_due[queue])
    n_audit = min(int(np.floor(capacity)), len(queue))
    g.panel_carry = capacity - n_audit if n_audit < len(queue) else 0.0
    done = queue[order[:n_audit]]
    if len(done) == 0:
        return
    assessed = w.day_due[done]
    day = np.minimum(np.maximum(assessed + 1, day0 + s.day_in_week("day.audit", step, done)), day0 + 6)
    practical = (p.assessment[w.provider[done]] == ASSESSMENTS.index("practical")) | w.rpl[done]
    pass_prob = np.where(practical, mod.audit_pass_practical, mod.audit_pass_mcq)
    passed = s.uniform("audit", step, done) < pass_prob
    ok, ko = done[passed], done[~passed]
    cycle = (day - assessed).astype(float)
    log.emit(
        Event.AUDITED_PASS,
        step,
        day[passed],
        worker=ok,
        provider=w.provider[ok],
        module=w.module[ok],
        value=cycle[passed],
    )
    log.emit(
        Event.AUDITED_FAIL,
        step,
        day[~passed],
        worker=ko,
        provider=w.provider[ko],
        module=w.module[ko],
        value=cycle[~passed],
    )
    log.emit(Event.AUDIT_COST, step, day, worker=done, value=mod.cost_per_audit_eur)
    issue_days = np.where(p.edc[w.provider[ok]], ver.edc_issue_days, ver.paper_issue_days)
    w.status[ok] = Status.ISSUING
    w.day_due[ok] = (day[passed] + np.round(issue_days)).astype(np.int32)
    w.status[ko] = Status.TRAINING
    w.day_due[ko] = (day[~passed] + int(round(mod.reassessment_days))).astype(np.int32)
