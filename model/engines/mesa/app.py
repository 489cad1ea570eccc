"""The workshop dashboard: pick a country preset, move the policy levers, see the KPIs move.

Participants choose a country preset (and, if they like, a policy scenario to start from), move the
levers (fees, a fee subsidy, external moderation and its sampling rate, collective-agreement
coverage, outreach to women) and see the pilot KPIs of their scenario against a *pinned* baseline:
the preset as it is, run once with the same replication seeds (common random numbers), so a
difference on screen is the policy, not luck. Each change runs a few replications on the vector
engine (the same rules as the Mesa engine, in arrays; under a second per country-sized run) in a
background thread, with progress shown while it runs.

Why Dash rather than Mesa's SolaraViz: SolaraViz steps one model instance and redraws it; a
workshop needs an ensemble of replications against a baseline, computed off the request thread
with a progress bar, which is a plain web app. Solara (SolaraViz's framework) also loads its
front-end from a CDN when a page is opened, so it shows a blank page on a workshop laptop without
internet; Dash ships its JavaScript in the Python package and works offline. Dash is Plotly's own
framework, so the charts are the report's (``analysis.report``) without adaptation.

Layering: this page is the top of the stack (the Mesa example layout puts it beside ``model.py``);
it imports ``analysis`` for summaries and charts, and nothing in ``model`` imports it.
"""

from __future__ import annotations

import functools
import logging
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from dash import Dash, Input, Output, State, dcc, html, no_update

from analysis.experiment import rep_seed
from analysis.report import (
    HEADLINE,
    format_value,
    funnel_figure,
    kpi_title,
    possible,
    status,
    trajectory_figure,
)
from analysis.summary import differences, summarise, summarise_funnel
from model.api import RunOutput, simulate
from model.params import Scenario, ScenarioError, load_scenario
from model.params.loader import scenario_hash

__all__ = [
    "PRESETS",
    "Levers",
    "apply_levers",
    "Comparison",
    "compare",
    "policy_options",
    "build_app",
    "serve",
]

_SCENARIOS = Path(__file__).resolve().parents[3] / "scenarios"

#: Country presets: label and the file of the pinned baseline.
PRESETS: dict[str, tuple[str, Path]] = {
    "fi": ("Finland", _SCENARIOS / "fi" / "baseline.yaml"),
    "es": ("Spain", _SCENARIOS / "es" / "baseline.yaml"),
    "pt": ("Portugal", _SCENARIOS / "pt" / "baseline.yaml"),
    "fi_pilot": ("Finland: South Savo pilot", _SCENARIOS / "fi" / "south_savo_pilot.yaml"),
}
BASELINE, SCENARIO = "baseline", "your scenario"
SUBSIDY_ID = "workshop_subsidy"
_CARDS = (*HEADLINE, "enrolments_cum", "public_spend_eur")


@dataclass(frozen=True)
class Levers:
    """The levers on the dashboard, in the units shown to participants."""

    fees_multiplier: float = 1.0
    subsidy_coverage: float = 0.0
    subsidy_budget_eur_per_year: float = 1_000_000.0
    moderation_required: bool = False
    sampling_rate: float = 0.2
    ca_coverage: float = 0.0
    women_outreach: float = 1.0

    @classmethod
    def of(cls, cfg: Scenario) -> Levers:
        """The levers as a scenario sets them (no dashboard subsidy)."""
        return cls(
            fees_multiplier=cfg.fees.multiplier,
            moderation_required=cfg.moderation.required,
            sampling_rate=cfg.moderation.sampling_rate,
            ca_coverage=cfg.population.ca_coverage,
            women_outreach=cfg.outreach.women.p_multiplier,
        )


