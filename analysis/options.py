"""Command-line options shared by several sub-commands (one definition, one help text)."""

from __future__ import annotations

import argparse

__all__ = ["add_execution", "add_overrides"]


def add_overrides(parser: argparse.ArgumentParser, help_text: str | None = None) -> None:
    """``--set KEY=VALUE`` (repeatable): a dotted scenario override, collected in ``overrides``."""
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help=help_text or "override a scenario value, e.g. --set fees.multiplier=1.5 (repeatable)",
    )


def add_execution(parser: argparse.ArgumentParser) -> None:
    """``--executor``, ``--scheduler`` and ``--jobs``: where the runs go (``analysis.execution.Runner``)."""
    parser.add_argument(
        "--executor", choices=["local", "dask"], default=None, help="default: local (dask with --scheduler)"
    )
    parser.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="Dask scheduler address (e.g. tcp://10.0.0.5:8786) or scheduler file; without it, "
        "--executor dask starts a local cluster",
    )
    parser.add_argument(
        "--jobs", type=int, default=1, help="local processes, or local-cluster workers for dask (default 1)"
    )
