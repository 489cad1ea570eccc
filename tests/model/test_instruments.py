"""Instrument kinds: one module per kind, found by the registry; nothing else dispatches on a kind's name."""

from __future__ import annotations

import ast
from typing import get_args

import numpy as np

from model.instruments import KINDS, Instrument
from model.rules.credit import annual_credit, carried_pool
from tests.conftest import REPO


def test_every_kind_module_declares_its_schema_and_owner() -> None:
    assert set(KINDS) == {"budget", "collective_fund", "competitive_grant", "training_credit", "voucher"}
    members = get_args(get_args(Instrument)[0])
    assert {m.model_fields["kind"].annotation.__args__[0] for m in members} == set(KINDS)
    for name, kind in KINDS.items():
        assert kind.name == name
        assert kind.owner in ("global", "firm", "provider", "worker")


def test_no_dispatch_on_a_kinds_name_outside_its_module() -> None:
    """A kind's name appears as a string only in its own module (and in prose), never in an if-chain."""
    offenders = []
    for path in (REPO / "model").rglob("*.py"):
        if path.parent.name == "instruments":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Compare):
                for side in (node.left, *node.comparators):
                    if isinstance(side, ast.Constant) and side.value in KINDS:
                        offenders.append(f"{path.relative_to(REPO)}:{node.lineno}")
    assert offenders == []


def test_fundae_credit_formula() -> None:
    payroll = np.array([60_000.0, 300_000.0, 1_000_000.0])
    band = np.array([0, 1, 2])
    bonus = np.array([0.0, 1.0, 0.75, 0.6, 0.5])
    credit = annual_credit(payroll, band, 0.007, bonus, 420.0)
    assert np.allclose(credit, [420.0, 2100.0, 5250.0])
    pool = carried_pool(np.array([500.0, 500.0]), np.array([420.0, 420.0]), np.array([True, False]), 3)
    assert np.allclose(pool, [920.0, 420.0])
    capped = carried_pool(np.array([1200.0]), np.array([420.0]), np.array([True]), 3)
    assert np.allclose(capped, [1260.0])
