"""Keyed randomness: a draw depends only on (seed, purpose, step, id), and looks uniform."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from model.streams import Streams, derive_seed

BIG = 200_000
IDS = np.arange(BIG)


def test_same_key_same_value_whoever_else_is_drawn() -> None:
    s = Streams(42)
    together = s.uniform("enrol", 3, np.array([5, 1, 9]))
    alone = s.uniform("enrol", 3, np.array([9]))
    assert together[2] == alone[0]
    assert together[0] == s.uniform("enrol", 3, np.array([5]))[0]
    assert together[1] == s.uniform("enrol", 3, np.array([1]))[0]
    # other order, larger batch, a fresh instance, list input
    assert s.uniform("enrol", 3, np.array([9, 5, 1])).tolist() == [
        together[2],
        together[0],
        together[1],
    ]
    batch = Streams(42).uniform("enrol", 3, np.arange(20))
    assert batch[[5, 1, 9]].tolist() == together.tolist()
    assert Streams(42).uniform("enrol", 3, [5, 1, 9]).tolist() == together.tolist()
    assert s.uniform("enrol", 3, np.array([5, 1, 9], dtype=np.int32)).tolist() == together.tolist()


def test_earlier_draws_of_other_purposes_do_not_shift_a_draw() -> None:
    fresh = Streams(7).uniform("dropout", 10, np.arange(50))
    busy = Streams(7)
    for purpose in ("enrol", "sponsor", "audit"):
        for step in range(5):
            busy.uniform(purpose, step, np.arange(1000))
            busy.normal(purpose, step, np.arange(10))
    np.testing.assert_array_equal(busy.uniform("dropout", 10, np.arange(50)), fresh)
    np.testing.assert_array_equal(busy.uniform("dropout", 10, np.arange(50)), fresh)


@settings(max_examples=100, deadline=None)
@given(
    seed=st.integers(0, 2**62),
    step=st.integers(0, 5000),
    ids=st.lists(st.integers(0, 10**9), min_size=1, max_size=30, unique=True),
    data=st.data(),
)
def test_property_draw_is_independent_of_batch(seed, step, ids, data) -> None:
    s = Streams(seed)
    full = s.uniform("p", step, np.array(ids))
    perm = data.draw(st.permutations(range(len(ids))))
    shuffled = s.uniform("p", step, np.array(ids)[perm])
    np.testing.assert_array_equal(shuffled, full[perm])
    i = data.draw(st.integers(0, len(ids) - 1))
    assert Streams(seed).uniform("p", step, np.array([ids[i]]))[0] == full[i]


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ((1, "enrol", 0), (2, "enrol", 0)),  # seed
        ((1, "enrol", 0), (1, "dropout", 0)),  # purpose
        ((1, "enrol", 0), (1, "enrol", 1)),  # step
        ((1, "enrol", 0), (1, "Enrol", 0)),
        ((0, "a", 0), (0, "b", 0)),
    ],
)
def test_different_keys_differ(a, b) -> None:
    ids = np.arange(1000)
    ua = Streams(a[0]).uniform(a[1], a[2], ids)
    ub = Streams(b[0]).uniform(b[1], b[2], ids)
    assert np.mean(ua == ub) < 0.01
    assert abs(np.corrcoef(ua, ub)[0, 1]) < 0.15


def test_different_ids_differ() -> None:
    u = Streams(3).uniform("enrol", 0, IDS)
    assert len(np.unique(u)) == BIG


def test_uniform_in_open_interval() -> None:
    u = Streams(11).uniform("x", 0, IDS)
    assert u.dtype == np.float64
    assert np.all(u > 0.0) and np.all(u < 1.0)


def test_uniform_open_interval_at_extreme_raw_draws() -> None:
    class Extreme(Streams):
        __slots__ = ()

        def bits(self, purpose, step, ids):
            return np.array([0, 2**64 - 1, 2**64 - 2**11, 2**63], dtype=np.uint64)

    u = Extreme(1).uniform("x", 0, np.arange(4))
    assert np.all(u > 0.0) and np.all(u < 1.0), u
    assert np.all(np.isfinite(Extreme(1).normal("x", 0, np.arange(4))))


@pytest.mark.parametrize("seed", [0, 1, 2**40 + 7])
def test_uniformity_ks(seed: int) -> None:
    u = Streams(seed).uniform("ks", 17, IDS)
    assert stats.kstest(u, "uniform").pvalue > 1e-3


def test_uniformity_ks_across_steps_for_one_agent() -> None:
    s = Streams(5)
    u = np.array([s.uniform("weekly", step, np.array([123]))[0] for step in range(5000)])
    assert stats.kstest(u, "uniform").pvalue > 1e-3


def test_independence_across_purposes_steps_and_seeds() -> None:
    bound = 5 / np.sqrt(BIG)  # five standard errors of a zero correlation
    base = Streams(9).uniform("enrol", 4, IDS)
    for other in (
        Streams(9).uniform("dropout", 4, IDS),
        Streams(9).uniform("enrol", 5, IDS),
        Streams(10).uniform("enrol", 4, IDS),
        Streams(9).uniform("enrol", 4, IDS + 1),  # neighbouring ids
    ):
        assert abs(np.corrcoef(base, other)[0, 1]) < bound


def test_joint_uniformity_of_two_purposes() -> None:
    a = Streams(2).uniform("a", 0, IDS)
    b = Streams(2).uniform("b", 0, IDS)
    counts, _, _ = np.histogram2d(a, b, bins=10, range=[[0, 1], [0, 1]])
    assert stats.chisquare(counts.ravel()).pvalue > 1e-3


def test_normal_moments_and_keying() -> None:
    s = Streams(21)
    z = s.normal("trust", 0, IDS)
    assert np.all(np.isfinite(z))
    assert abs(z.mean()) < 0.01  # standard error 0.0022
    assert abs(z.std() - 1.0) < 0.01
    assert stats.kstest(z, "norm").pvalue > 1e-3
    again = s.normal("trust", 0, np.array([9, 3]))
    assert again.tolist() == [z[9], z[3]]


def test_day_in_week() -> None:
    s = Streams(8)
    d = s.day_in_week("event_day", 2, IDS)
    assert np.issubdtype(d.dtype, np.integer)
    assert d.min() == 0 and d.max() == 6
    counts = np.bincount(d, minlength=7)
    assert len(counts) == 7
    assert stats.chisquare(counts).pvalue > 1e-3
    assert s.day_in_week("event_day", 2, np.array([77, 4])).tolist() == [d[77], d[4]]
    assert not np.array_equal(d, s.day_in_week("event_day", 3, IDS))


def test_derive_seed_deterministic_and_in_range() -> None:
    assert derive_seed(2026, "fi", 3) == derive_seed(2026, "fi", 3)
    for parts in [(), (0,), (1,), ("x",), (2026, "fi", 3), (2**62,)]:
        seed = derive_seed(*parts)
        assert isinstance(seed, int)
        assert 0 <= seed < 2**63


def test_derive_seed_distinct_for_distinct_parts() -> None:
    cases = [
        (),
        (1,),
        (2,),
        ("1",),
        ("a",),
        ("b",),
        ("ab",),
        ("a", "b"),
        ("b", "a"),
        (1, 2),
        (2, 1),
        (1, 2, 3),
        (2026, "baseline", 0),
        (2026, "baseline", 1),
        (2026, "policy", 0),
    ]
    seeds = [derive_seed(*c) for c in cases]
    assert len(set(seeds)) == len(cases)
    many = {derive_seed(2026, rep) for rep in range(10_000)}
    assert len(many) == 10_000


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ((7,), (7, 0)),
        ((), (0,)),
        ((2026, "replication"), (2026, "replication", 0)),
        ((1, 2**32), (1, 0, 1)),
    ],
    ids=["trailing-zero", "empty-vs-zero", "replication-0", "wide-int"],
)
def test_derive_seed_distinct_for_trailing_zeros_and_wide_ints(a, b) -> None:
    assert derive_seed(*a) != derive_seed(*b)


def test_derived_seeds_give_different_streams() -> None:
    a = Streams(derive_seed(1, 0)).uniform("enrol", 0, np.arange(1000))
    b = Streams(derive_seed(1, 1)).uniform("enrol", 0, np.arange(1000))
    assert abs(np.corrcoef(a, b)[0, 1]) < 0.15
    assert not np.array_equal(a, b)


@given(
    st.lists(st.tuples(st.integers(0, 4), st.integers(0, 3), st.floats(0, 1)), max_size=200),
)
@settings(max_examples=100, deadline=None)
def test_fast_lexsort_orders_exactly_as_numpy(rows):
    """Rationing orders candidates with ``lexsort``; ties must resolve exactly as NumPy's lexsort."""
    from model.rules.queues import lexsort

    keys = [np.array([r[i] for r in rows]) for i in (2, 1, 0)]
    assert np.array_equal(lexsort(*keys), np.lexsort(keys))


