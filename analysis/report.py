"""The workshop report: one self-contained ``report.html`` built from the result tables.

Why one file with Plotly's JavaScript inlined: workshops happen in rooms without reliable networks,
and the report is mailed to stakeholders afterwards; a single file that opens offline in any browser
survives both. Everything shown comes from the tables ``write_results`` returns (or writes:
``load_results`` reads a result folder back), the manifest and, for the parameter tables, the loaded
scenarios. Chart builders are small functions returning ``plotly`` figures, so the dashboard and the
slide images (``analysis.images``) draw the same charts.

Colours: a KPI with a target is coloured against it — the evidence states one (at least 10 % women
among learners, report L698) and ``--target`` adds a workshop's or funder's own, kept in the
manifest so a rebuilt report uses the same; every other KPI by its direction relative to the
baseline. The rule, the colour table and the cells are ``analysis.cards``, shared with the
dashboard; numbers are written by ``analysis.numbers``. The report says the rule in words.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from plotly.offline import get_plotlyjs
from plotly.subplots import make_subplots
from scipy import stats

from analysis.cards import (
    STATUS_COLOUR,
    STATUS_LEGEND,
    Card,
    card_cell,
    difference_card,
    kpi_card,
    possible,
    status,
)
from analysis.decomposition import PACKAGE, TOGETHER
from analysis.numbers import NA, format_estimate, format_interval, format_kpi, format_number, is_share
from analysis.summary import FUNDER_KPIS, HEADLINE, PILOT_KPIS, detectable
from analysis.targets import TARGETS, Target, targets_from_meta
from model.kpis import FUNNEL, KPI, KPIS
from model.params import LoadedScenario

__all__ = [
    "Target",
    "TARGETS",
    "HEADLINE",
    "kpi_title",
    "axis_label",
    "band_table",
    "trajectory_figure",
    "difference_figure",
    "funders_figure",
    "funnel_figure",
    "scorecard_figure",
    "differing_parameters",
    "build_report",
    "write_report",
    "load_results",
    "report_from_dir",
    "workshop_title",
]

_KPI = {k.name: k for k in KPIS}


#: Plain-language titles for a non-modeller; KPIs added later fall back to their description.
_TITLES = {
    "stakeholders_involved": "Stakeholders involved (teachers, panel assessors, employer representatives)",
    "moderation_cycle_days": "Moderation cycle: days from assessment to audit",
    "moderation_backlog": "Moderation backlog: sampled assessments waiting for audit",
    "moderation_backlog_age_days": "Age of the moderation backlog",
    "employer_acceptance_rate": "Employers (SMEs) accepting micro-credentials",
    "verification_success_rate": "Credential authenticity checks that succeed",
    "enrolments": "Enrolments",
    "enrolments_cum": "Enrolments since the start",
    "women_share": "Women's share of learners (distinct people)",
    "women_enrolment_share": "Women's share of enrolments (a learner enrolling twice counts twice)",
    "women_workforce_share": "Women's share of the workforce",
    "enrolment_to_credential_days": "Days from enrolment to credential",
    "in_pipeline": "Learners in the pipeline (enrolled, not yet certified)",
    "in_pipeline_age_days": "Days spent so far by learners in the pipeline",
    "sme_awareness_rate": "Workshops (SMEs) aware of micro-credentials",
    "worker_awareness_rate": "Workers aware of micro-credentials",
    "credentials_issued": "Credentials issued",
    "completion_rate": "Completion rate",
    "dropout_rate": "Dropout rate",
    "public_spend_eur": "Public spend",
    "other_training_spend_eur": "Public spend on firms' other courses",
    "spend_per_credential_eur": "Public spend per credential",
    "budget_utilisation": "Share of the available budget paid out",
    "deadweight_share": "Deadweight: funded learners who would have trained anyway",
}

_GROUPS = (
    ("Pilot KPIs (report L692–700)", PILOT_KPIS),
    ("Women in learning and in the trade", ("women_enrolment_share", "women_workforce_share")),
    (
        "Reach and pipeline",
        (
            "sme_awareness_rate",
            "worker_awareness_rate",
            "enrolments",
            "credentials_issued",
            "completion_rate",
            "dropout_rate",
            "in_pipeline",
            "in_pipeline_age_days",
            "moderation_backlog",
            "moderation_backlog_age_days",
        ),
    ),
    ("Funders", FUNDER_KPIS),
)

_PALETTE = ("#333333", "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b")


# -- labels and numbers -----------------------------------------------------------------------------
def kpi_title(name: str) -> str:
    """Plain title of a KPI (what a chart of it shows)."""
    k = _KPI.get(name)
    return _TITLES.get(name) or (k.description[:1].upper() + k.description[1:] if k else name)


def _scale(name: str) -> float:
    return 100.0 if is_share(name) else 1.0


def axis_label(name: str, *, diff: bool = False, cumulative: bool = False) -> str:
    """Axis title with the unit, e.g. ``women's share (% of learners)``."""
    k = _KPI.get(name)
    unit = k.unit if k else ""
    if unit == "share":
        unit = "percentage points" if diff else "%"
    elif unit == "EUR":
        unit = "EUR"
    what = "difference" if diff else ("total since the start" if cumulative else "")
    return f"{what} ({unit})".strip() if what else f"{unit}"


def _esc(x: Any) -> str:
    return html.escape(str(x))


# -- tables from the results ------------------------------------------------------------------------
def _kpis_in(summary: pd.DataFrame) -> list[KPI]:
    present = set(summary["kpi"])
    return [k for k in KPIS if k.name in present]


def _labels(summary: pd.DataFrame) -> list[str]:
    return list(dict.fromkeys(summary["scenario"]))


