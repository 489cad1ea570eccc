"""What a search can measure in one run: the KPIs, and a few other whole-run figures funders ask for.

Why more than the KPIs: a search's cost counts the funders' overheads (moderation audits and outreach
campaigns, ``model.funders.overheads``), a workshop may price people reached (the funnel), and a
funder testing eligibility asks whether training reaches micro firms, which the KPIs (whole-sector
ratios and counts) do not say. Each name here is a whole-run value of ``model.api.simulate`` or
is computed from its public output (the funders' breakdown), never from engine internals.

Every outcome declares whether it is a ratio (no cost can be charged per unit of a ratio) and its
unit (a share's target must lie in [0, 1]).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from model.kpis import FUNNEL, KPIS

if TYPE_CHECKING:
    from model.api import RunOutput

__all__ = ["OUTCOMES", "RUN_COSTS", "Outcome", "micro_firm_funded_learners", "search_run"]

#: Firm size classes of fewer than 10 staff: micro firms (EU definition), as the breakdown names them.
MICRO_SIZE_CLASSES = ("1-5", "6-9")


@dataclass(frozen=True)
class Outcome:
    """A whole-run figure a search SPEC may name (target, cost basis or reported outcome)."""

    name: str
    unit: str
    ratio: bool
    description: str
    derive: Callable[[RunOutput], float] | None = None


def micro_firm_funded_learners(out: RunOutput) -> float:
    """Learners funded in firms of fewer than 10 staff, summed over instruments, real scale.

    From the funders' breakdown (``RunOutput.breakdown``: learners per instrument by firm size
    class); a learner funded by two instruments counts once for each. 0 when nothing was funded.
    """
    b = out.breakdown
    if b is None or b.empty:
        return 0.0
    micro = b[(b["dimension"] == "firm_size") & b["group"].isin(MICRO_SIZE_CLASSES)]
    return float(micro["learners"].sum())


_OUTCOMES: list[Outcome] = [
    *(Outcome(k.name, k.unit, k.kind == "ratio", k.description) for k in KPIS),
    *(
        Outcome(f"funnel_{stage}", "people", False, f"distinct people {stage} over the run (funnel)")
        for stage in FUNNEL
    ),
    Outcome("moderation_audits_eur", "EUR", False, "moderation audits over the run (funders' overhead)"),
    Outcome("outreach_eur", "EUR", False, "outreach campaigns over the run (funders' overhead)"),
    Outcome(
        "micro_firm_funded_learners",
        "learners",
        False,
        "learners funded in firms of fewer than 10 staff (1-5 and 6-9), all instruments, whole run",
        micro_firm_funded_learners,
    ),
]
#: Every outcome a search SPEC may name, by name.
OUTCOMES: dict[str, Outcome] = {o.name: o for o in _OUTCOMES}

#: Public money a run spends, in euros over the horizon: the default cost of a candidate policy.
RUN_COSTS = ("public_spend_eur", "other_training_spend_eur", "moderation_audits_eur", "outreach_eur")


def search_run(config: Any, seed: int, engine: str, deadweight: bool = False) -> dict[str, float]:
    """Task: every whole-run value of one run and the derived outcomes (one candidate in one world)."""
    from model.api import simulate

    out = simulate(config, seed, engine, deadweight=deadweight)
    derived = {o.name: o.derive(out) for o in _OUTCOMES if o.derive is not None}
    return {k: float(v) for k, v in out.whole.items()} | derived
