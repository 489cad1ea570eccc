"""The workshop funnel (aware → enrolled → issued → accepted) and time to target (DESIGN §3)."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from analysis.cards import status
from analysis.cli import main
from analysis.numbers import format_number
from analysis.report import report_from_dir
from analysis.targets import Target, time_to_target, weeks_to_target
from model.api import simulate
from model.events import COLUMNS, Event
from model.kpis import FUNNEL, _accepting_at, funnel
from model.params import load_scenario
from tests.conftest import FI, REPO

AT_LEAST_10 = Target(">=", 0.10, "test")
FUNNEL_COLUMNS = [f"funnel_{s}" for s in FUNNEL]


@pytest.mark.parametrize(
    ("series", "weeks"),
    [
        ([0.2, 0.3, 0.15], 0.0),  # met throughout, from week 0 (weeks as on the charts' axis)
        ([0.0, 0.05, 0.1, 0.2], 2.0),  # reached in week 2 and held (the bound counts)
        ([0.5, 0.05, 0.12, 0.11], 2.0),  # an early spike that is lost does not count
        ([0.2, 0.3, 0.05], np.nan),  # lost at the end: not reached
        ([np.nan, np.nan, 0.2], 2.0),  # no learners yet is not meeting the target
        ([], np.nan),
    ],
)
def test_weeks_to_target_counts_the_week_it_is_reached_and_held(series, weeks):
    got = weeks_to_target(np.array(series, dtype=float), AT_LEAST_10)
    assert (np.isnan(got) and np.isnan(weeks)) or got == weeks


def test_weeks_to_target_for_an_upper_bound():
    assert weeks_to_target(np.array([90.0, 70.0, 50.0, 40.0]), Target("<=", 60.0, "days")) == 2.0


def _events(rows: list[tuple[int, Event, int]]) -> pd.DataFrame:
    data = {c: np.full(len(rows), -1, dtype=t) for c, t in COLUMNS.items()}
    data["step"] = np.array([r[0] for r in rows], dtype=np.int32)
    data["kind"] = np.array([int(r[1]) for r in rows], dtype=np.int8)
    data["firm"] = np.array([r[2] for r in rows], dtype=np.int32)
    return pd.DataFrame(data)


def test_acceptance_state_is_read_from_the_log_at_each_step():
    ev = _events(
        [(2, Event.ACCEPTED, 7), (5, Event.WITHDRAWN, 7), (9, Event.ACCEPTED, 7), (1, Event.ACCEPTED, 3)]
    )
    firm = np.array([7, 7, 7, 7, 7, 3, 3, 4])
    step = np.array([1, 2, 4, 5, 12, 0, 1, 50])
    expected = [False, True, True, False, True, False, True, False]
    assert _accepting_at(ev, firm, step).tolist() == expected


def test_acceptance_counts_as_the_employer_stood_when_the_credential_was_issued():
    """Issuance (phase 9) comes before trust (phase 10): a stance taken later that week is too late."""
    rows = [
        (3, Event.ACCEPTED, 7),  # firm 7 accepts from week 3 ...
        (10, Event.ISSUED, 7),  # ... so worker 0's credential in week 10 is accepted,
        (10, Event.WITHDRAWN, 7),  # even though firm 7 withdraws later in week 10
        (12, Event.ISSUED, 8),  # worker 1's firm accepts only later in week 12: not accepted
        (12, Event.ACCEPTED, 8),
    ]
    ev = _events(rows)
    ev.loc[ev["kind"] == int(Event.ISSUED), "worker"] = [0, 1]
    for kind in (Event.WORKER_AWARE, Event.ENROLLED):
        extra = _events([(1, kind, -1), (1, kind, -1)])
        extra["worker"] = [0, 1]
        ev = pd.concat([ev, extra], ignore_index=True)
    assert funnel(ev, 1.0) == {
        "funnel_aware": 2.0,
        "funnel_enrolled": 2.0,
        "funnel_issued": 2.0,
        "funnel_accepted": 1.0,
    }


def _small(*extra: str):
    over = ["population.workers=1500", "horizon_weeks=156", *extra]
    return load_scenario(FI, over).config


def test_funnel_never_widens_and_is_the_same_in_both_engines():
    cfg = _small("moderation.required=true", "population.workers=300")
    for seed in range(3):
        vec = simulate(cfg, seed, "vector", deadweight=False).whole
        mesa = simulate(cfg, seed, "mesa", deadweight=False).whole
        stages = [vec[c] for c in FUNNEL_COLUMNS]
        assert all(a >= b for a, b in zip(stages, stages[1:], strict=False)), stages
        assert stages[2] > 0  # the run got as far as credentials
        assert [mesa[c] for c in FUNNEL_COLUMNS] == stages


def test_moderation_widens_the_accepted_end_of_the_funnel():
    """Moderated credentials earn employers' trust (L435), so more holders meet an accepting employer."""
    off, on = (
        _small("moderation.required=false"),
        _small("moderation.required=true", "moderation.assessors=8"),
    )
    accepted = {
        name: sum(simulate(cfg, s, "vector", deadweight=False).whole["funnel_accepted"] for s in range(4))
        for name, cfg in (("off", off), ("on", on))
    }
    assert accepted["on"] > accepted["off"]


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    """One small comparison with the report, an ensemble and targets set on the command line."""
    out = tmp_path_factory.mktemp("targets") / "out"
    scenarios = [
        str(REPO / "scenarios/fi/baseline.yaml"),
        str(REPO / "scenarios/fi/women_in_automotive.yaml"),
        str(REPO / "scenarios/fi/moderation_required.yaml"),
    ]
    small = ["--set", "population.workers=600", "--set", "horizon_weeks=156"]
    targets = ["--target", "employer_acceptance_rate>=0.2", "--target", "women_share>=0.05"]
    args = ["compare", *scenarios, "--reps", "3", "--no-deadweight", "--out", str(out), "--report", *small]
    assert main([*args, *targets, "--ensemble", "3", "--ensemble-reps", "1"]) == 0
    return out


