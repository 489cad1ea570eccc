"""Dotted parameter keys (``providers[0].seats``, ``training.duty.compliance_by_size.1-5``) and their parts.

Why one module: the loader (``--set``), table ranges and calibration all walk a scenario by key, and
must agree on what a key means — list indices are integers, mapping keys such as ``1-5`` or ``50+``
stay text.
"""

from __future__ import annotations

__all__ = ["split_key"]


def split_key(dotted: str) -> list[str | int]:
    """``a.b[2].c`` -> ``['a', 'b', 2, 'c']``."""
    parts: list[str | int] = []
    for chunk in dotted.replace("]", "").replace("[", ".").split("."):
        if chunk:
            parts.append(int(chunk) if chunk.isdigit() else chunk)
    return parts
