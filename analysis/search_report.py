"""The search's report section: the cost × robustness front, the answer, and the levers that matter.

Why a section of the workshop report and not a separate tool: the question ("what would it take?")
is asked in the same room as the comparison, and the points chosen from the front are compared
with ``mcsim compare`` like any scenario. So ``mcsim search`` writes a report with this section,
and ``mcsim compare --report`` on scenario files a search wrote (``DIR/pareto/``) adds the same
section, with the compared points marked, read from the search's folder.

"Which levers matter along the front" is read two ways, both shown: how each lever moves with the
share of worlds along the front (Spearman's rank correlation for a number, the correlation ratio
for a choice: which values the robust end uses), and the same over every candidate evaluated.
A front of a few points says little; the table says how many points it rests on.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from analysis.numbers import format_number

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from analysis.search_spec import SearchSpec

__all__ = [
    "front_figure",
    "front_roles",
    "lever_effects",
    "lever_limits",
    "search_section",
    "search_section_for",
    "summary_lines",
    "write_search_report",
]

#: An association at least this strong (|rho| or eta) counts as the lever moving with robustness.
STRONG = 0.5


def _esc(x: Any) -> str:
    return html.escape(str(x))


def _eur(x: Any) -> str:
    return f"EUR {format_number(x)}"


def _share(x: Any) -> str:
    return format_number(x, share=True)


def _value(x: Any) -> str:
    if isinstance(x, bool | np.bool_):
        return "true" if x else "false"
    if isinstance(x, float | np.floating) and math.isfinite(x) and x != int(x):
        return format_number(x)
    if isinstance(x, float | np.floating) and math.isfinite(x):
        return f"{int(x):,}"
    return str(x)


def front_roles(front: pd.DataFrame, required: float) -> dict[str, str]:
    """Roles of front points for a workshop, most important first.

    The cheapest meeting the required share, the cheapest, the most robust, and the next step up
    from the cheapest meeting it.
    """
    roles: dict[str, list[str]] = {}
    if front.empty:
        return {}
    shares = front["share_worlds_meeting_all"].to_numpy(float)
    meeting = np.flatnonzero(shares >= required - 1e-12)
    picks: list[tuple[int, str]] = []
    if len(meeting):
        picks.append((int(meeting[0]), f"cheapest meeting the targets in {required:.0%} of worlds"))
    picks.append((0, "cheapest"))
    picks.append((int(np.flatnonzero(shares == shares.max())[0]), "most robust"))
    if len(meeting) and meeting[0] + 1 < len(front):
        picks.append((int(meeting[0]) + 1, "next step up"))
    for i, role in picks:
        roles.setdefault(str(front["candidate_id"].iloc[i]), []).append(role)
    return {cid: ", ".join(r) for cid, r in roles.items()}


# ------------------------------------------------------------------------------- lever effects


def _association(x: pd.Series, y: np.ndarray) -> float:
    """Spearman's rho for a numeric lever, the correlation ratio (eta, 0-1) for a choice."""
    from scipy.stats import spearmanr

    finite = np.isfinite(y)
    x, y = x[finite], y[finite]
    if len(y) < 3 or np.ptp(y) == 0 or x.nunique() < 2:
        return math.nan
    if pd.api.types.is_numeric_dtype(x) and not pd.api.types.is_bool_dtype(x):
        rho = spearmanr(x.to_numpy(float), y).statistic
        return float(rho) if np.isfinite(rho) else math.nan
    groups = pd.Series(y).groupby(x.astype(str).to_numpy())
    between = sum(len(g) * (g.mean() - y.mean()) ** 2 for _, g in groups)
    return float(math.sqrt(between / ((y - y.mean()) ** 2).sum()))


def lever_limits(levers: Sequence[Mapping[str, Any]]) -> dict[str, tuple[float, float]]:
    """The lowest and highest value each numeric lever may take, from its description in ``search.json``."""
    out = {}
    for lever in levers:
        if "range" in lever:
            lo, hi = lever["range"]
            step = lever.get("step")
            top = lo + math.floor((hi - lo) / step + 1e-9) * step if step else hi
            out[lever["name"]] = (float(lo), float(top))
        else:
            numbers = [
                v for v in lever.get("values", []) if isinstance(v, int | float) and not isinstance(v, bool)
            ]
            if numbers and len(numbers) == len(lever.get("values", [])):
                out[lever["name"]] = (float(min(numbers)), float(max(numbers)))
    return out


