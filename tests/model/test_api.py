"""The function interface ``model.api.run`` (used by EMA workbench and user scripts)."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from model.api import run
from model.params.loader import override_text, parse_override
from tests.conftest import REPO

CA_FUND = REPO / "scenarios" / "fi" / "ca_fund.yaml"
SMALL = {"population.workers": 300, "horizon_weeks": 26, "deadweight": False}


def test_run_keeps_string_values_as_strings():
    """An eligibility rule "True" must reach the loader as text, not as YAML's boolean."""
    everyone = run({"scenario": str(CA_FUND), **SMALL, "funding.instruments[0].eligibility": "True"}, 1)
    nobody = run({"scenario": str(CA_FUND), **SMALL, "funding.instruments[0].eligibility": "False"}, 1)

    def spent(out: dict) -> float:  # on micro-credentials and on firms' other courses
        return out["public_spend_eur"] + out["other_training_spend_eur"]

    assert spent(everyone) > 0
    assert spent(nobody) == 0


def test_run_is_reproducible():
    params = {"scenario": str(CA_FUND), **SMALL}
    a, b = run(params, 4), run(params, 4)
    assert a.keys() == b.keys()
    assert all(a[k] == b[k] or (math.isnan(a[k]) and math.isnan(b[k])) for k in a)


scalars = st.one_of(
    st.floats(allow_nan=False),
    st.integers(-(10**12), 10**12),
    st.booleans(),
    st.text(max_size=30),
    st.none(),
)


@given(
    st.one_of(
        scalars, st.lists(scalars, max_size=4), st.dictionaries(st.text(min_size=1, max_size=8), scalars)
    )
)
@settings(max_examples=300, deadline=None)
def test_override_text_reads_back_exactly(value):
    """Sweeps, ensembles and ``run`` write values as ``--set`` text: each must come back as itself."""
    key, back = parse_override(override_text("a.b", value))
    assert key == "a.b" and back == value and type(back) is type(value)
