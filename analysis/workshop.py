"""Workshop sets: a YAML file that lists the scenarios a workshop compares, baseline first.

Layout::

    workshop:
      title: "Finland: funding routes and moderation"
      scenarios: [baseline.yaml, ca_fund.yaml, ...]   # relative to this file

Relative to the file, so a bundled set (``mcsim compare fi/workshop``) lists bundled scenarios from
wherever mcsim is installed.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from model.bundled import resolve_scenario

__all__ = ["WorkshopError", "expand_paths", "read_workshop"]


class WorkshopError(ValueError):
    """A malformed workshop file."""


def read_workshop(path: Path) -> tuple[str, list[Path]] | None:
    """Return (title, scenario paths) if ``path`` is a workshop file, else None."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return None  # the scenario loader reports these with the file and line
    if not isinstance(data, dict) or "workshop" not in data:
        return None
    ws = data["workshop"]
    if not isinstance(ws, dict) or not isinstance(ws.get("scenarios"), list) or not ws["scenarios"]:
        raise WorkshopError(f"{path}: workshop.scenarios: expected a non-empty list of scenario files")
    extra = set(ws) - {"title", "scenarios", "description"}
    if extra:
        raise WorkshopError(f"{path}: workshop: unknown key(s) {sorted(extra)}")
    paths = []
    for i, item in enumerate(ws["scenarios"]):
        if not isinstance(item, str):
            raise WorkshopError(f"{path}: workshop.scenarios[{i}]: expected a file path, got {item!r}")
        target = path.parent / item
        if not target.is_file():
            raise WorkshopError(f"{path}: workshop.scenarios[{i}]: '{item}' does not exist")
        paths.append(target)
    return str(ws.get("title", path.stem)), paths


def expand_paths(paths: list[str | Path]) -> list[Path]:
    """Resolve scenario arguments (files or bundled names) and replace workshop sets by what they list.

    Raises:
        ScenarioError: An argument is neither a file nor a bundled name.
    """
    out: list[Path] = []
    for p in paths:
        path = resolve_scenario(p)
        ws = read_workshop(path)
        out.extend(ws[1] if ws else [path])
    return out
