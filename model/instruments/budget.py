"""A ring-fenced public programme budget (ESF+, regional or national), refilled every budget year."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Literal

from model.instruments.base import InstrumentBase, InstrumentKind
from model.types import NonNeg

if TYPE_CHECKING:
    from model.compiled import Compiled, InstrumentSpec
    from model.events import EventLog
    from model.state import World
    from model.streams import Streams

__all__ = ["BudgetInstrument", "Budget", "KIND"]


class BudgetInstrument(InstrumentBase):
    """A programme budget: pays eligible learners until the year's money is spent."""

    kind: Literal["budget"]
    budget_eur_per_year: NonNeg = 0.0


class Budget(InstrumentKind):
    """The funder holds one pool, refilled to the year's budget at each new budget year."""

    name: ClassVar[str] = "budget"
    schema = BudgetInstrument
    owner = "global"

    def refill_year(
        self, world: World, c: Compiled, spec: InstrumentSpec, s: Streams, step: int, log: EventLog
    ) -> list[float]:
        """A new budget year: the pool becomes the year's budget (unspent money does not carry)."""
        world.globals.pool[spec.index] = spec.config.budget_eur_per_year / c.w_scale
        return [float(world.globals.pool[spec.index])]


KIND = Budget()
