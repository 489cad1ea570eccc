"""Funding instruments: one module per kind, found here.

Adding a kind means adding one module to this package that defines its schema class (a subclass of
``InstrumentBase`` with ``kind: Literal["<name>"]``) and ``KIND``, an instance of its
``InstrumentKind`` subclass. The registry below imports every module of the package, so the schema's
discriminated union, the compiler and the phases know the new kind without further edits
(CONTRIBUTING.md walks through an example).
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Annotated, Union

from pydantic import Field

from model.instruments.base import InstrumentBase, InstrumentKind, Terms
from model.instruments.pools import Owner, owner_ids, pool_of

__all__ = [
    "KINDS",
    "Instrument",
    "InstrumentBase",
    "InstrumentKind",
    "Terms",
    "Owner",
    "kind_of",
    "owner_ids",
    "pool_of",
]

_INFRASTRUCTURE = {"base", "pools"}


def _discover() -> dict[str, InstrumentKind]:
    kinds: dict[str, InstrumentKind] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if info.name in _INFRASTRUCTURE or info.name.startswith("_"):
            continue
        kind = importlib.import_module(f"{__name__}.{info.name}").KIND
        if kind.name in kinds:
            raise RuntimeError(f"two instrument modules declare the kind {kind.name!r}")
        kinds[kind.name] = kind
    return kinds


#: Every kind of instrument, by name.
KINDS: dict[str, InstrumentKind] = _discover()

#: The schema of one instrument: a union discriminated by ``kind``, so each kind accepts its own keys only.
Instrument = Annotated[Union[tuple(k.schema for k in KINDS.values())], Field(discriminator="kind")]  # noqa: UP007


def kind_of(name: str) -> InstrumentKind:
    """The kind named in a scenario (validated by the schema, so always known)."""
    return KINDS[name]
