"""Phase 2, labour market: people age, retire and leave; firms close and open; newcomers arrive; firms hire.

Why flows: the women's-participation target is decided largely by who comes in (public-facts §5,
report L698), and SEPE's placement at 6 and 12 months (L1383) exists only if people move. Inflow
streams (VET graduates in early summer, jobseekers, career changers) arrive as jobseekers; firms
open vacancies in proportion to their staff and their EV work (hiring difficulties, L1336–1338);
jobseekers apply to an open vacancy, and each firm hires its best applicants, where a credential the
firm accepts counts (``credential_hiring_weight``, an assumption). Every entry and exit is an event,
so the stock-flow balance can be checked from the log. Disabled unless ``flows.enabled``.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from model.compiled import DAYS_PER_YEAR, Compiled, weekly
from model.events import Event, EventLog
from model.params.schema import Flows
from model.phases.decisions import provider_reputation
from model.phases.issuance import log_checks
from model.phases.training import drop_out
from model.rules.beliefs import kind_of
from model.rules.firms import firm_ev_share, staff_counts
from model.rules.queues import group_starts, lexsort
from model.rules.verification import check_credentials
from model.state import FIELDS, ActorArrays, Status, World
from model.streams import Streams
from model.synthesis import add_entrants, add_firms

WRITES = {f"{a}.{f}" for a in ("workers", "smes") for f in FIELDS[a]}
READS = WRITES | {"providers.rep_good", "providers.rep_bad", "providers.offers"}  # reputation in hiring


def enabled(c: Compiled) -> bool:
    """Engines skip the phase (and the Mesa engine lends nothing) when flows are off."""
    return c.cfg.flows.enabled


NEVER = np.iinfo(np.int32).max  # an event week that never comes (no hazard, or the worker has left)


def _gumbel(u: np.ndarray) -> np.ndarray:
    return -np.log(-np.log(u))


def _weeks_until(u: np.ndarray, hazard_per_year: float | np.ndarray) -> np.ndarray:
    """Weeks to the first event of a constant annual hazard (1: the coming weekly check), by inversion.

    Geometric with the weekly probability ``weekly(hazard)``: the same law as a Bernoulli draw at
    every weekly check, drawn once per change of state instead of once per worker per week.
    """
    rate = np.asarray(hazard_per_year, dtype=np.float64) * (7.0 / DAYS_PER_YEAR)
    with np.errstate(divide="ignore"):
        weeks = np.ceil(-np.log(u) / rate)
    return np.minimum(weeks, 2**30).astype(np.int64)


def _exit_hazard(w: ActorArrays, f: Flows, ids: np.ndarray) -> np.ndarray:
    """Annual hazard of leaving: everyone's, retirement at 50+, and jobseekers leaving the pool."""
    hazard = (
        f.exit_per_year
        + f.retirement_per_year_50_plus * (w.age_band[ids] == 2)
        + f.jobseeker_exit_per_year * w.jobseeker[ids]
    )
    return hazard * np.where(w.woman[ids], f.exit_multiplier_women, 1.0)


def _draw_exit(
    w: ActorArrays, f: Flows, s: Streams, purpose: str, step: int, ids: np.ndarray, first: int
) -> None:
    u = s.uniform(purpose, step, ids)
    w.exit_week[ids] = np.minimum(first - 1 + _weeks_until(u, _exit_hazard(w, f, ids)), NEVER)


def _draw_older(
    w: ActorArrays, f: Flows, s: Streams, purpose: str, step: int, ids: np.ndarray, first: int
) -> None:
    weeks = first - 1 + _weeks_until(s.uniform(purpose, step, ids), f.ageing_per_year)
    w.older_week[ids] = np.where(w.age_band[ids] < 2, np.minimum(weeks, NEVER), NEVER)


def _schedule(world: World, c: Compiled, s: Streams, step: int) -> None:
    """Draw exit and ageing weeks for newcomers and for people whose state changed last week (-1)."""
    f, w = c.cfg.flows, world.workers
    _draw_exit(w, f, s, "exit.when", step, np.flatnonzero(w.exit_week < 0), step)
    _draw_older(w, f, s, "older.when", step, np.flatnonzero(w.older_week < 0), step)


