"""The two engines agree in distribution on every KPI, at the horizon and along the trajectory.

The exact test (``test_engines_agree.py``) shows identical event logs on the same seed at small
scale. This one runs the engines on *independent* seeds (Mesa on one seed family, vector on
another), 30 replications each, and asks whether the samples could come from one distribution.

Tolerance: for every KPI and checkpoint a two-sample Kolmogorov-Smirnov test; with ~100 tests per
scenario we use a Bonferroni family-wise level of 1 %, so a true agreement fails by chance in fewer
than 1 run in 100, while a real difference of about one standard deviation in a KPI is detected with
high probability at n = 30 per engine (the exact test covers smaller differences). KPIs that are
NaN in every replication (no audits without moderation) must be NaN in both engines.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pytest
from scipy import stats

from analysis.experiment import rep_seed
from model.api import simulate
from model.kpis import KPI_NAMES
from model.params import load_scenario
from tests.conftest import REPO

REPS = 30
CHECKPOINTS = (26, 52, 77)
SMALL = ["population.workers=200", "horizon_weeks=78"]
SCENARIOS = [  # the FI baseline runs inside both FI policies (they extend it)
    "es/baseline.yaml",
    "pt/baseline.yaml",
    "fi/ca_fund.yaml",  # funded
    "fi/moderation_required.yaml",  # moderated
]


def _kpis(cfg, seed: int, engine: str):
    return simulate(cfg, seed, engine, deadweight=False).kpis


def _samples(cfg, engine: str, family: int) -> np.ndarray:
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=2, mp_context=ctx) as pool:  # CI has two cores
        runs = list(
            pool.map(_kpis, [cfg] * REPS, [rep_seed(family, r) for r in range(REPS)], [engine] * REPS)
        )

    cols = list(KPI_NAMES)
    return np.stack([r.loc[list(CHECKPOINTS), cols].to_numpy(float) for r in runs])


@pytest.mark.slow
@pytest.mark.parametrize("name", SCENARIOS)
def test_engines_agree_in_distribution(name):
    cfg = load_scenario(REPO / "scenarios" / name, SMALL).config
    mesa = _samples(cfg, "mesa", family=1)
    vec = _samples(cfg, "vector", family=2)
    n_tests = len(CHECKPOINTS) * len(KPI_NAMES)
    alpha = 0.01 / n_tests
    failures = []
    for t in range(len(CHECKPOINTS)):
        for k, kpi in enumerate(KPI_NAMES):
            a, b = mesa[:, t, k], vec[:, t, k]
            fa, fb = np.isfinite(a), np.isfinite(b)
            if not fa.any() and not fb.any():
                continue
            if abs(fa.mean() - fb.mean()) > 0.5:
                failures.append(f"{kpi}@{CHECKPOINTS[t]}: defined in {fa.mean():.0%} vs {fb.mean():.0%}")
                continue
            a, b = a[fa], b[fb]
            if len(a) < 5 or len(b) < 5 or (np.ptp(a) == 0 and np.ptp(b) == 0 and a[0] == b[0]):
                continue
            p = stats.ks_2samp(a, b).pvalue
            if p < alpha:
                failures.append(
                    f"{kpi}@week {CHECKPOINTS[t]}: KS p={p:.2g} (mesa {a.mean():.3g}, vector {b.mean():.3g})"
                )
    assert not failures, "\n".join(failures)


def test_parallel_replications_match_sequential(tmp_path):
    from analysis.execution import Runner
    from analysis.experiment import Experiment

    loaded = [load_scenario(REPO / "scenarios/fi/baseline.yaml", SMALL)]
    seq = Experiment(loaded, reps=4, seed=3, engine="vector").run(Runner(jobs=1))
    with Runner(jobs=2) as runner:
        par = Experiment(loaded, reps=4, seed=3, engine="vector").run(runner)
    for a, b in zip(seq.results[0].runs, par.results[0].runs, strict=True):
        assert a.kpis.equals(b.kpis)
    # Replications differ from each other: independent streams, not copies.
    assert not seq.results[0].runs[0].kpis.equals(seq.results[0].runs[1].kpis)


def test_identical_logs_at_a_larger_scale():
    from model.compiled import compile_scenario
    from model.engines import run_engine

    cfg = load_scenario(REPO / "scenarios/fi/ca_fund.yaml", ["population.workers=4000"]).config
    c = compile_scenario(cfg)
    assert run_engine("vector", c, 9, steps=40).events.equals(run_engine("mesa", c, 9, steps=40).events)
