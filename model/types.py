"""Value types shared by every part of the scenario schema.

Why a module of its own: the schema (``model.params.schema``) and the funding instruments
(``model.instruments``), each of which declares its own schema class, both build on these, and
neither may import the other's internals.
"""

from __future__ import annotations

from typing import Annotated, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "SIZE_BANDS",
    "BANDS",
    "AGE_BANDS",
    "PTYPES",
    "DELIVERIES",
    "ASSESSMENTS",
    "SizeBand",
    "AgeBand",
    "ProviderType",
    "Delivery",
    "Share",
    "NonNeg",
    "Hazard",
    "Section",
]

#: Firm size bands in employees, as FUNDAE's credit rules and the sector statistics use them.
SIZE_BANDS: dict[str, tuple[int, int]] = {
    "1-5": (1, 5),
    "6-9": (6, 9),
    "10-49": (10, 49),
    "50-249": (50, 249),
    "250+": (250, 600),
}

SizeBand = Literal["1-5", "6-9", "10-49", "50-249", "250+"]
AgeBand = Literal["16-29", "30-49", "50+"]
ProviderType = Literal["public_vet", "private", "oem", "sector_body", "hei"]
Delivery = Literal["classroom", "online", "hybrid", "in_situ"]
Assessment = Literal["mcq", "practical"]

# The same choices as ordered tuples: state arrays store their index.
BANDS: tuple[str, ...] = get_args(SizeBand)
AGE_BANDS: tuple[str, ...] = get_args(AgeBand)
PTYPES: tuple[str, ...] = get_args(ProviderType)
DELIVERIES: tuple[str, ...] = get_args(Delivery)
ASSESSMENTS: tuple[str, ...] = get_args(Assessment)
Share = Annotated[float, Field(ge=0.0, le=1.0)]
NonNeg = Annotated[float, Field(ge=0.0)]
Hazard = Annotated[float, Field(ge=0.0, le=100.0)]


class Section(BaseModel):
    """A part of a scenario: unknown keys are refused, values are frozen and strictly typed."""

    # strict: YAML's yes/on/1 must not quietly become True, nor true become 1.0
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)
