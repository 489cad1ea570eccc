"""The workshop report: self-contained, every section filled, colours that follow the stated rules.

What a browser shows is tested in ``test_browser.py``; here the HTML and the chart builders.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from analysis.cards import status
from analysis.cli import main
from analysis.report import (
    build_report,
    differing_parameters,
    funders_figure,
    kpi_title,
    load_results,
    report_from_dir,
    trajectory_figure,
)
from analysis.summary import FUNDER_KPIS
from model.kpis import KPIS
from model.params import load_scenario
from tests.conftest import REPO

FI = REPO / "scenarios" / "fi"
SCENARIOS = [str(FI / "baseline.yaml"), str(FI / "ca_fund.yaml"), str(FI / "outreach_women.yaml")]
SMALL = ["--set", "population.workers=300", "--set", "horizon_weeks=40"]


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    """A small three-scenario comparison written with --report, as a workshop would run it."""
    out = tmp_path_factory.mktemp("report") / "cmp"
    args = ["compare", *SCENARIOS, "--reps", "3", "--engine", "vector", "--out", str(out), "--report", *SMALL]
    assert main(args) == 0
    return out


def test_report_is_written_and_self_contained(results):
    page = (results / "report.html").read_text(encoding="utf-8")
    # no external script, stylesheet or font: the page must open offline
    assert not re.search(r"<script[^>]+src=", page)
    assert not re.search(r"<link[^>]+href=", page)
    assert "Plotly" in page and page.count('class="plotly-graph-div"') > len(KPIS)
    sections = (
        "scorecard",
        "trajectories",
        "differences",
        "funders",
        "funnel",
        "parameters",
        "assumptions",
        "manifest",
    )
    for section in sections:
        assert f'id="{section}"' in page


def test_every_kpi_has_a_trajectory_with_data(results):
    page = (results / "report.html").read_text(encoding="utf-8")
    tables, _ = load_results(results)
    for k in KPIS:  # a chart for every KPI measured in some run; the others are listed
        if k.name in set(tables["summary"]["kpi"]):
            if tables["kpis"][k.name].notna().any():
                assert f'id="traj-{k.name}"' in page, k.name
            else:
                assert kpi_title(k.name) in page
    fig = trajectory_figure(tables["kpis"], "women_share")
    lines = [t for t in fig.data if t.mode == "lines"]
    assert len(lines) == 3 and all(len(t.x) == 40 for t in lines)
    assert any(s.line.dash == "dash" for s in fig.layout.shapes)  # the 10 % target is drawn
    assert fig.layout.yaxis.title.text == "%" and fig.layout.xaxis.title.text


def test_scorecard_has_every_scenario_and_kpi_with_colours(results):
    page = (results / "report.html").read_text(encoding="utf-8")
    tables, _ = load_results(results)
    cells = re.findall(r'data-kpi="([a-z_0-9]+)" data-scenario="([^"]+)"', page)
    names = set(tables["summary"]["kpi"])
    assert {c[0] for c in cells} == names
    assert {c[1] for c in cells} == {"fi/baseline", "fi/ca_fund", "fi/outreach_women"}
    # women's share: coloured against its target in every column, baseline included
    women = re.findall(r'class="num (\w*)"[^>]*data-kpi="women_share"', page)
    assert len(women) == 3 and set(women) <= {"meets", "misses", "uncertain"}
    assert (
        "Coloured against a target: Women's share of learners (distinct people) (at least 10 % women" in page
    )
    assert "KPIs without a target are coloured by which way is better" in page


def test_status_rules():
    assert status("women_share", 0.12, 0.11, 0.13, diff=False) == "meets"
    assert status("women_share", 0.05, 0.04, 0.06, diff=False) == "misses"
    assert status("women_share", 0.10, 0.08, 0.12, diff=False) == "uncertain"
    assert status("credentials_issued", 10, 5, 15, diff=True) == "better"  # more is better
    assert status("dropout_rate", 0.1, 0.05, 0.15, diff=True) == "worse"  # less is better
    assert status("dropout_rate", 0.0, -0.1, 0.1, diff=True) == "unclear"
    assert status("public_spend_eur", 100, 50, 150, diff=True) == ""  # information only
    assert status("credentials_issued", 10, 5, 15, diff=False) == ""  # no target, no baseline


def test_differences_funders_parameters_and_manifest(results):
    page = (results / "report.html").read_text(encoding="utf-8")
    meta = json.loads((results / "manifest.json").read_text())
    assert 'id="differences"' in page and "Scenario minus fi/baseline" in page
    assert 'id="funders"' in page and "ca_fund" in page  # the per-instrument table
    assert "funding.instruments" in page  # ca_fund adds an instrument
    assert str(meta["scenarios"][0]["rep_seeds"][0]) in page
    for s in meta["scenarios"]:
        assert s["hash"] in page
        assert f"<td class='num'>{s['assumptions']}</td>" in page


def test_funders_fall_back_to_summary_kpis(results):
    tables, meta = load_results(results)
    tables.pop("funders", None)
    page = build_report(tables, meta)
    assert "No per-instrument table" in page and 'id="fig-funders"' in page
    fig = funders_figure(tables["summary"])
    assert len(fig.data) == len(FUNDER_KPIS) and all(len(t.x) == 3 for t in fig.data)
    assert all(fig.layout[f"yaxis{i if i > 1 else ''}"].title.text for i in range(1, len(FUNDER_KPIS) + 1))


def test_parameters_that_differ():
    loaded = [load_scenario(p) for p in SCENARIOS]
    table = differing_parameters(loaded)
    keys = set(table["key"])
    assert "outreach.women.people_per_year" in keys
    assert any(k.startswith("funding.instruments") for k in keys)
    assert "population.workers" not in keys  # the same everywhere
    row = table[table["key"] == "outreach.women.people_per_year"].iloc[0]
    assert row["2:value"] == "2000.0" and row["2:kind"] == "assumption"


def test_funnel_and_time_to_target_are_reported(results):
    """Workshops read the funnel per scenario and when each target is reached (DESIGN §3)."""
    page = (results / "report.html").read_text(encoding="utf-8")
    tables, _ = load_results(results)
    funnel = tables["funnel"]
    assert 'id="fig-funnel"' in page and 'id="funnel-table"' in page and 'id="time-to-target"' in page
    table = page[page.index('id="funnel-table"') : page.index("</table>", page.index('id="funnel-table"'))]
    for scenario, grp in funnel.groupby("scenario"):
        assert scenario in table
        aware = grp.loc[grp["stage"] == "aware", "mean"].iloc[0]
        assert f"{aware:,.0f}" in table  # the numbers shown are the table's
    assert "at least 10 % women" in page


def test_report_from_an_existing_folder(results, tmp_path):
    (results / "report.html").unlink()
    path = report_from_dir(results, title="Rebuilt")
    page = path.read_text(encoding="utf-8")
    assert "<title>Rebuilt</title>" in page and "outreach.women.people_per_year" in page
    assert 'id="funnel-table"' in page  # the funnel comes back from funnel.csv


def test_nan_kpis_do_not_break_the_report(results):
    tables, meta = load_results(results)
    summary = tables["summary"].copy()
    summary.loc[summary["kpi"] == "moderation_cycle_days", ["mean", "lo", "hi"]] = np.nan
    page = build_report({**tables, "summary": summary}, meta)
    assert "n/a" in page


def test_demo_writes_the_report(tmp_path, capsys, monkeypatch):
    import analysis.cli as cli

    small = FI / "south_savo_pilot.yaml"
    workshop = tmp_path / "ws.yaml"
    workshop.write_text(
        f"workshop: {{title: Pilot check, scenarios: ['{small}', '{FI / 'south_savo_pilot.yaml'}']}}\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(cli, "DEMO_WORKSHOP", workshop)
    out = tmp_path / "demo"
    assert main(["demo", "--reps", "2", "--engine", "vector", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert f"{(out / 'report.html').resolve()}" in printed
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "<title>Pilot check</title>" in page
    assert isinstance(pd.read_csv(out / "summary.csv"), pd.DataFrame)


def test_agility_legitimacy_chart_and_plausible_worlds(tmp_path):
    from analysis.cli import main as cli_main

    out = tmp_path / "agility"
    args = [
        "compare",
        str(REPO / "scenarios/fi/workshop_agility.yaml"),
        "--reps",
        "2",
        "--engine",
        "vector",
        "--no-deadweight",
        "--report",
        "--ensemble",
        "3",
        "--ensemble-reps",
        "1",
        "--out",
        str(out),
        "--set",
        "population.workers=300",
        "--set",
        "horizon_weeks=104",
    ]
    assert cli_main(args) == 0
    html = (out / "report.html").read_text(encoding="utf-8")
    assert 'id="tradeoff"' in html and "tradeoff-chart" in html
    assert "Agility: credentials issued on up-to-date content (%)" in html
    assert "plausible worlds meeting it" in html and "How robust is the ranking?" in html
    # both bands on the trajectories: chance (replications) and ignorance (plausible worlds)
    assert html.count("5-95 % of plausible worlds") >= 2 * 10 and "95 % interval" in html
    assert "intervals show chance only" not in html
    from analysis.report import report_from_dir

    (out / "report.html").unlink()
    rebuilt = report_from_dir(out).read_text(encoding="utf-8")  # from the result folder alone
    assert "5-95 % of plausible worlds" in rebuilt and "plausible worlds meeting it" in rebuilt


def test_no_tradeoff_chart_without_content_change():
    from analysis.report import tradeoff_figure

    summary = pd.DataFrame(
        [
            {
                "scenario": s,
                "kpi": k,
                "mean": 1.0 if k == "current_content_share" else 0.3,
                "lo": 0.2,
                "hi": 0.4,
            }
            for s in ("a", "b")
            for k in ("current_content_share", "employer_acceptance_rate")
        ]
    )
    assert tradeoff_figure(summary) is None
    summary.loc[(summary.scenario == "b") & (summary.kpi == "current_content_share"), "mean"] = 0.8
    fig = tradeoff_figure(summary)
    assert fig is not None and len(fig.data) == 2


def test_providers_years_are_written_per_run_and_averaged(results):
    """providers.csv: one row per scenario, provider and year, the mean of providers_runs.csv."""
    per_run = pd.read_csv(results / "providers_runs.csv")
    means = pd.read_csv(results / "providers.csv")
    keys = ["scenario", "provider", "year"]
    assert not means.duplicated(keys).any() and (means["reps"] == 3).all()
    assert len(per_run) == 3 * len(means)
    again = per_run.groupby(keys)[["cohorts", "learners", "fee_revenue_eur"]].mean()
    mine = means.set_index(keys)[["cohorts", "learners", "fee_revenue_eur"]]
    pd.testing.assert_frame_equal(again.sort_index(), mine.sort_index(), check_dtype=False)
    assert (per_run["learners"] >= 0).all() and (per_run["seats"] >= 0).all()
