"""Agility versus legitimacy: content goes stale with change, renewal brings it back, moderation adds lag."""

from __future__ import annotations

import numpy as np

from model.api import simulate
from model.params import load_scenario
from tests.conftest import FI

RATES = (
    "content.change_per_year="
    "{g1_safety: 1.0, g2_hv_maintenance: 1.0, g3_ev_electrical: 2.0, g4_live_work: 0.5}"
)
BASE = ["population.workers=500", "horizon_weeks=156", "content.enabled=true", RATES]
NO_FEEDBACK = ["content.stale_value_weight=0", "content.signal_weight_current=0"]


def _whole(overrides, seeds=range(6)):
    cfg = load_scenario(FI, BASE + overrides).config
    return [simulate(cfg, s, "vector", deadweight=False).whole for s in seeds]


def _mean(runs, kpi):
    return float(np.nanmean([r[kpi] for r in runs]))


def test_without_change_events_content_never_goes_stale():
    runs = _whole(["content.change_per_year={}"], seeds=range(3))
    for r in runs:
        assert r["current_content_share"] == 1.0
        assert r["content_age_days"] == 0.0
        assert np.isnan(r["renewal_lag_days"])


def test_change_makes_content_stale():
    runs = _whole([], seeds=range(3))
    assert _mean(runs, "current_content_share") < 1.0
    assert _mean(runs, "content_age_days") > 0.0


def test_faster_renewal_never_raises_content_age():
    slow = _whole(["content.renewal=trigger", "content.trigger_detect_days=240", *NO_FEEDBACK])
    fast = _whole(["content.renewal=trigger", "content.trigger_detect_days=15", *NO_FEEDBACK])
    assert _mean(fast, "content_age_days") <= _mean(slow, "content_age_days")
    assert _mean(fast, "current_content_share") >= _mean(slow, "current_content_share")
    quick = _whole(
        ["content.renewal=trigger", "content.trigger_detect_days=15", "content.renewal_days=10", *NO_FEEDBACK]
    )
    assert _mean(quick, "content_age_days") <= _mean(fast, "content_age_days")


def test_moderation_never_shortens_renewal_lag():
    for mode in ("window", "trigger"):
        off = _whole([f"content.renewal={mode}", "moderation.required=false"])
        on = _whole([f"content.renewal={mode}", "moderation.required=true"])
        assert _mean(on, "renewal_lag_days") >= _mean(off, "renewal_lag_days"), mode


def test_content_change_lowers_acceptance_through_trust():
    stale = _whole(["moderation.required=true", "content.signal_weight_current=0.6"])
    never = _whole(
        ["moderation.required=true", "content.signal_weight_current=0.6", "content.change_per_year={}"]
    )
    assert _mean(stale, "employer_acceptance_rate") < _mean(never, "employer_acceptance_rate")
