"""The dashboard page: the controls, the progress bar, the KPI cards and the charts."""

from __future__ import annotations

import numpy as np
from dash import dcc, html

from analysis.cards import kpi_card
from analysis.dashboard.compare import BASELINE, SCENARIO, Comparison
from analysis.dashboard.presets import PRESETS
from analysis.report import HEADLINE, funnel_figure, kpi_title, trajectory_figure

__all__ = ["CARDS", "CSS", "LEVER_INPUTS", "page", "results"]

#: The KPIs on cards, in this order: women's share of learners (L698) next to its enrolment-based twin.
CARDS = (HEADLINE[0], "women_enrolment_share", *HEADLINE[1:], "enrolments_cum", "public_spend_eur")


def _pct(lo: float, hi: float, n: int = 5) -> dict:
    return {float(v): f"{100 * v:.0f}%" for v in np.linspace(lo, hi, n)}


#: (id, label, min, max, step, marks, hint) of every slider.
_SLIDERS = (
    ("fees", "Module fees (× today's fees)", 0.0, 3.0, 0.1, {0: "free", 1: "today", 2: "×2", 3: "×3"},
     "scales every provider's module fee"),
    ("subsidy", "Fee subsidy: share of the fee paid by public money", 0.0, 1.0, 0.1, _pct(0, 1),
     "a new budget instrument for every learner, paid to the provider at enrolment"),
    ("budget", "Subsidy budget (EUR million per year)", 0.0, 5.0, 0.1, {0: "0", 1: "1", 2.5: "2.5", 5: "5"},
     "the subsidy stops for the year when this is spent"),
    ("sampling", "Moderation sampling rate (share of assessments audited)", 0.05, 0.5, 0.05,
     _pct(0.05, 0.5, 4), "sampling-based audits by a rotating panel of assessors"),
    ("ca", "Collective-agreement coverage (share of firms)", 0.0, 1.0, 0.05, _pct(0, 1),
     "matters where a collective-agreement fund pays (start from the 'training fund' scenario)"),
    ("women", "Outreach to women (× women's awareness rate)", 1.0, 10.0, 0.5, {1: "none", 5: "×5", 10: "×10"},
     "a targeted campaign"),
    ("reps", "Replications (more: narrower intervals, slower)", 3, 10, 1, {3: "3", 5: "5", 10: "10"},
     "the baseline and your scenario use the same random numbers"),
)  # fmt: skip

#: Inputs whose values make the levers, in the order of ``Levers`` fields read by the app.
LEVER_INPUTS = ("fees", "subsidy", "budget", "moderation", "sampling", "ca", "women")


def _slider(id_: str, label: str, lo: float, hi: float, step: float, marks: dict, hint: str) -> html.Div:
    return html.Div(
        [
            html.Label(label, htmlFor=id_, className="lever-label"),
            dcc.Slider(id=id_, min=lo, max=hi, step=step, marks=marks, value=lo),
            html.Div(hint, className="lever-hint"),
        ],
        className="lever",
    )


def _controls(preset: str, reps: int) -> html.Div:
    sliders = {s[0]: _slider(*s) for s in _SLIDERS}
    sliders["reps"].children[1].value = reps
    moderation = html.Div(
        [
            html.Label("External moderation", className="lever-label"),
            dcc.Checklist(
                id="moderation", options=[{"label": " required of every provider", "value": "on"}], value=[]
            ),
        ],
        className="lever",
    )
    return html.Div(
        [
            html.H3("Scenario"),
            html.Label("Country preset (the pinned baseline)", htmlFor="preset", className="lever-label"),
            dcc.Dropdown(
                id="preset",
                options=[{"label": lb, "value": k} for k, (lb, _) in PRESETS.items()],
                value=preset,
                clearable=False,
            ),
            html.Label("Start from", htmlFor="start", className="lever-label"),
            dcc.Dropdown(id="start", clearable=False),
            html.H3("Levers"),
            sliders["fees"],
            sliders["subsidy"],
            sliders["budget"],
            moderation,
            sliders["sampling"],
            sliders["ca"],
            sliders["women"],
            sliders["reps"],
        ],
        className="controls",
    )