def band_table(kpis: pd.DataFrame, name: str) -> pd.DataFrame:
    """Per scenario and week: mean over replications and the 95 % interval of the mean.

    Flows are accumulated first (a chart of a flow shows the total since the start, as the
    scorecard does).
    """
    k = _KPI.get(name)
    df = kpis[["scenario", "rep", "step", name]].copy()
    if k is not None and k.kind == "flow":
        df[name] = df.groupby(["scenario", "rep"], sort=False)[name].cumsum()
    g = df.groupby(["scenario", "step"], sort=False)[name]
    out = g.agg(["mean", "std", "count"]).reset_index()
    n = out["count"].to_numpy(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.where(n > 1, stats.t.ppf(0.975, np.maximum(n - 1, 1)), np.nan)
        half = t * out["std"].to_numpy(float) / np.sqrt(n)
    # every KPI is non-negative and shares are at most 1: a band never leaves what is possible
    top = 1.0 if is_share(name) else np.inf
    out["lo"] = np.clip(out["mean"] - half, 0.0, top)
    out["hi"] = np.clip(out["mean"] + half, 0.0, top)
    return out


# -- chart builders ---------------------------------------------------------------------------------
def _colour(i: int) -> str:
    return _PALETTE[i % len(_PALETTE)]


def _rgba(hex_colour: str, alpha: float) -> str:
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def _layout(fig: go.Figure, title: str, x: str, y: str, height: int = 360) -> go.Figure:
    fig.update_layout(
        title={"text": title, "font": {"size": 15}},
        xaxis_title=x,
        yaxis_title=y,
        height=height,
        margin={"l": 60, "r": 20, "t": 60, "b": 50},
        template="plotly_white",
        legend={"orientation": "h", "y": -0.25},
        font={"family": "Segoe UI, Helvetica, Arial, sans-serif", "size": 12},
    )
    return fig


def _fill_between(
    fig: go.Figure,
    sub: pd.DataFrame,
    cols: tuple[str, str],
    scale: float,
    label: str,
    name: str,
    style: dict[str, Any],
) -> None:
    """A shaded band between two columns over the weeks where both are defined (no legend entry)."""
    ok = sub[np.isfinite(sub[cols[0]]) & np.isfinite(sub[cols[1]])]
    if not len(ok):
        return
    x = ok["step"].to_numpy()
    lo, hi = ok[cols[0]].to_numpy() * scale, ok[cols[1]].to_numpy() * scale
    fig.add_trace(
        go.Scatter(
            x=np.concatenate([x, x[::-1]]),
            y=np.round(np.concatenate([hi, lo[::-1]]), 6),
            fill="toself",
            hoverinfo="skip",
            legendgroup=label,
            showlegend=False,
            name=name,
            **style,
        )
    )


def _band_traces(fig: go.Figure, sub: pd.DataFrame, label: str, colour: str, scale: float) -> None:
    band = {"fillcolor": _rgba(colour, 0.18), "line": {"width": 0}}
    _fill_between(fig, sub, ("lo", "hi"), scale, label, f"{label} 95 % interval", band)
    fig.add_trace(
        go.Scatter(
            x=sub["step"].to_numpy(),
            y=np.round(sub["mean"].to_numpy() * scale, 6),
            mode="lines",
            line={"color": colour, "width": 2},
            name=label,
            legendgroup=label,
            hovertemplate=f"{_esc(label)}<br>week %{{x}}: %{{y:.3~g}}<extra></extra>",
        )
    )


def _target_line(fig: go.Figure, name: str, targets: Mapping[str, Target]) -> None:
    t = targets.get(name)
    if t is not None:
        fig.add_hline(
            y=t.value * _scale(name),
            line={"dash": "dash", "color": "#2ca02c"},
            annotation_text=f"target {t.op.replace('>=', '≥').replace('<=', '≤')} "
            f"{format_kpi(t.value, name)}",
            annotation_position="top left",
        )


def _ensemble_traces(fig: go.Figure, sub: pd.DataFrame, label: str, colour: str, scale: float) -> None:
    """The ignorance band: 5-95 % of plausible worlds, light fill with a dotted edge."""
    style = {
        "fillcolor": _rgba(colour, 0.07),
        "line": {"width": 1, "dash": "dot", "color": _rgba(colour, 0.6)},
    }
    _fill_between(fig, sub, ("q05", "q95"), scale, label, f"{label} 5-95 % of plausible worlds", style)


def _y_range(
    bands: pd.DataFrame, name: str, worlds: pd.DataFrame | None, targets: Mapping[str, Target]
) -> list[float]:
    """From 0 to a little above the bulk of the bands.

    Early weeks with a handful of events (a ratio over two enrolments) must not squash the chart.
    """
    hi = bands["hi"].where(np.isfinite(bands["hi"]), bands["mean"]).dropna()
    if worlds is not None and len(worlds):
        hi = pd.concat([hi, worlds["q95"].dropna()], ignore_index=True)
    top = float(max(np.quantile(hi, 0.97) if len(hi) else 0.0, bands["mean"].max(skipna=True) or 0.0))
    t = targets.get(name)
    top = max(top, t.value * 1.2 if t else 0.0) * 1.08 or 1.0
    return [0.0, top * _scale(name)]


def trajectory_figure(
    kpis: pd.DataFrame,
    name: str,
    labels: Sequence[str] | None = None,
    worlds: pd.DataFrame | None = None,
    targets: Mapping[str, Target] = TARGETS,
) -> go.Figure:
    """Mean trajectory of one KPI per scenario, with its 95 % interval band and any target.

    With ``worlds`` (the ensemble's ``ensemble_trajectories`` table) each scenario also gets its
    ignorance band: 5-95 % of the plausible worlds, week by week.
    """
    bands = band_table(kpis, name)
    labels = list(labels) if labels is not None else list(dict.fromkeys(bands["scenario"]))
    mine = worlds[worlds["kpi"] == name] if worlds is not None and len(worlds) else None
    fig = go.Figure()
    for i, label in enumerate(labels):
        if mine is not None:
            _ensemble_traces(fig, mine[mine["scenario"] == label], label, _colour(i), _scale(name))
        _band_traces(fig, bands[bands["scenario"] == label], label, _colour(i), _scale(name))
    _target_line(fig, name, targets)
    fig.update_yaxes(range=_y_range(bands, name, mine, targets))
    k = _KPI.get(name)
    cumulative = bool(k and k.kind == "flow")
    title = kpi_title(name) + (" (total since the start)" if cumulative else "")
    return _layout(
        fig, title, "week since the start of the scenario", axis_label(name, cumulative=cumulative)
    )


def difference_figure(diff: pd.DataFrame, name: str) -> go.Figure:
    """Paired difference against the baseline per scenario, with its 95 % interval."""
    d = diff[diff["kpi"] == name]
    scale = _scale(name)
    colours = [
        {"better": "#2ca02c", "worse": "#d62728"}.get(status(name, r.diff, r.lo, r.hi, diff=True), "#777777")
        for r in d.itertuples()
    ]
    fig = go.Figure(
        go.Scatter(
            x=d["diff"].to_numpy() * scale,
            y=d["scenario"].tolist(),
            mode="markers",
            marker={"size": 11, "color": colours},
            error_x={
                "type": "data",
                "symmetric": False,
                "array": ((d["hi"] - d["diff"]) * scale).to_numpy(),
                "arrayminus": ((d["diff"] - d["lo"]) * scale).to_numpy(),
                "color": "#555555",
            },
            hovertemplate="%{y}: %{x:.3~g}<extra></extra>",
            name="difference",
            showlegend=False,
        )
    )
    fig.add_vline(x=0, line={"color": "#999999"})
    base = d["baseline"].iloc[0] if len(d) else "baseline"
    fig.update_yaxes(autorange="reversed")
    return _layout(
        fig,
        f"{kpi_title(name)}<br><sup>change against {_esc(base)} (scenario minus baseline)</sup>",
        axis_label(name, diff=True),
        "",
        height=130 + 45 * max(len(d), 1),
    )


def funders_figure(summary: pd.DataFrame) -> go.Figure:
    """The funders' figures per scenario (whole-run KPIs, all instruments) with 95 % intervals."""
    fig = make_subplots(rows=1, cols=len(FUNDER_KPIS), subplot_titles=[kpi_title(k) for k in FUNDER_KPIS])
    _layout(fig, "Funders' figures per scenario (whole run, all instruments)", "", "", height=440)
    labels = _labels(summary)
    for col, name in enumerate(FUNDER_KPIS, start=1):
        s = summary[summary["kpi"] == name].set_index("scenario").reindex(labels)
        scale = _scale(name)
        fig.add_trace(
            go.Bar(
                x=labels,
                y=s["mean"].to_numpy() * scale,
                error_y={
                    "type": "data",
                    "symmetric": False,
                    "array": ((s["hi"] - s["mean"]) * scale).to_numpy(),
                    "arrayminus": ((s["mean"] - s["lo"]) * scale).to_numpy(),
                },
                marker_color=[_colour(i) for i in range(len(labels))],
                showlegend=False,
                name=kpi_title(name),
                hovertemplate="%{x}: %{y:,.3~g}<extra></extra>",
            ),
            row=1,
            col=col,
        )
        unit = "EUR, total over the run" if name == "public_spend_eur" else axis_label(name)
        fig.update_yaxes(title_text=unit, row=1, col=col)
    fig.update_annotations(font_size=12)
    return fig


def tradeoff_figure(summary: pd.DataFrame) -> go.Figure | None:
    """Agility against legitimacy, one point per scenario (issue: moderation makes trusted but stale?).

    Legitimacy is employer acceptance; agility is the share of credentials issued on up-to-date
    content. Drawn only when content change is modelled in some scenario (a share below 1).
    """
    labels = _labels(summary)

    def get(name: str) -> pd.DataFrame:
        return summary[summary["kpi"] == name].set_index("scenario").reindex(labels)

    agility, legitimacy = get("current_content_share"), get("employer_acceptance_rate")
    if not (agility["mean"] < 1.0).any():
        return None
    fig = go.Figure()
    for i, label in enumerate(labels):
        a, g = agility.loc[label].copy(), legitimacy.loc[label].copy()
        a["lo"], a["hi"] = possible("current_content_share", a["lo"], a["hi"])
        g["lo"], g["hi"] = possible("employer_acceptance_rate", g["lo"], g["hi"])
        fig.add_trace(
            go.Scatter(
                x=[100 * a["mean"]],
                y=[100 * g["mean"]],
                mode="markers+text",
                text=[label],
                textposition="top center",
                marker={"size": 14, "color": _colour(i)},
                error_x={
                    "type": "data",
                    "symmetric": False,
                    "array": [100 * (a["hi"] - a["mean"])],
                    "arrayminus": [100 * (a["mean"] - a["lo"])],
                },
                error_y={
                    "type": "data",
                    "symmetric": False,
                    "array": [100 * (g["hi"] - g["mean"])],
                    "arrayminus": [100 * (g["mean"] - g["lo"])],
                },
                name=label,
                hovertemplate=f"{label}<br>agility %{{x:.1f}} %<br>legitimacy %{{y:.1f}} %<extra></extra>",
            )
        )
    return _layout(
        fig,
        "Agility against legitimacy: up-to-date content vs employer acceptance (whole run, 95 % intervals)",
        "Agility: credentials issued on up-to-date content (%)",
        "Legitimacy: SMEs accepting micro-credentials (%)",
        height=480,
    )


def decomposition_figure(parts: pd.DataFrame, name: str) -> go.Figure:
    """Each lever's gain over the baseline, stacked per year, with the package's gain and its interval.

    ``parts`` is the ``decomposition`` table; the stacked parts (levers alone and ``together``)
    add up to the package's gain (the diamond).
    """
    d = parts[parts["kpi"] == name]
    years = sorted(set(d["year"]))
    x = [f"year {y}" for y in years]
    fig = go.Figure()
    levers = [p for p in dict.fromkeys(d["part"]) if p != PACKAGE]
    for i, part in enumerate(levers):
        g = d[d["part"] == part].set_index("year").reindex(years)
        label = "levers together (beyond the sum)" if part == TOGETHER else part
        fig.add_trace(
            go.Bar(
                x=x,
                y=g["gain"].to_numpy(float) * _scale(name),
                name=label,
                marker_color="#bbbbbb" if part == TOGETHER else _colour(i + 1),
                hovertemplate=f"{_esc(label)}: %{{y:+.3~g}}<extra></extra>",
            )
        )
    g = d[d["part"] == PACKAGE].set_index("year").reindex(years)
    fig.add_trace(
        go.Scatter(
            x=x,
            y=g["gain"].to_numpy(float) * _scale(name),
            mode="markers",
            marker={"symbol": "diamond", "size": 13, "color": "#222222"},
            error_y={
                "type": "data",
                "symmetric": False,
                "array": ((g["hi"] - g["gain"]) * _scale(name)).to_numpy(float),
                "arrayminus": ((g["gain"] - g["lo"]) * _scale(name)).to_numpy(float),
            },
            name="package (95 % interval)",
            hovertemplate="package: %{y:+.3~g}<extra></extra>",
        )
    )
    fig.add_hline(y=0, line={"color": "#999999"})
    fig.update_layout(barmode="relative")
    return _layout(
        fig,
        f"{kpi_title(name)}<br><sup>gain over the baseline: each lever alone, and the package</sup>",
        "",
        axis_label(name, diff=True),
        height=420,
    )


def _decomposition_html(tables: Mapping[str, pd.DataFrame], meta: Mapping[str, Any]) -> str:
    """What each lever of the package adds to women's share of learners and of the workforce."""
    parts, spec = tables["decomposition"], meta["decomposition"]
    charts = "".join(
        _figure_html(decomposition_figure(parts, n), f"decomp-{n}") for n in dict.fromkeys(parts["kpi"])
    )
    order = [PACKAGE, *spec["variants"], TOGETHER]
    head = "".join(f"<th>{_esc('levers together' if p == TOGETHER else p)}</th>" for p in order)
    rows = []
    for (kpi, year), grp in parts.groupby(["kpi", "year"], sort=False):
        g = grp.set_index("part")
        cells = []
        for p in order:
            r = g.loc[p]
            share = "" if p == PACKAGE else f" · {format_number(r['share'], share=True)} of the gain"
            ci = format_interval(r["lo"], r["hi"], kpi, diff=True) + share
            cells.append(card_cell(Card(format_kpi(r["gain"], kpi, diff=True), ci)))
        rows.append(f"<tr><td>{_esc(kpi_title(kpi))}, year {year}</td>{''.join(cells)}</tr>")
    return (
        f"<p class='note'>The package <b>{_esc(spec['package'])}</b> against "
        f"<b>{_esc(spec['baseline'])}</b>, and each of its levers alone. A lever's gain is what it "
        "adds alone to the baseline "
        "(scenario minus baseline, paired replication by replication: the same random numbers). "
        "<i>Levers together</i> is what the package adds beyond the sum of the levers alone: positive "
        "when levers reinforce each other, negative when they overlap. The parts add up to the package's "
        "gain exactly. This one-at-a-time decomposition needs only the package and one run of each "
        "lever; exact Shapley values would need every combination of levers (16 scenarios for four) and "
        "would share out the levers' joint effect by a rule rather than showing it. A lever's share of "
        "the gain is its gain ÷ the package's gain, shown only where the package's 95 % interval excludes "
        "zero. Women's share of learners counts distinct learners since the start; "
        "women's share of the workforce is read at the end of the year.</p>"
        f"<div class='grid'>{charts}</div>"
        f'<table id="decomposition"><tr><th>KPI and year</th>{head}</tr>{"".join(rows)}</table>'
    )


def _rules_html(tables: Mapping[str, pd.DataFrame]) -> str:
    """Does the ranking of the scenarios hold under each employer rule (or other sampled choice)?"""
    parts = []
    for name, how in (
        (
            "rule_ranking",
            "the whole comparison again under each rule, same seeds (<code>--both-rules</code>)",
        ),
        ("ensemble_choice_ranking", "the plausible worlds of the ensemble that drew each choice"),
    ):
        ranking = tables.get(name)
        if ranking is None or ranking.empty:
            continue
        rows = []
        for (key, kpi), grp in ranking.groupby(["key", "kpi"], sort=False):
            holds = bool(grp["holds"].iloc[0])
            orders = "<br>".join(
                f"<code>{_esc(r.choice)}</code> ({r.rows} {'runs' if name == 'rule_ranking' else 'worlds'}): "
                f"{_esc(r.ranking)}"
                for r in grp.itertuples()
            )
            colour = STATUS_COLOUR["better" if holds else "uncertain"]
            rows.append(
                f"<tr><td>{_esc(kpi_title(kpi))}</td><td><code>{_esc(key)}</code></td>"
                f'<td style="background:{colour}"><b>{"holds" if holds else "changes"}</b></td>'
                f"<td>{orders}</td></tr>"
            )
        parts.append(
            f"<h3>From {how}</h3>"
            '<table class="rule-ranking"><tr><th>KPI</th><th>assumption</th><th>ranking</th>'
            f"<th>scenarios, best first, under each choice</th></tr>{''.join(rows)}</table>"
        )
    summary = tables.get("rules_summary")
    if summary is not None and not summary.empty:
        parts.append(_rules_summary_html(summary))
    return (
        "<p class='note'>How employers come to trust micro-credentials is a structural assumption: "
        "<code>learning</code> (firms learn from holders' work, their own checks and peers) or "
        "<code>signals</code> (trust follows the regional shares of moderated and EDC credentials). For "
        "each headline KPI the scenarios are ranked by their mean under each choice; <b>holds</b> means "
        "the same order under every choice, <b>changes</b> that the conclusion depends on the rule. "
        "Scenarios with equal means are tied (=); n/a: the KPI is not defined in that scenario. With few "
        "runs or worlds per choice, a change between scenarios whose paired difference is within chance "
        "may be noise: read it together with the differences above.</p>" + "".join(parts)
    )


def _rules_summary_html(summary: pd.DataFrame) -> str:
    """The pilot KPIs of every scenario under each rule (mean and 95 % interval over the runs)."""
    labels = _labels(summary)
    rules = list(dict.fromkeys(summary["rule"]))
    head = "".join(f"<th>{_esc(lb)}</th>" for lb in labels)
    rows = []
    by = summary.set_index(["kpi", "scenario", "rule"])[["mean", "lo", "hi"]]
    for name in [*PILOT_KPIS, *[h for h in HEADLINE if h not in PILOT_KPIS]]:
        cells = []
        for label in labels:
            lines = [
                f"<code>{_esc(rule)}</code> {format_estimate(*by.loc[(name, label, rule)], name)}"
                for rule in rules
                if (name, label, rule) in by.index
            ]
            cells.append(f"<td class='num'>{'<br>'.join(lines)}</td>")
        rows.append(f"<tr><td>{_esc(kpi_title(name))}</td>{''.join(cells)}</tr>")
    return (
        "<h3>Pilot KPIs under each rule</h3><p class='note'>Mean over the replications with the 95 % "
        "interval, the same seeds under each rule (rules_summary.csv).</p>"
        f'<table id="rules-summary"><tr><th>KPI</th>{head}</tr>{"".join(rows)}</table>'
    )


def _ensemble_html(tables: Mapping[str, pd.DataFrame]) -> str:
    """Chance and ignorance: the ensemble over the assumption ranges, when it was run."""
    targets, bands = tables.get("ensemble_targets"), tables.get("ensemble_bands")
    if targets is None or bands is None:
        return (
            "<p>Not run. The intervals above are chance only (replications at fixed parameters). "
            "<code>mcsim compare ... --ensemble N</code> adds N plausible worlds sampled from the "
            "assumption ranges.</p>"
        )
    rows = "".join(
        f"<tr><td>{_esc(r.scenario)}</td><td>{_esc(kpi_title(r.kpi))} {_esc(r.target)}</td>"
        f"<td class='num'>{format_number(r.share_of_worlds_met, share=True)}</td></tr>"
        for r in targets.itertuples()
    )
    key = [
        "employer_acceptance_rate",
        "women_share",
        "women_enrolment_share",
        "enrolments",
        "spend_per_credential_eur",
    ]
    band_rows = "".join(
        f"<tr><td>{_esc(r.scenario)}</td><td>{_esc(kpi_title(r.kpi))}</td>"
        f"<td class='num'>{_esc(format_kpi(r.q05, r.kpi))}</td>"
        f"<td class='num'>{_esc(format_kpi(r.median, r.kpi))}</td>"
        f"<td class='num'>{_esc(format_kpi(r.q95, r.kpi))}</td></tr>"
        for r in bands[bands["kpi"].isin(key)].itertuples()
    )
    ranking = tables.get("ensemble_ranking")
    ranked = ""
    if ranking is not None and not ranking.empty:
        top = ranking[ranking["kpi"].isin(key)]
        ranked = "".join(
            f"<tr><td>{_esc(kpi_title(r.kpi))}</td><td>{_esc(r.scenario)}</td>"
            f"<td class='num'>{format_number(r.share_best, share=True)}</td><td class='num'>"
            f"{_esc(format_kpi(r.mean_regret, r.kpi))}</td></tr>"
            for r in top.itertuples()
        )
        ranked = (
            "<h3>How robust is the ranking?</h3><p class='note'>Share of plausible worlds in which each "
            "scenario is best on the KPI, and its mean regret (how far behind the best it falls).</p>"
            "<table><tr><th>KPI</th><th>scenario</th><th>best in</th><th>mean regret</th></tr>"
            f"{ranked}</table>"
        )
    importance = tables.get("ensemble_importance")
    nxt = ""
    if importance is not None and not importance.empty:
        top = importance.sort_values("share", ascending=False).groupby("kpi").head(2)
        top = top[top["kpi"].isin(key)]
        nxt = "".join(
            f"<tr><td>{_esc(kpi_title(r.kpi))}</td><td><code>{_esc(r.parameter)}</code></td>"
            f"<td class='num'>{r.share:.2f}</td></tr>"
            for r in top.itertuples()
        )
        nxt = (
            "<h3>What to measure next</h3><p class='note'>The assumptions that move each KPI most across "
            f"the plausible worlds ({_esc(importance['method'].iloc[0])}).</p>"
            f"<table><tr><th>KPI</th><th>assumption</th><th>share</th></tr>{nxt}</table>"
        )
    return (
        "<p class='note'>Each plausible world samples every ranged assumption (a whole table, such as firm "
        "size shares or provider seats, as one factor or tempering exponent) and draws each structural "
        "choice (such as the employer rule), each choice in as many worlds as the others; all scenarios "
        "run in the same worlds with the same seeds. These bands include what we do not know, not just "
        "chance.</p>"
        f"<table><tr><th>scenario</th><th>target</th><th>plausible worlds meeting it</th></tr>{rows}</table>"
        "<h3>Bands over plausible worlds (5 %, median, 95 %)</h3>"
        f"<table><tr><th>scenario</th><th>KPI</th><th>5 %</th><th>median</th><th>95 %</th></tr>{band_rows}"
        f"</table>{ranked}{nxt}"
    )


def scorecard_figure(
    summary: pd.DataFrame,
    diff: pd.DataFrame | None,
    names: Sequence[str],
    targets: Mapping[str, Target] = TARGETS,
) -> go.Figure:
    """The scorecard as a coloured grid (for slides): KPIs × scenarios, mean and interval."""
    labels = _labels(summary)
    colours = list(dict.fromkeys(STATUS_COLOUR.values()))  # one heatmap level per card colour
    z, text = [], []
    for name in names:
        row_z, row_t = [], []
        for label in labels:
            card = kpi_card(summary, diff, name, label, targets) or Card(NA, "")
            row_z.append(colours.index(card.colour))
            row_t.append(f"{card.value}<br>{card.interval}")
        z.append(row_z)
        text.append(row_t)
    n = len(colours)  # level i sits at i / (n - 1): inside the band [i / n, (i + 1) / n]
    scale = [[(i + edge) / n, c] for i, c in enumerate(colours) for edge in (0, 1)]
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=labels,
            y=[kpi_title(n) for n in names],
            text=text,
            texttemplate="%{text}",
            colorscale=scale,
            zmin=0,
            zmax=n - 1,
            showscale=False,
            xgap=2,
            ygap=2,
            hoverinfo="skip",
        )
    )
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(side="top")
    return _layout(fig, "Scorecard: mean [95 % interval] per scenario", "", "", height=140 + 70 * len(names))


