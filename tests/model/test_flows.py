"""Labour-market flows: stock-flow balance every week, well-formed careers, and their directions."""

from __future__ import annotations

import numpy as np

from model.api import simulate
from model.compiled import compile_scenario
from model.engines.mesa import MicroCredentialModel, Worker
from model.engines.vector import VectorModel
from model.events import Event
from model.params import load_scenario
from tests.conftest import FI

SMALL = ["population.workers=400", "horizon_weeks=104"]


def _counts(w):
    employed = w.active & (w.firm >= 0)
    seeking = w.active & w.jobseeker
    return {
        (g, s): int((m & (w.woman == (g == "f"))).sum())
        for g in ("f", "m")
        for s, m in (("employed", employed), ("jobseeker", seeking))
    }


def test_stock_flow_balance_every_week_for_every_group():
    cfg = load_scenario(FI, SMALL).config
    m = VectorModel(compile_scenario(cfg), seed=8)
    start = _counts(m.world.workers)
    for _ in range(cfg.horizon_weeks):
        m.step()
        w = m.world.workers
        ev = m.log.to_frame()
        woman = w.woman
        for (g, s), n0 in start.items():

            def n(kind, employed=None, ev=ev, woman=woman, g=g):
                sel = ev[ev.kind == int(kind)]
                if employed is not None:
                    sel = sel[(sel.firm >= 0) == employed]
                return int((woman[sel.worker.to_numpy()] == (g == "f")).sum())

            if s == "employed":
                expected = n0 + n(Event.HIRED) - n(Event.LAID_OFF) - n(Event.EXITED, employed=True)
            else:
                expected = (
                    n0
                    + n(Event.ENTERED)
                    + n(Event.LAID_OFF)
                    - n(Event.HIRED)
                    - n(Event.EXITED, employed=False)
                )
            assert _counts(w)[(g, s)] == expected, (g, s, m.steps)
        assert (w.jobseeker & (w.firm >= 0)).sum() == 0, "nobody is both employed and a jobseeker"
    assert (ev.kind == int(Event.ENTERED)).sum() > 0 and (ev.kind == int(Event.EXITED)).sum() > 0
    assert (ev.kind == int(Event.HIRED)).sum() > 0


def test_careers_are_well_formed():
    cfg = load_scenario(FI, SMALL).config
    c = compile_scenario(cfg)
    m = VectorModel(c, seed=2)
    employed0 = m.world.workers.firm >= 0
    for _ in range(cfg.horizon_weeks):
        m.step()
    ev = m.log.to_frame()
    moves = ev[ev.kind.isin([int(Event.HIRED), int(Event.LAID_OFF), int(Event.EXITED), int(Event.ENTERED)])]
    for worker, grp in moves.sort_values(["worker", "day", "step"], kind="stable").groupby("worker"):
        state = "employed" if worker < len(employed0) and employed0[worker] else "jobseeker"
        if worker >= len(employed0):
            state = "not yet"
        for kind in grp.kind:
            if kind == Event.ENTERED:
                assert state == "not yet"
                state = "jobseeker"
            elif kind == Event.HIRED:
                assert state == "jobseeker", "only jobseekers are hired: nobody works in two firms"
                state = "employed"
            elif kind == Event.LAID_OFF:
                assert state == "employed"
                state = "jobseeker"
            else:
                assert state in ("employed", "jobseeker")
                state = "gone"


def test_mesa_agents_enter_and_leave():
    cfg = load_scenario(FI, SMALL + ["horizon_weeks=60"]).config
    c = compile_scenario(cfg)
    mesa, vec = MicroCredentialModel(c, seed=4), VectorModel(c, seed=4)
    for _ in range(60):
        mesa.step()
        vec.step()
    assert len(mesa.agents_by_type[Worker]) == int(vec.world.workers.active.sum())
    assert mesa.log.to_frame().equals(vec.log.to_frame())


def _mean(overrides, kpi, seeds=range(8)):
    cfg = load_scenario(FI, SMALL + overrides).config
    return float(np.nanmean([simulate(cfg, s, "vector", deadweight=False).whole[kpi] for s in seeds]))


def test_more_women_in_inflows_never_lowers_women_share():
    base = _mean(["horizon_weeks=156"], "women_share")
    more = _mean(["horizon_weeks=156", "flows.women_inflow_multiplier=5"], "women_share")
    assert more >= base
    assert _mean(["flows.women_inflow_multiplier=5"], "women_workforce_share") > _mean(
        [], "women_workforce_share"
    )


def test_acceptance_that_pays_off_in_hiring_raises_enrolment():
    """With employers already accepting (the signals rule gives acceptance from the start), a hiring
    advantage for holders makes the credential worth more to jobseekers."""
    from tests.conftest import REPO

    def mean(weight, kpi):
        cfg = load_scenario(
            REPO / "scenarios/fi/ca_fund.yaml",
            [
                "population.workers=600",
                "horizon_weeks=156",
                "population.jobseeker_share=0.2",
                "employer.trust_rule=signals",
                f"flows.credential_hiring_weight={weight}",
            ],
        ).config
        return float(np.mean([simulate(cfg, s, "vector", deadweight=False).whole[kpi] for s in range(6)]))

    assert mean(3, "enrolments") > mean(0, "enrolments")
    assert mean(3, "hires_with_credential_share") > mean(0, "hires_with_credential_share")


def test_exit_weeks_follow_the_weekly_hazard():
    """Drawing the exit week once (geometric, by inversion) has the law of a Bernoulli draw every week."""
    from model.compiled import weekly
    from model.phases.labour import _weeks_until
    from model.streams import Streams

    n = 200_000
    weeks = _weeks_until(Streams(3).uniform("test", 0, np.arange(n)), 2.0)
    p = weekly(2.0)
    for k in (1, 2, 5, 20, 60):
        expected = 1.0 - (1.0 - p) ** k
        se = np.sqrt(expected * (1.0 - expected) / n)
        assert abs(np.mean(weeks <= k) - expected) < 4.5 * se, k
    assert weeks.min() >= 1
    assert (_weeks_until(np.array([1e-12, 0.5]), 0.0) >= 2**30).all()  # no hazard: never
