"""The ``mcsim calibrate`` and ``mcsim sensitivity`` sub-commands: arguments, runs, output folders.

Why apart from ``analysis.cli``: the command line only registers these commands; what they read,
run and write lives with the studies. Output folders follow ``mcsim run``: results are written to
``DIR.partial`` and moved to ``DIR`` when complete, and a folder holding results is never touched
without ``--force``. Every user mistake raises a ``StudyError`` subclass that ``mcsim`` prints as one
message.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

from analysis.calibration.errors import StudyError
from analysis.options import add_execution, add_overrides

__all__ = [
    "StudyError",
    "add_calibrate_arguments",
    "add_sensitivity_arguments",
    "calibrate_command",
    "sensitivity_command",
]


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--scenario", required=True, help="scenario YAML file or bundled name (a country preset or a variant)"
    )
    p.add_argument("--params", type=Path, help="parameter file (YAML or CSV): which parameters, which bounds")
    p.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="KEY[=LOW:HIGH[:log]]",
        help="a parameter to vary; bounds default to the range its assumption carries (repeatable)",
    )
    add_overrides(p, "override a scenario value for the study, e.g. --set population.workers=5000")
    p.add_argument("--seed", type=int, default=1, help="base seed; the fixed seeds derive from it")
    p.add_argument("--engine", choices=["vector", "mesa"], default="vector", help="default: vector")
    add_execution(p)
    p.add_argument("--out", type=Path, required=True, help="folder for the results (must be empty)")
    p.add_argument("--force", action="store_true", help="replace results already in --out")


def add_calibrate_arguments(p: argparse.ArgumentParser) -> None:
    """Options of ``mcsim calibrate``."""
    _common(p)
    p.add_argument("--targets", type=Path, required=True, help="tidy targets file (CSV or XLSX)")
    p.add_argument("--method", choices=["nelder-mead", "de", "abc"], default="nelder-mead")
    p.add_argument("--reps", type=int, default=4, help="common seeds per parameter vector (default 4)")
    p.add_argument("--init", type=int, default=None, help="Latin-hypercube points before Nelder-Mead")
    p.add_argument("--max-evals", type=int, default=None, help="most parameter vectors the optimiser tries")
    p.add_argument("--indicators", default=None, help="comma-separated: use only these indicators")
    p.add_argument(
        "--ignore-unproduced",
        action="store_true",
        help="leave out targets the model has no mechanism for (e.g. SEPE placement) instead of refusing",
    )
    p.add_argument("--abc-population", type=int, default=40, help="ABC-SMC particles per generation")
    p.add_argument("--abc-generations", type=int, default=4, help="ABC-SMC generations")
    p.add_argument("--preset-out", type=Path, default=None, help="also write the calibrated preset here")


def add_sensitivity_arguments(p: argparse.ArgumentParser) -> None:
    """Options of ``mcsim sensitivity``."""
    _common(p)
    p.add_argument("--method", choices=["morris", "sobol"], default="morris")
    p.add_argument(
        "-n",
        type=int,
        default=None,
        help="Morris trajectories (default 10) or Sobol base sample, a power of 2 (default 64)",
    )
    p.add_argument(
        "--kpi", action="append", default=None, help="KPI to analyse (repeatable; default: pilot KPIs)"
    )
    p.add_argument("--seeds", type=int, default=2, help="fixed seeds per design point (default 2)")
    p.add_argument("--levels", type=int, default=4, help="Morris grid levels")
    p.add_argument(
        "--all-assumptions",
        action="store_true",
        help="vary every numeric assumption with a range (for Morris screening)",
    )


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def _params(args: argparse.Namespace, loaded, allow_all: bool = False):
    from analysis.calibration.params import (
        assumption_specs,
        parse_param_flags,
        read_param_file,
        resolve_parameters,
    )

    specs: dict = {}
    if allow_all and getattr(args, "all_assumptions", False):
        specs |= assumption_specs(loaded)
    if args.params:
        specs |= read_param_file(args.params)
    specs |= parse_param_flags(args.param)
    return resolve_parameters(loaded, specs)


def _bar(desc: str, total: int | None = None):
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="run", file=sys.stderr, disable=None)


def _write_manifest(
    command: str,
    args: argparse.Namespace,
    staging: Path,
    loaded,
    runner,
    seeds: list[int],
    deadweight: bool,
    seconds: float,
    section: dict,
) -> None:
    """A study's manifest.json: the common keys, and the study's own under the command's name."""
    from analysis.manifest import manifest, scenario_entry, write_manifest

    meta = manifest(
        command,
        scenarios=[scenario_entry(loaded)],
        seed=args.seed,
        reps=len(seeds),
        seeds=seeds,
        engine=args.engine,
        deadweight=deadweight,
        executor=runner.describe(),
        overrides=args.overrides,
        seconds=seconds,
        argv=getattr(args, "argv", None),
        sections={command: section},
    )
    write_manifest(staging / "manifest.json", meta)


