"""Scenarios that cannot be told from their baseline: one test, flagged in the report."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.cli import main
from analysis.summary import FUNDER_KPIS, PILOT_KPIS, detectable
from tests.conftest import FI, write_variant


def _diff(rows: list[tuple[str, str, float, float]]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"scenario": s, "baseline": "base", "kpi": k, "diff": (lo + hi) / 2, "lo": lo, "hi": hi}
            for s, k, lo, hi in rows
        ]
    )


def test_a_scenario_differs_when_a_pilot_kpi_or_funders_figure_interval_excludes_zero():
    diff = _diff(
        [
            ("pilot", "women_share", 0.001, 0.02),  # above 0
            ("pilot", "enrolments_cum", -5.0, 5.0),
            ("funder", "public_spend_eur", -900.0, -10.0),  # below 0
            ("other", "worker_awareness_rate", 0.01, 0.02),  # not a pilot KPI nor a funders' figure
            ("other", "employer_acceptance_rate", -0.01, 0.01),
            ("undefined", "moderation_cycle_days", np.nan, np.nan),  # one replication, or no audit
            ("exact", "enrolments_cum", 0.0, 0.0),  # identical in every replication
        ]
    )
    got = detectable(diff)
    assert list(got.index) == ["pilot", "funder", "other", "undefined", "exact"]
    assert got.to_dict() == {
        "pilot": True,
        "funder": True,
        "other": False,
        "undefined": False,
        "exact": False,
    }
    assert not detectable(diff, kpis=("employer_acceptance_rate",))["pilot"]
    assert "women_share" in PILOT_KPIS and "deadweight_share" in FUNDER_KPIS


def test_the_report_flags_a_scenario_the_room_cannot_tell_from_the_baseline(tmp_path):
    budget = {
        "id": "esf",
        "kind": "budget",
        "budget_eur_per_year": 300000,
        "eligibility": "True",
        "fee_coverage": 1.0,
        "trigger": "enrolment",
    }
    funded = write_variant(tmp_path, "funded", {"funding": {"instruments": [budget]}})
    same = write_variant(tmp_path, "same", {})  # the baseline under another name
    out = tmp_path / "out"
    small = ["--set", "population.workers=300", "--set", "horizon_weeks=30", "--engine", "vector"]
    args = ["compare", str(FI), str(funded), str(same), "--reps", "3", "--no-deadweight", "--report"]
    assert main([*args, "--out", str(out), *small]) == 0
    page = (out / "report.html").read_text()
    warning = page[page.index('id="no-difference"') :].split("</p>")[0]
    assert "/same" in warning and "/funded" not in warning
    assert page.count("no detectable difference from the baseline</span>") == 2  # scenario list and scorecard
