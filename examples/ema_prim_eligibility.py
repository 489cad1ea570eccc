"""Which eligibility conditions reach the pilot targets? EMA workbench experiments and PRIM.

The study is the sweep SPEC ``examples/sweeps/fi_eligibility.yaml`` (the same file ``mcsim sweep``
runs): a Finnish collective-agreement fund (``scenarios/fi/ca_fund.yaml``) whose eligibility rule
and women's outreach are the levers, and seven behavioural assumptions, over the ranges the preset
states for them, are the uncertainties. EMA workbench runs every policy in every sampled world
(``perform_experiments``); PRIM (scenario discovery) then finds the region of levers and
uncertainties where both pilot targets are met:

- women's share of enrolments >= 10 % (report L698; DESIGN §3);
- employer acceptance rate >= ``--acceptance`` (0.5 by default). The report names the KPI (L696)
  but gives no number: the threshold is this example's assumption, change it.

Run it from the repository root (needs ``pip install -e '.[ema]'``)::

    python examples/ema_prim_eligibility.py                 # 48 worlds x 10 policies: ~10 CPU-minutes
    python examples/ema_prim_eligibility.py --quick         # small populations, a smoke test
    python examples/ema_prim_eligibility.py --jobs 4 --scenarios 200 --out results/prim

It prints, per policy, the share of worlds in which the targets are met (a scorecard over the
uncertainty space); EMA's feature scores (extra trees: which factors move each KPI); then PRIM's
box: the conditions under which the targets are met with high density, with coverage and density,
read with EMA's own ``box.inspect()``. ``experiments.csv``, ``outcomes.csv`` and ``prim_box.png``
(``box.inspect(style="graph")``) go to ``--out``.

Two things the adapter does for EMA here. ``women_share`` and ``spend_per_credential_eur`` are
undefined (NaN) in a world where nobody enrols or no credential is issued; EMA's feature scoring
refuses NaN, so the model is built with ``nan_fill=UNDEFINED``: such an outcome holds the code
-1, which no share or euro amount can be, and ``<kpi>_undefined`` counts the replications that
left it undefined. And the eligibility lever is categorical, which breaks ``box.inspect()``
under pandas 3 unless the adapter's ``fix_prim_inspect`` (applied by ``ema_model``) is in place.

What it found when written (defaults; model at commit 1fd2d5d, before labour-market flows): the
targets were met in 4 % of the 480 experiments, all under the rule that funds women and jobseekers
at moderated EDC providers (in 27 % of worlds with women's outreach, 17 % without); no rule tied to
collective-agreement coverage lifted women's share above 6.6 %. Within that rule, PRIM added the
acceptance threshold (<= 0.54) and initial employer trust (>= 0.23): whether employers accept is
decided by behaviour we do not know, not by eligibility.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # run from a checkout without installing

from analysis.ema_adapter import ema_model, fix_prim_inspect, lever_policies  # noqa: E402
from analysis.sweep_spec import load_spec  # noqa: E402

SPEC = HERE / "sweeps" / "fi_eligibility.yaml"
WOMEN_TARGET = 0.10
UNDEFINED = -1.0  # the code an outcome holds when no replication defines it (not a measurement)
QUICK = {"population.workers": 300, "horizon_weeks": 52}


def targets_met(outcomes: dict[str, np.ndarray], acceptance: float) -> np.ndarray:
    """Experiments that meet both pilot targets (undefined, or NaN for a refused run: not met)."""
    women = np.nan_to_num(outcomes["women_share"], nan=-1.0)
    accept = np.nan_to_num(outcomes["employer_acceptance_rate"], nan=-1.0)
    return (women >= WOMEN_TARGET) & (accept >= acceptance)


def scorecard(experiments: pd.DataFrame, met: np.ndarray, levers: list[str]) -> pd.DataFrame:
    """Share of sampled worlds in which each policy meets the targets."""
    frame = experiments[levers].astype(str).assign(targets_met=met)
    return (
        frame.groupby(levers, observed=True)["targets_met"]
        .agg(share="mean", worlds="size")
        .sort_values("share", ascending=False)
        .reset_index()
    )


def feature_scores(experiments: pd.DataFrame, outcomes: dict[str, np.ndarray], kpis: list[str], seed: int):
    """EMA's extra-trees feature scores of each KPI over the levers and uncertainties.

    Experiments a scenario refused (NaN in every outcome) are left out: there is nothing to score.
    """
    from ema_workbench.analysis import feature_scoring

    ran = np.isfinite(np.column_stack([outcomes[k] for k in kpis])).all(axis=1)
    x = experiments.drop(columns=["policy", "model"])[ran]  # the policy name only repeats the levers
    y = {k: outcomes[k][ran] for k in kpis}
    return feature_scoring.get_feature_scores_all(x, y, random_state=seed).rename_axis("factor")


def discover(experiments: pd.DataFrame, met: np.ndarray, min_coverage: float = 0.8):
    """PRIM on levers and uncertainties; returns the box (or None without contrast in ``met``).

    Of the peeling trajectory, the densest box that still holds ``min_coverage`` of the experiments
    meeting the targets is selected: a rule that explains most successes, not a sliver of them.
    """
    from ema_workbench.analysis import prim

    fix_prim_inspect()  # box.inspect() with the categorical eligibility lever, under pandas 3
    if met.all() or not met.any():
        return None
    x = experiments.drop(columns=["scenario", "policy", "model"])
    box = prim.Prim(x, met, peel_alpha=0.1, mass_min=0.05).find_box()
    if box is None:
        return None
    traj = box.peeling_trajectory
    covered = traj[traj["coverage"] >= min_coverage]
    box.select(int(covered["density"].idxmax()) if len(covered) else 0)
    return box


def trajectory(box) -> list[str]:
    """The coverage/density trade-off: the last box of each number of restricted dimensions."""
    traj = box.peeling_trajectory.drop_duplicates("res_dim", keep="last")
    return [
        f"  {int(r.res_dim)} restricted: coverage {r.coverage:.2f}, density {r.density:.2f}"
        for r in traj.itertuples()
    ]


def describe_box(box) -> list[str]:
    """Readable limits of the selected box (EMA's ``inspect(style="data")``): restricted dimensions."""
    _, limits = box.inspect(style="data")[0]
    lines = [f"coverage {box.coverage:.2f}, density {box.density:.2f}, mass {box.mass:.2f}"]
    for dim, (lo, hi) in limits.iloc[:, :2].iterrows():
        if isinstance(lo, set):
            lines.append(f"  {dim} in {sorted(map(str, lo))}")
        else:
            lines.append(f"  {lo:.3g} <= {dim} <= {hi:.3g}")
    return lines


def main(argv: list[str] | None = None) -> int:
    """Run the experiments and the scenario discovery; returns 0."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--spec", type=Path, default=SPEC)
    ap.add_argument("--scenarios", type=int, default=48, help="worlds sampled over the uncertainties (LHS)")
    ap.add_argument("--acceptance", type=float, default=0.5, help="employer acceptance target (assumption)")
    ap.add_argument("--jobs", type=int, default=1, help="EMA MultiprocessingEvaluator processes")
    ap.add_argument("--seed", type=int, default=42, help="seed of EMA's sampler")
    ap.add_argument("--quick", action="store_true", help="small populations and one year (a smoke test)")
    ap.add_argument("--out", type=Path, default=None, help="folder for experiments.csv and outcomes.csv")
    args = ap.parse_args(argv)

    from ema_workbench import MultiprocessingEvaluator, Samplers, SequentialEvaluator, ema_logging

    ema_logging.log_to_stderr(logging.WARNING)
    spec = load_spec(args.spec, QUICK if args.quick else None)
    model = ema_model(spec, nan_fill=UNDEFINED)
    policies = lever_policies(spec)
    evaluator = (
        MultiprocessingEvaluator(model, n_processes=args.jobs)
        if args.jobs > 1
        else SequentialEvaluator(model)
    )
    with evaluator as ev:
        experiments, outcomes = ev.perform_experiments(
            scenarios=args.scenarios,
            policies=policies,
            uncertainty_sampling=Samplers.LHS,
            uncertainty_sampling_kwargs={"rng": args.seed},
        )
    met = targets_met(outcomes, args.acceptance)
    levers = [f.name for f in spec.levers]
    print(
        f"\n{len(experiments)} experiments ({len(policies)} policies x {args.scenarios} worlds); "
        f"targets: women_share >= {WOMEN_TARGET:.2f} and employer_acceptance_rate >= {args.acceptance:.2f}; "
        f"met in {met.mean():.0%}\n"
    )
    with pd.option_context("display.width", 200, "display.max_colwidth", 80):
        print(scorecard(experiments, met, levers).to_string(index=False))
        print("\nFeature scores (extra trees; a column sums to 1; undefined KPIs scored as the code")
        print(f"{UNDEFINED:g}, so 'defined or not' counts as variation):")
        print(feature_scores(experiments, outcomes, list(spec.outcomes), args.seed).round(2).to_string())
    box = discover(experiments, met)
    if box is None:
        print("\nPRIM: the targets are met in all or none of the experiments; nothing to discover.")
    else:
        print("\nPRIM peeling trajectory (coverage: share of the successes inside the box;")
        print("density: share of the box's experiments that succeed):")
        print("\n".join(trajectory(box)))
        print("\nSelected box: the densest that keeps 80 % coverage. The targets are met where")
        print("\n".join(describe_box(box)))
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        if box is not None:
            box.inspect(style="graph")[0].savefig(args.out / "prim_box.png", bbox_inches="tight")
        experiments.to_csv(args.out / "experiments.csv", index=False)
        pd.DataFrame(outcomes).assign(targets_met=met).to_csv(args.out / "outcomes.csv", index=False)
        print(f"\nexperiments.csv, outcomes.csv (and prim_box.png with a box) in {args.out.resolve()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
