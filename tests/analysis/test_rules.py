"""The employer rule as a structural uncertainty: sampled by the ensemble, or run again with --both-rules."""

from __future__ import annotations

import json
from collections import Counter

import numpy as np
import pandas as pd
import pytest

from analysis.cli import main
from analysis.ensemble import Ensemble, Uncertainty, _member_overrides, uncertainties
from analysis.summary import ranking, ranking_by_choice
from model.params import load_scenario, override_text
from tests.conftest import FI, write_variant

SMALL = ["population.workers=300", "horizon_weeks=52"]
RULE = "employer.trust_rule"


def test_ranking_puts_the_best_first_by_direction_with_ties_and_undefined_apart():
    means = pd.Series({"a": 0.2, "b": 0.4, "c": 0.2, "d": np.nan})
    assert ranking(means, "employer_acceptance_rate") == "b > a = c (n/a: d)"  # higher is better
    assert ranking(means, "moderation_cycle_days") == "a = c > b (n/a: d)"  # lower is better
    assert ranking(pd.Series({"a": np.nan}), "moderation_cycle_days") == "n/a: a"


def test_ranking_by_choice_says_whether_the_order_holds_under_every_choice():
    rows = []
    for rule, acceptance, credentials in (("learning", (0.1, 0.3), (5, 9)), ("signals", (0.2, 0.4), (8, 6))):
        for rep in range(2):
            for label, acc, cred in zip(("base", "mod"), acceptance, credentials, strict=True):
                rows.append({"scenario": label, RULE: rule, "rep": rep} | {"employer_acceptance_rate": acc})
                rows[-1]["credentials_issued"] = cred + rep  # same order within a rule
    table = ranking_by_choice(
        pd.DataFrame(rows), RULE, kpis=("employer_acceptance_rate", "credentials_issued")
    )
    by = table.set_index(["kpi", "choice"])
    assert by.loc[("employer_acceptance_rate", "learning"), "ranking"] == "mod > base"
    assert by.loc[("employer_acceptance_rate", "signals"), "ranking"] == "mod > base"
    assert by.loc["employer_acceptance_rate", "holds"].all()
    assert by.loc[("credentials_issued", "learning"), "ranking"] == "mod > base"
    assert by.loc[("credentials_issued", "signals"), "ranking"] == "base > mod"
    assert not by.loc["credentials_issued", "holds"].any()
    assert (table["rows"] == 2).all() and set(table["key"]) == {RULE}


@pytest.mark.parametrize(("members", "k"), [(6, 2), (7, 2), (10, 3), (5, 5)])
def test_a_choice_is_balanced_across_members_like_a_latin_hypercube(members, k):
    u = Uncertainty("x", 0, k - 1, 0, True, "choice", tuple(f"c{i}" for i in range(k)))
    rng = np.random.default_rng(members)
    unit = (rng.permutation(members) + rng.random(members)) / members  # one point per stratum
    counts = Counter(u.pick(unit))
    assert set(counts) == set(u.choices) or members < k
    assert max(counts.values()) - min(counts.values()) <= 1


def test_the_ensemble_samples_the_employer_rule_and_records_it_per_member():
    loaded = load_scenario(FI, SMALL)
    sampled, fixed = uncertainties(loaded)
    rule = next(u for u in sampled if u.key == RULE)
    assert rule.kind == "choice" and rule.choices == ("learning", "signals") and RULE not in fixed
    ens = Ensemble([loaded, loaded], ["a", "b"], members=4, reps=1, seed=5, overrides=SMALL).sample()
    assert Counter(ens.design[RULE]) == {"learning": 2, "signals": 2}
    signals = int(np.flatnonzero(ens.design[RULE] == "signals")[0])
    point = ens.design.iloc[signals].to_dict()
    assert override_text(RULE, "signals") in _member_overrides(loaded, point)
    ens.run()
    runs = ens.runs.set_index(["scenario", "member"])
    for m, choice in ens.design[RULE].items():
        assert runs.loc[("a", m), RULE] == choice  # every run says which rule its world drew
    importance = ens.importance()
    mine = importance[importance["parameter"] == RULE]
    assert (
        len(mine) > 0 and mine["share"].between(0, 1).all() and (mine["method"] == "correlation ratio").all()
    )
    ranking_table = ens.choice_ranking()
    assert set(ranking_table["choice"]) == {"learning", "signals"} and ranking_table["holds"].all()  # a = b
    assert ens.describe()["choices"] == {RULE: {"learning": 2, "signals": 2}}
    assert "1 structural choices (employer.trust_rule)" in ens.fixed_text()


def test_a_rule_set_on_the_command_line_is_not_sampled():
    loaded = load_scenario(FI, [*SMALL, f"{RULE}=signals"])
    ens = Ensemble([loaded], ["a"], members=2, overrides=[*SMALL, f"{RULE}=signals"]).sample()
    assert RULE not in ens.design.columns


def test_both_rules_runs_the_comparison_again_under_the_other_rule_on_the_same_seeds(tmp_path):
    moderated = write_variant(tmp_path, "moderated", {"moderation": {"required": True}})
    out = tmp_path / "out"
    small = ["--set", "population.workers=300", "--set", "horizon_weeks=52", "--engine", "vector"]
    args = ["compare", str(FI), str(moderated), "--reps", "2", "--both-rules", "--report", "--out", str(out)]
    assert main([*args, *small]) == 0
    runs = pd.read_csv(out / "rules_runs.csv")
    assert Counter(runs[RULE]) == {"learning": 4, "signals": 4}
    own = pd.read_csv(out / "runs.csv")
    learning = runs[runs[RULE] == "learning"].drop(columns=RULE).reset_index(drop=True)
    pd.testing.assert_frame_equal(learning[own.columns], own, check_dtype=False)  # the run's own results
    signals = runs[runs[RULE] == "signals"].set_index(["scenario", "rep"])
    assert not np.allclose(  # the other rule is another world: trust moves differently
        signals["employer_acceptance_rate"],
        learning.set_index(["scenario", "rep"])["employer_acceptance_rate"],
    )
    ranking_table = pd.read_csv(out / "rule_ranking.csv")
    assert set(ranking_table["choice"]) == {"learning", "signals"} and len(ranking_table) > 4
    summary = pd.read_csv(out / "rules_summary.csv")
    assert set(summary["rule"]) == {"learning", "signals"}
    meta = json.loads((out / "manifest.json").read_text())
    assert meta["both_rules"] == {"key": RULE, "rules": ["learning", "signals"]}
    page = (out / "report.html").read_text()
    assert 'id="rules"' in page and "under each rule, same seeds" in page and 'id="rules-summary"' in page


def test_both_rules_refuses_scenarios_that_use_different_rules(tmp_path, capsys):
    signals = write_variant(tmp_path, "signals", {"employer": {"trust_rule": "signals"}})
    out = tmp_path / "out"
    code = main(["compare", str(FI), str(signals), "--reps", "1", "--both-rules", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and "use different employer.trust_rule" in err and "Traceback" not in err
    assert not out.exists() and not out.with_name("out.partial").exists()
