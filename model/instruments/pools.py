"""Where an instrument's money sits: the funder, each firm, each provider or each worker.

Why one table: quoting, rationing, committing and releasing funding all need the pool a candidate
draws on and whose it is. The owner decides that, not the kind, so it is looked up here once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Literal

import numpy as np

if TYPE_CHECKING:
    from model.state import World

__all__ = ["Owner", "owner_ids", "pool_of", "own_balance"]

Owner = Literal["global", "firm", "provider", "worker"]

_IDS: dict[str, Callable[[World, np.ndarray, np.ndarray], np.ndarray]] = {
    "global": lambda world, worker, provider: np.zeros(len(worker), dtype=np.int64),
    "firm": lambda world, worker, provider: world.workers.firm[worker].astype(np.int64),
    "provider": lambda world, worker, provider: np.asarray(provider).astype(np.int64),
    "worker": lambda world, worker, provider: np.asarray(worker).astype(np.int64),
}

_POOLS: dict[str, Callable[[World, int], np.ndarray]] = {
    "global": lambda world, k: world.globals.pool[k : k + 1],
    "firm": lambda world, k: world.smes.pool[:, k],
    "provider": lambda world, k: world.providers.pool[:, k],
    "worker": lambda world, k: world.workers.pool[:, k],
}


def owner_ids(world: World, owner: Owner, worker: np.ndarray, provider: np.ndarray) -> np.ndarray:
    """Index into the owner's pool for each candidate (0 for the funder's single pool)."""
    return _IDS[owner](world, worker, provider)


def pool_of(world: World, owner: Owner, k: int) -> np.ndarray:
    """The pool array of instrument ``k`` (a view into the owner's state, writable)."""
    return _POOLS[owner](world, k)


def own_balance(
    world: World, owner: Owner, k: int, worker: np.ndarray, provider: np.ndarray
) -> np.ndarray | float:
    """What each candidate's own pool holds, as a cap on a quote; unlimited for the funder's shared pool.

    A firm's credit, a provider's grant or a worker's voucher caps what that holder can be quoted; a
    funder's single pool is shared by all candidates of the week, so it is settled by rationing instead.
    """
    if owner == "global":
        return np.inf
    return pool_of(world, owner, k)[owner_ids(world, owner, worker, provider)]
