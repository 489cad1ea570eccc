"""The ``mcsim`` command line: run, compare, validate, explain, rerun, demo.

Why errors are caught here: a user mistake (a bad scenario key, an existing output folder) must give
one clear message and a non-zero exit, never a traceback, and must never lose finished results.

Why the imports sit inside the commands: ``mcsim --help`` and a mistyped option must answer at once,
so building the parser imports nothing heavier than argparse; each command imports what it runs
(SciPy, pandas, Plotly, Dash) when it runs (``tests/analysis/test_cli_startup.py`` checks).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, get_args

from analysis.calibration.commands import add_calibrate_arguments, add_sensitivity_arguments
from analysis.dashboard.presets import PRESETS
from analysis.options import add_execution, add_overrides
from model.params.provenance import Kind

if TYPE_CHECKING:
    import pandas as pd

    from analysis.experiment import Experiment
    from analysis.targets import Target
    from model.params import LoadedScenario

if TYPE_CHECKING:
    from analysis.ensemble import Ensemble
    from analysis.execution import Runner

__all__ = ["main"]

#: The bundled workshop set ``mcsim demo`` compares.
DEMO_WORKSHOP = "fi/workshop"


class UsageError(ValueError):
    """A bad combination of command-line arguments."""


class _Version(argparse.Action):
    """``--version``: the installed version, read only when asked for (importlib.metadata is slow)."""

    def __init__(self, option_strings: list[str], dest: str = argparse.SUPPRESS, **kwargs) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        """Print the version and exit."""
        from model import __version__

        parser.exit(message=f"mcsim {__version__}\n")


#: Every error that is the user's to fix (printed as one message, exit code 2): module and class.
_USER_ERRORS = (
    ("model.params.loader", "ScenarioError"),
    ("analysis.workshop", "WorkshopError"),
    ("analysis.outputs", "OutputError"),
    ("analysis.sweep_spec", "SpecError"),
    ("analysis.sweep", "SweepError"),
    ("analysis.search", "SearchError"),
    ("analysis.calibration.errors", "StudyError"),
    ("analysis.execution.executors", "ExecutionError"),
    ("analysis.rules", "RuleError"),
)


def _is_user_error(exc: Exception) -> bool:
    """Whether ``exc`` is the user's to fix.

    Looked up among the modules already imported: an error whose module the command never imported
    cannot have been raised, and importing it here would slow every error down.
    """
    classes = [getattr(sys.modules[m], name) for m, name in _USER_ERRORS if m in sys.modules]
    return isinstance(exc, (UsageError, *classes))


def _load_all(paths: list[str], overrides: list[str]) -> list[LoadedScenario]:
    from analysis.workshop import expand_paths
    from model.params import load_scenario

    return [load_scenario(p, overrides) for p in expand_paths(paths)]


def _add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--reps", type=int, default=10, help="replications per scenario (default 10)")
    p.add_argument("--seed", type=int, default=1, help="base seed; replication seeds derive from it")
    p.add_argument(
        "--engine",
        choices=["auto", "mesa", "vector"],
        default="auto",
        help="auto: Mesa up to 500 simulated workers, vector above",
    )
    add_overrides(p)
    p.add_argument("--out", type=Path, required=True, help="folder for the results (must be empty)")
    p.add_argument("--force", action="store_true", help="replace results already in --out")
    add_execution(p)
    p.add_argument("--events", action="store_true", help="also write the event log (events.parquet)")
    p.add_argument(
        "--indicators",
        action="store_true",
        help="also write indicators.csv: statistics-shaped indicators per calendar year and group "
        "(firm and employee training rates by size, gender and age, ...), computed in each run's worker",
    )
    p.add_argument(
        "--no-deadweight",
        action="store_true",
        help="skip the counterfactual runs that measure deadweight (halves the cost)",
    )
    p.add_argument("--explain", action="store_true", help="list every parameter with provenance first")
    p.add_argument(
        "--ensemble",
        type=int,
        default=0,
        metavar="N",
        help="also run N plausible worlds sampled from the assumption ranges (Latin hypercube)",
    )
    p.add_argument(
        "--ensemble-reps", type=int, default=2, metavar="R", help="seeds per ensemble member (default 2)"
    )
    p.add_argument(
        "--both-rules",
        action="store_true",
        help="also run every scenario under the other employer.trust_rule (same seeds) and check whether "
        "the ranking of the scenarios on each headline KPI holds (rule_ranking.csv, and the report)",
    )
    p.add_argument(
        "--target",
        action="append",
        default=[],
        dest="targets",
        metavar="KPI>=VALUE",
        help="a target to colour, count worlds and time against, e.g. spend_per_credential_eur<=1500 "
        "(repeatable; adds to the evidence's women_share>=0.1, or replaces it)",
    )
    p.add_argument("--report", action="store_true", help="also write report.html (self-contained, offline)")
    p.add_argument("--images", action="store_true", help="also write PNG/SVG of the main charts (images/)")


def _explain_table(loaded: LoadedScenario, only: str | None = None) -> str:
    from model.params.tables import explain_leaf, rule_for

    params = loaded.parameters()
    lines = [
        f"# {loaded.config.name}  ({loaded.path}, hash {loaded.hash})",
        f"# {loaded.assumption_count()} of {len(params)} values are assumptions "
        "(including schema defaults without a source)",
    ]
    for key, value, prov in params:
        if only and prov.kind != only:
            continue
        lines.append(f"{key} = {json.dumps(value, default=str)}\n    {prov.describe()}")
        if prov.table and prov.table_range:
            lines.append(f"    {explain_leaf(key, value, prov.table)}")
    tables = loaded.tables()
    if tables and (not only or only == "assumption"):
        lines.append(
            "# Tables with one range each (the ensemble samples one number per table; 1 = as written):"
        )
        for key, (prov, _) in tables.items():
            lo, hi = prov.table_range
            lines.append(f"#   {key}: {rule_for(key).meaning()}; range {lo:g}..{hi:g}")
    return "\n".join(lines)


_CELL = 30  # characters per scenario column: a difference of shares with its interval fits


def _print_table(title: str, table: pd.DataFrame, value: str) -> None:
    """KPIs down, scenarios across: value [95 % interval] per cell."""
    from analysis.numbers import format_estimate
    from model.kpis import KPI_NAMES

    diff = value == "diff"
    labels = list(dict.fromkeys(table["scenario"]))
    width = max(len(k) for k in KPI_NAMES)
    print(f"\n{title:<{width}}  " + "  ".join(f"{lb[:_CELL]:>{_CELL}}" for lb in labels))
    for kpi in KPI_NAMES:
        cells = []
        for lb in labels:
            row = table[(table["scenario"] == lb) & (table["kpi"] == kpi)].iloc[0]
            text = format_estimate(row[value], row["lo"], row["hi"], kpi, diff=diff)
            cells.append(text[:_CELL].rjust(_CELL))
        print(f"{kpi:<{width}}  " + "  ".join(cells))


def _print_summary(tables: dict[str, pd.DataFrame]) -> None:
    _print_table("KPI (horizon; flows: total)", tables["summary"], "mean")


def _print_differences(tables: dict[str, pd.DataFrame]) -> None:
    d = tables.get("differences")
    if d is None or d.empty:
        return
    print(
        f"\nDifference against {d['baseline'].iloc[0]} (paired, common random numbers; mean [95% interval])"
    )
    _print_table("KPI", d, "diff")


def _execute(args: argparse.Namespace, paths: list[str]) -> Path:
    from tqdm import tqdm

    from analysis.execution import Runner
    from analysis.experiment import Experiment
    from analysis.outputs import experiment_manifest, finish_out, prepare_out, write_results
    from analysis.targets import resolve_targets, targets_to_meta

    if args.reps < 1:
        raise UsageError("--reps must be at least 1")
    runner = Runner(args.jobs, getattr(args, "executor", None), getattr(args, "scheduler", None))
    targets = getattr(args, "resolved_targets", None)  # rerun: the manifest's own
    if targets is None:
        try:
            targets = resolve_targets(getattr(args, "targets", []))
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    ensemble = getattr(args, "ensemble", 0)
    if ensemble and ensemble < 2:
        raise UsageError("--ensemble needs at least 2 members")
    loaded = _load_all(paths, args.overrides)
    if getattr(args, "both_rules", False):
        from analysis.rules import other_rules

        other_rules(loaded)  # the scenarios must share one rule: say so before any run
    if args.explain:
        for ls in loaded:
            print(_explain_table(ls))
    staging = prepare_out(args.out, args.force)
    exp = Experiment(
        loaded,
        reps=args.reps,
        seed=args.seed,
        engine=args.engine,
        deadweight=not args.no_deadweight,
        keep_events=args.events,
        indicators=getattr(args, "indicators", False),
    )
    total = len(loaded) * args.reps
    with runner:
        t0 = time.perf_counter()
        with tqdm(total=total, desc="runs", unit="run", file=sys.stderr, disable=None) as bar:
            exp.run(runner, on_done=lambda _: bar.update())
        seconds = time.perf_counter() - t0
        rules = _run_other_rules(args, exp, runner) if getattr(args, "both_rules", False) else None
        ens = _run_ensemble(args, exp, runner, targets) if ensemble else None
    sections = {"ensemble": ens.describe()} if ens is not None else {}
    if rules is not None:
        from analysis.rules import RULE_KEY

        sections["both_rules"] = {"key": RULE_KEY, "rules": list(dict.fromkeys(rules[RULE_KEY]))}
    decomposition = _decomposition_labels(paths, exp)
    if decomposition:
        sections["decomposition"] = decomposition
    if exp.indicators:
        from analysis.indicator_table import TABLE_INDICATORS

        sections["indicators"] = {"table": "indicators.csv", "indicators": list(TABLE_INDICATORS)}
    meta = experiment_manifest(
        exp,
        args.command,
        runner.describe(),
        seconds,
        args.overrides,
        targets_to_meta(targets),
        sections,
        getattr(args, "argv", None),
    )
    tables = write_results(exp, staging, meta)
    if rules is not None:
        tables |= _write_rules(rules, staging)
    if ens is not None:
        tables |= _write_ensemble(ens, staging)
    finish_out(staging, args.out)
    _print_summary(tables)
    _print_differences(tables)
    engines = ", ".join(sorted({r.engine for r in exp.results}))
    print(f"\n{total} runs ({engines} engine) in {seconds:.1f} s in {runner}. Results: {args.out.resolve()}")
    _workshop_outputs(args, exp, tables, meta, paths)
    return args.out


def _decomposition_labels(paths: list[str], exp: Experiment) -> dict[str, object] | None:
    """The labels of a workshop set's baseline, package and variants, when the set names them."""
    from analysis.workshop import read_workshop
    from model.bundled import resolve_scenario

    ws = read_workshop(resolve_scenario(paths[0])) if len(paths) == 1 else None
    if ws is None or ws.decomposition is None:
        return None
    label = {p: r.label for p, r in zip(ws.paths, exp.results, strict=True)}
    d = ws.decomposition
    return {
        "baseline": exp.results[0].label,
        "package": label[d.package],
        "variants": [label[v] for v in d.variants],
    }


