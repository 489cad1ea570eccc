"""The Mesa and vector engines run one specification: identical event logs on the same seed."""

from __future__ import annotations

import pytest

from model.compiled import compile_scenario
from model.engines import run_engine
from model.events import Event
from tests.conftest import REPO

CASES = {
    "baseline": ((), []),
    "moderated_edc": (
        (),
        [
            "moderation.required=true",
            "providers[0].issues_edc=true",
            "providers[1].issues_edc=true",
            "moderation.assessors=1",
        ],
    ),
    "all_instruments": (("ca_fund", "grant", "credit", "voucher", "budget"), []),
    "outreach_rpl": (
        ("budget",),
        ["outreach.women.p_multiplier=5", "providers[7].joins_moderation=true"],
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_identical_event_logs(funded, case):
    names, overrides = CASES[case]
    cfg = funded(*names, overrides=overrides + ["population.workers=300", "horizon_weeks=80"]).config
    c = compile_scenario(cfg)
    vec = run_engine("vector", c, seed=11)
    mesa = run_engine("mesa", c, seed=11)
    assert len(vec.events) > 50, "the case should produce activity to compare"
    assert vec.events.equals(mesa.events)


def test_mesa_agents_hold_the_state(funded):
    from model.engines.mesa import SME, MicroCredentialModel, Worker

    c = compile_scenario(funded("credit", overrides=["flows.enabled=false"]).config)
    m = MicroCredentialModel(c, seed=3)
    for _ in range(30):
        m.step()
    workers = m.agents_by_type[Worker]
    assert len(workers) == c.cfg.population.workers
    firms = m.agents_by_type[SME]
    assert sum(f.employees for f in firms) == sum(w.firm >= 0 for w in workers)  # every firm its staff
    assert all(f.employees >= 1 for f in firms)
    # The state that the KPIs count is on the agents themselves.
    aware = sum(w.aware for w in workers)
    logged = (m.log.to_frame()["kind"] == 2).sum()
    assert aware == logged
    assert m.datacollector.get_model_vars_dataframe().shape[0] == 30


def test_thinning_changes_no_decision(funded, monkeypatch):
    """Drawing first and evaluating rules only under their bound gives the decisions of no thinning."""
    import model.phases.awareness as awareness
    import model.phases.decisions as decisions
    import model.phases.labour as labour
    import model.phases.occasions as occasions

    cfg = funded("budget", "credit", overrides=["moderation.required=true", "horizon_weeks=80"]).config
    c = compile_scenario(cfg)
    thinned = run_engine("vector", c, seed=21)
    monkeypatch.setattr(decisions, "enrolment_bound", lambda *a, **k: 1.0)
    monkeypatch.setattr(occasions, "THINNING", False)
    monkeypatch.setattr(awareness, "worker_bound", lambda c: 1.0)
    monkeypatch.setattr(labour, "vacancy_bound", lambda *a: 1.0)
    everyone = run_engine("vector", c, seed=21)
    assert len(thinned.events) > 100
    assert thinned.events.equals(everyone.events)


def test_thinning_holds_where_a_training_credit_pays_all_of_a_learners_time(monkeypatch):
    """Portugal's statutory hours may bring a learner's own time to zero: the bound must allow it.

    Every term but time is switched off, so only the time term separates the bound from the rule.
    """
    import model.phases.decisions as decisions
    from model.params import load_scenario

    over = [
        "population.workers=1500",
        "horizon_weeks=52",
        "worker.time_weight_per_10_hours=2",
        "worker.enrol_rate_per_year=3",
        "worker.jobseeker_value_bonus=0",
        "worker.role_model_value=0",
        "worker.employer_support_weight=0",
    ]
    c = compile_scenario(load_scenario(REPO / "scenarios" / "pt" / "baseline.yaml", over).config)
    thinned = run_engine("vector", c, seed=4)
    monkeypatch.setattr(decisions, "enrolment_bound", lambda *a, **k: 1.0)
    everyone = run_engine("vector", c, seed=4)
    assert (thinned.events["kind"] == Event.ENROLLED).sum() > 10  # enrolments happen
    assert thinned.events.equals(everyone.events)
