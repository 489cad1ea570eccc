"""Phase 3, content: standards and technology change, and providers renew module content.

Why: the report's central tension is agility against legitimacy (L189–207, L534–550, L618–648).
A change event (per module, an annual hazard) leaves every provider's version of that module out of
date from that day. Providers renew in fixed annual review windows (L690), after detecting the
change through skills-intelligence signals (trigger mode, L550), or in full curriculum cycles (every
few years, L1096). Renewal takes provider work and employer validation (L620, L662); where the
provider's assessments are moderated the renewed module waits for the moderation panel's next
sitting with room to approve it (the moderation phase), so moderation adds lag (DESIGN: legitimacy
takes time) and competes with audits for the panel's capacity. Disabled unless
``content.enabled``.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from model.compiled import Compiled, weekly
from model.events import Event, EventLog
from model.state import World
from model.streams import Streams

READS = {
    "providers.offers",
    "providers.moderated",
    "providers.outdated_since",
    "providers.renew_due",
    "providers.renew_started",
    "providers.detect_due",
    "providers.last_change",
    "providers.approval_since",
}
WRITES = {
    "providers.outdated_since",
    "providers.renew_due",
    "providers.renew_started",
    "providers.detect_due",
    "providers.last_change",
    "providers.approval_since",
}


def enabled(c: Compiled) -> bool:
    """Engines skip the phase when content change is not modelled."""
    return c.cfg.content.enabled


def _changes(world: World, c: Compiled, s: Streams, step: int, log: EventLog) -> None:
    p, cc = world.providers, c.cfg.content
    day0 = c.day0(step)
    rates = np.array([cc.change_per_year.get(m, 0.0) for m in c.module_ids])
    modules = np.arange(c.n_modules)
    hit = modules[s.uniform("content.change", step, modules) < weekly(rates)]
    for m in hit.tolist():
        day = day0 + int(s.day_in_week("day.change", step, np.array([m]))[0])
        log.emit(Event.CONTENT_CHANGED, step, day, module=m)
        offers = np.flatnonzero((p.offers >> m) & 1)
        p.last_change[offers, m] = day
        fresh = offers[p.outdated_since[offers, m] < 0]
        p.outdated_since[fresh, m] = day
        if cc.renewal == "trigger":
            _detect(p, cc, s, step, m, fresh[p.detect_due[fresh, m] < 0], day)


def _detect(p, cc, s: Streams, step: int, m: int, providers: np.ndarray, day: int | np.ndarray) -> None:
    """Skills-intelligence signals reach a provider after an exponential delay (trigger mode)."""
    wait = -np.log(s.uniform(f"content.detect.{m}", step, providers)) * cc.trigger_detect_days
    p.detect_due[providers, m] = day + np.round(wait).astype(np.int32)


def _starts(world: World, c: Compiled, s: Streams, step: int) -> np.ndarray:
    """Mask (providers x modules) of renewals that start this week."""
    p, cc = world.providers, c.cfg.content
    day0 = c.day0(step)
    running = (p.renew_due[:, : c.n_modules] >= 0) | (p.approval_since[:, : c.n_modules] >= 0)
    outdated = (p.outdated_since[:, : c.n_modules] >= 0) & ~running
    if cc.renewal == "window":
        date = dt.date.fromordinal(c.start_ordinal + day0)
        week = min((date.timetuple().tm_yday - 1) // 7, 51)
        return outdated & (week in cc.window_weeks)
    if cc.renewal == "trigger":
        detect = p.detect_due[:, : c.n_modules]
        return outdated & (detect >= 0) & (detect < day0 + 7)
    period = max(1, int(round(cc.cycle_years * 52)))
    phase = np.arange(p.n) % period  # providers' cycles are spread over the period
    return outdated & ((step % period) == phase)[:, None]


def _renewals(world: World, c: Compiled, s: Streams, step: int, log: EventLog) -> None:
    p, cc = world.providers, c.cfg.content
    day0 = c.day0(step)
    start = _starts(world, c, s, step)
    rows, mods = np.nonzero(start)
    p.renew_started[rows, mods] = day0
    ready = day0 + np.round(cc.renewal_days + cc.employer_validation_days).astype(np.int32)
    # Moderated content waits for the panel's next sitting with room (the moderation phase approves it).
    moderated = p.moderated[rows]
    p.renew_due[rows, mods] = np.where(moderated, -1, ready)
    p.approval_since[rows, mods] = np.where(moderated, ready, -1)
    p.detect_due[rows, mods] = -1
    log.emit(
        Event.RENEWAL_COST, step, day0, provider=rows, module=mods, value=cc.renewal_cost_eur / c.w_scale
    )
    due = p.renew_due[:, : c.n_modules]
    rows, mods = np.nonzero((due >= 0) & (due < day0 + 7))
    done_day = due[rows, mods]
    covered = p.outdated_since[rows, mods]
    log.emit(Event.CONTENT_RENEWED, step, done_day, provider=rows, module=mods, value=covered.astype(float))
    # A change after the renewal started is not in the new content: out of date again from then.
    last = p.last_change[rows, mods]
    later = last > p.renew_started[rows, mods]
    p.outdated_since[rows, mods] = np.where(later, last, -1)
    p.renew_due[rows, mods] = -1
    if cc.renewal == "trigger":
        for m in np.unique(mods[later]).tolist():
            sel = later & (mods == m)
            _detect(p, cc, s, step, m, rows[sel], last[sel])


def run(world: World, c: Compiled, s: Streams, step: int, log: EventLog) -> None:
    """Change events first, then renewals that start or complete this week."""
    _changes(world, c, s, step, log)
    _renewals(world, c, s, step, log)
