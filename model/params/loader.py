"""Read scenario YAML: ``extends:`` chains, deep merges, provenance, ``--set`` overrides, errors.

Why one loader: every user mistake in a scenario must produce one clear message that names the
file, the dotted key and what was expected, with no traceback. Provenance is read here too, so a
value and the reason for it travel together from the file to ``mcsim explain`` and the report.

A value may be written plainly (``fee_eur: 350``) or wrapped with where it comes from::

    fee_eur: {value: 350, source: "report L1282 (EUR 300-600)"}
    q: {value: 0.38, assumption: "Bass mean across 213 studies", range: [0.2, 0.6]}

A wrapper may also wrap a whole section or list; its leaves then inherit it. Lists whose items
all carry an ``id`` (or a ``name``) merge item by item; other lists are replaced whole.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from pydantic import ValidationError

from model.bundled import resolve_scenario
from model.instruments import KINDS
from model.params import tables
from model.params.keys import split_key
from model.params.provenance import Provenance, ProvenanceError, default_provenance, parse_wrapper
from model.params.schema import Scenario

__all__ = ["ScenarioError", "LoadedScenario", "load_scenario", "parse_override", "scenario_hash"]


class ScenarioError(ValueError):
    """A user mistake in a scenario file or override; the message says where and what."""


class _ReplaceList(list):
    """A list written inside a provenance wrapper: it replaces the inherited list whole."""


@dataclass(frozen=True, slots=True)
class _Leaf:
    value: Any
    provenance: Provenance
    file: str
    rel: str | None = None  # inside a ranged table: the path below the table's key


@dataclass(frozen=True)
class LoadedScenario:
    """A validated scenario with the provenance and the origin file of every value."""

    config: Scenario
    path: Path
    provenance: dict[str, Provenance] = field(default_factory=dict)
    origin: dict[str, str] = field(default_factory=dict)
    chain: tuple[str, ...] = ()

    @property
    def hash(self) -> str:
        """Content hash of the resolved parameters: the scenario's identity in manifests."""
        return scenario_hash(self.config)

    def parameters(self) -> list[tuple[str, Any, Provenance]]:
        """Every leaf parameter with its value and provenance, schema defaults included."""
        out = []
        for key, value in _leaves(self.config.model_dump(mode="json"), ""):
            if key == "preset":
                continue
            out.append((key, value, self.provenance.get(key) or default_provenance(key)))
        return out

    def tables(self) -> dict[str, tuple[Provenance, dict[str, Any]]]:
        """Ranged table assumptions: table key -> (provenance, every leaf of it still an assumption).

        A leaf that a later file (a policy scenario's lever) or ``--set`` replaced carries its own
        provenance and is not part of the table any more.
        """
        out: dict[str, tuple[Provenance, dict[str, Any]]] = {}
        for key, value, prov in self.parameters():
            if prov.kind == "assumption" and prov.table and prov.table_range:
                out.setdefault(prov.table, (prov, {}))[1][key] = value
        return out

    def assumption_count(self) -> int:
        """How many values are still assumptions, unsourced defaults included (DESIGN §5)."""
        return sum(1 for _, _, p in self.parameters() if p.kind in ("assumption", "default"))


def _leaves(node: Any, path: str):
    if isinstance(node, dict) and node:
        for k, v in node.items():
            yield from _leaves(v, f"{path}.{k}" if path else k)
    elif isinstance(node, list) and node and all(isinstance(x, dict) for x in node):
        for i, v in enumerate(node):
            yield from _leaves(v, f"{path}[{i}]")
    else:
        yield path, node


def scenario_hash(config: Scenario) -> str:
    """Return a short SHA-256 of the resolved parameters, independent of file layout."""
    blob = json.dumps(config.model_dump(mode="json"), sort_keys=True).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


