"""The dashboard's Dash application: callbacks that wire the page to background runs, and the server."""

from __future__ import annotations

import functools
import logging

from dash import Dash, Input, Output, State, no_update

from analysis.dashboard.jobs import get_job, start_job
from analysis.dashboard.layout import CSS, LEVER_INPUTS, page, results
from analysis.dashboard.levers import Levers
from analysis.dashboard.presets import PRESETS, policy_options
from model.params import ScenarioError, load_scenario

__all__ = ["build_app", "serve"]


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
    job = get_job(job_id)
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
    job = get_job(job_id)
    if job is None or job.result is None:
        return no_update, no_update, no_update, no_update
    cards, charts, text = results(job.result)
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
    app.index_string = app.index_string.replace("{%css%}", "{%css%}<style>" + CSS + "</style>")
    app.layout = functools.partial(page, preset, min(max(int(reps), 3), 10))

    @app.callback(Output("start", "options"), Output("start", "value"), Input("preset", "value"))
    def _preset(preset):
        options = policy_options(preset)
        return options, options[0]["value"]

    @app.callback([Output(i, "value") for i in LEVER_INPUTS], Input("start", "value"))
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
        [Input(i, "value") for i in LEVER_INPUTS],
        Input("reps", "value"),
        State("preset", "value"),
        State("start", "value"),
        State("job", "data"),
    )
    def _run(*values):
        *levers, reps, preset, start, previous = values
        if start is None:
            return no_update, no_update
        job_id = start_job(preset, start, _levers_from(*levers), max(int(reps or 5), 3), previous)
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
