"""Scenario parameters: schema, provenance and the YAML loader."""

from model.params.loader import LoadedScenario, ScenarioError, load_scenario, override_text, scenario_hash
from model.params.provenance import Provenance
from model.params.schema import SIZE_BANDS, Scenario

__all__ = [
    "SIZE_BANDS",
    "LoadedScenario",
    "Provenance",
    "Scenario",
    "ScenarioError",
    "load_scenario",
    "override_text",
    "scenario_hash",
]
