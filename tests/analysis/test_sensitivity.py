"""Sensitivity: Morris and Sobol studies (SALib) with fixed seeds, seed noise, unpinned assumptions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.calibration.params import resolve_parameters
from analysis.cli import main
from analysis.execution import Runner
from analysis.sensitivity import SensitivityError, SensitivityStudy, plot_indices
from model.params import load_scenario
from tests.conftest import FI

SMALL = ["population.workers=1000", "horizon_weeks=52"]
SPECS = {
    "worker.cost_weight_per_100_eur": {},  # an assumption
    "diffusion.p": [0.005, 0.15],  # sourced in the FI preset (public-facts §10)
}


@pytest.fixture(scope="module")
def loaded():
    return load_scenario(FI, SMALL)


@pytest.fixture(scope="module")
def morris(loaded):
    params = resolve_parameters(loaded, SPECS)
    study = SensitivityStudy(loaded, params, kpis=["enrolments", "sme_awareness_rate"], seeds_per_point=2)
    with Runner(1) as runner:
        study.sample("morris", 3).evaluate(runner).analyze(num_resamples=200)
    return study


def test_morris_indices_with_confidence_and_provenance(morris):
    tab = morris.indices()
    assert list(tab.columns) == [
        "kpi",
        "parameter",
        "provenance",
        "pinned_by_data",
        "mu_star",
        "mu_star_conf",
        "mu",
        "sigma",
    ]
    assert len(tab) == 2 * 2
    assert morris.X.shape == (3 * 3, 2) and morris.Y.shape == (9, 2, 2)
    row = tab.set_index(["kpi", "parameter"])
    # awareness of firms is Bass diffusion: driven by p, untouched by the workers' cost weight
    assert row.loc[("sme_awareness_rate", "diffusion.p"), "mu_star"] > 0
    assert row.loc[("sme_awareness_rate", "worker.cost_weight_per_100_eur"), "mu_star"] == 0
    # fees deter enrolment: a higher cost weight lowers enrolments
    assert row.loc[("enrolments", "worker.cost_weight_per_100_eur"), "mu"] < 0
    assert (tab["mu_star_conf"] >= 0).all()
    assert row.loc[("enrolments", "diffusion.p"), "provenance"] == "public"
    assert not row.loc[("enrolments", "worker.cost_weight_per_100_eur"), "pinned_by_data"]


def test_seed_noise_and_unpinned_assumptions(morris):
    noise = morris.seed_noise().set_index("kpi")
    for kpi in ("enrolments", "sme_awareness_rate"):
        assert 0 <= noise.loc[kpi, "seed_share_single_run"] <= 1
        assert 0 <= noise.loc[kpi, "seed_share_in_indices"] <= 1
    deps = morris.assumption_dependence().set_index("kpi")
    assert deps.loc["sme_awareness_rate", "share_from_unpinned_assumptions"] == 0
    assert deps.loc["sme_awareness_rate", "verdict"].startswith("mostly driven by parameters with a source")
    assert deps.loc["enrolments", "share_from_unpinned_assumptions"] > 0.5
    assert deps.loc["enrolments", "verdict"].startswith("rests on assumptions no data pins down")
    assert "worker.cost_weight_per_100_eur" in deps.loc["enrolments", "unpinned_parameters"]
    design = morris.design()
    assert len(design) == 9 * 2 and set(design["seed"]) == set(morris.seeds)


def test_every_design_point_runs_on_the_same_seeds(morris, loaded):
    # common random numbers: the first two rows of the design rerun give the same values
    again = SensitivityStudy(loaded, morris.params, kpis=morris.kpis, seeds_per_point=2).sample("morris", 3)
    with Runner(1) as runner:
        again.X = again.X[:2]
        again.evaluate(runner)
    np.testing.assert_array_equal(again.Y, morris.Y[:2])


def test_sobol_indices(loaded, tmp_path):
    params = resolve_parameters(loaded, SPECS)
    study = SensitivityStudy(loaded, params, kpis=["sme_awareness_rate", "enrolments"], seeds_per_point=2)
    with Runner(1) as runner:
        study.sample("sobol", 4).evaluate(runner).analyze(num_resamples=200)
    assert study.X.shape == (4 * (2 + 2), 2)
    tab = study.indices().set_index(["kpi", "parameter"])
    assert {"S1", "S1_conf", "ST", "ST_conf"} <= set(tab.columns)
    assert tab.loc[("sme_awareness_rate", "diffusion.p"), "ST"] > 0.5
    assert tab.loc[("sme_awareness_rate", "worker.cost_weight_per_100_eur"), "ST"] == pytest.approx(
        0, abs=1e-9
    )
    path = plot_indices(study, tmp_path / "s.png")
    assert path.stat().st_size > 1000
    # a new design clears the stale results
    study.sample("morris", 2)
    assert study.Y is None and study.results == {}


def test_study_errors(loaded):
    params = resolve_parameters(loaded, SPECS)
    with pytest.raises(SensitivityError, match="unknown KPI"):
        SensitivityStudy(loaded, params, kpis=["enrolment"])
    study = SensitivityStudy(loaded, params)
    with pytest.raises(SensitivityError, match="power of 2"):
        study.sample("sobol", 12)
    with pytest.raises(SensitivityError, match="sample"):
        study.scenarios()
    with pytest.raises(SensitivityError, match="evaluate"):
        study.sample("morris", 2).analyze()


def test_sensitivity_command(tmp_path, capsys):
    out = tmp_path / "sens"
    sets = [x for o in SMALL for x in ("--set", o)]
    args = ["sensitivity", "--scenario", str(FI), "--param", "worker.cost_weight_per_100_eur"]
    args += ["--param", "diffusion.p=0.005:0.15", "--kpi", "enrolments", "--kpi", "sme_awareness_rate"]
    args += [*sets, "-n", "2", "--out", str(out)]
    assert main(args) == 0
    assert {p.name for p in out.iterdir()} >= {
        "indices.csv",
        "seed_noise.csv",
        "assumptions.csv",
        "design.csv",
        "sensitivity.png",
        "manifest.json",
    }
    assert len(pd.read_csv(out / "indices.csv")) == 4
    text = capsys.readouterr().out
    assert "KPIs resting on assumptions no data pins down" in text
    bad = ["sensitivity", "--scenario", str(FI), "--param", "worker.nope", "--out", str(tmp_path / "x")]
    assert main(bad) == 2
    assert "no such parameter" in capsys.readouterr().err
    bad = ["sensitivity", "--scenario", str(FI), "--all-assumptions", "--method", "sobol", "-n", "10"]
    assert main([*bad, "--out", str(tmp_path / "y")]) == 2
    assert "power of 2" in capsys.readouterr().err
