"""The dashboard's computation without a browser: levers become a valid scenario, the baseline is
pinned and shares the replication seeds, so the preset's own levers give no difference at all."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from analysis.cards import STATUS_COLOUR, kpi_card
from analysis.dashboard.app import build_app
from analysis.dashboard.compare import BASELINE, SCENARIO, compare
from analysis.dashboard.layout import CARDS, results
from analysis.dashboard.levers import SUBSIDY_ID, Levers, apply_levers
from analysis.dashboard.presets import policy_options, preset_path
from analysis.summary import HEADLINE
from model.params import ScenarioError, load_scenario

PILOT = preset_path("fi_pilot")


def test_levers_become_a_validated_scenario():
    cfg = load_scenario(preset_path("fi")).config
    lv = Levers(
        fees_multiplier=0.5,
        subsidy_coverage=0.6,
        subsidy_budget_eur_per_year=2e5,
        moderation_required=True,
        sampling_rate=0.3,
        ca_coverage=0.4,
        women_outreach=4.0,
    )
    out = apply_levers(cfg, lv)
    assert out.fees.multiplier == 0.5 and out.moderation.required and out.moderation.sampling_rate == 0.3
    assert out.population.ca_coverage == 0.4 and out.outreach.women.p_multiplier == 4.0
    subsidy = out.funding.instruments[-1]
    assert subsidy.id == SUBSIDY_ID and subsidy.fee_coverage == 0.6 and subsidy.budget_eur_per_year == 2e5
    assert len(apply_levers(cfg, Levers.of(cfg)).funding.instruments) == len(cfg.funding.instruments)
    with pytest.raises((ScenarioError, ValueError)):
        apply_levers(cfg, Levers(sampling_rate=1.5))  # the schema's range applies


def test_preset_levers_read_back():
    cfg = load_scenario(preset_path("fi")).config
    assert apply_levers(cfg, Levers.of(cfg)) == cfg


def test_pinned_baseline_and_common_random_numbers():
    cfg = load_scenario(PILOT).config
    same = compare("fi_pilot", PILOT, Levers.of(cfg), reps=2)
    d = same.diff.set_index("kpi")["diff"].to_numpy(float)
    assert np.all((d == 0) | np.isnan(d))  # the same scenario on the same seeds: no difference at all
    ticks = []
    moved = compare(
        "fi_pilot",
        PILOT,
        replace(Levers.of(cfg), fees_multiplier=3.0),
        reps=2,
        tick=lambda: ticks.append(1),
    )
    assert len(ticks) == 2  # the baseline was pinned (cached): only the scenario ran
    base = same.summary[same.summary["scenario"] == "baseline"].reset_index(drop=True)
    base2 = moved.summary[moved.summary["scenario"] == "baseline"].reset_index(drop=True)
    assert base["mean"].equals(base2["mean"])
    assert (moved.diff["diff"].abs() > 0).any()  # the lever reached the model
    assert moved.diff.set_index("kpi").loc["public_spend_eur", "diff"] > 0  # the pilot's budget pays the fees
    # the funnel for the room: both sides, every stage, never widening, and the same baseline funnel
    for label, grp in moved.funnel.groupby("scenario"):
        assert grp["stage"].tolist() == ["aware", "enrolled", "issued", "accepted"]
        assert grp["mean"].is_monotonic_decreasing, label
    base_funnel = moved.funnel[moved.funnel["scenario"] == "baseline"]["mean"].to_numpy()
    assert np.array_equal(base_funnel, same.funnel[same.funnel["scenario"] == "baseline"]["mean"].to_numpy())


def test_policy_options_and_app():
    labels = [o["label"] for o in policy_options("fi")]
    assert labels[0] == "the preset as it is" and any("collective-agreement" in lb for lb in labels)
    assert policy_options("fi_pilot") == [{"label": "the preset as it is", "value": str(PILOT)}]
    app = build_app("fi_pilot")
    assert app.layout is not None
    with pytest.raises(ValueError):
        build_app("nowhere")


def test_cards_are_the_reports_cards():
    cfg = load_scenario(PILOT).config
    cmp = compare("fi_pilot", PILOT, replace(Levers.of(cfg), women_outreach=10.0), reps=2)
    cards, charts, _ = results(cmp)
    assert [c.id for c in cards] == [f"kpi-{n}" for n in CARDS] and len(charts) == len(HEADLINE) + 1
    assert CARDS[:2] == ("women_share", "women_enrolment_share")  # learners (L698) beside enrolments
    for div in cards:
        card = kpi_card(cmp.summary, cmp.diff, div.id.removeprefix("kpi-"), SCENARIO, baseline=BASELINE)
        assert div.style["background"] == card.colour == STATUS_COLOUR[card.status]
        assert div.className == f"kpi-card {card.status}"
        texts = [child.children for child in div.children]
        assert texts[1] == card.value and card.interval in texts[2]
        assert texts[3] == f"baseline {card.baseline}" and texts[4] == f"change {card.change}"
