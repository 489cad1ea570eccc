"""The calibrated country baselines reproduce their calibration targets within the targets' uncertainty."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.calibration.indicators import RunView, measure
from analysis.calibration.targets import read_targets, validate_targets
from analysis.experiment import rep_seed
from model.api import simulate
from model.compiled import compile_scenario
from model.params import load_scenario
from tests.conftest import REPO

SETTINGS = {"es": "2022-01-03", "pt": "2018-01-01", "fi": "2015-01-05"}


@pytest.mark.slow
@pytest.mark.parametrize("country", sorted(SETTINGS))
def test_calibrated_baseline_reproduces_its_targets(country):
    over = [f"start_date={SETTINGS[country]}", "horizon_weeks=52", "population.workers=12000"]
    loaded = load_scenario(REPO / "scenarios" / country / "baseline.yaml", over)
    compiled = compile_scenario(loaded.config)
    targets, _ = validate_targets(
        read_targets(REPO / "data" / "targets" / f"{country}_firm_training.csv"), compiled, 52
    )
    keys = [t.key for t in targets]
    runs = []
    for r in range(3):
        seed = rep_seed(1, r)
        out = simulate(compiled, seed, "vector", deadweight=False, keep_events=True)
        view = RunView.build(out.events, compiled, seed, 52, kpis=out.kpis, whole=out.whole)
        runs.append(measure(view, keys))
    simulated = np.mean(runs, axis=0)
    for t, sim in zip(targets, simulated, strict=True):
        assert abs(sim - t.value) <= t.uncertainty, (
            f"{t.label}: simulated {sim:.3f}, observed {t.value} ± {t.uncertainty}"
        )
