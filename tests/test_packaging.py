"""The wheel's contents, as configured: every package folder listed, the bundled data mapped in.

The package list in ``pyproject.toml`` is written out (the data folders are mapped in from outside
the packages, which setuptools' discovery cannot combine with), so a new package folder must be
added there; this test names any that is missing. ``make test`` also builds the wheel and runs it
from a clean folder (``tests/check_wheel.py``).
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from tests.conftest import REPO

TOOL = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]


def _package_folders() -> set[str]:
    found = set()
    for root in ("model", "analysis"):
        for init in (REPO / root).rglob("__init__.py"):
            found.add(".".join(init.parent.relative_to(REPO).parts))
    return found


def test_every_package_folder_is_in_the_wheel():
    listed = set(TOOL["packages"])
    missing = sorted(_package_folders() - listed)
    assert not missing, f"add {missing} to [tool.setuptools] packages in pyproject.toml"
    gone = sorted(p for p in listed if not p.startswith("mcsim_data.") and p not in _package_folders())
    assert not gone, f"{gone} are listed in pyproject.toml but are not package folders"


def test_scenarios_and_samples_are_mapped_into_the_wheel():
    mapped = TOOL["package-dir"]
    assert Path(mapped["mcsim_data.scenarios"]) == Path("scenarios")
    assert Path(mapped["mcsim_data.samples"]) == Path("data/samples")
    data = TOOL["package-data"]
    scenarios = sorted((REPO / "scenarios").rglob("*"))
    shipped = {p for pattern in data["mcsim_data.scenarios"] for p in (REPO / "scenarios").glob(pattern)}
    assert {p for p in scenarios if p.is_file()} == shipped  # every scenario file, nothing else
    samples = {p for pattern in data["mcsim_data.samples"] for p in (REPO / "data" / "samples").glob(pattern)}
    assert {p for p in (REPO / "data" / "samples").iterdir() if p.is_file()} == samples
