"""Command-line options shared by several sub-commands (one definition, one help text)."""

from __future__ import annotations

import argparse

__all__ = ["add_overrides"]


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
