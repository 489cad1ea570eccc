"""Sweeps: SPEC checks, designs, seeds from identity, failures recorded, kill-and-resume, Dask = local."""

from __future__ import annotations

import json
from concurrent.futures import Executor, Future
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from analysis.cli import main
from analysis.execution import Runner, SequentialExecutor, open_executor
from analysis.sweep import Sweep, execute, run_seed, sweep_command
from analysis.sweep_spec import SpecError, load_spec, point_id
from tests.conftest import REPO, kill_mcsim_when

CA_FUND = REPO / "scenarios" / "fi" / "ca_fund.yaml"
TINY = {"population.workers": 200, "horizon_weeks": 26}


def write_spec(tmp_path: Path, name: str = "spec", **body) -> Path:
    content = {
        "scenario": str(CA_FUND),
        "set": dict(TINY),
        "replications": 2,
        "levers": {
            "funding.instruments[0].eligibility": {
                "name": "eligibility",
                "values": ["True", "firm.size <= 9"],
            }
        },
        "uncertainties": {"employer.trust_weight": {"range": [0.5, 3.0]}},
        "design": {"uncertainties": {"sampler": "latin_hypercube", "samples": 2}},
        "outcomes": ["employer_acceptance_rate", "women_share", "enrolments_cum"],
    }
    content.update(body)
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(content, sort_keys=False), encoding="utf-8")
    return path


def results(out: Path) -> pd.DataFrame:
    return pd.read_parquet(out / "results.parquet").drop(columns=["seconds", "host"])


def sessions(out: Path) -> list[dict]:
    return json.loads((out / "sweep.json").read_text())["sweep"]["sessions"]


# ------------------------------------------------------------------------------ SPEC checks


@pytest.mark.parametrize(
    ("body", "where", "what"),
    [
        ({"replicatoins": 2}, "replicatoins", "unknown key"),
        ({"levers": {"employer.trust_wieght": [1.0, 2.0]}}, "levers.employer.trust_wieght", "unknown key"),
        (
            {"levers": {"funding.instruments[3].fee_coverage": [0.5]}},
            "levers.funding.instruments[3]",
            "does not",
        ),
        ({"levers": {"moderation.assessors": [2.5]}}, "levers.moderation.assessors", "valid integer"),
        (
            {"levers": {"funding.instruments[0].eligibility": ["worker.foo"]}},
            "eligibility",
            "unknown attribute",
        ),
        (
            {"uncertainties": {"employer.trust_weight": {"range": [3, 1]}}},
            "employer.trust_weight.range",
            "low",
        ),
        (
            {"uncertainties": {"fees.multiplier": {"range": "assumption"}}},
            "fees.multiplier.range",
            "assumption",
        ),
        ({"outcomes": ["employer_acceptance"]}, "outcomes[0]", "unknown KPI"),
        (
            {"design": {"uncertainties": {"sampler": "sobol", "samples": 10}}},
            "design.uncertainties.samples",
            "power",
        ),
        (
            {"design": {"uncertainties": {"sampler": "random"}}},
            "design.uncertainties.sampler",
            "expected one of",
        ),
        ({"scenario": "nowhere.yaml"}, "scenario", "does not exist"),
        ({"set": {"population.wokers": 10}}, "set", "population.wokers"),
        ({"replications": 0}, "replications", ">= 1"),
    ],
)
def test_bad_spec_names_file_and_key(tmp_path, capsys, body, where, what):
    spec = write_spec(tmp_path, **body)
    with pytest.raises(SpecError) as err:
        load_spec(spec)
    msg = str(err.value)
    assert msg.startswith(str(spec)) and where in msg and what in msg, msg
    out = tmp_path / "out"
    assert main(["sweep", str(spec), "--out", str(out)]) == 2
    stderr = capsys.readouterr().err
    assert "mcsim: error:" in stderr and where in stderr and "Traceback" not in stderr
    assert not out.exists()


def test_a_spec_may_name_a_bundled_scenario(tmp_path):
    by_name = load_spec(write_spec(tmp_path, "named", scenario="fi/ca_fund"))
    by_path = load_spec(write_spec(tmp_path, "pathed"))
    assert by_name.scenario == CA_FUND.resolve() and by_name.scenario_hash == by_path.scenario_hash


def test_cli_refuses_scheduler_with_local_executor(tmp_path, capsys):
    spec = write_spec(tmp_path)
    code = main(
        ["sweep", str(spec), "--out", str(tmp_path / "o"), "--executor", "local", "--scheduler", "x:1"]
    )
    assert code == 2 and "--scheduler" in capsys.readouterr().err


# ---------------------------------------------------------------------------------- designs