def _ageing(world: World, c: Compiled, s: Streams, step: int) -> None:
    """People due move up an age band; their exit hazard changes, so their exit week is redrawn."""
    f, w = c.cfg.flows, world.workers
    older = np.flatnonzero(w.older_week == step)
    w.age_band[older] += 1
    _draw_exit(w, f, s, "exit.when.aged", step, older, step)
    _draw_older(w, f, s, "older.when.aged", step, older, step + 1)


def _exits(world: World, c: Compiled, s: Streams, step: int, log: EventLog) -> None:
    """Retirement (50+), leaving the sector, and jobseekers leaving the sector's pool."""
    w = world.workers
    gone = np.flatnonzero(w.exit_week == step)
    day = c.day0(step) + s.day_in_week("day.exit", step, gone)
    busy = gone[w.status[gone] != Status.IDLE]
    day_busy = np.maximum(day[w.status[gone] != Status.IDLE], w.day_enrolled[busy])
    drop_out(world, c, step, log, busy, day_busy)
    log.emit(Event.EXITED, step, day, worker=gone, firm=w.firm[gone], value=w.aware[gone].astype(float))
    w.active[gone] = False
    w.status[gone] = Status.GONE
    w.firm[gone] = -1
    w.jobseeker[gone] = False
    w.aware[gone] = False
    w.held[gone] = 0
    w.competent[gone] = 0
    w.bundles[gone] = 0
    w.edc_held[gone] = 0
    w.mod_held[gone] = 0
    w.exit_week[gone] = NEVER
    w.older_week[gone] = NEVER


def _firm_turnover(world: World, c: Compiled, s: Streams, step: int, log: EventLog) -> None:
    """Firms close (their staff become jobseekers) and new firms open."""
    f, sm, w, g = c.cfg.flows, world.smes, world.workers, world.globals
    day0 = c.day0(step)
    n_active = int(np.count_nonzero(sm.active))
    closing, _ = s.under("firm_close", step, sm.active, float(weekly(f.firm_closure_per_year)))
    if len(closing):
        shut = np.zeros(sm.n + 1, dtype=bool)  # last slot: no firm (-1)
        shut[closing] = True
        staff = np.flatnonzero(shut[w.firm] & w.active)
        log.emit(Event.LAID_OFF, step, day0, worker=staff, firm=w.firm[staff])
        w.firm[staff] = -1
        w.jobseeker[staff] = True
        w.exit_week[staff] = -1  # a jobseeker's exit hazard: redrawn at next week's check
        withdrawn = closing[sm.accepts[closing]]
        log.emit(Event.WITHDRAWN, step, day0, firm=withdrawn)
        reps = closing[sm.design_group[closing]]
        log.emit(Event.REP_LEFT, step, day0, firm=reps, value=-c.f_scale)
        log.emit(Event.SME_CLOSED, step, day0, firm=closing, value=sm.aware[closing].astype(float))
        for name in ("active", "aware", "accepts", "design_group"):
            getattr(sm, name)[closing] = False
        sm.vacancies[closing] = 0
    expected = f.firm_entry_per_year * n_active / 52.0 + g.firm_entry_carry
    k = int(expected)
    g.firm_entry_carry = expected - k
    if k:
        new = add_firms(c, s, sm, k)
        sm.vacancies[new] = 1
        per_employee = c.cfg.population.training_budget_eur_per_employee
        sm.budget_left[new] = sm.employees[new] * per_employee * sm.plan_mult[new]  # this year's plan
        log.emit(Event.SME_OPENED, step, day0, firm=new)