def lever_effects(
    evaluations: pd.DataFrame,
    front: pd.DataFrame,
    levers: Sequence[str],
    limits: Mapping[str, tuple[float, float]] | None = None,
) -> pd.DataFrame:
    """Per lever: its values on the front and how it moves with robustness (and cost).

    Along the front (cheap end to robust end) and over all candidates evaluated. ``at_limit``: the
    lever moves with robustness and its value at the robust end is the end of its range (``limits``),
    so a wider range might buy more robustness than the front shows.
    """
    ok = evaluations[evaluations["status"] == "ok"]
    by_share = front.sort_values(["share_worlds_meeting_all", "expected_cost_eur"], kind="stable")
    rows = []
    for name in levers:
        along = by_share[name]
        numeric = pd.api.types.is_numeric_dtype(along) and not pd.api.types.is_bool_dtype(along)
        front_assoc = _association(along, by_share["share_worlds_meeting_all"].to_numpy(float))
        if along.nunique() <= 1:
            verdict = f"the same all along the front ({_value(along.iloc[0])})" if len(along) else "no front"
        elif math.isfinite(front_assoc) and abs(front_assoc) >= STRONG:
            if numeric:
                verdict = "rises with robustness" if front_assoc > 0 else "falls as robustness rises"
            else:
                low, high = along.iloc[0], along.iloc[-1]
                ends = f"{_value(low)} at the cheap end, {_value(high)} at the robust end"
                verdict = f"changes with robustness: {ends}"
        else:
            verdict = "varies along the front without a clear link to robustness"
        lo, hi = (limits or {}).get(name, (math.nan, math.nan))
        moving = numeric and math.isfinite(front_assoc) and abs(front_assoc) >= STRONG
        at_limit = bool(
            moving
            and len(along)
            and along.iloc[-1] == (hi if front_assoc > 0 else lo)
            and along.nunique() > 1
        )
        if at_limit:
            verdict += f", up to the end of its range ({_value(along.iloc[-1])}): a wider range may buy more"
        span = (
            f"{_value(along.min())} – {_value(along.max())}"
            if numeric and len(along)
            else ", ".join(_value(v) for v in dict.fromkeys(along))
        )
        rows.append(
            {
                "lever": name,
                "front_values": span,
                "front_association": front_assoc,
                "all_association_share": _association(
                    ok[name], ok["share_worlds_meeting_all"].to_numpy(float)
                ),
                "all_association_cost": _association(ok[name], ok["expected_cost_eur"].to_numpy(float)),
                "verdict": verdict,
                "at_limit": at_limit,
            }
        )
    table = pd.DataFrame(rows)
    order = table["front_association"].abs().fillna(-1.0).sort_values(ascending=False, kind="stable").index
    return table.loc[order].reset_index(drop=True)


def _levers_sentence(effects: pd.DataFrame, front_size: int) -> str:
    strong = effects[effects["front_association"].abs() >= STRONG]
    flat = effects[effects["verdict"].str.startswith("the same")]
    parts = []
    if not strong.empty:
        parts.append(
            "Along the front, robustness is bought mainly with "
            + ", ".join(f"{r.lever} ({r.verdict})" for r in strong.itertuples())
            + "."
        )
    else:
        parts.append("No lever moves clearly with robustness along the front.")
    if not flat.empty:
        parts.append("Held the same along the whole front: " + ", ".join(flat["lever"]) + ".")
    parts.append(f"(Read from {front_size} front points; a front of few points says little.)")
    return " ".join(parts)


# ----------------------------------------------------------------------------------- the chart


