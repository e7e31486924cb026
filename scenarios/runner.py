"""Running scenarios: one (scenario, replicate) unit at a time, with common random numbers.

Replicate ``r`` of a run with base seed ``s`` uses the seed ``replicate_seed(s, r)`` in *every*
scenario, so each scenario meets the same random streams (CRN) and paired differences from baseline
are precise. Replicate ``r`` also runs posterior draw ``r`` (``model.posteriors``) and policy effect set
``r`` (``model.effects``) in every scenario. ``run_unit`` is a plain function of picklable arguments, so any engine (local processes
or Dask workers) can run it.

Burn-in reuse. Policies act only from month 0 and the processes' random-number ceilings do not depend
on them, so the burn-in of every scenario of one replicate (with the same model parameters, country
and size) is the same simulation. ``run_group`` runs it once, then ``copy.deepcopy``-s the model for
each scenario and attaches that scenario's policies; the results are bit-identical to ``run_unit``
(``tests/test_runner.py`` checks it) and a sweep of many scenarios saves most of its burn-in time.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from recruitsim.model import RecruitmentModel
from recruitsim.model import effects as effect_sets
from recruitsim.model import posteriors as posterior
from recruitsim.model.streams import replicate_seed

from . import library


@dataclass(frozen=True)
class Unit:
    """One simulation: a scenario, a replicate, and the settings shared by the whole sweep.

    ``scenario`` is a library name, the path of a ``.toml`` file, or an already loaded
    ``library.Scenario`` (what sweeps pass, so that workers on other machines need no files).
    """

    scenario: str | library.Scenario
    replicate: int
    country: str = "LAC"
    agents: int = 50_000
    years: float = 10
    burn_in: float = 5
    seed: int = 1
    params: dict[str, Any] = field(default_factory=dict)  # e.g. a posterior draw or a design point
    point: int = -1  # design point index for grid / space-filling sweeps (-1: none)
    #: policy effects: "draw" (replicate r runs effect set r, as it runs posterior draw r) or "point"
    #: (the evidence medians); default from RECRUITSIM_EFFECTS (``--point-effects``)
    effects: str = field(default_factory=effect_sets.mode)

    def resolved(self) -> library.Scenario:
        return self.scenario if isinstance(self.scenario, library.Scenario) else library.load(self.scenario)

    @property
    def key(self) -> tuple[str, int, int]:
        return (self.scenario_name, self.point, self.replicate)

    @property
    def scenario_name(self) -> str:
        return self.resolved().name

    def model_params(self) -> dict[str, Any]:
        """The scenario's parameter overrides with the unit's own on top."""
        # calibration: replicate r uses draw r of the country's posterior (the same in every scenario);
        # the scenario's and the unit's explicit params win over it
        return {**(posterior.draw(self.country, self.replicate) or {}), **self.resolved().params, **self.params}

    def effect_values(self) -> dict[str, float]:
        """The policy effect set of this replicate: effect set r (the same in every scenario), or the point
        values. A policy's explicit settings win over it (``Policy.use_effects``)."""
        return effect_sets.for_replicate(self.replicate, self.effects)

    def burn_in_key(self) -> str:
        """Units with the same key run the same burn-in (policies play no part in it)."""
        return json.dumps([self.country, self.agents, self.years, self.burn_in, self.seed, self.replicate,
                           sorted(self.model_params().items()), self.effects])


def _annotate(df: pd.DataFrame, unit: Unit, name: str) -> pd.DataFrame:
    df.insert(0, "scenario", name)
    df.insert(1, "replicate", unit.replicate)
    if unit.point >= 0:
        df.insert(2, "point", unit.point)
    return df


def run_unit(unit: Unit) -> pd.DataFrame:
    """Run one unit and return its monthly results with ``scenario``, ``replicate`` (and ``point``) columns."""
    sc = unit.resolved()
    model = RecruitmentModel(unit.country, n_agents=unit.agents, years=unit.years, burn_in_years=unit.burn_in,
                             params=unit.model_params(), policies=sc.policies(),
                             rng=replicate_seed(unit.seed, unit.replicate), collect=False, draw=None,
                             effects=unit.effect_values())
    return _annotate(model.run(), unit, sc.name)


def run_group(units: Sequence[Unit]) -> list[pd.DataFrame]:
    """Run units that share a burn-in (same ``burn_in_key``): one burn-in, then one copy per scenario.

    Returns one DataFrame per unit, in order, identical to ``[run_unit(u) for u in units]``.
    """
    if not units:
        return []
    first = units[0]
    key = first.burn_in_key()
    if any(u.burn_in_key() != key for u in units[1:]):
        raise ValueError("run_group: the units do not share a burn-in (country, size, seed, replicate or params differ)")
    base = RecruitmentModel(first.country, n_agents=first.agents, years=first.years, burn_in_years=first.burn_in,
                            params=first.model_params(), rng=replicate_seed(first.seed, first.replicate), collect=False,
                            draw=None, effects=first.effect_values())
    out = []
    for i, unit in enumerate(units):
        sc = unit.resolved()
        model = base if i == len(units) - 1 else copy.deepcopy(base)
        for policy in sc.policies():
            model.add_policy(policy)
        out.append(_annotate(model.run(), unit, sc.name))
    return out
