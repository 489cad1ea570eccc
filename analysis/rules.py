"""The comparison again under the other employer rule: does the ranking of the scenarios hold?

Why: how employers come to trust micro-credentials is a structural assumption
(``employer.trust_rule``: ``learning`` from evidence, or the older ``signals`` rule, DESIGN §5).
A workshop that ranks its scenarios under one rule should know whether the ranking is the rule's
doing. ``compare --both-rules`` runs every scenario again under each other rule, on the same seeds
(common random numbers), and ranks the scenarios on each headline KPI under each rule
(``analysis.summary.ranking_by_choice``). An ensemble samples the rule instead, as a discrete
uncertainty, and makes the same check over its plausible worlds.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import get_args

import pandas as pd

from analysis.execution import Outcome, Runner
from analysis.experiment import Experiment
from analysis.summary import ranking_by_choice, summarise
from model.params import LoadedScenario, load_scenario

__all__ = ["RULE_KEY", "RuleError", "rules_in_use", "other_rules", "run_other_rules", "rule_tables"]

#: The structural choice ``--both-rules`` varies.
RULE_KEY = "employer.trust_rule"


class RuleError(ValueError):
    """The scenarios cannot be compared under both rules (they do not share one)."""


def rules_in_use(scenarios: Sequence[LoadedScenario]) -> str:
    """The employer rule every scenario of the comparison runs under.

    Raises:
        RuleError: The scenarios use different rules (a lever of one of them).
    """
    used = {str(s.path): s.config.employer.trust_rule for s in scenarios}
    if len(set(used.values())) > 1:
        which = ", ".join(f"{label}: {rule}" for label, rule in used.items())
        raise RuleError(
            f"--both-rules: the scenarios use different {RULE_KEY} ({which}); compare them under one rule"
        )
    return next(iter(used.values()))


def other_rules(scenarios: Sequence[LoadedScenario]) -> list[str]:
    """The rules the model has besides the one in use (from the scenario schema).

    Raises:
        RuleError: The scenarios use different rules.
    """
    current = rules_in_use(scenarios)
    employer = type(scenarios[0].config.employer)
    return [r for r in get_args(employer.model_fields["trust_rule"].annotation) if r != current]


def _whole(exp: Experiment, rule: str) -> pd.DataFrame:
    table = pd.concat([r.whole() for r in exp.results], ignore_index=True)
    table.insert(1, RULE_KEY, rule)
    return table


def run_other_rules(
    exp: Experiment,
    overrides: list[str],
    runner: Runner | None = None,
    on_done: Callable[[Outcome], object] | None = None,
) -> pd.DataFrame:
    """Whole-run KPIs of every scenario and replication under each rule: the run's own, then the others.

    The other rules run the same scenario files with the same overrides plus the rule, the same
    seeds and engines; without the deadweight counterfactuals (no headline KPI needs them).
    """
    scenarios = [r.loaded for r in exp.results]
    frames = [_whole(exp, rules_in_use(scenarios))]
    for rule in other_rules(scenarios):
        again = Experiment(
            [load_scenario(r.loaded.path, [*overrides, f"{RULE_KEY}={rule}"]) for r in exp.results],
            reps=exp.reps,
            seed=exp.seed,
            engine=exp.engine,
            deadweight=False,
        ).run(runner, on_done)
        frames.append(_whole(again, rule))
    return pd.concat(frames, ignore_index=True)


def rule_tables(runs: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The tables ``--both-rules`` writes: the runs, a summary per rule, and the ranking check."""
    labels = list(dict.fromkeys(runs["scenario"]))
    per_rule = runs.groupby(RULE_KEY, sort=False)
    summary = [summarise(grp.drop(columns=RULE_KEY)).assign(rule=rule) for rule, grp in per_rule]
    return {
        "rules_runs": runs,
        "rules_summary": pd.concat(summary, ignore_index=True),
        "rule_ranking": ranking_by_choice(runs, RULE_KEY, labels=labels),
    }
