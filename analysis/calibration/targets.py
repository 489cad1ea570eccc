"""Calibration targets: one tidy table, read, checked against a scenario, written.

Why one format: the loaders (Vipunen, SEPE, MEFP) and a researcher typing figures by hand all
produce the same columns, ``indicator, country, year, group, value, uncertainty, source``, so the
calibration never depends on where a number came from and every number says where it came from.
``uncertainty`` is one standard deviation of the observed value, in its units (the loaders derive it
from the publishers' rounding); ``year`` is a calendar year, or empty for the whole simulated run.
Every problem in a file is reported at once, with its line number.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.calibration.errors import StudyError
from analysis.calibration.indicators import (
    NOT_PRODUCED,
    IndicatorError,
    check_target,
    format_group,
    parse_group,
)
from model.compiled import Compiled

__all__ = [
    "COLUMNS",
    "TargetsError",
    "Target",
    "read_targets",
    "write_targets",
    "validate_targets",
    "tidy",
]

COLUMNS = ("indicator", "country", "year", "group", "value", "uncertainty", "source")
_COUNTRIES = ("FI", "ES", "PT", "EU")
_MAX_SHOWN = 25


class TargetsError(StudyError):
    """A targets file the calibration cannot use; the message lists every problem."""


@dataclass(frozen=True)
class Target:
    """One checked target: what to measure and what was observed."""

    indicator: str
    year: int | None
    group: dict[str, tuple[str, ...]]
    value: float
    uncertainty: float
    source: str

    @property
    def key(self) -> tuple[str, int | None, dict[str, tuple[str, ...]]]:
        """(indicator, year, group) as ``indicators.measure`` takes it."""
        return self.indicator, self.year, self.group

    @property
    def label(self) -> str:
        """Short label for tables and charts."""
        year = "" if self.year is None else f" {self.year}"
        group = format_group(self.group)
        return f"{self.indicator}{year}" + ("" if group == "all" else f" [{group}]")


def _raise(path: str, problems: list[str]) -> None:
    shown = problems[:_MAX_SHOWN]
    more = f"\n  ... and {len(problems) - _MAX_SHOWN} more" if len(problems) > _MAX_SHOWN else ""
    raise TargetsError(f"{path}: {len(problems)} problem(s)\n  " + "\n  ".join(shown) + more)


def tidy(frame: pd.DataFrame, where: str = "targets") -> pd.DataFrame:
    """Normalise a targets table (types, canonical groups); raise TargetsError listing every problem."""
    cols = {c: str(c).strip().lower() for c in frame.columns}
    frame = frame.rename(columns=cols)
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise TargetsError(
            f"{where}: missing column(s) {', '.join(missing)}; a targets table has the columns "
            f"{', '.join(COLUMNS)}"
        )
    problems: list[str] = []
    rows = []
    for i, r in enumerate(frame[list(COLUMNS)].itertuples(index=False)):
        line = f"line {i + 2}"
        indicator = str(r.indicator).strip() if pd.notna(r.indicator) else ""
        if not indicator:
            problems.append(f"{line}: indicator is empty")
        country = str(r.country).strip().upper() if pd.notna(r.country) else ""
        if country not in _COUNTRIES:
            problems.append(f"{line}: country {r.country!r} is not one of {', '.join(_COUNTRIES)}")
        year: int | None = None
        if pd.notna(r.year) and str(r.year).strip() != "":
            try:
                year = int(float(r.year))
            except ValueError:
                problems.append(
                    f"{line}: year {r.year!r} is not a calendar year (leave it empty for the whole run)"
                )
        try:
            value = float(r.value)
        except (TypeError, ValueError):
            value = np.nan
        if not np.isfinite(value):
            problems.append(f"{line}: value {r.value!r} is not a number")
        try:
            unc = float(r.uncertainty)
        except (TypeError, ValueError):
            unc = np.nan
        if not (np.isfinite(unc) and unc > 0):
            problems.append(
                f"{line}: uncertainty {r.uncertainty} must be a positive number "
                "(one standard deviation of the value, in its units)"
            )
        try:
            group = format_group(parse_group("" if pd.isna(r.group) else str(r.group)))
        except IndicatorError as exc:
            problems.append(f"{line}: {exc}")
            group = str(r.group)
        source = "" if pd.isna(r.source) else str(r.source).strip()
        if not source:
            problems.append(f"{line}: source is empty (say where the figure comes from)")
        rows.append((indicator, country, year, group, value, unc, source))
    if problems:
        _raise(where, problems)
    out = pd.DataFrame(rows, columns=list(COLUMNS))
    out["year"] = out["year"].astype("Int64")
    dup = out.duplicated(["indicator", "country", "year", "group"], keep=False)
    if dup.any():
        lines = ", ".join(str(i + 2) for i in np.flatnonzero(dup)[:10])
        raise TargetsError(
            f"{where}: the same indicator, country, year and group appear twice (lines {lines})"
        )
    return out


def read_targets(path: str | Path) -> pd.DataFrame:
    """Read a tidy targets table from CSV or XLSX."""
    path = Path(path)
    if not path.is_file():
        raise TargetsError(f"{path}: no such targets file")
    try:
        if path.suffix.lower() in (".xlsx", ".xlsm"):
            frame = pd.read_excel(path, dtype=str)
        else:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    except (ValueError, OSError) as exc:
        raise TargetsError(f"{path}: cannot read it as a table ({exc})") from None
    return tidy(frame, str(path))


def write_targets(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write a targets table as CSV (the format ``read_targets`` reads)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tidy(frame, str(path)).to_csv(path, index=False)
    return path


def validate_targets(
    frame: pd.DataFrame,
    compiled: Compiled,
    steps: int | None = None,
    *,
    ignore_unproduced: bool = False,
    where: str = "targets",
) -> tuple[list[Target], list[str]]:
    """Check every row against the scenario; return the targets and notes on rows left out.

    Raises TargetsError listing every row that names an unknown indicator, a group or year the
    model does not produce, or another country. Rows naming statistics the model has no mechanism
    for are an error too, unless ``ignore_unproduced`` (then they are left out with a note).
    """
    frame = tidy(frame, where)
    steps = compiled.cfg.horizon_weeks if steps is None else steps
    country = compiled.cfg.country
    problems: list[str] = []
    notes: list[str] = []
    targets: list[Target] = []
    for i, r in enumerate(frame.itertuples(index=False)):
        line = f"line {i + 2} ({r.indicator}, {r.year if pd.notna(r.year) else 'whole run'}, {r.group})"
        if r.country != country:
            problems.append(f"{line}: country {r.country} but the scenario is {country}")
            continue
        if ignore_unproduced and r.indicator in NOT_PRODUCED:
            notes.append(f"{line}: left out; the model does not produce {NOT_PRODUCED[r.indicator]}")
            continue
        year = None if pd.isna(r.year) else int(r.year)
        try:
            group = check_target(r.indicator, year, r.group, compiled, steps)
        except IndicatorError as exc:
            problems.append(f"{line}: {exc}")
            continue
        targets.append(Target(r.indicator, year, group, float(r.value), float(r.uncertainty), r.source))
    if problems:
        _raise(where, problems)
    if not targets:
        raise TargetsError(f"{where}: no usable targets")
    return targets, notes