def test_compare_writes_the_funnel_and_time_to_target(compared):
    funnel = pd.read_csv(compared / "funnel.csv")
    assert set(funnel["stage"]) == set(FUNNEL)
    assert funnel.groupby("scenario")["mean"].apply(lambda m: m.is_monotonic_decreasing).all()
    ttt = pd.read_csv(compared / "time_to_target.csv")
    assert ttt["reached_share"].between(0, 1).all()
    reached = ttt.dropna(subset=["weeks_median"])
    assert (reached["weeks_median"].between(0, 155)).all()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("bogus>=1", "unknown KPI 'bogus'"),
        ("women_share>0.1", "expected KPI>=VALUE or KPI<=VALUE"),
        ("women_share>=lots", "expected KPI>=VALUE or KPI<=VALUE"),
        ("women_share>=1e999", "finite number"),
    ],
)
def test_bad_targets_are_refused_before_anything_runs(tmp_path, capsys, text, expected):
    out = tmp_path / "out"
    code = main(
        [
            "compare",
            str(REPO / "scenarios/fi/baseline.yaml"),
            "--reps",
            "1",
            "--out",
            str(out),
            "--target",
            text,
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and expected in err and "Traceback" not in err
    assert not out.exists() and not (tmp_path / "out.partial").exists()


def test_a_flow_target_is_met_by_its_total_since_the_start():
    kpis = pd.DataFrame(
        {"scenario": "s", "rep": 0, "step": range(5), "credentials_issued": [3.0, 3, 3, 0, 3]}
    )
    per_run = time_to_target(kpis, {"credentials_issued": Target(">=", 9.0, "test")})
    assert per_run["weeks"].tolist() == [2.0]  # totals 3, 6, 9, 9, 12


def test_targets_set_on_the_command_line_reach_every_output(compared):
    out = compared
    meta = json.loads((out / "manifest.json").read_text())
    assert meta["targets"]["employer_acceptance_rate"]["value"] == 0.2
    assert meta["targets"]["women_share"]["value"] == 0.05  # replaces the evidence's 0.10
    ttt = pd.read_csv(out / "time_to_target.csv")
    assert set(ttt["kpi"]) == {"employer_acceptance_rate", "women_share"}
    worlds = pd.read_csv(out / "ensemble_targets.csv")
    assert set(worlds["kpi"]) == {"employer_acceptance_rate", "women_share"}
    assert set(worlds["target"]) == {">= 0.2", ">= 0.05"}
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "employer_acceptance_rate &gt;= 0.2 (set with --target)" in page
    # the scorecard says, in the cell, in how many plausible worlds each scenario meets each target
    for r in worlds.itertuples():
        cell = re.search(
            rf'data-kpi="{r.kpi}" data-scenario="{re.escape(r.scenario)}">(.*?)</td>', page
        ).group(1)
        assert f"meets it in {format_number(r.share_of_worlds_met, share=True)} of plausible worlds" in cell
    (out / "report.html").unlink()
    rebuilt = report_from_dir(out).read_text(encoding="utf-8")  # the folder remembers its targets
    assert "employer_acceptance_rate &gt;= 0.2 (set with --target)" in rebuilt
    # the scorecard colours acceptance against the target, not by direction against the baseline
    summary = pd.read_csv(out / "summary.csv")
    row = summary[
        (summary["scenario"] == "fi/baseline") & (summary["kpi"] == "employer_acceptance_rate")
    ].iloc[0]
    target = {"employer_acceptance_rate": Target(">=", 0.2, "t")}
    assert status(
        "employer_acceptance_rate", row["mean"], row["lo"], row["hi"], diff=False, targets=target
    ) in (
        "meets",
        "misses",
        "uncertain",
    )
    assert status("employer_acceptance_rate", row["mean"], row["lo"], row["hi"], diff=False) == ""
