"""Funders' figures and accounting: the ledger loses nothing; nobody ineligible is ever paid."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis.cli import main
from model.api import simulate
from model.compiled import compile_scenario
from model.eligibility import parse
from model.events import Event
from model.rules.funding import eligibility_context
from model.rules.offers import concat_offers, course_offers, module_offers
from model.streams import Streams
from model.synthesis import synthesise
from tests.conftest import INSTRUMENTS

ALL = ("ca_fund", "grant", "credit", "voucher", "budget")


def test_ledger_equals_public_spend_and_figures(funded):
    cfg = funded(*ALL).config
    out = simulate(cfg, 4, "vector")
    ledger = out.ledger
    assert len(ledger) > 0
    real = ledger["amount_eur"] * ledger["weight"]
    mc = ledger["training"] == "mc"
    assert np.isclose(real[mc].sum(), out.kpis["public_spend_eur"].sum())
    assert np.isclose(real[~mc].sum(), out.kpis["other_training_spend_eur"].sum())
    assert (~mc).any(), "instruments pay for firms' other courses unless their rule says otherwise"
    by_instrument = real[mc].groupby(ledger["instrument"][mc]).sum()
    courses = real[~mc].groupby(ledger["instrument"][~mc]).sum()
    for row in out.funders:
        assert np.isclose(row["public_spend_eur"], by_instrument.get(row["instrument"], 0.0))
        assert np.isclose(row["other_training_spend_eur"], courses.get(row["instrument"], 0.0))
        assert row["public_spend_eur"] + row["other_training_spend_eur"] <= row["budget_available_eur"] + 1e-6
        for share in ("deadweight_share", "substitution_share"):
            assert np.isnan(row[share]) or 0.0 <= row[share] <= 1.0
    assert set(ledger["payee_kind"]) <= {"provider", "firm", "learner"}
    assert set(ledger.loc[mc, "reason"]) <= {"enrolment", "completion", "credential"}
    assert set(ledger.loc[~mc, "reason"]) == {"course"}


def test_breakdown_sums_to_spend(funded):
    out = simulate(funded("budget", "credit").config, 2, "vector")
    spend = {r["instrument"]: r["public_spend_eur"] for r in out.funders}
    for (instrument, _dim), grp in out.breakdown.groupby(["instrument", "dimension"]):
        assert np.isclose(grp["spend_eur"].sum(), spend[instrument])


def test_eligibility_restricts_who_is_paid(funded):
    rule = "worker.employed and firm.size <= 9"  # firm.size is 0 for jobseekers
    cfg = funded("budget", overrides=[f"funding.instruments[0].eligibility={rule}"]).config
    out = simulate(cfg, 3, "vector", deadweight=False)
    sizes = set(out.breakdown[out.breakdown["dimension"] == "firm_size"]["group"])
    assert sizes and sizes <= {"1-5", "6-9"}


def test_budget_exhaustion_is_reported(funded):
    tight = funded(
        "budget",
        overrides=[
            "funding.instruments[0].budget_eur_per_year=20000",
            "funding.instruments[0].eligibility=True",
        ],
    ).config
    row = simulate(tight, 1, "vector", deadweight=False).funders[0]
    assert np.isfinite(row["first_refusal_week"])
    # Most of the money is paid out; what is left is less than the courses and fees still asked for
    # (a firm's course for several staff can cost a few thousand euros).
    assert row["budget_utilisation"] > 0.7
    ample = funded(
        "budget",
        overrides=[
            "funding.instruments[0].budget_eur_per_year=50000000",
            "funding.instruments[0].eligibility=True",
        ],
    ).config
    assert np.isnan(simulate(ample, 1, "vector", deadweight=False).funders[0]["first_refusal_week"])


def test_deadweight_small_when_few_enrol_without_funding(funded):
    # Fees so high that hardly anyone enrols unfunded (only a firm with a large plan may still pay):
    # nearly every funded learner is additional.
    cfg = funded(
        "budget",
        overrides=[
            "fees.multiplier=20",
            "funding.instruments[0].eligibility=module.mc",
            "funding.instruments[0].budget_eur_per_year=5000000",
        ],
    ).config
    row = simulate(cfg, 5, "vector").funders[0]
    assert row["learners_funded"] > 0
    assert row["deadweight_share"] < 0.2
    assert row["additional_credentials"] > 0


def test_funders_files_written(tmp_path):
    from tests.conftest import write_variant

    path = write_variant(tmp_path, "funded", {"funding": {"instruments": [INSTRUMENTS["budget"]]}})
    out = tmp_path / "o"
    args = [
        "run",
        str(path),
        "--reps",
        "2",
        "--engine",
        "vector",
        "--out",
        str(out),
        "--set",
        "population.workers=300",
        "--set",
        "horizon_weeks=60",
    ]
    assert main(args) == 0
    funders = pd.read_csv(out / "funders.csv")
    assert {
        "public_spend_eur",
        "deadweight_share",
        "additional_credentials_per_1000_eur",
        "budget_utilisation",
        "first_refusal_week",
    } <= set(funders["figure"])
    assert (out / "funders_breakdown.csv").exists() and (out / "ledger.parquet").exists()


_ATOMS = [
    "worker.woman",
    "worker.jobseeker",
    "worker.employed",
    "worker.caring",
    "worker.rural",
    "firm.size <= 9",
    "firm.size > 5",
    "firm.ca_covered",
    'firm.size_band in ["1-5", "10-49"]',
    "provider.moderated",
    'provider.type == "public_vet"',
    "module.hours < 20",
    "module.fee > 300",
    "module.mc",
    'worker.age_band != "50+"',
    'module.id in ["g1_safety", "g2_hv_maintenance"]',
]
rules = st.recursive(
    st.sampled_from(_ATOMS),
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(["and", "or"]), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        inner.map(lambda r: f"not {r}"),
    ),
    max_leaves=4,
)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rule=rules, kind=st.sampled_from(["budget", "ca_fund", "voucher", "grant"]), seed=st.integers(0, 50))
def test_no_payment_to_the_ineligible(funded, rule, kind, seed):
    over = [
        f"funding.instruments[0].eligibility={rule}",
        "moderation.required=true",
        "population.workers=250",
        "horizon_weeks=60",
        "flows.enabled=false",  # eligibility attributes checked against the synthesised (static) world
    ]
    cfg = funded(kind, overrides=over).config
    c = compile_scenario(cfg)
    out = simulate(c, seed, "vector", deadweight=False, keep_events=True)
    paid = out.events[out.events["kind"].isin([int(Event.PAID), int(Event.COURSE_PAID)])]
    if paid.empty:
        return
    world = synthesise(c, Streams(seed))  # eligibility attributes in the rules are static
    mc = paid["kind"].to_numpy() == int(Event.PAID)
    worker, module = paid["worker"].to_numpy(), paid["module"].to_numpy().astype(int)
    offers = concat_offers(
        module_offers(
            world, c, worker[mc], module[mc], paid["provider"].to_numpy()[mc], np.zeros(mc.sum(), bool)
        ),
        course_offers(c, worker[~mc], module[~mc], world.smes.region[paid["firm"].to_numpy()[~mc]]),
    )
    ctx = eligibility_context(world, c, offers)
    needed = parse(rule).attributes
    missing = needed - set(ctx)
    assert not missing
    assert parse(rule)(ctx).all(), f"paid someone the rule {rule!r} excludes"
