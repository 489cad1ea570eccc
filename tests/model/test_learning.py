"""Employers learn from evidence (issue 16): competence behind credentials, beliefs, audits, sittings."""

from __future__ import annotations

import numpy as np

from model.api import simulate
from model.compiled import compile_scenario
from model.engines.vector import VectorModel
from model.events import Event
from model.params import load_scenario
from model.rules.beliefs import accepted, break_even, posterior, reputation
from tests.conftest import FI, SMALL

SEEDS = range(6)


def _mean(cfg, kpi: str) -> float:
    return float(np.mean([simulate(cfg, s, "vector", deadweight=False).whole[kpi] for s in SEEDS]))


def test_more_good_observations_move_a_belief_further_and_sooner():
    threshold = break_even(1.0)
    shares = []
    for n in (2, 8, 32):
        mean, sd = posterior(np.array([0.35]), 4.0, np.array([0.9 * n]), np.array([0.1 * n]))
        shares.append((mean - sd)[0])
    assert shares[0] < shares[1] < shares[2]  # the same share of good work, more of it: more trust
    first = next(n for n in range(200) if accepted(*posterior(0.35, 4.0, 0.9 * n, 0.1 * n), threshold, 1.0))
    assert 2 < first < 40
    # A firm that sees holders' work more often accepts sooner (common random numbers).
    over = [*SMALL[:1], "horizon_weeks=156"]
    rare = load_scenario(FI, over + ["employer.observations_per_holder_per_year=0.5"]).config
    often = load_scenario(FI, over + ["employer.observations_per_holder_per_year=6"]).config
    assert _mean(often, "employer_acceptance_rate") > _mean(rare, "employer_acceptance_rate")


def test_the_moderated_label_alone_adds_no_acceptance():
    """Same competence, same checks, no audit ever sampled: moderated or not, employers see the same."""
    over = [
        *SMALL[:1],
        "horizon_weeks=156",
        "pathway.rpl.enabled=false",  # RPL needs a moderated provider: it would change the routes
        "verification.paper_success_rate=1.0",
        "verification.paper_check_days=0",
        "moderation.sampling_rate=0.0",
    ]
    for rule, adds in (("learning", False), ("signals", True)):
        plain = load_scenario(FI, over + [f"employer.trust_rule={rule}"]).config
        label = load_scenario(FI, over + [f"employer.trust_rule={rule}", "moderation.required=true"]).config
        a, b = _mean(plain, "employer_acceptance_rate"), _mean(label, "employer_acceptance_rate")
        if adds:
            assert b > a + 0.02, "the signals rule builds the label's effect in (the contrast)"
        else:
            assert b == a


def test_a_provider_with_poor_assessment_loses_reputation_after_failed_audits():
    over = [
        "horizon_weeks=156",
        "moderation.required=true",
        "moderation.sampling_rate=0.6",
        "moderation.assessors=12",
        "pathway.rpl.enabled=false",  # workplace evidence would dilute the poor teaching
        "providers[2].competence=0.4",  # the six Uusimaa colleges (ids 2-7) teach poorly, test by MCQ
        "providers[2].assessment=mcq",
    ]
    c = compile_scenario(load_scenario(FI, over).config)
    poor = np.zeros(sum(p.count for p in c.cfg.providers), bool)
    poor[2:8] = True
    audits = {True: [0, 0], False: [0, 0]}  # (failed, audited) of poor and sound providers, pooled
    rep_poor, rep_sound = [], []
    for seed in range(3, 7):
        m = VectorModel(c, seed=seed)
        for _ in range(c.cfg.horizon_weeks):
            m.step()
        ev = m.log.to_frame()
        audited = ev[ev["kind"].isin([Event.AUDITED_PASS, Event.AUDITED_FAIL])]
        at_poor = audited["provider"].isin(np.flatnonzero(poor))
        for group in (True, False):
            rows = audited[at_poor == group]
            audits[group][0] += int((rows["kind"] == Event.AUDITED_FAIL).sum())
            audits[group][1] += len(rows)
        p = m.world.providers
        rep = reputation(p.rep_good, p.rep_bad, c.cfg.employer.prior_strength)
        seen = (p.rep_good + p.rep_bad) > 0
        rep_poor.extend(rep[poor & seen])
        rep_sound.extend(rep[~poor & seen])
    share = {g: failed / max(n, 1) for g, (failed, n) in audits.items()}
    assert audits[True][1] >= 30 and share[True] > 2 * share[False]  # their audits fail far more often
    assert np.mean(rep_poor) < np.mean(rep_sound)


def test_rarer_sittings_lengthen_the_moderation_cycle():
    over = [*SMALL[:1], "horizon_weeks=156", "moderation.required=true", "moderation.sampling_rate=0.5"]
    often = load_scenario(FI, over + ["moderation.sitting_interval_days=14"]).config
    rare = load_scenario(FI, over + ["moderation.sitting_interval_days=70"]).config
    fast, slow = _mean(often, "moderation_cycle_days"), _mean(rare, "moderation_cycle_days")
    assert np.isfinite(fast) and slow > fast + 10


def test_some_paper_credentials_are_accepted():
    c = compile_scenario(load_scenario(FI, ["horizon_weeks=260"]).config)  # all paper, unmoderated
    m = VectorModel(c, seed=2)
    for _ in range(c.cfg.horizon_weeks):
        m.step()
    sm = m.world.smes
    assert (sm.accepts & ((sm.accepts_kinds & 1) == 1)).any()
    ev = m.log.to_frame()
    ok, fail = (ev["kind"] == 14).sum(), (ev["kind"] == 15).sum()
    assert ok > 0 and fail > 0  # paper checks mostly succeed, some fail: the KPI is measured


def test_an_unmoderated_flood_does_not_raise_trust_faster_than_a_moderated_one():
    """Cheap courses flood the market; external moderation keeps assessment honest.

    The providers' own cost of moderation is held at zero: at a fifth of the fees it would make
    moderated groups unviable (``cohort_viable``), and fewer holders is a supply effect, not trust.
    """
    flood = ["horizon_weeks=208", "fees.multiplier=0.2", "supply.moderation_cost_eur=0"]
    plain = load_scenario(FI, flood).config
    moderated = load_scenario(FI, flood + ["moderation.required=true", "moderation.assessors=12"]).config
    assert _mean(plain, "employer_acceptance_rate") <= _mean(moderated, "employer_acceptance_rate") + 0.005


def test_the_compiled_belief_update_is_posterior_and_accepted():
    """``update_beliefs`` is ``posterior`` and ``accepted`` in one loop: the same bits and trust."""
    from model.rules.beliefs import update_beliefs

    rng = np.random.default_rng(5)
    n = 500
    good = (rng.random((n, 4)) * 20).astype(np.float32)
    bad = (rng.random((n, 4)) * 5).astype(np.float32)
    prior = rng.random(n).astype(np.float32)
    threshold = rng.random(n).astype(np.float32)
    rows = np.sort(rng.choice(n, 300, replace=False))
    bits, trust = np.zeros(n, np.uint8), np.zeros(n, np.float32)
    update_beliefs(rows, prior, 4.0, good, bad, threshold, 1.0, bits, trust)
    mean, sd = posterior(prior[rows, None], 4.0, good[rows], bad[rows])
    ok = accepted(mean, sd, threshold[rows, None], 1.0)
    assert np.array_equal(bits[rows], (ok * (1 << np.arange(4))).sum(axis=1))
    assert np.array_equal(trust[rows], mean.max(axis=1).astype(np.float32))
    assert not bits[np.setdiff1d(np.arange(n), rows)].any()
