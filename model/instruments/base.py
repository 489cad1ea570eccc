"""What every funding instrument is, and the interface a kind of instrument implements.

Why an interface: a kind of instrument (collective fund, competitive grant, training credit, voucher,
programme budget) differs from the others in five things only — who owns the pool, the conditions
that come with the kind whatever the scenario's rule says, how and when its pool is refilled, what it
covers of a learner's cost, and when and to whom it pays. Each kind states them in one module
(``model.instruments.<kind>``) with its own schema class; the funding rules and the environment
phase call the interface and never ask which kind they hold.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, ClassVar, Literal

import numpy as np
from pydantic import Field, field_validator

from model.eligibility import EligibilityError, parse
from model.instruments.pools import Owner, owner_ids, pool_of
from model.types import NonNeg, Section, Share

if TYPE_CHECKING:
    from model.compiled import Compiled, InstrumentSpec
    from model.events import EventLog
    from model.rules.offers import Offer
    from model.state import World
    from model.streams import Streams

__all__ = ["InstrumentBase", "InstrumentKind", "Terms", "Trigger", "Payee"]

Trigger = Literal["enrolment", "completion", "credential"]
Payee = Literal["provider", "firm", "learner"]


class InstrumentBase(Section):
    """Fields every instrument has: its rule, what it covers, and when and to whom it pays."""

    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    eligibility: str = "True"
    fee_coverage: Share = 1.0
    wage_coverage: Share = 0.0
    cap_eur_per_learner: NonNeg | None = None
    trigger: Trigger = "enrolment"
    payee: Payee = "provider"

    @field_validator("eligibility", mode="before")
    @classmethod
    def _bool_rule_as_text(cls, value: object) -> object:
        return str(value) if isinstance(value, bool) else value

    @field_validator("eligibility")
    @classmethod
    def _rule_parses(cls, text: str) -> str:
        try:
            parse(text)
        except EligibilityError as exc:
            raise ValueError(str(exc)) from None
        return text


@dataclass(frozen=True, slots=True)
class Terms:
    """What an instrument offers each candidate.

    Whether it pays at all, the share of the fee it covers, its cap in EUR, and what claiming it costs
    its holder the first time in a budget year (paperwork, an external organiser's fee).
    """

    ok: np.ndarray
    cover: np.ndarray
    cap: np.ndarray
    entry_cost: np.ndarray | float = 0.0


class InstrumentKind:
    """One kind of instrument. Subclasses set the class variables and override what differs.

    Money is in simulated euros throughout (real euros divided by ``Compiled.w_scale``).
    """

    name: ClassVar[str]
    schema: ClassVar[type[InstrumentBase]]
    owner: ClassVar[Owner]

    def refill_year(
        self, world: World, c: Compiled, spec: InstrumentSpec, s: Streams, step: int, log: EventLog
    ) -> list[float]:
        """At the start of a budget year: refill the pool; return each amount made available."""
        return []

    def refill_week(
        self, world: World, c: Compiled, spec: InstrumentSpec, s: Streams, step: int, log: EventLog
    ) -> list[float]:
        """Any week (after the budget year's refill): money made available during the year, e.g. calls."""
        return []

    def implicit(self, world: World, c: Compiled, spec: InstrumentSpec, offer: Offer, day: int) -> np.ndarray:
        """Conditions that come with the kind, beyond the scenario's rule: by default, money in the pool."""
        ids = owner_ids(world, self.owner, offer.worker, offer.provider)
        return pool_of(world, self.owner, spec.index)[ids] > 0

    def max_fee_cover(self, spec: InstrumentSpec) -> float:
        """The largest share of a fee ``terms`` can cover for anyone (thinning bounds rest on it)."""
        return spec.fee_coverage

    def perceived_share(self, c: Compiled, spec: InstrumentSpec) -> float:
        """How much a euro of this instrument is worth to the payer deciding (1: paid as the fee is)."""
        return 1.0

    def pay(
        self, world: World, c: Compiled, spec: InstrumentSpec, s: Streams, step: int, log: EventLog
    ) -> None:
        """Pay every commitment whose trigger (enrolment, completion, credential) is reached, this week."""
        from model.rules.funding import pay

        w, k = world.workers, spec.index
        due = np.flatnonzero((w.commit[:, k] > 0) & (w.stage >= spec.trigger))
        pay(world, c, spec, due, step, c.day0(step) + 6, log)

    def terms(
        self, world: World, c: Compiled, spec: InstrumentSpec, offer: Offer, sponsored: np.ndarray
    ) -> Terms:
        """What the instrument covers of each candidate's fee: by default the scenario's share and cap."""
        n = len(offer)
        return Terms(np.ones(n, bool), np.full(n, spec.fee_coverage), np.full(n, spec.cap_eur))
