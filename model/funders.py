"""Funders' figures per instrument, from the event log and exact counterfactual runs.

Why per instrument: a funder testing eligibility conditions needs its own spend, what it bought
(credentials its learners earned), how much of its budget went out and when it first turned
applicants away, who would have trained anyway (deadweight: learners it paid for who also enrol in
the same world, same seeds, with that instrument removed), and the credentials it added per
EUR 1,000. Breakdowns by firm size class, gender, age band and region say who the money reached.
Euros and counts are at real-sector scale (``w_scale``).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from model.compiled import AGE_BANDS, BANDS, Compiled
from model.events import Event

__all__ = ["FUNDER_METRICS", "instrument_figures", "breakdown", "ledger", "overheads"]

FUNDER_METRICS = (
    "public_spend_eur",
    "other_training_spend_eur",
    "learners_funded",
    "credentials_funded",
    "spend_per_credential_eur",
    "budget_available_eur",
    "budget_utilisation",
    "first_refusal_week",
    "deadweight_share",
    "additional_credentials",
    "additional_credentials_per_1000_eur",
    "substitution_share",
)


def _paid(ev: pd.DataFrame, k: int, kind: Event = Event.PAID) -> pd.DataFrame:
    return ev[(ev["kind"] == int(kind)) & (ev["instrument"] == k)]


def _firm_year_hours(hours: pd.Series, firm: pd.Series, step: pd.Series) -> pd.Series:
    return hours.groupby([firm.to_numpy(), (step // 52).to_numpy()]).sum()


def substitution_share(ev: pd.DataFrame, c: Compiled, k: int, counterfactual: pd.DataFrame) -> float:
    """Share of the MC hours instrument ``k`` funded that replaced courses the firm would have bought.

    Per firm and year, the funded MC hours are set against the course hours the firm buys in the
    counterfactual (same world, same seeds, without the instrument) but not in this run: the smaller
    of the two is substitution. NaN when the instrument funded no MC hours of firms' staff.
    """
    paid = _paid(ev, k)
    paid = paid[paid["firm"] >= 0].drop_duplicates(["worker", "module"])
    if paid.empty:
        return float("nan")
    funded = _firm_year_hours(pd.Series(c.hours[paid["module"].to_numpy()]), paid["firm"], paid["step"])

    def courses(log: pd.DataFrame) -> pd.Series:
        taken = log[log["kind"] == int(Event.COURSE_TAKEN)]
        return _firm_year_hours(taken["value"], taken["firm"], taken["step"])

    lost = (courses(counterfactual) - courses(ev)).reindex(funded.index).fillna(0.0).clip(lower=0.0)
    return float(np.minimum(funded, lost).sum() / funded.sum())


def instrument_figures(
    ev: pd.DataFrame, c: Compiled, k: int, counterfactual: pd.DataFrame | None
) -> dict[str, float]:
    """Whole-run figures of instrument ``k``; deadweight needs the run without it."""
    scale = c.w_scale
    paid = _paid(ev, k)
    spend = float(paid["value"].sum()) * scale
    courses = float(_paid(ev, k, Event.COURSE_PAID)["value"].sum())
    learners = paid["worker"].unique()
    issued = ev[ev["kind"] == int(Event.ISSUED)]
    pairs = set(zip(paid["worker"].to_numpy(), paid["module"].to_numpy(), strict=True))
    funded_credentials = sum(
        1
        for w, m in zip(issued["worker"].to_numpy(), issued["module"].to_numpy(), strict=True)
        if (w, m) in pairs
    )
    available = ev[(ev["kind"] == int(Event.BUDGET_AVAILABLE)) & (ev["instrument"] == k)]["value"].sum()
    refused = ev[(ev["kind"] == int(Event.REFUSED)) & (ev["instrument"] == k)]["step"]
    out = {
        "public_spend_eur": spend,
        "other_training_spend_eur": courses * scale,
        "learners_funded": len(learners) * scale,
        "credentials_funded": funded_credentials * scale,
        "spend_per_credential_eur": spend / (funded_credentials * scale) if funded_credentials else np.nan,
        "budget_available_eur": float(available) * scale,
        "budget_utilisation": float((paid["value"].sum() + courses) / available) if available > 0 else np.nan,
        "first_refusal_week": float(refused.min()) if len(refused) else np.nan,
        "deadweight_share": np.nan,
        "additional_credentials": np.nan,
        "additional_credentials_per_1000_eur": np.nan,
        "substitution_share": np.nan,
    }
    if counterfactual is not None:
        enrolled_cf = set(counterfactual[counterfactual["kind"] == int(Event.ENROLLED)]["worker"].to_numpy())
        if len(learners):
            out["deadweight_share"] = float(np.mean([w in enrolled_cf for w in learners]))
        extra = (len(issued) - int((counterfactual["kind"] == int(Event.ISSUED)).sum())) * scale
        out["additional_credentials"] = float(extra)
        out["additional_credentials_per_1000_eur"] = extra / (spend / 1000.0) if spend > 0 else np.nan
        out["substitution_share"] = substitution_share(ev, c, k, counterfactual)
    return out


def first_refusal_month(c: Compiled, week: float) -> str:
    """Calendar month (YYYY-MM) of a week index, or '' for NaN."""
    if not np.isfinite(week):
        return ""
    return (dt.date.fromordinal(c.start_ordinal) + dt.timedelta(days=int(week) * 7)).strftime("%Y-%m")


def breakdown(ev: pd.DataFrame, c: Compiled, population: dict[str, np.ndarray]) -> pd.DataFrame:
    """Spend and learners per instrument by firm size class, gender, age band and region."""
    paid = ev[ev["kind"] == int(Event.PAID)]
    if paid.empty:
        return pd.DataFrame(columns=["instrument", "dimension", "group", "spend_eur", "learners"])
    worker = paid["worker"].to_numpy()
    firm = paid["firm"].to_numpy()  # the firm when paid (people change firms with flows)
    size = np.where(firm >= 0, population["firm.size_band"][np.maximum(firm, 0)], len(BANDS))
    groups = {
        "firm_size": np.array([*BANDS, "no firm (jobseeker)"], dtype=object)[size],
        "gender": np.where(population["worker.woman"][worker], "women", "men"),
        "age_band": np.array(AGE_BANDS, dtype=object)[population["worker.age_band"][worker]],
        "region": np.array(c.region_names, dtype=object)[population["worker.region"][worker]],
    }
    ids = np.array([i.id for i in c.instruments], dtype=object)[paid["instrument"].to_numpy()]
    rows = []
    for dim, labels in groups.items():
        df = pd.DataFrame(
            {"instrument": ids, "group": labels, "worker": worker, "value": paid["value"].to_numpy()}
        )
        agg = df.groupby(["instrument", "group"]).agg(
            spend_eur=("value", "sum"), learners=("worker", "nunique")
        )
        agg = agg.reset_index()
        agg.insert(1, "dimension", dim)
        rows.append(agg)
    out = pd.concat(rows, ignore_index=True)
    out["spend_eur"] *= c.w_scale
    out["learners"] = out["learners"] * c.w_scale
    return out


def overheads(ev: pd.DataFrame, c: Compiled) -> dict[str, float]:
    """Moderation audits and outreach campaigns, in euros at real scale."""

    def total(kind: Event) -> float:
        return float(ev[ev["kind"] == int(kind)]["value"].sum()) * c.w_scale

    return {"moderation_audits_eur": total(Event.AUDIT_COST), "outreach_eur": total(Event.OUTREACH_COST)}


def ledger(ev: pd.DataFrame, c: Compiled) -> pd.DataFrame:
    """Every payment: instrument, payer, payee, amount, week, day, reason (DESIGN: loses nothing).

    ``amount_eur`` is the payment to one simulated learner's payee; ``weight`` is how many real
    payments it stands for (``w_scale``), so ``(amount_eur * weight).sum()`` is the public spend.
    ``training`` says what it paid for: a micro-credential module (``mc``; reason: its trigger) or a
    place on one of a firm's usual courses (``course``, paid when taken; its trainer is no agent).
    """
    paid = ev[ev["kind"].isin([int(Event.PAID), int(Event.COURSE_PAID)])]
    inst = list(c.instruments)
    k = paid["instrument"].to_numpy()
    mc = (paid["kind"] == int(Event.PAID)).to_numpy()
    payee_kind = np.array([i.payee for i in inst], dtype=object)[k] if inst else np.array([], dtype=object)
    payee_id = np.where(
        payee_kind == "provider",
        paid["provider"],
        np.where(payee_kind == "firm", paid["firm"], paid["worker"]),
    )
    trigger = np.array(["enrolment", "completion", "credential"], dtype=object)
    reason = trigger[np.array([inst[i].trigger - 1 for i in k], dtype=int)] if len(paid) else np.array([])
    names = np.array([*c.module_ids, *(x.id for x in c.cfg.training.courses)], dtype=object)
    module = paid["module"].to_numpy().astype(np.int64) + np.where(mc, 0, c.n_modules)
    return pd.DataFrame(
        {
            "week": paid["step"].to_numpy(),
            "day": paid["day"].to_numpy(),
            "instrument": np.array([i.id for i in inst], dtype=object)[k] if inst else [],
            "payer": np.array([i.kind for i in inst], dtype=object)[k] if inst else [],
            "payee_kind": payee_kind,
            "payee_id": payee_id,
            "worker": paid["worker"].to_numpy(),
            "firm": paid["firm"].to_numpy(),
            "provider": paid["provider"].to_numpy(),
            "training": np.where(mc, "mc", "course"),
            "module": names[module] if len(paid) else [],
            "amount_eur": paid["value"].to_numpy(),
            "weight": c.w_scale,
            "reason": np.where(mc, reason, "course") if len(paid) else [],
        }
    )
