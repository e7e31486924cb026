"""Transnational organisations (optional): groups of the same organisation in several countries pool part of
their revenue, so a revenue shock in one country reaches its partners in the others.

With ``transnational = true`` in a scenario's ``[region]`` table, after the flow model each country's revenue
factor ``m[c]`` becomes ``m[c] + sum over its organisations o of pooled_share[o] x (pool[o] - m[c])``, where
``pool[o]`` is the mean factor of o's simulated countries weighted by the baseline value of the cocaine flows
through them. The pools use the factors before pooling (the order of the organisations does not matter), and
with every factor 1 the result is exactly 1. Organisations, countries and shares: ``region/data/organisations.csv``
(the shares are GUESSes; sources in SOURCES.md). Shared leadership (arrests in one country weakening command in
another) is not modelled.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np


@dataclass(frozen=True)
class Organisation:
    name: str
    countries: tuple[str, ...]
    pooled_share: float
    low: float
    high: float
    sources: str


@cache
def organisations() -> tuple[Organisation, ...]:
    from .routes import _csv

    out = tuple(Organisation(r["organisation"], tuple(r["countries"].split(";")), float(r["pooled_share"]), float(r["low"]),
                             float(r["high"]), r["sources"]) for r in _csv("organisations.csv"))
    for c in {c for o in out for c in o.countries}:
        if sum(o.pooled_share for o in out if c in o.countries) > 1.0:
            raise ValueError(f"organisations.csv: {c}'s pooled shares add up to more than 1")
    return out


def pooled(factors: np.ndarray, countries: Sequence[str], weights: np.ndarray,
           orgs: Sequence[Organisation] | None = None) -> np.ndarray:
    """The revenue factors after each organisation pools ``pooled_share`` of its countries' revenue."""
    out = np.array(factors, dtype=float)
    for o in organisations() if orgs is None else orgs:
        idx = np.array([i for i, c in enumerate(countries) if c in o.countries], dtype=int)
        if idx.size < 2 or weights[idx].sum() <= 0:
            continue
        pool = float((weights[idx] * factors[idx]).sum() / weights[idx].sum())
        out[idx] += o.pooled_share * (pool - factors[idx])
    return out