def _entries(world: World, c: Compiled, s: Streams, step: int, log: EventLog) -> None:
    """Inflow streams arrive as jobseekers, in their weeks of the year."""
    f, g = c.cfg.flows, world.globals
    if g.entry_carry is None:
        g.entry_carry = np.zeros(len(f.inflows))
    date = dt.date.fromordinal(c.start_ordinal + c.day0(step))
    week_of_year = min((date.timetuple().tm_yday - 1) // 7, 51)
    counts = np.zeros(len(f.inflows), dtype=np.int64)
    for i, stream in enumerate(f.inflows):
        weeks = stream.weeks
        if weeks is not None and week_of_year not in weeks:
            continue
        per_week = stream.per_year / c.w_scale / (len(weeks) if weeks else 52.0)
        expected = per_week + g.entry_carry[i]
        counts[i] = int(expected)
        g.entry_carry[i] = expected - counts[i]
    if counts.sum() == 0:
        return
    stream_of = np.repeat(np.arange(len(f.inflows)), counts)
    ids = add_entrants(c, s, world.workers, stream_of)
    day = c.day0(step) + s.day_in_week("day.entry", step, ids)
    log.emit(Event.ENTERED, step, day, worker=ids, value=stream_of.astype(float))
    aware = world.workers.aware[ids]
    log.emit(Event.WORKER_AWARE, step, day[aware], worker=ids[aware])


def _apply(
    hiring: np.ndarray, sm: ActorArrays, region: np.ndarray, u: np.ndarray, n_regions: int
) -> np.ndarray:
    """The firm each applicant applies to: an open vacancy in their region, or anywhere if none there.

    Firms are weighted by their open vacancies; one search over the vacancies laid out region by
    region, each applicant's uniform scaled into their region's stretch.
    """
    pool = hiring[np.argsort(sm.region[hiring], kind="stable")]
    cum = np.concatenate(([0.0], np.cumsum(sm.vacancies[pool], dtype=np.float64)))
    start = np.searchsorted(sm.region[pool], np.arange(n_regions), side="left")
    end = np.searchsorted(sm.region[pool], np.arange(n_regions), side="right")
    none = start == end
    start, end = np.where(none, 0, start)[region], np.where(none, len(pool), end)[region]
    x = cum[start] + u * (cum[end] - cum[start])
    pick = np.searchsorted(cum, x, side="right") - 1
    return pool[np.clip(pick, start, end - 1)]


def _vacancy_rate(c: Compiled, staff: np.ndarray, ev: np.ndarray) -> np.ndarray:
    """Vacancies a firm opens a year: in proportion to its staff (at least one), more as EV work grows."""
    f = c.cfg.flows
    return f.vacancy_per_employee_per_year * np.maximum(staff, 1) * (1.0 + f.vacancy_ev_growth * ev)


def vacancy_bound(c: Compiled, most_staff: int, most_ev: float) -> float:
    """Upper bound of a firm's weekly chance of opening a vacancy: the largest staff and EV share."""
    rate = _vacancy_rate(c, np.array([most_staff]), np.array([most_ev]))
    return float(weekly(rate)[0]) * (1.0 + 1e-12)  # a hair above: rounding never puts it under a firm's


def _vacancies_opened(world: World, c: Compiled, s: Streams, step: int) -> np.ndarray:
    """Active firms that open a vacancy this week.

    Thinning: one keyed draw per active firm is compared first with the bound, and each firm's own
    chance is computed only under it (the same firms as drawing against each firm's chance).
    """
    sm, w = world.smes, world.workers
    if not sm.active.any():
        return np.zeros(0, np.int64)
    staff = staff_counts(w.firm, sm.n)  # people who left have no firm (-1)
    ev_share = c.ev_share(step)
    most_ev = float(firm_ev_share(ev_share, sm.ev_mult[sm.active].max()))
    cand, u = s.under("vacancy", step, sm.active, vacancy_bound(c, int(staff[sm.active].max()), most_ev))
    rate = _vacancy_rate(c, staff[cand], firm_ev_share(ev_share, sm.ev_mult[cand]))
    return cand[u < weekly(rate)]


def _hiring(world: World, c: Compiled, s: Streams, step: int, log: EventLog) -> None:
    """Firms open vacancies; jobseekers apply to one; each firm hires its best applicants."""
    f, sm, w = c.cfg.flows, world.smes, world.workers
    opens = _vacancies_opened(world, c, s, step)
    sm.vacancies[opens] = np.minimum(sm.vacancies[opens] + 1, f.max_open_vacancies)
    hiring = np.flatnonzero(sm.active & (sm.vacancies > 0))
    seekers = np.flatnonzero(w.jobseeker)  # people who left are not jobseekers
    seekers = seekers[s.uniform("search", step, seekers) < weekly(f.search_per_year)]
    if len(hiring) == 0 or len(seekers) == 0:
        return
    target = _apply(hiring, sm, w.region[seekers], s.uniform("apply", step, seekers), len(c.region_names))
    value = credential_value(world, c, seekers, target)
    # A firm not open to women counts a woman applicant less; an accepted credential offsets part of it.
    biased = w.woman[seekers] & ~sm.open_to_women[target]
    penalty = f.women_hiring_penalty * biased * (1.0 - f.credential_offsets_penalty * (value > 0))
    score = f.credential_hiring_weight * value - penalty + _gumbel(s.uniform("hire", step, seekers))
    order = lexsort(-score, target)
    t_sorted = target[order]
    first = group_starts(t_sorted)
    rank = np.arange(len(order)) - np.maximum.accumulate(np.where(first, np.arange(len(order)), 0))
    won = order[rank < sm.vacancies[t_sorted]]
    hired, firm = seekers[won], target[won]
    # Not before the day they entered, if they arrived this week.
    day = c.day0(step) + np.maximum(
        s.day_in_week("day.hire", step, hired), s.day_in_week("day.entry", step, hired)
    )
    log.emit(Event.HIRED, step, day, worker=hired, firm=firm, value=(w.held[hired] != 0).astype(float))
    np.subtract.at(sm.vacancies, firm, 1)
    w.firm[hired] = firm
    w.jobseeker[hired] = False
    w.exit_week[hired] = -1
    w.region[hired] = sm.region[firm]
    _check_new_hires(world, c, s, step, log, hired, firm)


def credential_value(world: World, c: Compiled, seekers: np.ndarray, firm: np.ndarray) -> np.ndarray:
    """How much an applicant's credentials count with the firm: 0 unless it accepts one of their kinds.

    Under the learning rule the best accepted credential counts by its provider's reputation relative
    to the average provider (a record of failed audits lowers what its credentials are worth). A
    partial accreditation counts ``pathway.partial_value`` unless the certificate it belongs to is
    complete (valid only within the VET system, report L1058); a completed certificate adds
    ``pathway.bundle_hiring_bonus`` (hiring value attaches to the bundle as well as to the unit).
    """
    w, sm, pw = world.workers, world.smes, c.cfg.pathway
    best = np.zeros(len(seekers))
    rep = provider_reputation(world, c)
    in_bundle = np.zeros(len(seekers), dtype=bool)
    for m in range(c.n_modules):
        bit = np.uint8(1 << m)
        has = (w.held[seekers] & bit) != 0
        kind = kind_of((w.mod_held[seekers] & bit) != 0, (w.edc_held[seekers] & bit) != 0)
        ok = has & (((sm.accepts_kinds[firm] >> kind) & 1) == 1)
        b = c.module_bundle[m]
        whole = b >= 0 and bool(c.partial[m])
        complete = ((w.bundles[seekers] >> max(b, 0)) & 1) == 1 if whole else np.ones(len(seekers), bool)
        worth = np.where(complete, 1.0, pw.partial_value)
        issuer = np.maximum(w.issued_by[seekers, m], 0)
        best = np.maximum(best, np.where(ok, rep[issuer] * worth, 0.0))
        in_bundle |= ok & (w.bundles[seekers] != 0)
    return best + pw.bundle_hiring_bonus * in_bundle


def _check_new_hires(
    world: World, c: Compiled, s: Streams, step: int, log: EventLog, hired: np.ndarray, firm: np.ndarray
) -> None:
    """A firm checks the credential of a holder it hires (checks happen when employers hire, DESIGN §3)."""
    holders = hired[world.workers.held[hired] != 0]
    if len(holders) == 0:
        return
    checks = check_credentials(world, c, s, "hire_check", step, holders, world.workers.firm[holders])
    log_checks(log, step, checks)
    if c.cfg.employer.trust_rule == "learning":
        bad = c.cfg.employer.failed_check_weight * (~checks.ok)
        np.add.at(world.smes.bad, (checks.firm, checks.kind), bad.astype(np.float32))


def run(world: World, c: Compiled, s: Streams, step: int, log: EventLog) -> None:
    """Ageing, exits, firm turnover, entries, then hiring — on the state at each sub-step."""
    _schedule(world, c, s, step)
    _ageing(world, c, s, step)
    _exits(world, c, s, step, log)
    _firm_turnover(world, c, s, step, log)
    _entries(world, c, s, step, log)
    _hiring(world, c, s, step, log)
