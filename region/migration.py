"""People who cross borders in a regional run: the bilateral migration table and each country's monthly
arrivals and departures of youths.

``region/data/migration.csv`` lists flows of people of all ages per year (origin, destination, value, low, high,
sources): Venezuelan refugees and migrants by host country (R4V stock changes), Haitians returned from the
Dominican Republic and the Bahamas (IOM) or applying for asylum in Mexico (COMAR), Central Americans applying
for asylum in Mexico (COMAR), Nicaraguans seeking refuge in Costa Rica (UNHCR). Sources in SOURCES.md.

With ``migration = true`` in a scenario's ``[region]`` table (or ``--migration``), each month every simulated
destination receives ``migration_youth_share`` x ``migration_scale`` x (its inflows) / 12 youths aged 10-29 with
the arrivals' risk profile, and every simulated origin loses its outflows likewise, whether or not the other
end of the flow is simulated. The countries' models do it through the hook ``model.migration`` (``arrive``,
``depart``); the conversion to whole agents carries the fraction over to the next month (``Carry``), so the
counts match the table x the agents' scale exactly over time. ``migration_flows = [{origin = "VEN",
destination = "COL", people_per_year = 100000}, ...]`` in ``[region]`` replaces or adds rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from recruitsim.model.migration import ArrivalProfile

from .routes import RegionError, setting_value

#: ``[region]`` settings read here (values and ranges in parameters.csv)
PROFILE_KEYS = {"arrival_poor": "poor", "arrival_out_of_school": "out_of_school",
                "arrival_completed_secondary": "completed_secondary", "arrival_adult_kin": "adult_kin"}
SCALARS = ("migration_youth_share", "migration_scale", *PROFILE_KEYS)


@dataclass(frozen=True)
class Flow:
    origin: str
    destination: str
    people_per_year: float
    low: float
    high: float
    sources: str


def _check(row: dict[str, Any], where: str) -> Flow:
    from recruitsim.model.profiles import COUNTRY_CODES

    o, d = str(row.get("origin", "")).strip().upper(), str(row.get("destination", "")).strip().upper()
    for c in (o, d):
        if c not in COUNTRY_CODES:
            raise RegionError(f"{where}: unknown country '{c}'; use ISO3 codes of: {', '.join(sorted(COUNTRY_CODES))}")
    if o == d:
        raise RegionError(f"{where}: origin and destination are both {o}")
    v = row.get("people_per_year")
    try:
        v = float(v)
    except (TypeError, ValueError):
        raise RegionError(f"{where}: people_per_year must be a number of people per year, got {v!r}") from None
    if not 0 <= v < 1e9:
        raise RegionError(f"{where}: people_per_year = {v:g} must be >= 0 and below 1e9 (people per year)")
    low, high = float(row.get("low", v)), float(row.get("high", v))
    return Flow(o, d, v, low, high, str(row.get("sources", "scenario")))


@cache
def table() -> tuple[Flow, ...]:
    """The shipped bilateral table (``region/data/migration.csv``)."""
    from .routes import _csv

    return tuple(_check(r, f"migration.csv row {i + 2}") for i, r in enumerate(_csv("migration.csv")))


def with_overrides(rows: Any, where: str) -> tuple[Flow, ...]:
    """The table with ``[region] migration_flows`` rows replacing (same origin and destination) or added."""
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise RegionError(f"{where}: 'migration_flows' must be an array of tables "
                          "{origin = \"VEN\", destination = \"COL\", people_per_year = 100000}")
    out = {(f.origin, f.destination): f for f in table()}
    for i, r in enumerate(rows):
        f = _check(r, f"{where}: migration_flows[{i}]")
        out[(f.origin, f.destination)] = f
    return tuple(out.values())


@dataclass(frozen=True)
class MigrationPlan:
    """Monthly youths (people at national scale) arriving in and leaving each simulated country."""

    countries: tuple[str, ...]
    flows: tuple[Flow, ...]
    youth_share: float
    scale: float
    profile: ArrivalProfile

    def monthly(self, country: str) -> tuple[float, float]:
        """(arriving, leaving) youths per month of ``country``."""
        k = self.youth_share * self.scale / 12.0
        inflow = sum(f.people_per_year for f in self.flows if f.destination == country)
        outflow = sum(f.people_per_year for f in self.flows if f.origin == country)
        return inflow * k, outflow * k

    def by_partner(self, country: str) -> dict[str, dict[str, float]]:
        """People of all ages per year (x ``scale``) from each origin into ``country`` and to each destination."""
        return {"from": {f.origin: f.people_per_year * self.scale for f in self.flows if f.destination == country},
                "to": {f.destination: f.people_per_year * self.scale for f in self.flows if f.origin == country}}


def plan(region: dict[str, Any], countries: Sequence[str], on: bool, where: str) -> MigrationPlan | None:
    """Pop the migration settings from a ``[region]`` table (always, so they are never 'unknown'); the plan if on."""
    values = {k: setting_value(region, k, where) for k in SCALARS}
    rows = region.pop("migration_flows", None)
    flows = table() if rows is None else with_overrides(rows, where)
    if not on:
        return None
    profile = ArrivalProfile(**{attr: values[k] for k, attr in PROFILE_KEYS.items()})
    return MigrationPlan(tuple(countries), flows, values["migration_youth_share"], values["migration_scale"], profile)


class Carry:
    """Whole agents per month from people per month, the fraction carried over (deterministic)."""

    def __init__(self):
        self.left = 0.0

    def take(self, people: float, scale: float) -> int:
        self.left += people / scale
        k = int(self.left)
        self.left -= k
        return k
