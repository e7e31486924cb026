"""Transnational organisations (optional): groups of the same organisation in several countries pool part of
their revenue, so a revenue shock in one country reaches its partners in the others.

With ``transnational = true`` in a scenario's ``[region]`` table, after the flow model each country's revenue
factor ``m[c]`` becomes ``m[c] + sum over its organisations o of pooled_share[o] x (pool[o] - m[c])``, where
``pool[o]`` is the mean factor of o's simulated countries weighted by the baseline value of the cocaine flows
through them. The pools use the factors before pooling (the order of the organisations does not matter), and
with every factor 1 the result is exactly 1. Organisations, countries and shares: ``region/data/organisations.csv``
(the shares are GUESSes; sources in SOURCES.md).

**Shared leadership** (also with ``transnational = true``, unless ``shared_leadership = false``): leaders removed
by enforcement in one country weaken the organisation's groups in its other countries. Each month country c
reports, for each organisation o, over the leaders of its groups labelled o (``region.labels``; local groups never
count) the leader-arrest index ``e[c, o]`` (the mean of the active policies' multiplier on their arrest risk: 1 with
no enforcement policy) and the share of them arrested that month; the share removed *by the enforcement* is
``a[c, o] = (1 - 1/e[c, o]) x that share``. A command deficit accumulates, ``D[c, o] = D[c, o] x
exp(-1 / leadership_recovery_months) + a[c, o]`` (at most 1), and each partner p's revenue factor is multiplied by
``1 - leadership_share[o] x (mean D[., o] of o's other simulated countries, weighted by the baseline value of their
flows)`` for each organisation o it belongs to. With no enforcement policy anywhere every ``a`` and ``D`` is exactly
0 and the factors are untouched.

**Member shares** (``member_share``, ``member_low``, ``member_high``: ``"SLV:0.95;HND:0.6"``, one value for each of
the organisation's countries): the share of a country's group members in the organisation's groups, from which a
regional run labels the country's groups (``region.labels``).
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
    leadership_share: float = 0.0  # share of a partner's command that depends on the organisation's other countries
    leadership_low: float = 0.0
    leadership_high: float = 0.0
    #: per country: (share of its group members in the organisation's groups, low, high); region.labels
    members: tuple[tuple[str, float, float, float], ...] = ()

    def member_share(self, country: str) -> float:
        """Share of ``country``'s group members in this organisation's groups (0 where it is not listed)."""
        return next((v for c, v, _, _ in self.members if c == country), 0.0)


def _by_country(text: str, countries: tuple[str, ...], what: str) -> dict[str, float]:
    """``"SLV:0.95;HND:0.6"`` -> {"SLV": 0.95, "HND": 0.6}, one value for each of the organisation's countries."""
    out = {}
    for part in text.split(";"):
        c, _, v = part.partition(":")
        out[c.strip()] = float(v)
    if set(out) != set(countries):
        raise ValueError(f"organisations.csv: {what} must give one value for each of {';'.join(countries)}, got '{text}'")
    return out


def _members(r: dict[str, str], countries: tuple[str, ...]) -> tuple[tuple[str, float, float, float], ...]:
    share, low, high = (_by_country(r[k], countries, f"{r['organisation']}: {k}")
                        for k in ("member_share", "member_low", "member_high"))
    for c in countries:
        if not 0.0 <= low[c] <= share[c] <= high[c] <= 1.0:
            raise ValueError(f"organisations.csv: {r['organisation']}: {c}'s member share needs 0 <= low <= value <= high <= 1")
    return tuple((c, share[c], low[c], high[c]) for c in countries)


@cache
def organisations() -> tuple[Organisation, ...]:
    from .routes import _csv

    out = tuple(Organisation(r["organisation"], tuple(r["countries"].split(";")), float(r["pooled_share"]), float(r["low"]),
                             float(r["high"]), r["sources"], float(r["leadership_share"]), float(r["leadership_low"]),
                             float(r["leadership_high"]), _members(r, tuple(r["countries"].split(";"))))
                for r in _csv("organisations.csv"))
    for c in {c for o in out for c in o.countries}:
        if sum(o.pooled_share for o in out if c in o.countries) > 1.0:
            raise ValueError(f"organisations.csv: {c}'s pooled shares add up to more than 1")
        if sum(o.member_share(c) for o in out) > 1.0:
            raise ValueError(f"organisations.csv: {c}'s member shares add up to more than 1")
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


def members_of(country: str, orgs: Sequence[Organisation] | None = None) -> list[Organisation]:
    return [o for o in (organisations() if orgs is None else orgs) if country in o.countries]


def removed_share(leader_index: float, arrested_share: float) -> float:
    """Share of a country's leaders removed this month by enforcement: ``(1 - 1/e) x`` the share arrested."""
    if leader_index == 1.0 or arrested_share <= 0.0:
        return 0.0
    return (1.0 - 1.0 / leader_index) * arrested_share


def weakened(factors: np.ndarray, countries: Sequence[str], deficit: np.ndarray, weights: np.ndarray,
             orgs: Sequence[Organisation] | None = None) -> np.ndarray:
    """The revenue factors after shared leadership: each partner loses ``leadership_share`` x the weighted mean
    command deficit of its organisation's other simulated countries (exactly unchanged where that is 0).
    ``deficit[i, j]``: country i's deficit in organisation j (its labelled groups' leaders, ``region.labels``)."""
    out = np.array(factors, dtype=float)
    for j, o in enumerate(organisations() if orgs is None else orgs):
        idx = np.array([i for i, c in enumerate(countries) if c in o.countries], dtype=int)
        if idx.size < 2:
            continue
        for i in idx:
            others = idx[idx != i]
            w = weights[others] if weights[others].sum() > 0 else np.ones(others.size)
            loss = float((w * deficit[others, j]).sum() / w.sum())
            if loss > 0.0:
                out[i] *= 1.0 - o.leadership_share * min(loss, 1.0)
    return out
