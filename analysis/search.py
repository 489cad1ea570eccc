"""``mcsim search``: the cheapest mix of levers that meets the targets in most plausible worlds.

Why an established optimiser and not a grid: the levers of a real question (budgets, coverage,
eligibility rules, outreach) span far more combinations than can be run. pymoo's NSGA-II (or
NSGA-III) searches them with two objectives, minimise the expected public cost and maximise the
share of plausible worlds meeting every target (optionally a third, minimise deadweight), and the
answer is the front of the trade-off: what each further share of worlds costs. The question a
workshop asks, "the cheapest policy that meets the targets in 80 % of worlds", is one point on it.

The optimiser proposes candidates a generation at a time (pymoo's ask and tell); every candidate
runs in the same worlds with the same seeds (``analysis.search_eval``) through the one execution
layer (this process, local processes or Dask). Each run is kept in its own file, and the
optimiser's random numbers come from the SPEC's seed: rerun after a kill, the search proposes the
same candidates, finds their runs on disk and goes on where it stopped; run anywhere, it gives the
same front.

Layout of ``--out DIR``: ``search.json`` (the common manifest; the SPEC, identity, sessions and
timings under ``search``), ``runs/`` (one file per run), ``evaluations.parquet`` (every candidate),
``pareto.csv`` (the front), ``runs.parquet`` (every run of those candidates), ``worlds.csv`` (the
sampled assumptions), ``pareto/`` (each front point as a scenario file, the base scenario, and
``workshop.yaml`` with the points to compare), ``report.html``.
"""

from __future__ import annotations

import json
import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.execution import ResultStore, Runner, write_atomic
from analysis.manifest import manifest, now, resume, scenario_entry, write_manifest
from analysis.search_eval import Evaluator, LostRuns, Worlds, plain
from analysis.search_spec import SearchSpec, load_search_spec
from analysis.sweep_spec import Factor
from analysis.targets import targets_to_meta
from model.params import load_scenario, override_text
from model.streams import derive_seed

__all__ = [
    "LeverSpace",
    "Search",
    "SearchError",
    "SessionLog",
    "cheapest_meeting",
    "non_dominated",
    "search_command",
]

#: Objective value standing for "no value" of a failed candidate (the optimiser sees it as infeasible).
_FAILED = 1e30
#: Front points a workshop file lists besides the base scenario: the cheapest meeting the required
#: share, the cheapest, the most robust, and the cheapest meeting the next share of worlds up.
_WORKSHOP_POINTS = 4


class SearchError(RuntimeError):
    """The search cannot start or go on (a folder holding other results or another search)."""


# ------------------------------------------------------------------------------------ levers


class LeverSpace:
    """The levers as pymoo variables, and pymoo's values back as lever values by dotted key.

    A list of values is a choice among their positions (no order between eligibility rules); a
    range with a step is an integer position on its grid; an integer range an integer; any other
    range a real number.
    """

    def __init__(self, levers: list[Factor]) -> None:
        self.levers = levers

    def variables(self) -> dict[str, Any]:
        """The pymoo variable of each lever, by lever name."""
        from pymoo.core.variable import Choice, Integer, Real

        out: dict[str, Any] = {}
        for f in self.levers:
            if f.values is not None:
                out[f.name] = Choice(options=list(range(len(f.values))))
            elif f.step is not None:
                out[f.name] = Integer(bounds=(0, f.steps - 1))
            elif f.integer:
                out[f.name] = Integer(bounds=(int(f.low), int(f.high)))
            else:
                out[f.name] = Real(bounds=(f.low, f.high))
        return out

    def decode(self, x: dict[str, Any]) -> dict[str, Any]:
        """Lever values by dotted key from one pymoo solution."""
        out = {}
        for f in self.levers:
            v = plain(x[f.name])
            if f.values is not None:
                out[f.key] = f.values[int(v)]
            elif f.step is not None:
                out[f.key] = f.on_grid(int(v))
            elif f.integer:
                out[f.key] = int(v)
            else:
                out[f.key] = float(v)
        return out


