"""Indicators the model can produce for calibration targets: what each means, by year and group.

Why a registry: a target row names an indicator, a calendar year and a group (``gender=f``,
``age=16-29``, ``region=south_savo&gender=f``). Before any simulation runs, every row is checked
against this registry, so a misspelt indicator, a group the model does not produce (a region the
scenario lacks) or a statistic the model has no mechanism for (job placement after training) is
refused with one clear message. Each indicator is computed from the engine-neutral event log and
the synthesised population (``model.synthesis``), never from engine internals. Counts are at the
scale of the real sector (``w_scale`` real workers per simulated worker); rates and shares are not
scaled. Besides the indicators declared here, every whole-run KPI of ``model.kpis`` can be a target
for group ``all``: stocks and ratios read at the last week of the year, flows summed over it.

Groups: ``all``, or ``dim=value`` terms joined by ``&``; a value may be a union ``a|b`` (the data's
age band 30+ is ``age=30-49|50+``). Dimensions: ``gender`` (f, m), ``age`` (the model's bands),
``region`` (the scenario's regions), ``status`` (employed, jobseeker) for people, and ``size`` (firm
size bands) and ``region`` for firms.
"""

from __future__ import annotations

import datetime as dt
import difflib
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from analysis.calibration.errors import StudyError
from model.api import simulate
from model.compiled import AGE_BANDS, BANDS, Compiled, compile_scenario
from model.engines import run_engine
from model.events import Event
from model.kpis import KPIS
from model.params import Scenario
from model.streams import Streams
from model.synthesis import synthesise

__all__ = [
    "Indicator",
    "INDICATORS",
    "NOT_PRODUCED",
    "DIMENSIONS",
    "indicator_job",
    "IndicatorError",
    "parse_group",
    "format_group",
    "indicator_names",
    "check_target",
    "simulated_years",
    "RunView",
    "measure",
]

Subject = Literal["worker", "firm", "kpi"]


class IndicatorError(StudyError):
    """A target that names an unknown indicator, group or year."""


@dataclass(frozen=True)
class Indicator:
    """A quantity the model produces per calendar year (or over the whole run) and group."""

    name: str
    subject: Subject
    unit: str
    description: str
    matches: str = ""
    needs_group: bool = False
    forbid: tuple[str, ...] = ()

    @property
    def dims(self) -> tuple[str, ...]:
        """Group dimensions this indicator can be broken down by."""
        if self.subject == "kpi":
            return ()
        base = WORKER_DIMS if self.subject == "worker" else FIRM_DIMS
        return tuple(d for d in base if d not in self.forbid)


WORKER_DIMS = ("gender", "age", "region", "status")
FIRM_DIMS = ("size", "region")
DIMENSIONS = ("gender", "age", "region", "status", "size")
_GENDER = {"f": True, "m": False}
_STATUS = {"employed": False, "jobseeker": True}

