"""A scenario in a regional run: which policies act in which country, and the interdiction they put on routes.

A policy without ``countries`` acts in every country of the run; with ``countries = ["PAN", "CRI"]`` in those
only (each must be in the run). An interdiction policy with ``route = "col_isthmus_land"`` acts on that route:
its cost is paid by the simulated countries on it (or those of its ``countries``). The optional ``[region]``
table sets ``coupling = false`` (every country alone, as ``recruitsim run``), ``transnational = true``
(organisations pool revenue and share leadership across countries, ``region.organisations``), ``migration = true``
(people cross borders, ``region.migration``), ``intelligence_sharing = ["SLV", "HND"]`` (more arrests of members
and leaders of the transnational groups in those countries: each runs the hotline lever with the ``intelligence_*``
settings on the groups labelled with an organisation it shares with another participant, ``region.labels``),
``border_security = ["MEX"]`` (``border_risk`` added to every route per land crossing of the country's borders)
or the flow model's parameters.

Coupled, an interdiction policy no longer cuts its country's revenue directly (its ``revenue`` setting is set
to 1): it adds ``interdiction_risk`` to the cost of every route through its country (or to its route), the
flows re-route (``region.flows``) and each country's revenue follows its flows. Uncoupled, every policy acts
exactly as in a single-country run (a route policy as a national interdiction in its countries).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from recruitsim.scenarios import library

from . import migration as migration_mod
from .flows import FlowParams
from .organisations import organisations
from .routes import RegionError, check_route, routes, setting_value

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
    shared_leadership: bool = False  # leaders removed in one country weaken partners (transnational only)
    leadership_recovery_months: float = 12.0
    migration: migration_mod.MigrationPlan | None = None  # people who cross borders (region.migration)
    intelligence: tuple[str, ...] = ()  # countries sharing intelligence on transnational organisations
    borders: dict[str, int] = field(default_factory=dict)  # country -> border-security policies (land crossings)
    border_risk: float = 0.0

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


def _flag(table: dict[str, Any], key: str, default: bool, where: str) -> bool:
    v = table.pop(key, default)
    if not isinstance(v, bool):
        raise RegionError(f"{where}: '{key}' must be true or false")
    return v


def _country_list(table: dict[str, Any], key: str, countries: tuple[str, ...], where: str) -> tuple[str, ...]:
    """A ``[region]`` list of ISO3 codes, each in the run (one clear line otherwise)."""
    from recruitsim.model.profiles import COUNTRY_CODES

    raw = table.pop(key, [])
    if not isinstance(raw, list) or not all(isinstance(c, str) for c in raw):
        raise RegionError(f"{where}: '{key}' must be a list of ISO3 codes, e.g. [\"SLV\", \"HND\"]")
    out = tuple(c.strip().upper() for c in raw)
    for c in out:
        if c not in COUNTRY_CODES:
            raise RegionError(f"{where}: {key}: unknown country '{c}'; use ISO3 codes of: {', '.join(sorted(COUNTRY_CODES))}")
        if c not in countries:
            raise RegionError(f"{where}: {key} lists {c}, which is not in this regional run ({','.join(countries)})")
    if len(set(out)) != len(out):
        raise RegionError(f"{where}: {key}: a country is listed twice")
    return out


def _intelligence(table: dict[str, Any], countries: tuple[str, ...], where: str) -> tuple[tuple[str, ...], dict]:
    """The countries sharing intelligence and the policy spec each of them runs: the hotline lever, reaching the
    members of the groups labelled with an organisation it shares with another participant (``region.labels``)."""
    members = _country_list(table, "intelligence_sharing", countries, where)
    base = {"kind": "hotline", "name": "intelligence_sharing",
            "arrest_member": setting_value(table, "intelligence_member_arrest", where),
            "leader_arrest": setting_value(table, "intelligence_leader_arrest", where),
            "unit_cost": setting_value(table, "intelligence_unit_cost", where)}
    specs = {}
    for c in members:
        shared = [j for j, o in enumerate(organisations())
                  if c in o.countries and any(p != c and p in members for p in o.countries)]
        if not shared:
            raise RegionError(f"{where}: intelligence_sharing: {c} shares no transnational organisation "
                              f"(region/data/organisations.csv) with the other participants ({','.join(members)})")
        specs[c] = {**base, "organisations": shared}
    return members, specs


def _borders(table: dict[str, Any], countries: tuple[str, ...], coupled: bool, where: str) -> tuple[dict, float, dict]:
    """Countries with border security (added cost at their land crossings) and the spec paying for it."""
    listed = _country_list(table, "border_security", countries, where)
    risk = setting_value(table, "border_risk", where)
    spec = {"kind": "interdiction", "name": "border_security", "revenue": 1.0,
            "unit_cost": setting_value(table, "border_unit_cost", where)}
    if listed and not coupled:
        raise RegionError(f"{where}: border_security acts on the cocaine routes: it needs coupling (drop --no-coupling)")
    return {c: 1 for c in listed}, risk, spec


def _extras(table: dict[str, Any], countries: tuple[str, ...], coupled: bool, migration: bool | None,
            where: str) -> dict[str, Any]:
    """Everything in ``[region]`` besides the flow model's parameters (popped from ``table``)."""
    transnational = _flag(table, "transnational", False, where)
    shared = _flag(table, "shared_leadership", True, where) and transnational
    recovery = setting_value(table, "leadership_recovery_months", where)
    own = _flag(table, "migration", False, where)
    on = own if migration is None else migration
    if on and not coupled:
        raise RegionError(f"{where}: migration couples the countries (people cross borders): drop --no-coupling")
    mig = migration_mod.plan(table, countries, on, where)
    intel, intel_spec = _intelligence(table, countries, where)
    borders, risk, border_spec = _borders(table, countries, coupled, where)
    return {"transnational": transnational, "shared_leadership": shared, "leadership_recovery_months": recovery,
            "migration": mig, "intelligence": intel, "borders": borders, "border_risk": risk,
            "specs": {"intelligence": intel_spec, "border": border_spec}}


def plan(sc: library.Scenario, countries: tuple[str, ...], coupling: bool | None = None,
         migration: bool | None = None) -> RegionalPlan:
    """Resolve a scenario for a regional run over ``countries`` (``coupling`` None: the scenario's, default on;
    ``migration`` None: the scenario's ``[region] migration``, default off)."""
    table = dict(sc.extra.get(library.REGION_TABLE, {}))
    where = f"{sc.source or sc.name}: [region]"
    own = _flag(table, "coupling", True, where)
    coupled = own if coupling is None else coupling
    extras = _extras(table, countries, coupled, migration, where)
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
    for c in extras["intelligence"]:
        specs[c].append(dict(extras["specs"]["intelligence"][c]))
    for c in extras["borders"]:
        specs[c].append(dict(extras["specs"]["border"]))
    extras.pop("specs")
    return RegionalPlan(sc.name, tuple(countries), coupled, flow, dict(sc.params), specs, interdictions, **extras)


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
