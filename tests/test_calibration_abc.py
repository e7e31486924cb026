"""The APMC sampler on problems with a known posterior; output parameters; reproducibility."""

import numpy as np
import pytest

from recruitsim.calibration.abc import apmc

LO, HI = np.array([-5.0, -5.0]), np.array([5.0, 5.0])


def noisy(a, seed, sd):
    return a + np.random.default_rng(int(seed)).normal(0, sd)


def gaussian(obs=1.0, sd=0.3):
    """y = a + noise; b does not enter (its posterior is its prior)."""
    def simulate(x, seeds):
        return [noisy(xi[0], s, sd) for xi, s in zip(x, seeds, strict=True)]

    def score(y, xs):
        return np.full(len(xs), abs(y - obs)), [{"y": y}] * len(xs)
    return simulate, score


def wmoments(v, w):
    m = w @ v
    return m, np.sqrt(w @ (v - m) ** 2)


def test_recovers_a_gaussian_posterior_and_leaves_an_unidentified_parameter_at_its_prior():
    sim, score = gaussian()
    res = apmc(("a", "b"), LO, HI, sim, score, n_keep=500, budget=12000, p_acc_min=0.03, seed=3)
    assert res.simulations <= 12000 and len(res.weights) == 500
    assert res.weights.sum() == pytest.approx(1.0) and res.ess > 150
    eps = [g.eps for g in res.generations]
    assert all(b <= a for a, b in zip(eps, eps[1:], strict=False)) and eps[-1] < 0.1 * eps[0]
    # flat prior, y ~ N(a, 0.3), y_obs = 1: posterior of a ~ N(1, 0.3) as the tolerance goes to 0
    m, s = wmoments(res.x[:, 0], res.weights)
    assert m == pytest.approx(1.0, abs=0.08) and s == pytest.approx(0.3, rel=0.2)
    # b is not in the model: its posterior is its uniform prior (mean 0, sd 10/sqrt(12) = 2.89)
    m, s = wmoments(res.x[:, 1], res.weights)
    assert abs(m) < 0.6 and s == pytest.approx(2.89, rel=0.15)


def test_output_parameters_scored_in_closed_form_give_the_same_posterior():
    # y = a + b + noise, observed 2; b is an output parameter (enters only the reported statistic).
    # Posterior: (a + b) ~ N(2, 0.3) restricted to the box; a and b individually along the ridge.
    def simulate(x, seeds):
        return [noisy(xi[0], s, 0.3) for xi, s in zip(x, seeds, strict=True)]

    def score(ya, xs):
        d = np.abs(ya + xs[:, 1] - 2.0)
        return d, [{} for _ in d]

    res = apmc(("a", "b"), LO, HI, simulate, score, outputs=np.array([False, True]), n_keep=500, labels=8,
               budget=3000, p_acc_min=0.03, seed=7)
    assert res.distinct_simulations < len(res.weights)  # simulations were shared by several particles
    total = res.x[:, 0] + res.x[:, 1]
    m, s = wmoments(total, res.weights)
    assert m == pytest.approx(2.0, abs=0.08) and s == pytest.approx(0.3, rel=0.25)
    # along the ridge a is spread over the box section: a in [-3, 5] for b in [-5, 5]; mean ~ 1
    m, s = wmoments(res.x[:, 0], res.weights)
    assert m == pytest.approx(1.0, abs=0.4) and s == pytest.approx(8 / np.sqrt(12), rel=0.2)


def test_importance_weights_correct_for_a_prior_truncated_posterior():
    # y ~ N(a, 1) observed at the prior's edge: the posterior is a half-normal piled against a = 5.
    # Proposals that leave the box are redrawn; without the truncation correction the weights would
    # over-weight the edge.
    sim, _ = gaussian(sd=1.0)

    def score(y, xs):
        return np.full(len(xs), abs(y - 5.0)), [{}] * len(xs)

    res = apmc(("a", "b"), LO, HI, sim, score, n_keep=500, budget=10000, p_acc_min=0.03, seed=5)
    m, s = wmoments(res.x[:, 0], res.weights)
    # N(5, 1) truncated to a <= 5: mean 5 - sqrt(2/pi) = 4.20, sd sqrt(1 - 2/pi) = 0.60
    assert m == pytest.approx(4.20, abs=0.12) and s == pytest.approx(0.60, rel=0.2)


