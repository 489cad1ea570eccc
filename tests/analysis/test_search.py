"""mcsim search: bad SPECs refused before any run, the front, a known answer, resume after a kill,
local = Dask, and chosen points compared in the search's own worlds."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from analysis.cli import main
from analysis.execution import Runner
from analysis.scenario_files import write_policy_scenario
from analysis.search import LeverSpace, Search, non_dominated, search_command
from analysis.search_eval import candidate_id, wilson_interval
from analysis.search_outcomes import RUN_COSTS, micro_firm_funded_learners
from analysis.search_report import lever_effects, lever_limits
from analysis.search_spec import load_search_spec
from analysis.sweep_spec import SpecError
from model.params import load_scenario, override_text
from tests.conftest import REPO, kill_mcsim_when

FI = REPO / "scenarios" / "fi" / "baseline.yaml"
FI_WOMEN = REPO / "scenarios" / "fi" / "women_in_automotive.yaml"
FEES = [0.25, 0.5, 0.75, 1.0]
OUTREACH = [1, 4, 10]


def write_spec(folder: Path, name: str = "spec", **body) -> Path:
    """A small search over two levers on a grid (fees and SME outreach, both priced) in 3 worlds."""
    content = {
        "scenario": str(FI),
        "seed": 1,
        "set": {"population.workers": 300, "horizon_weeks": 52},
        "levers": {
            "fees.multiplier": {"name": "fees", "values": FEES},
            "outreach.smes.p_multiplier": {"name": "sme_outreach", "values": OUTREACH},
        },
        "costs": {
            "stated": [
                {"lever": "fees", "eur_per_unit": 300000, "below": 1.0},
                {"lever": "sme_outreach", "eur_per_unit": 20000, "above": 1, "per_year": True},
            ]
        },
        "targets": ["enrolments_cum>=60"],
        "robustness": {"worlds": 3, "replications": 1, "required_share": 0.6},
        "optimiser": {"population": 6, "generations": 3},
    }
    content.update(body)
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(content, sort_keys=False), encoding="utf-8")
    return path


def dominated(point: np.ndarray, others: np.ndarray) -> bool:
    """Whether a row of ``others`` is at least as good on every objective and better on one (minimised)."""
    return bool((np.all(others <= point, axis=1) & np.any(others < point, axis=1)).any())


def front_of(out: Path) -> pd.DataFrame:
    return pd.read_csv(out / "pareto.csv")


def sessions(out: Path) -> list[dict]:
    return json.loads((out / "search.json").read_text())["search"]["sessions"]


@pytest.fixture(scope="module")
def searched(tmp_path_factory) -> Path:
    """One finished small search, shared by the tests that only read its results."""
    folder = tmp_path_factory.mktemp("searched")
    out = folder / "out"
    assert search_command(write_spec(folder), out) == 0
    return out


# ------------------------------------------------------------------------------- bad input


def _cost(**item) -> dict:
    return {"costs": {"stated": [item]}}


def _lever(key: str, **body) -> dict:
    return {"levers": {key: body}}


@pytest.mark.parametrize(
    ("body", "where", "what"),
    [
        ({"worldz": 3}, "worldz", "unknown key"),
        ({"levers": {"employer.trust_wieght": [1.0, 2.0]}}, "levers.employer.trust_wieght", "unknown key"),
        (_lever("fees.multiplier", range=[0.5, 0.2]), "levers.fees.multiplier.range", "low < high"),
        (_lever("moderation.sampling_rate", range=[0.1, 1.5]), "levers.moderation.sampling_rate", "1.5"),
        (_lever("fees.multiplier", range=[0.5, 1.0], step=0.7), "fees.multiplier.step", "step"),
        ({"levers": {}}, "levers", "at least one lever"),
        ({"targets": ["women_sahre>=0.1"]}, "targets[0]", "unknown KPI"),
        ({"targets": ["women_share>=1.2"]}, "targets[0]", "can never be met"),
        ({"targets": ["enrolments_cum<=-5"]}, "targets[0]", "can never be met"),
        ({"targets": ["women_share=0.1"]}, "targets[0]", "expected KPI>=VALUE"),
        (_cost(lever="fees", eur_per_unit=-5), "costs.stated[0].eur_per_unit", ">= 0"),
        (_cost(lever="fees", eur_per_unit="a lot"), "costs.stated[0].eur_per_unit", "euros"),
        (_cost(lever="budget", eur_per_unit=5), "costs.stated[0].lever", "not a lever"),
        (_cost(outcome="women_share", eur_per_unit=5), "costs.stated[0].outcome", "ratio"),
        (_cost(lever="fees"), "costs.stated[0]", "eur_per_unit"),
        ({"costs": {"run": ["spend_per_credential_eur"]}}, "costs.run[0]", "public money"),
        ({"robustness": {"required_share": 1.5}}, "robustness.required_share", "(0, 1]"),
        ({"robustness": {"worlds": 1}}, "robustness.worlds", ">= 2"),
        ({"optimiser": {"algorithm": "ga"}}, "optimiser.algorithm", "nsga2"),
        ({"quick": {"worlds": 0}}, "quick.worlds", ">= 2"),
        ({"outcomes": ["womens_share"]}, "outcomes[0]", "unknown KPI"),
        ({"set": {"population.wokers": 10}}, "set", "population.wokers"),
    ],
)
def test_bad_spec_is_refused_before_any_run(tmp_path, capsys, body, where, what):
    spec = write_spec(tmp_path, **body)
    out = tmp_path / "out"
    assert main(["search", str(spec), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert str(spec) in err and where in err and what in err, err
    assert "Traceback" not in err
    assert not out.exists()  # nothing ran, nothing was written


def test_a_world_the_scenario_refuses_is_refused_before_any_run(tmp_path, capsys):
    """An assumption range wider than the schema allows (a count of 0) stops the search at once."""
    scenario = tmp_path / "narrow.yaml"
    scenario.write_text(
        yaml.safe_dump(
            {
                "extends": str(FI),
                "name": "range wider than the schema",
                "flows": {"max_open_vacancies": {"value": 1, "assumption": "x", "range": [0, 1]}},
            }
        )
    )
    spec = write_spec(tmp_path, scenario=str(scenario), robustness={"worlds": 6, "required_share": 0.5})
    out = tmp_path / "out"
    assert main(["search", str(spec), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "robustness.worlds" in err and "flows.max_open_vacancies" in err and "set:" in err, err
    assert not out.exists()


def test_a_cost_per_unit_of_a_rule_is_refused(tmp_path):
    spec = write_spec(
        tmp_path,
        levers={"providers[0].delivery": {"name": "delivery", "values": ["classroom", "hybrid"]}},
        costs={"stated": [{"lever": "delivery", "eur_per_unit": 10}]},
    )
    with pytest.raises(SpecError, match=r"costs.stated\[0\].lever: lever delivery takes"):
        load_search_spec(spec)


def test_a_folder_of_another_search_is_refused_and_kept(searched, tmp_path, capsys):
    other = write_spec(tmp_path, set={"population.workers": 310, "horizon_weeks": 52})
    before = sorted(p.name for p in (searched / "runs").iterdir())
    assert main(["search", str(other), "--out", str(searched)]) == 2
    assert "different search" in capsys.readouterr().err
    assert sorted(p.name for p in (searched / "runs").iterdir()) == before


# ------------------------------------------------------------------------------- the pieces


def test_non_dominated_keeps_exactly_the_undominated_rows():
    f = np.array([[1.0, -0.2], [2.0, -0.5], [2.0, -0.4], [3.0, -0.5], [0.5, 0.0], [1.0, -0.2]])
    assert non_dominated(f).tolist() == [True, True, False, False, True, True]


def test_wilson_interval_holds_the_share_and_narrows_with_more_worlds():
    lo8, hi8 = wilson_interval(6, 8)
    lo80, hi80 = wilson_interval(60, 80)
    assert lo8 < 0.75 < hi8 and lo80 < 0.75 < hi80
    assert hi80 - lo80 < hi8 - lo8
    assert wilson_interval(8, 8)[1] == 1.0 and wilson_interval(0, 8)[0] == 0.0


def test_stated_costs_count_units_years_and_sittings(tmp_path):
    spec = load_search_spec(
        write_spec(
            tmp_path,
            levers={
                "fees.multiplier": {"name": "fees", "range": [0.5, 1.0], "step": 0.25},
                "outreach.smes.p_multiplier": {"name": "sme_outreach", "values": [1, 4]},
                "moderation.sitting_interval_days": {"name": "sitting", "values": [14, 28]},
            },
            costs={
                "stated": [
                    {"lever": "fees", "eur_per_unit": 1000, "below": 1.0},
                    {"lever": "sme_outreach", "eur_per_unit": 100, "above": 1, "per_year": True},
                    {"lever": "sitting", "eur_per_sitting": 10},
                    {"outcome": "funnel_aware", "eur_per_unit": 2},
                ]
            },
        )
    )
    fees, outreach, sittings, reach = spec.stated_costs
    values = {"fees.multiplier": 0.5, "outreach.smes.p_multiplier": 4, "moderation.sitting_interval_days": 14}
    weeks = spec.horizon_weeks  # 52
    assert fees.for_policy(values, weeks) == pytest.approx(500.0)
    assert outreach.for_policy(values, weeks) == pytest.approx(300.0 * 52 * 7 / 365.25)
    assert sittings.for_policy(values, weeks) == pytest.approx(10 * 52 * 7 / 14)
    assert reach.for_policy(values, weeks) == 0.0 and reach.for_run({"funnel_aware": 50.0}) == 100.0
    assert fees.for_policy({**values, "fees.multiplier": 1.0}, weeks) == 0.0


def test_lever_space_covers_choices_grids_integers_and_reals(tmp_path):
    spec = load_search_spec(
        write_spec(
            tmp_path,
            levers={
                "fees.multiplier": {"name": "fees", "range": [0.5, 1.0], "step": 0.1},
                "outreach.smes.p_multiplier": {"name": "sme", "range": [1.0, 3.0]},
                "moderation.assessors": {"name": "assessors", "range": [1, 6]},
                "moderation.required": {"name": "moderated", "values": [False, True]},
            },
            costs={},
        )
    )
    space = LeverSpace(spec.levers)
    kinds = {name: type(v).__name__ for name, v in space.variables().items()}
    assert kinds == {"fees": "Integer", "sme": "Real", "assessors": "Integer", "moderated": "Choice"}
    assert space.variables()["fees"].bounds == (0, 5)
    decoded = space.decode({"fees": np.int64(3), "sme": np.float64(2.5), "assessors": 4, "moderated": 1})
    assert decoded == {
        "fees.multiplier": 0.8,
        "outreach.smes.p_multiplier": 2.5,
        "moderation.assessors": 4,
        "moderation.required": True,
    }
    assert candidate_id(decoded) == candidate_id(dict(decoded))
    assert [spec.levers[0].on_grid(k) for k in range(6)] == [0.5, 0.6, 0.7, 0.8, 0.9, 1.0]


def test_policy_scenario_files_read_back_as_the_overrides(tmp_path):
    overrides = {
        override_text("funding.instruments[0].budget_eur_per_year", 300000): "lever: a",
        override_text("flows.inflows[1].outreach_to_women", True): "lever: b",
        override_text("flows.inflows[0].weeks", [20, 21]): "lever: c",
        override_text("population.workers", 700): "constant",
    }
    path = write_policy_scenario(
        tmp_path / "p" / "point.yaml", FI_WOMEN, overrides, name="P", description="d"
    )
    text = yaml.safe_load(path.read_text())
    assert text["funding"]["instruments"] == [
        {"id": "women_priority", "budget_eur_per_year": {"value": 300000.0, "source": "lever: a"}}
    ]
    written = load_scenario(path)
    assert written.provenance["flows.inflows[1].outreach_to_women"].kind == "lever"
    assert written.provenance["population.workers"].kind == "source"
    expected = load_scenario(FI_WOMEN, list(overrides)).config.model_dump(mode="json")
    got = written.config.model_dump(mode="json")
    for k in ("name", "description", "preset"):
        expected.pop(k), got.pop(k)
    assert got == expected


def test_levers_that_move_with_robustness_are_named_and_a_binding_range_is_flagged():
    front = pd.DataFrame(
        {
            "budget": [100.0, 300.0, 500.0, 500.0],
            "rule": ["a", "a", "b", "b"],
            "flat": [2.0, 2.0, 2.0, 2.0],
            "expected_cost_eur": [1.0, 2.0, 3.0, 4.0],
            "share_worlds_meeting_all": [0.25, 0.5, 0.75, 0.875],
        }
    )
    evaluations = front.assign(status="ok")
    limits = lever_limits(
        [
            {"name": "budget", "range": [0, 520], "step": 100},
            {"name": "rule", "values": ["a", "b"]},
            {"name": "flat", "values": [1.0, 2.0]},
        ]
    )
    assert limits == {"budget": (0.0, 500.0), "flat": (1.0, 2.0)}
    effects = lever_effects(evaluations, front, ["flat", "rule", "budget"], limits).set_index("lever")
    assert effects.loc["budget", "front_association"] > 0.5 and effects.loc["budget", "at_limit"]
    assert effects.loc["rule", "front_association"] > 0.5 and not effects.loc["rule", "at_limit"]
    assert "b at the robust end" in effects.loc["rule", "verdict"]
    assert effects.loc["flat", "verdict"].startswith("the same") and not effects.loc["flat", "at_limit"]
    wider = lever_effects(evaluations, front, ["budget"], {"budget": (0.0, 1000.0)})
    assert not wider["at_limit"].iloc[0]


def test_micro_firm_learners_come_from_the_funders_breakdown():
    breakdown = pd.DataFrame(
        {
            "instrument": ["a", "a", "b", "a", "b"],
            "dimension": ["firm_size", "firm_size", "firm_size", "gender", "firm_size"],
            "group": ["1-5", "10-49", "6-9", "women", "no firm (jobseeker)"],
            "learners": [10.0, 7.0, 3.0, 99.0, 5.0],
        }
    )

    class Out:
        pass

    out = Out()
    out.breakdown = breakdown
    assert micro_firm_funded_learners(out) == 13.0
    out.breakdown = breakdown.iloc[0:0]
    assert micro_firm_funded_learners(out) == 0.0


# ------------------------------------------------------------------------------- the search


def test_the_front_is_non_dominated_and_the_answer_is_on_it(searched):
    evaluations = pd.read_parquet(searched / "evaluations.parquet")
    front = front_of(searched)
    ok = evaluations[evaluations["status"] == "ok"]
    assert len(ok) >= 6 and len(front) >= 2
    f_front = np.column_stack([front["expected_cost_eur"], -front["share_worlds_meeting_all"]])
    f_all = np.column_stack([ok["expected_cost_eur"], -ok["share_worlds_meeting_all"]])
    for i, point in enumerate(f_front):  # no candidate evaluated dominates a front point
        assert not dominated(point, f_all), front.iloc[i]
    off = ok[~ok["candidate_id"].isin(front["candidate_id"])]
    for _, row in off.iterrows():  # and every candidate off the front is dominated by a front point
        assert dominated(np.array([row["expected_cost_eur"], -row["share_worlds_meeting_all"]]), f_front)
    assert front["expected_cost_eur"].is_monotonic_increasing
    assert front["share_worlds_meeting_all"].is_monotonic_increasing
    meeting = ok[ok["share_worlds_meeting_all"] >= 0.6]
    if not meeting.empty:
        best = front[front["cheapest_meeting"]]
        assert len(best) == 1 and best["expected_cost_eur"].iloc[0] == meeting["expected_cost_eur"].min()
    for col in ("fees", "sme_outreach", "share_worlds_meeting_enrolments_cum", "enrolments_cum_q95"):
        assert col in front
    assert (front["share_worlds_meeting_all_lo"] <= front["share_worlds_meeting_all"]).all()


def test_nsga3_with_the_deadweight_objective_gives_a_three_objective_front(tmp_path):
    spec = write_spec(
        tmp_path,
        scenario=str(REPO / "scenarios" / "fi" / "ca_fund.yaml"),
        set={"population.workers": 200, "horizon_weeks": 26},
        levers={
            "funding.instruments[0].fee_coverage": {"name": "coverage", "range": [0.5, 1.0]},
            "funding.instruments[0].eligibility": {
                "name": "rule",
                "values": ["firm.ca_covered", "firm.ca_covered and firm.size <= 9", "True"],
            },
        },
        costs={},
        targets=["enrolments_cum>=50"],
        robustness={"worlds": 2, "replications": 1, "required_share": 0.5},
        objectives={"deadweight": True},
        optimiser={"algorithm": "nsga3", "population": 5, "generations": 2},
    )
    out = tmp_path / "out"
    assert search_command(spec, out) == 0
    evaluations = pd.read_parquet(out / "evaluations.parquet")
    ok = evaluations[evaluations["status"] == "ok"]
    assert len(ok) >= 5 and "mean_deadweight_share" in ok and "deadweight_share_mean" in ok
    f = np.column_stack(
        [
            ok["expected_cost_eur"],
            -ok["share_worlds_meeting_all"],
            ok["mean_deadweight_share"].fillna(0.0),  # nobody funded: no deadweight
        ]
    )
    for i, on_front in enumerate(ok["on_front"]):  # on the front exactly when nothing dominates it
        assert on_front == (not dominated(f[i], f)), ok.iloc[i]
    assert (
        json.loads((out / "search.json").read_text())["search"]["objectives"][-1] == "mean_deadweight_share"
    )


def test_search_json_is_the_common_manifest_with_the_search_section(searched):
    meta = json.loads((searched / "search.json").read_text())
    assert meta["command"] == "search" and meta["engine"] == "vector"
    assert meta["dependencies"]["pymoo"] != "not installed"
    assert meta["targets"]["enrolments_cum"]["op"] == ">="
    assert len(meta["seeds"]) == 3  # every candidate shares these run seeds
    section = meta["search"]
    assert section["robustness"]["worlds"] == 3 and section["sessions"][-1]["complete"]
    assert section["sessions"][-1]["runs_ran"] == 3 * section["result"]["candidates"]
    assert section["worlds_sampled"]  # the scenario's assumption ranges, as --ensemble samples them
    html = (searched / "report.html").read_text()
    assert "search-front" in html and "Which levers matter along the front" in html


def test_the_search_finds_the_true_cheapest_point_of_a_grid(tmp_path):
    """Two levers on a 4 x 3 grid: every point evaluated, the answer by enumeration, then the search."""
    out = tmp_path / "out"
    spec = load_search_spec(write_spec(tmp_path, "enumerate"))
    search = Search(spec, out).prepare()
    grid = [{"fees.multiplier": a, "outreach.smes.p_multiplier": b} for a in FEES for b in OUTREACH]
    search.evaluator.evaluate(grid, Runner())
    search.release()
    runs = search.evaluator.runs_table([candidate_id(v) for v in grid])
    enrolments = runs.groupby(["candidate_id", "world"])["enrolments_cum"].mean().unstack()
    cost = {
        candidate_id(v): sum(c.for_policy(v, spec.horizon_weeks) for c in spec.stated_costs)
        + runs[runs["candidate_id"] == candidate_id(v)][list(RUN_COSTS)].sum(axis=1).mean()
        for v in grid
    }

    def brute_force(threshold: float) -> str | None:
        share = (enrolments >= threshold).mean(axis=1)
        feasible = [c for c in share.index if share[c] >= 0.6]
        return min(feasible, key=lambda c: (cost[c], -share[c])) if feasible else None

    cheapest_overall = min(cost, key=cost.get)
    thresholds = sorted(set(enrolments.to_numpy().ravel()) - {0.0})
    chosen = next(t for t in thresholds if brute_force(t) not in (None, cheapest_overall))
    answer = brute_force(chosen)
    spec_path = write_spec(
        tmp_path,
        "search",
        targets=[f"enrolments_cum>={float(chosen)!r}"],
        optimiser={"population": 6, "generations": 5},
    )
    assert search_command(spec_path, out) == 0  # the same worlds and runs: nothing runs again
    assert sessions(out)[-1]["runs_ran"] == 0
    front = front_of(out)
    best = front[front["cheapest_meeting"]]
    assert best["candidate_id"].tolist() == [answer]
    assert best["expected_cost_eur"].iloc[0] == pytest.approx(cost[answer])


def test_a_killed_search_resumes_without_rerunning_finished_candidates(searched, tmp_path):
    spec = write_spec(tmp_path)  # the same search as the fixture's
    out = tmp_path / "out"
    runs = out / "runs"
    finished = kill_mcsim_when(["search", str(spec), "--out", str(out)], runs, 7)
    total = len(list((searched / "runs").glob("*.parquet")))
    assert 7 <= len(finished) < total
    assert main(["search", str(spec), "--out", str(out)]) == 0
    last = sessions(out)[-1]
    assert last["runs_reused"] == len(finished) and last["runs_ran"] == total - len(finished)
    for name, stamp in finished.items():  # finished runs are neither run again nor rewritten
        f = runs / name
        assert (f.stat().st_mtime_ns, f.read_bytes()) == stamp
    pd.testing.assert_frame_equal(front_of(out), front_of(searched))  # as if never killed


@pytest.mark.slow
def test_local_processes_and_dask_give_the_same_front(searched, tmp_path, dask_cluster):
    spec = write_spec(tmp_path)
    timing = ["seconds", "host"]
    reference = pd.read_parquet(searched / "runs.parquet").drop(columns=timing)
    for label, kwargs in {
        "processes": {"jobs": 2},
        "dask": {"executor": "dask", "scheduler": dask_cluster.scheduler_address},
    }.items():
        out = tmp_path / label
        assert search_command(spec, out, **kwargs) == 0
        pd.testing.assert_frame_equal(front_of(out), front_of(searched), check_exact=True)
        runs = pd.read_parquet(out / "runs.parquet").drop(columns=timing)
        pd.testing.assert_frame_equal(runs, reference, check_exact=True)
    assert sessions(tmp_path / "dask")[-1]["executor"] == "dask"


def test_chosen_points_compare_in_the_worlds_of_the_search(searched, tmp_path, capsys):
    """compare --ensemble on the written points runs them in the search's worlds with its seeds."""
    workshop = searched / "pareto" / "workshop.yaml"
    listed = yaml.safe_load(workshop.read_text())["workshop"]["scenarios"]
    assert listed[0] == "base.yaml" and len(listed) >= 2
    out = tmp_path / "cmp"
    args = ["compare", str(workshop), "--reps", "1", "--engine", "vector", "--no-deadweight", "--report"]
    args += ["--ensemble", "3", "--ensemble-reps", "1", "--seed", "1", "--out", str(out)]
    assert main(args) == 0
    capsys.readouterr()
    ensemble = pd.read_csv(out / "ensemble_runs.csv")
    front = front_of(searched)
    runs = pd.read_parquet(searched / "runs.parquet")
    for name in listed[1:]:
        cid = front.loc[front["scenario_file"] == f"pareto/{name}", "candidate_id"].iloc[0]
        mine = runs[runs["candidate_id"] == cid].sort_values("world")
        theirs = ensemble[ensemble["scenario"] == f"pareto/{Path(name).stem}"].sort_values("member")
        for kpi in ("enrolments_cum", "public_spend_eur", "credentials_issued"):
            assert theirs[kpi].tolist() == mine[kpi].tolist(), (name, kpi)
    html = (out / "report.html").read_text()
    assert "search-front" in html and "compared in this report" in html
