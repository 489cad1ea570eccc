"""KPIs of DESIGN §3, computed once from the event log, for both engines.

Each KPI is declared like an EMA workbench outcome (name, kind, unit, direction). Stocks are states
at the end of the step, flows are events in the step, ratios are ratios of sums over a stated window
and are NaN when the denominator is 0. Counts of people and euros are scaled to the real sector
(``w_scale`` real workers per simulated worker); rates are not.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from model.events import Event

__all__ = [
    "KPI",
    "KPIS",
    "KPI_NAMES",
    "FUNNEL",
    "compute_kpis",
    "funnel",
    "WINDOW_WEEKS",
    "deadweight_series",
]

WINDOW_WEEKS = 13


@dataclass(frozen=True)
class KPI:
    """A declared outcome: how it aggregates and which way is better."""

    name: str
    kind: Literal["stock", "flow", "ratio"]
    unit: str
    direction: Literal["max", "min", "info"]
    description: str


KPIS: tuple[KPI, ...] = (
    KPI(
        "stakeholders_involved",
        "stock",
        "people",
        "max",
        "teachers on MC modules + panel assessors + employer representatives",
    ),
    KPI("moderation_cycle_days", "ratio", "days", "min", "mean days assessment→audit, last 13 weeks"),
    KPI("moderation_backlog", "stock", "samples", "min", "sampled assessments waiting for audit"),
    KPI("moderation_backlog_age_days", "stock", "days", "min", "mean age of waiting samples"),
    KPI("employer_acceptance_rate", "ratio", "share", "max", "SMEs accepting MCs ÷ all SMEs"),
    KPI(
        "verification_success_rate",
        "ratio",
        "share",
        "max",
        "successful checks ÷ checks, cumulative",
    ),
    KPI("enrolments", "flow", "learners", "max", "new enrolments in the week"),
    KPI("enrolments_cum", "stock", "learners", "max", "enrolments since the start"),
    KPI(
        "women_share",
        "ratio",
        "share",
        "max",
        "women ÷ all among distinct learners since the start (report L698: target ≥ 0.10)",
    ),
    KPI(
        "women_enrolment_share",
        "ratio",
        "share",
        "max",
        "women ÷ all enrolments since the start (a learner enrolling in two modules counts twice)",
    ),
    KPI(
        "enrolment_to_credential_days",
        "ratio",
        "days",
        "min",
        "mean days enrolment→issuance, credentials of the last 13 weeks",
    ),
    KPI("in_pipeline", "stock", "learners", "info", "enrolled, not yet issued or dropped"),
    KPI(
        "in_pipeline_age_days",
        "stock",
        "days",
        "min",
        "mean days since enrolment of those in the pipeline",
    ),
    KPI("sme_awareness_rate", "ratio", "share", "max", "aware SMEs ÷ all SMEs"),
    KPI("worker_awareness_rate", "ratio", "share", "max", "aware workers ÷ all workers"),
    KPI("credentials_issued", "flow", "credentials", "max", "credentials issued in the week"),
    KPI("completion_rate", "ratio", "share", "max", "completed ÷ (completed + dropped), cumulative"),
    KPI("dropout_rate", "ratio", "share", "min", "dropped ÷ (completed + dropped), cumulative"),
    KPI(
        "public_spend_eur",
        "flow",
        "EUR",
        "info",
        "public money paid for micro-credential training in the week, all instruments",
    ),
    KPI(
        "other_training_spend_eur",
        "flow",
        "EUR",
        "info",
        "public money paid for firms' other courses in the week, all instruments",
    ),
    KPI("spend_per_credential_eur", "ratio", "EUR", "min", "cumulative public spend ÷ credentials"),
    KPI(
        "budget_utilisation",
        "ratio",
        "share",
        "info",
        "cumulative paid (micro-credentials and other courses) ÷ cumulative budget available",
    ),
    KPI(
        "deadweight_share",
        "ratio",
        "share",
        "min",
        "funded learners who also enrol without any instrument ÷ funded learners",
    ),
    KPI(
        "content_age_days",
        "ratio",
        "days",
        "min",
        "mean days the content had been out of date, credentials of the last 13 weeks (0: current)",
    ),
    KPI(
        "current_content_share",
        "ratio",
        "share",
        "max",
        "credentials issued on up-to-date content ÷ credentials issued, cumulative",
    ),
    KPI(
        "renewal_lag_days",
        "ratio",
        "days",
        "min",
        "mean days from a change to the first credential issued on content that includes it",
    ),
    KPI(
        "bundle_certificates_issued",
        "flow",
        "certificates",
        "max",
        "certificates made of units issued in the week (Spain: Grade B and higher, L1202–1222)",
    ),
    KPI(
        "units_toward_bundle",
        "stock",
        "units",
        "info",
        "units held toward certificates their holders have not completed yet, at step end",
    ),
    KPI("workforce", "stock", "workers", "info", "workers employed in the sector at step end"),
    KPI("women_workforce_share", "ratio", "share", "max", "women ÷ all employed, at step end"),
    KPI("hires", "flow", "hires", "info", "jobseekers hired by firms in the week"),
    KPI(
        "hires_with_credential_share",
        "ratio",
        "share",
        "max",
        "hires of micro-credential holders ÷ hires, cumulative",
    ),
    KPI(
        "placement_6m_rate",
        "ratio",
        "share",
        "max",
        "jobseekers hired within 6 months of their credential ÷ those whose 6 months have passed",
    ),
    KPI(
        "placement_12m_rate",
        "ratio",
        "share",
        "max",
        "jobseekers hired within 12 months of their credential ÷ those whose 12 months have passed",
    ),
)
KPI_NAMES = tuple(k.name for k in KPIS)


def _div(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    num, den = np.asarray(num, float), np.asarray(den, float)
    return np.divide(num, den, out=np.full(np.broadcast(num, den).shape, np.nan), where=den > 0)


def _per_step(
    ev: pd.DataFrame, kinds: tuple[Event, ...], steps: int, weights: str | None = None
) -> np.ndarray:
    sel = ev[ev["kind"].isin([int(k) for k in kinds])]
    w = None if weights is None else sel[weights].to_numpy(float)
    return np.bincount(sel["step"].to_numpy(), weights=w, minlength=steps)[:steps].astype(float)


def _window(x: np.ndarray) -> np.ndarray:
    c = np.cumsum(x)
    out = c.copy()
    out[WINDOW_WEEKS:] -= c[:-WINDOW_WEEKS]
    return out


def _open_spans(ev: pd.DataFrame, opens: tuple[Event, ...], closes: tuple[Event, ...], steps: int):
    """Count and mean age at each step end of spans opened by one event and closed by the next.

    Spans are matched per worker in day order: each opening is closed by that worker's next
    closing event. Returns (open count, mean age in days) per step.
    """
    kinds = [int(k) for k in (*opens, *closes)]
    sel = ev[ev["kind"].isin(kinds)].sort_values(["worker", "day", "step"], kind="stable")
    is_open = sel["kind"].isin([int(k) for k in opens]).to_numpy()
    worker = sel["worker"].to_numpy()
    step = sel["step"].to_numpy()
    day = sel["day"].to_numpy()
    nxt_same = np.r_[worker[1:] == worker[:-1], False]
    nxt_close = np.r_[~is_open[1:], False] & nxt_same
    o = np.flatnonzero(is_open)
    start = step[o]
    end = np.where(nxt_close[o], step[np.minimum(o + 1, len(step) - 1)], steps)
    cnt = np.zeros(steps + 1)
    days = np.zeros(steps + 1)
    np.add.at(cnt, start, 1.0)
    np.add.at(cnt, end, -1.0)
    np.add.at(days, start, day[o].astype(float))
    np.add.at(days, end, -day[o].astype(float))
    n_open = np.cumsum(cnt)[:steps]
    sum_day = np.cumsum(days)[:steps]
    step_end = np.arange(steps) * 7 + 7
    age = _div(n_open * step_end - sum_day, n_open)
    return n_open, age


def deadweight_series(funded_ev: pd.DataFrame, counterfactual_ev: pd.DataFrame, steps: int) -> np.ndarray:
    """Share of funded learners (paid by any instrument) who also enrol in the counterfactual by then."""
    paid = funded_ev[funded_ev["kind"] == int(Event.PAID)].groupby("worker")["step"].min()
    enrolled = (
        counterfactual_ev[counterfactual_ev["kind"] == int(Event.ENROLLED)].groupby("worker")["step"].min()
    )
    both = paid.to_frame("paid").join(enrolled.rename("cf"), how="left")
    first_both = np.maximum(both["paid"].to_numpy(), both["cf"].fillna(steps + 1).to_numpy()).astype(int)
    funded = np.bincount(np.minimum(both["paid"].to_numpy(), steps), minlength=steps + 1)[:steps].cumsum()
    also = np.bincount(np.minimum(first_both, steps), minlength=steps + 1)[:steps].cumsum()
    return _div(also, funded)


def _labour_market(
    ev: pd.DataFrame,
    steps: int,
    woman: np.ndarray,
    w_scale: float,
    employed: int | None,
    employed_women: int | None,
) -> dict[str, np.ndarray]:
    """Workforce, hires and SEPE-style placement after a credential (L1383)."""

    def flow(kind: Event, women_only: bool = False, employed_only: bool = False) -> np.ndarray:
        sel = ev[ev["kind"] == int(kind)]
        if employed_only:
            sel = sel[sel["firm"] >= 0]
        weights = woman[sel["worker"].to_numpy()].astype(float) if women_only else None
        return np.bincount(sel["step"].to_numpy(), weights=weights, minlength=steps)[:steps].astype(float)

    out: dict[str, np.ndarray] = {}
    if employed is None:
        out["workforce"] = out["women_workforce_share"] = np.full(steps, np.nan)
    else:
        change = flow(Event.HIRED) - flow(Event.LAID_OFF) - flow(Event.EXITED, employed_only=True)
        change_w = flow(Event.HIRED, True) - flow(Event.LAID_OFF, True) - flow(Event.EXITED, True, True)
        staff = employed + np.cumsum(change)
        out["workforce"] = staff * w_scale
        out["women_workforce_share"] = _div((employed_women or 0) + np.cumsum(change_w), staff)
    hires = flow(Event.HIRED)
    out["hires"] = hires * w_scale
    with_credential = np.cumsum(_per_step(ev, (Event.HIRED,), steps, "value"))
    out["hires_with_credential_share"] = _div(with_credential, np.cumsum(hires))
    out |= placement_rates(ev, steps)
    return out


def placement_rates(ev: pd.DataFrame, steps: int, workers: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """SEPE-style placement (L1383): jobseekers with a credential hired within 6 and 12 months.

    ``workers`` (a boolean mask over worker ids) restricts the count, e.g. to women.
    """
    completers = ev[(ev["kind"] == int(Event.ISSUED)) & (ev["firm"] < 0)][["worker", "day"]]
    if workers is not None:
        completers = completers[workers[completers["worker"].to_numpy()]]
    hired = ev[ev["kind"] == int(Event.HIRED)][["worker", "day"]].rename(columns={"day": "hired"})
    out = {}
    for months, days in (("6m", 182), ("12m", 365)):
        if completers.empty:
            out[f"placement_{months}_rate"] = np.full(steps, np.nan)
            continue
        first = pd.merge_asof(
            completers.sort_values("day"),
            hired.sort_values("hired"),
            left_on="day",
            right_on="hired",
            by="worker",
            direction="forward",
        )
        due = (first["day"].to_numpy() + days) // 7  # the step in which the window closes
        placed = (first["hired"] - first["day"]).le(days).to_numpy()
        due_c = np.bincount(np.minimum(due, steps), minlength=steps + 1)[:steps]
        placed_c = np.bincount(np.minimum(due, steps), weights=placed, minlength=steps + 1)[:steps]
        out[f"placement_{months}_rate"] = _div(np.cumsum(placed_c), np.cumsum(due_c))
    return out


def _content(ev: pd.DataFrame, steps: int) -> tuple[dict[str, np.ndarray], dict[str, float]]:
    """Agility: content age at issuance, share issued on current content, renewal lag."""
    issued = ev[ev["kind"] == int(Event.ISSUED_CONTENT)]
    n = _per_step(ev, (Event.ISSUED_CONTENT,), steps)
    age = _per_step(ev, (Event.ISSUED_CONTENT,), steps, "value")
    current = np.bincount(
        issued["step"].to_numpy(), weights=(issued["value"] == 0).to_numpy(float), minlength=steps
    )[:steps]
    out = {
        "content_age_days": _div(_window(age), _window(n)),
        "current_content_share": _div(np.cumsum(current), np.cumsum(n)),
    }
    whole = {"content_age_days": float(_div(age.sum(), n.sum()))}
    renewed = ev[ev["kind"] == int(Event.CONTENT_RENEWED)][["provider", "module", "day", "value"]]
    fresh = issued[issued["value"] == 0][["provider", "module", "day", "step"]]
    lag_sum = np.zeros(steps)
    lag_n = np.zeros(steps)
    if len(renewed) and len(fresh):
        first = pd.merge_asof(
            renewed.sort_values("day"),
            fresh.rename(columns={"day": "issued"}).sort_values("issued"),
            left_on="day",
            right_on="issued",
            by=["provider", "module"],
            direction="forward",
        ).dropna(subset=["issued"])
        lag = first["issued"].to_numpy() - first["value"].to_numpy()
        at = first["step"].to_numpy().astype(int)
        lag_sum = np.bincount(at, weights=lag, minlength=steps)[:steps]
        lag_n = np.bincount(at, minlength=steps)[:steps].astype(float)
    out["renewal_lag_days"] = _div(np.cumsum(lag_sum), np.cumsum(lag_n))
    whole["renewal_lag_days"] = float(_div(lag_sum.sum(), lag_n.sum()))
    return out, whole


#: Stages of the workshop funnel (DESIGN §3): distinct people over the whole run, real-sector scale.
FUNNEL = ("aware", "enrolled", "issued", "accepted")


def _accepting_at(ev: pd.DataFrame, firm: np.ndarray, step: np.ndarray) -> np.ndarray:
    """Whether each firm accepted micro-credentials at the end of the given step (from the log)."""
    changes = ev[ev["kind"].isin([int(Event.ACCEPTED), int(Event.WITHDRAWN)])]
    if len(changes) == 0 or len(firm) == 0:
        return np.zeros(len(firm), dtype=bool)
    # Acceptance is a 0/1 state per firm: order its changes by (firm, step) and look up the last one.
    key = changes["firm"].to_numpy(np.int64) * (1 << 32) + changes["step"].to_numpy(np.int64)
    order = np.argsort(key, kind="stable")
    key, state = key[order], (changes["kind"].to_numpy() == int(Event.ACCEPTED))[order]
    query = np.asarray(firm, np.int64) * (1 << 32) + np.asarray(step, np.int64)
    last = np.searchsorted(key, query, side="right") - 1
    same_firm = (last >= 0) & ((key[np.maximum(last, 0)] >> 32) == np.asarray(firm, np.int64))
    return same_firm & state[np.maximum(last, 0)]


def funnel(ev: pd.DataFrame, w_scale: float) -> dict[str, float]:
    """People reaching each stage: aware → enrolled → issued → accepted.

    Accepted: a credential holder whose employer accepted micro-credentials when the credential was
    issued, or who was hired with a credential by a firm accepting them (hiring weighs accepted
    credentials, L1336–1338). Each stage counts distinct people and is a subset of the one before
    (a sponsored learner becomes aware on enrolling), so the funnel never widens.
    """
    kind, worker = ev["kind"].to_numpy(), ev["worker"].to_numpy()

    def people(*kinds: Event) -> np.ndarray:
        return np.unique(worker[np.isin(kind, [int(k) for k in kinds])])

    enrolled = people(Event.ENROLLED)
    issued_ev = ev[kind == int(Event.ISSUED)]
    issued = np.unique(issued_ev["worker"].to_numpy())
    hired = ev[(kind == int(Event.HIRED)) & (ev["value"].to_numpy() > 0)]
    at = pd.concat([issued_ev[["worker", "firm", "step"]], hired[["worker", "firm", "step"]]])
    at = at[at["firm"].to_numpy() >= 0]
    # Issuance and hiring come before the trust phase in a week: the firm's stance is last week's.
    ok = _accepting_at(ev, at["firm"].to_numpy(), at["step"].to_numpy() - 1)
    accepted = np.intersect1d(np.unique(at["worker"].to_numpy()[ok]), issued)
    aware = people(Event.WORKER_AWARE)
    counts = {
        "aware": len(aware),
        "enrolled": len(enrolled),
        "issued": len(issued),
        "accepted": len(accepted),
    }
    return {f"funnel_{stage}": counts[stage] * w_scale for stage in FUNNEL}


def _units_toward_bundles(ev: pd.DataFrame, steps: int, bundle_masks: np.ndarray) -> np.ndarray:
    """Units held toward certificates not yet complete, at each step end (unscaled).

    A unit of a certificate counts from its issuance until the certificate is issued, or until its
    holder leaves the sector (who takes the units away).
    """
    out = np.zeros(steps + 1)
    issued = ev[ev["kind"] == int(Event.ISSUED)]
    done = ev[ev["kind"] == int(Event.BUNDLE_ISSUED)]
    exited = ev[ev["kind"] == int(Event.EXITED)].groupby("worker")["step"].min()
    module = issued["module"].to_numpy().astype(np.int64)
    for b, mask in enumerate(bundle_masks):
        part = issued[((int(mask) >> module) & 1) == 1]
        start = part["step"].to_numpy()
        finish = done[done["value"] == b].groupby("worker")["step"].min()
        end = part["worker"].map(finish).fillna(steps).to_numpy()
        left = part["worker"].map(exited).fillna(steps).to_numpy()
        end = np.minimum(end, left).astype(np.int64)
        keep = end > start
        np.add.at(out, start[keep], 1.0)
        np.add.at(out, end[keep], -1.0)
    return np.cumsum(out)[:steps]


def compute_kpis(
    ev: pd.DataFrame,
    steps: int,
    n_workers: int,
    n_smes: int,
    worker_woman: np.ndarray,
    w_scale: float,
    deadweight: np.ndarray | None = None,
    *,
    employed: int | None = None,
    employed_women: int | None = None,
    bundle_masks: np.ndarray | None = None,
) -> tuple[pd.DataFrame, dict[str, float]]:
    """Per-step KPI table and whole-run values.

    Whole-run values: horizon value for stocks, total for flows, whole-run ratio for ratios.
    ``n_workers``, ``n_smes``, ``employed`` and ``employed_women`` are the stocks at the start;
    the event log carries every change to them.
    """
    count = {k: _per_step(ev, (k,), steps) for k in Event}
    cum = {k: np.cumsum(v) for k, v in count.items()}
    out: dict[str, np.ndarray] = {}
    whole: dict[str, float] = {}

    stake = _per_step(
        ev,
        (Event.TEACHERS_ASSIGNED, Event.ASSESSORS_JOINED, Event.REP_JOINED, Event.REP_LEFT),
        steps,
        "value",
    )
    out["stakeholders_involved"] = np.cumsum(stake)

    audits = count[Event.AUDITED_PASS] + count[Event.AUDITED_FAIL]
    cycle = _per_step(ev, (Event.AUDITED_PASS, Event.AUDITED_FAIL), steps, "value")
    out["moderation_cycle_days"] = _div(_window(cycle), _window(audits))
    whole["moderation_cycle_days"] = float(_div(cycle.sum(), audits.sum()))
    # A sample leaves the queue when audited, or when its learner leaves the sector (DROPPED).
    closes = (Event.AUDITED_PASS, Event.AUDITED_FAIL, Event.DROPPED)
    backlog, backlog_age = _open_spans(ev, (Event.SAMPLED,), closes, steps)
    out["moderation_backlog"] = backlog * w_scale
    out["moderation_backlog_age_days"] = backlog_age

    smes_t = n_smes + cum[Event.SME_OPENED] - cum[Event.SME_CLOSED]
    workers_t = n_workers + cum[Event.ENTERED] - cum[Event.EXITED]
    out["employer_acceptance_rate"] = _div(cum[Event.ACCEPTED] - cum[Event.WITHDRAWN], smes_t)
    out["verification_success_rate"] = _div(
        cum[Event.VERIFIED_OK], cum[Event.VERIFIED_OK] + cum[Event.VERIFIED_FAIL]
    )

    out["enrolments"] = count[Event.ENROLLED] * w_scale
    out["enrolments_cum"] = cum[Event.ENROLLED] * w_scale
    enr = ev[ev["kind"] == int(Event.ENROLLED)]
    women = np.bincount(
        enr["step"].to_numpy(), weights=worker_woman[enr["worker"].to_numpy()], minlength=steps
    )
    out["women_enrolment_share"] = _div(np.cumsum(women[:steps]), cum[Event.ENROLLED])
    first = enr.drop_duplicates("worker")  # a learner counts once, from their first enrolment
    learners = np.bincount(first["step"].to_numpy(), minlength=steps)[:steps]
    women_learners = np.bincount(
        first["step"].to_numpy(), weights=worker_woman[first["worker"].to_numpy()], minlength=steps
    )[:steps]
    out["women_share"] = _div(np.cumsum(women_learners), np.cumsum(learners))

    lag = _per_step(ev, (Event.ISSUED,), steps, "value")
    out["enrolment_to_credential_days"] = _div(_window(lag), _window(count[Event.ISSUED]))
    whole["enrolment_to_credential_days"] = float(_div(lag.sum(), count[Event.ISSUED].sum()))
    pipe, pipe_age = _open_spans(ev, (Event.ENROLLED,), (Event.ISSUED, Event.DROPPED), steps)
    out["in_pipeline"] = pipe * w_scale
    out["in_pipeline_age_days"] = pipe_age

    closed_aware = np.cumsum(_per_step(ev, (Event.SME_CLOSED,), steps, "value"))
    exited_aware = np.cumsum(_per_step(ev, (Event.EXITED,), steps, "value"))
    out["sme_awareness_rate"] = _div(cum[Event.SME_AWARE] - closed_aware, smes_t)
    out["worker_awareness_rate"] = _div(cum[Event.WORKER_AWARE] - exited_aware, workers_t)
    out["credentials_issued"] = count[Event.ISSUED] * w_scale
    finished = cum[Event.COMPLETED] + cum[Event.DROPPED]
    out["completion_rate"] = _div(cum[Event.COMPLETED], finished)
    out["dropout_rate"] = _div(cum[Event.DROPPED], finished)

    paid = _per_step(ev, (Event.PAID,), steps, "value")
    courses = _per_step(ev, (Event.COURSE_PAID,), steps, "value")
    out["public_spend_eur"] = paid * w_scale
    out["other_training_spend_eur"] = courses * w_scale
    out["spend_per_credential_eur"] = _div(np.cumsum(paid), cum[Event.ISSUED])
    available = _per_step(ev, (Event.BUDGET_AVAILABLE,), steps, "value")
    out["budget_utilisation"] = _div(np.cumsum(paid + courses), np.cumsum(available))
    out["deadweight_share"] = deadweight if deadweight is not None else np.full(steps, np.nan)
    out["bundle_certificates_issued"] = count[Event.BUNDLE_ISSUED] * w_scale
    masks = np.zeros(0, np.uint8) if bundle_masks is None else bundle_masks
    out["units_toward_bundle"] = _units_toward_bundles(ev, steps, masks) * w_scale
    out |= _labour_market(ev, steps, worker_woman, w_scale, employed, employed_women)
    for label, mask in (("women", worker_woman), ("men", ~worker_woman)):  # SEPE reports by gender
        for name, series in placement_rates(ev, steps, mask).items():
            whole[f"{name}_{label}"] = float(series[-1]) if steps else float("nan")
    content, content_whole = _content(ev, steps)
    out |= content
    whole |= content_whole
    whole |= funnel(ev, w_scale)

    table = pd.DataFrame(out, columns=list(KPI_NAMES))
    for k in KPIS:
        if k.name in whole:
            continue
        series = table[k.name].to_numpy()
        whole[k.name] = (
            float(series.sum()) if k.kind == "flow" else float(series[-1]) if steps else float("nan")
        )
    return table, whole
