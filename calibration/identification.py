"""How much the data pin down each calibrated parameter: the width of its 90% posterior interval over
the width of its prior, both measured in the sampling space (log for log-uniform priors).

A ratio near 1 means the targets say almost nothing about the parameter (the posterior is the prior);
0.2 means the data narrowed it five-fold. The ratio of a uniform prior's own 90% interval to its full
width is 0.9, so 0.9 is "not identified at all"."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .priors import prior_of

NOT_IDENTIFIED = 0.9  # a uniform prior's 90% interval over its full width


def width_ratios(draws: Sequence[dict[str, float]], names: Sequence[str]) -> dict[str, float]:
    """``{parameter: posterior 90% width / prior width}`` from equally weighted posterior draws."""
    out = {}
    for name in names:
        p = prior_of(name)
        lo, hi = p.bounds
        v = p.to_space(np.array([d[name] for d in draws], float))
        q5, q95 = np.quantile(v, [0.05, 0.95])
        out[name] = round(float((q95 - q5) / (hi - lo)), 3) if hi > lo else None
    return out


def weighted_quantiles(v: np.ndarray, w: np.ndarray, qs: list[float]) -> np.ndarray:
    """Quantiles of weighted values (mid-point interpolation of the weighted CDF)."""
    order = np.argsort(v)
    v, w = v[order], w[order]
    c = np.cumsum(w) - 0.5 * w
    c = c / w.sum()
    return np.interp(qs, c, v)