# -- parameters -------------------------------------------------------------------------------------
def differing_parameters(scenarios: Sequence[LoadedScenario]) -> pd.DataFrame:
    """Parameters whose value differs between the scenarios: one row per key, a column per scenario.

    Columns ``key``, then per scenario its value (JSON text) and ``<i>:kind``/``<i>:source`` for
    the provenance of scenario ``i``.
    """
    tables = [{k: (v, p) for k, v, p in s.parameters()} for s in scenarios]
    keys = list(dict.fromkeys(k for t in tables for k in t))
    rows = []
    for key in keys:
        vals = [json.dumps(t[key][0], default=str) if key in t else "—" for t in tables]
        if len(set(vals)) < 2:
            continue
        row: dict[str, Any] = {"key": key}
        for i, (t, v) in enumerate(zip(tables, vals, strict=True)):
            row[f"{i}:value"] = v
            row[f"{i}:kind"] = t[key][1].kind if key in t else ""
            row[f"{i}:source"] = t[key][1].describe() if key in t else "not in this scenario"
        rows.append(row)
    return pd.DataFrame(rows)


# -- HTML -------------------------------------------------------------------------------------------
_CSS = """
body{font-family:"Segoe UI",Helvetica,Arial,sans-serif;margin:0;color:#222;background:#fafafa}
header{background:#1f3b57;color:#fff;padding:18px 28px}header h1{margin:0 0 6px;font-size:24px}
header p{margin:2px 0;opacity:.9}nav{background:#e8eef3;padding:8px 28px;position:sticky;top:0;z-index:5}
nav a{margin-right:16px;color:#1f3b57;text-decoration:none;font-weight:600}
main{padding:8px 28px 40px;max-width:1500px}section{margin-top:26px}h2{border-bottom:2px solid #1f3b57}
.note{background:#fff;border-left:4px solid #1f3b57;padding:8px 14px;margin:10px 0;max-width:1100px}
table{border-collapse:collapse;background:#fff;font-size:13px;margin:8px 0}
th,td{border:1px solid #ddd;padding:5px 8px;vertical-align:top}th{background:#f0f3f6;text-align:left}
td.num{text-align:right;white-space:nowrap}td small,th small{color:#666;font-weight:normal}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(460px,1fr));gap:14px}
.chart{background:#fff;border:1px solid #e3e3e3;padding:4px}
.legend span{display:inline-block;padding:2px 8px;margin-right:6px;border:1px solid #ccc}
.warning{background:#fbeebc;border-left:4px solid #b8860b;padding:8px 14px;margin:10px 0;max-width:1100px}
.flag{display:inline-block;background:#fbeebc;border:1px solid #b8860b;border-radius:3px;padding:0 5px;
font-size:11px;font-weight:normal}
details{margin:8px 0}pre{background:#fff;border:1px solid #ddd;padding:10px;overflow:auto;max-height:500px}
"""


