"""Phase 7, training: intake into seats, waiting-list exits, dropout, completion and assessment.

At the end of training a learner can do the work (``skilled``) with the provider's ``competence``
(the RPL evidence's for an RPL route); a skilled learner passes with ``pass_if_competent``, one who
is not passes a multiple-choice test more often than a task-based practical one (L1264–1268), so
what a credential certifies depends on how it was assessed.

Providers take waiting learners into free seats on their intake weeks (every week for continuous
admission, L311), first come first served with a keyed tie-break, and run a cohort only when enough
learners wait to cover its cost (``min_cohort``). Learners in training may drop out; at the end of
training they are assessed. A pass goes to moderation if the provider's assessments are moderated
and the learner is sampled (always, for RPL evidence, L417); otherwise on to issuance.
"""

from __future__ import annotations

import numpy as np

from model.compiled import ASSESSMENTS, Compiled, weekly
from model.events import Event, EventLog
from model.rules import funding
from model.rules.queues import rank_within
from model.state import Status, World
from model.streams import Streams

READS = {
    "workers.status",
    "workers.provider",
    "workers.module",
    "workers.day_enrolled",
    "workers.day_due",
    "workers.caring",
    "workers.rpl",
    "workers.stage",
    "workers.commit",
    "workers.firm",
    "workers.pool",
    "workers.claim_due",
    "providers.seats",
    "providers.intake_interval",
    "providers.min_cohort",
    "providers.active",
    "providers.teachers",
    "providers.hours_per_week",
    "providers.assessment",
    "providers.competence",
    "providers.moderated",
    "providers.edc",
    "providers.pool",
    "smes.pool",
}
WRITES = {
    "workers.status",
    "workers.day_due",
    "workers.stage",
    "workers.module",
    "workers.provider",
    "workers.rpl",
    "workers.commit",
    "workers.pool",
    "workers.claim_due",
    "workers.sponsored",
    "workers.skilled",
    "providers.active",
    "providers.pool",
    "smes.pool",
}


def leave_pipeline(world: World, c: Compiled, ids: np.ndarray) -> None:
    """A learner leaves the pipeline: commitments go back, state returns to idle."""
    funding.release(world, c, ids)
    w = world.workers
    w.status[ids] = Status.IDLE
    w.module[ids] = -1
    w.provider[ids] = -1
    w.rpl[ids] = False
    w.sponsored[ids] = False
    w.stage[ids] = 0


def drop_out(world: World, c: Compiled, step: int, log: EventLog, ids: np.ndarray, days: np.ndarray) -> None:
    """Learners leave the pipeline (waiting list, dropout, or leaving the sector): DROPPED, then idle."""
    w = world.workers
    log.emit(
        Event.DROPPED,
        step,
        days,
        worker=ids,
        firm=w.firm[ids],
        provider=w.provider[ids],
        module=w.module[ids],
    )
    leave_pipeline(world, c, ids)


def _exits(world: World, c: Compiled, s: Streams, step: int, log: EventLog) -> None:
    """Waiting-list exits and dropouts, decided on the state at the phase start."""
    w, wk = world.workers, c.cfg.worker
    day0 = c.day0(step)
    waiting = np.flatnonzero(w.status == Status.WAITING)
    leave_wait = waiting[s.uniform("wait_exit", step, waiting) < weekly(wk.waitlist_exit_per_year)]
    training = np.flatnonzero((w.status == Status.TRAINING) & ~w.rpl & (w.stage < 2))
    hazard = wk.dropout_per_year * np.where(w.caring[training], wk.caring_dropout_multiplier, 1.0)
    drop_day = day0 + s.day_in_week("day.drop", step, training)
    quits = (s.uniform("dropout", step, training) < weekly(hazard)) & (drop_day < w.day_due[training])
    leave_train = training[quits]
    wait_day = np.maximum(day0 + s.day_in_week("day.drop", step, leave_wait), w.day_enrolled[leave_wait])
    drop_out(world, c, step, log, leave_wait, wait_day)
    drop_out(world, c, step, log, leave_train, drop_day[quits])