def test_same_seed_same_posterior_whatever_the_evaluation_order():
    sim, score = gaussian()
    calls = []

    def shuffled(x, seeds):
        # evaluate in a scrambled order, as an engine returning results as they finish would
        order = np.random.default_rng(len(calls)).permutation(len(x))
        calls.append(1)
        out = [None] * len(x)
        for i in order:
            out[i] = sim(x[i : i + 1], seeds[i : i + 1])[0]
        return out

    a = apmc(("a", "b"), LO, HI, sim, score, n_keep=50, budget=300, seed=11)
    b = apmc(("a", "b"), LO, HI, shuffled, score, n_keep=50, budget=300, seed=11)
    c = apmc(("a", "b"), LO, HI, sim, score, n_keep=50, budget=300, seed=12)
    assert np.array_equal(a.x, b.x) and np.array_equal(a.weights, b.weights) and np.array_equal(a.seeds, b.seeds)
    assert not np.array_equal(a.x, c.x)


def test_budget_and_stopping_rules():
    sim, score = gaussian()
    res = apmc(("a", "b"), LO, HI, sim, score, n_keep=50, budget=250, p_acc_min=0.0, seed=1)
    assert res.simulations == 250 and res.stop_reason == "budget"
    with pytest.raises(ValueError):
        apmc(("a", "b"), LO, HI, sim, score, n_keep=50, budget=50)
    # a model that matches exactly everywhere: tolerance 0 is reached at once
    res = apmc(("a", "b"), LO, HI, sim, lambda y, xs: (np.zeros(len(xs)), [{}] * len(xs)), n_keep=25, budget=1000, seed=1)
    assert res.simulations == 50 and res.stop_reason.startswith("tolerance")


def test_truncated_kernel_density_matches_its_draws():
    # the proposal density used in the importance weights must be the density the draws actually have,
    # including the renormalisation of kernels cut by the prior box (parents near an edge)
    from scipy.special import logsumexp

    from recruitsim.calibration.abc import _Kernel

    rng = np.random.default_rng(0)
    centres = np.array([[0.05], [0.5], [0.97]])
    w = np.array([0.5, 0.3, 0.2])
    k = _Kernel(np.array([0.0]), np.array([1.0]), centres, np.array([[0.04]]), rng)
    parents = rng.choice(3, size=200_000, p=w)
    x = k.draw(rng, parents)[:, 0]
    assert x.min() >= 0 and x.max() <= 1
    hist, edges = np.histogram(x, bins=20, range=(0, 1), density=True)
    mid = 0.5 * (edges[1:] + edges[:-1])[:, None]
    dens = np.exp(logsumexp(k.log_density(mid) + np.log(w)[None, :], axis=1))
    assert np.allclose(hist, dens, rtol=0.05), np.c_[hist, dens]


def test_a_hierarchical_truncated_normal_prior_gives_the_conjugate_posterior():
    """Prior a ~ N(-1, 0.4) (the pooled coordinate), b uniform; y ~ N(a, 0.3), y_obs = 1: the posterior of a
    is N(m, s) with precision 1/0.4^2 + 1/0.3^2 (the box [-5, 5] truncates nothing that matters)."""
    from recruitsim.calibration.abc import TruncatedNormalPrior

    prior = TruncatedNormalPrior(np.array([-1.0, np.nan]), np.array([0.4, np.nan]))
    draws = prior.sample(np.random.default_rng(1), LO, HI, np.array([0, 1]), (20000,))
    assert draws[:, 0].mean() == pytest.approx(-1.0, abs=0.02) and draws[:, 0].std() == pytest.approx(0.4, rel=0.03)
    assert draws[:, 1].std() == pytest.approx(10 / np.sqrt(12), rel=0.03)
    sim, score = gaussian()
    res = apmc(("a", "b"), LO, HI, sim, score, n_keep=500, budget=12000, p_acc_min=0.03, seed=3, prior=prior)
    prec = 1 / 0.4**2 + 1 / 0.3**2
    mean, sd = (-1.0 / 0.4**2 + 1.0 / 0.3**2) / prec, prec**-0.5
    m, s = wmoments(res.x[:, 0], res.weights)
    assert m == pytest.approx(mean, abs=0.08) and s == pytest.approx(sd, rel=0.2)
    # b: still its uniform prior (noisier: the prior's tail makes the weights uneven, ESS ~50 of 500)
    m, s = wmoments(res.x[:, 1], res.weights)
    assert res.ess > 30 and abs(m) < 0.8 and s == pytest.approx(2.89, rel=0.25)