# ------------------------------------------------------------------------------------- front


def non_dominated(objectives: np.ndarray) -> np.ndarray:
    """Rows no other row dominates (objectives minimised): at least as good on each, better on one."""
    f = np.asarray(objectives, dtype=float)
    keep = np.ones(len(f), dtype=bool)
    for i in range(len(f)):
        dominated = np.all(f <= f[i], axis=1) & np.any(f < f[i], axis=1)
        keep[i] = not dominated.any()
    return keep


def _minimised(table: pd.DataFrame, spec: SearchSpec) -> np.ndarray:
    """The objectives of ok candidates as a minimisation matrix (an undefined deadweight counts as none)."""
    cols = [table["expected_cost_eur"].to_numpy(float), -table["share_worlds_meeting_all"].to_numpy(float)]
    if spec.deadweight_objective:
        cols.append(np.nan_to_num(table["mean_deadweight_share"].to_numpy(float), nan=0.0))
    return np.column_stack(cols)


def cheapest_meeting(table: pd.DataFrame, required: float) -> pd.Series | None:
    """The cheapest ok candidate meeting every target in at least ``required`` of the worlds.

    Ties go to the higher share, then the lower deadweight; None if no candidate meets it.
    """
    ok = table[(table["status"] == "ok") & (table["share_worlds_meeting_all"] >= required - 1e-12)]
    if ok.empty:
        return None
    keys = ["expected_cost_eur", "share_worlds_meeting_all"]
    ascending = [True, False]
    if "mean_deadweight_share" in ok:
        keys.append("mean_deadweight_share")
        ascending.append(True)
    return ok.sort_values(keys, ascending=ascending, kind="stable").iloc[0]


# ----------------------------------------------------------------------------------- sessions


