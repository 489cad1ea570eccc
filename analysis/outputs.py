"""Writing results: tidy tables, summaries, the manifest, and the guard against overwriting.

Why a staging folder: results are written to ``DIR.partial`` and renamed to ``DIR`` only when
complete, so an interrupted run never leaves a half-written folder that looks finished, and a
finished folder is never overwritten unless the user says ``--force``.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.decomposition import decomposition_table
from analysis.experiment import Experiment
from analysis.manifest import manifest, scenario_entry, write_manifest
from analysis.summary import differences, interval, summarise, summarise_funnel, summarise_indicators
from analysis.targets import summarise_time_to_target, targets_from_meta, time_to_target
from model.funders import FUNDER_METRICS

__all__ = ["OutputError", "prepare_out", "finish_out", "write_results", "experiment_manifest"]


class OutputError(RuntimeError):
    """The output folder cannot be used (it holds results and --force was not given)."""


def prepare_out(out: Path, force: bool) -> Path:
    """Check ``out`` may be written; return the staging folder to write into."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())) and not force:
        raise OutputError(
            f"{out}: already holds results; choose another --out or pass --force to replace them"
        )
    staging = out.with_name(out.name + ".partial")
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    return staging


def finish_out(staging: Path, out: Path) -> None:
    """Move the finished staging folder into place."""
    if out.exists():
        shutil.rmtree(out)
    staging.rename(out)


def experiment_manifest(
    exp: Experiment,
    command: str,
    executor: Mapping[str, Any],
    seconds: float,
    overrides: list[str],
    targets: Mapping[str, Any],
    sections: Mapping[str, Mapping[str, Any]] | None = None,
    argv: list[str] | None = None,
) -> dict[str, Any]:
    """The manifest of a run or comparison: what ``mcsim rerun`` and the report read back."""
    scenarios = [
        scenario_entry(
            r.loaded,
            label=r.label,
            engine=r.engine,
            assumptions=r.loaded.assumption_count(),
            parameters=len(r.loaded.parameters()),
            rep_seeds=r.seeds,
            seconds=round(r.seconds, 3),
            phase_seconds={
                k: round(sum(run.phase_seconds.get(k, 0.0) for run in r.runs), 4)
                for k in (r.runs[0].phase_seconds if r.runs else {})
            },
        )
        for r in exp.results
    ]
    return manifest(
        command,
        scenarios=scenarios,
        seed=exp.seed,
        reps=exp.reps,
        seeds=exp.results[0].seeds if exp.results else [],
        engine=exp.engine,
        deadweight=exp.deadweight,
        executor=executor,
        overrides=overrides,
        targets=targets,
        seconds=seconds,
        argv=argv,
        sections=sections,
    )


def _write_funders(exp: Experiment, staging: Path) -> dict[str, pd.DataFrame]:
    """Write the funders' tables.

    funders.csv (mean and 95 % interval per scenario, instrument and figure), funders_runs.csv,
    funders_breakdown.csv (who the money reached) and ledger.parquet (every payment).
    """
    runs, parts, ledgers = [], [], []
    for r in exp.results:
        for rep, run in enumerate(r.runs):
            runs += [{"scenario": r.label, "rep": rep, **row} for row in run.funders]
            if run.breakdown is not None and not run.breakdown.empty:
                parts.append(run.breakdown.assign(scenario=r.label, rep=rep))
            if run.ledger is not None and not run.ledger.empty:
                ledgers.append(run.ledger.assign(scenario=r.label, rep=rep))
    if not runs:
        return {}
    per_run = pd.DataFrame(runs)
    per_run.to_csv(staging / "funders_runs.csv", index=False)
    rows = []
    for (scenario, instrument), grp in per_run.groupby(["scenario", "instrument"], sort=False):
        start = next(r.loaded.config.start_date for r in exp.results if r.label == scenario)
        for metric in FUNDER_METRICS:
            mean, lo, hi, n = interval(grp[metric].to_numpy(float))
            row = {
                "scenario": scenario,
                "instrument": instrument,
                "kind": grp["kind"].iloc[0],
                "figure": metric,
                "n": n,
                "mean": mean,
                "lo": lo,
                "hi": hi,
            }
            if metric == "first_refusal_week":
                weeks = grp[metric].dropna()
                row["first_refusal_month"] = (
                    (start + dt.timedelta(weeks=float(weeks.min()))).strftime("%Y-%m") if len(weeks) else ""
                )
            rows.append(row)
    funders = pd.DataFrame(rows)
    funders.to_csv(staging / "funders.csv", index=False)
    tables = {"funders": funders, "funders_runs": per_run}
    if parts:
        both = pd.concat(parts, ignore_index=True)
        reps = both.groupby("scenario")["rep"].nunique()
        agg = both.groupby(["scenario", "instrument", "dimension", "group"], sort=False)[
            ["spend_eur", "learners"]
        ].sum()
        agg = agg.div(reps.reindex(agg.index.get_level_values("scenario")).to_numpy(), axis=0).reset_index()
        agg.to_csv(staging / "funders_breakdown.csv", index=False)
        tables["funders_breakdown"] = agg
    if ledgers:
        pd.concat(ledgers, ignore_index=True).to_parquet(staging / "ledger.parquet", index=False)
    return tables