def front_figure(
    evaluations: pd.DataFrame,
    front: pd.DataFrame,
    required: float,
    levers: Sequence[str],
    compared: Mapping[str, str] | None = None,
    deadweight: bool = False,
) -> go.Figure:
    """Cost × robustness: every candidate, the front, the required share and the cheapest meeting it."""
    import plotly.graph_objects as go

    def hover(table: pd.DataFrame) -> list[str]:
        out = []
        for _, r in table.iterrows():
            lines = [f"{n} = {_value(r[n])}" for n in levers]
            lines.append(f"expected cost {_eur(r['expected_cost_eur'])}")
            lines.append(f"every target met in {_share(r['share_worlds_meeting_all'])} of worlds")
            if deadweight and "mean_deadweight_share" in r:
                lines.append(f"mean deadweight {_share(r['mean_deadweight_share'])}")
            out.append("<br>".join(lines))
        return out

    ok = evaluations[evaluations["status"] == "ok"]
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=ok["expected_cost_eur"],
            y=ok["share_worlds_meeting_all"],
            mode="markers",
            name="candidates evaluated",
            marker={"color": "#b8b8b8", "size": 7},
            text=hover(ok),
            hoverinfo="text",
        )
    )
    marker: dict[str, Any] = {"color": "#1f3b57", "size": 10}
    if deadweight and "mean_deadweight_share" in front:
        marker = {
            "size": 11,
            "color": front["mean_deadweight_share"],
            "colorscale": "Viridis",
            "colorbar": {"title": "deadweight"},
        }
    fig.add_trace(
        go.Scatter(
            x=front["expected_cost_eur"],
            y=front["share_worlds_meeting_all"],
            mode="lines+markers",
            line={"shape": "hv", "color": "#1f3b57"},
            name="front (no cheaper policy is as robust)",
            marker=marker,
            text=hover(front),
            hoverinfo="text",
        )
    )
    fig.add_hline(
        y=required,
        line={"dash": "dash", "color": "#b03a2e"},
        annotation_text=f"required: {required:.0%} of worlds",
        annotation_position="bottom right",
    )

    def mark(points: pd.DataFrame, name: str, marker: dict, labels: list[str], position: str) -> None:
        if points.empty:
            return
        x, y = points["expected_cost_eur"], points["share_worlds_meeting_all"]
        fig.add_trace(
            go.Scatter(
                x=x, y=y, mode="markers+text", name=name, marker=marker, text=labels, textposition=position
            )
        )

    star = {"symbol": "star", "size": 20, "color": "#e0a100", "line": {"color": "#222", "width": 1}}
    best = front[front["share_worlds_meeting_all"] >= required - 1e-12].head(1)
    mark(best, "cheapest meeting the required share", star, ["cheapest meeting it"], "top left")
    if compared:
        picked = front[front["candidate_id"].isin(list(compared))]
        ring = {"symbol": "circle-open", "size": 18, "color": "#b03a2e", "line": {"width": 2}}
        labels = [compared[c] for c in picked["candidate_id"]]
        mark(picked, "compared in this report", ring, labels, "bottom right")
    fig.update_layout(
        title="What it takes: expected public cost against the share of worlds meeting every target",
        xaxis_title="expected public cost over the horizon (EUR, mean over worlds)",
        yaxis_title="share of plausible worlds meeting every target",
        yaxis={"tickformat": ".0%", "range": [-0.03, 1.05]},
        template="plotly_white",
        height=480,
        margin={"l": 60, "r": 20, "t": 60, "b": 60},
        legend={"orientation": "h", "y": -0.2},
    )
    return fig


# ---------------------------------------------------------------------------------- the section


def _search_meta(meta: Mapping[str, Any]) -> dict[str, Any]:
    return dict(meta.get("search", {}))


def _lever_names(section: Mapping[str, Any]) -> list[str]:
    return [lever["name"] for lever in section.get("levers", [])]


def _targets_text(meta: Mapping[str, Any]) -> str:
    targets = meta.get("targets") or {}
    return "; ".join(f"{k} {t['op']} {t['value']:g}" for k, t in targets.items())