def test_designs_full_factorial_lhs_sobol(tmp_path):
    levers = {
        "funding.instruments[0].eligibility": {"name": "eligibility", "values": ["True", "firm.size <= 9"]},
        "funding.instruments[0].fee_coverage": {"range": [0.5, 1.0]},
    }
    uncs = {
        "employer.trust_weight": {"range": "assumption"},
        "moderation.assessors": {"range": [1, 6]},
    }
    base = {"levers": levers, "uncertainties": uncs}
    ff = load_spec(
        write_spec(
            tmp_path, "ff", **base, design={"levers": {"levels": 3}, "uncertainties": "full_factorial"}
        )
    )
    assert len(ff.points()) == (2 * 3) * (3 * 3)
    lhs = load_spec(
        write_spec(
            tmp_path, "lhs", **base, design={"uncertainties": {"sampler": "latin_hypercube", "samples": 5}}
        )
    )
    sob = load_spec(
        write_spec(tmp_path, "sob", **base, design={"uncertainties": {"sampler": "sobol", "samples": 8}})
    )
    assert len(lhs.points()) == 6 * 5 and len(sob.points()) == 6 * 8
    for spec in (ff, lhs, sob):
        pts = spec.points()
        assert len({p.point_id for p in pts}) == len(pts)
        lo, hi = 0.5, 3.0  # the preset's assumption range for employer.trust_weight
        for p in pts:
            assert lo <= p.values["employer.trust_weight"] <= hi
            assert (
                isinstance(p.values["moderation.assessors"], int)
                and 1 <= p.values["moderation.assessors"] <= 6
            )
            assert p.point_id == point_id(p.values)
    # LHS: each of the 5 strata of the range holds exactly one sample (per policy)
    w = sorted({p.values["employer.trust_weight"] for p in lhs.points()})
    assert len(w) == 5 and sorted(int((v - 0.5) / 2.5 * 5) for v in w) == [0, 1, 2, 3, 4]
    # the design is a pure function of the SPEC: reloading gives the same points and ids
    assert [p.point_id for p in load_spec(lhs.path).points()] == [p.point_id for p in lhs.points()]
    assert {p.policy_id for p in lhs.points()} == {
        p.policy_id
        for p in ff.points()
        if p.values["funding.instruments[0].fee_coverage"] in (0.5, 0.75, 1.0)
    }


def test_a_range_with_a_step_keeps_every_design_on_its_grid(tmp_path):
    spec = load_spec(
        write_spec(
            tmp_path,
            levers={"fees.multiplier": {"name": "fees", "range": [0.5, 1.0], "step": 0.1}},
            uncertainties={"moderation.assessors": {"range": [2, 12], "step": 5}},
            design={"levers": {"levels": 4}, "uncertainties": {"sampler": "latin_hypercube", "samples": 9}},
        )
    )
    fees = spec.levers[0]
    assert fees.levels(4) == [0.5, 0.7, 0.8, 1.0] and fees.levels(20) == [0.5, 0.6, 0.7, 0.8, 0.9, 1.0]
    grid = {p.values["moderation.assessors"] for p in spec.points()}
    assert grid <= {2, 7, 12} and all(isinstance(v, int) for v in grid)
    assert fees.describe()["step"] == 0.1


def test_seeds_come_from_the_runs_identity_not_its_position(tmp_path):
    spec = load_spec(write_spec(tmp_path, "a"))
    sweep = Sweep(spec, tmp_path / "o")
    for t in sweep.tasks:
        assert t.seed == run_seed(spec.seed, spec.scenario_hash, t.point_id, t.rep)
    # one more lever value: the other points keep their ids and seeds
    more = {
        "funding.instruments[0].eligibility": {
            "name": "eligibility",
            "values": ["worker.woman", "True", "firm.size <= 9"],
        }
    }
    bigger = Sweep(load_spec(write_spec(tmp_path, "b", levers=more)), tmp_path / "o2")
    seeds = {(t.point_id, t.rep): t.seed for t in bigger.tasks}
    assert all(seeds[(t.point_id, t.rep)] == t.seed for t in sweep.tasks)
    assert len(set(seeds.values())) == len(seeds)
    crn = load_spec(write_spec(tmp_path, "c", common_random_numbers=True))
    per_rep = {}
    for t in Sweep(crn, tmp_path / "o3").tasks:
        per_rep.setdefault(t.rep, set()).add(t.seed)
    assert all(len(s) == 1 for s in per_rep.values()) and len(per_rep) == 2


# ----------------------------------------------------------------------- running and resuming


