"""Adaptive population Monte Carlo ABC (APMC; Lenormand, Jabot & Deffuant 2013), on numpy.

Why this method. The simulator has no tractable likelihood; ABC needs only simulations. APMC is the
ABC-SMC variant designed for costly simulators: each generation proposes a fixed batch of particles
(all simulated in parallel, which suits an engine of processes or Dask workers), the tolerance
adapts by itself (it is the alpha-quantile of the distances kept so far), old particles are re-used
rather than thrown away, and it stops when few new proposals improve on the current tolerance
(acceptance rate below ``p_acc_min``) or when the simulation budget is spent. It returns weighted
particles, a sample of the ABC posterior.

Algorithm (sampling space: every prior uniform on a box, see ``priors.PriorBox``):

1. Draw ``n`` particles from the prior, simulate, keep the ``n_keep = alpha n`` closest; tolerance
   ``eps`` = the largest kept distance; weights 1.
2. Repeat: propose ``n - n_keep`` particles by picking a kept particle (by weight) and moving it with
   a Gaussian kernel of covariance 2 x the weighted covariance of the kept particles (Beaumont et al.
   2009), redrawing moves that leave the prior box; simulate; give each new particle the importance
   weight prior / proposal density; ``p_acc`` = share of new particles closer than ``eps``; keep the
   ``n_keep`` closest of old and new, and set ``eps`` to the largest kept distance.
3. Stop when ``p_acc < p_acc_min``, ``eps <= eps_min``, or the budget of simulations is used up.

Reproducible: proposals come from generators seeded by ``(seed, generation)``, each simulation's seed
from ``(seed, generation, index)``, and results are put back in proposal order whatever order the
engine returns them in, so the posterior depends on the seed only (not on workers or engine).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy.special import logsumexp

from .priors import PriorBox

#: evaluate(points in sampling space (m x d), simulation seeds (m,)) -> distances (m,), statistics
Evaluate = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, list[dict]]]


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
    seeds: np.ndarray
    generations: list[Generation] = field(default_factory=list)
    simulations: int = 0
    stop_reason: str = ""

    @property
    def ess(self) -> float:
        """Effective sample size of the weighted particles."""
        return float(1.0 / np.sum(self.weights**2))


def _seeds(seed: int, generation: int, m: int) -> np.ndarray:
    ss = np.random.SeedSequence([int(seed), 7919, int(generation)])
    return (ss.generate_state(m, np.uint64) >> np.uint64(2)).astype(np.int64)


def _weighted_cov(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    mu = w @ x
    d = x - mu
    cov = (d * w[:, None]).T @ d / max(1e-12, 1.0 - np.sum(w**2))
    return np.atleast_2d(cov)


def _log_kernel_mixture(xn: np.ndarray, x: np.ndarray, w: np.ndarray, cov: np.ndarray) -> np.ndarray:
    """log sum_j w_j N(xn_i; x_j, cov) for each new point i."""
    chol = np.linalg.cholesky(cov)
    logdet = 2.0 * np.sum(np.log(np.diag(chol)))
    d = x.shape[1]
    diff = xn[:, None, :] - x[None, :, :]  # (m, k, d)
    z = np.linalg.solve(chol, diff.reshape(-1, d).T).T.reshape(diff.shape)
    logk = -0.5 * np.sum(z**2, axis=2) - 0.5 * (logdet + d * math.log(2 * math.pi))
    return logsumexp(logk + np.log(w)[None, :], axis=1)


def _propose(rng: np.random.Generator, box: PriorBox, x: np.ndarray, w: np.ndarray, cov: np.ndarray,
             m: int) -> tuple[np.ndarray, float]:
    """``m`` moves inside the box, and the share of raw moves that fell inside (the mass ``Z`` of the
    untruncated proposal on the box, which normalises the truncated proposal density)."""
    chol = np.linalg.cholesky(cov)
    out = np.empty((m, box.dim))
    todo = np.arange(m)
    tried = 0
    for _ in range(1000):
        parents = rng.choice(len(x), size=todo.size, p=w)
        cand = x[parents] + rng.standard_normal((todo.size, box.dim)) @ chol.T
        tried += todo.size
        ok = box.inside(cand)
        out[todo[ok]] = cand[ok]
        todo = todo[~ok]
        if todo.size == 0:
            return out, m / tried
    raise RuntimeError("could not propose particles inside the prior box (degenerate kernel)")


def apmc(box: PriorBox, evaluate: Evaluate, *, n: int = 200, alpha: float = 0.5, budget: int = 800,
         p_acc_min: float = 0.05, eps_min: float = 0.0, seed: int = 1,
         log: Callable[[str], None] | None = None) -> Result:
    """Run APMC. ``budget`` caps the number of simulations (at least ``n``)."""
    if budget < n:
        raise ValueError(f"budget ({budget}) must be at least the number of particles ({n})")
    n_keep = max(2, int(round(alpha * n)))
    n_new = n - n_keep
    rng = np.random.default_rng([int(seed), 1])
    x = box.sample(rng, n)
    seeds = _seeds(seed, 0, n)
    dist, stats = evaluate(x, seeds)
    used = n
    order = np.argsort(dist, kind="stable")[:n_keep]
    x, dist, seeds, stats = x[order], dist[order], seeds[order], [stats[i] for i in order]
    log_prior = -float(np.sum(np.log(box.hi - box.lo)))  # uniform density on the box
    wraw = np.ones(n_keep)  # importance weights prior / proposal (1 for draws from the prior)
    w = wraw / wraw.sum()
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
        m = min(n_new, budget - used)
        if m <= 0:
            reason = "budget"
            break
        g += 1
        cov = 2.0 * _weighted_cov(x, w) + 1e-12 * np.eye(box.dim)
        grng = np.random.default_rng([int(seed), 2, g])
        xn, mass = _propose(grng, box, x, w, cov, m)
        sn = _seeds(seed, g, m)
        dn, stn = evaluate(xn, sn)
        used += m
        # importance weights prior / proposal density (the truncated kernel mixture)
        logq = _log_kernel_mixture(xn, x, w, cov) - math.log(mass)
        wn = np.exp(log_prior - logq)
        p_acc = float(np.mean(dn < eps))
        xa = np.concatenate([x, xn])
        da = np.concatenate([dist, dn])
        wa = np.concatenate([wraw, wn])
        sa = np.concatenate([seeds, sn])
        sta = stats + stn
        order = np.argsort(da, kind="stable")[:n_keep]
        x, dist, wraw, seeds, stats = xa[order], da[order], wa[order], sa[order], [sta[i] for i in order]
        w = wraw / wraw.sum()
        eps = float(dist[-1])
        gens.append(Generation(g, eps, p_acc, used))
        if log:
            log(f"generation {g}: {used} simulations, tolerance {eps:.3g}, acceptance {p_acc:.2f}, "
                f"ESS {1 / np.sum(w**2):.0f}")
        if p_acc < p_acc_min:
            reason = f"acceptance {p_acc:.3f} < {p_acc_min:g}"
            break
    return Result(box.names, x, w, dist, stats, seeds, gens, used, reason)
