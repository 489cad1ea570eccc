"""Phase 12, payments: pay every commitment whose trigger (enrolment, completion, credential) is reached.

A refund paid after the course (Portugal's vouchers) is claimed at completion by some learners and
paid after a delay; an unclaimed one goes back to its pool (``model.instruments.voucher``).

Payments are the ledger: each PAID event names the instrument, the learner, the firm and the
provider, the day and the amount (simulated euros; outputs scale them to the real sector).
"""

from __future__ import annotations

from model.compiled import Compiled
from model.events import EventLog
from model.state import World
from model.streams import Streams

READS = {
    "workers.commit",
    "workers.stage",
    "workers.firm",
    "workers.provider",
    "workers.module",
    "workers.claim_due",
    "workers.pool",
    "smes.pool",
    "providers.pool",
}
WRITES = {"workers.commit", "workers.claim_due", "workers.pool", "smes.pool", "providers.pool"}


def run(world: World, c: Compiled, s: Streams, step: int, log: EventLog) -> None:
    """Each instrument pays what it owes this week, the way its kind pays (``InstrumentKind.pay``)."""
    for inst in c.instruments:
        inst.impl.pay(world, c, inst, s, step, log)
