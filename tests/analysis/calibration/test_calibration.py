"""Calibration: target and parameter checks, indicators, MSM recovering known truth, preset, CLI.

The recovery tests generate targets from the model at known parameter values (independent seeds,
averaged over replications) and check that the method of simulated moments, run on other seeds,
gets the values back: within 10 % of the bounds for one parameter, within 15 % of the bounds for
two (the slow test), and with the reported 95 % interval covering the truth.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import yaml

from analysis.calibration.indicators import INDICATORS, RunView, indicator_job, measure, parse_group
from analysis.calibration.msm import MSM, CalibrationResult, write_preset
from analysis.calibration.params import (
    FitParameter,
    ParameterError,
    apply_values,
    parse_param_flags,
    read_param_file,
    resolve_parameters,
)
from analysis.calibration.targets import TargetsError, read_targets, validate_targets
from analysis.cli import main
from analysis.execution import Job, Runner
from analysis.experiment import rep_seed
from model.api import simulate
from model.compiled import compile_scenario
from model.engines import run_engine
from model.params import Provenance, load_scenario
from tests.conftest import FI

AWARE = ["diffusion.initial_worker_aware=0.3", "diffusion.initial_sme_aware=0.4"]
FAST = ["population.workers=3000", "horizon_weeks=52", *AWARE]


def _frame(rows: list[dict]) -> pd.DataFrame:
    base = {"country": "FI", "year": 2026, "group": "all", "value": 1.0, "uncertainty": 0.1, "source": "test"}
    return pd.DataFrame([base | r for r in rows])


def _truth_targets(cfg, rows, reps: int, jobs: int = 1) -> pd.DataFrame:
    """Targets from the model itself: the mean over ``reps`` independent seeds, with its standard error."""
    keys = [(i, y, parse_group(g)) for i, y, g in rows]
    with Runner(jobs) as runner:
        options = {"keys": keys, "deadweight": False}
        jobs = [Job(indicator_job, cfg, rep_seed(999, k), "vector", options=options) for k in range(reps)]
        ms = np.array(runner.map(jobs))
    mean, sd = ms.mean(axis=0), ms.std(axis=0, ddof=1)
    return pd.DataFrame(
        [
            {
                "indicator": i,
                "country": "FI",
                "year": y,
                "group": g,
                "value": m,
                "uncertainty": max(s / np.sqrt(reps), 1e-4),
                "source": "the model at known parameter values",
            }
            for (i, y, g), m, s in zip(rows, mean, sd, strict=True)
        ]
    )


@pytest.fixture(scope="module")
def small():
    return load_scenario(FI, ["population.workers=400", "horizon_weeks=52"])


# ---------------------------------------------------------------- targets


def test_targets_name_every_problem(small):
    compiled = compile_scenario(small.config)
    frame = _frame(
        [
            {"indicator": "enrolment"},  # misspelt
            {"indicator": "women_share", "group": "gender=f"},  # not a breakdown of a share of women
            {"indicator": "enrolments", "group": "region=lapland"},  # not a region of the scenario
            {"indicator": "enrolments", "year": 2031},  # not simulated
            {"indicator": "enrolments", "country": "ES"},
            {"indicator": "sme_awareness_rate", "group": "size=1-5"},  # a KPI: group all only
            {"indicator": "credit_uptake_rate"},  # the baseline has no training credit
            {"indicator": "affiliation_6m_rate"},  # read from SISPE, not produced
            {"indicator": "enrolment_share"},  # needs a group
        ]
    )
    with pytest.raises(TargetsError) as err:
        validate_targets(frame, compiled)
    msg = str(err.value)
    assert "9 problem(s)" in msg
    assert "unknown indicator 'enrolment'; did you mean enrolments" in msg
    assert "cannot be broken down by 'gender'" in msg
    assert "no region 'lapland'" in msg and "uusimaa" in msg and "region map" in msg
    assert "year 2031 is not simulated" in msg and "start_date=2031" in msg
    assert "country ES but the scenario is FI" in msg
    assert "only group 'all'" in msg
    assert "training_credit" in msg
    assert "does not produce it" in msg
    assert "give a group" in msg
    assert "line 2 (enrolment, 2026, all)" in msg


def test_targets_file_format_errors(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("indicator,country,value\nenrolments,FI,3\n", encoding="utf-8")
    with pytest.raises(TargetsError, match="missing column.*year, group, uncertainty, source"):
        read_targets(path)
    _frame(
        [
            {"indicator": "enrolments", "uncertainty": 0},
            {"indicator": "enrolments", "value": "n/a", "year": 2027},
            {"indicator": "enrolments", "group": "sex=f", "year": 2028},
            {"indicator": "enrolments", "source": ""},
        ]
    ).to_csv(path, index=False)
    with pytest.raises(TargetsError) as err:
        read_targets(path)
    msg = str(err.value)
    assert "line 2: uncertainty 0.0 must be a positive number" in msg and "positive" in msg
    assert "line 3: value 'n/a' is not a number" in msg
    assert "unknown dimension 'sex'" in msg
    assert "source is empty" in msg
    _frame([{"indicator": "enrolments"}, {"indicator": "enrolments"}]).to_csv(path, index=False)
    with pytest.raises(TargetsError, match="appear twice"):
        read_targets(path)
    with pytest.raises(TargetsError, match="no such targets file"):
        read_targets(tmp_path / "missing.csv")


def test_targets_groups_are_canonical(small, tmp_path):
    path = tmp_path / "t.xlsx"
    _frame([{"indicator": "enrolments", "group": "age=30-49|50+ & gender=f"}]).to_excel(path, index=False)
    frame = read_targets(path)
    assert frame["group"].iloc[0] == "gender=f&age=30-49|50+"
    targets, _ = validate_targets(frame, compile_scenario(small.config))
    assert targets[0].group == {"gender": ("f",), "age": ("30-49", "50+")}


# ---------------------------------------------------------------- parameters


def test_parameters_are_checked(small, tmp_path):
    with pytest.raises(ParameterError) as err:
        resolve_parameters(
            small,
            {
                "worker.enrol_rate_per_yer": {},
                "name": {},
                "moderation.required": {},
                "population.women_share_employed": {},  # sourced: no range to default to
                "worker.dropout_per_year": [2.0, 1.0],
                "moderation.sampling_rate": [0.1, 1.5],  # a share above 1
            },
        )
    msg = str(err.value)
    assert (
        "worker.enrol_rate_per_yer: no such parameter" in msg
        and "did you mean worker.enrol_rate_per_year" in msg
    )
    assert f"name: is '{small.config.name}', not a number" in msg
    assert "moderation.required: is False, not a number" in msg
    assert "carries no range" in msg
    assert "low bound 2 must be below the high bound 1" in msg
    with pytest.raises(ParameterError, match="bound 1.5 is not a valid value"):
        resolve_parameters(small, {"moderation.sampling_rate": [0.1, 1.5]})
    (p,) = resolve_parameters(small, {"worker.enrol_rate_per_year": {}})
    assert (p.lo, p.hi, p.value, p.provenance.kind) == (0.05, 1.0, 0.3, "assumption")
    assert not p.pinned_by_data
    assert parse_param_flags(["a.b", "c=1:2", "d=0.1:10:log"]) == {
        "a.b": {},
        "c": {"bounds": ["1", "2"]},
        "d": {"bounds": ["0.1", "10"], "scale": "log"},
    }
    path = tmp_path / "p.yaml"
    path.write_text("worker.enrol_rate_per_year: [0.1, 0.5]\ndiffusion.worker_q: {scale: log}\n")
    got = resolve_parameters(small, read_param_file(path))
    assert [(q.key, q.lo, q.hi, q.scale) for q in got] == [
        ("worker.enrol_rate_per_year", 0.1, 0.5, "linear"),
        ("diffusion.worker_q", 0.2, 0.6, "log"),
    ]
    assert got[1].from_unit(got[1].to_unit(0.3)) == pytest.approx(0.3)
    path = tmp_path / "p.csv"
    path.write_text("parameter,low,high\nproviders[0].teachers,1,6\n")
    (teachers,) = resolve_parameters(small, read_param_file(path))
    assert teachers.integer and apply_values(small.config, {teachers.key: 3.4}).providers[0].teachers == 3


# ---------------------------------------------------------------- indicators


def test_indicators_agree_with_the_kpis_and_add_up(small):
    cfg = small.config
    compiled = compile_scenario(cfg)
    out = simulate(compiled, 11, "vector", deadweight=False, keep_events=True)
    res = run_engine("vector", compiled, 11)
    view = RunView.build(
        res.events,
        compiled,
        11,
        52,
        population=res.population,
        initial=res.initial,
        kpis=out.kpis,
        whole=out.whole,
    )
    assert len(res.events) == len(out.events)  # the same run: keyed randomness
    names = ["enrolments", "women_share", "completion_rate", "credentials_issued", "placement_6m_rate"]
    got = measure(view, [(n, None, {}) for n in names])
    want = [out.whole[n] for n in names]
    np.testing.assert_allclose(got, want, equal_nan=True)
    g = lambda text: parse_group(text)  # noqa: E731
    rows = [
        ("enrolments", 2026, g("all")),
        ("enrolments", 2026, g("gender=f")),
        ("enrolments", 2026, g("gender=m")),
        *[("enrolments", 2026, g(f"age={a}")) for a in ("16-29", "30-49", "50+")],
        *[("enrolments", 2026, g(f"region={r}")) for r in compiled.region_names],
        *[("enrolment_share", 2026, g(f"age={a}")) for a in ("16-29", "30-49", "50+")],
        ("new_learners", 2026, g("all")),
        ("learners", 2026, g("all")),
        ("worker_awareness_rate", 2026, g("all")),
    ]
    v = measure(view, rows)
    total = v[0]
    assert total > 0
    assert v[1] + v[2] == pytest.approx(total)
    assert v[3:6].sum() == pytest.approx(total)
    n_regions = len(compiled.region_names)
    assert v[6 : 6 + n_regions].sum() == pytest.approx(total)
    shares = v[6 + n_regions : 9 + n_regions]
    assert shares.sum() == pytest.approx(1.0)
    new, learners = v[9 + n_regions], v[10 + n_regions]
    assert 0 < new <= total and new <= learners
    assert v[-1] == pytest.approx(out.kpis["worker_awareness_rate"].iloc[-1])
    assert set(INDICATORS) >= {"placement_6m_rate", "firm_acceptance_rate", "aware_share"}


# ---------------------------------------------------------------- recovery of known truth


@pytest.fixture(scope="module")
def fast_fit():
    """One parameter, diffusion.worker_q (truth 0.5 in [0.2, 0.6]), from awareness shares."""
    loaded = load_scenario(FI, FAST)
    truth = 0.5
    rows = [("aware_share", 2026, "all")] + [
        ("aware_share", 2026, f"age={a}") for a in ("16-29", "30-49", "50+")
    ]
    frame = _truth_targets(apply_values(loaded.config, {"diffusion.worker_q": truth}), rows, reps=8)
    targets, _ = validate_targets(frame, compile_scenario(loaded.config))
    params = resolve_parameters(loaded, {"diffusion.worker_q": {}})
    with Runner(1) as runner:
        result = MSM(loaded, params, targets, reps=3, seed=3).fit(runner, n_init=5, max_evals=10)
    return loaded, truth, result


def test_msm_recovers_one_known_parameter(fast_fit):
    _, truth, result = fast_fit
    (p,) = result.parameters
    fitted = result.theta[0]
    assert abs(fitted - truth) <= 0.10 * (p.hi - p.lo), f"fitted {fitted}, truth {truth}"
    assert result.ci_lo[0] <= truth <= result.ci_hi[0]
    assert np.isfinite(result.se[0]) and result.se[0] > 0
    table = result.target_table()
    assert (table["z"].abs() < 3).all()
    assert result.dof == 3 and 0 <= result.p_value <= 1
    diag = result.diagnostics()
    assert diag["seeds"] == [rep_seed(3, r) for r in range(3)]
    assert diag["jacobian"]["diffusion.worker_q"]["aware_share 2026"] > 0  # awareness rises with q
    assert result.trace["loss"].min() == pytest.approx(result.loss)


def _result(parameters, theta, ci, targets_n=3) -> CalibrationResult:
    k = targets_n
    return CalibrationResult(
        parameters=parameters,
        theta=np.array(theta),
        se=np.array([(hi - lo) / 3.92 for lo, hi in ci]),
        ci_lo=np.array([lo for lo, _ in ci]),
        ci_hi=np.array([hi for _, hi in ci]),
        targets=[],
        sim_mean=np.zeros(k),
        sim_sd=np.zeros(k),
        weights=np.ones(k),
        loss=2.5,
        jacobian=np.zeros((k, len(parameters))),
        method="nelder-mead",
        seeds=[1, 2],
        engine="vector",
        evaluations=1,
        runs=2,
        seconds=0.1,
        message="",
        trace=pd.DataFrame(),
    )


def test_preset_carries_calibrated_provenance_for_identified_parameters(small, tmp_path):
    a = Provenance("assumption", "x", (0.05, 1.0))
    params = [
        FitParameter("worker.enrol_rate_per_year", 0.05, 1.0, 0.3, a),
        FitParameter("diffusion.worker_q", 0.2, 0.6, 0.3, Provenance("assumption", "y", (0.2, 0.6))),
        FitParameter("providers[2].seats", 4.0, 40.0, 16.0, a, integer=True),
    ]
    result = _result(params, [0.42, 0.31, 22.2], [(0.40, 0.44), (0.2, 0.6), (20.0, 25.0)])
    assert list(result.identified) == [True, False, True]
    out = tmp_path / "calibration"
    out.mkdir()
    path = write_preset(result, small, "targets t.csv (3 targets)", out / "calibrated_preset.yaml")
    text = path.read_text()
    assert "extends:" in text and "calibrated" in text
    loaded = load_scenario(path)
    prov = dict((k, p) for k, _, p in loaded.parameters())
    values = dict((k, v) for k, v, _ in loaded.parameters())
    assert values["worker.enrol_rate_per_year"] == pytest.approx(0.42)
    assert prov["worker.enrol_rate_per_year"].kind == "calibrated"
    assert "targets t.csv (3 targets)" in prov["worker.enrol_rate_per_year"].text
    assert "loss 2.5" in prov["worker.enrol_rate_per_year"].text
    assert values["providers[2].seats"] == 22 and prov["providers[2].seats"].kind == "calibrated"
    assert values["providers[2].name"] == small.config.providers[2].name
    # not identified: the fitted value, still an assumption with its range, saying so
    assert values["diffusion.worker_q"] == pytest.approx(0.31)
    assert prov["diffusion.worker_q"].kind == "assumption" and prov["diffusion.worker_q"].range == (0.2, 0.6)
    assert "not identified" in prov["diffusion.worker_q"].text
    # every other value is the original's
    base = dict((k, v) for k, v, _ in load_scenario(FI).parameters())
    changed = {k for k in base if base[k] != values.get(k)} - {"name", "description"}
    assert changed == {"worker.enrol_rate_per_year", "providers[2].seats", "diffusion.worker_q"}
    assert yaml.safe_load(text)["preset"] is True


# ---------------------------------------------------------------- command line


def test_calibrate_command_end_to_end(tmp_path, capsys):
    overrides = ["population.workers=400", "horizon_weeks=52", *AWARE]
    loaded = load_scenario(FI, overrides)
    rows = [("firm_acceptance_rate", 2026, "all"), ("firm_acceptance_rate", 2026, "size=1-5")]
    frame = _truth_targets(apply_values(loaded.config, {"employer.initial_trust_mean": 0.4}), rows, reps=3)
    targets = tmp_path / "targets.csv"
    frame.to_csv(targets, index=False)
    out = tmp_path / "fit"
    sets = [x for o in overrides for x in ("--set", o)]
    args = [
        "calibrate",
        "--scenario",
        str(FI),
        "--targets",
        str(targets),
        "--param",
        "employer.initial_trust_mean",
    ]
    args += [*sets, "--reps", "2", "--init", "3", "--max-evals", "4", "--out", str(out)]
    assert main(args) == 0
    names = {p.name for p in out.iterdir()}
    assert names >= {
        "fit.csv",
        "targets_fit.csv",
        "trace.csv",
        "diagnostics.json",
        "fit.png",
        "calibrated_preset.yaml",
        "manifest.json",
    }
    fit = pd.read_csv(out / "fit.csv")
    assert fit["parameter"].tolist() == ["employer.initial_trust_mean"]
    assert 0.1 <= fit["fitted"].iloc[0] <= 0.5
    manifest = json.loads((out / "manifest.json").read_text())
    # the common manifest: the target file is the calibration's own section, not the KPI targets
    assert manifest["command"] == "calibrate" and manifest["targets"] is None
    assert manifest["calibrate"]["targets"]["used"] == 2 and manifest["overrides"] == overrides
    assert load_scenario(out / "calibrated_preset.yaml").config.name.startswith(
        "Finland baseline (calibrated"
    )
    assert "employer.initial_trust_mean" in capsys.readouterr().out
    # the folder now holds results: refused without --force, before anything runs
    assert main(args) == 2
    assert "already holds results" in capsys.readouterr().err


def test_calibrate_command_refuses_bad_input_before_running(tmp_path, capsys):
    targets = tmp_path / "t.csv"
    _frame([{"indicator": "enrolmnets"}, {"indicator": "enrolments", "group": "region=mars"}]).to_csv(
        targets, index=False
    )
    base = ["calibrate", "--scenario", str(FI), "--out", str(tmp_path / "o")]
    assert main([*base, "--targets", str(targets), "--param", "worker.enrol_rate_per_year"]) == 2
    err = capsys.readouterr().err
    assert "did you mean enrolments" in err and "region 'mars'" in err
    _frame([{"indicator": "enrolments"}]).to_csv(targets, index=False)
    assert main([*base, "--targets", str(targets), "--param", "worker.no_such_rate"]) == 2
    assert "worker.no_such_rate: no such parameter" in capsys.readouterr().err
    assert (
        main([*base, "--targets", str(targets), "--param", "worker.enrol_rate_per_year", "--reps", "1"]) == 2
    )
    assert not (tmp_path / "o").exists()


# ---------------------------------------------------------------- slow


@pytest.mark.slow
def test_msm_recovers_two_known_parameters():
    """Two behavioural parameters from Vipunen-like counts by age band and awareness shares."""
    overrides = [
        "population.workers=8000",
        "horizon_weeks=52",
        *AWARE,
    ]
    loaded = load_scenario(FI, overrides)
    # (the cost weight is a poor choice here: firms' funds pay most fees, so enrolments flatten above 0.8)
    truth = {"worker.enrol_rate_per_year": 0.5, "diffusion.worker_q": 0.45}
    rows = [
        ("enrolments", 2026, "all"),
        *[("new_learners", 2026, f"age={a}") for a in ("16-29", "30-49", "50+")],
        ("aware_share", 2026, "all"),
        ("aware_share", 2026, "gender=m"),
    ]
    frame = _truth_targets(apply_values(loaded.config, truth), rows, reps=16, jobs=2)
    targets, _ = validate_targets(frame, compile_scenario(loaded.config))
    params = resolve_parameters(loaded, {"worker.enrol_rate_per_year": [0.05, 1.0], "diffusion.worker_q": {}})
    with Runner(2) as runner:
        result = MSM(loaded, params, targets, reps=4, seed=3).fit(runner, n_init=8, max_evals=24)
    for j, p in enumerate(result.parameters):
        assert abs(result.theta[j] - truth[p.key]) <= 0.15 * (p.hi - p.lo), (p.key, result.theta[j])
        assert result.ci_lo[j] <= truth[p.key] <= result.ci_hi[j], p.key
    assert result.identified[0]  # the enrolment rate is pinned down by the enrolment counts
    assert result.p_value > 0.05


def _initial_trust_problem():
    """Firms' acceptance generated at a known initial trust (0.4): what a fit should find again."""
    overrides = ["population.workers=600", "horizon_weeks=52", *AWARE]
    loaded = load_scenario(FI, overrides)
    truth = 0.4
    rows = [("firm_acceptance_rate", 2026, "all")]
    frame = _truth_targets(apply_values(loaded.config, {"employer.initial_trust_mean": truth}), rows, reps=16)
    targets, _ = validate_targets(frame, compile_scenario(loaded.config))
    params = resolve_parameters(loaded, {"employer.initial_trust_mean": {}})
    return loaded, params, targets, truth


@pytest.mark.slow
def test_abc_smc_narrows_the_prior_around_the_truth():
    pytest.importorskip("pyabc")
    loaded, params, targets, truth = _initial_trust_problem()
    with Runner(1) as runner:
        post = MSM(loaded, params, targets, reps=2, seed=5).fit(
            runner, "abc", abc_options={"population": 10, "generations": 2}
        )
    p = params[0]
    prior_sd = (p.hi - p.lo) / np.sqrt(12)
    assert post.method == "abc" and post.extra["abc"]["generations"] == 2
    assert post.ci_lo[0] <= truth <= post.ci_hi[0]
    assert post.se[0] < prior_sd
    assert "posterior" in post.uncertainty_from


@pytest.mark.slow
def test_differential_evolution_finds_the_region_of_the_truth():
    loaded, params, targets, truth = _initial_trust_problem()
    with Runner(1) as runner:
        result = MSM(loaded, params, targets, reps=2, seed=5).fit(runner, "de", max_evals=20)
    assert result.message.startswith("differential evolution")
    assert abs(result.theta[0] - truth) <= 0.15 * (params[0].hi - params[0].lo)
