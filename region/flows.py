"""The flow model: how cocaine re-routes when a route's cost rises, and what that does to prices, volume and
each country's revenue.

Each month, given the added cost ``dc[r]`` of every route (interdiction and enforcement on it, as a share
of the route's delivered price; 0 at baseline):

1. **route choice** (a logit within each source country, with the base shares as the constants):
   ``w[r] = share0[r] x exp(-logit_scale x dc[r])``; the target share of route r is ``w[r] / W[s]``, with
   ``W[s]`` the sum of ``w`` over source s's routes;
2. **price** (the expected cheapest route, the logit's log-sum): ``p[s] = (W[s] / W0[s])^(-1 / logit_scale)``:
   if every route of s costs ``d`` more the price rises by a factor ``exp(d)``; if one does, by less, since
   traffickers avoid it;
3. **volume** (demand responds to price): ``Q[s] = Q0[s] x p[s]^demand_elasticity``;
4. **adjustment**: route flows and prices move toward these targets with time constant ``adjustment_months``;
5. **country revenue**: country c's trafficking revenue index is the value (flow x price) of the routes that
   start in or cross c relative to baseline, ``I[c]``, and its groups' revenue factor is
   ``1 + drug_revenue_share x (I[c] - 1)`` (the rest of their revenue does not depend on cocaine).

With no added cost every quantity equals its baseline exactly (same floating-point operations), so a
coupled baseline reproduces the separate country runs bit for bit. Parameters, ranges and sources:
``region/data/parameters.csv`` and ``docs/region.md``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np

from .routes import Network, RegionError, settings

#: the ``[region]`` keys besides the flow model's parameters (read by ``region.scenario`` and ``region.migration``)
REGION_KEYS = ("coupling", "transnational", "shared_leadership", "leadership_recovery_months", "migration",
               "migration_flows", "migration_youth_share", "migration_scale", "arrival_poor", "arrival_out_of_school",
               "arrival_completed_secondary", "arrival_adult_kin", "intelligence_sharing", "intelligence_member_arrest",
               "intelligence_leader_arrest", "intelligence_unit_cost", "border_security", "border_risk", "border_unit_cost")


@dataclass(frozen=True)
class FlowParams:
    """The flow model's settings (defaults from ``region/data/parameters.csv``)."""

    logit_scale: float
    demand_elasticity: float
    interdiction_risk: float
    enforcement_risk: float
    drug_revenue_share: float
    adjustment_months: float
    production_tonnes: float

    @classmethod
    def from_settings(cls, overrides: dict | None = None, where: str = "[region]") -> FlowParams:
        base = settings()
        values = {f.name: base[f.name].value for f in fields(cls)}
        for key, v in (overrides or {}).items():
            if key not in values:
                raise RegionError(f"{where}: unknown setting '{key}'; allowed: {', '.join((*REGION_KEYS, *values))}")
            s = base[key]
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not s.low <= v <= s.high:
                raise RegionError(f"{where}: '{key}' = {v!r} is outside its range [{s.low:g}, {s.high:g}] ({s.unit})")
            values[key] = float(v)
        return cls(**values)


def equilibrium(net: Network, P: FlowParams, dc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Target route flows (share-of-production units) and source prices (1 = baseline) for added costs ``dc``."""
    k = len(net.sources)
    w = net.share0 * np.exp(-P.logit_scale * dc)
    W = np.bincount(net.source_of, weights=w, minlength=k)
    W0 = np.bincount(net.source_of, weights=net.share0, minlength=k)
    price = (W / W0) ** (-1.0 / P.logit_scale)
    volume = net.production0 * price ** P.demand_elasticity
    return volume[net.source_of] * w / W[net.source_of], price


class FlowModel:
    """Monthly state of the flows: route flows ``flow`` and source prices ``price`` (both start at baseline)."""

    def __init__(self, net: Network, params: FlowParams):
        self.net, self.p = net, params
        self.flow0, self.price0 = equilibrium(net, params, np.zeros(len(net.routes)))
        self.flow, self.price = self.flow0.copy(), self.price0.copy()
        self.rate = 1.0 - math.exp(-1.0 / params.adjustment_months)
        base = net.touch.T @ (self.flow0 * self.price0[net.source_of])
        self.value0 = base

    def step(self, dc: np.ndarray) -> None:
        """Move one month toward the equilibrium for added route costs ``dc``."""
        target, price = equilibrium(self.net, self.p, dc)
        self.flow = self.flow + self.rate * (target - self.flow)
        self.price = self.price + self.rate * (price - self.price)

    def revenue_index(self) -> np.ndarray:
        """Per simulated country: the value of the flows through it relative to baseline (1 if none cross it)."""
        value = self.net.touch.T @ (self.flow * self.price[self.net.source_of])
        return np.where(self.value0 > 0, value / np.where(self.value0 > 0, self.value0, 1.0), 1.0)

    def revenue_factors(self) -> np.ndarray:
        return 1.0 + self.p.drug_revenue_share * (self.revenue_index() - 1.0)

    def country_tonnes(self) -> np.ndarray:
        """Tonnes per year starting in or crossing each simulated country."""
        return self.net.touch.T @ self.flow * self.p.production_tonnes


def added_costs(net: Network, P: FlowParams, interdicting: dict[str, int], routes: dict[str, int],
                enforcement: dict[str, float], borders: dict[str, int] | None = None,
                border_risk: float = 0.0) -> np.ndarray:
    """Added cost of each route: ``interdiction_risk`` per interdicting country on it (``interdicting``: country ->
    number of active interdiction policies) and per route policy on it (``routes``), plus ``enforcement_risk``
    x (mean member-arrest multiplier - 1) of each country on it, plus ``border_risk`` per land crossing of the
    border of each country with border security (``borders``: country -> policies)."""
    dc = np.zeros(len(net.routes))
    for c, n in (borders or {}).items():
        dc += border_risk * n * net.land_crossings(c)
    for c, n in interdicting.items():
        dc += P.interdiction_risk * n * net.routes_through(c)
    for name, n in routes.items():
        dc[net.route_index(name)] += P.interdiction_risk * n
    for c, e in enforcement.items():
        if e != 1.0:
            dc += P.enforcement_risk * (e - 1.0) * net.routes_through(c)
    return dc


def own_revenue_alone(net: Network, P: FlowParams, country: str, risk: float) -> float:
    """Equilibrium revenue factor of ``country`` when it alone interdicts with added cost ``risk``."""
    dc = risk * net.routes_through(country).astype(float)
    flow, price = equilibrium(net, P, dc)
    flow0, price0 = equilibrium(net, P, np.zeros(len(net.routes)))
    mask = net.routes_through(country)
    index = float((flow * price[net.source_of])[mask].sum() / (flow0 * price0[net.source_of])[mask].sum())
    return 1.0 + P.drug_revenue_share * (index - 1.0)


def calibrate_interdiction_risk(countries: tuple[str, ...], target: float = 0.959, P: FlowParams | None = None) -> float:
    """The ``interdiction_risk`` at which one country interdicting alone keeps, on average over ``countries``,
    ``target`` of its groups' revenue (0.959: the single-country lever's evidence median)."""
    from scipy.optimize import brentq

    P = P or FlowParams.from_settings()
    net = Network(tuple(countries))
    gap = lambda d: np.mean([own_revenue_alone(net, P, c, d) for c in countries]) - target  # noqa: E731
    return float(brentq(gap, 1e-6, 1.0, xtol=1e-6))
