"""A FUNDAE-style training credit (public-facts §1): each firm's own credit, from its training levy.

The credit is the firm's money: only learners the firm sponsors draw on it. It covers the fee up to
an hourly cap (classroom or online) and leaves the firm a co-financing share that grows with size.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, ClassVar, Literal

import numpy as np
from pydantic import Field

from model.instruments.base import InstrumentBase, InstrumentKind, Terms
from model.rules.credit import annual_credit, carried_pool
from model.rules.firms import money_share, payroll_eur
from model.types import BANDS, DELIVERIES, NonNeg, Section, Share, SizeBand

if TYPE_CHECKING:
    from model.compiled import Compiled, InstrumentSpec
    from model.events import EventLog
    from model.state import World
    from model.streams import Streams

__all__ = ["CreditRules", "TrainingCreditInstrument", "TrainingCredit", "KIND"]


class CreditRules(Section):
    """FUNDAE-style credit rules (public-facts §1)."""

    contribution_rate: Share = 0.007
    bonus_rates: dict[Literal["6-9", "10-49", "50-249", "250+"], Share] = Field(
        default_factory=lambda: {"6-9": 1.0, "10-49": 0.75, "50-249": 0.6, "250+": 0.5}
    )
    floor_eur: NonNeg = 420.0
    cofinancing: dict[SizeBand, Share] = Field(
        default_factory=lambda: {"1-5": 0.0, "6-9": 0.05, "10-49": 0.1, "50-249": 0.2, "250+": 0.4}
    )
    hourly_cap_classroom_eur: NonNeg = 13.0
    hourly_cap_online_eur: NonNeg = 7.5
    carry_years_under_50: Annotated[int, Field(ge=1, le=3)] = 3
    # What claiming the credit costs a firm the first time in a year: the paperwork, or the fee of the
    # external organiser that 97 % of firms use (public-facts §1).
    admin_cost_eur: NonNeg = 150.0


class TrainingCreditInstrument(InstrumentBase):
    """A training credit per firm, granted each budget year by the rules in ``credit``."""

    kind: Literal["training_credit"]
    credit: CreditRules = CreditRules()


class TrainingCredit(InstrumentKind):
    """Each firm holds its credit; it pays only for learners the firm sponsors."""

    name: ClassVar[str] = "training_credit"
    schema = TrainingCreditInstrument
    owner = "firm"

    def refill_year(
        self, world: World, c: Compiled, spec: InstrumentSpec, s: Streams, step: int, log: EventLog
    ) -> list[float]:
        """Grant every open firm its credit (carrying what the rules allow); nobody has claimed it yet."""
        sm, k, rules = world.smes, spec.index, spec.config.credit
        bonus = np.array([0.0, *[rules.bonus_rates.get(b, 0.0) for b in BANDS[1:]]])
        credit = annual_credit(
            payroll_eur(world, c), sm.size_band, rules.contribution_rate, bonus, rules.floor_eur
        )
        credit = credit * money_share(world) * sm.active
        may_carry = sm.employees < 50
        before = np.where(may_carry, sm.pool[:, k], 0.0)
        after = carried_pool(sm.pool[:, k], credit, may_carry, rules.carry_years_under_50)
        sm.pool[:, k] = after
        sm.claimed[:, k] = False
        return [float((after - before).sum())]

    def implicit(self, world, c, spec, offer, day) -> np.ndarray:
        """Staff of a firm whose credit is not yet spent."""
        firm = world.workers.firm[offer.worker]
        return (firm >= 0) & (world.smes.pool[np.maximum(firm, 0), spec.index] > 0)

    def terms(self, world, c, spec, offer, sponsored) -> Terms:
        """Training the firm pays for only; it co-finances its size band's share; fees capped per hour.

        Claiming costs the firm the paperwork (``admin_cost_eur``) once a year, so a firm whose credit
        would pay less than that leaves it unused.
        """
        rules, sm, k = spec.config.credit, world.smes, spec.index
        firm = np.maximum(world.workers.firm[offer.worker], 0)
        cofin = np.array([rules.cofinancing.get(b, 0.0) for b in BANDS])
        cover = np.minimum(spec.fee_coverage, 1.0 - cofin[sm.size_band[firm]])
        online = offer.delivery == DELIVERIES.index("online")
        hourly = np.where(online, rules.hourly_cap_online_eur, rules.hourly_cap_classroom_eur)
        cap = np.minimum(spec.cap_eur, hourly * offer.hours)
        entry = np.where(sm.claimed[firm, k], 0.0, rules.admin_cost_eur)
        return Terms(np.asarray(sponsored, bool), cover, cap, entry)


KIND = TrainingCredit()
