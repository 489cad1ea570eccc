"""A small, safe expression language for eligibility rules, evaluated over arrays.

Funders write conditions such as
``firm.size <= 49 and module.moderated and (worker.gender == "f" or worker.jobseeker)``.
Why not ``eval``: a scenario file is data. The text is parsed with :mod:`ast` and only boolean
logic, comparisons, ``in`` lists, constants and the attributes in ``ATTRIBUTES`` are allowed; the
result is a function of an evaluation context that returns one boolean per candidate, so both
engines evaluate it vectorised. Errors name the offending attribute or construct.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

__all__ = ["ATTRIBUTES", "EligibilityError", "Rule", "parse"]


class EligibilityError(ValueError):
    """A bad eligibility expression."""


#: attribute -> kind ("bool", "number", or "text" with its allowed values when known)
ATTRIBUTES: dict[str, tuple[str, tuple[str, ...] | None]] = {
    "worker.woman": ("bool", None),
    "worker.gender": ("text", ("f", "m")),
    "worker.jobseeker": ("bool", None),
    "worker.employed": ("bool", None),
    "worker.age_band": ("text", ("16-29", "30-49", "50+")),
    "worker.region": ("text", None),
    "worker.rural": ("bool", None),
    "worker.caring": ("bool", None),
    "worker.hv_experience": ("bool", None),
    "firm.size": ("number", None),
    "firm.size_band": ("text", ("1-5", "6-9", "10-49", "50-249", "250+", "none")),
    "firm.ca_covered": ("bool", None),
    "firm.accepts": ("bool", None),
    "firm.region": ("text", None),
    "provider.type": ("text", ("public_vet", "private", "oem", "sector_body", "hei")),
    "provider.moderated": ("bool", None),
    "provider.edc": ("bool", None),
    "provider.esco": ("bool", None),
    "provider.certified": ("bool", None),
    "provider.delivery": ("text", ("classroom", "online", "hybrid", "in_situ")),
    "provider.region": ("text", None),
    "module.id": ("text", None),
    "module.mc": ("bool", None),  # a micro-credential module (False: one of the firms' usual courses)
    "module.hours": ("number", None),
    "module.fee": ("number", None),
    "module.moderated": ("bool", None),
    "module.edc": ("bool", None),
    "module.esco": ("bool", None),
}

Context = Mapping[str, np.ndarray]
_Fn = Callable[[Context], np.ndarray]


@dataclass(frozen=True)
class Rule:
    """A parsed rule: its source text, the attributes it reads, and its evaluator."""

    text: str
    attributes: frozenset[str]
    fn: _Fn

    def __call__(self, ctx: Context) -> np.ndarray:
        """Evaluate to one boolean per candidate."""
        out = self.fn(ctx)
        return np.asarray(out, dtype=bool)


def _name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        return f"{node.value.id}.{node.attr}"
    return None


_CMP: dict[type, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    ast.Eq: np.equal,
    ast.NotEq: np.not_equal,
    ast.Lt: np.less,
    ast.LtE: np.less_equal,
    ast.Gt: np.greater,
    ast.GtE: np.greater_equal,
}


class _Compiler:
    def __init__(self, text: str) -> None:
        self.text = text
        self.used: set[str] = set()

    def fail(self, what: str) -> EligibilityError:
        return EligibilityError(f"in rule {self.text!r}: {what}")

    def attribute(self, node: ast.AST) -> tuple[_Fn, str, str]:
        name = _name(node)
        if name is None:
            raise self.fail(f"'{ast.unparse(node)}' is not an attribute such as firm.size")
        if name not in ATTRIBUTES:
            known = ", ".join(sorted(ATTRIBUTES))
            raise self.fail(f"unknown attribute '{name}'; known attributes: {known}")
        self.used.add(name)
        return (lambda ctx, n=name: ctx[n]), name, ATTRIBUTES[name][0]

    def constant(self, node: ast.AST, attr: str) -> object:
        if isinstance(node, ast.Constant) and isinstance(node.value, str | int | float | bool):
            value = node.value
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            inner = node.operand
            if not (isinstance(inner, ast.Constant) and isinstance(inner.value, int | float)):
                raise self.fail(f"'{ast.unparse(node)}' is not a constant")
            value = -inner.value
        else:
            raise self.fail(f"'{ast.unparse(node)}' must be a constant (number, text or True/False)")
        kind, allowed = ATTRIBUTES[attr]
        if kind == "text":
            if not isinstance(value, str):
                raise self.fail(f"{attr} is text; compare it with a quoted value, not {value!r}")
            if allowed is not None and value not in allowed:
                raise self.fail(f"{attr} is never {value!r}; its values are {list(allowed)}")
        elif kind == "number" and (isinstance(value, str | bool)):
            raise self.fail(f"{attr} is a number; {value!r} is not")
        elif kind == "bool" and not isinstance(value, bool):
            raise self.fail(f"{attr} is True/False; use it alone or with 'not'")
        return value

    def compile(self, node: ast.AST) -> _Fn:
        if isinstance(node, ast.BoolOp):
            parts = [self.compile(v) for v in node.values]
            combine = np.logical_and if isinstance(node.op, ast.And) else np.logical_or

            def boolop(ctx: Context) -> np.ndarray:
                out = np.asarray(parts[0](ctx), dtype=bool)
                for p in parts[1:]:
                    out = combine(out, p(ctx))
                return out

            return boolop
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            inner = self.compile(node.operand)
            return lambda ctx: np.logical_not(inner(ctx))
        if isinstance(node, ast.Compare):
            return self.compare(node)
        if isinstance(node, ast.Constant) and isinstance(node.value, bool):
            value = node.value
            return lambda ctx: np.full(len(ctx["_n"]), value, dtype=bool)
        if isinstance(node, ast.Attribute):
            fn, name, kind = self.attribute(node)
            if kind != "bool":
                raise self.fail(f"{name} is {kind}; compare it, e.g. {name} == ...")
            return fn
        raise self.fail(f"'{ast.unparse(node)}' is not allowed (use and/or/not, comparisons, in [...])")

    def compare(self, node: ast.Compare) -> _Fn:
        if len(node.ops) != 1:
            raise self.fail("chained comparisons are not allowed; join them with 'and'")
        op, right = node.ops[0], node.comparators[0]
        fn, name, kind = self.attribute(node.left)
        if isinstance(op, ast.In | ast.NotIn):
            if not isinstance(right, ast.List | ast.Tuple):
                raise self.fail(f'\'in\' needs a list, e.g. {name} in ["a", "b"]')
            values = [self.constant(e, name) for e in right.elts]
            negate = isinstance(op, ast.NotIn)

            def membership(ctx: Context) -> np.ndarray:
                out = np.isin(fn(ctx), np.asarray(values))
                return ~out if negate else out

            return membership
        cmp = _CMP.get(type(op))
        if cmp is None:
            raise self.fail(f"operator '{type(op).__name__}' is not allowed")
        value = self.constant(right, name)
        if kind == "text" and not isinstance(op, ast.Eq | ast.NotEq):
            raise self.fail(f"{name} is text; only == and != (or in [...]) apply")
        return lambda ctx: cmp(fn(ctx), value)


def parse(text: str) -> Rule:
    """Parse a rule; raise EligibilityError naming what is wrong."""
    source = text.strip()
    if not source:
        raise EligibilityError("the rule is empty; write True to make everyone eligible")
    try:
        tree = ast.parse(source, mode="eval")
    except RecursionError:
        raise EligibilityError(f"in rule {text[:60]!r}...: nested too deeply") from None
    except (SyntaxError, ValueError) as exc:
        raise EligibilityError(f"in rule {text!r}: syntax error at column {exc.offset}: {exc.msg}") from None
    comp = _Compiler(text)
    try:
        fn = comp.compile(tree.body)
    except RecursionError:
        raise EligibilityError(f"in rule {text[:60]!r}...: nested too deeply") from None
    return Rule(text=text, attributes=frozenset(comp.used), fn=fn)
