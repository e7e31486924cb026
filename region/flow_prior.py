"""The prior of the flow calibration (``region.calibrate_flows``): what is known before the seizures and flow
facts, as ranges, and the random-walk moves that explore it.

Each source's route shares are uniform on the set where every share lies in its documented GUESS range
(``prior_low``-``prior_high`` in routes.csv) and they sum to 1; the production shares likewise within
production.csv's ranges; ``production_tonnes`` uniform in its range (parameters.csv); the regional interception
rate ``q_bar`` log-uniform on ``Q_RANGE`` and the spread of the countries' rates around it, ``tau``, uniform on
``TAU_RANGE`` (both GUESSes, docs/region.md).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from .routes import RegionError, Route, production, route_priors, settings

Q_RANGE = (0.005, 1.0)  # q_bar, log-uniform (GUESS)
TAU_RANGE = (0.3, 2.0)  # tau, uniform (GUESS)


def uniform_simplex_box(rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray, n: int) -> np.ndarray:
    """``n`` points uniform on {x : lo <= x <= hi, sum(x) = 1}: all but the widest coordinate uniform in their
    boxes, the widest the remainder, kept where it lies in its own box (rejection; exact)."""
    lo, hi = np.asarray(lo, float), np.asarray(hi, float)
    if lo.sum() > 1 + 1e-12 or hi.sum() < 1 - 1e-12:
        raise RegionError(f"no shares in the ranges {list(zip(lo, hi))} sum to 1")
    if len(lo) == 1:
        return np.ones((n, 1))
    k = int(np.argmax(hi - lo))
    rest = np.arange(len(lo)) != k
    out, have = np.empty((n, len(lo))), 0
    for _ in range(1000):
        x = lo[rest] + (hi[rest] - lo[rest]) * rng.random((2 * n, int(rest.sum())))
        last = 1.0 - x.sum(axis=1)
        ok = (last >= lo[k]) & (last <= hi[k])
        take = min(int(ok.sum()), n - have)
        out[have:have + take, rest], out[have:have + take, k] = x[ok][:take], last[ok][:take]
        have += take
        if have == n:
            return out
    raise RegionError("the prior ranges leave almost no room for shares that sum to 1")


@dataclass
class Draws:
    """Draws of the unknowns: route shares (n x routes), production shares (n x sources), production tonnes,
    log q_bar and tau (one each per draw)."""

    shares: np.ndarray
    production: np.ndarray
    tonnes: np.ndarray
    log_q: np.ndarray
    tau: np.ndarray

    def take(self, idx) -> Draws:
        return Draws(*(getattr(self, f.name)[idx] for f in fields(self)))

    def where(self, ok: np.ndarray, other: Draws) -> Draws:
        """This draw where ``ok``, ``other`` elsewhere."""
        def pick(a, b):
            return np.where(ok.reshape(-1, *([1] * (a.ndim - 1))), a, b)
        return Draws(*(pick(getattr(self, f.name), getattr(other, f.name)) for f in fields(self)))


@dataclass(frozen=True)
class Box:
    """The prior's support: each unknown's range, and which routes belong to which source (sum to 1)."""

    shares: tuple[np.ndarray, np.ndarray]
    production: tuple[np.ndarray, np.ndarray]
    tonnes: tuple[float, float]
    log_q: tuple[float, float]
    tau: tuple[float, float]
    groups: tuple[np.ndarray, ...]

    def contains(self, d: Draws) -> np.ndarray:
        ok = np.all((d.shares >= self.shares[0]) & (d.shares <= self.shares[1]), axis=1)
        ok &= np.all((d.production >= self.production[0]) & (d.production <= self.production[1]), axis=1)
        for name in ("tonnes", "log_q", "tau"):
            lo, hi = getattr(self, name)
            ok &= (getattr(d, name) >= lo) & (getattr(d, name) <= hi)
        return ok


def prior_box(rts: tuple[Route, ...], sources: tuple[str, ...], tau_range=TAU_RANGE) -> Box:
    pri, prod, t = route_priors(), production(), settings()["production_tonnes"]
    return Box((np.array([pri[r.name][1] for r in rts]), np.array([pri[r.name][2] for r in rts])),
               (np.array([prod[s][1] for s in sources]), np.array([prod[s][2] for s in sources])),
               (t.low, t.high), tuple(np.log(Q_RANGE)), tuple(tau_range),
               tuple(np.array([i for i, r in enumerate(rts) if r.source == s]) for s in sources))


def sample_prior(rng: np.random.Generator, n: int, box: Box) -> Draws:
    shares = np.empty((n, len(box.shares[0])))
    for g in box.groups:
        shares[:, g] = uniform_simplex_box(rng, box.shares[0][g], box.shares[1][g], n)
    return Draws(shares, uniform_simplex_box(rng, *box.production, n), rng.uniform(*box.tonnes, n),
                 rng.uniform(*box.log_q, n), rng.uniform(*box.tau, n))


def _keep_sums(step: np.ndarray, width: np.ndarray, groups) -> np.ndarray:
    """Remove from ``step`` (n x k) each group's sum, in proportion to the widths: the shares keep summing to 1."""
    for g in groups:
        step[:, g] -= np.outer(step[:, g].sum(axis=1), width[g] / width[g].sum())
    return step


def propose(rng: np.random.Generator, d: Draws, box: Box, scale: float) -> Draws:
    """A random-walk move shaped by the draws' own covariance (in units of each unknown's prior width; the same
    for every draw, so the move is symmetric): shares and production shares move within their sums."""
    X = np.column_stack([d.shares, d.production, d.tonnes, d.log_q, d.tau])
    width = np.concatenate([box.shares[1] - box.shares[0], box.production[1] - box.production[0],
                            [np.subtract(*box.tonnes[::-1]), np.subtract(*box.log_q[::-1]), np.subtract(*box.tau[::-1])]])
    Z = X / width - (X / width).mean(axis=0)
    lam, vec = np.linalg.eigh(np.einsum("ni,nj->ij", Z, Z) / (len(Z) - 1))  # einsum, not BLAS: its threads thrash a busy machine
    step = np.einsum("nk,ik->ni", rng.standard_normal(X.shape) * np.sqrt(np.clip(lam, 0, None)), vec) * scale * width
    k, m = d.shares.shape[1], d.production.shape[1]
    step = _keep_sums(step, width, [*box.groups, np.arange(k, k + m)])
    Y = X + step
    return Draws(Y[:, :k], Y[:, k:k + m], Y[:, k + m], Y[:, k + m + 1], Y[:, k + m + 2])


def redraw_source(rng: np.random.Generator, d: Draws, box: Box, k: int) -> Draws:
    """An independence move: source ``k``'s route shares drawn afresh from the prior, the rest kept (it mixes the
    directions the targets barely inform, where a random walk is slow)."""
    shares, g = d.shares.copy(), box.groups[k]
    shares[:, g] = uniform_simplex_box(rng, box.shares[0][g], box.shares[1][g], len(d.tonnes))
    return Draws(shares, d.production, d.tonnes, d.log_q, d.tau)
