"""The weekly phases, in the one order both engines run them (DESIGN §4).

1 environment → 2 labour market → 3 content → 4 supply → 5 awareness → 6 decisions → 7 rationing →
8 training → 9 moderation → 10 issuance/verification → 11 trust/acceptance → 12 payments (each
module's docstring opens with its number here; a test keeps them in step). Within a phase every
agent decides on the state at the phase start; scarce things are rationed by keyed priority draws.

The phase contract: ``run(world, compiled, streams, step, log, **taken)`` changes the state it
declares (``READS``/``WRITES``, which is what the Mesa engine lends it from its agents), logs events,
and may return a value that a later phase of the same week names in its ``TAKES`` and receives as a
keyword argument (the decisions phase returns its intents; rationing takes them). A phase may define
``enabled(compiled)``; both engines skip it when False. ``run_week`` is the one loop both engines use.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

from model.phases import (
    awareness,
    content,
    decisions,
    environment,
    issuance,
    labour,
    moderation,
    payments,
    rationing,
    supply,
    training,
    trust,
)

__all__ = ["PHASES", "run_week"]

PHASES: tuple[tuple[str, ModuleType], ...] = (
    ("environment", environment),
    ("labour", labour),
    ("content", content),
    ("supply", supply),
    ("awareness", awareness),
    ("decisions", decisions),
    ("rationing", rationing),
    ("training", training),
    ("moderation", moderation),
    ("issuance", issuance),
    ("trust", trust),
    ("payments", payments),
)


def run_week(compiled: Any, call: Callable[[str, ModuleType, dict[str, Any]], Any]) -> None:
    """Run one week: each enabled phase in order, handing each its ``TAKES`` from earlier phases.

    ``call(name, phase, taken)`` runs one phase the engine's way (on its arrays, or on state lent by
    agents) and returns what the phase returned.
    """
    handed: dict[str, Any] = {}
    for name, phase in PHASES:
        if hasattr(phase, "enabled") and not phase.enabled(compiled):
            continue
        out = call(name, phase, {k: handed.pop(k) for k in getattr(phase, "TAKES", ())})
        if out is not None:
            handed[name] = out