def _figure_html(fig: go.Figure, div_id: str) -> str:
    body = pio.to_html(
        fig,
        full_html=False,
        include_plotlyjs=False,
        div_id=div_id,
        config={"displaylogo": False, "responsive": True},
    )
    return f'<div class="chart">{body}</div>'


def _grouped(names: Sequence[str]) -> list[tuple[str, list[str]]]:
    seen: set[str] = set()
    out = []
    for title, members in _GROUPS:
        m = [n for n in members if n in names]
        seen |= set(m)
        if m:
            out.append((title, m))
    rest = [n for n in names if n not in seen]
    if rest:
        out.append(("Other KPIs", rest))
    return out


_BETTER = {"max": "higher is better", "min": "lower is better", "info": "for information"}


def _targets_sentence(targets: Mapping[str, Target]) -> str:
    """Which KPIs are coloured against a target, and where each target comes from."""
    if not targets:
        return "No KPI has a target here."
    parts = [f"{kpi_title(k)} ({t.text})" for k, t in targets.items()]
    return "Coloured against a target: " + "; ".join(parts) + "."


def _scorecard_html(
    summary: pd.DataFrame,
    diff: pd.DataFrame | None,
    targets: Mapping[str, Target],
    worlds_met: pd.DataFrame | None = None,
    undetected: Sequence[str] = (),
) -> str:
    labels = _labels(summary)
    # With an ensemble: the share of plausible worlds meeting each target, in the cell itself.
    met = {}
    if worlds_met is not None and not worlds_met.empty:
        met = {(r.scenario, r.kpi): r.share_of_worlds_met for r in worlds_met.itertuples()}
    names = [k.name for k in _kpis_in(summary)]

    def note(i: int, label: str) -> str:
        if i == 0:
            return " <small>(baseline)</small>"
        return f' <span class="flag">{_NO_DIFFERENCE}</span>' if label in undetected else ""

    head = "".join(f"<th>{_esc(lb)}{note(i, lb)}</th>" for i, lb in enumerate(labels))
    rows = []
    for group, members in _grouped(names):
        rows.append(f'<tr><th colspan="{len(labels) + 1}">{_esc(group)}</th></tr>')
        for name in members:
            k = _KPI[name]
            cells = []
            for label in labels:
                card = kpi_card(summary, diff, name, label, targets) or Card(NA, "", kpi=name, scenario=label)
                share = met.get((label, name))
                ok = share is not None and np.isfinite(share)
                note = f"meets it in {format_number(share, share=True)} of plausible worlds" if ok else ""
                cells.append(card_cell(card, note))
            target = targets.get(name)
            extra = f"<br><small>target: {_esc(target.text)}</small>" if target else ""
            rows.append(
                f"<tr><td>{_esc(kpi_title(name))} <small>({_esc(axis_label(name))}; {_esc(name)}, "
                f"{_esc(k.kind)}, {_BETTER[k.direction]})</small>{extra}</td>{''.join(cells)}</tr>"
            )
    legend = "".join(f'<span style="background:{STATUS_COLOUR[s]}">{t}</span>' for s, t in STATUS_LEGEND)
    return (
        '<div class="note">Each cell: mean over the replications and, below, the 95 % interval of that mean. '
        "Stocks are read at the horizon, flows are totals over the horizon, ratios are whole-run ratios; "
        "intervals are cut at what is possible (no count below 0, no share above 100 %). "
        f"{_targets_sentence(targets)}"
        + (
            " Below a target's interval: the share of plausible worlds of the ensemble meeting it."
            if met
            else ""
        )
        + " KPIs without a target are coloured by which way is better, against "
        "the baseline: green or red only when the 95 % interval of the paired difference excludes zero. "
        "Hover a cell for its difference from the baseline.</div>"
        f'<p class="legend">{legend}</p>'
        f'<table id="scorecard"><tr><th>KPI</th>{head}</tr>{"".join(rows)}</table>'
    )


