"""A JOTPA-style competitive grant (public-facts §2): themed calls that fund providers, not firms.

Eligible providers apply to each call; the call's budget is split among applicants by their seats
and can pay learners' fees until the project period ends. The application burden falls on providers
(DESIGN §4), so learners meet free seats.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, ClassVar, Literal

import numpy as np
from pydantic import Field, model_validator

from model.events import Event
from model.instruments.base import InstrumentBase, InstrumentKind
from model.types import PTYPES, NonNeg, ProviderType, Section, Share

if TYPE_CHECKING:
    from model.compiled import Compiled, InstrumentSpec
    from model.events import EventLog
    from model.state import World
    from model.streams import Streams

__all__ = ["GrantCall", "CompetitiveGrantInstrument", "CompetitiveGrant", "KIND"]


class GrantCall(Section):
    """One themed call of a competitive grant (JOTPA-style, public-facts §2)."""

    open_week: Annotated[int, Field(ge=0)]
    deadline_weeks: Annotated[int, Field(ge=0, le=52)] = 6  # applications close this long after opening
    budget_eur: NonNeg
    project_weeks: Annotated[int, Field(ge=1, le=520)] = 104


class CompetitiveGrantInstrument(InstrumentBase):
    """Calls for providers of the listed types; each applies with ``application_rate``."""

    kind: Literal["competitive_grant"]
    calls: list[GrantCall]
    provider_types: list[ProviderType] = Field(default_factory=lambda: ["public_vet", "hei"])
    application_rate: Share = 0.7

    @model_validator(mode="before")
    @classmethod
    def _needs_calls(cls, data: object) -> object:
        if isinstance(data, dict) and not data.get("calls"):
            raise ValueError("a competitive_grant needs at least one entry in 'calls'")
        return data


class CompetitiveGrant(InstrumentKind):
    """Each provider holds its own grant money, usable until its project ends."""

    name: ClassVar[str] = "competitive_grant"
    schema = CompetitiveGrantInstrument
    owner = "provider"

    def refill_week(
        self, world: World, c: Compiled, spec: InstrumentSpec, s: Streams, step: int, log: EventLog
    ) -> list[float]:
        """Award the calls whose deadline is this week: split each budget among applicants by seats."""
        p = world.providers
        k, cfg = spec.index, spec.config
        made = []
        for j, call in enumerate(cfg.calls):
            if call.open_week + call.deadline_weeks != step:  # awards at the deadline
                continue
            eligible = np.isin(p.ptype, [PTYPES.index(t) for t in cfg.provider_types])
            u = s.uniform(f"grant_apply.{spec.id}.{j}", step, np.arange(p.n))
            applied = eligible & (u < cfg.application_rate)
            budget = call.budget_eur / c.w_scale
            made.append(budget)
            if not applied.any():
                continue
            weight = np.where(applied, p.seats.astype(np.float64) + 1e-9, 0.0)
            award = budget * weight / weight.sum()
            p.pool[:, k] += award.astype(np.float32)
            winners = np.flatnonzero(applied)
            log.emit(
                Event.GRANT_AWARDED,
                step,
                c.day0(step),
                provider=winners,
                instrument=k,
                value=award[winners] * c.w_scale,
            )
            end = c.day0(step) + call.project_weeks * 7
            p.day_grant_end[:, k] = np.where(
                applied, np.maximum(p.day_grant_end[:, k], end), p.day_grant_end[:, k]
            )
        return made

    def implicit(self, world, c, spec, offer, day) -> np.ndarray:
        """Only at a provider holding grant money whose project is still running (not the firms' courses)."""
        p, k = world.providers, spec.index
        at = np.maximum(offer.provider, 0)
        return (offer.provider >= 0) & (p.pool[at, k] > 0) & (p.day_grant_end[at, k] > day)


KIND = CompetitiveGrant()