def _run_other_rules(args: argparse.Namespace, exp: Experiment, runner: Runner) -> pd.DataFrame:
    """The comparison again under each other employer rule, on the same seeds (``--both-rules``)."""
    from tqdm import tqdm

    from analysis.rules import other_rules, run_other_rules

    total = len(exp.results) * exp.reps * len(other_rules([r.loaded for r in exp.results]))
    with tqdm(total=total, desc="other rule", unit="run", file=sys.stderr, disable=None) as bar:
        return run_other_rules(exp, args.overrides, runner, on_done=lambda _: bar.update())


def _write_rules(runs: pd.DataFrame, staging: Path) -> dict[str, pd.DataFrame]:
    """Write the runs under each rule, their summary and the ranking check; say what it found."""
    from analysis.rules import rule_tables

    tables = rule_tables(runs)
    for name, table in tables.items():
        table.to_csv(staging / f"{name}.csv", index=False)
    _print_rule_check(tables["rule_ranking"], "under each employer.trust_rule, same seeds")
    return tables


def _print_rule_check(ranking: pd.DataFrame, how: str) -> None:
    """One line per headline KPI: does the ranking of the scenarios hold under every choice?"""
    if ranking.empty:
        return
    print(f"\nRanking of the scenarios {how}:")
    for (key, kpi), grp in ranking.groupby(["key", "kpi"], sort=False):
        orders = "; ".join(f"{key}={r.choice}: {r.ranking}" for r in grp.itertuples())
        print(f"  {kpi}: {'holds' if grp['holds'].iloc[0] else 'changes'} ({orders})")