@dataclass
class SessionLog:
    """What one invocation did: generations, candidates, runs run and reused, timings."""

    generations: int = 0
    candidates: int = 0
    runs_ran: int = 0
    runs_reused: int = 0
    seconds: float = 0.0
    run_seconds: list[float] = field(default_factory=list)
    generation_seconds: list[float] = field(default_factory=list)
    complete: bool = False
    stopped: str = ""

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready summary for ``search.json``."""
        secs = self.run_seconds
        return {
            "generations": self.generations,
            "candidates": self.candidates,
            "runs_ran": self.runs_ran,
            "runs_reused": self.runs_reused,
            "wall_seconds": round(self.seconds, 3),
            "generation_seconds": [round(s, 3) for s in self.generation_seconds],
            "run_seconds_mean": round(float(np.mean(secs)), 4) if secs else None,
            "complete": self.complete,
            "stopped": self.stopped,
        }


# ------------------------------------------------------------------------------------- search


class Search:
    """A search SPEC bound to an output folder: ``prepare``, ``run``, then ``write`` the results."""

    def __init__(self, spec: SearchSpec, out: Path) -> None:
        self.spec = spec
        self.out = Path(out)
        self.runs_dir = self.out / "runs"
        self.worlds: Worlds | None = None
        self.evaluator: Evaluator | None = None
        self.store: ResultStore | None = None
        self.rows: list[dict[str, Any]] = []
        self.log = SessionLog()
        #: the command line of this session (default ``sys.argv``), logged in ``search.json``
        self.argv: list[str] | None = None
        #: where this session runs (``Runner.describe()``)
        self.where: dict[str, Any] = {}
        self._section: dict[str, Any] = {}
        self._created: str | None = None

    def identity(self) -> dict[str, Any]:
        """What makes a stored run with the same key the same run (not the targets, costs or optimiser)."""
        return {
            "quick": self.spec.quick,  # --quick searches at another size: it needs its own folder
            "scenario_hash": self.spec.scenario_hash,
            "seed": self.spec.seed,
            "worlds": self.spec.worlds,
            "worlds_digest": self.worlds.digest if self.worlds else None,
            "deadweight": self.spec.deadweight,
            "engine": "vector",
        }

    # -- the output folder ------------------------------------------------------------------
    def prepare(self) -> Search:
        """Sample the worlds; check the folder holds nothing or this same search; lock it."""
        self.worlds = Worlds.sample(self.spec)
        sessions, self._created = resume(self.out, "search.json", "search", self.identity(), SearchError)
        self.store = ResultStore(self.runs_dir, lambda o: self.evaluator.row(o)).open()
        self.evaluator = Evaluator(self.spec, self.worlds, self.store)
        self._section = {"identity": self.identity(), "sessions": sessions}
        self._write_manifest()
        return self

    def release(self) -> None:
        """Release the folder's lock."""
        if self.store is not None:
            self.store.close()

    # -- running ----------------------------------------------------------------------------
    def optimiser(self, n_obj: int) -> Any:
        """The pymoo algorithm for mixed variables: NSGA-II with binary tournaments, or NSGA-III."""
        from pymoo.core.mixed import (
            MixedVariableDuplicateElimination,
            MixedVariableMating,
            MixedVariableSampling,
        )
        from pymoo.operators.selection.tournament import TournamentSelection

        dedup = MixedVariableDuplicateElimination()
        common = {"pop_size": self.spec.population, "sampling": MixedVariableSampling()}
        if self.spec.algorithm == "nsga2":
            from pymoo.algorithms.moo.nsga2 import NSGA2, binary_tournament

            mating = MixedVariableMating(
                selection=TournamentSelection(func_comp=binary_tournament), eliminate_duplicates=dedup
            )
            return NSGA2(mating=mating, eliminate_duplicates=dedup, **common)
        from pymoo.algorithms.moo.nsga3 import NSGA3, comp_by_cv_then_random
        from pymoo.util.ref_dirs import get_reference_directions

        partitions = 1
        while math.comb(partitions + 1 + n_obj - 1, n_obj - 1) <= self.spec.population:
            partitions += 1
        ref_dirs = get_reference_directions("das-dennis", n_obj, n_partitions=partitions)
        mating = MixedVariableMating(
            selection=TournamentSelection(func_comp=comp_by_cv_then_random), eliminate_duplicates=dedup
        )
        return NSGA3(ref_dirs, mating=mating, eliminate_duplicates=dedup, **common)

    def _objectives(self, rows: list[dict[str, Any]]) -> tuple[np.ndarray, np.ndarray]:
        table = pd.DataFrame(rows)
        ok = (table["status"] == "ok").to_numpy()
        f = np.full((len(table), len(self.spec.objectives)), _FAILED)
        if ok.any():
            f[ok] = _minimised(table[ok], self.spec)
        return f, np.where(ok, 0.0, 1.0)[:, None]

    def run(self, runner: Runner, on_generation: Callable[[int, list[dict]], None] | None = None) -> Search:
        """Optimise: ask the optimiser for candidates, run them (what is not stored yet), tell it.

        Raises:
            LostRuns: The executor lost runs; the finished ones are saved and a rerun goes on.
        """
        from pymoo.core.evaluator import Evaluator as PymooEvaluator
        from pymoo.core.problem import Problem
        from pymoo.problems.static import StaticProblem

        spec, ev = self.spec, self.evaluator
        self.where = runner.describe()
        space = LeverSpace(spec.levers)
        problem = Problem(vars=space.variables(), n_obj=len(spec.objectives), n_ieq_constr=1)
        algorithm = self.optimiser(problem.n_obj)
        seed = derive_seed(spec.seed, "search-optimiser") % 2**32
        algorithm.setup(problem, termination=("n_gen", spec.generations), seed=seed, verbose=False)
        self.rows, seen = [], set()
        log = self.log = SessionLog()
        t0 = time.perf_counter()
        try:
            while algorithm.has_next():
                g0 = time.perf_counter()
                pop = algorithm.ask()
                if pop is None or len(pop) == 0:  # nothing new left to propose in a small space
                    break
                candidates = [space.decode(ind.X) for ind in pop]
                rows = ev.evaluate(candidates, runner, log.generations)
                fresh = [r for r in rows if r["candidate_id"] not in seen]
                seen.update(r["candidate_id"] for r in fresh)
                self.rows += fresh
                f, g = self._objectives(rows)
                PymooEvaluator().eval(StaticProblem(problem, F=f, G=g), pop)
                algorithm.tell(infills=pop)
                log.generations += 1
                log.candidates = len(self.rows)
                log.generation_seconds.append(time.perf_counter() - g0)
                if on_generation:
                    on_generation(log.generations, rows)
            log.complete = True
        except LostRuns as exc:
            log.stopped = str(exc)
            raise
        except KeyboardInterrupt:
            log.stopped = "interrupted"
            raise
        finally:
            log.seconds = time.perf_counter() - t0
            log.runs_ran, log.runs_reused, log.run_seconds = ev.ran, ev.reused, list(ev.run_seconds)
            self._section["sessions"].append({"finished": now(), **log.as_dict(), **self.where})
            self._write_manifest()
        return self

    # -- results ------------------------------------------------------------------------------
    def evaluations(self) -> pd.DataFrame:
        """Every candidate proposed, in order of first proposal, with its place on the front.

        Adds ``on_front``, ``meets_required_share`` and ``cheapest_meeting``.
        """
        table = pd.DataFrame(self.rows)
        ok = (table["status"] == "ok").to_numpy()
        front = np.zeros(len(table), dtype=bool)
        if ok.any():
            front[np.flatnonzero(ok)] = non_dominated(_minimised(table[ok], self.spec))
        table["on_front"] = front
        share = table["share_worlds_meeting_all"] if "share_worlds_meeting_all" in table else np.nan
        table["meets_required_share"] = ok & (np.asarray(share, float) >= self.spec.required_share - 1e-12)
        best = cheapest_meeting(table, self.spec.required_share)
        table["cheapest_meeting"] = table["candidate_id"] == (
            best["candidate_id"] if best is not None else ""
        )
        return table

    def front(self, evaluations: pd.DataFrame) -> pd.DataFrame:
        """The Pareto points, cheapest first."""
        front = evaluations[evaluations["on_front"]].sort_values(
            ["expected_cost_eur", "share_worlds_meeting_all"], ascending=[True, False], kind="stable"
        )
        front = front.drop(columns=["on_front", "status", "error"]).reset_index(drop=True)
        front.insert(0, "point", np.arange(1, len(front) + 1))
        return front

    def write(self) -> dict[str, pd.DataFrame]:
        """Write every result file (see the module docstring); returns the tables."""
        evaluations = self.evaluations()
        front = self.front(evaluations)
        files = self._scenario_files(front, evaluations)
        front["scenario_file"] = [files.get(c, "") for c in front["candidate_id"]]
        runs = self._runs_table()
        worlds = self.worlds.design
        failures = runs[runs["status"] != "ok"] if not runs.empty else runs
        write_atomic(self.out / "evaluations.parquet", lambda p: evaluations.to_parquet(p, index=False))
        write_atomic(self.out / "pareto.csv", lambda p: front.to_csv(p, index=False))
        write_atomic(self.out / "runs.parquet", lambda p: runs.to_parquet(p, index=False))
        write_atomic(self.out / "worlds.csv", lambda p: worlds.to_csv(p, index=False))
        write_atomic(self.out / "failures.csv", lambda p: failures.to_csv(p, index=False))
        best = cheapest_meeting(evaluations, self.spec.required_share)
        self._section["result"] = {
            "candidates": len(evaluations),
            "failed": int((evaluations["status"] != "ok").sum()),
            "front": len(front),
            "cheapest_meeting": None if best is None else str(best["candidate_id"]),
        }
        self._write_manifest()
        tables = {"evaluations": evaluations, "pareto": front, "runs": runs, "worlds": worlds}
        from analysis.search_report import write_search_report

        write_search_report(
            self.out, tables, json.loads((self.out / "search.json").read_text(encoding="utf-8"))
        )
        return tables

    def _runs_table(self) -> pd.DataFrame:
        return self.evaluator.runs_table([r["candidate_id"] for r in self.rows])

    def _scenario_files(self, front: pd.DataFrame, evaluations: pd.DataFrame) -> dict[str, str]:
        """Each front point as a scenario file, the base scenario, and a workshop set of a few points."""
        from analysis.scenario_files import write_policy_scenario
        from analysis.search_report import front_roles

        spec = self.spec
        folder = self.out / "pareto"
        folder.mkdir(exist_ok=True)
        for old in folder.glob("*.yaml"):
            old.unlink()
        keys = {f.name: f.key for f in spec.levers}
        constant = {
            override_text(k, v): f"constant of mcsim search {spec.name} (set:)"
            for k, v in spec.constants.items()
        }
        ensemble = f"--ensemble {spec.worlds} --ensemble-reps {spec.replications} --seed {spec.seed}"
        command = f"mcsim compare {folder / 'workshop.yaml'} {ensemble} --report --out DIR"
        reproduce = f"In the worlds of the search: {command}"
        base_levers = {
            override_text(f.key, spec.base_values[f.key]): f"lever: as in {spec.scenario.name} (not varied)"
            for f in spec.levers
        }
        write_policy_scenario(
            folder / "base.yaml",
            spec.scenario,
            {**constant, **base_levers},
            name=f"{load_scenario(spec.scenario).config.name} (search base)",
            description=f"The scenario mcsim search {spec.name} started from, with its constants.",
            header=f"Written by mcsim search {spec.name}: the base scenario with its constants.\n{reproduce}",
        )
        roles = front_roles(front, spec.required_share)
        files: dict[str, str] = {}
        for row in front.itertuples(index=False):
            values = {keys[name]: getattr(row, name) for name in keys}
            role = roles.get(row.candidate_id, "")
            levers = {
                override_text(
                    k, plain(v)
                ): f"lever: chosen by mcsim search {spec.name}, Pareto point {row.point}"
                for k, v in values.items()
            }
            share = f"{row.share_worlds_meeting_all:.0%}"
            name = f"Search {spec.name}: point {row.point}" + (f", {role}" if role else "")
            cost = f"EUR {row.expected_cost_eur:,.0f}"
            reach = f"meets every target in {share} of {spec.worlds} plausible worlds"
            summary = f"Pareto point {row.point} of {len(front)}: expected public cost {cost}; {reach}."
            path = folder / f"point_{row.point:02d}.yaml"
            write_policy_scenario(
                path,
                spec.scenario,
                {**constant, **levers},
                name=name,
                description=summary,
                header=f"Written by mcsim search {spec.name}. {summary}\n{reproduce}",
            )
            files[row.candidate_id] = f"{folder.name}/{path.name}"
        chosen = list(dict.fromkeys(roles))[:_WORKSHOP_POINTS]
        targets = ", ".join(t.text for t in spec.targets.values())
        workshop = {
            "workshop": {
                "title": f"What it takes: {spec.name}",
                "description": (
                    f"The base scenario and points of the cost x robustness front of mcsim search "
                    f"{spec.name} (targets: {targets}; required share of worlds {spec.required_share:.0%}). "
                    + reproduce
                ),
                "scenarios": ["base.yaml", *(Path(files[c]).name for c in chosen)],
            }
        }
        text = "# " + reproduce + "\n" + _yaml(workshop)
        (folder / "workshop.yaml").write_text(text, encoding="utf-8")
        return files

    def _write_manifest(self) -> None:
        spec = self.spec
        section = {**spec.describe(), **self._section, "worlds_sampled": list(self.worlds.design.columns[1:])}
        section["worlds_held"] = len(self.worlds.fixed)
        seeds = [s for world in self.worlds.seeds for s in world]
        meta = manifest(
            "search",
            scenarios=[scenario_entry(load_scenario(spec.scenario, spec.constant_overrides()))],
            seed=spec.seed,
            reps=spec.replications,
            seeds=seeds,
            engine="vector",
            deadweight=spec.deadweight,
            executor=self.where or None,
            overrides=spec.constant_overrides(),
            targets=targets_to_meta(spec.targets),
            seconds=sum(s.get("wall_seconds") or 0.0 for s in section["sessions"]),
            created=self._created,
            argv=self.argv,
            sections={"search": section},
        )
        self._created = meta["created"]
        write_manifest(self.out / "search.json", meta)