_DECLARED = (
    Indicator(
        "enrolments",
        "worker",
        "enrolments/year",
        "module enrolments in the year (a learner may enrol in several modules)",
        "SEPE participants (alumnos formados); FUNDAE participants",
    ),
    Indicator(
        "new_learners",
        "worker",
        "people/year",
        "people whose first enrolment falls in the year",
        "Vipunen uudetOpiskelijatLkm (new students); MEFP alumnado de nuevo ingreso",
    ),
    Indicator(
        "learners",
        "worker",
        "people/year",
        "people in training at any time in the year (enrolled, not yet issued or dropped)",
        "Vipunen opiskelijatLkm (students in the calendar year); MEFP alumnado matriculado",
    ),
    Indicator(
        "completions",
        "worker",
        "completions/year",
        "module completions in the year (training finished, before assessment)",
        "SEPE finalizados (participants who finished the course)",
    ),
    Indicator("dropouts", "worker", "dropouts/year", "dropouts (incl. waiting-list exits) in the year"),
    Indicator(
        "credentials_issued",
        "worker",
        "credentials/year",
        "credentials issued in the year",
        "Vipunen tutkinnonSuorittaneetLkm (completed qualifications)",
    ),
    Indicator(
        "completion_rate",
        "worker",
        "share",
        "completed ÷ (completed + dropped) among those finishing in the year",
        "SEPE finalizados ÷ (finalizados + abandonos)",
    ),
    Indicator("dropout_rate", "worker", "share", "dropped ÷ (completed + dropped) in the year"),
    Indicator(
        "women_share",
        "worker",
        "share",
        "women ÷ all among the year's enrolments",
        "women's share of new students / participants",
        forbid=("gender",),
    ),
    Indicator(
        "enrolment_share",
        "worker",
        "share",
        "the group's share of the year's enrolments (e.g. the age profile of learners)",
        "age or regional profile of new students",
        needs_group=True,
    ),
    Indicator(
        "enrolment_rate",
        "worker",
        "enrolments/worker/year",
        "enrolments in the year ÷ workers in the group",
        "participation rate (participants ÷ workforce)",
    ),
    Indicator(
        "credentials_per_worker",
        "worker",
        "credentials/worker",
        "credentials issued since the start, up to the end of the year, ÷ workers in the group",
    ),
    Indicator(
        "placement_6m_rate",
        "worker",
        "share",
        "jobseekers issued a credential in the year who are hired within 182 days ÷ those whose "
        "182 days end within the run",
        "SEPE/SISPE placement 6 months after training (report L1383)",
        forbid=("status",),
    ),
    Indicator(
        "placement_12m_rate",
        "worker",
        "share",
        "as placement_6m_rate, within 365 days",
        "SEPE/SISPE placement 12 months after training (report L1383)",
        forbid=("status",),
    ),
    Indicator(
        "aware_share",
        "worker",
        "share",
        "workers present at the start who are aware of micro-credentials by the end of the year",
        "awareness in a workforce survey",
    ),
    Indicator(
        "firm_acceptance_rate",
        "firm",
        "share",
        "SMEs present at the start that accept micro-credentials at the end of the year",
        "employer survey: firms that accept MCs in recruitment or compliance",
    ),
    Indicator(
        "firm_training_rate",
        "firm",
        "share",
        "SMEs that sponsored at least one learner in the year ÷ SMEs in the group",
        "CVTS share of enterprises providing training",
    ),
    Indicator(
        "credit_uptake_rate",
        "firm",
        "share",
        "SMEs paid by a training_credit instrument in the year ÷ SMEs in the group",
        "FUNDAE coverage: firms that used their credit ÷ firms with a credit (public-facts §1)",
    ),
)
_KPI_KIND = {k.name: k.kind for k in KPIS}
INDICATORS: dict[str, Indicator] = {i.name: i for i in _DECLARED}
for _k in KPIS:
    INDICATORS.setdefault(
        _k.name, Indicator(_k.name, "kpi", _k.unit, f"KPI ({_k.kind}): {_k.description}", "group all only")
    )

#: Statistics the loaders read that the model has no mechanism for (yet); a target naming one is
#: refused with this reason.
NOT_PRODUCED: dict[str, str] = {
    "affiliation_6m_rate": "SISPE Social Security affiliation 6 months after training, in any job (L1383); "
    "the model only hires into the sector's firms (use placement_6m_rate)",
    "affiliation_12m_rate": "SISPE Social Security affiliation 12 months after training, in any job (L1383); "
    "the model only hires into the sector's firms (use placement_12m_rate)",
    "dropouts_hired": "SISPE dropouts because the participant was hired (report L1383): the model's "
    "learners do not leave training when hired",
}


def indicator_names() -> list[str]:
    """Every indicator a target may name."""
    return list(INDICATORS)


# ---------------------------------------------------------------------------- groups


def parse_group(text: str) -> dict[str, tuple[str, ...]]:
    """Parse ``all`` or ``dim=value[|value]&dim=value`` into {dim: values}."""
    text = (text or "").strip()
    if text in ("", "all"):
        return {}
    out: dict[str, tuple[str, ...]] = {}
    for term in text.split("&"):
        dim, sep, value = term.strip().partition("=")
        dim = dim.strip()
        if not sep or not value.strip():
            raise IndicatorError(f"group {text!r}: expected dim=value terms joined by '&', got {term!r}")
        if dim not in DIMENSIONS:
            raise IndicatorError(
                f"group {text!r}: unknown dimension {dim!r} (known: {', '.join(DIMENSIONS)})"
            )
        if dim in out:
            raise IndicatorError(f"group {text!r}: dimension {dim!r} appears twice")
        out[dim] = tuple(v.strip() for v in value.split("|"))
    return out


