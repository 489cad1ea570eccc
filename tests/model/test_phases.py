"""The phase contract: the one order, docstrings that follow it, explicit hand-overs, shared views."""

from __future__ import annotations

import re

import numpy as np

from model.compiled import compile_scenario
from model.engines.mesa.model import MicroCredentialModel
from model.events import EventLog
from model.phases import PHASES, decisions, rationing
from model.rules.firms import firm_ev_share
from model.state import FIELDS
from model.streams import Streams
from model.synthesis import synthesise
from tests.conftest import FI, SMALL


def test_phase_docstrings_follow_the_order() -> None:
    for number, (name, phase) in enumerate(PHASES, start=1):
        first = phase.__doc__.splitlines()[0]
        assert re.match(rf"Phase {number}, ", first), (
            f"{name}: docstring says {first!r}, PHASES puts it {number}th"
        )


def test_decisions_change_nothing_and_hand_their_intents_to_rationing() -> None:
    from model.params import load_scenario

    c = compile_scenario(load_scenario(FI, SMALL).config)
    s = Streams(3)
    world = synthesise(c, s)
    world.smes.aware[:] = True
    world.workers.aware[:] = True
    before = {(a, f): getattr(getattr(world, a), f).copy() for a in ("workers", "smes") for f in FIELDS[a]}
    assert decisions.WRITES == set()
    for step in range(10, 40):  # a few weeks of decisions on the same state, until someone wants to enrol
        intents = decisions.run(world, c, s, step, EventLog())
        for (a, f), old in before.items():
            assert np.array_equal(getattr(getattr(world, a), f), old), f"decisions wrote {a}.{f}"
        if len(intents.worker):
            break
    assert len(intents.worker) > 0
    assert rationing.TAKES == ("decisions",)
    log = EventLog()
    rationing.run(world, c, s, step, log, decisions=intents)
    enrolled = log.to_frame()
    assert set(enrolled.loc[enrolled["kind"] == 4, "worker"]) <= set(intents.worker.tolist())


def test_an_inspected_agent_shows_the_ev_share_the_rules_use() -> None:
    from model.params import load_scenario

    c = compile_scenario(
        load_scenario(FI, [*SMALL, "ev.firm_spread=1.0", "ev.service_share_start=0.6"]).config
    )
    m = MicroCredentialModel(c, seed=2)
    m.step()
    from model.engines.mesa.agents import SME

    for firm in list(m.agents_by_type[SME])[:40]:
        assert firm.ev_share() == float(firm_ev_share(c.ev_share(0), firm.ev_mult))
        assert 0.0 <= firm.ev_share() <= 1.0
