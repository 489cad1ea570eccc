"""Every scenario of every bundled workshop set differs from its baseline beyond chance (issue 15 item 5).

A facilitator must not show the room a scenario that cannot move. The test is the report's own
(``analysis.summary.detectable``: some pilot KPI or funders' figure has a paired 95 % interval
that excludes 0), at 10 replications on the vector engine. To fit a test run, a scenario is
simulated at no more than ``MAX_WORKERS`` workers (the pilot-sized sets keep their own size) over
its own horizon, and without the deadweight counterfactuals: both can only hide a difference the
full-size report would show, so the test errs on the strict side.
"""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.experiment import Experiment
from analysis.summary import detectable, differences
from analysis.workshop import read_workshop
from model.params import load_scenario
from tests.conftest import REPO

WORKSHOPS = sorted((REPO / "scenarios").glob("*/*workshop*.yaml"))
REPS = 10
#: Simulated workers at most (national presets run 2,000; the pilot 600).
MAX_WORKERS = 1000


def _sized(path):
    loaded = load_scenario(path)
    if loaded.config.population.workers <= MAX_WORKERS:
        return loaded
    return load_scenario(path, [f"population.workers={MAX_WORKERS}"])


def test_every_bundled_workshop_set_is_found():
    names = {f"{p.parent.name}/{p.name}" for p in WORKSHOPS}
    assert {
        "fi/workshop.yaml",
        "fi/pilot_workshop.yaml",
        "fi/women_workshop.yaml",
        "es/women_workshop.yaml",
    } <= names


@pytest.mark.slow
@pytest.mark.parametrize("path", WORKSHOPS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_every_scenario_of_a_workshop_set_differs_from_its_baseline(path):
    ws = read_workshop(path)
    exp = Experiment(
        [_sized(p) for p in ws.paths], reps=REPS, seed=1, engine="vector", deadweight=False
    ).run()
    whole = pd.concat([r.whole() for r in exp.results], ignore_index=True)
    found = detectable(differences(whole, exp.results[0].label))
    assert found.all(), (
        f"{path}: no detectable difference from the baseline: {', '.join(found[~found].index)}"
    )
