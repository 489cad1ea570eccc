"""Which parameters a calibration or sensitivity study varies, within which bounds.

Why a module of its own: ``mcsim calibrate`` and ``mcsim sensitivity`` take the same parameter
specification, from a file or from ``--param`` flags, and both must refuse a parameter that does
not exist (with the closest real names) before anything runs. A parameter is a dotted key of the
scenario (``worker.enrol_rate_per_year``, ``providers[0].seats``); its bounds default to the
plausible range its ``assumption`` carries in the preset (DESIGN §5).

A parameter file is YAML::

    worker.enrol_rate_per_year: [0.05, 1.0]       # bounds
    diffusion.worker_q: {}                         # bounds from the preset's range
    worker.cost_weight_per_100_eur: {bounds: [0.1, 2.0], scale: log}

or CSV with columns ``parameter, low, high[, scale]``.
"""

from __future__ import annotations

import csv
import difflib
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import ValidationError

from analysis.calibration.errors import StudyError
from model.params import LoadedScenario, Provenance, Scenario
from model.params.keys import split_key

__all__ = [
    "ParameterError",
    "FitParameter",
    "resolve_parameters",
    "read_param_file",
    "parse_param_flags",
    "assumption_specs",
    "apply_values",
]

#: Keys that size the simulation rather than describe behaviour: never varied by default.
_SIMULATION_KEYS = ("population.workers", "horizon_weeks")


class ParameterError(StudyError):
    """A parameter specification that names no parameter, or has bad bounds."""


@dataclass(frozen=True)
class FitParameter:
    """One varied parameter: its dotted key, bounds, current value and provenance."""

    key: str
    lo: float
    hi: float
    value: float
    provenance: Provenance
    integer: bool = False
    scale: Literal["linear", "log"] = "linear"

    def from_unit(self, u: float) -> float:
        """Map a point of [0, 1] to the parameter's bounds (log-uniform for ``scale: log``)."""
        u = min(1.0, max(0.0, float(u)))
        if self.scale == "log":
            x = math.exp(math.log(self.lo) + u * (math.log(self.hi) - math.log(self.lo)))
        else:
            x = self.lo + u * (self.hi - self.lo)
        return float(round(x)) if self.integer else x

    def to_unit(self, x: float) -> float:
        """Inverse of ``from_unit``."""
        if self.hi == self.lo:
            return 0.5
        if self.scale == "log":
            return (math.log(x) - math.log(self.lo)) / (math.log(self.hi) - math.log(self.lo))
        return (x - self.lo) / (self.hi - self.lo)

    @property
    def pinned_by_data(self) -> bool:
        """True if the current value has a source (report, public figure, calibration), not an assumption."""
        return self.provenance.kind in ("report", "public", "source", "calibrated")


