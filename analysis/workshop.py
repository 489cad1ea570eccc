"""Workshop sets: a YAML file that lists the scenarios a workshop compares, baseline first.

Layout::

    workshop:
      title: "Finland: funding routes and moderation"
      scenarios: [baseline.yaml, ca_fund.yaml, ...]   # relative to this file
      decomposition:                                  # optional: what each lever of a package adds
        package: women_in_automotive.yaml
        variants: [women_inflow_only.yaml, women_outreach_only.yaml]

Relative to the file, so a bundled set (``mcsim compare fi/workshop``) lists bundled scenarios from
wherever mcsim is installed. A ``decomposition`` names a package and its single-lever variants,
all listed in ``scenarios`` after the baseline; the report then shows each lever's share of the
package's gain (``analysis.decomposition``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from model.bundled import resolve_scenario

__all__ = ["Decomposition", "Workshop", "WorkshopError", "expand_paths", "read_workshop"]


class WorkshopError(ValueError):
    """A malformed workshop file."""


@dataclass(frozen=True)
class Decomposition:
    """A package of levers and its single-lever variants, each compared with the set's baseline."""

    package: Path
    variants: tuple[Path, ...]


@dataclass(frozen=True)
class Workshop:
    """A workshop set: its title, its scenario files (baseline first) and any decomposition."""

    title: str
    paths: list[Path]
    decomposition: Decomposition | None = None


def _member(path: Path, key: str, item: object) -> Path:
    if not isinstance(item, str):
        raise WorkshopError(f"{path}: {key}: expected a file path, got {item!r}")
    target = path.parent / item
    if not target.is_file():
        raise WorkshopError(f"{path}: {key}: '{item}' does not exist")
    return target


def _decomposition(path: Path, spec: object, paths: list[Path]) -> Decomposition:
    key = "workshop.decomposition"
    if not isinstance(spec, dict) or set(spec) != {"package", "variants"}:
        raise WorkshopError(f"{path}: {key}: expected exactly the keys 'package' and 'variants'")
    variants = spec["variants"]
    if not isinstance(variants, list) or not variants:
        raise WorkshopError(f"{path}: {key}.variants: expected a non-empty list of scenario files")
    package = _member(path, f"{key}.package", spec["package"])
    levers = tuple(_member(path, f"{key}.variants[{i}]", v) for i, v in enumerate(variants))
    for where, member in ((f"{key}.package", package), *((f"{key}.variants", v) for v in levers)):
        if member not in paths[1:]:
            raise WorkshopError(
                f"{path}: {where}: '{member.name}' must be one of workshop.scenarios after the baseline"
            )
    if package in levers or len(set(levers)) < len(levers):
        raise WorkshopError(f"{path}: {key}: the package and each variant must be different scenarios")
    return Decomposition(package, levers)


def read_workshop(path: Path) -> Workshop | None:
    """Return the workshop set if ``path`` is a workshop file, else None."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return None  # the scenario loader reports these with the file and line
    if not isinstance(data, dict) or "workshop" not in data:
        return None
    ws = data["workshop"]
    if not isinstance(ws, dict) or not isinstance(ws.get("scenarios"), list) or not ws["scenarios"]:
        raise WorkshopError(f"{path}: workshop.scenarios: expected a non-empty list of scenario files")
    extra = set(ws) - {"title", "scenarios", "description", "decomposition"}
    if extra:
        raise WorkshopError(f"{path}: workshop: unknown key(s) {sorted(extra)}")
    paths = [_member(path, f"workshop.scenarios[{i}]", item) for i, item in enumerate(ws["scenarios"])]
    spec = ws.get("decomposition")
    decomposition = _decomposition(path, spec, paths) if spec is not None else None
    return Workshop(str(ws.get("title", path.stem)), paths, decomposition)


def expand_paths(paths: list[str | Path]) -> list[Path]:
    """Resolve scenario arguments (files or bundled names) and replace workshop sets by what they list.

    Raises:
        ScenarioError: An argument is neither a file nor a bundled name.
    """
    out: list[Path] = []
    for p in paths:
        path = resolve_scenario(p)
        ws = read_workshop(path)
        out.extend(ws.paths if ws else [path])
    return out