def _differences_html(diff: pd.DataFrame, names: Sequence[str]) -> str:
    labels = list(dict.fromkeys(diff["scenario"]))
    head = "".join(f"<th>{_esc(lb)}</th>" for lb in labels)
    rows = []
    for name in names:
        cells = []
        for label in labels:
            card = difference_card(diff, name, label)
            cells.append(card_cell(card) if card else f"<td>{NA}</td>")
        rows.append(
            f"<tr><td>{_esc(kpi_title(name))} <small>({_esc(name)})</small></td>{''.join(cells)}</tr>"
        )
    return f'<table id="differences"><tr><th>KPI</th>{head}</tr>{"".join(rows)}</table>'


_FUNDER_HEADS = {
    "public_spend_eur": "public spend (EUR)",
    "learners_funded": "learners funded",
    "credentials_funded": "credentials funded",
    "spend_per_credential_eur": "spend per credential (EUR)",
    "budget_available_eur": "budget available (EUR)",
    "budget_utilisation": "budget paid out (%)",
    "first_refusal_week": "first applicant refused (month)",
    "deadweight_share": "deadweight (%)",
    "additional_credentials": "additional credentials",
    "additional_credentials_per_1000_eur": "additional credentials per EUR 1,000",
}


def _funders_html(tables: Mapping[str, pd.DataFrame]) -> str:
    summary = tables["summary"]
    parts = [_figure_html(funders_figure(summary), "fig-funders")]
    f = tables.get("funders")
    if f is not None and not f.empty and {"scenario", "instrument", "figure", "mean"} <= set(f.columns):
        rows = []
        figures = list(dict.fromkeys(f["figure"]))
        head = "".join(f"<th>{_esc(_FUNDER_HEADS.get(x, x.replace('_', ' ')))}</th>" for x in figures)
        for (scen, instr), grp in f.groupby(["scenario", "instrument"], sort=False):
            g = grp.set_index("figure")
            cells = []
            for x in figures:
                if x not in g.index:
                    cells.append("<td></td>")
                    continue
                r = g.loc[x]
                if x == "first_refusal_week" and "first_refusal_month" in g.columns:
                    month = r.get("first_refusal_month")
                    cells.append(
                        f'<td class="num">{_esc(month) if isinstance(month, str) and month else "never"}</td>'
                    )
                    continue
                name = x if x in _KPI else ""
                ci = format_interval(r.get("lo", np.nan), r.get("hi", np.nan), name)
                cells.append(card_cell(Card(format_kpi(r["mean"], name), ci)))
            rows.append(f"<tr><td>{_esc(scen)}</td><td>{_esc(instr)}</td>{''.join(cells)}</tr>")
        parts.append(
            "<h3>Per funding instrument (funders.csv)</h3>"
            '<p class="note">Mean over replications with the 95 % interval. Euros and people at the scale of '
            "the real sector. Deadweight: learners the instrument paid for who also enrol in the same world "
            "(same random numbers) without that instrument.</p>"
            f'<table id="funders"><tr><th>scenario</th><th>instrument</th>{head}</tr>{"".join(rows)}</table>'
        )
    elif f is None or f.empty:
        parts.append(
            '<p class="note">No per-instrument table in these results; the figures above are the whole-run '
            "KPIs over all instruments.</p>"
        )
    return "".join(parts)