def _yaml(data: Any) -> str:
    import yaml

    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=110)


# --------------------------------------------------------------------------------------- CLI


def search_command(
    spec_path: str | Path,
    out: Path,
    quick: bool = False,
    executor: str | None = None,
    scheduler: str | None = None,
    jobs: int = 1,
    argv: list[str] | None = None,
) -> int:
    """``mcsim search``: the search, its results and what it found, printed.

    Returns 0 when the search finished; 1 when runs were lost or failed for a reason other than a
    refused combination (the finished runs are kept; rerun to go on).
    """
    from tqdm import tqdm

    from analysis.search_report import summary_lines

    runner = Runner(jobs, executor, scheduler)
    spec = load_search_spec(spec_path, quick)
    search = Search(spec, out)
    search.argv = argv
    search.prepare()
    size = f"{spec.population} candidates x {spec.generations} generations" + (" (--quick)" if quick else "")
    print(
        f"{spec.name}: {spec.algorithm.upper()}, {size}, each in {spec.worlds} plausible worlds x "
        f"{spec.replications} seed(s) on {runner}",
        file=sys.stderr,
    )
    try:
        with (
            tqdm(total=spec.generations, desc="search", unit="gen", file=sys.stderr, disable=None) as bar,
            runner,
        ):

            def progress(gen: int, rows: list[dict]) -> None:
                bar.update(1)
                ok = [r for r in rows if r["status"] == "ok"]
                best = max((r["share_worlds_meeting_all"] for r in ok), default=float("nan"))
                bar.set_postfix(candidates=search.log.candidates, best_share=f"{best:.2f}")
                if bar.disable:
                    print(
                        f"search: generation {gen}/{spec.generations}, {search.log.candidates} candidates, "
                        f"best share of worlds {best:.2f}",
                        file=sys.stderr,
                        flush=True,
                    )

            try:
                search.run(runner, progress)
            except LostRuns as exc:
                print(f"mcsim: {exc}; run the same command again to go on", file=sys.stderr)
                return 1
        tables = search.write()
    finally:
        search.release()
    log = search.log
    for line in summary_lines(tables, spec):
        print(line)
    per_run = f", {np.mean(log.run_seconds):.2f} s per run in the workers" if log.run_seconds else ""
    ran = (
        f"this session ran {log.runs_ran} runs ({log.runs_reused} found done) in {log.seconds:.1f} s{per_run}"
    )
    done = f"{log.candidates} candidates in {log.generations} generations"
    print(f"\n{done}; {ran}. Results: {Path(out).resolve()}")
    evaluations = tables["evaluations"]
    crashed = evaluations[
        (evaluations["status"] != "ok") & ~evaluations["error"].str.startswith("invalid combination")
    ]
    failed = int((evaluations["status"] != "ok").sum())
    if failed:
        print(
            f"{failed} candidates failed (refused or crashed runs): {(Path(out) / 'failures.csv').resolve()}"
        )
    return 1 if len(crashed) else 0