def _intake(world: World, c: Compiled, s: Streams, step: int, log: EventLog) -> None:
    """Start waiting learners in free seats at providers whose intake falls this week."""
    w, p = world.workers, world.providers
    day0 = c.day0(step)
    busy = np.bincount(w.provider[(w.status == Status.TRAINING) & ~w.rpl], minlength=p.n)
    free = np.maximum(p.seats - busy, 0)
    intake_week = (step % p.intake_interval) == 0
    waiting = np.flatnonzero((w.status == Status.WAITING) & intake_week[np.maximum(w.provider, 0)])
    if len(waiting) == 0:
        return
    prov = w.provider[waiting]
    order, rank = rank_within(prov, w.day_enrolled[waiting], s.uniform("seat", step, waiting))
    ids, prov_sorted = waiting[order], prov[order]
    starts = rank < free[prov_sorted]
    n_start = np.bincount(prov_sorted[starts], minlength=p.n)
    cohort_ok = n_start >= p.min_cohort
    starts &= cohort_ok[prov_sorted]
    ids, prov_sorted = ids[starts], prov_sorted[starts]
    continuous = p.intake_interval[prov_sorted] == 1
    offset = np.where(continuous, s.day_in_week("day.start", step, ids), 0)
    start = np.maximum(w.day_enrolled[ids], day0 + offset)
    duration = np.maximum(1, np.round(c.hours[w.module[ids]] / p.hours_per_week[prov_sorted] * 7.0))
    w.status[ids] = Status.TRAINING
    w.day_due[ids] = (start + duration).astype(np.int32)
    log.emit(
        Event.STARTED,
        step,
        start,
        worker=ids,
        firm=w.firm[ids],
        provider=prov_sorted,
        module=w.module[ids],
        value=c.hours[w.module[ids]],
    )
    first = np.unique(prov_sorted[~p.active[prov_sorted]])
    p.active[first] = True
    log.emit(Event.TEACHERS_ASSIGNED, step, day0, provider=first, value=p.teachers[first].astype(float))


def _assess(world: World, c: Compiled, s: Streams, step: int, log: EventLog) -> None:
    """End of training: assessment; passes go to sampling or issuance, failures retake."""
    w, p, wk = world.workers, world.providers, c.cfg.worker
    mod, ver = c.cfg.moderation, c.cfg.verification
    end = c.day0(step) + 7
    done = np.flatnonzero((w.status == Status.TRAINING) & (w.day_due < end))
    if len(done) == 0:
        return
    day = w.day_due[done]
    prov = w.provider[done]
    first_time = w.stage[done] < 2
    log.emit(
        Event.COMPLETED,
        step,
        day[first_time],
        worker=done[first_time],
        firm=w.firm[done[first_time]],
        provider=prov[first_time],
        module=w.module[done[first_time]],
    )
    w.stage[done] = np.maximum(w.stage[done], 2)
    # What the learner can do now: the provider's teaching, or the moderated workplace evidence of RPL.
    able = np.where(w.rpl[done], c.cfg.pathway.rpl.competent_share, p.competence[prov])
    skilled = s.uniform("competence", step, done) < able
    w.skilled[done] = skilled
    practical = (p.assessment[prov] == ASSESSMENTS.index("practical")) | w.rpl[done]
    false_pass = np.where(practical, wk.false_pass_practical, wk.false_pass_mcq)
    passed = s.uniform("assess", step, done) < np.where(skilled, wk.pass_if_competent, false_pass)
    ok, ko = done[passed], done[~passed]
    log.emit(
        Event.ASSESSED_PASS,
        step,
        day[passed],
        worker=ok,
        provider=prov[passed],
        module=w.module[ok],
    )
    log.emit(
        Event.ASSESSED_FAIL,
        step,
        day[~passed],
        worker=ko,
        provider=prov[~passed],
        module=w.module[ko],
    )
    w.day_due[ko] = (day[~passed] + int(round(wk.retake_days))).astype(np.int32)
    sampled = p.moderated[prov[passed]] & (w.rpl[ok] | (s.uniform("sample", step, ok) < mod.sampling_rate))
    to_audit, to_issue = ok[sampled], ok[~sampled]
    log.emit(
        Event.SAMPLED,
        step,
        day[passed][sampled],
        worker=to_audit,
        provider=prov[passed][sampled],
        module=w.module[to_audit],
    )
    w.status[to_audit] = Status.AUDIT
    issue_days = np.where(p.edc[w.provider[to_issue]], ver.edc_issue_days, ver.paper_issue_days)
    w.status[to_issue] = Status.ISSUING
    w.day_due[to_issue] = (w.day_due[to_issue] + np.round(issue_days)).astype(np.int32)


def run(world: World, c: Compiled, s: Streams, step: int, log: EventLog) -> None:
    """Exits first (on the phase-start state), then intake, then assessments due this week."""
    _exits(world, c, s, step, log)
    _intake(world, c, s, step, log)
    _assess(world, c, s, step, log)
