"""What the route shares are calibrated to: published cocaine seizures per country (``region/data/seizures.csv``)
and published facts about the flows (``region/data/flow_targets.csv``), every figure's source in SOURCES.md.

A **seizure** is cocaine seized in a country (or a market, ``EUR``/``USA``) in a year, in tonnes: ``tonnes`` is
the main figure, ``low``-``high`` the range over the sources (``low`` = ``high``: one figure; ``low`` = 0: only
an upper bound). Rows without a figure record that none was found. It observes the baseline tonnes of the
routes that start in, cross or end in the country.

A **flow target** is a published share or tonnage of the flows: the baseline tonnes of the routes that match
every filter (empty = any): ``source``, ``destination``, ``through`` (starts in or crosses any of the
``;``-separated countries), ``route_contains`` (a part of the route's name); for ``kind = share`` divided by the
tonnes of the routes that match ``of_source`` and ``of_destination`` (empty = all routes). ``tolerance`` is how
far outside ``low``-``high`` the model may fall before the fit penalises it (GUESS: rounding, other years);
``fitted = no`` marks a check that is reported but not fitted.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .routes import MARKETS, RegionError, Route, _csv


@dataclass(frozen=True)
class Seizure:
    country: str
    years: str
    tonnes: float
    low: float
    high: float
    sources: str
    note: str


@dataclass(frozen=True)
class FlowTarget:
    name: str
    kind: str  # "share" or "tonnes"
    source: str
    destination: str
    through: tuple[str, ...]
    route_contains: str
    of_source: str
    of_destination: str
    value: float
    low: float
    high: float
    tolerance: float
    fitted: bool
    sources: str
    note: str


def _number(row: dict, key: str, where: str) -> float:
    try:
        v = float(row[key])
    except (KeyError, TypeError, ValueError):
        raise RegionError(f"{where}: '{key}' = {row.get(key)!r} is not a number") from None
    if not np.isfinite(v) or v < 0:
        raise RegionError(f"{where}: '{key}' = {v!r} must be a finite number >= 0")
    return v


def _ordered(low: float, value: float, high: float, where: str) -> None:
    if not low <= value <= high:
        raise RegionError(f"{where}: needs low <= value <= high (got {low:g}, {value:g}, {high:g})")


def load_seizures(rows: list[dict[str, str]] | None = None) -> tuple[tuple[Seizure, ...], tuple[str, ...]]:
    """(seizures with a figure, countries listed without one) from ``seizures.csv`` (or ``rows``)."""
    found, missing = [], []
    for i, r in enumerate(_csv("seizures.csv") if rows is None else rows, start=2):
        where = f"seizures.csv, row {i} ({r.get('country', '?')})"
        if not (r.get("tonnes") or "").strip():
            missing.append(r["country"])
            continue
        t, lo, hi = (_number(r, k, where) for k in ("tonnes", "low", "high"))
        _ordered(lo, t, hi, where)
        if hi <= 0:
            raise RegionError(f"{where}: 'high' must be > 0")
        if not r.get("sources"):
            raise RegionError(f"{where}: a figure needs a source tag")
        found.append(Seizure(r["country"], r["years"], t, lo, hi, r["sources"], r.get("note", "")))
    return tuple(found), tuple(missing)


def load_flow_targets(rows: list[dict[str, str]] | None = None) -> tuple[FlowTarget, ...]:
    out = []
    for i, r in enumerate(_csv("flow_targets.csv") if rows is None else rows, start=2):
        where = f"flow_targets.csv, row {i} ({r.get('name', '?')})"
        if r.get("kind") not in ("share", "tonnes"):
            raise RegionError(f"{where}: 'kind' = {r.get('kind')!r}; use share or tonnes")
        if r.get("fitted") not in ("yes", "no"):
            raise RegionError(f"{where}: 'fitted' = {r.get('fitted')!r}; use yes or no")
        v, lo, hi, tol = (_number(r, k, where) for k in ("value", "low", "high", "tolerance"))
        _ordered(lo, v, hi, where)
        if tol <= 0 or (r["kind"] == "share" and hi > 1):
            raise RegionError(f"{where}: needs tolerance > 0 (and a share at most 1)")
        through = tuple(c for c in r.get("through", "").split(";") if c)
        out.append(FlowTarget(r["name"], r["kind"], r.get("source", ""), r.get("destination", ""), through,
                              r.get("route_contains", ""), r.get("of_source", ""), r.get("of_destination", ""), v, lo, hi, tol, r["fitted"] == "yes", r["sources"],
                              r.get("note", "")))
    return tuple(out)


def seizure_mask(country: str, routes: tuple[Route, ...]) -> np.ndarray:
    """The routes whose cocaine passes ``country``: they start in or cross it, or (a market) end in it."""
    mask = np.array([country in r.countries or (country in MARKETS and r.destination == country) for r in routes])
    if not mask.any():
        raise RegionError(f"seizures.csv: no route starts in, crosses or ends in '{country}'")
    return mask


def _matching(routes: tuple[Route, ...], source: str = "", destination: str = "", through: tuple[str, ...] = (),
              contains: str = "") -> np.ndarray:
    return np.array([(not source or r.source == source) and (not destination or r.destination == destination)
                     and (not through or any(c in r.countries for c in through)) and contains in r.name for r in routes])


def target_masks(t: FlowTarget, routes: tuple[Route, ...]) -> tuple[np.ndarray, np.ndarray | None]:
    """(routes counted, routes of the denominator or None for tonnes) of a flow target."""
    num = _matching(routes, t.source, t.destination, t.through, t.route_contains)
    den = _matching(routes, t.of_source, t.of_destination) if t.kind == "share" else None
    if not num.any() or (den is not None and (num & ~den).any()):
        raise RegionError(f"flow_targets.csv: '{t.name}' matches no route, or routes outside its 'of_' filters")
    return num, den