def _read_yaml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise ScenarioError(f"{path}: no such scenario file")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise ScenarioError(f"{path}{where}: not valid YAML: {exc}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ScenarioError(f"{path}: expected a mapping of keys at the top, got {type(data).__name__}")
    return data


def _check_table(file: str, path: str, value: Any, prov: Provenance) -> None:
    """A table assumption holding numbers needs a range, and a range needs numbers to act on."""
    rule = tables.rule_for(path)
    if prov.table_range is None and tables.needs_range(path, value):
        what = "shares" if rule.mode == "exponent" else "numbers"
        raise ScenarioError(
            f"{file}: {path}: an assumption over a table of {what} needs a plausible range: add "
            f"range: [low, high] with 0 < low <= 1 <= high, read as a {rule.meaning()} "
            "(DESIGN §5: the ensemble samples it)"
        )
    if prov.table_range is not None and not tables.needs_range(path, value):
        raise ScenarioError(
            f"{file}: {path}: range: this table holds nothing a {rule.mode} would change "
            "(only names, flags, calendar weeks or structure); drop the range"
        )


def _wrap(node: Any, file: str, path: str, inherited: Provenance | None, root: str | None = None) -> Any:
    """Turn a raw YAML tree into one whose leaves carry provenance and origin file.

    ``root`` is the path of the ranged table the leaves belong to, if any.
    """
    try:
        wrapper = parse_wrapper(node)
    except ProvenanceError as exc:
        raise ScenarioError(f"{file}: {path or '(top)'}: {exc}") from None
    if wrapper is not None:
        value, prov = wrapper
        table_root = None
        if prov.kind == "assumption" and isinstance(value, dict | list) and value:
            _check_table(file, path or "(top)", value, prov)
            table_root = path if prov.table_range else None
        wrapped = _wrap(value, file, path, prov, table_root)
        return _ReplaceList(wrapped) if isinstance(wrapped, list) else wrapped
    if isinstance(node, dict):
        return {
            k: _wrap(v, file, f"{path}.{k}" if path else str(k), inherited, root) for k, v in node.items()
        }
    if isinstance(node, list) and node and all(isinstance(x, dict) for x in node):
        return [_wrap(v, file, f"{path}[{i}]", inherited, root) for i, v in enumerate(node)]
    prov = inherited or Provenance(kind="set", text=f"set in {file}")
    return _Leaf(node, prov, file, path[len(root) :] if root is not None else None)


def _item_key(item: Any) -> Any:
    if isinstance(item, dict):
        for k in ("id", "name"):
            leaf = item.get(k)
            if isinstance(leaf, _Leaf):
                return (k, leaf.value)
    return None


def _merge(base: Any, over: Any) -> Any:
    """Deep-merge ``over`` onto ``base``; keyed lists merge by item, leaves replace."""
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for k, v in over.items():
            out[k] = _merge(base[k], v) if k in base else v
        return out
    if isinstance(over, _ReplaceList):
        return list(over)
    if isinstance(base, list) and isinstance(over, list):
        base_keys = [_item_key(x) for x in base]
        over_keys = [_item_key(x) for x in over]
        if all(base_keys) and all(over_keys):
            out = list(base)
            for key, item in zip(over_keys, over, strict=True):
                if key in base_keys:
                    i = base_keys.index(key)
                    out[i] = _merge(base[i], item)
                else:
                    out.append(item)
            return out
    return over


def _resolve(path: Path, seen: tuple[Path, ...]) -> tuple[Any, tuple[str, ...]]:
    path = path.resolve()
    if path in seen:
        cycle = " -> ".join(str(p) for p in (*seen, path))
        raise ScenarioError(f"{path}: extends: cycle in the chain: {cycle}")
    raw = _read_yaml(path)
    parent_ref = raw.pop("extends", None)
    tree = _wrap(raw, str(path), "", None)
    if parent_ref is None:
        return tree, (str(path),)
    if not isinstance(parent_ref, str):
        raise ScenarioError(f"{path}: extends: expected a relative file path, got {parent_ref!r}")
    parent = path.parent / parent_ref
    if not parent.is_file():
        raise ScenarioError(f"{path}: extends: '{parent_ref}' does not exist (looked for {parent})")
    base, chain = _resolve(parent, (*seen, path))
    # A child never inherits 'preset': it describes the file, not the parameters.
    if isinstance(base, dict):
        base.pop("preset", None)
    return _merge(base, tree), (*chain, str(path))


def override_text(key: str, value: Any) -> str:
    """One ``--set`` override whose value ``parse_override`` reads back exactly (same type, every digit)."""
    return f"{key}={_flow(value)}"


def _quote(text: str) -> str:
    """A YAML double-quoted string: printable ASCII as is, everything else escaped by code point."""
    out = []
    for ch in text:
        code = ord(ch)
        if 0x20 <= code < 0x7F and ch not in '"\\':
            out.append(ch)
        else:
            out.append(f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
    return '"' + "".join(out) + '"'


def _flow(value: Any) -> str:
    """A value in YAML flow style that reads back as itself.

    Strings are double-quoted ("no" stays a string, not YAML's false); floats keep every digit and get
    the ``.0`` YAML 1.1 needs before an exponent (``1e-05`` would be read as text).
    """
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, str):
        return _quote(value)
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return ".nan"
        if math.isinf(value):
            return ".inf" if value > 0 else "-.inf"
        text = repr(value)
        mantissa, e, exponent = text.partition("e")
        return f"{mantissa}.0e{exponent}" if e and "." not in mantissa else text
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_quote(str(k))}: {_flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} as a --set value")


