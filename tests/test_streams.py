"""The random-number machinery: thinning gives exact Bernoulli events and geometric waiting times."""

import numpy as np
from scipy import stats

from recruitsim.model.streams import Streams, candidates, events, replicate_seed


def test_candidates_are_independent_bernoulli():
    rng = np.random.default_rng(1)
    n, p, reps = 2000, 0.03, 400
    hits = np.zeros(n)
    sizes = []
    for _ in range(reps):
        c = candidates(rng, n, p)
        assert np.all(np.diff(c) > 0) and c.min() >= 0 and c.max() < n
        hits[c] += 1
        sizes.append(c.size)
    # each slot is a candidate with probability p: the per-slot counts are Binomial(reps, p)
    assert abs(hits.mean() / reps - p) < 0.002
    assert stats.chisquare(np.bincount(hits.astype(int), minlength=40)[:40] + 1e-9,
                           stats.binom.pmf(np.arange(40), reps, p) * n + 1e-9).pvalue > 1e-4
    # the number of candidates is Binomial(n, p)
    assert abs(np.mean(sizes) - n * p) < 3 * np.sqrt(n * p * (1 - p) / reps)


def test_constant_hazard_gives_geometric_waiting_times():
    """A constant monthly probability h: months to first event ~ Geometric(h) (analytic case)."""
    rng = np.random.default_rng(2)
    n, h, p_max = 20_000, 0.02, 0.05
    waiting = np.full(n, -1)
    for month in range(1, 3000):
        todo = waiting < 0
        idx, _ = events(rng, n, p_max, lambda c: np.where(todo[c], h, 0.0))
        waiting[idx] = month
        if (waiting > 0).all():
            break
    w = waiting[waiting > 0]
    assert w.size == n
    assert abs(w.mean() - 1 / h) < 3 * np.sqrt((1 - h) / h**2 / n)
    # the whole distribution: chi-square of monthly counts against the geometric pmf (tail pooled)
    k = 150
    observed = np.append(np.bincount(w, minlength=k + 1)[1 : k + 1], np.count_nonzero(w > k))
    expected = n * np.append(stats.geom(h).pmf(np.arange(1, k + 1)), stats.geom(h).sf(k))
    assert stats.chisquare(observed, expected).pvalue > 1e-4


def test_event_draws_do_not_depend_on_probabilities():
    """Same stream, different probabilities: the same candidates and uniforms (common random numbers)."""
    a, b = np.random.default_rng(3), np.random.default_rng(3)
    idx_a, u_a = events(a, 10_000, 0.1, lambda c: np.full(c.size, 0.1), n_extra=2)
    idx_b, u_b = events(b, 10_000, 0.1, lambda c: np.full(c.size, 0.05), n_extra=2)
    assert set(idx_b) <= set(idx_a)
    assert np.array_equal(a.random(5), b.random(5))  # both streams advanced by the same amount
    common = np.isin(idx_a, idx_b)
    assert np.array_equal(u_a[common], u_b)


def test_probabilities_above_the_ceiling_are_counted():
    capped = {}
    events(np.random.default_rng(4), 1000, 0.01, lambda c: np.full(c.size, 0.5), capped=capped, name="x")
    assert capped["x"] > 0


def test_streams_are_independent_and_stable():
    s1, s2 = Streams(5), Streams(5)
    assert np.array_equal(s1["recruitment"].random(3), s2["recruitment"].random(3))
    assert not np.array_equal(Streams(5)["recruitment"].random(3), Streams(5)["violence"].random(3))
    assert replicate_seed(1, 0) != replicate_seed(1, 1) and replicate_seed(1, 0) == replicate_seed(1, 0)
