"""The regional month loop: country models stepped together, coupled by the flows.

    from recruitsim.region.simulation import run_region
    res = run_region(["COL", "PAN", "GTM", "MEX"], scenario="baseline", agents=20_000, years=3)
    res.countries["GTM"]["results"]          # the monthly results of Guatemala, as RecruitmentModel.results()
    res.flows                                # monthly route and country flows, prices, revenue factors

Each country is a *partition* (``Partition``): one ``RecruitmentModel`` built with its own seed
(``country_seed``) and burn-in, then stepped one month at a time. Each month the driver

1. reads each country's enforcement index (mean member-arrest multiplier of the active policies),
2. adds up the route costs (interdiction and enforcement, ``flows.added_costs``) and moves the flows one month,
3. sets each country's ``revenue_factor`` from its share of the flows and steps every partition one month.

Only these numbers cross between the driver and the partitions, so the partitions can live anywhere: in
this process (``LocalPartitions``) or as Dask actors on a cluster (``region.dask_run``), with identical
results. With coupling off the driver never touches the factors (they stay 1) and every country is exactly
its own single-country run with its seed.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from recruitsim.model import RecruitmentModel
from recruitsim.model import effects as effect_sets
from recruitsim.model import migration as people
from recruitsim.model.outputs import run_summary
from recruitsim.model.streams import replicate_seed
from recruitsim.scenarios import library

from . import labels
from . import scenario as regional
from .flows import FlowModel, added_costs
from .migration import Carry
from .organisations import organisations, pooled, removed_share, weakened
from .routes import Network, RegionError, resolve_countries


def country_seed(seed: int, country: str) -> int:
    """The seed of ``country`` in a regional run with base ``seed`` (independent streams per country)."""
    return int(np.random.SeedSequence([int(seed), zlib.crc32(country.encode())]).generate_state(1, np.uint64)[0] >> 1)


@dataclass(frozen=True)
class CountrySpec:
    """Everything a partition needs to build its country's model (picklable: sent to Dask workers)."""

    country: str
    agents: int
    years: float
    burn_in: float
    seed: int
    params: dict[str, Any]
    policies: tuple[dict[str, Any], ...]
    draw: int | None = 0
    effects: int | dict[str, float] | None = None
    label: str = "scenario"
    organisations: tuple[tuple[int, float], ...] = ()  # (label, member share) to label its groups (region.labels)


class Partition:
    """One country's model, stepped month by month by the regional driver."""

    def __init__(self, spec: CountrySpec):
        tic = time.perf_counter()
        sc = library.Scenario(spec.label, params=spec.params, policy_specs=list(spec.policies))
        self.spec = spec
        self.model = RecruitmentModel(spec.country, n_agents=spec.agents, years=spec.years, burn_in_years=spec.burn_in,
                                      params=spec.params, policies=sc.policies(), rng=spec.seed, collect=False,
                                      draw=spec.draw, effects=spec.effects)
        labels.label_groups(self.model, spec.organisations)  # after the burn-in: no label acts during it
        self.members_start = labels.members_by_label(self.model, len(organisations()))
        self.arrests = np.zeros((2, len(organisations()) + 1))  # members' and leaders' arrests by label, summed
        self.setup_seconds = time.perf_counter() - tic - self.model.step_seconds
        self.carry = (Carry(), Carry())  # arrivals, departures: whole agents per month (region.migration)
        self.moves: dict[str, float] | None = None  # this month's migration counts, once migration has run

    def enforcement(self) -> float:
        """Mean multiplier of the active policies on members' arrest risk (1: none)."""
        members = self.model.pop.members()
        if members.size == 0:
            return 1.0
        return float(np.mean(self.model.effect("arrest_member", members)))

    def report(self) -> dict[str, Any]:
        m = self.model
        groups = m.group_list
        out = {"enforcement": self.enforcement(), "running": bool(m.running),
               "demand": float(np.mean(m.group_demand)) if len(groups) else 0.0,
               "capacity": float(sum(g.capacity for g in groups) * m.scale),
               "members": float(m.row.get("members", np.nan)), "recruits": float(m.row.get("recruits", np.nan)),
               "homicides": float(m.row.get("homicides", np.nan)),
               # per organisation: leader-arrest index and share arrested, its labelled groups only (shared leadership)
               "org_leaders": labels.leaders_by_label(m, len(organisations()))}
        if self.moves is not None:
            out.update(self.moves)
        return out

    def _migrate(self, move) -> None:
        """This month's departures and arrivals (people per month at national scale, profile) before the step."""
        m = self.model
        arriving, leaving, profile = move
        gone = people.depart(m, self.carry[1].take(leaving, m.scale))
        came = people.arrive(m, self.carry[0].take(arriving, m.scale), profile)
        self.moves = {"arrivals": came.size * m.scale, "departures": gone.size * m.scale}

    def step(self, revenue_factor: float | None, move=None) -> dict[str, float]:
        """One month with the groups' revenue multiplied by ``revenue_factor`` (None: left alone) and, with
        ``move`` = (arriving, leaving, ArrivalProfile), youths crossing borders first (None: nobody)."""
        if revenue_factor is not None:
            self.model.revenue_factor = float(revenue_factor)
        if move is not None:
            self._migrate(move)
        self.model.step()
        self.arrests += labels.arrests_by_label(self.model, len(organisations()))
        if move is not None:
            self.moves.update({f"arrived_{k}": v * self.model.scale for k, v in people.tally(self.model).items()})
        return self.report()

    def finish(self) -> dict[str, Any]:
        df = self.model.results()
        return {"results": df, "summary": run_summary(self.model, df, self.setup_seconds), "seed": self.spec.seed,
                "calibrated": self.model.posterior_draw is not None,
                "organisations": labels.summary(self.model, self.members_start, self.arrests, self.spec.country)}


