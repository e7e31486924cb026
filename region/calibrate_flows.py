"""Calibration of the regional flow coupling: the route shares (with production and the interception rates as
nuisance unknowns) fitted to published seizures and flow facts (issue 16; docs/region.md, "Calibration of the
coupling"; the prior in ``region.flow_prior``, the targets and their sources in ``region.flow_targets``).

* **Flows.** At baseline the flow model puts ``T[r] = share[r] x production share of its source x
  production_tonnes`` tonnes a year on route r (``region.flows.equilibrium`` with no added cost); ``T[c]`` is
  the sum over the routes that start in, cross or end in c.
* **Seizures.** Reported seizures are a country-specific fraction of the flow: ``S[c] = q[c] x T[c]`` with
  ``log q[c] ~ Normal(log q_bar, tau)`` independently per country (``q_bar``, ``tau``: prior GUESSes). ``q``
  integrates out: ``log S[c] ~ Normal(log q_bar + log T[c], tau)``, censored to the reported ``low``-``high``
  (a density where they are equal). ``q`` is seized bulk tonnes per modelled tonne, so it also absorbs purity.
* **Flow facts.** A published share or tonnage ``v`` with range ``low``-``high``: likelihood 1 when the model's
  value is inside, ``exp(-d^2 / 2 tolerance^2)`` at a distance ``d`` outside.
* **Sampler.** Likelihood-tempered sequential Monte Carlo: ``n`` prior draws are reweighted by
  ``likelihood^(b' - b)`` with the next exponent ``b'`` chosen so that half the effective sample remains,
  resampled, and moved by ``MOVES`` pairs of Metropolis steps (one source's shares redrawn from the prior, then a
  random walk of every unknown shaped by the draws' covariance; the prior is flat on its support, so a move is
  accepted with probability ``min(1, (L'/L)^b)`` and refused outside the ranges), three times as many at
  ``b = 1``. Plain importance sampling from the prior would keep only a few dozen effective draws of 10,000
  here (``ess_prior``). Medians and 90% intervals are quantiles of the final draws; with 10,000 draws two
  seeds' medians differ by up to about 0.004 (``region.flow_report.problems`` refuses to write above 0.01).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.special import log_ndtr, ndtr

from .flow_prior import TAU_RANGE, Box, Draws, prior_box, propose, redraw_source, sample_prior
from .flow_targets import FlowTarget, Seizure, load_flow_targets, load_seizures, seizure_mask, target_masks
from .routes import RegionError, Route, production, routes

DRAWS, SEED = 10_000, 16  # the shipped calibration (routes.csv) is calibrate(DRAWS, SEED)
MOVES = 6  # pairs of Metropolis moves after each tempering step (three times as many at the end)


def route_tonnes(d: Draws, source_of: np.ndarray) -> np.ndarray:
    """Baseline tonnes a year on each route for each draw (n x routes)."""
    return d.shares * d.production[:, source_of] * d.tonnes[:, None]


def seizure_loglik(tonnes: np.ndarray, d: Draws, s: Seizure) -> np.ndarray:
    """Log likelihood of seizure ``s`` given the tonnes through its country (one per draw)."""
    m = d.log_q + np.log(tonnes)
    if s.low == s.high:
        z = (np.log(s.tonnes) - m) / d.tau
        return -0.5 * z * z - np.log(d.tau) - np.log(s.tonnes) - 0.5 * np.log(2 * np.pi)
    b = (np.log(s.high) - m) / d.tau
    if s.low == 0:
        return log_ndtr(b)
    return np.log(np.maximum(ndtr(b) - ndtr((np.log(s.low) - m) / d.tau), 1e-300))


def target_value(T: np.ndarray, masks: tuple[np.ndarray, np.ndarray | None]) -> np.ndarray:
    num, den = masks
    v = T[:, num].sum(axis=1)
    return v if den is None else v / T[:, den].sum(axis=1)


def target_loglik(v: np.ndarray, t: FlowTarget) -> np.ndarray:
    d = np.maximum(t.low - v, 0.0) + np.maximum(v - t.high, 0.0)
    return -0.5 * (d / t.tolerance) ** 2


@dataclass
class Posterior:
    """The final draws (equal weights), their route tonnes and log likelihood, the targets, and diagnostics."""

    routes: tuple[Route, ...]
    sources: tuple[str, ...]
    draws: Draws
    T: np.ndarray
    loglik: np.ndarray
    seizures: tuple[Seizure, ...]
    targets: tuple[FlowTarget, ...]
    prior: Draws  # the initial prior draws (for prior intervals)
    prior_T: np.ndarray
    ess_prior: float  # effective sample size of plain importance weights on the prior draws
    exponents: list[float] = field(default_factory=list)
    acceptance: float = float("nan")  # Metropolis acceptance rate of the last move

    def target_values(self, t: FlowTarget, prior: bool = False) -> np.ndarray:
        return target_value(self.prior_T if prior else self.T, target_masks(t, self.routes))

    def seizure_tonnes(self, s: Seizure, prior: bool = False) -> np.ndarray:
        return (self.prior_T if prior else self.T)[:, seizure_mask(s.country, self.routes)].sum(axis=1)


def log_likelihood(T: np.ndarray, d: Draws, seizures: tuple[Seizure, ...], targets: tuple[FlowTarget, ...],
                   rts: tuple[Route, ...]) -> np.ndarray:
    """Log likelihood of each draw: the seizures and the fitted flow targets."""
    ll = np.zeros(len(T))
    if seizures:
        through = np.einsum("nr,rc->nc", T, np.column_stack([seizure_mask(s.country, rts) for s in seizures]).astype(float))
        for j, s in enumerate(seizures):
            ll += seizure_loglik(through[:, j], d, s)
    for t in targets:
        if t.fitted:
            ll += target_loglik(target_value(T, target_masks(t, rts)), t)
    return ll


def effective_size(logw: np.ndarray) -> float:
    w = np.exp(logw - logw.max())
    return float(w.sum() ** 2 / np.sum(w * w))


def next_exponent(ll: np.ndarray, b: float) -> float:
    """The tempering exponent after ``b`` at which the incremental weights keep half the effective sample."""
    n = len(ll)
    if effective_size((1.0 - b) * ll) >= n / 2:
        return 1.0
    lo, hi = b, 1.0
    for _ in range(50):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if effective_size((mid - b) * ll) >= n / 2 else (lo, mid)
    return lo if lo > b else hi


def systematic_resample(rng: np.random.Generator, logw: np.ndarray) -> np.ndarray:
    w = np.exp(logw - logw.max())
    c = np.cumsum(w / w.sum())
    return np.minimum(np.searchsorted(c, (rng.random() + np.arange(len(w))) / len(w)), len(w) - 1)


def metropolis(rng, d: Draws, ll: np.ndarray, b: float, box: Box, new: Draws, loglik) -> tuple[Draws, np.ndarray, float]:
    """One Metropolis step for every draw to ``new``, targeting prior x likelihood^b: ``new`` is a symmetric random
    walk or a redraw from the prior, and the prior is flat on its support, so the ratio is the likelihood's."""
    inside = np.flatnonzero(box.contains(new))
    ll_new = np.full(len(ll), -np.inf)
    ll_new[inside] = loglik(new.take(inside))
    accept = np.log(rng.random(len(ll))) < b * (ll_new - ll)
    return new.where(accept, d), np.where(accept, ll_new, ll), float(accept.mean())