def _run_ensemble(
    args: argparse.Namespace, exp: Experiment, runner: Runner, targets: dict[str, Target]
) -> Ensemble:
    """Ensemble over the assumption ranges x seeds (chance and ignorance), on the same runner."""
    from tqdm import tqdm

    from analysis.ensemble import Ensemble

    ens = Ensemble(
        [r.loaded for r in exp.results],
        [r.label for r in exp.results],
        members=args.ensemble,
        reps=args.ensemble_reps,
        seed=args.seed,
        overrides=args.overrides,
        targets_to_meet=targets,
    ).sample()
    total = ens.members * ens.reps * len(exp.results)
    with tqdm(total=total, desc="ensemble", unit="run", file=sys.stderr, disable=None) as bar:
        ens.run(runner, on_done=lambda _: bar.update())
    return ens


def _write_ensemble(ens: Ensemble, staging: Path) -> dict:
    """Write the ensemble's tables into the results and say what it found."""
    from analysis.numbers import format_number

    tables = ens.write(staging)
    n_tables = sum(u.kind in ("factor", "exponent") for u in ens.uncertainties)
    choices = ens.choice_keys()
    print(
        f"\nEnsemble: {ens.members} plausible worlds x {ens.reps} seeds over "
        f"{ens.design.shape[1] - len(choices)} assumption ranges ({n_tables} of them whole tables) and "
        f"{len(choices)} structural choices ({', '.join(choices) or 'none'}; "
        f"{len(ens.fixed)} values with nothing to sample held, see ensemble_fixed_assumptions.txt), "
        f"{ens.seconds:.1f} s"
    )
    for _, row in tables["ensemble_targets"].iterrows():
        print(
            f"  {row['scenario']}: {row['kpi']} {row['target']} in "
            f"{format_number(row['share_of_worlds_met'], share=True)} of plausible worlds"
        )
    _print_rule_check(tables["ensemble_choice_ranking"], "within the plausible worlds of each choice")
    return tables