def test_failed_runs_are_recorded_and_the_sweep_goes_on_then_resumes(tmp_path, capsys):
    # a fund with neither levy nor budget is refused by the scenario: only in combination
    levers = {
        "funding.instruments[0].levy_rate_of_payroll": {"name": "levy", "values": [0.0, 0.002]},
        "funding.instruments[0].budget_eur_per_year": {"name": "budget", "values": [0.0, 50000.0]},
    }
    spec = write_spec(tmp_path, levers=levers, uncertainties={}, replications=2)
    out = tmp_path / "out"
    assert main(["sweep", str(spec), "--out", str(out)]) == 1
    printed = capsys.readouterr().out
    assert "4 design points x 2 replications = 8 runs" in printed and "6 ok, 2 failed" in printed
    table = results(out)
    assert len(table) == 8 and (table["status"] == "ok").sum() == 6
    failures = pd.read_csv(out / "failures.csv")
    assert len(failures) == 2
    assert (failures["levy"] == 0.0).all() and (failures["budget"] == 0.0).all()
    assert failures["error"].str.contains("needs levy_rate_of_payroll or budget_eur_per_year").all()
    assert table.loc[table["status"] == "failed", "employer_acceptance_rate"].isna().all()
    points = pd.read_csv(out / "points.csv")
    assert len(points) == 4 and sorted(points["reps_ok"]) == [0, 2, 2, 2]

    # delete two finished runs: a rerun does exactly those, and leaves the others untouched
    files = sorted((out / "runs").glob("*.parquet"))
    assert len(files) == 8
    before = {f.name: (f.stat().st_mtime_ns, f.read_bytes()) for f in files}
    gone = [f for f in files if ".failed." not in f.name][:2]
    for f in gone:
        f.unlink()
    assert main(["sweep", str(spec), "--out", str(out)]) == 1
    assert sessions(out)[-1]["ran"] == 2 and sessions(out)[-1]["skipped"] == 6
    for f in (out / "runs").glob("*.parquet"):
        if f not in gone:
            assert (f.stat().st_mtime_ns, f.read_bytes()) == before[f.name]
    pd.testing.assert_frame_equal(results(out), table)
    # nothing missing: nothing run; --retry-failed tries the failed ones again (and they fail again)
    assert main(["sweep", str(spec), "--out", str(out)]) == 1
    assert sessions(out)[-1]["ran"] == 0
    assert main(["sweep", str(spec), "--out", str(out), "--retry-failed"]) == 1
    assert sessions(out)[-1]["ran"] == 2 and sessions(out)[-1]["failed"] == 2


def test_refuses_a_folder_of_other_results_or_another_sweep(tmp_path, capsys):
    other = tmp_path / "other"
    other.mkdir()
    (other / "summary.csv").write_text("precious")
    spec = write_spec(tmp_path, replications=1, uncertainties={})
    assert main(["sweep", str(spec), "--out", str(other)]) == 2
    assert (other / "summary.csv").read_text() == "precious" and "other results" in capsys.readouterr().err
    out = tmp_path / "out"
    assert main(["sweep", str(spec), "--out", str(out)]) == 0
    before = {f.name: f.read_bytes() for f in (out / "runs").iterdir()}
    changed = write_spec(tmp_path, replications=1, uncertainties={}, seed=9)
    assert main(["sweep", str(changed), "--out", str(out)]) == 2
    assert "different sweep (seed was 1, now 9)" in capsys.readouterr().err
    assert {f.name: f.read_bytes() for f in (out / "runs").iterdir()} == before


def test_a_changed_scenario_is_refused_and_more_samples_reuse_finished_runs(tmp_path, capsys):
    variant = tmp_path / "variant.yaml"
    variant.write_text(yaml.safe_dump({"extends": str(CA_FUND), "name": "variant"}))
    design = {"uncertainties": {"sampler": "sobol", "samples": 2}}
    spec = write_spec(tmp_path, scenario=str(variant), replications=1, design=design)
    out = tmp_path / "out"
    assert main(["sweep", str(spec), "--out", str(out)]) == 0
    first = {f.name: f.read_bytes() for f in (out / "runs").glob("*.parquet")}
    assert len(first) == 4
    # twice the Sobol points: the first ones are the same points, so their runs are reused
    more = write_spec(
        tmp_path,
        scenario=str(variant),
        replications=1,
        design={"uncertainties": {"sampler": "sobol", "samples": 4}},
    )
    assert main(["sweep", str(more), "--out", str(out)]) == 0
    assert sessions(out)[-1]["skipped"] == 4 and sessions(out)[-1]["ran"] == 4
    assert all((out / "runs" / name).read_bytes() == data for name, data in first.items())
    # the scenario's content changes: the folder holds another sweep now
    variant.write_text(
        yaml.safe_dump({"extends": str(CA_FUND), "name": "variant", "fees": {"multiplier": 1.5}})
    )
    assert main(["sweep", str(more), "--out", str(out)]) == 2
    assert "scenario_hash was" in capsys.readouterr().err