def funnel_figure(funnel: pd.DataFrame) -> go.Figure:
    """People reaching each stage, per scenario (grouped bars on a log scale: stages differ by orders)."""
    fig = go.Figure()
    for i, (label, grp) in enumerate(funnel.groupby("scenario", sort=False)):
        g = grp.set_index("stage").reindex(list(FUNNEL))
        err_hi = (g["hi"] - g["mean"]).to_numpy(float)
        err_lo = (g["mean"] - g["lo"]).to_numpy(float)
        fig.add_trace(
            go.Bar(
                x=[s.capitalize() for s in FUNNEL],
                y=g["mean"],
                name=label,
                marker_color=_colour(i),
                error_y={"type": "data", "array": err_hi, "arrayminus": err_lo, "visible": True},
                hovertemplate="%{x}: %{y:,.0f} people<extra>" + _esc(label) + "</extra>",
            )
        )
    _layout(fig, "Funnel: people reaching each stage over the run", "", "people (real sector, log scale)")
    fig.update_layout(barmode="group", yaxis_type="log")
    return fig


def _funnel_html(tables: Mapping[str, pd.DataFrame], targets: Mapping[str, Target]) -> str:
    funnel, ttt = tables.get("funnel"), tables.get("time_to_target")
    parts = []
    if funnel is not None and not funnel.empty:
        head = "".join(f"<th>{_esc(s)}</th>" for s in FUNNEL)
        rows = []
        for label, grp in funnel.groupby("scenario", sort=False):
            g = grp.set_index("stage")
            cells = []
            for stage in FUNNEL:
                r = g.loc[stage]
                conv = r.get("share_of_previous", np.nan)
                ci = format_interval(r["lo"], r["hi"]) + (
                    f" · {format_number(conv, share=True)} of previous" if np.isfinite(conv) else ""
                )
                cells.append(card_cell(Card(format_number(r["mean"]), ci)))
            rows.append(f"<tr><td>{_esc(label)}</td>{''.join(cells)}</tr>")
        parts.append(
            '<p class="note">Distinct people who reach each stage at some time in the run, at the scale of '
            "the real sector: heard of micro-credentials, enrolled, earned a credential, and had it accepted "
            "(their employer accepted micro-credentials when it was issued, or a firm accepting them hired "
            "them with it). Mean over replications with the 95 % interval, and the share of the previous "
            "stage.</p>"
            + _figure_html(funnel_figure(funnel), "fig-funnel")
            + f'<table id="funnel-table"><tr><th>scenario</th>{head}</tr>{"".join(rows)}</table>'
        )
    if ttt is not None and not ttt.empty:
        rows = []
        for _, r in ttt.iterrows():
            target = targets.get(r["kpi"])
            what = target.text if target else r["kpi"]
            if r["reached_share"] > 0:
                when = f"week {r['weeks_median']:.0f} (5–95 %: {r['weeks_q05']:.0f}–{r['weeks_q95']:.0f})"
            else:
                when = "not within the run"
            rows.append(
                f"<tr><td>{_esc(r['scenario'])}</td><td>{_esc(what)}</td>"
                f'<td class="num">{format_number(r["reached_share"], share=True)} of {int(r["runs"])}</td>'
                f"<td>{_esc(when)}</td></tr>"
            )
        parts.append(
            "<h3>Time to target</h3>"
            '<p class="note">A target counts as reached in the first week from which it holds to the end '
            "of the run (an early spike that is lost does not count). Median week over the runs that reach "
            "it.</p>"
            '<table id="time-to-target"><tr><th>scenario</th><th>target</th><th>runs reaching it</th>'
            f"<th>reached and held from</th></tr>{''.join(rows)}</table>"
        )
    return "".join(parts) or '<p class="note">No funnel in these results (made by an older mcsim).</p>'