def calibrate(n: int = DRAWS, seed: int = SEED, seizures: tuple[Seizure, ...] | None = None,
              targets: tuple[FlowTarget, ...] | None = None, tau_range: tuple[float, float] = TAU_RANGE) -> Posterior:
    """The posterior of the route shares from ``n`` draws (the shipped seizures and flow targets by default)."""
    if n < 1000:
        raise RegionError(f"--draws {n}: use at least 1,000 draws")
    rts, sources = routes(), tuple(sorted(production()))
    source_of = np.array([sources.index(r.source) for r in rts])
    seizures = load_seizures()[0] if seizures is None else tuple(seizures)
    targets = load_flow_targets() if targets is None else tuple(targets)
    rng = np.random.default_rng(seed)
    box = prior_box(rts, sources, tau_range)
    prior = sample_prior(rng, n, box)
    prior_T = route_tonnes(prior, source_of)

    def loglik(d: Draws) -> np.ndarray:
        return log_likelihood(route_tonnes(d, source_of), d, seizures, targets, rts)

    d, ll = prior, log_likelihood(prior_T, prior, seizures, targets, rts)
    post = Posterior(rts, sources, prior, prior_T, ll, seizures, targets, prior, prior_T, effective_size(ll))
    b, scale = 0.0, 2.38 / np.sqrt(post.draws.shares.shape[1] + 2)
    while b < 1.0 and len(post.exponents) < 200:
        b_next = next_exponent(ll, b)
        idx = systematic_resample(rng, (b_next - b) * ll)
        d, ll, b = d.take(idx), ll[idx], b_next
        for m in range(MOVES * (3 if b == 1.0 else 1)):
            d, ll, _ = metropolis(rng, d, ll, b, box, redraw_source(rng, d, box, m % len(sources)), loglik)
            d, ll, post.acceptance = metropolis(rng, d, ll, b, box, propose(rng, d, box, scale), loglik)
            scale *= 0.7 if post.acceptance < 0.15 else 1.3 if post.acceptance > 0.45 else 1.0
        post.exponents.append(b)
    post.draws, post.loglik, post.T = d, ll, route_tonnes(d, source_of)
    return post
