"""Bundled scenarios by name: a path wins when it exists, names resolve from any folder, and a
mistyped name is refused with the closest names; the bundle is the repository's own folders."""

from __future__ import annotations

import pytest

from model.api import run
from model.bundled import bundled_names, resolve_scenario, samples_dir, scenarios_dir
from model.params import ScenarioError, load_scenario
from tests.conftest import FI, REPO


def test_the_bundle_is_the_repository_folders():
    # an editable install maps the wheel's package names onto scenarios/ and data/samples/
    assert scenarios_dir().resolve() == (REPO / "scenarios").resolve()
    assert samples_dir().resolve() == (REPO / "data" / "samples").resolve()
    files = sorted((REPO / "scenarios").rglob("*.yaml"))
    assert len(bundled_names()) == len(files) and "fi/baseline" in bundled_names()


@pytest.mark.parametrize("name", ["fi/baseline", "fi/baseline.yaml", "fi/baseline.yml", "/fi/baseline"])
def test_names_resolve_from_any_folder(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert resolve_scenario(name).resolve() == FI.resolve()


def test_an_existing_path_wins_over_a_bundled_name(tmp_path, monkeypatch):
    mine = tmp_path / "fi" / "baseline.yaml"
    mine.parent.mkdir()
    mine.write_text(f"extends: {FI}\nname: my own\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert resolve_scenario("fi/baseline.yaml") == mine.relative_to(tmp_path)
    assert load_scenario("fi/baseline.yaml").config.name == "my own"
    assert resolve_scenario("fi/baseline").resolve() == FI.resolve()  # no such file: the bundled one


def test_loading_by_name_is_loading_the_file():
    assert load_scenario("fi/ca_fund").hash == load_scenario(REPO / "scenarios" / "fi" / "ca_fund.yaml").hash


def test_a_mistyped_name_lists_the_closest(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ScenarioError) as exc:
        load_scenario("fi/basline")
    msg = str(exc.value)
    assert msg.startswith("fi/basline: no such scenario file") and "did you mean fi/baseline" in msg
    with pytest.raises(ScenarioError) as exc:
        resolve_scenario("nowhere/at_all.yaml")
    msg = str(exc.value)  # nothing close: the whole bundle, by country
    assert "bundled scenarios:" in msg and "fi/{baseline" in msg and "es/{" in msg and "pt/{" in msg


def test_the_function_interface_takes_a_name():
    small = {"population.workers": 150, "horizon_weeks": 8, "deadweight": False}
    by_name = run({"scenario": "fi/south_savo_pilot", **small}, seed=3)
    by_path = run({"scenario": str(REPO / "scenarios" / "fi" / "south_savo_pilot.yaml"), **small}, seed=3)
    assert by_name == pytest.approx(by_path, nan_ok=True)