def apply_levers(cfg: Scenario, levers: Levers) -> Scenario:
    """``cfg`` with the levers set, validated by the scenario schema like any scenario file.

    A subsidy coverage above 0 adds a budget instrument that pays that share of every module fee
    to the provider at enrolment, for every learner, out of ``subsidy_budget_eur_per_year``.
    """
    data = cfg.model_dump(mode="python")
    data["fees"]["multiplier"] = float(levers.fees_multiplier)
    data["moderation"]["required"] = bool(levers.moderation_required)
    data["moderation"]["sampling_rate"] = float(levers.sampling_rate)
    data["population"]["ca_coverage"] = float(levers.ca_coverage)
    data["outreach"]["women"]["p_multiplier"] = max(1.0, float(levers.women_outreach))
    if levers.subsidy_coverage > 0:
        data["funding"]["instruments"].append(
            {
                "id": SUBSIDY_ID,
                "kind": "budget",
                "eligibility": "True",
                "fee_coverage": float(levers.subsidy_coverage),
                "trigger": "enrolment",
                "payee": "provider",
                "budget_eur_per_year": float(levers.subsidy_budget_eur_per_year),
            }
        )
    return Scenario.model_validate(data)


@functools.lru_cache(maxsize=8)
def _policy_files(folder: Path) -> tuple[tuple[str, str], ...]:
    out = []
    for path in sorted(folder.glob("*.yaml")):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError):
            continue  # `mcsim validate` reports broken files; the room gets the others
        if not isinstance(data, dict) or data.get("extends") != "baseline.yaml" or "pilot" in path.stem:
            continue
        name = data.get("name", path.stem)
        out.append((str(name["value"] if isinstance(name, dict) else name), str(path)))
    return tuple(out)


def policy_options(preset: str) -> list[dict[str, str]]:
    """Scenario files a participant may start from: the preset itself and its policy variants."""
    base = PRESETS[preset][1]
    options = [{"label": "the preset as it is", "value": str(base)}]
    if base.name == "baseline.yaml":
        options += [{"label": name, "value": path} for name, path in _policy_files(base.parent)]
    return options


@dataclass
class Comparison:
    """Replications of the baseline and of a scenario with the same seeds, and their summaries."""

    kpis: pd.DataFrame
    summary: pd.DataFrame
    diff: pd.DataFrame
    reps: int
    funnel: pd.DataFrame  # aware → enrolled → issued → accepted, people per stage


def _runs(cfg: Scenario, seeds: list[int], tick: Callable[[], None]) -> list[RunOutput]:
    out = []
    for s in seeds:
        out.append(simulate(cfg, s, "vector", deadweight=False))
        tick()
    return out


def _tables(label: str, runs: list[RunOutput]) -> tuple[pd.DataFrame, pd.DataFrame]:
    kpis = pd.concat([r.kpis.assign(scenario=label, rep=i) for i, r in enumerate(runs)], ignore_index=True)
    whole = pd.DataFrame([{"scenario": label, "rep": i, **r.whole} for i, r in enumerate(runs)])
    return kpis, whole


class _Cache:
    """Small LRU of finished runs: the pinned baselines and recent scenarios."""

    def __init__(self, size: int = 16) -> None:
        self.size, self.items, self.lock = size, OrderedDict(), threading.Lock()

    def get(self, key):
        with self.lock:
            if key in self.items:
                self.items.move_to_end(key)
                return self.items[key]
        return None

    def put(self, key, value) -> None:
        with self.lock:
            self.items[key] = value
            while len(self.items) > self.size:
                self.items.popitem(last=False)


_CACHE = _Cache()


def compare(
    preset: str,
    start: str | Path,
    levers: Levers,
    reps: int = 5,
    seed: int = 1,
    tick: Callable[[], None] = lambda: None,
) -> Comparison:
    """Run (or reuse) the pinned baseline of ``preset`` and the scenario ``start`` + ``levers``.

    ``tick`` is called after every replication (progress). Both use seeds ``rep_seed(seed, r)``.
    """
    seeds = [rep_seed(seed, r) for r in range(reps)]
    base_key = ("baseline", preset, reps, seed)
    base = _CACHE.get(base_key)
    if base is None:
        base = _tables(BASELINE, _runs(load_scenario(PRESETS[preset][1]).config, seeds, tick))
        _CACHE.put(base_key, base)
    cfg = apply_levers(load_scenario(start).config, levers)
    key = ("scenario", preset, scenario_hash(cfg), reps, seed)  # by content: an edited file reruns
    mine = _CACHE.get(key)
    if mine is None:
        mine = _tables(SCENARIO, _runs(cfg, seeds, tick))
        _CACHE.put(key, mine)
    kpis = pd.concat([base[0], mine[0]], ignore_index=True)
    whole = pd.concat([base[1], mine[1]], ignore_index=True)
    return Comparison(kpis, summarise(whole), differences(whole, BASELINE), reps, summarise_funnel(whole))


