"""Experiments and results: replications, comparisons with intervals, outputs, the CLI.

Nothing here reaches into engine internals: it uses ``model.api`` and the scenario loader only.
"""
