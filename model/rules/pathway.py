"""Which module a worker takes next: gateways, HV-experience entry rules and RPL substitution."""

from __future__ import annotations

import numpy as np

__all__ = ["next_module", "popcount8", "bit_of"]

_POP8 = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint8)


def popcount8(x: np.ndarray) -> np.ndarray:
    """Number of set bits of uint8 masks (credentials held)."""
    return _POP8[np.asarray(x, dtype=np.uint8)]


def bit_of(module: np.ndarray) -> np.ndarray:
    """Bit mask of module indices (-1 gives 0)."""
    m = np.asarray(module, dtype=np.int64)
    return np.where(m >= 0, np.left_shift(1, np.maximum(m, 0)), 0).astype(np.uint8)


def next_module(
    held: np.ndarray,
    hv_exp: np.ndarray,
    prereq: np.ndarray,
    needs_hv: np.ndarray,
    rpl_sub: np.ndarray,
    rpl_possible: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """First module in pathway order not yet held whose gateways are met.

    Returns (module index or -1, via RPL). RPL substitutes a gateway module for workers with HV
    work experience, and only where moderated assessment exists (report L369, L417).
    """
    n_mod = len(prereq)
    nxt = np.full(held.shape, -1, dtype=np.int8)
    for m in range(n_mod - 1, -1, -1):
        bit = np.uint8(1 << m)
        ok = ((held & bit) == 0) & ((held & prereq[m]) == prereq[m])
        if needs_hv[m]:
            ok &= hv_exp
        nxt[ok] = m
    via_rpl = np.zeros(held.shape, dtype=bool)
    if rpl_possible:
        sub = rpl_sub[np.maximum(nxt, 0)] & (nxt >= 0)
        via_rpl = sub & hv_exp
    return nxt, via_rpl
