"""Structure-of-arrays state of one run: one dataclass of typed NumPy arrays per actor.

Why arrays indexed by agent id: the rules are vectorised and shared by both engines. The vector
engine keeps these arrays; the Mesa engine keeps the same values as agent attributes and lends them
to the rules phase by phase (``model.engines.mesa``). Dates are absolute days in ``day_*`` arrays,
not countdowns. ``FIELDS`` names every per-agent array once, with its dtype and width, so the Mesa
agents and the vector engine cannot disagree on what an agent holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

import numpy as np

__all__ = ["Status", "FIELDS", "STATIC", "World", "ActorArrays", "Globals"]


class Status(IntEnum):
    """Where a worker is in the pipeline."""

    IDLE = 0
    WAITING = 1  # enrolled, waiting for a seat
    TRAINING = 2
    AUDIT = 3  # passed assessment, sampled, waiting for the moderation audit
    ISSUING = 4  # passed (and audited if sampled), credential being issued


# actor -> field -> (dtype, per-instrument?)  The width of per-instrument fields is n_instruments.
FIELDS: dict[str, dict[str, tuple[type, bool]]] = {
    "workers": {
        "woman": (np.bool_, False),
        "age_band": (np.int8, False),
        "jobseeker": (np.bool_, False),
        "region": (np.int16, False),
        "caring": (np.bool_, False),
        "hv_exp": (np.bool_, False),
        "firm": (np.int32, False),
        "aware": (np.bool_, False),
        "held": (np.uint8, False),
        "edc_held": (np.uint8, False),
        "mod_held": (np.uint8, False),
        "status": (np.int8, False),
        "module": (np.int8, False),
        "provider": (np.int32, False),
        "rpl": (np.bool_, False),
        "sponsored": (np.bool_, False),
        "day_enrolled": (np.int32, False),
        "day_due": (np.int32, False),
        "stage": (np.int8, False),
        "issuer_q": (np.float32, False),
        "commit": (np.float32, True),
        "pool": (np.float32, True),
    },
    "smes": {
        "size_band": (np.int8, False),
        "employees": (np.int32, False),
        "region": (np.int16, False),
        "ev_mult": (np.float32, False),
        "ca_covered": (np.bool_, False),
        "aware": (np.bool_, False),
        "trust": (np.float32, False),
        "threshold": (np.float32, False),
        "accepts": (np.bool_, False),
        "design_group": (np.bool_, False),
        "experience": (np.float32, False),
        "budget_left": (np.float32, False),
        "credit_active": (np.bool_, False),
        "pool": (np.float32, True),
    },
    "providers": {
        "ptype": (np.int8, False),
        "region": (np.int16, False),
        "seats": (np.int32, False),
        "teachers": (np.int32, False),
        "intake_interval": (np.int16, False),
        "min_cohort": (np.int32, False),
        "fee_mult": (np.float32, False),
        "delivery": (np.int8, False),
        "hours_per_week": (np.float32, False),
        "assessment": (np.int8, False),
        "moderated": (np.bool_, False),
        "edc": (np.bool_, False),
        "offers": (np.uint8, False),
        "active": (np.bool_, False),
        "pool": (np.float32, True),
        "day_grant_end": (np.int32, True),
    },
}


#: Attributes that never change within a run, as the engines report them (name -> actor, field).
STATIC: dict[str, tuple[str, str]] = {
    "worker.woman": ("workers", "woman"),
    "worker.age_band": ("workers", "age_band"),
    "worker.region": ("workers", "region"),
    "worker.jobseeker": ("workers", "jobseeker"),
    "worker.firm": ("workers", "firm"),
    "firm.size_band": ("smes", "size_band"),
    "firm.region": ("smes", "region"),
}


class ActorArrays:
    """Arrays of one actor type, as attributes; built from ``FIELDS``."""

    def __init__(self, actor: str, n: int, n_instruments: int) -> None:
        self.n = n
        for name, (dtype, per_instr) in FIELDS[actor].items():
            shape = (n, n_instruments) if per_instr else (n,)
            setattr(self, name, np.zeros(shape, dtype=dtype))


@dataclass(slots=True)
class Globals:
    """Run-level state that belongs to no agent: funders' pools and the panel's spare capacity."""

    pool: np.ndarray  # remaining budget per instrument, simulated EUR
    made_available: np.ndarray  # cumulative budget made available per instrument, simulated EUR
    panel_carry: float = 0.0  # fractional audit capacity carried to next week
    year: int = -1  # calendar year of the last budget reset


@dataclass(slots=True)
class World:
    """All state of one run."""

    workers: ActorArrays
    smes: ActorArrays
    providers: ActorArrays
    globals: Globals
    scratch: dict[str, object] = field(default_factory=dict)  # transient hand-over between phases
