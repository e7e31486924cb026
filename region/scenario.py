"""A scenario in a regional run: which policies act in which country, and the interdiction they put on routes.

A policy without ``countries`` acts in every country of the run; with ``countries = ["PAN", "CRI"]`` in those
only (each must be in the run). An interdiction policy with ``route = "col_isthmus_land"`` acts on that route:
its cost is paid by the simulated countries on it (or those of its ``countries``). The optional ``[region]``
table sets ``coupling = false`` (every country alone, as ``recruitsim run``), ``transnational = true``
(organisations pool revenue across countries, ``region.organisations``) or the flow model's parameters.

Coupled, an interdiction policy no longer cuts its country's revenue directly (its ``revenue`` setting is set
to 1): it adds ``interdiction_risk`` to the cost of every route through its country (or to its route), the
flows re-route (``region.flows``) and each country's revenue follows its flows. Uncoupled, every policy acts
exactly as in a single-country run (a route policy as a national interdiction in its countries).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from recruitsim.scenarios import library

from .flows import FlowParams
from .routes import RegionError, check_route, routes

#: regional library scenarios (``region/scenarios/*.toml``): ``recruitsim compare --corridor NAME`` runs them
REGION_SCENARIO_DIR = "scenarios"


@dataclass(frozen=True)
class Interdiction:
    """Interdiction on the routes through ``countries`` (``route`` None) or on one route, from ``start`` to ``end``."""

    name: str
    countries: tuple[str, ...]
    route: str | None
    start: int
    end: int | None

    def active(self, month: int) -> bool:
        return month >= self.start and (self.end is None or month < self.end)


@dataclass
class RegionalPlan:
    name: str
    countries: tuple[str, ...]
    coupled: bool
    flow: FlowParams
    params: dict[str, Any]
    specs: dict[str, list[dict[str, Any]]]  # per country: the policy specs it runs (library format)
    interdictions: list[Interdiction] = field(default_factory=list)
    transnational: bool = False  # organisations pool revenue across countries (region.organisations)

    def policies(self, country: str) -> list:
        """Fresh Policy objects for ``country``."""
        return library.Scenario(self.name, params=self.params, policy_specs=self.specs[country]).policies()

    def pressure(self, month: int) -> tuple[dict[str, int], dict[str, int]]:
        """Active interdiction this month: (country -> policies, route -> policies)."""
        by_country: dict[str, int] = {}
        by_route: dict[str, int] = {}
        for i in self.interdictions:
            if not i.active(month):
                continue
            if i.route is None:
                for c in i.countries:
                    by_country[c] = by_country.get(c, 0) + 1
            else:
                by_route[i.route] = by_route.get(i.route, 0) + 1
        return by_country, by_route


def _targets(spec: dict[str, Any], countries: tuple[str, ...], where: str) -> tuple[str, ...]:
    listed = tuple(c.strip().upper() for c in spec.get("countries", ())) or None
    for c in listed or ():
        if c not in countries:
            raise RegionError(f"{where} targets {c}, which is not in this regional run ({','.join(countries)})")
    route = spec.get("route")
    if route is None:
        return listed or countries
    check_route(route)
    on = next(r for r in routes() if r.name == route).countries
    payers = tuple(c for c in (listed or countries) if c in on)
    if not payers:
        raise RegionError(f"{where}: route '{route}' ({'-'.join(on)}) crosses none of the countries that would pay for it "
                          f"({','.join(listed or countries)})")
    return payers


def plan(sc: library.Scenario, countries: tuple[str, ...], coupling: bool | None = None) -> RegionalPlan:
    """Resolve a scenario for a regional run over ``countries`` (``coupling`` None: the scenario's, default on)."""
    table = dict(sc.extra.get(library.REGION_TABLE, {}))
    where = f"{sc.source or sc.name}: [region]"
    own = table.pop("coupling", True)
    if not isinstance(own, bool):
        raise RegionError(f"{where}: 'coupling' must be true or false")
    coupled = own if coupling is None else coupling
    transnational = table.pop("transnational", False)
    if not isinstance(transnational, bool):
        raise RegionError(f"{where}: 'transnational' must be true or false")
    flow = FlowParams.from_settings(table, where)
    specs: dict[str, list[dict[str, Any]]] = {c: [] for c in countries}
    interdictions = []
    for i, spec in enumerate(sc.policy_specs):
        name = spec.get("name", spec["kind"])
        targets = _targets(spec, countries, f"{sc.source or sc.name}: policy[{i}] ('{name}')")
        local = {k: v for k, v in spec.items() if k not in library.REGION_FIELDS}
        if coupled and spec["kind"] == "interdiction":
            local["revenue"] = 1.0  # its effect comes through the flows
            interdictions.append(Interdiction(name, targets, spec.get("route"), int(spec.get("start", 0)),
                                              None if spec.get("end") is None else int(spec["end"])))
        for c in targets:
            specs[c].append(dict(local))
    return RegionalPlan(sc.name, tuple(countries), coupled, flow, dict(sc.params), specs, interdictions, transnational)


def library_names() -> list[str]:
    """The regional scenarios shipped in ``region/scenarios``."""
    from importlib import resources

    folder = resources.files("recruitsim.region").joinpath(REGION_SCENARIO_DIR)
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".toml"))


def load(name: str) -> library.Scenario:
    """A regional library scenario by name, or any scenario (``scenarios`` library name or .toml path)."""
    from importlib import resources

    if name in library_names():
        return library.load_file(str(resources.files("recruitsim.region").joinpath(REGION_SCENARIO_DIR, f"{name}.toml")))
    try:
        return library.load(name)
    except library.ScenarioError as e:
        if "unknown scenario" in str(e):
            raise RegionError(f"{e}; regional scenarios: {', '.join(library_names())}") from None
        raise
