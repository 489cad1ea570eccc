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
framework, so the charts are the report's (``analysis.report``) without adaptation, and the KPI
cards are the report's scorecard cards (``analysis.cards``).

Layering: the dashboard is the top of the stack, beside the command line; it uses the model
through ``model.api`` like the rest of ``analysis``, and nothing in ``model`` imports it.

Modules: ``presets`` (the country presets and the scenarios to start from), ``levers`` (levers onto
a scenario), ``compare`` (pinned baseline against the scenario, with a cache), ``jobs`` (runs in
background threads, with progress), ``layout`` (the page), ``app`` (callbacks and the server).
"""
