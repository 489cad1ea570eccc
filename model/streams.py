"""Keyed randomness: every draw is a pure function of (run seed, purpose, step, agent id).

Why keyed: a draw must never shift because another agent, phase or instrument drew first
(DESIGN §4). Then scenarios of a comparison share their random numbers (common random numbers), the
counterfactual run for deadweight is exact, and the Mesa and vector engines produce the same event
log. The generator is counter-based, like NumPy's Philox, but indexable by agent id: a SplitMix64
finaliser over ``key(seed, purpose, step) + id * golden``, so any subset of agents can be drawn
without drawing for everyone. Population synthesis uses purposes of its own, so levers never change
who is in the population.
"""

from __future__ import annotations

import hashlib

import numba
import numpy as np
from numpy.typing import NDArray
from scipy.special import ndtri

__all__ = ["Streams", "derive_seed", "unit_at"]

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_MASK = (1 << 64) - 1


@numba.njit(cache=True, nogil=True, inline="always")
def unit_at(key: np.uint64, agent: np.int64) -> float:
    """One keyed uniform in compiled loops: the same value as ``Streams.uniform`` for that agent."""
    x = np.uint64(agent) * _GOLDEN + key
    x ^= x >> np.uint64(30)
    x *= _M1
    x ^= x >> np.uint64(27)
    x *= _M2
    x ^= x >> np.uint64(31)
    return (np.float64(x >> np.uint64(12)) + 0.5) * 2.0**-52


@numba.njit(cache=True, nogil=True)
def _under(mask: np.ndarray, key: np.uint64, bound: float):
    ids = np.empty(mask.size, np.int64)
    draws = np.empty(mask.size, np.float64)
    n = 0
    for i in range(mask.size):
        if mask[i]:
            u = unit_at(key, i)
            if u < bound:
                ids[n] = i
                draws[n] = u
                n += 1
    return ids[:n], draws[:n]


def _mix_int(x: int) -> int:
    """SplitMix64 finaliser on a Python int (for keys)."""
    x &= _MASK
    x ^= x >> 30
    x = (x * 0xBF58476D1CE4E5B9) & _MASK
    x ^= x >> 27
    x = (x * 0x94D049BB133111EB) & _MASK
    return x ^ (x >> 31)


def _hash_text(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")


def derive_seed(*parts: int | str) -> int:
    """A 63-bit seed derived from a run's identity (base seed, replication, design point...).

    NumPy's ``SeedSequence`` mixes the parts, so nearby inputs give unrelated seeds.
    """
    entropy = [len(parts)]
    for p in parts:
        value = (_hash_text(p) if isinstance(p, str) else int(p)) & _MASK
        entropy += [1 if isinstance(p, str) else 0, value & 0xFFFFFFFF, value >> 32]
    state = np.random.SeedSequence(entropy).generate_state(2, dtype=np.uint32)
    return int((int(state[0]) << 31) ^ int(state[1])) & ((1 << 63) - 1)


class Streams:
    """Named, keyed random streams for one run."""

    __slots__ = ("seed", "_purpose", "_keys")

    def __init__(self, seed: int) -> None:
        self.seed = int(seed)
        self._purpose: dict[str, int] = {}
        self._keys: dict[tuple[str, int], np.uint64] = {}  # (purpose, step) -> key, recent ones

    def key(self, purpose: str, step: int) -> np.uint64:
        """The 64-bit key of one (purpose, step) stream."""
        key = self._keys.get((purpose, step))
        if key is None:
            base = self._purpose.get(purpose)
            if base is None:
                base = self._purpose[purpose] = _mix_int(_hash_text(purpose) ^ _mix_int(self.seed))
            if len(self._keys) > 4096:  # a run uses ~60 purposes a week: keep the cache small
                self._keys.clear()
            key = self._keys[(purpose, step)] = np.uint64(
                _mix_int(base + (int(step) + 1) * 0x9E3779B97F4A7C15)
            )
        return key

    def bits(self, purpose: str, step: int, ids: NDArray[np.integer]) -> NDArray[np.uint64]:
        """Raw 64-bit draws for the given agent ids."""
        return self._mix(self.key(purpose, step), ids)

    @staticmethod
    def _mix(key: np.uint64 | NDArray[np.uint64], ids: NDArray[np.integer]) -> NDArray[np.uint64]:
        x = np.asarray(ids, dtype=np.uint64) * _GOLDEN
        if x.size == 0:
            return x * key  # broadcast shape, nothing to mix
        if isinstance(key, np.ndarray):
            x = x + key  # a (purposes, 1) key column broadcasts to one row per purpose
        else:
            x += key
        x ^= x >> np.uint64(30)
        x *= _M1
        x ^= x >> np.uint64(27)
        x *= _M2
        x ^= x >> np.uint64(31)
        return x

    @staticmethod
    def _unit(x: NDArray[np.uint64]) -> NDArray[np.float64]:
        u = (x >> np.uint64(12)).astype(np.float64)
        u += 0.5
        u *= 2.0**-52  # 52 bits: the largest value, 1 - 2**-53, is exactly representable
        return u

    def uniform(self, purpose: str, step: int, ids: NDArray[np.integer]) -> NDArray[np.float64]:
        """Uniforms on the open interval (0, 1), one per id."""
        return self._unit(self.bits(purpose, step, ids))

    def uniforms(self, purposes: tuple[str, ...], step: int, ids: NDArray[np.integer]) -> NDArray[np.float64]:
        """Uniforms for several purposes at once, one row per purpose (each row equals ``uniform``).

        Why: entrants and new firms need a handful of attributes each week; one pass over a
        (purposes x ids) block costs what one small draw costs.
        """
        keys = np.array([self.key(p, step) for p in purposes], dtype=np.uint64)[:, None]
        return self._unit(self._mix(keys, ids))

    def under(
        self, purpose: str, step: int, mask: NDArray[np.bool_], bound: float
    ) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        """Ids where ``mask`` holds whose uniform falls under ``bound``, and those uniforms.

        Thinning's first pass over a whole population, compiled: the same draws as ``uniform``
        without materialising one per agent.
        """
        return _under(np.ascontiguousarray(mask, dtype=np.bool_), self.key(purpose, step), float(bound))

    def normal(self, purpose: str, step: int, ids: NDArray[np.integer]) -> NDArray[np.float64]:
        """Standard normals by inversion, one per id."""
        return ndtri(self.uniform(purpose, step, ids))

    def day_in_week(self, purpose: str, step: int, ids: NDArray[np.integer]) -> NDArray[np.int32]:
        """A day offset 0..6 within the week, so day-based KPIs are not multiples of 7."""
        return (self.bits(purpose, step, ids) % np.uint64(7)).astype(np.int32)
