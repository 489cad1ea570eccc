"""Every file in scenarios/ loads, and every scenario runs on both engines with identical logs."""

from __future__ import annotations

import gc
import weakref

import pytest

from analysis.workshop import read_workshop
from model.compiled import compile_scenario
from model.engines import run_engine
from model.params import load_scenario
from tests.conftest import REPO

FILES = sorted((REPO / "scenarios").rglob("*.yaml"))
WORKSHOPS = [f for f in FILES if read_workshop(f)]
SCENARIOS = [f for f in FILES if f not in WORKSHOPS]


def _id(path):
    return str(path.relative_to(REPO / "scenarios"))


def test_there_are_presets_for_every_country():
    names = {_id(f) for f in SCENARIOS}
    assert {"fi/baseline.yaml", "es/baseline.yaml", "pt/baseline.yaml"} <= names


@pytest.mark.parametrize("path", SCENARIOS, ids=_id)
def test_scenario_loads_and_runs_on_both_engines(path):
    loaded = load_scenario(path, ["population.workers=200"])
    cfg = loaded.config
    if path.name == "baseline.yaml":
        assert cfg.preset, "country baselines are presets: every value carries provenance"
    c = compile_scenario(cfg)
    vec = run_engine("vector", c, seed=4, steps=16)
    mesa = run_engine("mesa", c, seed=4, steps=16)
    assert vec.events.equals(mesa.events)


@pytest.mark.parametrize("path", WORKSHOPS, ids=_id)
def test_workshop_sets_list_loadable_scenarios(path):
    ws = read_workshop(path)
    title, members = ws.title, ws.paths
    assert title and len(members) >= 3
    if path.name == "workshop.yaml":
        assert members[0].name == "baseline.yaml", "the baseline comes first: differences are against it"
    for member in members:
        load_scenario(member)


def test_mesa_model_is_garbage_collected():
    from model.engines.mesa import MicroCredentialModel

    c = compile_scenario(
        load_scenario(REPO / "scenarios/fi/baseline.yaml", ["population.workers=100"]).config
    )
    model = MicroCredentialModel(c, seed=1)
    model.step()
    ref = weakref.ref(model)
    del model
    gc.collect()
    assert ref() is None