class LocalPartitions:
    """All partitions in this process, stepped in order."""

    def __init__(self, specs: Sequence[CountrySpec]):
        self.parts = [Partition(s) for s in specs]

    def reports(self) -> list[dict[str, float]]:
        return [p.report() for p in self.parts]

    def step(self, factors: Sequence[float | None], moves: Sequence | None = None) -> list[dict[str, float]]:
        return [p.step(f, m) for p, f, m in zip(self.parts, factors, moves or [None] * len(self.parts))]

    def finish(self) -> list[dict[str, Any]]:
        return [p.finish() for p in self.parts]

    def close(self) -> None:
        self.parts = []


@dataclass
class RegionalResult:
    plan: regional.RegionalPlan
    countries: dict[str, dict[str, Any]]  # ISO3 -> {"results": DataFrame, "summary": dict, "seed": int}
    flows: pd.DataFrame  # one row per month: route tonnes, country tonnes and revenue factors, prices
    network: Network
    seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)


def specs_for(plan: regional.RegionalPlan, *, agents: int | dict[str, int], years: float, burn_in: float, seed: int,
              replicate: int | None = None) -> list[CountrySpec]:
    """One spec per country. ``replicate`` None: a single run (posterior draw 0, point effects, seed per country
    from ``seed``); ``r``: replicate r of a comparison (draw r, effect set r, seeds from ``replicate_seed``)."""
    out = []
    base = seed if replicate is None else replicate_seed(seed, replicate)
    for c in plan.countries:
        n = agents[c] if isinstance(agents, dict) else agents
        draw = 0 if replicate is None else replicate
        eff = None if replicate is None else effect_sets.for_replicate(replicate, effect_sets.mode())
        out.append(CountrySpec(c, int(n), years, burn_in, country_seed(base, c), dict(plan.params),
                               tuple(plan.specs[c]), draw, eff, plan.name, labels.shares_for(c)))
    return out


MIGRATION_KEYS = ("arrivals", "departures", "arrived_stock", "arrived_members", "arrived_recruits",
                  "arrived_trafficked", "arrived_trafficked_new")


def _record(month: int, net: Network, flows: FlowModel | None, factors, reports, deficit=None) -> dict[str, float]:
    row: dict[str, float] = {"month": month}
    if flows is not None:
        tonnes = flows.flow * flows.p.production_tonnes
        for r, t in zip(net.routes, tonnes):
            row[f"route_{r.name}"] = float(t)
        for s, p in zip(net.sources, flows.price):
            row[f"price_{s}"] = float(p)
        row["total_tonnes"] = float(tonnes.sum())
        for c, t in zip(net.countries, flows.country_tonnes()):
            row[f"tonnes_{c}"] = float(t)
    for c, f, rep in zip(net.countries, factors, reports):
        row[f"revenue_factor_{c}"] = 1.0 if f is None else float(f)
        row[f"demand_{c}"] = rep["demand"]
        row[f"capacity_{c}"] = rep["capacity"]
        for k in MIGRATION_KEYS:
            if k in rep:
                row[f"{k}_{c}"] = rep[k]
    if deficit is not None:  # per country and organisation it belongs to
        for c, d in zip(net.countries, deficit):
            for j, o in enumerate(organisations()):
                if c in o.countries:
                    row[f"command_deficit_{c}_{o.name}"] = float(d[j])
    return row


