"""The dashboard's levers, and a scenario with them set (validated like any scenario file)."""

from __future__ import annotations

from dataclasses import dataclass

from model.params import Scenario

__all__ = ["Levers", "SUBSIDY_ID", "apply_levers"]

#: Id of the budget instrument a fee subsidy above 0 adds.
SUBSIDY_ID = "workshop_subsidy"


@dataclass(frozen=True)
class Levers:
    """The levers on the dashboard, in the units shown to participants."""

    fees_multiplier: float = 1.0
    subsidy_coverage: float = 0.0
    subsidy_budget_eur_per_year: float = 1_000_000.0
    moderation_required: bool = False
    sampling_rate: float = 0.2
    ca_coverage: float = 0.0
    women_outreach: float = 1.0

    @classmethod
    def of(cls, cfg: Scenario) -> Levers:
        """The levers as a scenario sets them (no dashboard subsidy)."""
        return cls(
            fees_multiplier=cfg.fees.multiplier,
            moderation_required=cfg.moderation.required,
            sampling_rate=cfg.moderation.sampling_rate,
            ca_coverage=cfg.population.ca_coverage,
            women_outreach=cfg.outreach.women.p_multiplier,
        )


def apply_levers(cfg: Scenario, levers: Levers) -> Scenario:
    """``cfg`` with the levers set, validated by the scenario schema like any scenario file.

    A subsidy coverage above 0 adds a budget instrument that pays that share of every module fee
    to the provider at enrolment, for every learner, out of ``subsidy_budget_eur_per_year``.
    """
    data = cfg.model_dump(mode="python")
    data["fees"]["multiplier"] = float(levers.fees_multiplier)
    data["moderation"]["required"] = bool(levers.moderation_required)
    data["moderation"]["sampling_rate"] = float(levers.sampling_rate)
    data["population"]["ca_coverage"] = float(levers.ca_coverage)
    data["outreach"]["women"]["p_multiplier"] = max(1.0, float(levers.women_outreach))
    if levers.subsidy_coverage > 0:
        data["funding"]["instruments"].append(
            {
                "id": SUBSIDY_ID,
                "kind": "budget",
                "eligibility": "True",
                "fee_coverage": float(levers.subsidy_coverage),
                "trigger": "enrolment",
                "payee": "provider",
                "budget_eur_per_year": float(levers.subsidy_budget_eur_per_year),
            }
        )
    return Scenario.model_validate(data)
