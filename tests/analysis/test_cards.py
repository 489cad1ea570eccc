"""One KPI card for the report and the dashboard: the colour rule, the numbers, the cell."""

from __future__ import annotations

import pandas as pd

from analysis.cards import STATUS_COLOUR, Card, card_cell, difference_card, kpi_card
from analysis.targets import Target

BASE, POLICY = "baseline", "policy"


def _tables(rows: list[tuple], diffs: list[tuple]) -> tuple[pd.DataFrame, pd.DataFrame]:
    summary = pd.DataFrame(rows, columns=["scenario", "kpi", "mean", "lo", "hi"])
    diff = pd.DataFrame(diffs, columns=["scenario", "kpi", "diff", "lo", "hi"])
    return summary, diff


def test_a_target_colours_first_then_the_difference_by_direction():
    summary, diff = _tables(
        [
            (BASE, "women_share", 0.05, 0.04, 0.06),
            (POLICY, "women_share", 0.12, 0.11, 0.13),
            (BASE, "credentials_issued", 100.0, 90.0, 110.0),
            (POLICY, "credentials_issued", 130.0, 120.0, 140.0),
            (POLICY, "spend_per_credential_eur", 900.0, 800.0, 1000.0),
        ],
        [
            (POLICY, "women_share", -0.01, -0.02, -0.005),  # worse, but the target decides
            (POLICY, "credentials_issued", 30.0, 20.0, 40.0),
            (POLICY, "spend_per_credential_eur", 50.0, 10.0, 90.0),  # more spend: worse
        ],
    )
    women = kpi_card(summary, diff, "women_share", POLICY, baseline=BASE)
    assert (women.status, women.value, women.interval) == ("meets", "12.0 %", "[11.0 %, 13.0 %]")
    assert women.baseline == "5.00 %" and women.change == "-1.00 pp [-2.00 pp, -0.500 pp]"
    assert kpi_card(summary, diff, "women_share", BASE).status == "misses"
    assert kpi_card(summary, diff, "credentials_issued", POLICY).status == "better"
    assert kpi_card(summary, diff, "credentials_issued", BASE).status == ""  # the baseline has no change
    assert kpi_card(summary, diff, "spend_per_credential_eur", POLICY).status == "worse"
    own = {"credentials_issued": Target(">=", 200.0, "200 credentials")}
    assert kpi_card(summary, diff, "credentials_issued", POLICY, targets=own).status == "misses"
    assert kpi_card(summary, diff, "no_such_kpi", POLICY) is None


def test_an_interval_straddling_zero_is_unclear_and_cut_to_what_is_possible():
    summary, diff = _tables(
        [(POLICY, "credentials_issued", 3.0, -2.0, 8.0), (POLICY, "completion_rate", 0.98, 0.9, 1.06)],
        [(POLICY, "credentials_issued", 1.0, -1.0, 3.0)],
    )
    card = kpi_card(summary, diff, "credentials_issued", POLICY)
    assert card.status == "unclear" and card.interval == "[0, 8.00]"  # no count below 0
    assert kpi_card(summary, None, "completion_rate", POLICY).interval == "[90.0 %, 100 %]"
    change = difference_card(diff, "credentials_issued", POLICY)
    assert (change.value, change.interval, change.status) == ("+1.00", "[-1.00, +3.00]", "unclear")


def test_the_cell_carries_the_colour_the_numbers_and_the_change():
    card = Card("12.0 %", "[11.0 %, 13.0 %]", "meets", "women_share", "policy <b>", change="+1.00 pp [..]")
    cell = card_cell(card, note="meets it in 80.0 % of plausible worlds")
    assert f"background:{STATUS_COLOUR['meets']}" in cell and 'class="num meets"' in cell
    assert "<b>12.0 %</b>" in cell and "[11.0 %, 13.0 %]" in cell and "80.0 % of plausible" in cell
    assert 'data-kpi="women_share" data-scenario="policy &lt;b&gt;"' in cell  # escaped
    assert 'title="change against baseline: +1.00 pp [..]"' in cell
    assert "data-kpi" not in card_cell(Card("1", "[0, 2]"))  # a plain figure is not a scorecard cell