def _workshop_outputs(
    args: argparse.Namespace, exp: Experiment, tables: dict, meta: dict, paths: list[str]
) -> None:
    """report.html and images, written after the results are safe in place."""
    from analysis.images import ImageError, write_images
    from analysis.report import workshop_title, write_report
    from analysis.targets import targets_from_meta

    if getattr(args, "report", False):
        loaded = [r.loaded for r in exp.results]
        path = write_report(args.out, tables, meta, loaded, workshop_title(paths))
        print(f"Report: {path.resolve()}")
    if getattr(args, "images", False):
        try:
            images = write_images(args.out, tables, targets=targets_from_meta(meta))
            print(f"Images: {len(images)} files in {images[0].parent.resolve()}")
        except ImageError as exc:
            print(f"mcsim: warning: {exc}; the results and the report are complete", file=sys.stderr)


def cmd_run(args: argparse.Namespace) -> int:
    """``mcsim run``: replications of one scenario."""
    _execute(args, [args.scenario])
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    """``mcsim compare``: several scenarios (or a workshop file) with common random numbers."""
    _execute(args, args.scenarios)
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    """``mcsim validate``: check scenario files; one line per file, errors in full."""
    from analysis.workshop import WorkshopError, expand_paths
    from model.params import ScenarioError, load_scenario

    failed = 0
    for path in args.files:
        try:
            for p in expand_paths([path]):
                ls = load_scenario(p, args.overrides)
                print(
                    f"ok    {p}  (hash {ls.hash}; {ls.assumption_count()} assumptions "
                    f"of {len(ls.parameters())} values)"
                )
        except (ScenarioError, WorkshopError) as exc:
            failed += 1
            print(f"error {exc}", file=sys.stderr)
    return 1 if failed else 0


