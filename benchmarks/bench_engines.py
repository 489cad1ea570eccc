"""Engine benchmark: cost per worker-step, state bytes per worker, peak memory, vector/Mesa ratio.

Prints figures; asserts nothing (timings belong here, not in tests). Each size runs in its own
process so peak memory (max RSS) is that run's own.

    python benchmarks/bench_engines.py                      # 1e4, 1e5, 1e6 x 520 weeks; 1e7 x 52
    python benchmarks/bench_engines.py --sizes 10000 --steps 104 --ratio-steps 26

The ratio vector/Mesa runs both engines over the scenario's horizon (260 weeks) by default: as
entrants and credentials accumulate, the Mesa engine's cost per week grows faster than the vector
engine's, so a one-year run understates the ratio of the run a user makes.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SCENARIO = REPO / "scenarios" / "fi" / "baseline.yaml"


def _overrides(n: int) -> list[str]:
    # Scale 1 with the preset's real staff per firm (19,000 workers in 5,955 establishments).
    return [
        f"population.workers={n}",
        f"population.real_workers={n}",
        f"population.real_smes={max(1, round(n * 5955 / 19000))}",
        "moderation.required=true",
    ]


def _horizon() -> int:
    """The scenario's own horizon: the ratio is measured on the run a user would make."""
    from model.params import load_scenario

    return load_scenario(SCENARIO, []).config.horizon_weeks


def one_run(engine: str, n: int, steps: int, seed: int) -> dict:
    """Run one engine for ``steps`` weeks and report timings (called in a child process)."""
    from model.compiled import compile_scenario
    from model.engines.mesa.model import MicroCredentialModel
    from model.engines.vector.model import VectorModel
    from model.params import load_scenario

    cfg = load_scenario(SCENARIO, _overrides(n)).config
    c = compile_scenario(cfg)
    t0 = time.perf_counter()
    sim = VectorModel(c, seed) if engine == "vector" else MicroCredentialModel(c, seed)
    t1 = time.perf_counter()
    for _ in range(steps):
        sim.step()
    t2 = time.perf_counter()
    state_bytes = None
    if engine == "vector":
        w = sim.world.workers
        # the backing store, which includes the room kept for entrants
        state_bytes = sum(v.nbytes for v in w._store.values()) / w.n
    return {
        "engine": engine,
        "workers": n,
        "steps": steps,
        "setup_s": t1 - t0,
        "run_s": t2 - t1,
        "ns_per_worker_step": (t2 - t1) / (n * steps) * 1e9,
        "state_bytes_per_worker": state_bytes,
        "events": len(sim.log),
        "event_bytes_per_worker": len(sim.log) * 35 / n,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def _child(engine: str, n: int, steps: int, seed: int) -> dict:
    cmd = [sys.executable, __file__, "--child", engine, str(n), str(steps), str(seed)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, cwd=REPO)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    """Run the benchmark suite and print a table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--steps", type=int, default=520)
    ap.add_argument("--big", type=int, default=10_000_000, help="extra size run for --big-steps (0: skip)")
    ap.add_argument("--big-steps", type=int, default=52)
    ap.add_argument("--ratio-workers", type=int, default=20_000)
    ap.add_argument(
        "--ratio-steps",
        type=int,
        default=None,
        help="weeks of the ratio run (default: the scenario's horizon)",
    )
    ap.add_argument(
        "--ratio-repeats", type=int, default=3, help="runs of each engine for the ratio (median reported)"
    )
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        engine, n, steps, seed = args.child
        print(json.dumps(one_run(engine, int(n), int(steps), int(seed))))
        return

    print(
        f"# mcsim engine benchmark on {platform.processor() or platform.machine()}, "
        f"{platform.python_implementation()} {platform.python_version()}, one core per run"
    )
    print(f"# scenario: {SCENARIO.relative_to(REPO)} with moderation required, seed {args.seed}")
    runs = [(n, args.steps) for n in args.sizes]
    if args.big:
        runs.append((args.big, args.big_steps))
    print(
        f"\n{'workers':>10} {'weeks':>6} {'run s':>8} {'ns/worker-step':>15} {'state B/worker':>15} "
        f"{'events B/worker':>16} {'peak RSS MB':>12}"
    )
    for n, steps in runs:
        r = _child("vector", n, steps, args.seed)
        print(
            f"{n:>10,} {steps:>6} {r['run_s']:>8.2f} {r['ns_per_worker_step']:>15.1f} "
            f"{r['state_bytes_per_worker']:>15.1f} {r['event_bytes_per_worker']:>16.1f} "
            f"{r['peak_rss_mb']:>12.0f}"
        )
    n, steps = args.ratio_workers, args.ratio_steps or _horizon()
    print(
        f"\nSame scenario and seed, {n:,} workers x {steps} weeks "
        f"({args.ratio_repeats} runs of each engine, interleaved):"
    )
    ratios, times = [], {"vector": [], "mesa": []}
    for _ in range(args.ratio_repeats):
        vec = _child("vector", n, steps, args.seed)
        mesa = _child("mesa", n, steps, args.seed)
        assert vec["events"] == mesa["events"]  # the same run, event for event
        times["vector"].append(vec["run_s"])
        times["mesa"].append(mesa["run_s"])
        ratios.append(mesa["run_s"] / vec["run_s"])
        print(f"  Mesa {mesa['run_s']:7.2f} s   vector {vec['run_s']:6.3f} s   ratio {ratios[-1]:5.0f}x")
    for engine in ("mesa", "vector"):
        t = statistics.median(times[engine])
        print(f"  {engine:<6} median {t:8.3f} s  {t / (n * steps) * 1e9:10.1f} ns/worker-step")
    print(
        f"  ratio vector/Mesa speed: median {statistics.median(ratios):.0f}x "
        f"(range {min(ratios):.0f}-{max(ratios):.0f}x; {vec['events']} events)"
    )


if __name__ == "__main__":
    main()
