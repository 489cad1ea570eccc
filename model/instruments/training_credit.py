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
    admin_uptake_by_size: dict[SizeBand, Share] = Field(
        default_factory=lambda: {"1-5": 0.2, "6-9": 0.3, "10-49": 0.6, "50-249": 0.85, "250+": 0.95}
    )


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
        self, world: World, c: Compiled, spec: InstrumentSpec, s: Streams, step: int
    ) -> list[float]:
        """Grant every open firm its credit (carrying what the rules allow) and draw who applies this year."""
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
        uptake = np.array([rules.admin_uptake_by_size.get(b, 0.0) for b in BANDS])
        u = s.uniform(f"credit_admin.{spec.id}", c.year_of(step), np.arange(sm.n))
        sm.credit_active[:] = u < uptake[sm.size_band]
        return [float((after - before).sum())]

    def implicit(self, world, c, spec, worker, provider, day) -> np.ndarray:
        """Staff of a firm whose credit is active and not yet spent."""
        firm = world.workers.firm[worker]
        f = np.maximum(firm, 0)
        return (firm >= 0) & world.smes.credit_active[f] & (world.smes.pool[f, spec.index] > 0)

    def terms(self, world, c, spec, worker, module, provider, sponsored) -> Terms:
        """Sponsored learners only; the firm co-finances its size band's share; fees capped per hour."""
        rules = spec.config.credit
        firm = np.maximum(world.workers.firm[worker], 0)
        cofin = np.array([rules.cofinancing.get(b, 0.0) for b in BANDS])
        cover = np.minimum(spec.fee_coverage, 1.0 - cofin[world.smes.size_band[firm]])
        online = world.providers.delivery[provider] == DELIVERIES.index("online")
        hourly = np.where(online, rules.hourly_cap_online_eur, rules.hourly_cap_classroom_eur)
        cap = np.minimum(spec.cap_eur, hourly * c.hours[module])
        return Terms(np.asarray(sponsored, bool), cover, cap)


KIND = TrainingCredit()
