"""Adaptive population Monte Carlo ABC (APMC; Lenormand, Jabot & Deffuant 2013), on numpy.

Why this method. The simulator has no tractable likelihood; ABC needs only simulations. APMC is the
ABC-SMC variant designed for costly simulators: each generation proposes a fixed batch of particles
(all simulated in parallel, which suits an engine of processes or Dask workers), the tolerance adapts
by itself (it is the largest distance among the particles kept so far), old particles are re-used
rather than thrown away, and it stops when few new proposals improve on the current tolerance
(acceptance rate below ``p_acc_min``), when the tolerance reaches ``eps_min``, or when the budget of
simulations is spent. It returns weighted particles, a sample of the ABC posterior.

Output parameters. Some parameters only turn simulated quantities into reported ones and never act
on the simulated state (here: victims aged 30+ per youth victim, prisoners 30+ per prisoner 18-29,
the firearm shares). The statistics are closed-form functions of them, so each simulation is scored
with ``labels`` draws of them at no extra simulation cost: a simulation yields ``labels`` particles
that share its state parameters. Every particle is still drawn from a proposal whose density is known,
so the importance weights stay exact.

Algorithm (sampling space: every prior uniform on a box, see ``priors.PriorBox``; ``S`` = state
parameters, ``O`` = output parameters):

1. Draw ``n0`` simulations' S from the prior and ``labels`` O's for each from the prior; simulate
   and score; keep the ``n_keep`` closest particles; tolerance ``eps`` = the largest kept distance.
2. Repeat: for each of ``m`` new simulations pick a kept particle j by weight, move its S with a
   Gaussian kernel (covariance 2 x the weighted covariance of the kept S, Beaumont et al. 2009),
   and draw ``labels`` O's around its O the same way; moves leaving the prior box are redrawn (same
   parent). The generation's proposal density is
   ``q_g(s, o) = sum_j w_j N(s; s_j, Sigma_S) / Z_S,j * N(o; o_j, Sigma_O) / Z_O,j``, with ``Z`` the
   kernel's mass inside the box (Monte Carlo). ``p_acc`` = share of new particles closer than ``eps``;
   keep the ``n_keep`` closest of old and new; ``eps`` = the largest kept distance.
3. Weights. A kept particle's weight is prior / (mixture of *all* proposals used so far, each in
   proportion to the particles drawn from it: the prior for generation 0, then q_1, q_2, ...). This
   "balance heuristic" (deterministic-mixture) weighting, as in AMIS (Cornuet et al. 2012), recycles
   every generation's particles without the weight degeneracy of weighting each particle by its own
   generation's proposal only (with which a few prior draws that happen to fit dominate the sample).
4. Stop when ``p_acc < p_acc_min``, ``eps <= eps_min`` or the budget is used up.

Reproducible: proposals come from generators seeded by ``(seed, generation)``, each simulation's seed
from ``(seed, generation, index)``, and results are put back in proposal order whatever order the
engine returns them in, so the posterior depends on the seed only (not on workers or engine).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy.special import logsumexp, ndtr, ndtri

#: simulate(points (m x d) in sampling space, simulation seeds (m,)) -> one raw result per point
Simulate = Callable[[np.ndarray, np.ndarray], list]
#: score(raw result, points (L x d) sharing its state parameters) -> (distances (L,), statistics (L dicts))
Score = Callable[[object, np.ndarray], tuple[np.ndarray, list[dict]]]


@dataclass
class Generation:
    index: int
    eps: float
    p_acc: float
    simulations: int  # cumulative


@dataclass
class Result:
    names: tuple[str, ...]
    x: np.ndarray  # kept particles, sampling space (n_keep x d)
    weights: np.ndarray  # normalised
    distances: np.ndarray
    stats: list[dict]
    seeds: np.ndarray  # seed of the simulation each particle comes from
    generations: list[Generation] = field(default_factory=list)
    simulations: int = 0
    stop_reason: str = ""

    @property
    def ess(self) -> float:
        """Effective sample size of the weighted particles."""
        return float(1.0 / np.sum(self.weights**2))

    @property
    def distinct_simulations(self) -> int:
        return int(np.unique(self.seeds).size)


@dataclass(frozen=True)
class TruncatedNormalPrior:
    """A prior that is a truncated normal ``N(mu_k, tau_k^2)`` on the box in some coordinates (a hierarchical
    prior from ``pooling``) and uniform in the others (``mu`` NaN), independent across coordinates."""

    mu: np.ndarray
    tau: np.ndarray

    def sample(self, rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray, dims: np.ndarray, size: tuple) -> np.ndarray:
        """Draws of coordinates ``dims``, shape ``size + (len(dims),)`` (inverse-CDF; one uniform per value)."""
        u = rng.random(size + (dims.size,))
        mu, tau, a, b = self.mu[dims], self.tau[dims], lo[dims], hi[dims]
        normal = np.isfinite(mu)
        out = a + (b - a) * u
        if normal.any():
            fa, fb = ndtr((a[normal] - mu[normal]) / tau[normal]), ndtr((b[normal] - mu[normal]) / tau[normal])
            q = fa + u[..., normal] * (fb - fa)
            out[..., normal] = np.clip(mu[normal] + tau[normal] * ndtri(np.clip(q, 1e-300, 1 - 1e-16)), a[normal], b[normal])
        return out

    def log_density(self, z: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        """log prior density of each row of ``z`` (full coordinates), shape (len(z),)."""
        normal = np.isfinite(self.mu)
        out = np.full(len(z), -float(np.sum(np.log(hi[~normal] - lo[~normal]))))
        if normal.any():
            mu, tau, a, b = self.mu[normal], self.tau[normal], lo[normal], hi[normal]
            mass = ndtr((b - mu) / tau) - ndtr((a - mu) / tau)
            zz = (z[:, normal] - mu) / tau
            out += np.sum(-0.5 * zz**2 - 0.5 * math.log(2 * math.pi) - np.log(tau) - np.log(mass), axis=1)
        return out


def _seeds(seed: int, generation: int, m: int) -> np.ndarray:
    ss = np.random.SeedSequence([int(seed), 7919, int(generation)])
    return (ss.generate_state(m, np.uint64) >> np.uint64(2)).astype(np.int64)


def _weighted_cov(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    mu = w @ x
    d = x - mu
    cov = (d * w[:, None]).T @ d / max(1e-12, 1.0 - np.sum(w**2))
    return np.atleast_2d(cov)


class _Kernel:
    """Gaussian moves of one block of coordinates, truncated to the box by redrawing (same parent)."""

    def __init__(self, lo: np.ndarray, hi: np.ndarray, centres: np.ndarray, cov: np.ndarray, rng: np.random.Generator):
        self.lo, self.hi, self.centres = lo, hi, centres
        d = len(lo)
        self.d = d
        if d == 0:
            self.log_z = np.zeros(len(centres))
            return
        self.chol = np.linalg.cholesky(cov + 1e-12 * np.eye(d))
        self.logdet = 2.0 * np.sum(np.log(np.diag(self.chol)))
        # mass of each parent's kernel inside the box (Monte Carlo, common draws for all parents)
        z = rng.standard_normal((2000, d)) @ self.chol.T
        inside = np.all((centres[:, None, :] + z[None] >= lo) & (centres[:, None, :] + z[None] <= hi), axis=2)
        self.log_z = np.log(np.maximum(inside.mean(axis=1), 1.0 / 2000))

    def draw(self, rng: np.random.Generator, parents: np.ndarray) -> np.ndarray:
        out = np.empty((parents.size, self.d))
        if self.d == 0:
            return out
        todo = np.arange(parents.size)
        for _ in range(10_000):
            cand = self.centres[parents[todo]] + rng.standard_normal((todo.size, self.d)) @ self.chol.T
            ok = np.all((cand >= self.lo) & (cand <= self.hi), axis=1)
            out[todo[ok]] = cand[ok]
            todo = todo[~ok]
            if todo.size == 0:
                return out
        raise RuntimeError("could not propose particles inside the prior box")

    def log_density(self, x: np.ndarray) -> np.ndarray:
        """log N(x_i; centre_j, cov) - log Z_j, shape (len(x), parents)."""
        if self.d == 0:
            return np.zeros((len(x), len(self.centres)))
        diff = x[:, None, :] - self.centres[None, :, :]
        z = np.linalg.solve(self.chol, diff.reshape(-1, self.d).T).T.reshape(diff.shape)
        return (-0.5 * np.sum(z**2, axis=2) - 0.5 * (self.logdet + self.d * math.log(2 * math.pi))) - self.log_z[None, :]


def apmc(names: tuple[str, ...], lo: np.ndarray, hi: np.ndarray, simulate: Simulate, score: Score, *,
         outputs: np.ndarray | None = None, n_keep: int = 100, n0: int | None = None, per_generation: int | None = None,
         labels: int = 8, budget: int = 800, p_acc_min: float = 0.02, eps_min: float = 0.0, seed: int = 1,
         prior: TruncatedNormalPrior | None = None, log: Callable[[str], None] | None = None) -> Result:
    """Run APMC on the box ``[lo, hi]`` (uniform prior, or ``prior``). ``outputs`` flags the output parameters.

    ``n0`` simulations from the prior (default ``2 n_keep``), then ``per_generation`` (default
    ``n_keep // 2``) per generation, each scored with ``labels`` draws of the output parameters.
    ``budget`` caps the number of simulations.
    """
    lo, hi = np.asarray(lo, float), np.asarray(hi, float)
    d = lo.size
    out_mask = np.zeros(d, bool) if outputs is None else np.asarray(outputs, bool)
    si, oi = np.flatnonzero(~out_mask), np.flatnonzero(out_mask)
    L = labels if oi.size else 1
    n0 = n0 or 2 * n_keep
    m_gen = per_generation or max(1, n_keep // 2)
    if budget < n0:
        raise ValueError(f"budget ({budget}) must be at least the first generation's {n0} simulations")
    if prior is None:
        uniform = -float(np.sum(np.log(hi - lo)))

        def log_prior(z: np.ndarray) -> np.ndarray:
            return np.full(len(z), uniform)
    else:
        def log_prior(z: np.ndarray) -> np.ndarray:
            return prior.log_density(z, lo, hi)

    def run(xs: np.ndarray, xo: np.ndarray, seeds: np.ndarray):
        """Simulate each row of xs (with its first output draw), score with its L output draws."""
        full = np.empty((len(xs), L, d))
        full[:, :, si] = xs[:, None, :]
        full[:, :, oi] = xo
        raws = simulate(full[:, 0, :], seeds)
        dist, stats = [], []
        for i, raw in enumerate(raws):
            di, st = score(raw, full[i])
            dist.append(np.asarray(di, float))
            stats.extend(st)
        return full.reshape(-1, d), np.concatenate(dist), stats, np.repeat(seeds, L)

    rng = np.random.default_rng([int(seed), 1])
    if prior is None:
        xs = lo[si] + (hi[si] - lo[si]) * rng.random((n0, si.size))
        xo = lo[oi] + (hi[oi] - lo[oi]) * rng.random((n0, L, oi.size))
    else:
        xs = prior.sample(rng, lo, hi, si, (n0,))
        xo = prior.sample(rng, lo, hi, oi, (n0, L))
    x, dist, stats, seeds = run(xs, xo, _seeds(seed, 0, n0))
    used = n0
    # every proposal used so far, as (number of particles drawn from it, log density function)
    proposals: list[tuple[int, Callable[[np.ndarray], np.ndarray]]] = [(n0 * L, log_prior)]

    def weights(z: np.ndarray, cache: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Balance-heuristic weights prior / (mixture of all proposals so far, by their sample counts).

        ``cache`` holds each particle's log density under each proposal (NaN: not yet computed)."""
        cache = np.concatenate([cache, np.full((len(z), len(proposals) - cache.shape[1]), np.nan)], axis=1)
        for k, (_, f) in enumerate(proposals):
            todo = np.isnan(cache[:, k])
            if todo.any():
                cache[todo, k] = f(z[todo])
        counts = np.array([c for c, _ in proposals], float)
        lw = log_prior(z) - logsumexp(cache + np.log(counts / counts.sum())[None, :], axis=1)
        return np.exp(lw - lw.max()), cache

    order = np.argsort(dist, kind="stable")[:n_keep]
    x, dist, seeds, stats = x[order], dist[order], seeds[order], [stats[i] for i in order]
    w, cache = weights(x, np.empty((len(x), 0)))
    w = w / w.sum()
    eps = float(dist[-1])
    gens = [Generation(0, eps, 1.0, used)]
    if log:
        log(f"generation 0: {used} simulations from the prior, tolerance {eps:.3g}")
    reason = "budget"
    g = 0
    while True:
        if eps <= eps_min:
            reason = f"tolerance {eps:.3g} <= {eps_min:g}"
            break
        m = min(m_gen, budget - used)
        if m <= 0:
            reason = "budget"
            break
        g += 1
        grng = np.random.default_rng([int(seed), 2, g])
        cov = 2.0 * _weighted_cov(x, w)
        ks = _Kernel(lo[si], hi[si], x[:, si], cov[np.ix_(si, si)], grng)
        ko = _Kernel(lo[oi], hi[oi], x[:, oi], cov[np.ix_(oi, oi)], grng)
        parents = grng.choice(len(x), size=m, p=w)
        xs = ks.draw(grng, parents)
        xo = ko.draw(grng, np.repeat(parents, L)).reshape(m, L, oi.size)
        xn, dn, stn, sn = run(xs, xo, _seeds(seed, g, m))
        used += m
        logw_parents = np.log(w)

        def log_q(z: np.ndarray, ks=ks, ko=ko, lwp=logw_parents) -> np.ndarray:
            return logsumexp(ks.log_density(z[:, si]) + ko.log_density(z[:, oi]) + lwp[None, :], axis=1)

        proposals.append((m * L, log_q))
        p_acc = float(np.mean(dn < eps))
        xa, da = np.concatenate([x, xn]), np.concatenate([dist, dn])
        sa = np.concatenate([seeds, sn])
        sta = stats + stn
        ca = np.concatenate([cache, np.full((len(xn), cache.shape[1]), np.nan)])
        order = np.argsort(da, kind="stable")[:n_keep]
        x, dist, seeds, stats = xa[order], da[order], sa[order], [sta[i] for i in order]
        w, cache = weights(x, ca[order])
        w = w / w.sum()
        eps = float(dist[-1])
        gens.append(Generation(g, eps, p_acc, used))
        if log:
            log(f"generation {g}: {used} simulations, tolerance {eps:.3g}, acceptance {p_acc:.2f}, "
                f"ESS {1 / np.sum(w**2):.0f} from {np.unique(seeds).size} simulations")
        if p_acc < p_acc_min:
            reason = f"acceptance {p_acc:.3f} < {p_acc_min:g}"
            break
    return Result(tuple(names), x, w, dist, stats, seeds, gens, used, reason)