class Leadership:
    """Shared leadership (``region.organisations``): each country's command deficit in each organisation from the
    leaders of its labelled groups removed by enforcement, and the partners' revenue factors it weakens."""

    def __init__(self, plan: regional.RegionalPlan):
        self.deficit = np.zeros((len(plan.countries), len(organisations())))
        self.decay = float(np.exp(-1.0 / plan.leadership_recovery_months))
        self.countries = plan.countries

    def apply(self, factors, reports, weights) -> list[float]:
        removed = np.array([[removed_share(e, a) for e, a in r["org_leaders"]] for r in reports])
        self.deficit = np.minimum(self.deficit * self.decay + removed, 1.0)
        return [float(f) for f in weakened(np.asarray(factors), self.countries, self.deficit, weights)]


def _factors(plan, net, flows, leadership, month, reports) -> list[float]:
    """This month's revenue factors: the flows moved one month, then pooling and shared leadership."""
    by_country, by_route = plan.pressure(month)
    enforcement = {c: rep["enforcement"] for c, rep in zip(plan.countries, reports)}
    flows.step(added_costs(net, plan.flow, by_country, by_route, enforcement, plan.borders, plan.border_risk))
    factors = flows.revenue_factors()
    if plan.transnational:
        factors = pooled(factors, plan.countries, flows.value0)
    factors = [float(f) for f in factors]
    if leadership is not None:
        factors = leadership.apply(factors, reports, flows.value0)
    return factors


def drive(plan: regional.RegionalPlan, partitions, months: int, progress=None) -> pd.DataFrame:
    """The month loop (any partition container with ``reports``, ``step``): returns the monthly flow records."""
    net = Network(plan.countries)
    flows = FlowModel(net, plan.flow) if plan.coupled else None
    leadership = Leadership(plan) if flows is not None and plan.transnational and plan.shared_leadership else None
    mig = plan.migration
    moves = [(*mig.monthly(c), mig.profile) for c in plan.countries] if mig is not None else None
    reports = partitions.reports()
    rows = []
    for month in range(months):
        factors: list[float | None] = [None] * len(plan.countries)
        if flows is not None:
            factors = _factors(plan, net, flows, leadership, month, reports)
        reports = partitions.step(factors, moves)
        rows.append(_record(month, net, flows, factors, reports, None if leadership is None else leadership.deficit))
        if progress is not None:
            progress()
        if not all(rep["running"] for rep in reports) and month + 1 < months:
            raise RuntimeError("a country model stopped before the regional horizon")
    return pd.DataFrame(rows)


def run_region(countries: str | Sequence[str] | None = None, *, corridor: str | None = None,
               scenario: str | library.Scenario = "baseline", agents: int | dict[str, int] = 20_000, years: float = 10,
               burn_in: float = 5, seed: int = 1, coupling: bool | None = None, replicate: int | None = None,
               partitions=None, progress=None, migration: bool | None = None) -> RegionalResult:
    """Run the countries (or corridor) together under ``scenario``; ``partitions``: a callable building the
    partition container from the specs (default ``LocalPartitions``; ``region.dask_run.DaskPartitions``);
    ``progress``: called after every regional month (the burn-ins run while the partitions are built);
    ``migration``: people cross borders (None: the scenario's ``[region] migration``, default off)."""
    codes = resolve_countries(countries if countries is None or isinstance(countries, str) else list(countries), corridor)
    sc = scenario if isinstance(scenario, library.Scenario) else regional.load(scenario)
    plan = regional.plan(sc, codes, coupling, migration)
    specs = specs_for(plan, agents=agents, years=years, burn_in=burn_in, seed=seed, replicate=replicate)
    months = int(round(years * 12))
    if months < 1:
        raise RegionError("years: the regional horizon must be at least one month")
    tic = time.perf_counter()
    parts = (partitions or LocalPartitions)(specs)
    try:
        flows = drive(plan, parts, months, progress)
        done = parts.finish()
    finally:
        parts.close()
    out = {c: d for c, d in zip(plan.countries, done)}
    return RegionalResult(plan, out, flows, Network(plan.countries), time.perf_counter() - tic)
