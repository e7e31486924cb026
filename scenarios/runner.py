"""Running scenarios: one (scenario, replicate) unit at a time, with common random numbers.

Replicate ``r`` of a run with base seed ``s`` uses the seed ``replicate_seed(s, r)`` in *every*
scenario, so each scenario meets the same random streams (CRN) and paired differences from baseline
are precise. ``run_unit`` is a plain function of picklable arguments, so any engine (local processes
or Dask workers) can run it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from calibration import posterior
from model import RecruitmentModel
from model.streams import replicate_seed

from . import library


@dataclass(frozen=True)
class Unit:
    """One simulation: a scenario, a replicate, and the settings shared by the whole sweep."""

    scenario: str  # library name or path of a .toml file
    replicate: int
    country: str = "LAC"
    agents: int = 50_000
    years: float = 10
    burn_in: float = 5
    seed: int = 1
    params: dict[str, Any] = field(default_factory=dict)  # e.g. a posterior draw or a design point
    point: int = -1  # design point index for grid / space-filling sweeps (-1: none)

    @property
    def key(self) -> tuple[str, int, int]:
        return (self.scenario_name, self.point, self.replicate)

    @property
    def scenario_name(self) -> str:
        return library.load(self.scenario).name


def run_unit(unit: Unit) -> pd.DataFrame:
    """Run one unit and return its monthly results with ``scenario``, ``replicate`` (and ``point``) columns."""
    sc = library.load(unit.scenario)
    # calibration: replicate r uses draw r of the country's posterior (the same in every scenario);
    # the scenario's and the unit's explicit params win over it
    params = {**(posterior.draw(unit.country, unit.replicate) or {}), **sc.params, **unit.params}
    model = RecruitmentModel(unit.country, n_agents=unit.agents, years=unit.years, burn_in_years=unit.burn_in,
                             params=params, policies=sc.policies(), rng=replicate_seed(unit.seed, unit.replicate),
                             collect=False)
    df = model.run()
    df.insert(0, "scenario", sc.name)
    df.insert(1, "replicate", unit.replicate)
    if unit.point >= 0:
        df.insert(2, "point", unit.point)
    return df