def test_batched_draws_equal_single_draws():
    s = Streams(11)
    ids = np.array([0, 5, 7, 10**9])
    block = s.uniforms(("a", "b", "c"), 3, ids)
    for row, purpose in zip(block, ("a", "b", "c"), strict=True):
        assert np.array_equal(row, s.uniform(purpose, 3, ids))
    assert s.uniforms(("a", "b"), 3, np.zeros(0, dtype=np.int64)).shape == (2, 0)


def test_the_compiled_draw_equals_the_stream():
    """Compiled loops draw with ``unit_at``: the same value for the same (seed, purpose, step, agent)."""
    from model.streams import unit_at

    s = Streams(2024)
    ids = np.array([0, 1, 7, 12_345, 2**33 + 5], dtype=np.int64)
    key = s.key("occasion", 11)
    assert np.array_equal(s.uniform("occasion", 11, ids), [unit_at(key, i) for i in ids])


def test_draws_under_a_bound_are_the_streams_draws():
    s = Streams(9)
    mask = np.zeros(5000, bool)
    mask[::3] = True
    ids, u = s.under("enrol", 4, mask, 0.2)
    every = np.flatnonzero(mask)
    draws = s.uniform("enrol", 4, every)
    assert np.array_equal(ids, every[draws < 0.2]) and np.array_equal(u, draws[draws < 0.2])
