"""The function interface ``model.api.run`` (used by EMA workbench and user scripts)."""

from __future__ import annotations

import math

from model.api import run
from tests.conftest import REPO

CA_FUND = REPO / "scenarios" / "fi" / "ca_fund.yaml"
SMALL = {"population.workers": 300, "population.smes": 60, "horizon_weeks": 26, "deadweight": False}


def test_run_keeps_string_values_as_strings():
    """An eligibility rule "True" must reach the loader as text, not as YAML's boolean."""
    everyone = run({"scenario": str(CA_FUND), **SMALL, "funding.instruments[0].eligibility": "True"}, 1)
    nobody = run({"scenario": str(CA_FUND), **SMALL, "funding.instruments[0].eligibility": "False"}, 1)
    assert everyone["public_spend_eur"] > 0
    assert nobody["public_spend_eur"] == 0


def test_run_is_reproducible():
    params = {"scenario": str(CA_FUND), **SMALL}
    a, b = run(params, 4), run(params, 4)
    assert a.keys() == b.keys()
    assert all(a[k] == b[k] or (math.isnan(a[k]) and math.isnan(b[k])) for k in a)