# -- background jobs --------------------------------------------------------------------------------
class _Cancelled(Exception):
    """A newer lever setting replaced this run."""


@dataclass
class _Job:
    total: int
    done: int = 0
    result: Comparison | None = None
    error: str | None = None
    cancelled: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    def tick(self) -> None:
        if self.cancelled:
            raise _Cancelled
        with self.lock:
            self.done = min(self.done + 1, self.total)


_JOBS: OrderedDict[str, _Job] = OrderedDict()


def _start(preset: str, start: str, levers: Levers, reps: int, previous: str | None) -> str:
    if previous in _JOBS:
        _JOBS[previous].cancelled = True  # this tab moved on: stop its older run
    cached_base = _CACHE.get(("baseline", preset, reps, 1)) is not None
    job = _Job(total=reps if cached_base else 2 * reps)
    job_id = uuid.uuid4().hex
    _JOBS[job_id] = job
    while len(_JOBS) > 64:
        _JOBS.popitem(last=False)

    def work() -> None:
        try:
            job.result = compare(preset, start, levers, reps, tick=job.tick)
        except _Cancelled:
            return
        except Exception as exc:  # shown on the page; the server keeps serving
            job.error = f"{type(exc).__name__}: {exc}"

    threading.Thread(target=work, daemon=True).start()
    return job_id


# -- the page ---------------------------------------------------------------------------------------
_STATUS_BG = {
    "better": "#cdebd3",
    "meets": "#cdebd3",
    "worse": "#f6d0d3",
    "misses": "#f6d0d3",
    "uncertain": "#fbeebc",
    "unclear": "#f3f3f3",
    "": "#ffffff",
}


def _card(cmp: Comparison, name: str) -> html.Div:
    s = cmp.summary.set_index(["scenario", "kpi"])
    mine, base = s.loc[(SCENARIO, name)], s.loc[(BASELINE, name)]
    d = cmp.diff[cmp.diff["kpi"] == name].iloc[0]
    lo, hi = possible(name, mine["lo"], mine["hi"])
    st = status(name, mine["mean"], lo, hi, diff=False)
    st = st or status(name, d["diff"], d["lo"], d["hi"], diff=True)
    change = f"{format_value(d['diff'], name, True)} [{format_value(d['lo'], name, True)}, "
    change += f"{format_value(d['hi'], name, True)}]"
    return html.Div(
        [
            html.Div(kpi_title(name), className="kpi-title"),
            html.Div(format_value(mine["mean"], name), className="kpi-value", id=f"kpi-{name}-value"),
            html.Div(
                f"95 % interval {format_value(lo, name)} to {format_value(hi, name)}",
                className="kpi-ci",
            ),
            html.Div(f"baseline {format_value(base['mean'], name)}", className="kpi-base"),
            html.Div(f"change {change}", className="kpi-diff"),
        ],
        id=f"kpi-{name}",
        className=f"kpi-card {st}",
        style={"background": _STATUS_BG.get(st, "#ffffff")},
    )


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


