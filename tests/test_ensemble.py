"""Ensembles over assumption ranges: what is sampled, common random numbers, targets, ranking."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.cli import main
from analysis.ensemble import NOT_SAMPLED, Ensemble, uncertainties
from model.params import load_scenario
from tests.conftest import FI, REPO

SMALL = ["population.workers=300", "population.smes=60", "horizon_weeks=52"]


def test_samples_only_ranged_assumptions_within_their_ranges():
    loaded = load_scenario(FI, SMALL)
    sampled, fixed = uncertainties(loaded, {"population.workers"})
    prov = {k: p for k, _, p in loaded.parameters()}
    assert sampled and fixed
    for u in sampled:
        assert prov[u.key].kind == "assumption" and prov[u.key].range == (u.low, u.high)
        assert u.key not in NOT_SAMPLED
    ens = Ensemble([loaded], ["fi"], members=16, seed=3, overrides=SMALL).sample()
    for u in sampled:
        col = ens.design[u.key]
        assert col.min() >= u.low - 1e-9 and col.max() <= u.high + 1e-9
        if u.is_int:
            assert np.issubdtype(col.dtype, np.integer)
    again = Ensemble([loaded], ["fi"], members=16, seed=3, overrides=SMALL).sample()
    pd.testing.assert_frame_equal(ens.design, again.design)


def test_common_random_numbers_and_levers_kept():
    base = load_scenario(FI, SMALL)
    women = load_scenario(REPO / "scenarios/fi/outreach_women.yaml", SMALL)
    ens = Ensemble([base, base, women], ["a", "b", "w"], members=3, reps=1, seed=2, overrides=SMALL)
    ens.sample().run()
    runs = ens.runs.set_index(["member", "rep", "scenario"])
    a = runs.xs("a", level="scenario")
    b = runs.xs("b", level="scenario")
    pd.testing.assert_frame_equal(a, b)  # same world, same seeds: identical
    # A lever of the policy scenario is never overwritten by the ensemble.
    from analysis.ensemble import _member_overrides

    point = {"outreach.women.p_multiplier": 1.0, "diffusion.worker_q": 0.5}
    over = _member_overrides(women, point)
    assert not any(o.startswith("outreach.women.p_multiplier") for o in over)
    assert any(o.startswith("diffusion.worker_q") for o in over)
    ranking = ens.ranking()
    sums = ranking.groupby("kpi")["share_best"].sum()
    assert np.allclose(sums, 1.0)
    targets = ens.targets()
    assert targets["share_of_worlds_met"].between(0, 1).all()
    bands = ens.bands()
    ok = bands.dropna(subset=["q05"])
    assert (ok["q05"] <= ok["median"] + 1e-12).all() and (ok["median"] <= ok["q95"] + 1e-12).all()


def test_compare_with_ensemble_writes_tables(tmp_path):
    out = tmp_path / "e"
    args = [
        "compare",
        str(FI),
        str(REPO / "scenarios/fi/moderation_required.yaml"),
        "--reps",
        "2",
        "--engine",
        "vector",
        "--no-deadweight",
        "--ensemble",
        "4",
        "--ensemble-reps",
        "1",
        "--out",
        str(out),
    ]
    for o in SMALL:
        args += ["--set", o]
    assert main(args) == 0
    for name in (
        "ensemble_design",
        "ensemble_runs",
        "ensemble_bands",
        "ensemble_targets",
        "ensemble_ranking",
        "ensemble_importance",
    ):
        assert (out / f"{name}.csv").exists(), name
    imp = pd.read_csv(out / "ensemble_importance.csv")
    assert imp["share"].between(0, 1).all()
