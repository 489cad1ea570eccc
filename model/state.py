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

__all__ = [
    "Status",
    "FIELDS",
    "STATIC",
    "World",
    "ActorArrays",
    "Globals",
    "initial_counts",
    "width_of",
    "MAX_MODULES",
    "N_KINDS",
]


class Status(IntEnum):
    """Where a worker is in the pipeline."""

    IDLE = 0
    WAITING = 1  # enrolled, waiting for a seat
    TRAINING = 2
    AUDIT = 3  # passed assessment, sampled, waiting for the moderation audit
    ISSUING = 4  # passed (and audited if sampled), credential being issued
    GONE = 5  # left the sector (retired or exited); the id is never reused


# actor -> field -> (dtype, width): width False for one value per agent, True for one per funding
# instrument (n_instruments), "modules" for one per pathway module (MAX_MODULES), "kinds" for one
# per kind of credential (N_KINDS).
FIELDS: dict[str, dict[str, tuple[type, bool]]] = {
    "workers": {
        "active": (np.bool_, False),
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
        "cur_held": (np.uint8, False),  # credentials issued on up-to-date content (bit mask)
        "competent": (np.uint8, False),  # credentials whose holder can do the work (bit mask)
        "bundles": (np.uint8, False),  # certificates made of units the worker holds (bit per bundle)
        "credit_hours": (np.float32, False),  # training hours owed and not yet given (Portugal's credit)
        "hours_year": (np.float32, False),  # hours of training this calendar year
        "claim_due": (np.int32, True),  # per instrument: day a refund claimed will be paid; -1: none
        "skilled": (np.bool_, False),  # able to do the current module's work at the last assessment
        "issued_by": (np.int32, "modules"),  # provider that issued each credential held; -1: none
        "exit_week": (np.int32, False),  # week the worker leaves the sector; -1: to be drawn (flows)
        "older_week": (np.int32, False),  # week the worker moves up an age band; -1: to be drawn
        "commit": (np.float32, True),
        "pool": (np.float32, True),
    },
    "smes": {
        "active": (np.bool_, False),
        "vacancies": (np.int16, False),
        "size_band": (np.int8, False),
        "employees": (np.int32, False),
        "region": (np.int16, False),
        "ev_mult": (np.float32, False),
        "ca_covered": (np.bool_, False),
        "aware": (np.bool_, False),
        "trust": (np.float32, False),
        "prior": (np.float32, False),  # the firm's prior share of good MC holders (before any evidence)
        "threshold": (np.float32, False),
        "accepts": (np.bool_, False),
        "design_group": (np.bool_, False),
        "experience": (np.float32, False),
        "budget_left": (np.float32, False),  # what is left of the year's training plan
        "plan_mult": (np.float32, False),  # the firm's training plan relative to the sector's per employee
        "complies": (np.bool_, False),  # acts on a statutory duty to train (training.duty)
        "open_to_women": (np.bool_, False),  # hires women on equal terms (flows.firms_open_to_women)
        "trained_year": (np.int32, False),  # staff trained this calendar year
        "claimed": (np.bool_, True),  # per instrument: claimed this budget year (its entry cost is paid)
        "good": (np.float32, "kinds"),  # evidence for each kind of credential: good observations
        "bad": (np.float32, "kinds"),  # ... and bad ones (own, heard from peers)
        "accepts_kinds": (np.uint8, False),  # kinds of credential the firm accepts (bit mask)
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
        "esco": (np.bool_, False),
        "offers": (np.uint8, False),
        "capable": (np.uint8, False),  # modules it can teach (the preset's list); offers are a subset
        "base_seats": (np.int32, False),  # seats as listed (the bound of growth)
        "queue_sum": (np.float32, False),  # learners waiting, summed over this quarter's weeks
        "margin_quarter": (np.float32, False),  # fees and grants less costs this quarter (real EUR)
        "margin_year": (np.float32, "modules"),  # per module this year (real EUR)
        "groups_year": (np.int32, "modules"),  # groups run per module this year
        "waited_year": (np.int32, "modules"),  # learner-weeks waiting per module this year
        "busy_sum": (np.float32, False),  # learners in training, summed over this year's weeks
        "active": (np.bool_, False),
        "competence": (np.float32, False),  # share of its learners it leaves able to do the work
        "certified": (np.bool_, False),  # certified trainer (Portugal: DGERT)
        "rep_good": (np.float32, False),  # published record: passed audits, holders' good work
        "rep_bad": (np.float32, False),  # failed audits, holders' bad work
        "pool": (np.float32, True),
        "day_grant_end": (np.int32, True),
        "outdated_since": (np.int32, "modules"),  # day of the first change not in the content; -1: current
        "renew_due": (np.int32, "modules"),  # day a running renewal completes; -1: none running
        "renew_started": (np.int32, "modules"),  # day the running renewal started
        "detect_due": (np.int32, "modules"),  # day the provider notices the change (trigger mode); -1
        "approval_since": (np.int32, "modules"),  # day renewed content awaits the panel's approval; -1
        "last_change": (np.int32, "modules"),  # day of the latest change event of the module; -1
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


MAX_MODULES = 8  # the schema's limit on pathway modules; per-module arrays have this width
N_KINDS = 4  # kinds of credential employers tell apart: (moderated or not) x (EDC or paper)


def width_of(width: bool | str, n_instruments: int) -> int:
    """Columns of a per-agent array: one per instrument, per pathway module or per credential kind."""
    return {"modules": MAX_MODULES, "kinds": N_KINDS}.get(width, n_instruments) if width else 1


class ActorArrays:
    """Arrays of one actor type, as attributes; built from ``FIELDS``.

    Ids are positions and are never reused. Entrants are appended (``append``); the backing store
    grows geometrically so a weekly trickle of entrants does not copy the arrays every week.
    """

    def __init__(self, actor: str, n: int, n_instruments: int) -> None:
        self.actor = actor
        self.n = n
        self._k = n_instruments
        self._store: dict[str, np.ndarray] = {}
        for name, (dtype, width) in FIELDS[actor].items():
            shape = (n, width_of(width, n_instruments)) if width else (n,)
            self._store[name] = np.zeros(shape, dtype=dtype)
            setattr(self, name, self._store[name])

    @classmethod
    def lent(cls, actor: str, n: int, n_instruments: int, arrays: dict[str, np.ndarray]) -> ActorArrays:
        """Arrays of only the given fields (what the Mesa engine lends a phase)."""
        self = cls.__new__(cls)
        self.actor, self.n, self._k, self._store = actor, n, n_instruments, dict(arrays)
        for name, value in arrays.items():
            setattr(self, name, value)
        return self

    def truncate(self, n: int) -> None:
        """Keep only the first ``n`` agents (population synthesis draws a few more than it keeps)."""
        for name, store in self._store.items():
            store[n:] = 0  # room past ``n`` must be zero for ``append``
            setattr(self, name, store[:n])
        self.n = n

    def append(self, k: int) -> np.ndarray:
        """Add ``k`` zeroed agents; return their ids."""
        new_n = self.n + k
        for name, store in self._store.items():
            # Room past ``n`` is only ever made by np.zeros and nothing writes there: already zero.
            if new_n > len(store):
                bigger = np.zeros((max(new_n, int(len(store) * 1.5) + 16), *store.shape[1:]), store.dtype)
                bigger[: self.n] = store[: self.n]
                self._store[name] = store = bigger
            setattr(self, name, store[:new_n])
        ids = np.arange(self.n, new_n)
        self.n = new_n
        return ids


@dataclass(slots=True)
class Globals:
    """Run-level state that belongs to no agent: funders' pools and the panel's spare capacity."""

    pool: np.ndarray  # remaining budget per instrument, simulated EUR
    panel_carry: float = 0.0  # fractional audit capacity carried to next week
    year: int = -1  # calendar year of the last budget reset
    entry_carry: np.ndarray | None = None  # fractional entrants carried over, per inflow stream
    firm_entry_carry: float = 0.0  # fractional new firms carried over


@dataclass(slots=True)
class World:
    """All state of one run."""

    workers: ActorArrays
    smes: ActorArrays
    providers: ActorArrays
    globals: Globals
    # Derived data a phase may rebuild from state at any time (e.g. the provider lookup table); never a
    # hand-over between phases: those are return values (``model.phases.run_week``).
    cache: dict[str, object] = field(default_factory=dict)


def initial_counts(world: World) -> dict[str, int]:
    """Stocks at the start, from which the KPIs rebuild every later stock with the event log."""
    w = world.workers
    employed = w.active & (w.firm >= 0)
    return {
        "workers": int(w.active.sum()),
        "smes": int(world.smes.active.sum()),
        "employed": int(employed.sum()),
        "employed_women": int((employed & w.woman).sum()),
    }
