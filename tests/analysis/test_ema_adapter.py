"""EMA workbench adapter: the SPEC as levers/uncertainties/outcomes, same runs as `mcsim sweep`, PRIM.

The last tests drive EMA's own analysis on an mcsim model: feature scoring with KPIs that are
undefined in some experiments, and PRIM's ``inspect()`` on a box restricting the eligibility lever.
"""

from __future__ import annotations

import importlib.util
import math

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
from analysis.ema_adapter import (  # noqa: E402
    MAY_BE_UNDEFINED,
    FilledMean,
    ema_model,
    fix_prim_inspect,
    lever_policies,
    uncertainty_scenarios,
    undefined_count,
    undefined_name,
)
from analysis.sweep import evaluate  # noqa: E402
from model.kpis import KPI_NAMES  # noqa: E402

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
        "employer_acceptance_rate_undefined": ema.ScalarOutcome.INFO,
        "women_share": ema.ScalarOutcome.MAXIMIZE,
        "women_share_undefined": ema.ScalarOutcome.INFO,
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
    assert np.isnan(outcomes["women_share_undefined"][bad]).all()
    assert np.isfinite(outcomes["employer_acceptance_rate"][~bad]).all()
    # a refusal is a failure, not an undefined ratio: a fill never hides it
    with ema.SequentialEvaluator(ema_model(spec, nan_fill=-1.0)) as ev:
        _, filled = ev.perform_experiments(
            scenarios=uncertainty_scenarios(spec), policies=lever_policies(spec)
        )
    for k in ("women_share", "women_share_undefined", "employer_acceptance_rate"):
        assert np.isnan(filled[k][bad]).all(), k
    # where the runs went on, the fill replaces exactly the undefined values (one replication here)
    ran = outcomes["women_share"][~bad]
    undefined = outcomes["women_share_undefined"][~bad] == 1
    np.testing.assert_array_equal(filled["women_share"][~bad], np.where(undefined, -1.0, ran))
    assert np.isfinite(ran[~undefined]).all() and np.isnan(ran[undefined]).all()
    with pytest.raises(ValueError, match="at least one uncertainty"):
        ema_model(load_spec(write_spec(tmp_path, "lone", levers=levers, uncertainties={})))


def test_filled_mean_fills_only_when_no_replication_defines_the_kpi():
    fill = FilledMean(-1.0)
    assert fill([0.2, math.nan], [0.0, 1.0]) == 0.2  # one replication measured it: its value
    assert fill([0.2, 0.4], [0.0, 0.0]) == pytest.approx(0.3)
    assert fill([math.nan, math.nan], [1.0, 1.0]) == -1.0  # no denominator anywhere: the code
    assert math.isnan(fill([math.nan, math.nan], [math.nan, math.nan]))  # refused: stays NaN
    assert undefined_count([1.0, 0.0, 1.0]) == 2.0
    assert math.isnan(undefined_count([math.nan, math.nan]))


def test_nan_fill_declares_filled_outcomes_info_and_keeps_the_others(tmp_path):
    spec = load_spec(
        write_spec(tmp_path, outcomes=["women_share", "spend_per_credential_eur", "enrolments_cum"])
    )
    kinds = {o.name: o.kind for o in ema_model(spec, nan_fill={"women_share": -1.0}).outcomes}
    assert kinds["women_share"] == ema.ScalarOutcome.INFO
    assert kinds["spend_per_credential_eur"] == ema.ScalarOutcome.MINIMIZE
    assert kinds["spend_per_credential_eur_undefined"] == ema.ScalarOutcome.INFO
    assert "enrolments_cum_undefined" not in kinds
    everything = {o.name: o.kind for o in ema_model(spec, nan_fill=-5).outcomes}
    assert everything["spend_per_credential_eur"] == ema.ScalarOutcome.INFO
    assert everything["enrolments_cum"] == ema.ScalarOutcome.MAXIMIZE


@pytest.mark.parametrize(
    ("fill", "message"),
    [
        (0.0, "finite negative number"),
        (0.5, "finite negative number"),
        (math.nan, "finite negative number"),
        (-math.inf, "finite negative number"),
        (True, "finite negative number"),
        ("-1", "finite negative number"),
        (
            {"enrolments_cum": -1.0},
            r"\['enrolments_cum'\] are not outcomes of this SPEC that can be undefined",
        ),
        ({"dropout_rate": -1.0}, r"expected some of \['employer_acceptance_rate', 'women_share'\]"),
    ],
)
def test_bad_nan_fill_is_refused_with_the_spec_and_the_reason(tmp_path, fill, message):
    path = write_spec(tmp_path)
    with pytest.raises(ValueError, match=message) as err:
        ema_model(load_spec(path), nan_fill=fill)
    assert str(path) in str(err.value)


def test_deadweight_share_needs_the_counterfactual_runs(tmp_path):
    spec = load_spec(write_spec(tmp_path, deadweight=False, outcomes=["deadweight_share", "women_share"]))
    with pytest.raises(ValueError, match="deadweight_share needs 'deadweight: true'"):
        ema_model(spec)


