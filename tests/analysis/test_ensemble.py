"""Ensembles over assumption ranges: what is sampled, common random numbers, targets, ranking.

Also whole tables with one range (``model.params.tables``): a factor or a tempering exponent.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import yaml

from analysis.cli import main
from analysis.ensemble import NOT_SAMPLED, Ensemble, _member_overrides, uncertainties
from model.api import simulate
from model.params import load_scenario, override_text, tables
from model.streams import derive_seed
from tests.conftest import FI, REPO

SMALL = ["population.workers=300", "horizon_weeks=52"]


def test_samples_only_ranged_assumptions_within_their_ranges():
    loaded = load_scenario(FI, SMALL)
    sampled, fixed = uncertainties(loaded, {"population.workers"})
    prov = {k: p for k, _, p in loaded.parameters()}
    values = {k: v for k, v, _ in loaded.parameters()}
    assert sampled and fixed
    ranged_tables = loaded.tables()
    for u in sampled:
        if u.kind == "value":
            assert prov[u.key].kind == "assumption" and prov[u.key].range == (u.low, u.high)
        elif u.kind == "choice":  # a structural assumption: one of its rules
            assert prov[u.key].choices == u.choices and u.choices[int(u.nominal)] == values[u.key]
        else:  # one dimension per ranged table, named by its dotted key
            assert ranged_tables[u.key][0].table_range == (u.low, u.high) and u.nominal == 1.0
        assert u.key not in NOT_SAMPLED
    assert {u.key for u in sampled if u.kind in ("factor", "exponent")} == set(ranged_tables)
    assert {"population.size_shares", "providers", "employer.issuer_quality"} <= set(ranged_tables)
    for key in fixed:  # held: nothing a range acts on
        table = prov[key].table
        assert not (table and tables.acts_on(table, key, values[key]))
    ens = Ensemble([loaded], ["fi"], members=16, seed=3, overrides=SMALL).sample()
    for u in sampled:
        col = ens.design[u.key]
        if u.kind == "choice":
            assert set(col) <= set(u.choices)
            continue
        assert col.min() >= u.low - 1e-9 and col.max() <= u.high + 1e-9
        if u.is_int:
            assert np.issubdtype(col.dtype, np.integer)
    again = Ensemble([loaded], ["fi"], members=16, seed=3, overrides=SMALL).sample()
    pd.testing.assert_frame_equal(ens.design, again.design)


def test_a_policy_scenarios_own_assumptions_are_sampled_too():
    """content.change_per_year is ranged only in the content scenario: it must still be a dimension."""
    base = load_scenario(FI, SMALL)
    content = load_scenario(REPO / "scenarios/fi/content_trigger.yaml", SMALL)
    alone = Ensemble([base], ["fi"], members=4, overrides=SMALL).sample()
    both = Ensemble([base, content], ["fi", "content"], members=4, overrides=SMALL).sample()
    keys = [u.key for u in both.uncertainties]
    assert "content.change_per_year" in keys and "content.change_per_year" not in alone.design
    assert len(keys) == len(set(keys))  # a key ranged in both scenarios is one dimension
    assert set(alone.design.columns) < set(keys)
    assert not set(both.fixed) & set(keys)  # nothing is both sampled and listed as held
    point = {"content.change_per_year": 2.0}
    assert _member_overrides(base, point) == []  # the baseline has no such assumption to move
    assert any(o.startswith("content.change_per_year") for o in _member_overrides(content, point))


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
        "ensemble_trajectories",
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
    assert "population.size_shares" in set(pd.read_csv(out / "ensemble_design.csv").columns)
    traj = pd.read_csv(out / "ensemble_trajectories.csv")
    assert set(traj["step"]) == set(range(52)) and len(set(traj["scenario"])) == 2
    ok = traj.dropna(subset=["q05", "q95"])
    assert (ok["q05"] <= ok["q95"] + 1e-9).all()
    held = (out / "ensemble_fixed_assumptions.txt").read_text(encoding="utf-8")
    assert "providers[0].name" in held and "providers[0].seats" not in held


# -- tables: one range, one dimension -----------------------------------------------------------------
def _acted(loaded, key):
    return {k: v for k, v in loaded.tables()[key][1].items() if tables.acts_on(key, k, v)}


def test_tables_at_one_reproduce_the_preset_exactly():
    loaded = load_scenario(FI, SMALL)
    keys = list(loaded.tables())
    assert _member_overrides(loaded, dict.fromkeys(keys, 1.0)) == []
    every = []  # write every acted leaf back at factor / exponent 1 through --set
    for key in keys:
        acted = _acted(loaded, key)
        assert tables.transform(key, acted, 1.0) == acted
        every += [override_text(k, v) for k, v in tables.transform(key, acted, 1.0).items()]
        near = tables.transform(key, acted, 1 + 1e-12)
        assert all(math.isclose(near[k], v, rel_tol=1e-9, abs_tol=1e-12) for k, v in acted.items())
    assert load_scenario(FI, SMALL + every).config == loaded.config
    ens = Ensemble([loaded], ["fi"], members=2, reps=1, seed=4, overrides=SMALL)
    ens.design = pd.DataFrame({k: [1.0, 1.0] for k in keys})
    ens.run()
    for m in range(2):
        plain = simulate(loaded.config, derive_seed(4, "ensemble", m, 0), "vector", deadweight=False).whole
        row = ens.runs[ens.runs["member"] == m].iloc[0]
        for k, v in plain.items():
            assert row[k] == v or (np.isnan(row[k]) and np.isnan(v)), k


@pytest.mark.parametrize("t", [0.3, 0.8, 1.6, 4.0])
def test_tempering_keeps_shares_summing_to_one_and_in_order(t):
    loaded = load_scenario(FI)
    for key in ("population.size_shares", "population.age_shares", "population.regions"):
        before = _acted(loaded, key)
        after = tables.transform(key, before, t)
        assert math.isclose(sum(after.values()), 1.0, abs_tol=1e-12)
        assert sorted(after, key=after.get) == sorted(before, key=before.get)  # ties stay ties
        big = max(before, key=before.get)
        assert after[big] < before[big] if t < 1 else after[big] > before[big]  # flatter / sharper
    over = _member_overrides(loaded, {"population.size_shares": t, "population.regions": t})
    cfg = load_scenario(FI, over).config  # the schema's sum-to-one check accepts them
    assert math.isclose(sum(cfg.population.size_shares.values()), 1.0, abs_tol=1e-9)


def test_a_factor_keeps_to_the_schema_bounds_and_integers():
    loaded = load_scenario(FI)
    quality = tables.transform("employer.issuer_quality", _acted(loaded, "employer.issuer_quality"), 2.0)
    assert max(quality.values()) == 1.0  # a quality score is a share: clipped at 1
    providers = _acted(loaded, "providers")
    assert not any(k.endswith((".count", ".intake_interval_weeks", ".hours_per_week")) for k in providers)
    doubled = tables.transform("providers", providers, 1.7)
    for k, v in doubled.items():
        if k.endswith((".teachers", ".min_cohort")):
            assert isinstance(v, int) and v == math.floor(providers[k] * 1.7 + 0.5)
        else:
            assert v == providers[k] * 1.7
    over = _member_overrides(loaded, {"providers": 1.7, "employer.issuer_quality": 2.0})
    cfg = load_scenario(FI, over).config
    assert cfg.providers[2].count == loaded.config.providers[2].count  # structure held
    assert cfg.employer.issuer_quality["oem"] == 1.0


def test_levers_and_set_values_inside_a_table_are_never_overwritten(tmp_path):
    base = load_scenario(FI)
    name = base.config.providers[1].name
    shares = yaml.safe_dump(dict(base.config.population.size_shares), default_flow_style=True).strip()
    child = tmp_path / "policy.yaml"
    child.write_text(
        f"extends: {FI}\nname: policy\nproviders:\n  - name: {name}\n"
        "    seats: {value: 30, source: 'lever: the pilot adds seats'}\n"
        f"population:\n  size_shares: {{value: {shares}, source: 'lever: a firm-mix policy'}}\n",
        encoding="utf-8",
    )
    policy = load_scenario(child)
    over = _member_overrides(policy, {"providers": 2.0, "population.size_shares": 1.5})
    assert not any(o.startswith(("providers[1].seats=", "population.size_shares")) for o in over)
    assert "providers[1].teachers=4" in over  # the rest of that provider is still the assumption
    cfg = load_scenario(child, over).config
    assert cfg.providers[1].seats == 30  # the lever
    assert cfg.providers[2].seats == 2 * base.config.providers[2].seats  # the assumption around it
    # one share set on the command line: the shares are tempered together, so none is
    pinned = load_scenario(FI, ["population.size_shares.1-5=0.855"])
    assert not _member_overrides(pinned, {"population.size_shares": 1.5})


def _rewrapped(tmp_path, name, rng, size):
    """fi/grant_moderated_edc with its calls table re-wrapped under a given range."""
    grant = REPO / "scenarios/fi/grant_moderated_edc.yaml"
    inst = load_scenario(grant).config.funding.instruments[0]
    calls = yaml.safe_dump([c.model_dump() for c in inst.calls], default_flow_style=True).strip()
    path = tmp_path / name
    path.write_text(
        f"extends: {grant}\nname: {name}\nfunding:\n  instruments:\n    - id: {inst.id}\n"
        f"      calls: {{value: {calls}, assumption: test, range: {list(rng)}}}\n",
        encoding="utf-8",
    )
    return load_scenario(path, size)


def test_a_table_range_widens_the_spread_of_the_kpi_it_drives(tmp_path):
    # the grant calls' budgets: budget utilisation (paid / available) depends on them directly
    key = "funding.instruments[0].calls"
    size = ["population.workers=1000", "horizon_weeks=104"]
    wide = _rewrapped(tmp_path, "wide", (0.2, 5.0), size)
    collapsed = _rewrapped(tmp_path, "flat", (1.0, 1.0), size)
    spread = {}
    for label, loaded in (("wide", wide), ("flat", collapsed)):
        ens = Ensemble([loaded], [label], members=5, reps=1, seed=5, overrides=size).sample()
        if label == "flat":
            assert key not in ens.design and f"{key}[0].budget_eur" in ens.fixed
            ens.design = pd.DataFrame(index=range(5))  # every world at the table as written
        else:
            ens.design = ens.design[[key]]  # only the table varies (same seeds in both)
        ens.run()
        spread[label] = ens.member_means()["budget_utilisation"].to_numpy(float)
    assert np.ptp(spread["wide"]) > 2 * np.ptp(spread["flat"])
    assert np.std(spread["wide"]) > np.std(spread["flat"])
