"""The weekly phases, in the one order both engines run them (DESIGN §4).

environment → labour market → content → awareness → decisions → rationing → training → moderation →
issuance/verification → trust/acceptance → payments. Within a phase every agent decides on the
state at the phase start; scarce things are rationed by keyed priority draws. Each phase module
declares the arrays it reads and writes (``READS``/``WRITES``), which is what the Mesa engine lends
it from its agents; a phase may define ``enabled(compiled)``, and both engines skip it when False.
"""

from __future__ import annotations

from types import ModuleType

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
    training,
    trust,
)

__all__ = ["PHASES"]

PHASES: tuple[tuple[str, ModuleType], ...] = (
    ("environment", environment),
    ("labour", labour),
    ("content", content),
    ("awareness", awareness),
    ("decisions", decisions),
    ("rationing", rationing),
    ("training", training),
    ("moderation", moderation),
    ("issuance", issuance),
    ("trust", trust),
    ("payments", payments),
)
