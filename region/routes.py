"""The cocaine route network: source countries, routes through transit countries to a destination market,
named corridors, and the flow model's parameters, read from ``region/data`` (sources in its SOURCES.md).

A route carries a base share of its source country's output (``routes.csv``; the shares of one source sum
to 1); a source carries a share of Andean production (``production.csv``). A country's *flow* is the
volume of the routes that start in it or pass through it. Destinations (``USA``, ``EUR``) are markets,
not simulated countries.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np


class RegionError(ValueError):
    """Bad regional input (unknown country, corridor, route or setting): one line for the user."""


#: Named corridors: the countries simulated together (``--corridor NAME``).
CORRIDORS: dict[str, tuple[str, ...]] = {
    "andean": ("COL", "PER", "BOL", "ECU"),
    "central_america_mexico": ("COL", "PAN", "CRI", "NIC", "HND", "SLV", "GTM", "MEX"),
    "caribbean": ("COL", "VEN", "DOM", "HTI", "JAM", "BHS", "TTO"),
}
MARKETS = ("USA", "EUR")


@dataclass(frozen=True)
class Route:
    name: str
    source: str
    via: tuple[str, ...]
    destination: str
    share: float  # of the source's output, at baseline
    low: float
    high: float
    sources: str

    @property
    def countries(self) -> tuple[str, ...]:
        """The simulated-country codes the route touches: its source, then the transit countries."""
        return (self.source, *self.via)


@dataclass(frozen=True)
class Setting:
    name: str
    value: float
    low: float
    high: float
    unit: str
    meaning: str
    sources: str


def _csv(name: str) -> list[dict[str, str]]:
    with resources.files("recruitsim.region.data").joinpath(name).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@cache
def routes() -> tuple[Route, ...]:
    out = tuple(Route(r["route"], r["source"], tuple(v for v in r["via"].split(";") if v), r["destination"],
                      float(r["share"]), float(r["low"]), float(r["high"]), r["sources"]) for r in _csv("routes.csv"))
    for src in {r.source for r in out}:
        total = sum(r.share for r in out if r.source == src)
        if abs(total - 1.0) > 1e-9:
            raise ValueError(f"routes.csv: the shares of {src}'s routes sum to {total}, not 1")
    return out


@cache
def route_priors() -> dict[str, tuple[float, float, float, str]]:
    """Route -> (prior share, low, high, sources): the documented GUESS ranges that ``region.calibrate_flows``
    starts from (the ``prior_*`` columns of ``routes.csv``; ``share``/``low``/``high`` are what it wrote)."""
    return {r["route"]: (float(r["prior_share"]), float(r["prior_low"]), float(r["prior_high"]), r["prior_sources"])
            for r in _csv("routes.csv")}


@cache
def production() -> dict[str, tuple[float, float, float, str]]:
    """Source country -> (share of production, low, high, sources)."""
    rows = {r["source"]: (float(r["share"]), float(r["low"]), float(r["high"]), r["sources"]) for r in _csv("production.csv")}
    if abs(sum(v[0] for v in rows.values()) - 1.0) > 1e-9:
        raise ValueError("production.csv: the shares do not sum to 1")
    return rows


@cache
def settings() -> dict[str, Setting]:
    return {r["name"]: Setting(r["name"], float(r["value"]), float(r["low"]), float(r["high"]), r["unit"], r["meaning"],
                               r["sources"]) for r in _csv("parameters.csv")}


def setting_value(table: dict, key: str, where: str) -> float:
    """Pop ``key`` from a ``[region]`` table (its default from parameters.csv), checked against its range."""
    s = settings()[key]
    v = table.pop(key, s.value)
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not s.low <= v <= s.high:
        raise RegionError(f"{where}: '{key}' = {v!r} is outside its range [{s.low:g}, {s.high:g}] ({s.unit})")
    return float(v)


@cache
def land_borders() -> frozenset[frozenset[str]]:
    """Pairs of countries (and markets) that share a land border (``land_borders.csv``)."""
    return frozenset(frozenset((r["a"], r["b"])) for r in _csv("land_borders.csv"))


def route_names() -> list[str]:
    return [r.name for r in routes()]


def check_route(name: str) -> str:
    if name not in route_names():
        raise RegionError(f"unknown route '{name}'; the routes are: {', '.join(route_names())}")
    return name


def resolve_countries(countries: str | list[str] | None = None, corridor: str | None = None) -> tuple[str, ...]:
    """The ISO3 codes of a regional run from ``--countries A,B`` or ``--corridor NAME`` (exactly one)."""
    from recruitsim.model.profiles import COUNTRY_CODES

    if (countries is None) == (corridor is None):
        raise RegionError("give either --countries ISO3,ISO3,... or --corridor NAME (not both)")
    if corridor is not None:
        key = corridor.strip().lower()
        if key not in CORRIDORS:
            raise RegionError(f"unknown corridor '{corridor}'; the corridors are: {', '.join(CORRIDORS)}")
        return CORRIDORS[key]
    items = countries.split(",") if isinstance(countries, str) else list(countries)
    codes = [c.strip().upper() for c in items if c.strip()]
    if not codes:
        raise RegionError("--countries: empty list; give ISO3 codes such as COL,PAN,CRI")
    for c in codes:
        if c not in COUNTRY_CODES:
            raise RegionError(f"--countries: unknown country '{c}'; use ISO3 codes of: {', '.join(sorted(COUNTRY_CODES))}")
    if len(set(codes)) != len(codes):
        raise RegionError("--countries: a country is listed twice")
    return tuple(codes)


class Network:
    """The route network as arrays: base flow of each route (share of production), the source of each route,
    and which countries each route touches (``touch[r, c]``) for the simulated ``countries``."""

    def __init__(self, countries: tuple[str, ...]):
        self.routes = routes()
        self.countries = tuple(countries)
        prod = production()
        self.sources = tuple(sorted(prod))
        self.source_of = np.array([self.sources.index(r.source) for r in self.routes])
        self.share0 = np.array([r.share for r in self.routes])  # within the source
        self.production0 = np.array([prod[s][0] for s in self.sources])
        self.flow0 = self.share0 * self.production0[self.source_of]  # share of total production
        self.touch = np.array([[c in r.countries for c in self.countries] for r in self.routes], dtype=float)

    def route_index(self, name: str) -> int:
        return route_names().index(check_route(name))

    def land_crossings(self, country: str) -> np.ndarray:
        """Per route, how many of its legs (source, transit countries, market in order) cross a land border of
        ``country`` (``land_borders.csv``; a leg between two neighbours counts as a land crossing)."""
        land = land_borders()
        out = np.zeros(len(self.routes))
        for i, r in enumerate(self.routes):
            stops = (*r.countries, r.destination)
            out[i] = sum(1 for a, b in zip(stops, stops[1:]) if country in (a, b) and frozenset((a, b)) in land)
        return out

    def routes_through(self, country: str) -> np.ndarray:
        """Boolean mask of the routes that start in or pass through ``country`` (any code, simulated or not)."""
        return np.array([country in r.countries for r in self.routes])
