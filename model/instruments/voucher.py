"""A training voucher held by the learner (Portugal's Cheque-Formação, public-facts §4; vouchers L1639).

Each worker gets the voucher amount at the start of every voucher period — employed workers one
amount, jobseekers another (Cheque-Formação: EUR 175 at 90 % for the employed, EUR 500 at 100 % for
the unemployed), capped per hour of training. A voucher may be ``reimbursed``: the learner pays the
fee first and claims the refund after the course (Cheque-Formação + Digital is "paid back after the
course ends"). That is a mechanism, not a discount: the learner must advance the money, values a
refund that comes ``reimbursement_days`` later at less (``worker.reimbursement_discount_per_month``),
and only ``claim_rate`` of those who finish file the claim; an unclaimed refund goes back to the pool.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, ClassVar, Literal

import numpy as np
from pydantic import Field

from model.instruments.base import InstrumentBase, InstrumentKind, Terms
from model.types import NonNeg, Share

if TYPE_CHECKING:
    from model.compiled import Compiled, InstrumentSpec
    from model.events import EventLog
    from model.state import World
    from model.streams import Streams

__all__ = ["VoucherInstrument", "Voucher", "KIND"]

_DAYS_PER_MONTH = 30.44


class VoucherInstrument(InstrumentBase):
    """A voucher of ``voucher_eur_per_period`` per employed worker every ``voucher_period_years``."""

    kind: Literal["voucher"]
    voucher_eur_per_period: NonNeg = 175.0
    voucher_period_years: Annotated[int, Field(ge=1, le=5)] = 2
    unemployed_eur_per_period: NonNeg | None = None  # None: jobseekers get the employed amount
    unemployed_fee_coverage: Share | None = None  # None: the instrument's fee_coverage
    hourly_cap_eur: NonNeg | None = None  # at most this per hour of the training
    reimbursed: bool = False  # the learner pays first and claims the refund after the course
    reimbursement_days: Annotated[float, Field(ge=0.0, le=730.0)] = 60.0
    claim_rate: Share = 1.0  # learners who finish and file the claim


class Voucher(InstrumentKind):
    """Each worker holds a voucher, renewed at the start of each period."""

    name: ClassVar[str] = "voucher"
    schema = VoucherInstrument
    owner = "worker"

    def refill_year(
        self, world: World, c: Compiled, spec: InstrumentSpec, s: Streams, step: int, log: EventLog
    ) -> list[float]:
        """At the start of a voucher period every worker's voucher is renewed to the full amount."""
        cfg, w = spec.config, world.workers
        if (c.year_of(step) - c.cfg.start_date.year) % cfg.voucher_period_years != 0:
            return []
        jobseeker_amount = (
            cfg.voucher_eur_per_period
            if cfg.unemployed_eur_per_period is None
            else cfg.unemployed_eur_per_period
        )
        amount = np.where(w.jobseeker, jobseeker_amount, cfg.voucher_eur_per_period) * w.active
        w.pool[:, spec.index] = amount
        return [float(amount.sum())]

    def terms(self, world, c, spec, offer, sponsored) -> Terms:
        """The employed's or the unemployed's share of the fee, at most ``hourly_cap_eur`` an hour.

        A voucher is the learner's own: it pays for training the learner chooses, not a firm's occasion.
        """
        cfg = spec.config
        jobseeker = world.workers.jobseeker[offer.worker]
        unemployed = spec.fee_coverage if cfg.unemployed_fee_coverage is None else cfg.unemployed_fee_coverage
        cover = np.where(jobseeker, unemployed, spec.fee_coverage)
        cap = np.full(len(offer), spec.cap_eur)
        if cfg.hourly_cap_eur is not None:
            cap = np.minimum(cap, cfg.hourly_cap_eur * offer.hours)
        return Terms(~np.asarray(sponsored, bool), cover, cap)

    def max_fee_cover(self, spec: InstrumentSpec) -> float:
        """The unemployed tier may cover more than the employed's share."""
        unemployed = spec.config.unemployed_fee_coverage
        return max(spec.fee_coverage, 0.0 if unemployed is None else unemployed)

    def perceived_share(self, c: Compiled, spec: InstrumentSpec) -> float:
        """A refund is worth less to a learner who must advance the fee and may not claim it."""
        cfg = spec.config
        if not cfg.reimbursed:
            return 1.0
        months = cfg.reimbursement_days / _DAYS_PER_MONTH
        return cfg.claim_rate / (1.0 + c.cfg.worker.reimbursement_discount_per_month * months)

    def pay(
        self, world: World, c: Compiled, spec: InstrumentSpec, s: Streams, step: int, log: EventLog
    ) -> None:
        """Refunds: claimed at the trigger by ``claim_rate`` of learners, paid ``reimbursement_days`` on."""
        from model.rules.funding import pay, release_one

        cfg = spec.config
        if not cfg.reimbursed:
            super().pay(world, c, spec, s, step, log)
            return
        w, k = world.workers, spec.index
        day0 = c.day0(step)
        reached = np.flatnonzero((w.commit[:, k] > 0) & (w.stage >= spec.trigger) & (w.claim_due[:, k] < 0))
        claims = s.uniform(f"claim.{spec.id}", step, reached) < cfg.claim_rate
        w.claim_due[reached[claims], k] = day0 + 6 + int(round(cfg.reimbursement_days))
        release_one(world, spec, reached[~claims])
        due = np.flatnonzero((w.claim_due[:, k] >= 0) & (w.claim_due[:, k] < day0 + 7) & (w.commit[:, k] > 0))
        pay(world, c, spec, due, step, w.claim_due[due, k], log)


KIND = Voucher()