def calibrate_command(args: argparse.Namespace) -> int:
    """``mcsim calibrate``: fit parameters to targets; write the fit, diagnostics, plot and preset."""
    import pandas as pd

    from analysis.calibration.msm import MSM, CalibrationError, plot_fit, write_preset
    from analysis.calibration.targets import read_targets, validate_targets
    from analysis.execution import Runner
    from analysis.numbers import format_number as fmt
    from analysis.outputs import finish_out, prepare_out
    from model.compiled import compile_scenario
    from model.params import load_scenario

    if args.reps < 2:
        raise CalibrationError("--reps must be at least 2")
    runner = Runner(args.jobs, args.executor, args.scheduler)
    loaded = load_scenario(args.scenario, args.overrides)
    plain = load_scenario(args.scenario) if args.overrides else loaded
    frame = read_targets(args.targets)
    if args.indicators:
        keep = [s.strip() for s in args.indicators.split(",") if s.strip()]
        frame = frame[frame["indicator"].isin(keep)]
        if frame.empty:
            raise CalibrationError(f"{args.targets}: no targets for the indicators {', '.join(keep)}")
    compiled = compile_scenario(loaded.config)
    targets, notes = validate_targets(
        frame, compiled, ignore_unproduced=args.ignore_unproduced, where=str(args.targets)
    )
    params = _params(args, loaded)
    if len(targets) < len(params):
        raise CalibrationError(
            f"{len(targets)} target(s) cannot identify {len(params)} parameter(s); "
            "add targets or vary fewer parameters"
        )
    if args.method == "abc":
        from analysis.calibration.abc import available

        if not available():
            raise CalibrationError("method abc needs pyabc, an optional extra: pip install 'mcsim[abc]'")
    for n in notes:
        print(f"note: {n}", file=sys.stderr)
    staging = prepare_out(args.out, args.force)
    msm = MSM(plain, params, targets, base=loaded.config, reps=args.reps, seed=args.seed, engine=args.engine)
    print(
        f"mcsim calibrate: {len(params)} parameter(s), {len(targets)} target(s), {args.reps} common seeds, "
        f"method {args.method}, in {runner}",
        file=sys.stderr,
    )
    t0 = time.perf_counter()
    with _bar("calibration runs") as bar, runner:
        result = msm.fit(
            runner,
            args.method,
            n_init=args.init,
            max_evals=args.max_evals,
            on_done=lambda _: bar.update(),
            abc_options={
                "population": args.abc_population,
                "generations": args.abc_generations,
                "db": staging / "abc.db",
            },
        )
    seconds = time.perf_counter() - t0
    result.fit_table().to_csv(staging / "fit.csv", index=False)
    result.target_table().to_csv(staging / "targets_fit.csv", index=False)
    result.trace.to_csv(staging / "trace.csv", index=False)
    diag = result.diagnostics() | {"notes": notes}
    (staging / "diagnostics.json").write_text(json.dumps(diag, indent=2, default=float), encoding="utf-8")
    plot_fit(result, staging / "fit.png")
    label = f"targets {Path(args.targets).name} ({len(targets)} targets, sha256 {_sha(Path(args.targets))})"
    preset = write_preset(result, plain, label, staging / "calibrated_preset.yaml", final_dir=args.out)
    section = {
        "targets": {"path": str(args.targets), "sha256": _sha(Path(args.targets)), "used": len(targets)},
        "parameters": [
            {"key": p.key, "low": p.lo, "high": p.hi, "scale": p.scale, "start": p.value} for p in params
        ],
        "method": args.method,
    }
    _write_manifest(
        "calibrate", args, staging, loaded, runner, result.seeds, msm.deadweight, seconds, section
    )
    finish_out(staging, args.out)
    if args.preset_out is not None:
        if args.preset_out.exists() and not args.force:
            raise CalibrationError(f"{args.preset_out}: exists; pass --force to replace it")
        write_preset(result, plain, label, args.preset_out)
    fit = result.fit_table()
    print(f"\n{'parameter':<40} {'start':>10} {'fitted':>10}  95% interval            identified")
    for r in fit.itertuples(index=False):
        ci = f"[{fmt(r.ci_lo)}, {fmt(r.ci_hi)}]"
        print(
            f"{r.parameter:<40} {fmt(r.start):>10} {fmt(r.fitted):>10}  {ci:<22}  "
            + ("yes" if r.identified else "no")
        )
    tab = result.target_table()
    worst = tab.reindex(tab["z"].abs().sort_values(ascending=False).index).head(5)
    print(f"\nloss (J) {fmt(result.loss)} on {result.dof} degree(s) of freedom, p = {fmt(result.p_value)}")
    print("largest residuals (z = (simulated - observed) / sd):")
    for r in worst.itertuples(index=False):
        year = "" if pd.isna(r.year) else f" {r.year}"
        print(
            f"  {r.indicator}{year} [{r.group}]: observed {fmt(r.observed)}, "
            f"simulated {fmt(r.simulated)}, z {fmt(r.z)}"
        )
    not_id = [p for p, ok in zip(fit["parameter"], fit["identified"], strict=True) if not ok]
    if not_id:
        print(
            "not identified by these targets (their fitted values are written, still assumptions "
            f"with their ranges): {', '.join(not_id)}"
        )
    print(f"\n{result.runs} runs in {seconds:.1f} s. Results: {args.out.resolve()} (preset: {preset.name})")
    return 0