def search_section(
    tables: Mapping[str, pd.DataFrame], meta: Mapping[str, Any], compared: Mapping[str, str] | None = None
) -> str:
    """The report section of a search: question, chart, answer, front table, levers that matter."""
    from analysis.report import _figure_html

    section = _search_meta(meta)
    evaluations, front = tables["evaluations"], tables["pareto"]
    robust = section.get("robustness", {})
    required = float(robust.get("required_share", 0.8))
    worlds = robust.get("worlds", "?")
    levers = _lever_names(section)
    deadweight = "mean_deadweight_share" in section.get("objectives", [])
    costs = section.get("costs", {})
    stated = ", ".join(c["name"] for c in costs.get("stated", [])) or "none"
    question = (
        f"<p class='note'>The question: the cheapest mix of {_esc(', '.join(levers))} whose runs meet every "
        f"target ({_esc(_targets_text(meta))}) in at least {required:.0%} of {worlds} plausible worlds "
        f"(sampled from the scenario's assumption ranges as <code>--ensemble</code> does; every candidate in "
        f"the same worlds with the same seeds). Expected public cost: the mean over worlds of what the runs "
        f"spend ({_esc(', '.join(costs.get('run', [])))}) plus stated costs ({_esc(stated)}).</p>"
    )
    best = front[front["share_worlds_meeting_all"] >= required - 1e-12].head(1)
    if not best.empty:
        b = best.iloc[0]
        settings = ", ".join(f"{n} = {_value(b[n])}" for n in levers)
        answer = (
            f"<p><b>Cheapest policy meeting the targets in {required:.0%} of worlds</b> "
            f"(point {int(b['point'])}): {_esc(settings)}. "
            f"Expected public cost {_eur(b['expected_cost_eur'])} "
            f"(5–95 % of worlds {_eur(b['expected_cost_eur_q05'])} – {_eur(b['expected_cost_eur_q95'])}); "
            "every target met in "
            f"{_share(b['share_worlds_meeting_all'])} of the worlds (95 % interval of that share over "
            f"{worlds} sampled worlds: {_share(b['share_worlds_meeting_all_lo'])} – "
            f"{_share(b['share_worlds_meeting_all_hi'])}).</p>"
        )
    elif not front.empty:
        top = front.sort_values("share_worlds_meeting_all", ascending=False, kind="stable").iloc[0]
        answer = (
            f"<p><b>No policy evaluated meets the targets in {required:.0%} of worlds.</b> The most robust "
            f"(point {int(top['point'])}) meets them in {_share(top['share_worlds_meeting_all'])} of worlds "
            f"at an expected public cost of {_eur(top['expected_cost_eur'])}. Widen the levers' ranges, add "
            "levers, or lower the required share.</p>"
        )
    else:
        answer = "<p><b>No candidate ran without failing</b>: see failures.csv in the search folder.</p>"
    shares = [
        c for c in front.columns if c.startswith("share_worlds_meeting_") and not c.endswith(("_lo", "_hi"))
    ]
    head = "".join(f"<th>{_esc(c)}</th>" for c in ["point", *levers, "expected cost", *shares])
    if deadweight:
        head += "<th>mean deadweight</th>"
    body = ""
    for _, r in front.iterrows():
        mark = (
            " style='background:#fff3cd'"
            if not best.empty and r["candidate_id"] == best.iloc[0]["candidate_id"]
            else ""
        )
        cells = [str(int(r["point"])), *(_value(r[n]) for n in levers), _eur(r["expected_cost_eur"])]
        cells += [_share(r[c]) for c in shares]
        if deadweight:
            cells.append(_share(r.get("mean_deadweight_share")))
        body += f"<tr{mark}>" + "".join(f"<td>{_esc(c)}</td>" for c in cells) + "</tr>"
    effects = lever_effects(evaluations, front, levers, lever_limits(section.get("levers", [])))
    lever_rows = "".join(
        f"<tr><td>{_esc(r.lever)}</td><td>{_esc(r.front_values)}</td>"
        + "".join(
            f"<td class='num'>{_num(x)}</td>"
            for x in (r.front_association, r.all_association_share, r.all_association_cost)
        )
        + f"<td>{_esc(r.verdict)}</td></tr>"
        for r in effects.itertuples()
    )
    chart = _figure_html(
        front_figure(evaluations, front, required, levers, compared, deadweight), "search-front"
    )
    n_ok = int((evaluations["status"] == "ok").sum())
    return (
        question
        + chart
        + answer
        + f"<h3>The front ({len(front)} points of {n_ok} candidates evaluated)</h3>"
        + "<p class='note'>No cheaper policy evaluated is as robust as a point of the front. Highlighted: "
        "the cheapest meeting the required share. Each point is a scenario file (pareto/point_NN.yaml) that "
        "<code>mcsim compare</code> takes.</p>"
        + f"<table><tr>{head}</tr>{body}</table>"
        + "<h3>Which levers matter along the front</h3>"
        + f"<p>{_esc(_levers_sentence(effects, len(front)))}</p>"
        + "<p class='note'>Association with the share of worlds meeting every target: Spearman's rho for a "
        "number (sign: rises or falls with robustness), the correlation ratio eta (0–1) for a choice; along "
        "the front, and over every candidate evaluated (also with cost).</p>"
        + "<table><tr><th>lever</th><th>values on the front</th><th>with robustness, along the front</th>"
        "<th>with robustness, all candidates</th><th>with cost, all candidates</th><th>reading</th></tr>"
        + lever_rows
        + "</table>"
    )


def _num(x: Any) -> str:
    return "n/a" if x is None or not math.isfinite(float(x)) else f"{float(x):+.2f}"


