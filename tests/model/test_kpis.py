"""KPIs from hand-made event logs: windows, NaN denominators, spans, scaling."""

from __future__ import annotations

import numpy as np

from model.events import Event, EventLog
from model.kpis import KPI_NAMES, compute_kpis, deadweight_series


def _log(rows):
    log = EventLog()
    for kind, step, day, kw in rows:
        log.emit(kind, step, day, **kw)
    return log.to_frame()


def test_empty_log_gives_nan_ratios_and_zero_flows():
    table, whole = compute_kpis(_log([]), 5, 10, 4, np.zeros(10, bool), 2.0)
    assert list(table.columns) == list(KPI_NAMES)
    assert table["moderation_cycle_days"].isna().all()
    assert table["women_share"].isna().all()
    assert (table["enrolments"] == 0).all()
    assert whole["enrolments"] == 0


def test_scaled_flows_women_share_and_lag_window():
    woman = np.array([True, False, False, False])
    rows = [
        (Event.ENROLLED, 0, 1, {"worker": np.array([0, 1])}),
        (Event.ENROLLED, 2, 15, {"worker": np.array([2])}),
        (Event.ISSUED, 3, 25, {"worker": np.array([0]), "value": np.array([24.0])}),
        (Event.ISSUED, 20, 141, {"worker": np.array([1]), "value": np.array([140.0])}),
    ]
    table, whole = compute_kpis(_log(rows), 25, 4, 2, woman, 10.0)
    assert table["enrolments"].tolist()[:3] == [20.0, 0.0, 10.0]
    assert table["enrolments_cum"].iloc[-1] == 30.0
    assert np.isclose(table["women_share"].iloc[0], 0.5)
    assert np.isclose(table["women_share"].iloc[-1], 1 / 3)
    # 13-week window: at step 10 the only credential in the window is worker 0's (24 days).
    assert table["enrolment_to_credential_days"].iloc[10] == 24.0
    assert np.isnan(table["enrolment_to_credential_days"].iloc[17])  # step 3 left the window
    assert table["enrolment_to_credential_days"].iloc[20] == 140.0
    assert whole["enrolment_to_credential_days"] == 82.0
    # In pipeline: workers 0 and 1 from step 0; 2 from step 2; 0 leaves at 3, 1 at 20.
    assert table["in_pipeline"].tolist()[:5] == [20.0, 20.0, 30.0, 20.0, 20.0]
    assert table["in_pipeline"].iloc[-1] == 10.0
    assert np.isclose(table["in_pipeline_age_days"].iloc[0], 7 - 1)


def test_moderation_backlog_and_age():
    rows = [
        (Event.SAMPLED, 0, 3, {"worker": np.array([5, 6])}),
        (Event.AUDITED_PASS, 2, 16, {"worker": np.array([5]), "value": np.array([13.0])}),
    ]
    table, _ = compute_kpis(_log(rows), 4, 10, 1, np.zeros(10, bool), 1.0)
    assert table["moderation_backlog"].tolist() == [2.0, 2.0, 1.0, 1.0]
    assert table["moderation_backlog_age_days"].iloc[3] == 28 - 3
    assert table["moderation_cycle_days"].iloc[2] == 13.0


def test_acceptance_and_budget_utilisation():
    rows = [
        (Event.ACCEPTED, 0, 2, {"firm": np.array([0, 1])}),
        (Event.WITHDRAWN, 1, 9, {"firm": np.array([1])}),
        (Event.BUDGET_AVAILABLE, 0, 0, {"instrument": 0, "value": 100.0}),
        (Event.PAID, 1, 13, {"worker": np.array([0]), "instrument": 0, "value": np.array([25.0])}),
        (Event.ISSUED, 1, 12, {"worker": np.array([0]), "value": np.array([10.0])}),
    ]
    table, whole = compute_kpis(_log(rows), 2, 4, 4, np.zeros(4, bool), 3.0)
    assert table["employer_acceptance_rate"].tolist() == [0.5, 0.25]
    assert table["budget_utilisation"].tolist() == [0.0, 0.25]
    assert table["public_spend_eur"].tolist() == [0.0, 75.0]
    assert table["spend_per_credential_eur"].iloc[1] == 25.0
    assert whole["public_spend_eur"] == 75.0


def test_deadweight_counts_funded_learners_who_enrol_anyway():
    funded = _log([(Event.PAID, 1, 10, {"worker": np.array([0, 1, 2]), "instrument": 0, "value": 1.0})])
    cf = _log(
        [
            (Event.ENROLLED, 0, 3, {"worker": np.array([0])}),
            (Event.ENROLLED, 3, 22, {"worker": np.array([2])}),
        ]
    )
    dw = deadweight_series(funded, cf, 5)
    assert np.isnan(dw[0])
    assert dw[1] == 1 / 3 and dw[4] == 2 / 3


def test_placement_by_gender_within_6_and_12_months():
    from model.kpis import placement_rates

    woman = np.array([True, False, False])
    rows = [
        (Event.ISSUED, 0, 3, {"worker": np.array([0, 1, 2]), "firm": -1, "value": 10.0}),
        (Event.HIRED, 10, 73, {"worker": np.array([0]), "firm": 5}),  # 70 days: within 6 months
        (Event.HIRED, 40, 283, {"worker": np.array([1]), "firm": 5}),  # 280 days: within 12 only
    ]
    ev = _log(rows)
    both = placement_rates(ev, 60)
    women = placement_rates(ev, 60, woman)
    men = placement_rates(ev, 60, ~woman)
    assert both["placement_6m_rate"][-1] == 1 / 3 and both["placement_12m_rate"][-1] == 2 / 3
    assert women["placement_6m_rate"][-1] == 1.0 and men["placement_6m_rate"][-1] == 0.0
    assert men["placement_12m_rate"][-1] == 0.5
    assert np.isnan(both["placement_6m_rate"][20])  # no 6-month window has closed by week 20


def test_women_share_counts_distinct_learners_and_the_enrolment_share_counts_enrolments():
    """L698 counts learners: a woman who enrols in two modules is one learner and two enrolments."""
    woman = np.array([True, False, False, True, False])
    rows = [
        (Event.ENROLLED, 0, 1, {"worker": np.array([0, 1, 2])}),
        (Event.ENROLLED, 4, 30, {"worker": np.array([0])}),  # the same woman, her next module
        (Event.ENROLLED, 6, 44, {"worker": np.array([1, 3])}),
    ]
    ev = _log(rows)
    table, whole = compute_kpis(ev, 8, 5, 2, woman, 1.0)
    enrolled = ev[ev["kind"] == int(Event.ENROLLED)]
    learners = enrolled["worker"].unique()
    hand_count = woman[learners].sum() / len(learners)
    assert np.isclose(table["women_share"].iloc[-1], hand_count) and np.isclose(hand_count, 2 / 4)
    assert np.isclose(table["women_enrolment_share"].iloc[-1], 3 / 6)
    assert np.isclose(table["women_share"].iloc[4], 1 / 3)  # step 4: worker 0 again, still 1 of 3 learners
    assert np.isclose(table["women_enrolment_share"].iloc[4], 2 / 4)
    assert np.isclose(whole["women_share"], 0.5)
