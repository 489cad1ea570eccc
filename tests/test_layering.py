"""The layering contracts of ``pyproject.toml`` hold, and they catch a violation when one appears.

The contracts (import-linter, ``[tool.importlinter]``): ``model`` imports neither ``analysis`` nor a
web or plotting library; inside ``model`` the API sits over the engines, the engines over the
phases, the phases over the rules; ``analysis`` uses the model through its API, not through the
engines' internals. ``lint-imports`` in the repository runs the same check.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO

_LINT = (
    "import sys; from importlinter.cli import lint_imports; "
    "sys.exit(lint_imports(config_filename=sys.argv[1], no_cache=True, no_logo=True))"
)


def _lint(src: Path) -> subprocess.CompletedProcess:
    """Run the contracts over the packages found first on the path from ``src``."""
    return subprocess.run(
        [sys.executable, "-c", _LINT, str(REPO / "pyproject.toml")],
        cwd=src,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_the_code_keeps_every_contract():
    proc = _lint(REPO)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "3 kept, 0 broken" in proc.stdout


def test_a_violation_breaks_its_contract(tmp_path):
    for package in ("model", "analysis"):
        shutil.copytree(REPO / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    leaks = {
        "model/engines/mesa/leak.py": "from analysis.report import kpi_title\n",
        "model/phases/plot.py": "import plotly.graph_objects\n",
        "model/rules/upward.py": "from model.engines import run_engine\n",
        "analysis/internals.py": "from model.engines.vector.model import VectorModel\n",
    }
    for rel, code in leaks.items():
        (tmp_path / rel).write_text(f'"""A deliberate violation."""\n\n{code}', encoding="utf-8")
    proc = _lint(tmp_path)
    out = proc.stdout
    assert proc.returncode == 1, out + proc.stderr
    assert "0 kept, 3 broken" in out
    assert "model.engines.mesa.leak -> analysis.report" in out
    assert "model.phases.plot -> plotly" in out
    assert "model.rules.upward -> model.engines" in out
    assert "analysis.internals -> model.engines.vector.model" in out