def cmd_explain(args: argparse.Namespace) -> int:
    """``mcsim explain``: every parameter with its value and provenance."""
    from analysis.workshop import expand_paths
    from model.params import load_scenario

    for p in expand_paths([args.scenario]):
        print(_explain_table(load_scenario(p, args.overrides), args.kind))
    return 0


def cmd_rerun(args: argparse.Namespace) -> int:
    """``mcsim rerun``: reproduce a run from its manifest (refuses if a scenario file changed)."""
    from analysis.targets import targets_from_meta
    from model.params import load_scenario

    try:
        meta = json.loads(Path(args.manifest).read_text(encoding="utf-8"))
        paths = [s["path"] for s in meta["scenarios"]]
        expected = [s["hash"] for s in meta["scenarios"]]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise UsageError(f"{args.manifest}: not a readable mcsim manifest.json ({exc})") from None
    overrides = meta.get("overrides", [])
    for p, h in zip(paths, expected, strict=True):
        got = load_scenario(p, overrides).hash
        if got != h and not args.force:
            raise UsageError(
                f"{p}: scenario changed since the manifest (hash {got}, was {h}); "
                "pass --force to rerun with the current file"
            )
    ns = argparse.Namespace(
        command="rerun",
        argv=args.argv,
        reps=meta["reps"],
        seed=meta["seed"],
        engine=meta["engine"],
        overrides=overrides,
        out=args.out,
        force=args.force,
        executor=args.executor,
        scheduler=args.scheduler,
        jobs=args.jobs,
        events=False,
        no_deadweight=not meta.get("deadweight", True),
        indicators="indicators" in meta,
        both_rules="both_rules" in meta,
        explain=False,
        resolved_targets=targets_from_meta(meta),
    )
    _execute(ns, paths)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """``mcsim demo``: the bundled Finnish workshop comparison, into a new timestamped folder."""
    from model.bundled import resolve_scenario

    workshop = resolve_scenario(DEMO_WORKSHOP)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    out = args.out or (Path("results") / f"demo-{stamp}")
    ns = argparse.Namespace(
        command="demo",
        argv=args.argv,
        reps=args.reps,
        seed=1,
        engine=args.engine,
        overrides=args.overrides,
        out=out,
        force=False,
        jobs=args.jobs,
        events=False,
        no_deadweight=False,
        explain=False,
        report=True,
        images=args.images,
    )
    print(
        f"mcsim demo: comparing the scenarios of the bundled {DEMO_WORKSHOP} ({workshop}), "
        f"{args.reps} replications each"
    )
    _execute(ns, [str(workshop)])
    print(f"\nThe demo results are in {out.resolve()}: summary.csv, differences.csv, kpis.csv, manifest.json")
    print(f"Open the workshop report in any browser: {(out / 'report.html').resolve()}")
    return 0


def cmd_sweep(args: argparse.Namespace) -> int:
    """``mcsim sweep``: a resumable design of experiments on local processes or Dask."""
    from analysis.sweep import sweep_command

    return sweep_command(
        args.spec, args.out, args.executor, args.scheduler, args.jobs, args.retry_failed, argv=args.argv
    )


def cmd_search(args: argparse.Namespace) -> int:
    """``mcsim search``: the cheapest policy meeting the targets in most plausible worlds."""
    from analysis.search import search_command

    return search_command(
        args.spec, args.out, args.quick, args.executor, args.scheduler, args.jobs, argv=args.argv
    )


def cmd_calibrate(args: argparse.Namespace) -> int:
    """``mcsim calibrate``: fit parameters to targets (simulated moments or ABC-SMC)."""
    from analysis.calibration.commands import calibrate_command

    return calibrate_command(args)


def cmd_sensitivity(args: argparse.Namespace) -> int:
    """``mcsim sensitivity``: Morris screening or Sobol indices of KPIs over parameters."""
    from analysis.calibration.commands import sensitivity_command

    return sensitivity_command(args)


def cmd_dashboard(args: argparse.Namespace) -> int:
    """``mcsim dashboard``: the live workshop dashboard (levers against a pinned baseline) in the browser."""
    from analysis.dashboard.app import serve  # only this command needs the web framework

    try:
        serve(args.host, args.port, args.preset, args.reps)
    except OSError as exc:
        raise UsageError(f"cannot listen on {args.host}:{args.port} ({exc}); try another --port") from None
    return 0