def test_every_kpi_a_quiet_run_leaves_undefined_is_counted_and_fillable():
    # a few weeks with nobody funded: many denominators stay 0
    overrides = {
        "population.workers": 60,
        "horizon_weeks": 3,
        "funding.instruments[0].eligibility": "firm.size >= 250",
    }
    whole = evaluate(REPO / "scenarios" / "fi" / "ca_fund.yaml", overrides, seed=1, deadweight=True)
    undefined = {k for k in KPI_NAMES if math.isnan(whole[k])}
    assert {
        "women_share",
        "spend_per_credential_eur",
        "in_pipeline_age_days",
        "moderation_backlog_age_days",
    } <= undefined
    assert undefined <= MAY_BE_UNDEFINED
    assert math.isfinite(whole["enrolments_cum"]) and "enrolments_cum" not in MAY_BE_UNDEFINED


def test_prim_fix_is_idempotent_and_leaves_numeric_boxes_to_ema():
    from ema_workbench.analysis.prim import BasePrimBox, Prim

    fix_prim_inspect()
    installed = BasePrimBox._inspect_data
    fix_prim_inspect()
    assert BasePrimBox._inspect_data is installed  # not wrapped twice
    rng = np.random.default_rng(5)
    x = pd.DataFrame({"a": rng.uniform(0, 1, 300), "b": rng.uniform(0, 1, 300)})
    box = Prim(x, (x["a"] > 0.7).to_numpy()).find_box()
    _, limits = box.inspect(style="data")[0]
    assert list(limits.index) == ["a"] and (limits.dtypes == "float64").all()  # EMA's own float table
    assert limits.iloc[0, 0] == pytest.approx(0.7, abs=0.02)


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
    small = {"population.workers": 150, "horizon_weeks": 20}
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
    assert {"women_share_undefined", "spend_per_credential_eur_undefined"} <= set(outcomes)
    assert "Feature scores" in printed and "eligibility" in printed.split("Feature scores")[1]
    assert (tmp_path / "prim_box.png").exists() == ("Selected box" in printed)


# ------------------------------------------------------------ EMA's own analysis on an mcsim model

UNDEFINED = -1.0
RULES = ["True", "worker.woman", "firm.size >= 250"]  # the last funds nobody in a small population


def test_ema_feature_scoring_and_prim_inspect_run_on_an_mcsim_model(tmp_path, capsys):
    """perform_experiments -> get_feature_scores_all (undefined KPIs) -> Prim/find_box/inspect."""
    from ema_workbench.analysis import feature_scoring, prim

    spec = load_spec(
        write_spec(
            tmp_path,
            set={
                "population.workers": 300,
                "horizon_weeks": 39,
                "funding.instruments[0].trigger": "enrolment",
            },
            replications=1,
            deadweight=False,
            levers={"funding.instruments[0].eligibility": {"name": "eligibility", "values": RULES}},
            uncertainties={
                "worker.enrol_rate_per_year": {"name": "enrol_rate", "range": "assumption"},
                "employer.trust_weight": {"name": "trust_weight", "range": "assumption"},
            },
            design={"uncertainties": {"sampler": "latin_hypercube", "samples": 5}},
            outcomes=["women_share", "spend_per_credential_eur", "enrolments_cum", "public_spend_eur"],
        )
    )
    with ema.SequentialEvaluator(ema_model(spec, nan_fill=UNDEFINED)) as ev:
        experiments, outcomes = ev.perform_experiments(
            scenarios=uncertainty_scenarios(spec), policies=lever_policies(spec)
        )
    assert len(experiments) == 15
    for k in ("women_share", "spend_per_credential_eur"):
        undefined = outcomes[undefined_name(k)] == spec.replications
        assert undefined.any() and not undefined.all(), k  # NaN-producing KPIs, measured elsewhere
        assert (outcomes[k][undefined] == UNDEFINED).all() and (outcomes[k][~undefined] >= 0).all()

    x = experiments.drop(columns=["policy", "model"])  # the policy name only repeats the lever
    scores = feature_scoring.get_feature_scores_all(x, outcomes, random_state=1)
    assert set(scores.columns) == set(outcomes)
    assert set(scores.index) == {"eligibility", "enrol_rate", "trust_weight"}
    np.testing.assert_allclose(scores.sum(), 1.0)  # every outcome scored over the factors
    assert scores["public_spend_eur"].idxmax() == "eligibility"  # the rule decides who is paid for

    funded = outcomes["public_spend_eur"] > 0
    box = prim.Prim(x, funded).find_box()
    boxes = list(range(len(box.peeling_trajectory)))
    last = boxes[-1]
    _, limits = box.inspect(last, style="data")[0]
    kept = limits.loc["eligibility", (f"box {last}", "min")]
    assert "True" in kept and "firm.size >= 250" not in kept

    box.inspect(last)  # style="table", as EMA's tutorials call it
    row = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("eligibility"))
    assert "True" in row and "firm.size >= 250" not in row
    box.inspect(boxes, style="table")
    assert capsys.readouterr().out.count("coverage") == len(boxes)
    figures = [box.inspect(i, style="graph")[0] for i in boxes]
    assert all(f.axes for f in figures)
    import matplotlib.pyplot as plt

    plt.close("all")
