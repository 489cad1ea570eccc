"""Phase 11, payments: pay every commitment whose trigger (enrolment, completion, credential) is reached.

Payments are the ledger: each PAID event names the instrument, the learner, the firm and the
provider, the day and the amount (simulated euros; outputs scale them to the real sector).
"""

from __future__ import annotations

import numpy as np

from model.compiled import Compiled
from model.events import Event, EventLog
from model.rules import funding
from model.state import World
from model.streams import Streams

READS = {"workers.commit", "workers.stage", "workers.firm", "workers.provider", "workers.module"}
WRITES = {"workers.commit"}


def run(world: World, c: Compiled, s: Streams, step: int, log: EventLog) -> None:
    """Pay what is due; the day is the last day of the week (payments run weekly)."""
    w = world.workers
    day = c.day0(step) + 6
    for inst in c.instruments:
        k = inst.index
        due = np.flatnonzero(funding.payable(c, w.commit, w.stage, k))
        if len(due) == 0:
            continue
        amount = w.commit[due, k].astype(np.float64)
        log.emit(
            Event.PAID,
            step,
            day,
            worker=due,
            firm=w.firm[due],
            provider=w.provider[due],
            module=w.module[due],
            instrument=k,
            value=amount,
        )
        w.commit[due, k] = 0.0
