"""Phase 8, training: intake into seats, waiting-list exits, dropout, completion and assessment.

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

from model.compiled import ASSESSMENTS, DELIVERIES, PTYPES, Compiled, weekly
from model.events import Event, EventLog
from model.rules import funding
from model.rules.queues import rank_within
from model.state import Status, World
from model.streams import Streams

READS = {
    "providers.delivery",
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
    "providers.fee_mult",
    "providers.ptype",
    "providers.day_grant_end",
    "providers.margin_quarter",
    "providers.margin_year",
    "providers.groups_year",
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
    "providers.margin_quarter",
    "providers.margin_year",
    "providers.groups_year",
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
    # Caring raises dropout; flexible delivery (online, hybrid, in situ) takes part of that away (L612, L616).
    flexible = np.isin(
        world.providers.delivery[w.provider[training]],
        [DELIVERIES.index(d) for d in ("online", "hybrid", "in_situ")],
    )
    extra = (wk.caring_dropout_multiplier - 1.0) * (1.0 - wk.flexible_dropout_relief * flexible)
    hazard = wk.dropout_per_year * (1.0 + w.caring[training] * extra)
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
    # A group runs per provider and module when it is large enough and, on supply's economics, pays.
    group = prov_sorted * 8 + w.module[ids]
    n_start = np.bincount(group[starts], minlength=p.n * 8)
    viable = (n_start >= np.repeat(p.min_cohort, 8)) & cohort_viable(world, c, n_start, step)
    starts &= viable[group]
    ids, prov_sorted = ids[starts], prov_sorted[starts]
    _account_cohorts(world, c, step, log, ids, prov_sorted)
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


def _fees_real(world: World, c: Compiled, provider: np.ndarray, module: np.ndarray) -> np.ndarray:
    """A learner's fee at a provider (its current fee multiplier), in real euros."""
    return c.fee[module] * world.providers.fee_mult[provider]


def _group_costs(world: World, c: Compiled, provider: np.ndarray, module: np.ndarray, n_real: np.ndarray):
    """(teaching, other) costs in real euros of groups of ``n_real`` learners of a module at a provider."""
    p, sup = world.providers, c.cfg.supply
    teaching = sup.teacher_eur_per_hour * c.hours[module]
    per_learner = (
        sup.learner_cost_eur
        + p.edc[provider] * sup.edc_cost_eur
        + p.moderated[provider] * sup.moderation_cost_eur
    )
    return teaching, n_real * per_learner


def cohort_viable(world: World, c: Compiled, n_start: np.ndarray, step: int) -> np.ndarray:
    """(providers x 8) whether a group of that many learners pays: fees, grant money and core funding.

    Continuous admission (individual study paths, L299, L311) starts whoever waits; so does every
    provider when supply is fixed as listed.
    """
    p, sup = world.providers, c.cfg.supply
    if not sup.enabled:
        return np.ones(p.n * 8, dtype=bool)
    from model.phases.supply import grant_money

    provider = np.repeat(np.arange(p.n), 8)
    module = np.minimum(np.tile(np.arange(8), p.n), c.n_modules - 1)
    n_real = n_start * c.w_scale
    teaching, other = _group_costs(world, c, provider, module, n_real)
    core = np.array([sup.core_funding_by_type.get(t, 0.0) for t in PTYPES])[p.ptype[provider]]
    income = n_real * _fees_real(world, c, provider, module) + grant_money(world, c, c.day0(step))[provider]
    pays = income + core * teaching >= teaching + other
    return pays | (p.intake_interval[provider] == 1)


def _account_cohorts(
    world: World, c: Compiled, step: int, log: EventLog, ids: np.ndarray, provider: np.ndarray
) -> None:
    """Groups that start: their learners, fee revenue and costs, in the providers' accounts."""
    w, p = world.workers, world.providers
    if len(ids) == 0:
        return
    module = w.module[ids]
    key, first, n = np.unique(provider * 8 + module, return_index=True, return_counts=True)
    prov, mod = key // 8, key % 8
    n_real = n * c.w_scale
    teaching, other = _group_costs(world, c, prov, mod, n_real)
    revenue = n_real * _fees_real(world, c, prov, mod)
    day = c.day0(step)
    log.emit(Event.COHORT_RUN, step, day, provider=prov, module=mod, value=n.astype(float))
    log.emit(Event.PROVIDER_REVENUE, step, day, provider=prov, module=mod, value=revenue)
    log.emit(Event.PROVIDER_COST, step, day, provider=prov, module=mod, value=teaching + other)
    np.add.at(p.margin_quarter, prov, (revenue - teaching - other).astype(np.float32))
    np.add.at(p.margin_year, (prov, mod), (revenue - teaching - other).astype(np.float32))
    np.add.at(p.groups_year, (prov, mod), 1)


def _refused_evidence(world: World, c: Compiled, s: Streams, step: int, log: EventLog, done, day, prov):
    """RPL evidence the assessor refuses: the learner takes the course at the same provider instead."""
    w = world.workers
    refused = w.rpl[done] & (s.uniform("rpl.accepted", step, done) >= c.cfg.pathway.rpl.acceptance_rate)
    ids = done[refused]
    log.emit(Event.RPL_REFUSED, step, day[refused], worker=ids, provider=prov[refused], module=w.module[ids])
    w.rpl[ids] = False
    w.status[ids] = Status.WAITING
    w.stage[ids] = 1
    keep = ~refused
    return done[keep], day[keep], prov[keep]


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
    done, day, prov = _refused_evidence(world, c, s, step, log, done, day, prov)
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
    # A provider whose assessments may be audited tightens them (fewer passes the work would not bear out).
    audited = p.moderated[prov] & (mod.sampling_rate > 0)
    false_pass = false_pass * np.where(audited, 1.0 - mod.deterrence, 1.0)
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