def sensitivity_command(args: argparse.Namespace) -> int:
    """``mcsim sensitivity``: Morris or Sobol indices with seed noise and assumption dependence."""
    from analysis.execution import Runner
    from analysis.numbers import format_number as fmt
    from analysis.outputs import finish_out, prepare_out
    from analysis.sensitivity import DEFAULT_KPIS, SensitivityStudy, plot_indices
    from model.params import load_scenario

    runner = Runner(args.jobs, args.executor, args.scheduler)
    loaded = load_scenario(args.scenario, args.overrides)
    params = _params(args, loaded, allow_all=True)
    n = args.n or (10 if args.method == "morris" else 64)
    study = SensitivityStudy(
        loaded,
        params,
        kpis=list(args.kpi or DEFAULT_KPIS),
        engine=args.engine,
        seeds_per_point=args.seeds,
        seed=args.seed,
    ).sample(args.method, n, levels=args.levels)
    total = len(study.X) * len(study.seeds)
    staging = prepare_out(args.out, args.force)
    print(
        f"mcsim sensitivity: {args.method}, {len(params)} parameter(s), {len(study.X)} design points x "
        f"{len(study.seeds)} fixed seeds = {total} runs, in {runner}",
        file=sys.stderr,
    )
    t0 = time.perf_counter()
    with _bar("sensitivity runs", total) as bar, runner:
        study.evaluate(runner, lambda _: bar.update())
    study.analyze()
    seconds = time.perf_counter() - t0
    indices = study.indices()
    noise = study.seed_noise()
    deps = study.assumption_dependence() if len(indices) else None
    indices.to_csv(staging / "indices.csv", index=False)
    noise.to_csv(staging / "seed_noise.csv", index=False)
    if deps is not None:
        deps.to_csv(staging / "assumptions.csv", index=False)
    study.design().to_csv(staging / "design.csv", index=False)
    if len(indices):
        plot_indices(study, staging / "sensitivity.png")
    section = {
        "method": args.method,
        "n": n,
        "levels": args.levels,
        "design_points": len(study.X),
        "kpis": study.kpis,
        "parameters": [
            {"key": p.key, "low": p.lo, "high": p.hi, "scale": p.scale, "provenance": p.provenance.kind}
            for p in params
        ],
        "notes": study.notes,
    }
    _write_manifest(
        "sensitivity", args, staging, loaded, runner, study.seeds, study.deadweight, seconds, section
    )
    finish_out(staging, args.out)
    key = "mu_star" if args.method == "morris" else "ST"
    for kpi, part in indices.groupby("kpi", sort=False) if len(indices) else []:
        part = part.sort_values(key, ascending=False).head(5)
        conf = f"{key}_conf"
        cells = ", ".join(
            f"{r.parameter} {fmt(getattr(r, key))}±{fmt(getattr(r, conf))}{'' if r.pinned_by_data else '*'}"
            for r in part.itertuples(index=False)
        )
        print(f"{kpi}: {cells}")
    print("(* an assumption no data pins down)")
    if deps is not None:
        print("\nKPIs resting on assumptions no data pins down:")
        for r in deps.itertuples(index=False):
            print(f"  {r.kpi}: {fmt(r.share_from_unpinned_assumptions, share=True)} - {r.verdict}")
    for r in noise.itertuples(index=False):
        if r.noisy:
            print(
                f"note: {r.kpi}: seed noise is up to {fmt(r.seed_share_in_indices, share=True)} of the "
                "variance the indices were computed from; use more --seeds or a larger population"
            )
    for n_ in study.notes:
        print(f"note: {n_}")
    print(f"\n{total} runs in {seconds:.1f} s. Results: {args.out.resolve()}")
    return 0