def _write_providers(exp: Experiment, staging: Path) -> dict[str, pd.DataFrame]:
    """providers_runs.csv (every provider's every year in every run) and providers.csv (their means).

    Why: whether grants open courses, fees move and seats grow is the supply side's answer to a
    policy (issue 18); funders and workshops read it per provider and year.
    """
    frames = [
        run.providers.assign(scenario=r.label, rep=rep)
        for r in exp.results
        for rep, run in enumerate(r.runs)
        if run.providers is not None and not run.providers.empty
    ]
    if not frames:
        return {}
    per_run = pd.concat(frames, ignore_index=True)
    per_run.to_csv(staging / "providers_runs.csv", index=False)
    keys = ["scenario", "provider", "name", "type", "region", "year"]
    numbers = per_run.select_dtypes("number").columns
    figures = [c for c in numbers if c not in keys and c != "rep"]
    means = per_run.groupby(keys, sort=False)[figures].mean().reset_index()
    means.insert(len(keys), "reps", per_run.groupby(keys, sort=False)["rep"].nunique().to_numpy())
    means.to_csv(staging / "providers.csv", index=False)
    return {"providers": means, "providers_runs": per_run}


def _write_indicators(exp: Experiment, staging: Path) -> dict[str, pd.DataFrame]:
    """indicators.csv (every run's table) and indicators_summary.csv (mean and 95 % interval over reps)."""
    table = pd.concat([r.indicator_table() for r in exp.results], ignore_index=True)
    summary = summarise_indicators(table)
    table.to_csv(staging / "indicators.csv", index=False)
    summary.to_csv(staging / "indicators_summary.csv", index=False)
    return {"indicators": table, "indicators_summary": summary}


def write_results(exp: Experiment, staging: Path, meta: dict[str, Any]) -> dict[str, pd.DataFrame]:
    """Write every result table of a run or comparison into the staging folder.

    kpis.csv/.parquet, runs.csv, summary.csv, funnel.csv, time_to_target.csv, differences.csv (2+
    scenarios), decomposition.csv (a workshop set that names a package and its variants), the
    funders' and providers' tables, manifest.json and, if asked for, indicators.csv with
    indicators_summary.csv and the events.
    """
    kpis = pd.concat([r.kpis() for r in exp.results], ignore_index=True)
    whole = pd.concat([r.whole() for r in exp.results], ignore_index=True)
    summary = summarise(whole)
    kpis.to_csv(staging / "kpis.csv", index=False)
    kpis.to_parquet(staging / "kpis.parquet", index=False)
    whole.to_csv(staging / "runs.csv", index=False)
    summary.to_csv(staging / "summary.csv", index=False)
    tables = {"kpis": kpis, "runs": whole, "summary": summary}
    tables["funnel"] = summarise_funnel(whole)
    tables["funnel"].to_csv(staging / "funnel.csv", index=False)
    per_run = time_to_target(kpis, targets_from_meta(meta))
    horizons = {r.label: r.loaded.config.horizon_weeks for r in exp.results}
    tables["time_to_target"] = summarise_time_to_target(per_run, horizons)
    tables["time_to_target"].to_csv(staging / "time_to_target.csv", index=False)
    if len(exp.results) > 1:
        diff = differences(whole, exp.results[0].label)
        diff.to_csv(staging / "differences.csv", index=False)
        tables["differences"] = diff
    if meta.get("decomposition"):
        tables["decomposition"] = decomposition_table(kpis, meta["decomposition"])
        tables["decomposition"].to_csv(staging / "decomposition.csv", index=False)
    tables |= _write_funders(exp, staging)
    tables |= _write_providers(exp, staging)
    if exp.indicators:
        tables |= _write_indicators(exp, staging)
    if exp.keep_events:
        frames = []
        for r in exp.results:
            for rep, run in enumerate(r.runs):
                if run.events is not None:
                    ev = run.events.copy()
                    ev.insert(0, "rep", rep)
                    ev.insert(0, "scenario", r.label)
                    frames.append(ev)
        if frames:
            pd.concat(frames, ignore_index=True).to_parquet(staging / "events.parquet", index=False)
    write_manifest(staging / "manifest.json", meta)
    return tables