def write_search_report(out: Path, tables: Mapping[str, pd.DataFrame], meta: Mapping[str, Any]) -> Path:
    """Write ``out/report.html``: the search section and the manifest, one self-contained file."""
    from plotly.offline import get_plotlyjs

    from analysis.report import _CSS

    section = _search_meta(meta)
    title = f"What it takes: {section.get('name', 'search')}"
    manifest = _esc(json.dumps({k: v for k, v in meta.items() if k != "dependencies"}, indent=2, default=str))
    page = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{_esc(title)}</title>'
        f"<style>{_CSS}</style><script>{get_plotlyjs()}</script></head><body>"
        f"<header><h1>{_esc(title)}</h1><p>mcsim search · mcsim {_esc(meta.get('mcsim_version', ''))} · "
        f"{_esc(meta.get('created', ''))}</p><p>Read the numbers as scenarios, not forecasts: most "
        "behavioural values are assumptions; the plausible worlds sample their ranges.</p></header><main>"
        f"<section id='search'><h2>What it takes</h2>{search_section(tables, meta)}</section>"
        f"<section id='manifest'><h2>Reproducibility: the manifest</h2><details><summary>search.json"
        f"</summary><pre>{manifest}</pre></details></section></main></body></html>"
    )
    path = Path(out) / "report.html"
    path.write_text(page, encoding="utf-8")
    return path


def search_section_for(meta: Mapping[str, Any]) -> str | None:
    """The search section for a comparison of scenario files a search wrote (``DIR/pareto/*.yaml``).

    The search is found beside the files (``DIR/search.json``); the compared points are marked by
    their labels. None when no compared scenario comes from a search.
    """
    for s in meta.get("scenarios", []):
        folder = Path(str(s.get("path", ""))).parent
        found = folder.parent / "search.json"
        if folder.name != "pareto" or not found.is_file():
            continue
        try:
            search_meta = json.loads(found.read_text(encoding="utf-8"))
            front = pd.read_csv(folder.parent / "pareto.csv")
            evaluations = pd.read_parquet(folder.parent / "evaluations.parquet")
        except (OSError, ValueError):
            return None
        if search_meta.get("command") != "search":
            return None
        files = {
            Path(str(f)).name: cid
            for f, cid in zip(front["scenario_file"], front["candidate_id"], strict=True)
        }
        compared = {}
        for other in meta.get("scenarios", []):
            path = Path(str(other.get("path", "")))
            if path.parent == folder and path.name in files:
                compared[files[path.name]] = f"{path.parent.name}/{path.stem}"
        tables = {"evaluations": evaluations, "pareto": front}
        return search_section(tables, search_meta, compared)
    return None


# ------------------------------------------------------------------------------------ terminal


def summary_lines(tables: Mapping[str, pd.DataFrame], spec: SearchSpec) -> list[str]:
    """What the command prints: the front, the answer, the levers that matter."""
    front, evaluations = tables["pareto"], tables["evaluations"]
    levers = [f.name for f in spec.levers]
    lines = [f"\nFront: {len(front)} points (cost x share of {spec.worlds} worlds meeting every target)"]
    for _, r in front.iterrows():
        settings = "  ".join(f"{n}={_value(r[n])}" for n in levers)
        flag = " <- cheapest meeting the required share" if r.get("cheapest_meeting") else ""
        cost, share = _eur(r["expected_cost_eur"]), _share(r["share_worlds_meeting_all"])
        if spec.deadweight_objective:
            share += f"  deadweight {_share(r.get('mean_deadweight_share')):>7}"
        lines.append(f"  {int(r['point']):>3}  {cost:>16}  {share:>7}  {settings}{flag}")
    best = front[front["cheapest_meeting"]] if "cheapest_meeting" in front else front.iloc[0:0]
    if not best.empty:
        b = best.iloc[0]
        lines.append(
            f"\nCheapest meeting {', '.join(t.text.split(' (')[0] for t in spec.targets.values())} in "
            f">= {spec.required_share:.0%} of worlds: point {int(b['point'])}, "
            f"{_eur(b['expected_cost_eur'])}, in {_share(b['share_worlds_meeting_all'])} of worlds "
            f"-> {b.get('scenario_file', '')}"
        )
    elif not front.empty:
        lines.append(f"\nNo candidate meets every target in {spec.required_share:.0%} of worlds.")
    if not front.empty:
        effects = lever_effects(evaluations, front, levers, lever_limits([f.describe() for f in spec.levers]))
        lines.append(_levers_sentence(effects, len(front)))
    return lines