def _parameters_html(scenarios: Sequence[LoadedScenario] | None, labels: Sequence[str]) -> str:
    if not scenarios:
        return '<p class="note">The scenario files were not available when this report was built.</p>'
    if len(scenarios) < 2:
        return "<p>One scenario: nothing to compare.</p>"
    table = differing_parameters(scenarios)
    if table.empty:
        return "<p>All scenarios have the same parameter values.</p>"
    head = "".join(f"<th>{_esc(lb)}</th>" for lb in labels)
    rows = []
    for r in table.to_dict("records"):
        cells = "".join(
            f'<td title="{_esc(r[f"{i}:source"])}">{_esc(r[f"{i}:value"])}'
            f"<br><small>{_esc(r[f'{i}:kind'])}</small></td>"
            for i in range(len(labels))
        )
        rows.append(f"<tr><td><code>{_esc(r['key'])}</code></td>{cells}</tr>")
    return (
        f'<p class="note">{len(table)} parameter values differ. Below each value is where it comes from '
        "(hover for the full source or assumption).</p>"
        f'<table id="parameters"><tr><th>parameter</th>{head}</tr>{"".join(rows)}</table>'
    )


def _assumptions_html(meta: Mapping[str, Any]) -> str:
    rows = []
    for s in meta.get("scenarios", []):
        a, p = s.get("assumptions"), s.get("parameters")
        share = format_number(a / p, share=True) if a is not None and p else NA
        rows.append(
            f"<tr><td>{_esc(s.get('label', ''))}</td><td class='num'>{_esc(a)}</td>"
            f"<td class='num'>{_esc(p)}</td><td class='num'>{share}</td></tr>"
        )
    return (
        '<p class="note">Most behavioural magnitudes are assumptions: the evidence gives no value for them. '
        "Each carries a plausible range. The 95 % intervals in this report come from chance alone "
        "(replications at fixed parameters); they do not include what we do not know about these values. "
        "<code>mcsim explain SCENARIO --kind assumption</code> lists them.</p>"
        '<table id="assumptions"><tr><th>scenario</th><th>assumptions (incl. unsourced defaults)</th>'
        f"<th>parameters</th><th>share</th></tr>{''.join(rows)}</table>"
    )


def _manifest_html(meta: Mapping[str, Any]) -> str:
    facts = [
        ("mcsim version", meta.get("mcsim_version")),
        ("created", meta.get("created")),
        ("command", " ".join(map(str, meta.get("argv", [])))),
        ("replications", meta.get("reps")),
        ("base seed", meta.get("seed")),
        ("engine", meta.get("engine")),
        ("deadweight counterfactuals", meta.get("deadweight")),
        ("overrides", ", ".join(meta.get("overrides", [])) or "none"),
        ("python", meta.get("python")),
        ("run time", f"{meta.get('seconds', 'n/a')} s"),
    ]
    rows = "".join(f"<tr><th>{_esc(k)}</th><td>{_esc(v)}</td></tr>" for k, v in facts)
    scen = "".join(
        f"<tr><td>{_esc(s.get('label'))}</td><td><code>{_esc(s.get('path'))}</code></td>"
        f"<td><code>{_esc(s.get('hash'))}</code></td><td>{_esc(s.get('engine'))}</td>"
        f"<td class='num'>{_esc(s.get('seconds'))}</td></tr>"
        for s in meta.get("scenarios", [])
    )
    seeds = meta.get("scenarios", [{}])[0].get("rep_seeds", []) if meta.get("scenarios") else []
    deps = ", ".join(f"{k} {v}" for k, v in meta.get("dependencies", {}).items())
    return (
        f'<table id="manifest">{rows}</table>'
        "<table><tr><th>scenario</th><th>file</th><th>content hash</th><th>engine</th><th>seconds</th></tr>"
        f"{scen}</table>"
        f"<p><b>Replication seeds</b> (shared by every scenario: common random numbers): "
        f"<code>{_esc(', '.join(map(str, seeds)))}</code></p>"
        f"<p><b>Dependencies</b>: {_esc(deps)}</p>"
        "<p><code>mcsim rerun manifest.json --out DIR</code> reproduces these results exactly.</p>"
        "<details><summary>manifest.json in full</summary>"
        f"<pre>{_esc(json.dumps(meta, indent=2))}</pre></details>"
    )


_NO_DIFFERENCE = "no detectable difference from the baseline"


def _undetected(diff: pd.DataFrame | None) -> list[str]:
    """Scenarios none of whose pilot KPIs, funders' figures or content KPIs differ beyond chance."""
    if diff is None:
        return []
    return [label for label, differs in detectable(diff).items() if not differs]


def _undetected_html(undetected: Sequence[str], reps: Any) -> str:
    if not undetected:
        return ""
    return (
        '<p class="warning" id="no-difference"><b>No detectable difference from the baseline:</b> '
        f"{_esc(', '.join(undetected))}. None of the pilot KPIs (report L692–700), funders' figures or "
        "content-renewal KPIs of "
        f"{'this scenario' if len(undetected) == 1 else 'these scenarios'} has a paired 95 % interval that "
        f"excludes zero at {_esc(reps)} replications: as run, the room cannot tell "
        f"{'it' if len(undetected) == 1 else 'them'} from the baseline.</p>"
    )


def _scenarios_html(
    meta: Mapping[str, Any], scenarios: Sequence[LoadedScenario] | None, undetected: Sequence[str] = ()
) -> str:
    items = []
    by_label = {s.get("label"): s for s in meta.get("scenarios", [])}
    for i, label in enumerate(by_label):
        desc = ""
        name = by_label[label].get("name", "")
        if scenarios and i < len(scenarios):
            desc = " ".join(scenarios[i].config.description.split())
        role = " (baseline: every difference is against it)" if i == 0 else ""
        flag = f' <span class="flag">{_NO_DIFFERENCE}</span>' if label in undetected else ""
        items.append(
            f"<li><b>{_esc(label)}</b> — {_esc(name)}{role}{flag}<br><small>{_esc(desc)}</small></li>"
        )
    return f"<ol>{''.join(items)}</ol>"