def _numeric(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _spec_bounds(key: str, spec: Any) -> tuple[tuple[float, float] | None, str]:
    scale = "linear"
    bounds = None
    if spec is None or spec == {}:
        return None, scale
    if isinstance(spec, list | tuple):
        bounds = spec
    elif isinstance(spec, dict):
        extra = set(spec) - {"bounds", "scale", "low", "high"}
        if extra:
            raise ParameterError(
                f"{key}: unknown setting(s) {sorted(extra)} (use bounds: [lo, hi], scale: log)"
            )
        bounds = spec.get("bounds")
        if bounds is None and ("low" in spec or "high" in spec):
            bounds = [spec.get("low"), spec.get("high")]
        scale = spec.get("scale", "linear")
        if scale not in ("linear", "log"):
            raise ParameterError(f"{key}: scale must be linear or log, not {scale!r}")
    else:
        raise ParameterError(f"{key}: expected [low, high] or {{bounds: [low, high]}}, got {spec!r}")
    if bounds is not None:
        try:
            lo, hi = (float(b) for b in bounds)
        except (TypeError, ValueError):
            raise ParameterError(f"{key}: bounds must be two numbers [low, high], got {bounds!r}") from None
        return (lo, hi), scale
    return None, scale


def resolve_parameters(loaded: LoadedScenario, specs: dict[str, Any]) -> list[FitParameter]:
    """Check each specified key exists and is numeric; fill bounds from the preset's ranges.

    Raises ParameterError listing every problem, with the closest real keys for misspellings.
    """
    known = {k: (v, p) for k, v, p in loaded.parameters()}
    problems: list[str] = []
    out: list[FitParameter] = []
    for key, spec in specs.items():
        if key not in known:
            close = difflib.get_close_matches(key, list(known), n=3, cutoff=0.6)
            hint = (
                f"; did you mean {', '.join(close)}?"
                if close
                else " (`mcsim explain SCENARIO` lists every key)"
            )
            problems.append(f"{key}: no such parameter in {loaded.path}{hint}")
            continue
        value, prov = known[key]
        if not _numeric(value):
            problems.append(f"{key}: is {value!r}, not a number; only numeric parameters can be varied")
            continue
        try:
            bounds, scale = _spec_bounds(key, spec)
        except ParameterError as exc:
            problems.append(str(exc))
            continue
        if bounds is None:
            if prov.range is None:
                problems.append(
                    f"{key}: no bounds given and its provenance ({prov.kind}) carries no range; "
                    "give bounds, e.g. --param KEY=LOW:HIGH"
                )
                continue
            bounds = prov.range
        lo, hi = bounds
        if not lo < hi:
            problems.append(f"{key}: low bound {lo:g} must be below the high bound {hi:g}")
            continue
        if scale == "log" and lo <= 0:
            problems.append(f"{key}: a log scale needs a positive low bound, got {lo:g}")
            continue
        out.append(FitParameter(key, lo, hi, float(value), prov, isinstance(value, int), scale))
    if problems:
        raise ParameterError("parameters: " + "\n  ".join(problems))
    if not out:
        raise ParameterError("parameters: none given (use --params FILE or --param KEY[=LOW:HIGH])")
    for p in out:  # the bounds themselves must be valid scenario values
        for bound in (p.lo, p.hi):
            try:
                apply_values(loaded.config, {p.key: bound})
            except ParameterError as exc:
                problems.append(f"{p.key}: bound {bound:g} is not a valid value ({exc})")
    if problems:
        raise ParameterError("parameters: " + "\n  ".join(problems))
    return out


def read_param_file(path: str | Path) -> dict[str, Any]:
    """Read a parameter specification from YAML (mapping) or CSV (parameter, low, high[, scale])."""
    path = Path(path)
    if not path.is_file():
        raise ParameterError(f"{path}: no such parameter file")
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".csv":
        specs: dict[str, Any] = {}
        for row in csv.DictReader(text.splitlines()):
            row = {k.strip().lower(): (v or "").strip() for k, v in row.items() if k}
            key = row.get("parameter") or row.get("key")
            if not key:
                raise ParameterError(f"{path}: each row needs a 'parameter' column")
            spec: dict[str, Any] = {}
            if row.get("low") or row.get("high"):
                spec["bounds"] = [row.get("low"), row.get("high")]
            if row.get("scale"):
                spec["scale"] = row["scale"]
            specs[key] = spec
        return specs
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ParameterError(f"{path}: not valid YAML ({exc})") from None
    if not isinstance(data, dict):
        raise ParameterError(f"{path}: expected a mapping of parameter: [low, high]")
    return {str(k): v for k, v in data.items()}


def parse_param_flags(flags: list[str]) -> dict[str, Any]:
    """``--param KEY`` (bounds from the preset) or ``--param KEY=LOW:HIGH[:log]``."""
    specs: dict[str, Any] = {}
    for text in flags:
        key, sep, rest = text.partition("=")
        key = key.strip()
        if not sep:
            specs[key] = {}
            continue
        parts = rest.split(":")
        if len(parts) not in (2, 3):
            raise ParameterError(f"--param {text!r}: expected KEY or KEY=LOW:HIGH[:log]")
        spec: dict[str, Any] = {"bounds": parts[:2]}
        if len(parts) == 3:
            spec["scale"] = parts[2]
        specs[key] = spec
    return specs


def assumption_specs(loaded: LoadedScenario) -> dict[str, Any]:
    """Every numeric assumption with a range, except the simulation-size keys (for screening)."""
    return {
        k: {}
        for k, v, p in loaded.parameters()
        if p.kind == "assumption" and p.range is not None and _numeric(v) and k not in _SIMULATION_KEYS
    }


def apply_values(cfg: Scenario, values: dict[str, float]) -> Scenario:
    """A copy of ``cfg`` with dotted keys set, validated by the schema."""
    data = cfg.model_dump()
    for key, value in values.items():
        parts = split_key(key)
        node: Any = data
        for part in parts[:-1]:
            try:
                node = node[part]
            except (KeyError, IndexError, TypeError):
                raise ParameterError(f"{key}: not a key of the scenario") from None
        last = parts[-1]
        if (
            isinstance(node, dict)
            and last not in node
            or isinstance(node, list)
            and not (isinstance(last, int) and last < len(node))
        ):
            raise ParameterError(f"{key}: not a key of the scenario")
        old = node[last]
        node[last] = int(round(value)) if isinstance(old, int) and not isinstance(old, bool) else float(value)
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        msg = "; ".join(f"{'.'.join(str(x) for x in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise ParameterError(msg) from None