_CSS = """
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


def _layout(preset: str, reps: int) -> html.Div:
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


_LEVER_INPUTS = ("fees", "subsidy", "budget", "moderation", "sampling", "ca", "women")


def _levers_from(fees, subsidy, budget, moderation, sampling, ca, women) -> Levers:
    return Levers(
        fees_multiplier=float(1.0 if fees is None else fees),
        subsidy_coverage=float(subsidy or 0.0),
        subsidy_budget_eur_per_year=float(budget or 0.0) * 1e6,
        moderation_required="on" in (moderation or []),
        sampling_rate=float(sampling or 0.2),
        ca_coverage=float(ca or 0.0),
        women_outreach=float(women or 1.0),
    )


def _progress(job_id: str | None):
    """Status text, status class, bar style, whether to stop polling, and the job to draw.

    Cheap on purpose: it runs on every poll, and a poll answered after the next one was sent is
    dropped by the browser, so drawing the results happens once, in ``_draw``.
    """
    job = _JOBS.get(job_id or "")
    if job is None:
        return "starting…", "idle", {"width": "0%"}, True, no_update
    if job.error:
        return f"Could not run: {job.error}", "error", {"width": "100%"}, True, no_update
    if job.result is None:
        pct = 100 * job.done / max(job.total, 1)
        text = f"Running replication {job.done} of {job.total}…"
        return text, "running", {"width": f"{pct:.0f}%"}, False, no_update
    return "Drawing…", "drawing", {"width": "100%"}, True, job_id


def _draw(job_id: str | None):
    """Cards, charts, status text and class for a finished job."""
    job = _JOBS.get(job_id or "")
    if job is None or job.result is None:
        return no_update, no_update, no_update, no_update
    cmp = job.result
    cards = [_card(cmp, n) for n in _CARDS if n in set(cmp.summary["kpi"])]
    charts = [
        dcc.Graph(id=f"graph-{n}", figure=trajectory_figure(cmp.kpis, n, [BASELINE, SCENARIO]))
        for n in HEADLINE
    ]
    charts.append(dcc.Graph(id="graph-funnel", figure=funnel_figure(cmp.funnel)))
    text = f"Ready: {cmp.reps} replications each (vector engine; deadweight is in the report, not here)."
    return cards, charts, text, "done"


def build_app(preset: str = "fi", reps: int = 5) -> Dash:
    """The Dash application (its JavaScript is served from the Python package: works offline).

    Args:
        preset: The country preset selected when a page opens (a key of ``PRESETS``).
        reps: Replications per scenario when a page opens (3 to 10; participants can change it).
    """
    if preset not in PRESETS:
        raise ValueError(f"unknown preset {preset!r}; choose one of {sorted(PRESETS)}")
    app = Dash(__name__, title="mcsim dashboard", serve_locally=True)
    app.index_string = app.index_string.replace("{%css%}", "{%css%}<style>" + _CSS + "</style>")
    app.layout = functools.partial(_layout, preset, min(max(int(reps), 3), 10))

    @app.callback(Output("start", "options"), Output("start", "value"), Input("preset", "value"))
    def _preset(preset):
        options = policy_options(preset)
        return options, options[0]["value"]

    @app.callback([Output(i, "value") for i in _LEVER_INPUTS], Input("start", "value"))
    def _start_levers(start):
        try:
            lv = Levers.of(load_scenario(start).config)
        except ScenarioError:
            lv = Levers()  # the run reports the error on the page

        moderation = ["on"] if lv.moderation_required else []
        return lv.fees_multiplier, 0.0, 1.0, moderation, lv.sampling_rate, lv.ca_coverage, lv.women_outreach

    @app.callback(
        Output("job", "data"),
        Output("poll", "disabled"),
        [Input(i, "value") for i in _LEVER_INPUTS],
        Input("reps", "value"),
        State("preset", "value"),
        State("start", "value"),
        State("job", "data"),
    )
    def _run(*values):
        *levers, reps, preset, start, previous = values
        if start is None:
            return no_update, no_update
        job_id = _start(preset, start, _levers_from(*levers), max(int(reps or 5), 3), previous)
        return job_id, False

    @app.callback(
        Output("status", "children"),
        Output("status", "className"),
        Output("bar", "style"),
        Output("poll", "disabled", allow_duplicate=True),
        Output("finished", "data"),
        Input("poll", "n_intervals"),
        Input("job", "data"),
        prevent_initial_call=True,
    )
    def _poll(_, job_id):
        return _progress(job_id)

    @app.callback(
        Output("cards", "children"),
        Output("charts", "children"),
        Output("status", "children", allow_duplicate=True),
        Output("status", "className", allow_duplicate=True),
        Input("finished", "data"),
        State("job", "data"),
        prevent_initial_call=True,
    )
    def _results(finished, current):
        return _draw(finished) if finished == current else (no_update,) * 4

    return app


def serve(
    host: str = "127.0.0.1", port: int = 8050, preset: str = "fi", reps: int = 5, debug: bool = False
) -> None:
    """Run the dashboard until interrupted (binds to this machine only unless ``host`` says otherwise)."""
    app = build_app(preset, reps)
    print(f"mcsim dashboard on http://{host}:{port}/  (Ctrl+C to stop)", flush=True)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # not a line per poll in the terminal
    app.run(host=host, port=port, debug=debug)
