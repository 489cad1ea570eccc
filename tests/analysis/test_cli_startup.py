"""``mcsim --help`` and argument errors import nothing heavy: the commands import what they run.

Not timed (a busy machine would make that flaky): the modules in ``sys.modules`` after the parser
has answered are what make start-up slow, so those are checked.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

import pytest

from analysis.cli import build_parser

HEAVY = ("numpy", "pandas", "scipy", "pydantic", "plotly", "dash", "matplotlib", "mesa", "dask", "tqdm")

_PROBE = """
import json, sys
from analysis.cli import main
try:
    code = main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def _probe(*args: str) -> tuple[int, list[str], str]:
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE, *args], capture_output=True, text=True, timeout=60, check=False
    )
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    heavy = [m for m in report["modules"] if m.split(".")[0] in HEAVY]
    return report["code"], heavy, proc.stderr


def _commands() -> list[str]:
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return sorted(sub.choices)


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["run"], ["run", "x", "--reps", "many"]])
def test_help_version_and_argument_errors_are_light(args):
    code, heavy, err = _probe(*args)
    assert code == (0 if args[0].startswith("--") else 2), err
    assert heavy == [], f"mcsim {' '.join(args)} imported {heavy[:8]}"


def test_every_command_help_is_light():
    for command in _commands():
        code, heavy, err = _probe(command, "--help")
        assert code == 0, err
        assert heavy == [], f"mcsim {command} --help imported {heavy[:8]}"


def test_the_probe_sees_heavy_imports():
    # the check can fail: a command that runs imports what it needs, and the probe notices
    code, heavy, _ = _probe("validate", "fi/south_savo_pilot")
    assert code == 0 and "pydantic" in heavy and "numpy" in heavy
