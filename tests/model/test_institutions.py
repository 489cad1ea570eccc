"""Country institutions and a supply side that responds (issue 18), each with common random numbers."""

from __future__ import annotations

import numpy as np

from model.api import simulate
from model.compiled import compile_scenario
from model.engines import run_engine
from model.events import Event
from model.params import load_scenario
from tests.conftest import REPO

FI, ES, PT = (REPO / "scenarios" / c / "baseline.yaml" for c in ("fi", "es", "pt"))
SEEDS = range(4)


def _events(path, over, seed=1):
    c = compile_scenario(load_scenario(path, over).config)
    return c, run_engine("vector", c, seed).events


def _mean(path, over, kpi, seeds=SEEDS):
    cfg = load_scenario(path, over).config
    return float(np.mean([simulate(cfg, s, "vector", deadweight=False).whole[kpi] for s in seeds]))


def test_a_grant_raises_seats_and_cohorts():
    grant = REPO / "scenarios" / "fi" / "grant_moderated_edc.yaml"
    over = ["horizon_weeks=156"]
    for seed in (1, 2):
        _, base = _events(FI, over, seed)
        _, funded = _events(grant, over, seed)

        def seats(ev):
            return ev[ev["kind"] == int(Event.SEATS_SET)].groupby("provider")["value"].last().sum()

        def cohorts(ev):
            return int((ev["kind"] == int(Event.COHORT_RUN)).sum())

        def offers(ev):
            return int((ev["kind"] == int(Event.OFFER_OPENED)).sum())

        assert seats(funded) >= seats(base) and cohorts(funded) > cohorts(base)
        assert offers(funded) > offers(base)  # grant money opens modules the colleges could teach


def test_a_provider_that_cannot_break_even_stops_offering():
    over = [
        "horizon_weeks=110",
        "supply.teacher_eur_per_hour=100000",  # no group can pay for its teaching
        "supply.core_funding_by_type.private=0.0",
    ]
    c, ev = _events(FI, over)
    closed = ev[ev["kind"] == int(Event.OFFER_CLOSED)]
    private = [
        i for i, p in enumerate(r for r in c.cfg.providers for _ in range(r.count)) if p.type == "private"
    ]
    assert set(closed["provider"]) & set(private)
    _, cheap = _events(FI, ["horizon_weeks=110"])
    assert (cheap["kind"] == int(Event.OFFER_CLOSED)).sum() < len(closed)


def test_grade_b_certificates_come_only_after_all_their_units():
    c, ev = _events(ES, ["horizon_weeks=260"])
    issued = ev[ev["kind"] == int(Event.ISSUED)]
    bundles = ev[ev["kind"] == int(Event.BUNDLE_ISSUED)]
    assert len(bundles) > 0
    for b, mask in enumerate(c.bundle_masks):
        units = [m for m in range(c.n_modules) if mask >> m & 1]
        for _, row in bundles[bundles["value"] == b].iterrows():
            mine = issued[(issued["worker"] == row["worker"]) & (issued["day"] <= row["day"])]
            assert set(units) <= set(mine["module"]), f"certificate {b} issued without all its units"


def test_portuguese_training_hours_respond_to_compliance_with_the_duty():
    def hours(compliance):
        over = [
            "horizon_weeks=104",
            *(
                f"training.duty.compliance_by_size.{b}={compliance}"
                for b in ("1-5", "6-9", "10-49", "50-249")
            ),
        ]
        total = []
        for seed in SEEDS:
            _, ev = _events(PT, over, seed)
            taken = ev[ev["kind"] == int(Event.COURSE_TAKEN)]
            total.append(taken["value"].sum())
        return np.mean(total)

    assert hours(1.0) > hours(0.0) * 1.05


def test_a_longer_reimbursement_delay_lowers_voucher_take_up():
    def learners(days):
        over = ["horizon_weeks=104", f"funding.instruments[0].reimbursement_days={days}"]
        cfg = load_scenario(PT, over).config
        return np.mean([simulate(cfg, s, "vector").funders[0]["learners_funded"] for s in SEEDS])

    assert learners(30) > learners(360)


def test_rpl_is_chosen_only_when_worth_it():
    likely = _mean(
        FI,
        ["horizon_weeks=104", "moderation.required=true", "pathway.rpl.acceptance_rate=0.95"],
        "enrolments",
    )
    assert likely > 0
    _, sure = _events(
        FI, ["horizon_weeks=104", "moderation.required=true", "pathway.rpl.acceptance_rate=0.95"]
    )
    _, unlikely = _events(
        FI, ["horizon_weeks=104", "moderation.required=true", "pathway.rpl.acceptance_rate=0.05"]
    )

    def rpl_starts(ev):  # an RPL route starts at enrolment (value: the evidence hours)
        started = ev[ev["kind"] == int(Event.STARTED)]
        return int((started["value"] == 8.0).sum())

    assert rpl_starts(sure) > rpl_starts(unlikely)
