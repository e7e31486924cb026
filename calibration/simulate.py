"""One calibration simulation: a profile, parameter values and a seed in, summary statistics out.

The statistics are averages over a window (default the 3 years after the 5-year burn-in, the state a
scenario run starts from). Homicide statistics use **expected** homicides rather than counted ones:
each month, before the month is simulated, the model's own homicide risk of every youth given the
state (``model.violence``) is summed by sex, age, membership and cause. This is the conditional
expectation of that month's homicides, so it keeps every source of variation that changes the state
(who joins, territory, conflict, arrests) and drops only the Poisson noise of the victims' draw,
which at 50,000 agents is large (a run sees a few dozen youth homicides a year: the counted homicide
rate has a coefficient of variation of ~20% between replicates, the expected one ~2%). At national
scale (millions of people, thousands of homicides) that Poisson noise is small, so the expected
rate is also the better model of the observed statistic. Incarceration and membership are stocks
averaged over the window (low noise). The counted rate is kept as ``homicide_rate_counted``.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from model import RecruitmentModel, violence

#: Statistics a simulation returns (targets first, then predictions and input checks).
STATISTICS = (
    "homicide_rate", "incarceration_rate", "male_share_victims", "male_15_29_homicide_rate",
    "group_share_homicides", "firearm_share", "members",
    "homicide_rate_counted", "member_prevalence_per_1000", "recruits_per_year", "arrests_per_year",
    "neet_rate_15_24", "completion_rate_20_24",
)


@dataclass(frozen=True)
class Settings:
    """How each calibration simulation is run (recorded with every posterior)."""

    agents: int = 50_000
    years: float = 3.0  # window after the burn-in over which the statistics are averaged
    burn_in: float = 5.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _expected_homicides(model) -> dict[str, float]:
    """Expected youth homicides this month given the current state, by category (agent units)."""
    pop = model.pop
    idx = np.arange(pop.n)
    p_group, p_other = violence._risk(model, idx)
    p = p_group + p_other
    age = pop.age_years(model.t, idx)
    m1529 = pop.male & (age >= 15)
    return {
        "youth": float(p.sum()),
        "group": float(p_group.sum()),
        "male": float(p[pop.male].sum()),
        "male_15_29": float(p[m1529].sum()),
        "males_15_29": float(np.count_nonzero(m1529 & pop.alive)),
    }


def simulate(profile: str, params: dict[str, float], seed: int, settings: Settings = Settings(),
             policies: list | None = None) -> dict[str, float]:
    """Run one simulation and return its summary statistics (see ``STATISTICS``)."""
    tic = time.perf_counter()
    model = RecruitmentModel(profile, n_agents=settings.agents, years=settings.years, burn_in_years=settings.burn_in,
                             params=params, policies=policies, rng=seed, collect=False)
    acc = dict.fromkeys(("youth", "group", "male", "male_15_29", "males_15_29"), 0.0)
    while model.running:
        for k, v in _expected_homicides(model).items():
            acc[k] += v
        model.step()
    df = model.results()
    P, months = model.p, len(df)
    ratio = P.adult_homicide_ratio
    youth, group = acc["youth"], acc["group"]
    total = youth * (1.0 + ratio)
    years = months / 12.0
    per_year = model.scale / years
    out = {
        "homicide_rate": total * per_year / model.population * 1e5,
        "incarceration_rate": float(df["incarceration_rate"].mean()),
        "male_share_victims": (acc["male"] + P.adult_male_share * ratio * youth) / total if total > 0 else np.nan,
        "male_15_29_homicide_rate": acc["male_15_29"] * 12.0 / max(acc["males_15_29"], 1.0) * 1e5,
        "group_share_homicides": group / youth if youth > 0 else np.nan,
        "firearm_share": (P.firearm_share_group * group + P.firearm_share_other * (youth - group)) / youth if youth > 0 else np.nan,
        "members": float(df["members"].mean()),
        "homicide_rate_counted": float(df["homicides"].sum()) / years / model.population * 1e5,
        "member_prevalence_per_1000": float(df["member_prevalence_per_1000"].mean()),
        "recruits_per_year": float(df["recruits"].sum()) / years,
        "arrests_per_year": float(df["arrests"].sum()) / years,
        "neet_rate_15_24": float(df["neet_rate_15_24"].mean()),
        "completion_rate_20_24": float(df["completion_rate_20_24"].mean()),
        "seconds": time.perf_counter() - tic,
    }
    return {k: float(v) for k, v in out.items()}


def run_task(task: tuple[str, dict[str, float], int, dict[str, Any]]) -> dict[str, float]:
    """Picklable entry point for the engines: ``(profile, params, seed, settings dict)``."""
    profile, params, seed, settings = task
    return simulate(profile, params, seed, Settings(**settings))
