"""What every loader takes: the options, their one meaning, and the region map.

Why one place: ``--year`` and ``--field`` must mean the same whichever publisher's file is read, and
an option a loader cannot honour must be refused, never ignored.

* ``year``: the calendar year to load. If the file states its years, the year is selected from
  them (an error if the file has no such year); if it states none, its figures are dated to it.
* ``fields``: keep only rows whose field, qualification or speciality contains one of the texts
  (case and accents ignored); without it, rows totalled over fields are used.
* ``region_map``: data region label → scenario region; an error for a file without regions.
* ``sheet``: the workbook sheet to read; an error for a CSV or JSON file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TypedDict

import yaml

from analysis.calibration.loaders.cells import RegionMap
from analysis.calibration.loaders.labels import LoaderError, norm

__all__ = ["Options", "LoaderOptions", "read_region_map", "choose_years"]


class LoaderOptions(TypedDict, total=False):
    """The keyword options every ``load_*`` function takes (the command line's flags)."""

    country: str
    field_contains: list[str] | None
    region_map: RegionMap | None
    year: int | None
    rel_uncertainty: float
    sheet: str | None
    source: str | None


@dataclass(frozen=True)
class Options:
    """A loader's options (see the module docstring for what each means)."""

    country: str
    fields: list[str] | None = None
    region_map: RegionMap | None = None
    year: int | None = None
    rel_uncertainty: float = 0.0
    sheet: str | None = None
    source: str | None = None

    @classmethod
    def of(cls, country: str, given: LoaderOptions) -> Options:
        """Options from a loader's keywords; ``country`` is the publisher's unless one is given."""
        unknown = set(given) - set(LoaderOptions.__annotations__)
        if unknown:
            raise TypeError(f"unknown loader option(s): {', '.join(sorted(unknown))}")
        return cls(
            country=given.get("country") or country,
            fields=given.get("field_contains"),
            region_map=given.get("region_map"),
            year=given.get("year"),
            rel_uncertainty=given.get("rel_uncertainty", 0.0),
            sheet=given.get("sheet"),
            source=given.get("source"),
        )

    def refuse(self, where: str, **unsupported: str) -> None:
        """Raise if an option is set that this file cannot honour; values say why."""
        given = {"fields": self.fields, "region_map": self.region_map, "year": self.year, "sheet": self.sheet}
        flags = {"fields": "--field", "region_map": "--region-map", "year": "--year", "sheet": "--sheet"}
        for name, why in unsupported.items():
            if given[name]:
                raise LoaderError(f"{where}: {flags[name]} cannot be honoured: {why}")


def read_region_map(path: str | Path | None) -> RegionMap | None:
    """A YAML mapping {data region label: scenario region name}; labels are matched loosely."""
    if path is None:
        return None
    p = Path(path)
    if not p.is_file():
        raise LoaderError(f"{p}: no such region map")
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise LoaderError(f"{p}: not valid YAML ({exc})".replace("\n", " ")) from None
    if not isinstance(data, dict):
        raise LoaderError(f"{p}: expected a mapping of data region label: scenario region")
    return {norm(k): str(v) for k, v in data.items()}


def choose_years(found: set[int], year: int | None, where: str) -> set[int]:
    """The years to load: ``year`` among those the file states, or the file's own years."""
    if year is None:
        return found
    if year not in found:
        shown = ", ".join(map(str, sorted(found)))
        raise LoaderError(f"{where}: --year {year}: the file has figures for {shown} only")
    return {year}