_SCENARIO_HELP = "scenario YAML file, or a bundled scenario by name (e.g. fi/baseline)"


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every sub-command."""
    parser = argparse.ArgumentParser(prog="mcsim", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action=_Version, help="show the version and exit")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("run", help="run replications of one scenario")
    p.add_argument("scenario", help=_SCENARIO_HELP)
    _add_common(p)
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("compare", help="compare scenarios with common random numbers")
    p.add_argument(
        "scenarios",
        nargs="+",
        help="scenarios (files or bundled names), or a workshop set listing them; the first is the baseline",
    )
    _add_common(p)
    p.set_defaults(func=cmd_compare)

    p = sub.add_parser("validate", help="check scenario files and report every problem")
    p.add_argument("files", nargs="+", help="scenario files, bundled names or workshop sets")
    add_overrides(p)
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("explain", help="list every parameter with its value and provenance")
    p.add_argument("scenario", help=_SCENARIO_HELP)
    add_overrides(p)
    p.add_argument(
        "--kind",
        choices=list(get_args(Kind)),
        help="only values of this provenance kind",
    )
    p.set_defaults(func=cmd_explain)

    p = sub.add_parser("rerun", help="reproduce a run from its manifest.json")
    p.add_argument("manifest")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--force", action="store_true")
    add_execution(p)
    p.set_defaults(func=cmd_rerun)

    p = sub.add_parser("sweep", help="run levers x uncertainties x replications; resumable, local or Dask")
    p.add_argument("spec", help="sweep SPEC YAML file (see examples/sweeps/)")
    p.add_argument("--out", type=Path, required=True, help="results folder; rerun the same command to resume")
    add_execution(p)
    p.add_argument("--retry-failed", action="store_true", help="run again the runs recorded as failed")
    p.set_defaults(func=cmd_sweep)

    p = sub.add_parser(
        "search", help="what it takes: the cheapest levers meeting the targets in most plausible worlds"
    )
    p.add_argument("spec", help="search SPEC YAML file (see examples/search/)")
    p.add_argument("--out", type=Path, required=True, help="results folder; rerun the same command to resume")
    p.add_argument(
        "--quick", action="store_true", help="the SPEC's quick: sizes (fewer workers, worlds, generations)"
    )
    add_execution(p)
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("calibrate", help="fit parameters to Vipunen/SEPE targets (simulated moments, ABC)")
    add_calibrate_arguments(p)
    p.set_defaults(func=cmd_calibrate)

    p = sub.add_parser("sensitivity", help="Morris screening or Sobol indices of KPIs (SALib)")
    add_sensitivity_arguments(p)
    p.set_defaults(func=cmd_sensitivity)

    p = sub.add_parser("demo", help="run the bundled Finnish comparison (what `make demo` does)")
    p.add_argument("--reps", type=int, default=10)
    p.add_argument("--jobs", type=int, default=1)
    p.add_argument("--engine", choices=["auto", "mesa", "vector"], default="auto")
    p.add_argument("--out", type=Path, default=None)
    p.add_argument("--images", action="store_true", help="also write PNG/SVG of the main charts")
    add_overrides(p, "override a value in every demo scenario, e.g. --set population.workers=300")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("dashboard", help="live workshop dashboard: move levers, see KPIs against a baseline")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: this machine only)")
    p.add_argument("--port", type=int, default=8050, help="port (default 8050)")
    p.add_argument("--preset", choices=list(PRESETS), default="fi", help="preset at start")
    p.add_argument(
        "--reps", type=int, default=5, choices=range(3, 11), metavar="3..10", help="replications at start"
    )
    p.set_defaults(func=cmd_dashboard)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit code (0 ok, 1 validation failures, 2 user errors)."""
    args = build_parser().parse_args(argv)
    args.argv = ["mcsim", *(sys.argv[1:] if argv is None else argv)]  # the command line, for manifests
    try:
        return args.func(args)
    except BrokenPipeError:  # output piped into `head` and closed early
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("mcsim: interrupted; finished results were left as they were", file=sys.stderr)
        return 130
    except Exception as exc:
        if not _is_user_error(exc):
            raise
        print(f"mcsim: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