def parse_override(text: str) -> tuple[str, Any]:
    """Parse one ``--set dotted.key=value``; the value is read as YAML (numbers, bools, lists)."""
    if "=" not in text:
        raise ScenarioError(f"--set {text!r}: expected dotted.key=value, e.g. fees.multiplier=1.5")
    key, _, raw = text.partition("=")
    key = key.strip()
    if not key:
        raise ScenarioError(f"--set {text!r}: the key before '=' is empty")
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError:
        value = raw
    return key, value


def _apply_override(tree: dict[str, Any], key: str, value: Any) -> None:
    parts = split_key(key)
    node: Any = tree
    for i, part in enumerate(parts[:-1]):
        nxt = (
            node[part]
            if isinstance(part, int) and isinstance(node, list) and part < len(node)
            else (node.get(part) if isinstance(node, dict) else None)
        )
        if nxt is None:
            if isinstance(node, dict) and isinstance(part, str):
                nxt = node[part] = {}
            else:
                where = ".".join(str(p) for p in parts[: i + 1])
                raise ScenarioError(f"--set {key}: '{where}' does not exist in the scenario")
        node = nxt
    last = parts[-1]
    if isinstance(node, list):
        if not isinstance(last, int) or last >= len(node):
            raise ScenarioError(f"--set {key}: index {last} is outside the list")
    elif not isinstance(node, dict):
        raise ScenarioError(f"--set {key}: cannot set a key inside a plain value")
    node[last] = _wrap(value, "<command line --set>", key, Provenance(kind="override", text="--set"))


def _unwrap(node: Any, path: str, prov: dict[str, Provenance], origin: dict[str, str]) -> Any:
    if isinstance(node, _Leaf):
        p = node.provenance
        if node.rel is not None:  # the table's key in the merged scenario (list indices may differ)
            p = dataclasses.replace(p, table=path[: len(path) - len(node.rel)])
        prov[path] = p
        origin[path] = node.file
        return node.value
    if isinstance(node, dict):
        return {k: _unwrap(v, f"{path}.{k}" if path else k, prov, origin) for k, v in node.items()}
    if isinstance(node, list):
        return [_unwrap(v, f"{path}[{i}]", prov, origin) for i, v in enumerate(node)]
    return node


