"""A collective-agreement training fund: a payroll levy (or an earmark) pooled by the sector's employers.

Finland's proposal (report L670–672) and Spain's sector funds (L1500): only firms the agreement
covers (``firm.ca_covered``) can draw on it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, ClassVar, Literal

import numpy as np
from pydantic import Field, model_validator

from model.instruments.base import InstrumentBase, InstrumentKind
from model.rules.firms import money_share, payroll_eur
from model.types import NonNeg

if TYPE_CHECKING:
    from model.compiled import Compiled, InstrumentSpec
    from model.events import EventLog
    from model.state import World
    from model.streams import Streams

__all__ = ["CollectiveFundInstrument", "CollectiveFund", "KIND"]


class CollectiveFundInstrument(InstrumentBase):
    """A fund financed by a payroll levy on covered firms and/or a yearly earmark."""

    kind: Literal["collective_fund"]
    levy_rate_of_payroll: Annotated[float, Field(ge=0.0, le=0.05)] = 0.0
    budget_eur_per_year: NonNeg = 0.0

    @model_validator(mode="after")
    def _has_money(self) -> CollectiveFundInstrument:
        if self.levy_rate_of_payroll == 0.0 and self.budget_eur_per_year == 0.0:
            raise ValueError("a collective_fund needs levy_rate_of_payroll or budget_eur_per_year above 0")
        return self


class CollectiveFund(InstrumentKind):
    """One pool, refilled each budget year with the earmark plus the levy on covered firms' payroll."""

    name: ClassVar[str] = "collective_fund"
    schema = CollectiveFundInstrument
    owner = "global"

    def refill_year(
        self, world: World, c: Compiled, spec: InstrumentSpec, s: Streams, step: int, log: EventLog
    ) -> list[float]:
        """The year's earmark plus the levy (unspent money does not carry)."""
        cfg, sm = spec.config, world.smes
        levy = (
            cfg.levy_rate_of_payroll * float(payroll_eur(world, c)[sm.ca_covered].sum()) * money_share(world)
        )
        world.globals.pool[spec.index] = cfg.budget_eur_per_year / c.w_scale + levy
        return [float(world.globals.pool[spec.index])]

    def implicit(self, world, c, spec, offer, day) -> np.ndarray:
        """Only staff of firms the collective agreement covers, while money is left."""
        firm = world.workers.firm[offer.worker]
        covered = (firm >= 0) & world.smes.ca_covered[np.maximum(firm, 0)]
        return covered & (world.globals.pool[spec.index] > 0)


KIND = CollectiveFund()
