"""A training voucher held by the learner (Portugal's Cheque-Formação, public-facts §4; vouchers L1639).

Each worker gets the voucher amount at the start of every voucher period; it pays eligible fees
until it is used up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, ClassVar, Literal

from pydantic import Field

from model.instruments.base import InstrumentBase, InstrumentKind
from model.types import NonNeg

if TYPE_CHECKING:
    from model.compiled import Compiled, InstrumentSpec
    from model.state import World
    from model.streams import Streams

__all__ = ["VoucherInstrument", "Voucher", "KIND"]


class VoucherInstrument(InstrumentBase):
    """A voucher of ``voucher_eur_per_period`` per worker every ``voucher_period_years``."""

    kind: Literal["voucher"]
    voucher_eur_per_period: NonNeg = 175.0
    voucher_period_years: Annotated[int, Field(ge=1, le=5)] = 2


class Voucher(InstrumentKind):
    """Each worker holds a voucher, renewed at the start of each period."""

    name: ClassVar[str] = "voucher"
    schema = VoucherInstrument
    owner = "worker"

    def refill_year(
        self, world: World, c: Compiled, spec: InstrumentSpec, s: Streams, step: int
    ) -> list[float]:
        """At the start of a voucher period every worker's voucher is renewed to the full amount."""
        cfg = spec.config
        if (c.year_of(step) - c.cfg.start_date.year) % cfg.voucher_period_years != 0:
            return []
        world.workers.pool[:, spec.index] = cfg.voucher_eur_per_period
        return [cfg.voucher_eur_per_period * world.workers.n]


KIND = Voucher()
