"""The engine-neutral event log: what happened, to whom, on which day.

Why a log: every KPI is computed once, from these events (DESIGN §3), so both engines report
identically and a growing queue cannot hide behind a stock. Each event is a row of fixed columns;
ids are -1 where they do not apply and ``value`` carries an amount in euros or a duration in days.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

__all__ = ["Event", "EventLog", "COLUMNS"]


class Event(IntEnum):
    """Kinds of event; the value is stored in the log's ``kind`` column."""

    SME_AWARE = 1
    WORKER_AWARE = 2
    SPONSORED = 3
    ENROLLED = 4
    STARTED = 5
    DROPPED = 6
    COMPLETED = 7
    ASSESSED_PASS = 8
    ASSESSED_FAIL = 9
    SAMPLED = 10
    AUDITED_PASS = 11
    AUDITED_FAIL = 12
    ISSUED = 13
    VERIFIED_OK = 14
    VERIFIED_FAIL = 15
    ACCEPTED = 16
    WITHDRAWN = 17
    PAID = 18
    TEACHERS_ASSIGNED = 19
    ASSESSORS_JOINED = 20
    REP_JOINED = 21
    AUDIT_COST = 22
    BUDGET_AVAILABLE = 23
    REP_LEFT = 24
    OUTREACH_COST = 25
    REFUSED = 26
    ENTERED = 27
    EXITED = 28
    HIRED = 29
    LAID_OFF = 30
    SME_OPENED = 31
    SME_CLOSED = 32
    CONTENT_CHANGED = 33
    CONTENT_RENEWED = 34
    RENEWAL_COST = 35
    ISSUED_CONTENT = 36
    COURSE_TAKEN = 37  # a firm's usual course (not an MC): module = course index, value = hours
    COURSE_PAID = 38  # an instrument pays for a course place: module = course index, value = EUR
    CLAIMED = 39  # a firm claims an instrument for the first time in a budget year: value = its entry cost
    APPROVED = 40  # a panel re-approves renewed content: provider, module, value = days it waited
    COMPETENCE = 41  # a credential issued: value 1 if its holder can do the work, 0 if not
    PERFORMANCE = 42  # an employer sees a holder's work on a credential: value 1 good, 0 bad
    BUNDLE_ISSUED = 43  # a certificate made of units (Spain's Grade B, E): value = the bundle's index
    COHORT_RUN = 44  # a provider starts a group: provider, module, value = learners (simulated)
    PROVIDER_REVENUE = 45  # fees of learners who start: provider, module, value = real EUR
    PROVIDER_COST = 46  # teaching, materials, EDC and moderation work: provider, module, value = real EUR
    OFFER_OPENED = 47  # a provider starts offering a module (grant money, or as listed at the start)
    OFFER_CLOSED = 48  # a provider stops offering a module that did not break even
    SEATS_SET = 49  # a provider's seats (value: real seats)
    FEE_SET = 50  # a provider's fee multiplier (value)
    RPL_REFUSED = 52  # RPL evidence refused: the learner waits for a seat on the course instead
    GRANT_AWARDED = 51  # a competitive grant's call pays a provider: provider, instrument, value = real EUR


COLUMNS: dict[str, type] = {
    "step": np.int32,
    "day": np.int32,
    "kind": np.int8,
    "worker": np.int64,
    "firm": np.int32,
    "provider": np.int32,
    "module": np.int8,
    "instrument": np.int8,
    "value": np.float64,
}


class EventLog:
    """Append-only columnar log; chunks are concatenated once, at the end of the run."""

    def __init__(self) -> None:
        self._chunks: dict[str, list[np.ndarray | tuple[float, int]]] = {c: [] for c in COLUMNS}
        self._n = 0

    def __len__(self) -> int:
        return self._n

    def emit(
        self,
        kind: Event,
        step: int,
        day: ArrayLike,
        *,
        worker: ArrayLike = -1,
        firm: ArrayLike = -1,
        provider: ArrayLike = -1,
        module: ArrayLike = -1,
        instrument: ArrayLike = -1,
        value: ArrayLike = np.nan,
    ) -> None:
        """Record events; array arguments must share one length, scalars are broadcast."""
        cols = (
            ("day", day),
            ("worker", worker),
            ("firm", firm),
            ("provider", provider),
            ("module", module),
            ("instrument", instrument),
            ("value", value),
        )
        n = 1
        for _, v in cols:
            if isinstance(v, np.ndarray) and v.ndim == 1:
                n = len(v)
                break
        if n == 0:
            return
        # Scalars are kept as (value, n) and expanded once, in to_frame: most columns of most
        # events are constants (-1 ids, NaN values), and this keeps emission cheap.
        self._chunks["step"].append((step, n))
        self._chunks["kind"].append((int(kind), n))
        for name, v in cols:
            if isinstance(v, np.ndarray) and v.ndim == 1:
                if len(v) != n:
                    raise ValueError(f"event column {name}: {len(v)} values, expected {n}")
                self._chunks[name].append(v.astype(COLUMNS[name]))
            else:
                self._chunks[name].append((v, n))
        self._n += n

    def to_frame(self) -> pd.DataFrame:
        """All events as a DataFrame, ordered as emitted (by step, then phase)."""
        data = {}
        for c, chunks in self._chunks.items():
            dtype = COLUMNS[c]
            parts = [x if isinstance(x, np.ndarray) else np.full(x[1], x[0], dtype=dtype) for x in chunks]
            data[c] = np.concatenate(parts).astype(dtype, copy=False) if parts else np.empty(0, dtype)
        return pd.DataFrame(data)