class _Flaky(Executor):
    """Loses every other run, as a dying worker would."""

    def __init__(self):
        self.n = 0

    def submit(self, fn, /, *args, **kwargs):
        fut: Future = Future()
        self.n += 1
        if self.n % 2:
            fut.set_exception(OSError("worker died"))
        else:
            fut.set_result(fn(*args, **kwargs))
        return fut


def test_runs_lost_by_the_executor_are_not_written_and_are_done_on_rerun(tmp_path):
    spec = load_spec(write_spec(tmp_path, replications=1, uncertainties={}))
    sweep = Sweep(spec, tmp_path / "o")
    sweep.prepare()
    sweep.run(Runner(pool=_Flaky()))
    assert sweep.report.lost == 1 and sweep.report.ok == 1 and not sweep.report.complete
    assert len(list((tmp_path / "o" / "runs").glob("*.parquet"))) == 1
    on_disk = []
    sweep.run(
        Runner(pool=SequentialExecutor()),
        on_progress=lambda r: on_disk.append((r.ok, len(list(sweep.runs_dir.iterdir())))),
    )
    assert sweep.report.ran == 1 and sweep.report.complete
    sweep.release()
    assert len(sweep.combine()) == 2
    assert on_disk == [(0, 1), (1, 2)]
    # each run is on disk as soon as it is done, before the next one starts
    fresh = Sweep(spec, tmp_path / "fresh")
    fresh.prepare()
    seen = []
    fresh.run(
        Runner(pool=SequentialExecutor()),
        on_progress=lambda r: seen.append((r.ok, len(list(fresh.runs_dir.iterdir())))),
    )
    fresh.release()
    assert seen == [(0, 0), (1, 1), (2, 2)]


def test_a_killed_sweep_restarts_with_only_the_missing_runs(tmp_path):
    spec = write_spec(
        tmp_path,
        replications=2,
        design={"uncertainties": {"sampler": "latin_hypercube", "samples": 5}},
    )
    out = tmp_path / "out"
    planned = 2 * 5 * 2
    runs = out / "runs"
    finished = kill_mcsim_when(["sweep", str(spec), "--out", str(out)], runs, 5, timeout=60)
    assert 5 <= len(finished) < planned
    for name in finished:  # every finished file is whole
        assert len(pd.read_parquet(runs / name)) == 1, name
    assert main(["sweep", str(spec), "--out", str(out)]) == 0
    last = sessions(out)[-1]
    assert last["skipped"] == len(finished) and last["ran"] == planned - len(finished)
    for name, stamp in finished.items():
        f = runs / name
        assert (f.stat().st_mtime_ns, f.read_bytes()) == stamp
    assert not list(runs.glob(".*.tmp"))
    table = results(out)
    assert len(table) == planned and (table["status"] == "ok").all()


def test_local_processes_and_dask_give_identical_results(tmp_path, dask_cluster):
    spec = write_spec(tmp_path, replications=2)
    outs = {}
    for label, kwargs in {
        "sequential": {},
        "processes": {"jobs": 2},
        "dask": {"executor": "dask", "scheduler": dask_cluster.scheduler_address},
    }.items():
        outs[label] = tmp_path / label
        assert sweep_command(spec, outs[label], **kwargs) == 0
    ref = results(outs["sequential"])
    assert len(ref) == 8 and ref["status"].eq("ok").all()
    assert ref["enrolments_cum"].gt(0).any()
    for label in ("processes", "dask"):
        pd.testing.assert_frame_equal(results(outs[label]), ref, check_exact=True)
    assert sessions(outs["dask"])[-1]["executor"] == "dask"


def test_dask_local_cluster_when_no_scheduler_is_given(tmp_path):
    pytest.importorskip("distributed")
    spec = load_spec(write_spec(tmp_path, replications=1, uncertainties={}))
    sweep = Sweep(spec, tmp_path / "o")
    sweep.prepare()
    with open_executor("dask", None, 1) as ex:
        assert type(ex).__name__ == "ClientExecutor"
        sweep.run(Runner(pool=ex))
    sweep.release()
    assert sweep.report.ok == 2
    direct = execute(sweep.tasks[0])
    saved = pd.read_parquet(tmp_path / "o" / "runs" / f"{sweep.tasks[0].stem}.parquet")
    assert np.isclose(saved["enrolments_cum"].iloc[0], direct["enrolments_cum"], rtol=0, atol=0)
