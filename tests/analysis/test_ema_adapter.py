"""EMA workbench adapter: the SPEC as levers/uncertainties/outcomes, same runs as `mcsim sweep`, PRIM."""

from __future__ import annotations

import importlib.util

import numpy as np
import pandas as pd
import pytest
import yaml

from analysis.execution import Runner
from analysis.sweep import Sweep
from analysis.sweep_spec import load_spec
from tests.analysis.test_sweep import write_spec
from tests.conftest import REPO

ema = pytest.importorskip("ema_workbench")
from analysis.ema_adapter import ema_model, lever_policies, uncertainty_scenarios  # noqa: E402

EXAMPLE = REPO / "examples" / "ema_prim_eligibility.py"


def _example():
    spec = importlib.util.spec_from_file_location("ema_prim_eligibility", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_model_declares_levers_uncertainties_and_outcomes(tmp_path):
    uncs = {
        "employer.trust_weight": {"name": "trust_weight", "range": "assumption"},
        "moderation.assessors": {"range": [1, 6]},
    }
    model = ema_model(load_spec(write_spec(tmp_path, uncertainties=uncs)))
    levers = {p.name: p for p in model.levers}
    uncertainties = {p.name: p for p in model.uncertainties}
    assert isinstance(levers["eligibility"], ema.CategoricalParameter)
    assert isinstance(uncertainties["trust_weight"], ema.RealParameter)
    assert (uncertainties["trust_weight"].lower_bound, uncertainties["trust_weight"].upper_bound) == (
        0.5,
        3.0,
    )
    assert isinstance(uncertainties["moderation_assessors"], ema.IntegerParameter)
    kinds = {o.name: o.kind for o in model.outcomes}
    assert kinds == {
        "employer_acceptance_rate": ema.ScalarOutcome.MAXIMIZE,
        "women_share": ema.ScalarOutcome.MAXIMIZE,
        "enrolments_cum": ema.ScalarOutcome.MAXIMIZE,
    }
    assert model.replications == [{"replication": 0}, {"replication": 1}]


def test_reserved_names_are_refused(tmp_path):
    spec = load_spec(
        write_spec(tmp_path, uncertainties={"employer.trust_weight": {"name": "policy", "range": [1, 2]}})
    )
    with pytest.raises(ValueError, match="reserved by EMA"):
        ema_model(spec)


def test_perform_experiments_gives_the_same_kpis_as_mcsim_sweep(tmp_path):
    spec = load_spec(write_spec(tmp_path, replications=2))
    sweep = Sweep(spec, tmp_path / "out")
    sweep.prepare()
    sweep.run(Runner())
    sweep.release()
    table = sweep.combine()
    model = ema_model(spec)
    with ema.SequentialEvaluator(model) as ev:
        experiments, outcomes = ev.perform_experiments(
            scenarios=uncertainty_scenarios(spec), policies=lever_policies(spec)
        )
    assert len(experiments) == len(spec.points()) == 4
    means = table.groupby(["eligibility", "employer_trust_weight"])[list(spec.outcomes)].mean()
    for i, row in experiments.iterrows():
        expected = means.loc[(row["eligibility"], row["employer_trust_weight"])]
        for k in spec.outcomes:
            assert np.isclose(outcomes[k][i], expected[k], rtol=1e-12, equal_nan=True), (k, i)


def test_refused_combination_gives_nan_and_the_experiments_go_on(tmp_path):
    levers = {"funding.instruments[0].levy_rate_of_payroll": {"name": "levy", "values": [0.0, 0.002]}}
    spec = load_spec(write_spec(tmp_path, levers=levers, replications=1))
    with ema.SequentialEvaluator(ema_model(spec)) as ev:
        experiments, outcomes = ev.perform_experiments(
            scenarios=uncertainty_scenarios(spec), policies=lever_policies(spec)
        )
    bad = experiments["levy"].astype(float).to_numpy() == 0.0
    assert bad.sum() == 2 and len(bad) == 4
    assert np.isnan(outcomes["women_share"][bad]).all()
    assert np.isfinite(outcomes["employer_acceptance_rate"][~bad]).all()
    with pytest.raises(ValueError, match="at least one uncertainty"):
        ema_model(load_spec(write_spec(tmp_path, "lone", levers=levers, uncertainties={})))


def test_example_spec_is_valid_and_prim_finds_the_conditions():
    spec = load_spec(REPO / "examples" / "sweeps" / "fi_eligibility.yaml")
    assert [f.name for f in spec.levers] == ["eligibility", "women_outreach"]
    assert {"women_share", "employer_acceptance_rate"} <= set(spec.outcomes)
    ex = _example()
    # PRIM on planted data: targets met exactly when rule B is used and x > 0.6
    rng = np.random.default_rng(3)
    n = 400
    experiments = pd.DataFrame(
        {
            "eligibility": pd.Categorical(rng.choice(["A", "B", "C"], n)),
            "x": rng.uniform(0, 1, n),
            "noise": rng.uniform(0, 1, n),
            "scenario": 0,
            "policy": 0,
            "model": "m",
        }
    )
    met = (experiments["eligibility"] == "B").to_numpy() & (experiments["x"] > 0.6).to_numpy()
    box = ex.discover(experiments, met)
    assert box.density >= 0.8 and box.coverage >= 0.6
    text = "\n".join(ex.describe_box(box))
    assert "eligibility in ['B']" in text and "x" in text and "noise" not in text
    assert any("restricted" in line for line in ex.trajectory(box))
    assert ex.discover(experiments, np.zeros(n, bool)) is None


def test_example_runs_end_to_end_quickly(tmp_path, capsys, monkeypatch):
    ex = _example()
    small = {"population.workers": 150, "population.smes": 30, "horizon_weeks": 20}
    monkeypatch.setattr(ex, "QUICK", small)
    spec = tmp_path / "s.yaml"
    body = yaml.safe_load((REPO / "examples" / "sweeps" / "fi_eligibility.yaml").read_text())
    body["scenario"] = str(REPO / "scenarios" / "fi" / "ca_fund.yaml")
    body["levers"]["funding.instruments[0].eligibility"]["values"] = body["levers"][
        "funding.instruments[0].eligibility"
    ]["values"][-2:]
    spec.write_text(yaml.safe_dump(body, sort_keys=False))
    assert (
        ex.main(
            ["--spec", str(spec), "--quick", "--scenarios", "2", "--acceptance", "0", "--out", str(tmp_path)]
        )
        == 0
    )
    printed = capsys.readouterr().out
    assert "8 experiments (4 policies x 2 worlds)" in printed
    outcomes = pd.read_csv(tmp_path / "outcomes.csv")
    assert len(outcomes) == 8 and "targets_met" in outcomes
