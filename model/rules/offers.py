"""What a candidate would buy: a micro-credential module at a provider, or one of the firms' other courses.

Why one shape for both: funders' rules (``module.mc``, ``provider.type``, ``module.hours`` ...), the
instruments' terms (hourly caps by delivery) and the quotes must treat a micro-credential and an
OEM product course the same way, so that an instrument pays for any eligible training unless its
rule says otherwise. A micro-credential offer reads its attributes from the provider; a course
offer from the preset's course catalogue (it has no provider agent: ``provider`` is -1).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from model.types import DELIVERIES, PTYPES

if TYPE_CHECKING:
    from model.compiled import Compiled
    from model.state import World

__all__ = ["Offer", "module_offers", "course_offers", "concat_offers"]


@dataclass(frozen=True)
class Offer:
    """One row per candidate: who, what, where, how long and at what fee (simulated EUR)."""

    worker: np.ndarray
    module: np.ndarray  # MC module index, or -1 for a course
    course: np.ndarray  # course index, or -1 for an MC module
    provider: np.ndarray  # provider id, or -1 for a course
    ptype: np.ndarray  # index into PTYPES
    delivery: np.ndarray  # index into DELIVERIES
    moderated: np.ndarray
    edc: np.ndarray
    esco: np.ndarray
    certified: np.ndarray  # certified trainer (Portugal: DGERT)
    region: np.ndarray  # where it is taught (the provider's region; the firm's for a course)
    hours: np.ndarray  # the learner's hours
    fee: np.ndarray  # per learner

    def __len__(self) -> int:
        return len(self.worker)

    @property
    def mc(self) -> np.ndarray:
        """Whether each row is a micro-credential module (not one of the firms' other courses)."""
        return self.module >= 0

    def take(self, rows: np.ndarray) -> Offer:
        """The given rows (indices or a mask)."""
        return Offer(*(getattr(self, f)[rows] for f in self.__dataclass_fields__))


def module_offers(
    world: World, c: Compiled, worker: np.ndarray, module: np.ndarray, provider: np.ndarray, rpl: np.ndarray
) -> Offer:
    """MC modules at the chosen providers; an RPL route costs the RPL fee and hours instead."""
    p, rpl_cfg = world.providers, c.cfg.pathway.rpl
    n = len(worker)
    fee = np.where(rpl, rpl_cfg.fee_eur * c.cfg.fees.multiplier, c.fee[module]) * p.fee_mult[provider]
    return Offer(
        worker=np.asarray(worker, dtype=np.int64),
        module=np.asarray(module, dtype=np.int64),
        course=np.full(n, -1, dtype=np.int64),
        provider=np.asarray(provider, dtype=np.int64),
        ptype=p.ptype[provider].astype(np.int64),
        delivery=p.delivery[provider].astype(np.int64),
        moderated=p.moderated[provider],
        edc=p.edc[provider],
        esco=p.esco[provider],
        certified=p.certified[provider],
        region=p.region[provider].astype(np.int64),
        hours=np.where(rpl, rpl_cfg.hours, c.hours[module]),
        fee=fee.astype(np.float64),
    )


def course_offers(c: Compiled, worker: np.ndarray, course: np.ndarray, region: np.ndarray) -> Offer:
    """The firms' other courses from the catalogue, bought in the firm's region."""
    courses = c.cfg.training.courses
    n = len(worker)
    ptype = np.array([PTYPES.index(k.provider_type) for k in courses], dtype=np.int64)
    delivery = np.array([DELIVERIES.index(k.delivery) for k in courses], dtype=np.int64)
    hours = np.array([k.hours for k in courses], dtype=np.float64)
    cost = np.array([k.cost_eur for k in courses], dtype=np.float64)
    certified = np.array([k.certified for k in courses], dtype=bool)
    no = np.zeros(n, dtype=bool)
    return Offer(
        worker=np.asarray(worker, dtype=np.int64),
        module=np.full(n, -1, dtype=np.int64),
        course=np.asarray(course, dtype=np.int64),
        provider=np.full(n, -1, dtype=np.int64),
        ptype=ptype[course] if n else np.zeros(0, np.int64),
        delivery=delivery[course] if n else np.zeros(0, np.int64),
        moderated=no,
        edc=no,
        esco=no,
        certified=certified[course] if n else no,
        region=np.asarray(region, dtype=np.int64),
        hours=hours[course] if n else np.zeros(0),
        fee=cost[course] if n else np.zeros(0),
    )


def concat_offers(*offers: Offer) -> Offer:
    """Rows of several offers, in order."""
    fields = Offer.__dataclass_fields__
    return Offer(*(np.concatenate([getattr(o, f) for o in offers]) for f in fields))