def format_group(group: dict[str, tuple[str, ...]]) -> str:
    """The canonical text of a group (dimensions in a fixed order)."""
    if not group:
        return "all"
    return "&".join(f"{d}={'|'.join(group[d])}" for d in DIMENSIONS if d in group)


def _allowed_values(dim: str, compiled: Compiled) -> tuple[str, ...]:
    return {
        "gender": tuple(_GENDER),
        "age": AGE_BANDS,
        "region": compiled.region_names,
        "status": tuple(_STATUS),
        "size": BANDS,
    }[dim]


# ---------------------------------------------------------------------------- years


def _year_days(compiled: Compiled, year: int) -> tuple[int, int]:
    """Days since ``start_date`` of 1 January of ``year`` and of the next year."""
    start = dt.date(year, 1, 1).toordinal() - compiled.start_ordinal
    end = dt.date(year + 1, 1, 1).toordinal() - compiled.start_ordinal
    return start, end


def simulated_years(compiled: Compiled, steps: int, min_coverage: float = 0.9) -> list[int]:
    """Calendar years of which the run covers at least ``min_coverage`` of the days."""
    first = dt.date.fromordinal(compiled.start_ordinal).year
    last = dt.date.fromordinal(compiled.start_ordinal + steps * 7 - 1).year
    years = []
    for y in range(first, last + 1):
        a, b = _year_days(compiled, y)
        covered = max(0, min(b, steps * 7) - max(a, 0))
        if covered >= min_coverage * (b - a):
            years.append(y)
    return years


# ---------------------------------------------------------------------------- checks


