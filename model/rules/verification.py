"""Employers' authenticity checks of credentials (pilot KPI, L697), as a rule both hiring and audits use.

An EDC check is instant and succeeds unless the infrastructure fails or the metadata are incomplete;
a paper/PDF check is a phone call or an e-mail to the issuer: it takes ``paper_check_days`` and
succeeds with ``paper_success_rate`` (short industry courses are "trusted in practice", L435).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from model.compiled import Compiled
from model.rules.beliefs import kind_of
from model.rules.pathway import popcount8
from model.state import World
from model.streams import Streams

__all__ = ["Checks", "check_credentials", "pick_credential"]


@dataclass(frozen=True)
class Checks:
    """One check per row: who, at which firm, which credential, its kind, the outcome and the day."""

    worker: np.ndarray
    firm: np.ndarray
    module: np.ndarray
    kind: np.ndarray
    ok: np.ndarray
    day: np.ndarray


def pick_credential(held: np.ndarray, u: np.ndarray, n_modules: int) -> np.ndarray:
    """One of each worker's held credentials (module index), chosen by a keyed uniform."""
    k = np.floor(u * popcount8(held)).astype(np.int64)
    module = np.full(len(held), -1, dtype=np.int64)
    seen = np.zeros(len(held), dtype=np.int64)
    for m in range(n_modules):
        has = (held >> m) & 1 == 1
        module[has & (seen == k) & (module < 0)] = m
        seen += has
    return module


def check_credentials(
    world: World, c: Compiled, s: Streams, purpose: str, step: int, workers: np.ndarray, firms: np.ndarray
) -> Checks:
    """Each firm checks one credential of each given worker (all hold at least one)."""
    w, ver = world.workers, c.cfg.verification
    module = pick_credential(w.held[workers], s.uniform(f"{purpose}.which", step, workers), c.n_modules)
    bit = np.left_shift(1, module).astype(np.uint8)
    edc = (w.edc_held[workers] & bit) != 0
    moderated = (w.mod_held[workers] & bit) != 0
    u = s.uniform(f"{purpose}.ok", step, workers)
    ok = np.where(edc, u >= ver.infra_failure_rate + ver.metadata_incomplete_rate, u < ver.paper_success_rate)
    day = c.day0(step) + s.day_in_week(f"day.{purpose}", step, workers)
    day = day + np.where(edc, 0, int(round(ver.paper_check_days)))  # a paper check takes time
    return Checks(workers, firms, module, kind_of(moderated, edc), ok, day.astype(np.int32))
