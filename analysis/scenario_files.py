"""Write a policy found by a tool (a point of a search's front) as a scenario file a workshop can compare.

Why a scenario file rather than a table row: ``mcsim compare``, the report and the dashboard take
scenarios, and a file that ``extends:`` the scenario it came from, with each changed value wrapped
as ``{value: ..., source: ...}``, says in the file itself what was chosen and by what. Dotted keys
with list indices become keyed list items (``funding.instruments[0].budget_eur_per_year`` is the
instrument with that ``id``), which the loader merges by key; a list without ``id`` or ``name``
is written whole. The file is read back and must give the same parameters as the base scenario
with the overrides, or it is not written.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from model.params import load_scenario
from model.params.keys import split_key

__all__ = ["ScenarioFileError", "write_policy_scenario"]

#: Keys that name a list item, in the order the scenario loader merges lists by them.
_ITEM_KEYS = ("id", "name")


class ScenarioFileError(RuntimeError):
    """A policy could not be written as a scenario that reads back the same (a defect, not a user error)."""


def _item_key(item: Any) -> str | None:
    if isinstance(item, dict):
        return next((k for k in _ITEM_KEYS if k in item), None)
    return None


def _place(tree: dict, config: dict, parts: list[str | int], source: str) -> None:
    """Put the value at ``parts`` of the resolved ``config`` into ``tree``, wrapped with ``source``."""
    node, cfg = tree, config
    i = 0
    while i < len(parts) - 1:
        part, nxt = parts[i], parts[i + 1]
        if isinstance(nxt, int):
            items = cfg[part]
            ident = _item_key(items[nxt]) if i + 2 < len(parts) else None
            if ident is None:  # a plain list, or items without a key: the whole list
                node[part] = {"value": copy.deepcopy(items), "source": source}
                return
            listed = node.setdefault(part, [])
            if not isinstance(listed, list):
                return  # the whole list is written already, with this value in it
            wanted = items[nxt][ident]
            entry = next((e for e in listed if e.get(ident) == wanted), None)
            if entry is None:
                entry = {ident: wanted}
                listed.append(entry)
            node, cfg = entry, items[nxt]
            i += 2
        else:
            existing = node.get(part)
            if isinstance(existing, dict) and "value" in existing and "source" in existing:
                return  # a whole list or table above already carries this value
            node, cfg = node.setdefault(part, {}), cfg[part]
            i += 1
    node[parts[-1]] = {"value": copy.deepcopy(cfg[parts[-1]]), "source": source}


def _comparable(dump: dict) -> dict:
    return {k: v for k, v in dump.items() if k not in ("name", "description", "preset")}


def write_policy_scenario(
    path: Path,
    base: Path,
    overrides: Mapping[str, str],
    *,
    name: str,
    description: str,
    header: str = "",
) -> Path:
    """Write ``path``: a scenario that extends ``base`` and sets each dotted key of ``overrides``.

    Args:
        path: The scenario file to write.
        base: The scenario it extends (written as a path relative to ``path``).
        overrides: ``--set`` text of each value, by dotted key, with the provenance to record:
            ``{"--set text": "source text"}``.
        name: The scenario's name (a comparison's label).
        description: Its description.
        header: Comment lines for the top of the file.

    Raises:
        ScenarioFileError: The file does not read back as the base with the overrides.
    """
    texts = list(overrides)
    resolved = load_scenario(base, texts)
    config = resolved.config.model_dump(mode="json")
    tree: dict[str, Any] = {}
    for text, source in overrides.items():
        key = text.partition("=")[0].strip()
        _place(tree, config, split_key(key), source)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    body = {"extends": os.path.relpath(Path(base).resolve(), path.parent.resolve()), "name": name}
    body["description"] = description
    text = yaml.safe_dump({**body, **tree}, sort_keys=False, allow_unicode=True, width=110)
    comment = "".join(f"# {line}\n" if line else "#\n" for line in header.splitlines())
    path.write_text(comment + text, encoding="utf-8")
    back = load_scenario(path).config.model_dump(mode="json")
    if _comparable(back) != _comparable(config):
        path.unlink()
        raise ScenarioFileError(f"{path}: does not read back as {base} with {texts}; not written")
    return path