def _dotted(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _origin_of(dotted: str, origin: dict[str, str], chain: tuple[str, ...], default: str) -> str:
    """The file that last set ``dotted`` or anything under it (latest in the extends chain)."""
    rank = {f: i for i, f in enumerate(chain)}
    rank["<command line --set>"] = len(chain)
    hits = [
        file
        for key, file in origin.items()
        if key == dotted
        or key.startswith(dotted + ".")
        or key.startswith(dotted + "[")
        or dotted.startswith(key + ".")
        or dotted.startswith(key + "[")
    ]
    return max(hits, key=lambda f: rank.get(f, -1)) if hits else default


def _without_kind_tag(loc: tuple[Any, ...]) -> tuple[tuple[Any, ...], str | None]:
    """Drop the instrument kind pydantic puts in the location of a discriminated union's error."""
    for i in range(2, len(loc)):
        if loc[i - 2] == "instruments" and isinstance(loc[i - 1], int) and loc[i] in KINDS:
            return loc[:i] + loc[i + 1 :], loc[i]
    return loc, None


_KEY_PREFIX = re.compile(r"^([A-Za-z_][\w+-]*(?:\[\d+\])?(?:\.[\w+-]+|\[\d+\])*): (.*)$", re.S)


def _format_errors(exc: ValidationError, origin: dict[str, str], chain: tuple[str, ...], default: str) -> str:
    lines = []
    for err in exc.errors():
        loc, kind = _without_kind_tag(tuple(p for p in err["loc"] if p not in ("function-after",)))
        dotted = _dotted(loc) or "(top)"
        msg = err["msg"].removeprefix("Value error, ")
        sub = _KEY_PREFIX.match(msg)
        if sub and err["type"] == "value_error":
            dotted = f"{dotted}.{sub.group(1)}" if dotted != "(top)" else sub.group(1)
            msg = sub.group(2)
        file = _origin_of(dotted, origin, chain, default)
        if err["type"] == "extra_forbidden" and kind:
            keys = ", ".join(sorted(KINDS[kind].schema.model_fields))
            msg = f"unknown key for a {kind} instrument (its keys: {keys})"
        elif err["type"] == "extra_forbidden":
            msg = "unknown key (check the spelling; `mcsim explain` lists every key)"
        elif err["type"] == "missing":
            msg = "required key is missing"
        got = err.get("input")
        shown = "" if err["type"] in ("missing",) or isinstance(got, dict | list) else f" (got {got!r})"
        lines.append(f"{file}: {dotted}: {msg}{shown}")
    return "\n".join(lines)


def load_scenario(path: str | Path, overrides: list[str] | None = None) -> LoadedScenario:
    """Load, merge and validate a scenario; raise ScenarioError with a user-facing message.

    ``path`` is a scenario file or the name of a bundled scenario (``fi/baseline``).
    """
    path = resolve_scenario(path)
    tree, chain = _resolve(path, ())
    if not isinstance(tree, dict):
        raise ScenarioError(f"{path}: expected a mapping of keys at the top")
    tree = copy.deepcopy(tree)
    for text in overrides or []:
        key, value = parse_override(text)
        _apply_override(tree, key, value)
    prov: dict[str, Provenance] = {}
    origin: dict[str, str] = {}
    plain = _unwrap(tree, "", prov, origin)
    try:
        config = Scenario.model_validate(plain)
    except ValidationError as exc:
        raise ScenarioError(_format_errors(exc, origin, chain, str(path.resolve()))) from None
    if config.preset:
        bare = sorted(
            k
            for k, p in prov.items()
            if p.kind == "set" and k.rsplit(".", 1)[-1] not in ("name", "description", "preset", "country")
        )
        if bare:
            first = bare[0]
            raise ScenarioError(
                f"{origin[first]}: {first}: a preset needs provenance on every value "
                "(wrap it as {value: ..., source: ...} or "
                "{value: ..., assumption: ..., range: [lo, hi]}); "
                f"{len(bare)} value(s) lack it"
            )
    return LoadedScenario(config=config, path=path, provenance=prov, origin=origin, chain=chain)