def check_target(
    indicator: str,
    year: int | None,
    group: str,
    compiled: Compiled,
    steps: int,
) -> dict[str, tuple[str, ...]]:
    """Check one target row; return its parsed group or raise IndicatorError saying why not."""
    if indicator in NOT_PRODUCED:
        raise IndicatorError(
            f"indicator {indicator!r} ({NOT_PRODUCED[indicator]}) is read from the data but the model "
            "does not produce it; drop these rows (or pass --ignore-unproduced)"
        )
    ind = INDICATORS.get(indicator)
    if ind is None:
        close = difflib.get_close_matches(indicator, list(INDICATORS) + list(NOT_PRODUCED), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise IndicatorError(f"unknown indicator {indicator!r}{hint} (known: {', '.join(INDICATORS)})")
    parsed = parse_group(group)
    if ind.subject == "kpi" and parsed:
        raise IndicatorError(
            f"indicator {indicator!r} is a whole-population KPI: only group 'all' is produced, not {group!r}"
        )
    if ind.needs_group and not parsed:
        raise IndicatorError(f"indicator {indicator!r} is a share of all enrolments: give a group, not 'all'")
    for dim, values in parsed.items():
        if dim not in ind.dims:
            raise IndicatorError(
                f"indicator {indicator!r} cannot be broken down by {dim!r} "
                f"(it can by: {', '.join(ind.dims) or 'nothing'})"
            )
        allowed = _allowed_values(dim, compiled)
        pop = compiled.cfg.population
        for v in values:
            if v not in allowed:
                raise IndicatorError(
                    f"group {group!r}: the model produces no {dim} {v!r} for this scenario "
                    f"(it has: {', '.join(allowed)})"
                    + ("; map the data's regions to these with a region map" if dim == "region" else "")
                )
            if dim == "size" and pop.size_shares.get(v, 0.0) == 0.0:
                raise IndicatorError(
                    f"group {group!r}: the scenario has no firms of size {v} (population.size_shares)"
                )
            if dim == "region" and next(r.share for r in pop.regions if r.name == v) == 0.0:
                raise IndicatorError(f"group {group!r}: region {v!r} has a share of 0 in the scenario")
    if indicator == "credit_uptake_rate" and not any(
        i.kind == "training_credit" for i in compiled.instruments
    ):
        raise IndicatorError(
            "indicator 'credit_uptake_rate' needs a training_credit instrument; the scenario has none"
        )
    if year is not None:
        years = simulated_years(compiled, steps)
        if year not in years:
            first = dt.date.fromordinal(compiled.start_ordinal)
            span = f"{years[0]}-{years[-1]}" if years else "no whole year"
            raise IndicatorError(
                f"year {year} is not simulated (the run starting {first} with {steps} weeks covers "
                f"{span}); set the start date to cover it, e.g. --set start_date={year}-01-02"
            )
    return parsed


# ---------------------------------------------------------------------------- measuring


@dataclass
class RunView:
    """What indicators read from one run: events, per-step KPIs and who the people and firms are.

    ``worker_attrs``/``firm_attrs`` cover every id the run used, entrants of labour-market flows
    included (``EngineRun.population``); an attribute that changes over a run (the age band, with
    ageing) is its value at the end. ``initial_workers``/``initial_smes`` are the ids present at the
    start (ids are never reused, so they are ``0 .. n-1``): the denominators of per-worker rates.
    """

    events: pd.DataFrame
    kpis: pd.DataFrame | None
    whole: dict[str, float] | None
    compiled: Compiled
    worker_attrs: dict[str, np.ndarray]
    firm_attrs: dict[str, np.ndarray]
    initial_workers: int
    initial_smes: int
    steps: int

    @classmethod
    def build(
        cls,
        events: pd.DataFrame,
        compiled: Compiled,
        seed: int,
        steps: int,
        *,
        population: dict[str, np.ndarray] | None = None,
        initial: dict[str, int] | None = None,
        kpis: pd.DataFrame | None = None,
        whole: dict[str, float] | None = None,
    ) -> RunView:
        """Build the view; without the engine's population the initial one is re-synthesised."""
        if population is None:
            world = synthesise(compiled, Streams(seed))
            w, f = world.workers, world.smes
            population = {
                "worker.woman": w.woman,
                "worker.age_band": w.age_band,
                "worker.region": w.region,
                "worker.jobseeker": w.jobseeker,
                "firm.size_band": f.size_band,
                "firm.region": f.region,
            }
        workers = {
            "gender": np.asarray(population["worker.woman"]).astype(bool),
            "age": np.asarray(population["worker.age_band"]).astype(np.int64),
            "region": np.asarray(population["worker.region"]).astype(np.int64),
            "status": np.asarray(population["worker.jobseeker"]).astype(bool),
        }
        firms = {
            "size": np.asarray(population["firm.size_band"]).astype(np.int64),
            "region": np.asarray(population["firm.region"]).astype(np.int64),
        }
        n_w = initial["workers"] if initial else compiled.cfg.population.workers
        n_f = initial["smes"] if initial else compiled.cfg.population.smes
        return cls(events, kpis, whole, compiled, workers, firms, int(n_w), int(n_f), steps)

    def _kind(self, kind: Event) -> pd.DataFrame:
        cache = self.__dict__.setdefault("_cache", {})
        if kind not in cache:
            cache[kind] = self.events[self.events["kind"] == int(kind)]
        return cache[kind]

    def mask(self, subject: Subject, group: dict[str, tuple[str, ...]]) -> np.ndarray:
        """Boolean mask over every worker (or firm) id of the run: is it in the group?"""
        attrs = self.worker_attrs if subject == "worker" else self.firm_attrs
        n = len(next(iter(attrs.values())))
        m = np.ones(n, dtype=bool)
        for dim, values in group.items():
            col = attrs[dim]
            if dim == "gender":
                want = np.isin(col, [_GENDER[v] for v in values])
            elif dim == "status":
                want = np.isin(col, [_STATUS[v] for v in values])
            else:
                names = _allowed_values(dim, self.compiled)
                want = np.isin(col, [names.index(v) for v in values])
            m &= want
        return m


def _in_window(days: np.ndarray, window: tuple[int, int] | None) -> np.ndarray:
    if window is None:
        return np.ones(len(days), dtype=bool)
    return (days >= window[0]) & (days < window[1])


def _count(view: RunView, kind: Event, members: np.ndarray, window) -> float:
    ev = view._kind(kind)
    who = ev["worker"].to_numpy()
    ok = (who >= 0) & (who < len(members))
    sel = ok & _in_window(ev["day"].to_numpy(), window)
    return float(members[who[sel]].sum())


def _ratio(a: float, b: float) -> float:
    return a / b if b > 0 else float("nan")


def _learners(view: RunView, members: np.ndarray, window) -> float:
    """Distinct workers with an enrolment span (enrolled → issued/dropped) overlapping the window."""
    kinds = [int(Event.ENROLLED), int(Event.ISSUED), int(Event.DROPPED)]
    ev = view.events[view.events["kind"].isin(kinds)].sort_values(["worker", "day"], kind="stable")
    worker = ev["worker"].to_numpy()
    day = ev["day"].to_numpy().astype(np.int64)
    opens = ev["kind"].to_numpy() == int(Event.ENROLLED)
    nxt_same = np.r_[worker[1:] == worker[:-1], False]
    nxt_close = np.r_[~opens[1:], False] & nxt_same
    o = np.flatnonzero(opens)
    start = day[o]
    end = np.where(nxt_close[o], day[np.minimum(o + 1, len(day) - 1)], np.iinfo(np.int64).max)
    lo, hi = window if window is not None else (np.iinfo(np.int64).min, np.iinfo(np.int64).max)
    overlap = (start < hi) & (end >= lo)
    who = np.unique(worker[o][overlap])
    who = who[(who >= 0) & (who < len(members))]
    return float(members[who].sum())


def _new_learners(view: RunView, members: np.ndarray, window) -> float:
    ev = view._kind(Event.ENROLLED)
    first = ev.groupby("worker")["day"].min()
    who = first.index.to_numpy()
    sel = (who >= 0) & (who < len(members)) & _in_window(first.to_numpy(), window)
    return float(members[who[sel]].sum())


def _firms_with(view: RunView, kind: Event, members: np.ndarray, window, instruments=None) -> float:
    """Share of the group's firms (those present at the start) with such an event in the window."""
    ev = view._kind(kind)
    if instruments is not None:
        ev = ev[ev["instrument"].isin(instruments)]
    firm = ev["firm"].to_numpy()
    start = np.zeros(len(members), dtype=bool)
    start[: view.initial_smes] = members[: view.initial_smes]
    sel = (firm >= 0) & (firm < len(members)) & _in_window(ev["day"].to_numpy(), window)
    firms = np.unique(firm[sel])
    return _ratio(float(start[firms].sum()), float(start.sum()))


def _accepting(view: RunView, members: np.ndarray, window) -> float:
    """Share of the group's initial firms accepting at the end of the window (accepted − withdrawn > 0)."""
    end = np.iinfo(np.int64).max if window is None else window[1]
    net = np.zeros(len(members))
    for kind, sign in ((Event.ACCEPTED, 1.0), (Event.WITHDRAWN, -1.0)):
        ev = view._kind(kind)
        firm = ev["firm"].to_numpy()
        sel = (firm >= 0) & (firm < len(members)) & (ev["day"].to_numpy() < end)
        np.add.at(net, firm[sel], sign)
    start = np.zeros(len(members), dtype=bool)
    start[: view.initial_smes] = members[: view.initial_smes]
    return _ratio(float((start & (net > 0)).sum()), float(start.sum()))


def _placement(view: RunView, members: np.ndarray, window, days: int) -> float:
    """Jobseekers issued a credential in the window, hired within ``days``, among those observed that long."""
    issued = view._kind(Event.ISSUED)
    issued = issued[(issued["firm"] < 0) & _in_window(issued["day"].to_numpy(), window)]
    who = issued["worker"].to_numpy()
    issued = issued[(who >= 0) & (who < len(members))]
    issued = issued[members[issued["worker"].to_numpy()]]
    issued = issued[issued["day"].to_numpy() + days <= view.steps * 7]
    if issued.empty:
        return float("nan")
    hired = view._kind(Event.HIRED)[["worker", "day"]].rename(columns={"day": "hired"})
    first = pd.merge_asof(
        issued[["worker", "day"]].sort_values("day"),
        hired.sort_values("hired"),
        left_on="day",
        right_on="hired",
        by="worker",
        direction="forward",
    )
    placed = (first["hired"] - first["day"]).le(days).to_numpy()
    return float(placed.mean())


def _kpi_value(view: RunView, name: str, year: int | None) -> float:
    if view.kpis is None or view.whole is None:
        raise IndicatorError(f"KPI {name!r} asked of a run whose KPIs were not computed")
    if year is None:
        return float(view.whole.get(name, np.nan))
    steps = len(view.kpis)
    years = np.array([view.compiled.year_of(s) for s in range(steps)])
    rows = np.flatnonzero(years == year)
    if len(rows) == 0:
        return float("nan")
    series = view.kpis[name].to_numpy(float)
    return float(series[rows].sum() if _KPI_KIND[name] == "flow" else series[rows[-1]])


def _value(view: RunView, name: str, year: int | None, group: dict[str, tuple[str, ...]]) -> float:
    ind = INDICATORS[name]
    if ind.subject == "kpi":
        return _kpi_value(view, name, year)
    window = _year_days(view.compiled, year) if year is not None else None
    scale = view.compiled.w_scale
    if ind.subject == "firm":
        members = view.mask("firm", group)
        if name == "firm_training_rate":
            return _firms_with(view, Event.SPONSORED, members, window)
        if name == "firm_acceptance_rate":
            return _accepting(view, members, window)
        credit = [i.index for i in view.compiled.instruments if i.kind == "training_credit"]
        return _firms_with(view, Event.PAID, members, window, credit)
    members = view.mask("worker", group)
    everyone = np.ones_like(members)
    if name == "enrolments":
        return _count(view, Event.ENROLLED, members, window) * scale
    if name == "new_learners":
        return _new_learners(view, members, window) * scale
    if name == "learners":
        return _learners(view, members, window) * scale
    if name == "completions":
        return _count(view, Event.COMPLETED, members, window) * scale
    if name == "dropouts":
        return _count(view, Event.DROPPED, members, window) * scale
    if name == "credentials_issued":
        return _count(view, Event.ISSUED, members, window) * scale
    if name in ("completion_rate", "dropout_rate"):
        done = _count(view, Event.COMPLETED, members, window)
        drop = _count(view, Event.DROPPED, members, window)
        return _ratio(done if name == "completion_rate" else drop, done + drop)
    if name == "women_share":
        women = members & view.worker_attrs["gender"]
        return _ratio(
            _count(view, Event.ENROLLED, women, window), _count(view, Event.ENROLLED, members, window)
        )
    if name == "enrolment_share":
        return _ratio(
            _count(view, Event.ENROLLED, members, window), _count(view, Event.ENROLLED, everyone, window)
        )
    start = float(members[: view.initial_workers].sum())
    if name == "enrolment_rate":
        return _ratio(_count(view, Event.ENROLLED, members, window), start)
    if name == "credentials_per_worker":
        upto = None if window is None else (np.iinfo(np.int64).min, window[1])
        return _ratio(_count(view, Event.ISSUED, members, upto), start)
    if name == "aware_share":
        upto = None if window is None else (np.iinfo(np.int64).min, window[1])
        ev = view._kind(Event.WORKER_AWARE)
        who = ev["worker"].to_numpy()
        sel = (who >= 0) & (who < view.initial_workers) & _in_window(ev["day"].to_numpy(), upto)
        aware = np.unique(who[sel])
        return _ratio(float(members[aware].sum()), start)
    if name in ("placement_6m_rate", "placement_12m_rate"):
        return _placement(view, members, window, 182 if name == "placement_6m_rate" else 365)
    raise IndicatorError(f"indicator {name!r} has no definition")  # pragma: no cover - registry guard


def measure(view: RunView, rows: list[tuple[str, int | None, dict[str, tuple[str, ...]]]]) -> np.ndarray:
    """Simulated value of each (indicator, year or None, parsed group) in one run."""
    return np.array([_value(view, name, year, group) for name, year, group in rows], dtype=float)


def indicator_job(
    config: Scenario, seed: int, engine: str, keys: list[tuple], deadweight: bool
) -> np.ndarray:
    """Job task (``analysis.execution``): one run; the simulated value of each target key.

    Indicators of people and firms read the engine's event log and population (``run_engine``,
    entrants of labour-market flows included); whole-run KPIs come from ``simulate``. A target
    set that needs both runs the seed twice (keyed randomness makes the two runs identical).
    """
    compiled = compile_scenario(config)
    steps = compiled.cfg.horizon_weeks
    subjects = {INDICATORS[k[0]].subject for k in keys}
    need_kpis = deadweight or "kpi" in subjects
    events = population = initial = kpis = whole = None
    if subjects - {"kpi"}:
        res = run_engine(engine, compiled, seed, steps)
        events, population, initial = res.events, res.population, res.initial
    if need_kpis:
        out = simulate(compiled, seed, engine, deadweight=deadweight, keep_events=events is None)
        kpis, whole = out.kpis, out.whole
        events = out.events if events is None else events
    view = RunView.build(
        events, compiled, seed, steps, population=population, initial=initial, kpis=kpis, whole=whole
    )
    return measure(view, list(keys))
