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
from collections.abc import Callable
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
    "Part",
    "measure",
    "measure_part",
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
        "women ÷ all among the distinct learners who enrolled in the year (report L698)",
        "women's share of learners / participants",
        forbid=("gender",),
    ),
    Indicator(
        "women_enrolment_share",
        "worker",
        "share",
        "women ÷ all among the year's enrolments (a learner enrolling twice counts twice)",
        "women's share of new enrolments",
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
        "SMEs whose staff took any training they paid for in the year (their usual courses or a sponsored "
        "micro-credential) ÷ SMEs in the group",
        "CVTS share of enterprises providing training; Relatório Único share of firms that trained",
    ),
    Indicator(
        "firm_mc_training_rate",
        "firm",
        "share",
        "SMEs that sponsored at least one micro-credential learner in the year ÷ SMEs in the group",
    ),
    Indicator(
        "credit_uptake_rate",
        "firm",
        "share",
        "SMEs paid by a training_credit instrument in the year (for any training) ÷ SMEs in the group",
        "FUNDAE coverage: firms that used their credit ÷ firms with a credit (public-facts §1)",
    ),
    Indicator(
        "employee_training_rate",
        "worker",
        "share",
        "employees trained in the year (a course or a micro-credential started while employed) ÷ "
        "average employees in the group over the year",
        "CVTS share of employees in courses; FUNDAE participants ÷ wage earners",
        forbid=("status",),
    ),
    Indicator(
        "training_participants",
        "worker",
        "people/year",
        "distinct employees trained in the year (any training)",
        "FUNDAE participants (people)",
        forbid=("status",),
    ),
    Indicator(
        "training_women_share",
        "worker",
        "share",
        "women ÷ all among the employees trained in the year (any training)",
        "FUNDAE participants by sex (public-facts §1: 45 % women in 2022)",
        forbid=("gender", "status"),
    ),
    Indicator(
        "training_hours_per_employee",
        "worker",
        "hours/employee/year",
        "hours of training started in the year by employees ÷ average employees in the group",
        "CVTS hours in courses per employee",
        forbid=("status",),
    ),
    Indicator(
        "training_hours_per_participant",
        "worker",
        "hours/participant/year",
        "hours of training started in the year by employees ÷ employees trained",
        "FUNDAE hours per participant (public-facts §1: 13.5 h in 2022)",
        forbid=("status",),
    ),
    Indicator(
        "mc_share_of_training_hours",
        "worker",
        "share",
        "micro-credential hours ÷ all training hours of employees in the year",
        forbid=("status",),
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
    employed_at_start: np.ndarray  # per worker id: employed when the run started

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
                "worker.employed_at_start": (w.firm >= 0) & w.active,
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
        n_f = initial["smes"] if initial else len(population["firm.size_band"])
        at_start = np.asarray(population["worker.employed_at_start"]).astype(bool)
        return cls(events, kpis, whole, compiled, workers, firms, int(n_w), int(n_f), steps, at_start)

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


@dataclass(frozen=True)
class Part:
    """An indicator's value in one run, with the real-scale counts behind it.

    For a share, ``numerator`` and ``denominator`` are the counts it divides (so bands can be
    summed); for a count, ``numerator`` is the count and ``denominator`` is NaN; for a mean (hours
    per employee) they are the total and the people it is spread over.
    """

    value: float
    numerator: float
    denominator: float


_NAN = float("nan")


def _ratio(a: float, b: float) -> float:
    return a / b if b > 0 else _NAN


def _share(num: float, den: float, scale: float) -> Part:
    return Part(_ratio(num, den), num * scale, den * scale)


def _total(count: float, scale: float) -> Part:
    return Part(count * scale, count * scale, _NAN)


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


def _distinct(view: RunView, kind: Event, members: np.ndarray, window) -> np.ndarray:
    """Ids of the group's workers with such an event in the window."""
    ev = view._kind(kind)
    who = ev["worker"].to_numpy()
    sel = (who >= 0) & (who < len(members)) & _in_window(ev["day"].to_numpy(), window)
    who = np.unique(who[sel])
    return who[members[who]]


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


def _start_firms(view: RunView, members: np.ndarray) -> np.ndarray:
    start = np.zeros(len(members), dtype=bool)
    start[: view.initial_smes] = members[: view.initial_smes]
    return start


def _firms_with(
    view: RunView, kinds: tuple[Event, ...], members: np.ndarray, window, instruments=None
) -> Part:
    """The group's firms (those present at the start) with such an event in the window, as a share."""
    ev = pd.concat([view._kind(k) for k in kinds])
    if instruments is not None:
        ev = ev[ev["instrument"].isin(instruments)]
    firm = ev["firm"].to_numpy()
    start = _start_firms(view, members)
    sel = (firm >= 0) & (firm < len(members)) & _in_window(ev["day"].to_numpy(), window)
    firms = np.unique(firm[sel])
    return _share(float(start[firms].sum()), float(start.sum()), view.compiled.f_scale)


def _accepting(view: RunView, members: np.ndarray, window) -> Part:
    """Share of the group's initial firms accepting at the end of the window (accepted − withdrawn > 0)."""
    end = np.iinfo(np.int64).max if window is None else window[1]
    net = np.zeros(len(members))
    for kind, sign in ((Event.ACCEPTED, 1.0), (Event.WITHDRAWN, -1.0)):
        ev = view._kind(kind)
        firm = ev["firm"].to_numpy()
        sel = (firm >= 0) & (firm < len(members)) & (ev["day"].to_numpy() < end)
        np.add.at(net, firm[sel], sign)
    start = _start_firms(view, members)
    return _share(float((start & (net > 0)).sum()), float(start.sum()), view.compiled.f_scale)


def _placement(view: RunView, members: np.ndarray, window, days: int) -> Part:
    """Jobseekers issued a credential in the window, hired within ``days``, among those observed that long."""
    issued = view._kind(Event.ISSUED)
    issued = issued[(issued["firm"] < 0) & _in_window(issued["day"].to_numpy(), window)]
    who = issued["worker"].to_numpy()
    issued = issued[(who >= 0) & (who < len(members))]
    issued = issued[members[issued["worker"].to_numpy()]]
    issued = issued[issued["day"].to_numpy() + days <= view.steps * 7]
    if issued.empty:
        return Part(_NAN, 0.0, 0.0)
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
    return _share(float(placed.sum()), float(len(placed)), view.compiled.w_scale)


def _employee_years(view: RunView, members: np.ndarray, window) -> float:
    """Average employed workers of the group over the window (person-years ÷ the window's years).

    Employment starts at the run's start for those employed then and with each hire; it ends with a
    lay-off or an exit while employed. A change on day d adds or removes the days from d to the
    window's end, so the sum over changes is the group's employed person-days in the window.
    """
    lo, hi = window if window is not None else (0, view.steps * 7)
    changes = [(np.flatnonzero(view.employed_at_start & members), np.zeros(1), 1.0)]
    for kind, sign in ((Event.HIRED, 1.0), (Event.LAID_OFF, -1.0), (Event.EXITED, -1.0)):
        ev = view._kind(kind)
        if kind == Event.EXITED:
            ev = ev[ev["firm"] >= 0]
        who = ev["worker"].to_numpy()
        ok = (who >= 0) & (who < len(members))
        keep = np.zeros(len(who), dtype=bool)
        keep[ok] = members[who[ok]]
        changes.append((who[keep], ev["day"].to_numpy()[keep], sign))
    days = 0.0
    for who, day, sign in changes:
        start = np.maximum(np.broadcast_to(day, who.shape), lo)
        days += sign * float(np.maximum(hi - start, 0).sum())
    return days / max(hi - lo, 1)


def _training(view: RunView, members: np.ndarray, window) -> tuple[np.ndarray, float, float]:
    """Employees of the group trained in the window: their ids, all their training hours, the MC hours.

    Training is a place on one of the firms' usual courses, or a micro-credential module started
    (taught, or the RPL assessment) while employed.
    """
    parts = []
    for kind in (Event.COURSE_TAKEN, Event.STARTED):
        ev = view._kind(kind)
        ev = ev[ev["firm"] >= 0]
        who = ev["worker"].to_numpy()
        sel = (who >= 0) & (who < len(members)) & _in_window(ev["day"].to_numpy(), window)
        sel[sel] = members[who[sel]]
        parts.append((who[sel], ev["value"].to_numpy()[sel]))
    who = np.unique(np.concatenate([parts[0][0], parts[1][0]]))
    hours = float(parts[0][1].sum() + parts[1][1].sum())
    return who, hours, float(parts[1][1].sum())


def _credit_instruments(view: RunView) -> list[int]:
    return [i.index for i in view.compiled.instruments if i.kind == "training_credit"]


def _women(view: RunView, members: np.ndarray) -> np.ndarray:
    return members & view.worker_attrs["gender"]


def _worker_measures() -> dict[str, Callable[[RunView, np.ndarray, tuple[int, int] | None], Part]]:
    def scale(view: RunView) -> float:
        return view.compiled.w_scale

    def count(kind: Event):
        return lambda v, m, w: _total(_count(v, kind, m, w), scale(v))

    def rate(kind_a: Event, kind_b: Event, first: bool):
        def f(v, m, w):
            a, b = _count(v, kind_a, m, w), _count(v, kind_b, m, w)
            return _share(a if first else b, a + b, scale(v))

        return f

    def women_share(v, m, w):
        enrolled = _distinct(v, Event.ENROLLED, m, w)
        return _share(float(v.worker_attrs["gender"][enrolled].sum()), float(len(enrolled)), scale(v))

    def women_enrolments(v, m, w):
        return _share(_count(v, Event.ENROLLED, _women(v, m), w), _count(v, Event.ENROLLED, m, w), scale(v))

    def enrolment_share(v, m, w):
        everyone = np.ones_like(m)
        return _share(_count(v, Event.ENROLLED, m, w), _count(v, Event.ENROLLED, everyone, w), scale(v))

    def per_start(kind: Event, upto: bool = False):
        def f(v, m, w):
            window = None if (w is None or not upto) else (np.iinfo(np.int64).min, w[1])
            return _share(_count(v, kind, m, window), float(m[: v.initial_workers].sum()), scale(v))

        return f

    def aware(v, m, w):
        upto = None if w is None else (np.iinfo(np.int64).min, w[1])
        ev = v._kind(Event.WORKER_AWARE)
        who = ev["worker"].to_numpy()
        sel = (who >= 0) & (who < v.initial_workers) & _in_window(ev["day"].to_numpy(), upto)
        return _share(float(m[np.unique(who[sel])].sum()), float(m[: v.initial_workers].sum()), scale(v))

    def trained_rate(v, m, w):
        who, _, _ = _training(v, m, w)
        return _share(float(len(who)), _employee_years(v, m, w), scale(v))

    def participants(v, m, w):
        return _total(float(len(_training(v, m, w)[0])), scale(v))

    def trained_women(v, m, w):
        who, _, _ = _training(v, m, w)
        return _share(float(v.worker_attrs["gender"][who].sum()), float(len(who)), scale(v))

    def hours_per_employee(v, m, w):
        _, hours, _ = _training(v, m, w)
        return _share(hours, _employee_years(v, m, w), scale(v))

    def hours_per_participant(v, m, w):
        who, hours, _ = _training(v, m, w)
        return _share(hours, float(len(who)), scale(v))

    def mc_share(v, m, w):
        _, hours, mc = _training(v, m, w)
        return _share(mc, hours, scale(v))

    return {
        "enrolments": count(Event.ENROLLED),
        "new_learners": lambda v, m, w: _total(_new_learners(v, m, w), scale(v)),
        "learners": lambda v, m, w: _total(_learners(v, m, w), scale(v)),
        "completions": count(Event.COMPLETED),
        "dropouts": count(Event.DROPPED),
        "credentials_issued": count(Event.ISSUED),
        "completion_rate": rate(Event.COMPLETED, Event.DROPPED, True),
        "dropout_rate": rate(Event.COMPLETED, Event.DROPPED, False),
        "women_share": women_share,
        "women_enrolment_share": women_enrolments,
        "enrolment_share": enrolment_share,
        "enrolment_rate": per_start(Event.ENROLLED),
        "credentials_per_worker": per_start(Event.ISSUED, upto=True),
        "aware_share": aware,
        "placement_6m_rate": lambda v, m, w: _placement(v, m, w, 182),
        "placement_12m_rate": lambda v, m, w: _placement(v, m, w, 365),
        "employee_training_rate": trained_rate,
        "training_participants": participants,
        "training_women_share": trained_women,
        "training_hours_per_employee": hours_per_employee,
        "training_hours_per_participant": hours_per_participant,
        "mc_share_of_training_hours": mc_share,
    }


_FIRM_MEASURES: dict[str, Callable[[RunView, np.ndarray, tuple[int, int] | None], Part]] = {
    "firm_training_rate": lambda v, m, w: _firms_with(v, (Event.COURSE_TAKEN, Event.SPONSORED), m, w),
    "firm_mc_training_rate": lambda v, m, w: _firms_with(v, (Event.SPONSORED,), m, w),
    "firm_acceptance_rate": _accepting,
    "credit_uptake_rate": lambda v, m, w: _firms_with(
        v, (Event.PAID, Event.COURSE_PAID), m, w, _credit_instruments(v)
    ),
}
_WORKER_MEASURES = _worker_measures()


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


def measure_part(view: RunView, name: str, year: int | None, group: dict[str, tuple[str, ...]]) -> Part:
    """One indicator in one run, with the counts behind it."""
    ind = INDICATORS[name]
    if ind.subject == "kpi":
        value = _kpi_value(view, name, year)
        return Part(value, _NAN, _NAN)
    window = _year_days(view.compiled, year) if year is not None else None
    table = _FIRM_MEASURES if ind.subject == "firm" else _WORKER_MEASURES
    return table[name](view, view.mask(ind.subject, group), window)


def measure(view: RunView, rows: list[tuple[str, int | None, dict[str, tuple[str, ...]]]]) -> np.ndarray:
    """Simulated value of each (indicator, year or None, parsed group) in one run."""
    return np.array([measure_part(view, name, year, group).value for name, year, group in rows], dtype=float)


def run_view(
    compiled: Compiled,
    seed: int,
    engine: str = "vector",
    *,
    people: bool = True,
    kpis: bool = False,
    deadweight: bool = False,
) -> RunView:
    """One run, seen as indicators read it.

    With ``people`` the view holds the engine's event log and population (``run_engine``, entrants
    of labour-market flows included); with ``kpis`` the per-step and whole-run KPIs of
    ``simulate``. Both run the seed twice: keyed randomness makes the two runs identical.
    """
    steps = compiled.cfg.horizon_weeks
    events = population = initial = table = whole = None
    if people:
        res = run_engine(engine, compiled, seed, steps)
        events, population, initial = res.events, res.population, res.initial
    if kpis or deadweight:
        out = simulate(compiled, seed, engine, deadweight=deadweight, keep_events=events is None)
        table, whole = out.kpis, out.whole
        events = out.events if events is None else events
    return RunView.build(
        events, compiled, seed, steps, population=population, initial=initial, kpis=table, whole=whole
    )


def indicator_job(
    config: Scenario, seed: int, engine: str, keys: list[tuple], deadweight: bool
) -> np.ndarray:
    """Job task (``analysis.execution``): one run; the simulated value of each target key."""
    subjects = {INDICATORS[k[0]].subject for k in keys}
    view = run_view(
        compile_scenario(config),
        seed,
        engine,
        people=bool(subjects - {"kpi"}),
        kpis="kpi" in subjects,
        deadweight=deadweight,
    )
    return measure(view, list(keys))
