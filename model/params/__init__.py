"""Scenario parameters: schema, provenance and the YAML loader.

The names below load on first use (PEP 562): ``mcsim --help`` reads ``model.params.provenance``
for its choices and should not pay for pydantic, the schema and NumPy, which the loader brings.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from model.params.loader import (
        LoadedScenario,
        ScenarioError,
        load_scenario,
        override_text,
        scenario_hash,
    )
    from model.params.provenance import Provenance
    from model.params.schema import SIZE_BANDS, Scenario

_HOME = {
    "LoadedScenario": "model.params.loader",
    "ScenarioError": "model.params.loader",
    "load_scenario": "model.params.loader",
    "override_text": "model.params.loader",
    "scenario_hash": "model.params.loader",
    "Provenance": "model.params.provenance",
    "SIZE_BANDS": "model.params.schema",
    "Scenario": "model.params.schema",
}

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


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(_HOME[name]), name)
    globals()[name] = value  # the next access is a plain attribute
    return value