CSS = """
body{font-family:"Segoe UI",Helvetica,Arial,sans-serif;margin:0;color:#222;background:#fafafa}
.top{background:#1f3b57;color:#fff;padding:12px 22px}.top h1{margin:0;font-size:22px}
.top p{margin:4px 0 0;opacity:.9;max-width:1200px}.wrap{display:flex;gap:18px;padding:12px 18px}
.controls{flex:0 0 370px;background:#fff;border:1px solid #ddd;padding:4px 14px}.main{flex:1;min-width:0}
.lever{margin:8px 0 14px}.lever-label{font-weight:600;display:block;margin:8px 0 4px}
.lever-hint{font-size:12px;color:#666}.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(230px,1fr));gap:10px}
.kpi-card{border:1px solid #ccc;border-radius:6px;padding:8px 10px}.kpi-title{font-size:13px;min-height:34px}
.kpi-value{font-size:26px;font-weight:700}.kpi-ci,.kpi-base,.kpi-diff{font-size:12px;color:#444}
.progress{height:10px;background:#e6e6e6;border-radius:5px;overflow:hidden;margin:6px 0 10px}
.bar{height:100%;background:#1f77b4;transition:width .3s}#status{font-weight:600}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(480px,1fr));gap:10px;margin-top:12px}
"""

_INTRO = (
    "Move a lever: your scenario is rerun against the pinned baseline (the preset as it is, with the same "
    "random numbers). Cards show the mean over the replications with its 95 % interval. Green: better than "
    "the baseline (women's share: meets the 10 % target); red: worse; grey: no clear difference. "
    "Scenarios, not forecasts: most behavioural values are assumptions."
)


def page(preset: str, reps: int) -> html.Div:
    """The whole page as a participant opens it."""
    main = html.Div(
        [
            html.Div("starting…", id="status", className="idle"),
            html.Div(html.Div(className="bar", id="bar", style={"width": "0%"}), className="progress"),
            html.Div(id="cards", className="cards"),
            html.Div(id="charts", className="charts"),
        ],
        className="main",
    )
    return html.Div(
        [
            dcc.Store(id="job"),
            dcc.Store(id="finished"),
            dcc.Interval(id="poll", interval=600, disabled=True),
            html.Div([html.H1("Micro-credential policy dashboard"), html.P(_INTRO)], className="top"),
            html.Div([_controls(preset, reps), main], className="wrap"),
        ]
    )


def _card(cmp: Comparison, name: str) -> html.Div | None:
    card = kpi_card(cmp.summary, cmp.diff, name, SCENARIO, baseline=BASELINE)
    if card is None:
        return None
    return html.Div(
        [
            html.Div(kpi_title(name), className="kpi-title"),
            html.Div(card.value, className="kpi-value", id=f"kpi-{name}-value"),
            html.Div(f"95 % interval {card.interval}", className="kpi-ci"),
            html.Div(f"baseline {card.baseline}", className="kpi-base"),
            html.Div(f"change {card.change}", className="kpi-diff"),
        ],
        id=f"kpi-{name}",
        className=f"kpi-card {card.status}",
        style={"background": card.colour},
    )


def results(cmp: Comparison) -> tuple[list, list, str]:
    """Cards, charts and the status line of a finished comparison."""
    cards = [c for c in (_card(cmp, n) for n in CARDS) if c is not None]
    charts = [
        dcc.Graph(id=f"graph-{n}", figure=trajectory_figure(cmp.kpis, n, [BASELINE, SCENARIO]))
        for n in HEADLINE
    ]
    charts.append(dcc.Graph(id="graph-funnel", figure=funnel_figure(cmp.funnel)))
    text = f"Ready: {cmp.reps} replications each (vector engine; deadweight is in the report, not here)."
    return cards, charts, text
