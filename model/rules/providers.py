"""Where a learner would train: the next module and route, and a seat-weighted provider, own region first.

Why a table: providers' offers, seats, regions and moderation change only when providers revise
what they offer, so the choice for every (region, module, route) is tabulated once and each week's
choices are one vectorised lookup. The table lives in ``World.cache`` and is rebuilt when dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from model.compiled import Compiled
from model.rules.pathway import next_module
from model.state import World
from model.streams import Streams

__all__ = [
    "ProviderTable",
    "provider_table",
    "choose_provider",
    "routes",
    "rpl_preferred",
    "candidates",
    "members",
]


@dataclass(frozen=True)
class ProviderTable:
    """Seat-weighted provider choice per (region, module, route), as padded arrays."""

    cum: np.ndarray  # (keys, P) normalised cumulative seat shares, 2.0 past the end
    ids: np.ndarray  # (keys, P) provider ids
    far: np.ndarray  # (keys,) no provider in the worker's own region
    valid: np.ndarray  # (keys,) some provider offers it at all

    @staticmethod
    def build(world: World, c: Compiled) -> ProviderTable:
        """Tabulate every (region, module, RPL) combination."""
        p = world.providers
        n_keys = len(c.region_names) * c.n_modules * 2
        width = max(1, p.n)
        cum = np.full((n_keys, width), 2.0)
        ids = np.zeros((n_keys, width), dtype=np.int64)
        far = np.zeros(n_keys, dtype=bool)
        valid = np.zeros(n_keys, dtype=bool)
        for r in range(len(c.region_names)):
            for m in range(c.n_modules):
                for needs_mod in (0, 1):
                    k = (r * c.n_modules + m) * 2 + needs_mod
                    offers = ((p.offers >> m) & 1).astype(bool) & (p.seats > 0)
                    if needs_mod:
                        offers &= p.moderated
                    local = offers & (p.region == r)
                    pool = np.flatnonzero(local if local.any() else offers)
                    if len(pool) == 0:
                        continue
                    seats = np.cumsum(p.seats[pool].astype(np.float64))
                    cum[k, : len(pool)] = seats / seats[-1]
                    cum[k, len(pool) - 1] = 1.0
                    ids[k, : len(pool)] = pool
                    far[k] = not local.any()
                    valid[k] = True
        return ProviderTable(cum, ids, far, valid)


def provider_table(world: World, c: Compiled) -> ProviderTable:
    """The world's provider table, built on first use."""
    table = world.cache.get("provider_table")
    if table is None:
        table = world.cache["provider_table"] = ProviderTable.build(world, c)
    return table


def _key(c: Compiled, region: np.ndarray, module: np.ndarray, rpl: np.ndarray | bool) -> np.ndarray:
    return (region.astype(np.int64) * c.n_modules + module) * 2 + rpl


def choose_provider(
    world: World, c: Compiled, region: np.ndarray, module: np.ndarray, rpl: np.ndarray, u: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Seat-weighted choice among providers offering the module, own region first.

    Returns (provider id or -1, far). RPL needs a provider whose assessment is moderated.
    """
    table = provider_table(world, c)
    key = _key(c, region, module, rpl)
    pick = (table.cum[key] <= u[:, None]).sum(axis=1)
    out = np.where(table.valid[key], table.ids[key, np.minimum(pick, table.ids.shape[1] - 1)], -1)
    return out, table.far[key] & table.valid[key]


def routes(world: World, c: Compiled, idle: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Next module and route of idle workers who have somewhere to go; drops the others.

    Where RPL applies (a gateway, HV experience, a moderated provider offering the module) the learner
    chooses it when it is worth it (``rpl_preferred``); otherwise, and where no moderated provider
    offers the module, the taught route. Needs no draw: whether some provider offers a
    (region, module, route) is in the provider table.
    """
    w = world.workers
    rpl_possible = c.cfg.pathway.rpl.enabled and bool(world.providers.moderated.any())
    mod, via_rpl = next_module(w.held[idle], w.hv_exp[idle], c.prereq, c.needs_hv, c.rpl_sub, rpl_possible)
    keep = mod >= 0
    idle, mod, via_rpl = idle[keep], mod[keep].astype(np.int64), via_rpl[keep]
    valid, region = provider_table(world, c).valid, w.region[idle]
    via_rpl = via_rpl & valid[_key(c, region, mod, True)] & rpl_preferred(c, mod)
    keep = via_rpl | valid[_key(c, region, mod, False)]
    return idle[keep], mod[keep], via_rpl[keep]


def rpl_preferred(c: Compiled, module: np.ndarray) -> np.ndarray:
    """Whether recognising prior learning is worth it against the course, for a learner who may take either.

    RPL costs its fee and the hours to assemble the evidence; if the evidence is refused (``1 -
    acceptance_rate``) the learner takes the course after all. It is chosen when that expected cost,
    in the learner's weights of money and time, is below the course's.
    """
    rpl, wk = c.cfg.pathway.rpl, c.cfg.worker
    cost = wk.cost_weight_per_100_eur / 100.0
    time = wk.time_weight_per_10_hours / 10.0
    taught = cost * c.fee[module] + time * c.hours[module]
    attempt = cost * rpl.fee_eur * c.cfg.fees.multiplier + time * rpl.hours
    return attempt + (1.0 - rpl.acceptance_rate) * taught < taught


def candidates(world: World, c: Compiled, s: Streams, step: int, idle: np.ndarray):
    """Next module, route and provider (and whether it is far) for idle workers with somewhere to go."""
    idle, mod, via_rpl = routes(world, c, idle)
    prov, far = choose_provider(
        world, c, world.workers.region[idle], mod, via_rpl, s.uniform("provider", step, idle)
    )
    return idle, mod, via_rpl, prov, far


def members(world: World, firms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Worker ids of the given firms and, for each, the position of its firm in ``firms``.

    One pass over the workers with a lookup table: workforces change every week with flows.
    """
    position = np.full(world.smes.n, -1, dtype=np.int64)
    position[firms] = np.arange(len(firms))
    return _members(world.workers.firm, position)


@numba.njit(cache=True, nogil=True)
def _members(firm_of_worker: np.ndarray, position: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Workers (ascending) whose firm has a position, and that position (no firm: -1, none)."""
    n = 0
    for i in range(firm_of_worker.size):
        f = firm_of_worker[i]
        if f >= 0 and position[f] >= 0:
            n += 1
    found = np.empty(n, np.int64)
    pos = np.empty(n, np.int64)
    k = 0
    for i in range(firm_of_worker.size):
        f = firm_of_worker[i]
        if f >= 0 and position[f] >= 0:
            found[k] = i
            pos[k] = position[f]
            k += 1
    return found, pos