def build_report(
    tables: Mapping[str, pd.DataFrame],
    meta: Mapping[str, Any],
    scenarios: Sequence[LoadedScenario] | None = None,
    title: str | None = None,
) -> str:
    """The whole report as one HTML string (Plotly's JavaScript inlined; no network needed).

    Args:
        tables: ``kpis`` (per step), ``summary``, optionally ``differences`` and ``funders``.
        meta: The run's manifest.
        scenarios: The loaded scenarios, in result order (for descriptions and parameter tables).
        title: Page title; defaults to the scenario names.
    """
    summary, kpis = tables["summary"], tables["kpis"]
    diff = tables.get("differences")
    diff = diff if diff is not None and not diff.empty else None
    labels = _labels(summary)
    names = [k.name for k in _kpis_in(summary)]
    title = title or "Scenario comparison: " + ", ".join(labels)
    reps = meta.get("reps", "?")
    targets = targets_from_meta(meta)
    worlds = tables.get("ensemble_trajectories")
    worlds = worlds if worlds is not None and not worlds.empty else None
    traj = []
    for group, members in _grouped(names):
        drawn = [n for n in members if np.isfinite(kpis[n].to_numpy(float)).any()]
        charts = "".join(
            _figure_html(trajectory_figure(kpis, n, labels, worlds, targets), f"traj-{n}") for n in drawn
        )
        empty = [kpi_title(n) for n in members if n not in drawn]
        note = f"<p><small>Not defined in any run (nothing to measure yet): {_esc('; '.join(empty))}."
        note += "</small></p>"
        traj.append(f"<h3>{_esc(group)}</h3><div class='grid'>{charts}</div>{note if empty else ''}")
    undetected = _undetected(diff)
    sections = [
        (
            "scenarios",
            "Scenarios",
            _undetected_html(undetected, reps) + _scenarios_html(meta, scenarios, undetected),
        ),
        (
            "scorecard",
            "KPI scorecard",
            _scorecard_html(summary, diff, targets, tables.get("ensemble_targets"), undetected),
        ),
        (
            "trajectories",
            "KPIs over time",
            "<p class='note'>Lines: mean over the replications; shaded bands: 95 % interval of that mean, "
            "week by week (chance). Flows (enrolments, credentials, spend) are shown as totals since the "
            "start."
            + (
                " Light bands with a dotted edge: 5-95 % of the plausible worlds of the ensemble, week by "
                "week (ignorance: what we do not know about the assumptions, plus the chance left in the "
                "few seeds each world runs)."
                if worlds is not None
                else ""
            )
            + "</p>"
            + "".join(traj),
        ),
    ]
    if diff is not None:
        ordered = [n for _, members in _grouped(names) for n in members]
        finite = [n for n in ordered if np.isfinite(diff.loc[diff["kpi"] == n, "diff"].to_numpy(float)).any()]
        charts = "".join(_figure_html(difference_figure(diff, n), f"diff-{n}") for n in finite)
        sections.append(
            (
                "differences",
                "Differences against the baseline",
                f"<p class='note'>Scenario minus {_esc(labels[0])}, paired replication by replication "
                "(both use the same random numbers, so the difference is the policy, not luck), with the "
                "95 % interval. Green: better, red: worse, grey: no clear difference.</p>"
                + _differences_html(diff, ordered)
                + "<p><small>n/a: not defined in a run (no audit yet, no budget, no funded learner)."
                "</small></p>" + f"<div class='grid'>{charts}</div>",
            )
        )
    tradeoff = tradeoff_figure(summary)
    if tradeoff is not None:
        sections.append(
            (
                "tradeoff",
                "Agility against legitimacy",
                "<p class='note'>Does requiring moderation make credentials trusted but stale? "
                "Up and right is better on both.</p>" + _figure_html(tradeoff, "tradeoff-chart"),
            )
        )
    decomposition = tables.get("decomposition")
    if decomposition is not None and not decomposition.empty and meta.get("decomposition"):
        sections.append(("levers", "What each lever adds: women's share", _decomposition_html(tables, meta)))
    sections.append(("funnel", "Funnel and time to target", _funnel_html(tables, targets)))
    if any(
        tables.get(n) is not None and not tables[n].empty for n in ("rule_ranking", "ensemble_choice_ranking")
    ):
        sections.append(
            ("rules", "Does the ranking hold under the other employer rule?", _rules_html(tables))
        )
    from analysis.search_report import search_section_for  # points of a search's front: its front too

    search = search_section_for(meta)
    if search is not None:
        sections.insert(1, ("search", "What it takes: the search's front", search))
    sections += [
        ("uncertainty", "Chance and ignorance: plausible worlds", _ensemble_html(tables)),
        ("funders", "Funders' figures", _funders_html(tables)),
        ("parameters", "What differs between the scenarios", _parameters_html(scenarios, labels)),
        ("assumptions", "How many values are still assumptions", _assumptions_html(meta)),
        ("manifest", "Reproducibility: the manifest", _manifest_html(meta)),
    ]
    nav = "".join(f'<a href="#{sid}">{_esc(t)}</a>' for sid, t, _ in sections)
    body = "".join(
        f'<section id="{sid}"><h2>{_esc(t)}</h2>{content}</section>' for sid, t, content in sections
    )
    caveat = (
        "; the 95 % intervals show chance, the light bands and the plausible worlds below show what we do "
        "not know."
        if worlds is not None
        else ", and the intervals show chance only."
    )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{_esc(title)}</title>'
        f"<style>{_CSS}</style><script>{get_plotlyjs()}</script></head><body>"
        f"<header><h1>{_esc(title)}</h1>"
        f"<p>{len(labels)} scenarios × {_esc(reps)} replications with common random numbers · "
        f"mcsim {_esc(meta.get('mcsim_version', ''))} · {_esc(meta.get('created', ''))}</p>"
        "<p>Read the numbers as scenarios, not forecasts: most behavioural values are "
        f"assumptions{caveat}</p></header>"
        f"<nav>{nav}</nav><main>{body}</main></body></html>"
    )


def write_report(
    out_dir: Path,
    tables: Mapping[str, pd.DataFrame],
    meta: Mapping[str, Any],
    scenarios: Sequence[LoadedScenario] | None = None,
    title: str | None = None,
) -> Path:
    """Write ``out_dir/report.html``; returns its path."""
    path = Path(out_dir) / "report.html"
    path.write_text(build_report(tables, meta, scenarios, title), encoding="utf-8")
    return path


def load_results(out_dir: Path) -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
    """Read a result folder back: the tables the report needs and the manifest."""
    out_dir = Path(out_dir)
    meta = json.loads((out_dir / "manifest.json").read_text(encoding="utf-8"))
    parquet = out_dir / "kpis.parquet"
    tables = {"kpis": pd.read_parquet(parquet) if parquet.exists() else pd.read_csv(out_dir / "kpis.csv")}
    names = ["summary", "differences", "funders", "funnel", "time_to_target", "decomposition"]
    names += ["rule_ranking", "rules_summary"]
    names += [
        f"ensemble_{t}"
        for t in ("bands", "targets", "ranking", "importance", "trajectories", "choice_ranking")
    ]
    for name in names:
        f = out_dir / f"{name}.csv"
        if f.exists():
            tables[name] = pd.read_csv(f, keep_default_na=True)
    return tables, meta


def _reload(meta: Mapping[str, Any]) -> list[LoadedScenario] | None:
    from model.params import ScenarioError, load_scenario

    loaded = []
    for s in meta.get("scenarios", []):
        try:
            ls = load_scenario(s["path"], meta.get("overrides", []))
        except (ScenarioError, OSError, KeyError):
            return None
        if ls.hash != s.get("hash"):
            return None  # the file changed since the run: its parameters would be misreported
        loaded.append(ls)
    return loaded


def workshop_title(paths: Sequence[str | Path]) -> str | None:
    """The title of a workshop set (a file or a bundled name) when the comparison was given as one."""
    from analysis.workshop import WorkshopError, read_workshop
    from model.bundled import resolve_scenario
    from model.params import ScenarioError

    if len(paths) != 1:
        return None
    try:
        ws = read_workshop(resolve_scenario(paths[0]))
    except (WorkshopError, ScenarioError):
        return None
    return ws.title if ws else None


def report_from_dir(out_dir: Path, title: str | None = None) -> Path:
    """Build ``report.html`` for an existing result folder (scenario files re-read if unchanged)."""
    tables, meta = load_results(out_dir)
    return write_report(out_dir, tables, meta, _reload(meta), title)
