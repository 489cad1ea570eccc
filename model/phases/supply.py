"""Phase 4, supply: providers decide what they offer, their fees and their seats.

Why: a grant that funds providers (JOTPA, public-facts §2) can only open a course where there was
none if providers respond, and a waiting list should grow supply when money allows (issue 18).
Each week a provider holding grant money offers every module it can teach. Each quarter a provider
whose waiting list stayed long relative to its seats adds seats, if the quarter's fees and grants
covered its costs or grant money is left. At each new year a provider stops offering a module that
did not break even over the year (unless grant money keeps it), and moves its fee a step up when
learners waited for seats or down when seats stood empty, within bounds. Whether a cohort runs at
an intake is decided in the training phase (``cohort_viable``), on the same economics. Disabled
(offers, fees and seats as listed) unless ``supply.enabled``.
"""

from __future__ import annotations

import numpy as np

from model.compiled import Compiled
from model.events import Event, EventLog
from model.state import Status, World
from model.streams import Streams

READS = {
    "providers.offers",
    "providers.capable",
    "providers.seats",
    "providers.base_seats",
    "providers.fee_mult",
    "providers.queue_sum",
    "providers.busy_sum",
    "providers.margin_quarter",
    "providers.margin_year",
    "providers.groups_year",
    "providers.waited_year",
    "workers.module",
    "providers.pool",
    "providers.day_grant_end",
    "workers.status",
    "workers.provider",
    "workers.rpl",
}
WRITES = {
    "providers.offers",
    "providers.seats",
    "providers.fee_mult",
    "providers.queue_sum",
    "providers.busy_sum",
    "providers.margin_quarter",
    "providers.margin_year",
    "providers.groups_year",
    "providers.waited_year",
}

QUARTER_WEEKS = 13


def enabled(c: Compiled) -> bool:
    """Engines skip the phase when supply is fixed as listed."""
    return c.cfg.supply.enabled


def grant_money(world: World, c: Compiled, day: int) -> np.ndarray:
    """Real euros of running grants each provider holds (all competitive grants)."""
    p = world.providers
    money = np.zeros(p.n)
    for inst in c.instruments:
        if inst.owner == "provider":
            k = inst.index
            money += np.where(p.day_grant_end[:, k] > day, p.pool[:, k], 0.0) * c.w_scale
    return money


def _set_offers(world: World, c: Compiled, step: int, day: int, log: EventLog, new: np.ndarray) -> None:
    """Change what providers offer; log each module opened or closed."""
    p = world.providers
    for m in range(c.n_modules):
        bit = np.uint8(1 << m)
        opened = np.flatnonzero(((new & bit) != 0) & ((p.offers & bit) == 0))
        closed = np.flatnonzero(((new & bit) == 0) & ((p.offers & bit) != 0))
        log.emit(Event.OFFER_OPENED, step, day, provider=opened, module=m)
        log.emit(Event.OFFER_CLOSED, step, day, provider=closed, module=m)
    if (new != p.offers).any():
        world.cache.pop("provider_table", None)  # learners' provider choice changes
    p.offers[:] = new


def _quarter(world: World, c: Compiled, step: int, day: int, log: EventLog, grants: np.ndarray) -> None:
    """Seats grow where the waiting list persisted and the money allows."""
    p, sup = world.providers, c.cfg.supply
    waiting = p.queue_sum / QUARTER_WEEKS
    real_seats = p.seats * c.w_scale
    grow = (waiting * c.w_scale >= sup.queue_ratio_for_seats * np.maximum(real_seats, 1.0)) & (
        (p.margin_quarter >= 0) | (grants > 0)
    )
    cap = np.floor(p.base_seats * sup.max_seats_mult).astype(np.int64)
    more = np.minimum(np.ceil(p.seats * (1.0 + sup.seat_step)).astype(np.int64), cap)
    changed = np.flatnonzero(grow & (more > p.seats))
    p.seats[changed] = more[changed]
    log.emit(Event.SEATS_SET, step, day, provider=changed, value=p.seats[changed] * c.w_scale)
    if len(changed):
        world.cache.pop("provider_table", None)
    p.queue_sum[:] = 0.0
    p.margin_quarter[:] = 0.0


def _year(world: World, c: Compiled, step: int, day: int, log: EventLog, grants: np.ndarray) -> None:
    """Stop offering modules that lost money over the year; fees follow demand within bounds."""
    p, sup = world.providers, c.cfg.supply
    # Lost money, or learners waited all year for a group that never paid to run.
    never = (p.groups_year[:, : c.n_modules] == 0) & (p.waited_year[:, : c.n_modules] > 0)
    losing = ((p.margin_year[:, : c.n_modules] < 0) | never) & (grants[:, None] <= 0)
    keep = p.offers.copy()
    for m in np.flatnonzero(losing.any(axis=0)):
        keep[losing[:, m]] &= np.uint8(~(1 << m) & 0xFF)
    _set_offers(world, c, step, day, log, keep)
    occupancy = p.busy_sum / 52.0 / np.maximum(p.seats, 1)
    up = p.queue_sum > 0  # learners still waited in the last quarter: demand exceeds seats
    down = (occupancy < 0.5) & ~up
    fee = np.where(
        up, p.fee_mult * (1 + sup.fee_step), np.where(down, p.fee_mult * (1 - sup.fee_step), p.fee_mult)
    )
    fee = np.clip(fee, sup.fee_min_mult, sup.fee_max_mult).astype(np.float32)
    changed = np.flatnonzero(np.abs(fee - p.fee_mult) > 1e-6)
    p.fee_mult[:] = fee
    log.emit(Event.FEE_SET, step, day, provider=changed, value=fee[changed].astype(float))
    p.margin_year[:] = 0.0
    p.groups_year[:] = 0
    p.waited_year[:] = 0
    p.busy_sum[:] = 0.0


def run(world: World, c: Compiled, s: Streams, step: int, log: EventLog) -> None:
    """Grant money opens offers; quarterly seats; yearly offers and fees (on the state at the phase start)."""
    p, w = world.providers, world.workers
    day = c.day0(step)
    if step == 0:
        _initial(world, c, log)
    grants = grant_money(world, c, day)
    if step > 0 and c.year_of(step) != c.year_of(step - 1):
        _year(world, c, step, day, log, grants)
    if step > 0 and step % QUARTER_WEEKS == 0:
        _quarter(world, c, step, day, log, grants)
    opened = np.where(grants > 0, p.offers | p.capable, p.offers).astype(np.uint8)
    _set_offers(world, c, step, day, log, opened)
    queued = w.status == Status.WAITING
    waiting = np.bincount(w.provider[queued], minlength=p.n)[: p.n]
    np.add.at(p.waited_year, (w.provider[queued], w.module[queued]), 1)
    busy = np.bincount(w.provider[(w.status == Status.TRAINING) & ~w.rpl], minlength=p.n)[: p.n]
    p.queue_sum += waiting.astype(np.float32)
    p.busy_sum += busy.astype(np.float32)


def _initial(world: World, c: Compiled, log: EventLog) -> None:
    """Offers, seats and fees as listed, logged so the providers' table can be rebuilt from events."""
    p = world.providers
    for m in range(c.n_modules):
        has = np.flatnonzero((p.offers >> m) & 1)
        log.emit(Event.OFFER_OPENED, 0, 0, provider=has, module=m)
    ids = np.arange(p.n)
    log.emit(Event.SEATS_SET, 0, 0, provider=ids, value=p.seats * c.w_scale)
    log.emit(Event.FEE_SET, 0, 0, provider=ids, value=p.fee_mult.astype(float))
