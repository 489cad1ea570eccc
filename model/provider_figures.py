"""Providers' year by year, from the event log: what they offered, groups run, seats, learners, money.

Why from the log: both engines write the same events, so ``providers.csv`` is the same whichever
engine ran, and nothing reaches into a provider's state. Money and learners are at real-sector
scale (providers are not sampled; their learners are, at ``w_scale``).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from model.compiled import Compiled
from model.events import Event

__all__ = ["PROVIDER_COLUMNS", "provider_years"]

PROVIDER_COLUMNS = (
    "provider",
    "name",
    "type",
    "region",
    "year",
    "modules_offered",
    "cohorts",
    "seats",
    "learners",
    "fee_multiplier",
    "fee_revenue_eur",
    "grant_income_eur",
    "costs_eur",
    "edc_cost_eur",
    "moderation_cost_eur",
)


def _rows(c: Compiled) -> list:
    return [p for p in c.cfg.providers for _ in range(p.count)]


def _year(c: Compiled, day: np.ndarray) -> np.ndarray:
    start = dt.date.fromordinal(c.start_ordinal)
    years = np.array([(start + dt.timedelta(days=int(d))).year for d in np.unique(day)])
    return years[np.searchsorted(np.unique(day), day)] if len(day) else np.zeros(0, int)


def _last_by_year(ev: pd.DataFrame, c: Compiled, kind: Event, years: list[int], n: int) -> np.ndarray:
    """The last value set for each provider by the end of each year (carried forward), (years, n)."""
    sel = ev[ev["kind"] == int(kind)]
    out = np.full((len(years), n), np.nan)
    year = _year(c, sel["day"].to_numpy())
    for i, y in enumerate(years):
        upto = sel[year <= y].drop_duplicates("provider", keep="last")
        out[i, upto["provider"].to_numpy()] = upto["value"].to_numpy()
    return out


def provider_years(ev: pd.DataFrame, c: Compiled) -> pd.DataFrame:
    """One row per provider and simulated calendar year."""
    rows = _rows(c)
    n = len(rows)
    day = ev["day"].to_numpy()
    year_of = _year(c, day)
    years = sorted(set(year_of.tolist())) or [c.year_of(0)]
    sup, required = c.cfg.supply, c.cfg.moderation.required
    edc = np.array([p.issues_edc for p in rows])
    moderated = np.array([p.joins_moderation or required for p in rows])
    seats = _last_by_year(ev, c, Event.SEATS_SET, years, n)
    fees = _last_by_year(ev, c, Event.FEE_SET, years, n)
    offers = ev[ev["kind"].isin([int(Event.OFFER_OPENED), int(Event.OFFER_CLOSED)])]
    offers_year = _year(c, offers["day"].to_numpy())

    def total(kind: Event, y: int) -> np.ndarray:
        sel = (ev["kind"].to_numpy() == int(kind)) & (year_of == y)
        return np.bincount(ev["provider"].to_numpy()[sel], weights=ev["value"].to_numpy()[sel], minlength=n)[
            :n
        ]

    def count(kind: Event, y: int) -> np.ndarray:
        sel = (ev["kind"].to_numpy() == int(kind)) & (year_of == y)
        return np.bincount(ev["provider"].to_numpy()[sel], minlength=n)[:n]

    out = []
    for i, y in enumerate(years):
        upto = offers[offers_year <= y].drop_duplicates(["provider", "module"], keep="last")
        open_ = upto[upto["kind"] == int(Event.OFFER_OPENED)]
        offered = {p: [] for p in range(n)}
        for p, m in zip(open_["provider"].to_numpy(), open_["module"].to_numpy(), strict=True):
            offered[int(p)].append(int(m))
        learners = total(Event.COHORT_RUN, y) * c.w_scale
        cohorts = count(Event.COHORT_RUN, y)
        revenue, grants, costs = (
            total(k, y) for k in (Event.PROVIDER_REVENUE, Event.GRANT_AWARDED, Event.PROVIDER_COST)
        )
        for p in range(n):
            out.append(
                {
                    "provider": p,
                    "name": rows[p].name,
                    "type": rows[p].type,
                    "region": rows[p].region,
                    "year": y,
                    "modules_offered": " ".join(c.module_ids[m] for m in sorted(offered[p])),
                    "cohorts": int(cohorts[p]),
                    "seats": seats[i, p],
                    "learners": learners[p],
                    "fee_multiplier": fees[i, p],
                    "fee_revenue_eur": revenue[p],
                    "grant_income_eur": grants[p],
                    "costs_eur": costs[p],
                    "edc_cost_eur": learners[p] * sup.edc_cost_eur * edc[p],
                    "moderation_cost_eur": learners[p] * sup.moderation_cost_eur * moderated[p],
                }
            )
    return pd.DataFrame(out, columns=list(PROVIDER_COLUMNS))
