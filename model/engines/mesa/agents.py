"""Mesa agents of the micro-credential market: workers, SMEs, providers, the panel and funders.

Each agent holds its own state as plain attributes (the names of ``model.state.FIELDS``), so a
facilitator can open any agent and read it. Behaviour lives in the shared rules: the model lends the
agents' attributes to each phase as arrays and takes the results back (see ``model.py``), which is
how the Mesa and vector engines stay one specification.
"""

from __future__ import annotations

from typing import Any

import mesa

from model.rules.firms import firm_ev_share
from model.rules.pathway import popcount8
from model.state import Status

__all__ = ["Worker", "SME", "Provider", "ModerationPanel", "Funder"]


class _StateAgent(mesa.Agent):
    """An agent whose attributes are set from the synthesised population."""

    def __init__(self, model: mesa.Model, index: int, **state: Any) -> None:
        super().__init__(model)
        self.index = index
        for name, value in state.items():
            setattr(self, name, value)


class Worker(_StateAgent):
    """A technician, VET graduate or jobseeker: gender, age band, employer, region, credentials."""

    @property
    def enrolled(self) -> bool:
        """Whether the worker is in the pipeline (waiting, training, audit or issuing)."""
        return self.status != Status.IDLE

    @property
    def credentials(self) -> int:
        """Number of micro-credentials held."""
        return int(popcount8(self.held))


class SME(_StateAgent):
    """A workshop: size, EV share of its service mix, budget, trust and acceptance of MCs."""

    def ev_share(self) -> float:
        """This firm's EV share of the service mix this week, as the rules compute it."""
        week = max(self.model.steps - 1, 0)
        return float(firm_ev_share(self.model.config.ev_share(week), self.ev_mult))


class Provider(_StateAgent):
    """A VET college, private trainer, OEM academy, sector body or HEI."""


class ModerationPanel(mesa.Agent):
    """The external moderation panel: assessors and the fractional capacity carried over."""

    def __init__(self, model: mesa.Model, assessors: int) -> None:
        super().__init__(model)
        self.assessors = assessors
        self.carry = 0.0

    @property
    def backlog(self) -> int:
        """Sampled assessments waiting for audit (the audit queue)."""
        return sum(1 for w in self.model.agents_by_type[Worker] if w.status == Status.AUDIT)


class Funder(mesa.Agent):
    """One funding instrument's payer and its remaining pool (what it made available is in the log)."""

    def __init__(self, model: mesa.Model, instrument: str, kind: str) -> None:
        super().__init__(model)
        self.instrument = instrument
        self.kind = kind
        self.pool = 0.0
