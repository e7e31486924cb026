"""One calibration simulation: a profile, parameter values and a seed in, summary statistics out.

The statistics are averages over a window (default the 3 years after the 5-year burn-in, the state a
scenario run starts from). Homicide statistics use the model's **expected** homicide outputs
(``*_expected`` columns: each month the sum of every youth's homicide probability given the state,
i.e. the conditional expectation of the count) rather than the counted victims. This keeps every
source of variation that changes the state (who joins, territory, conflict, arrests) and drops only
the Poisson noise of drawing the victims, which at 50,000 agents is large: a run sees a few dozen
youth homicides a year, so the counted homicide rate varies by ~20% between replicates and the
expected one by ~2%. At national scale (thousands of homicides a year) that Poisson noise is small, so
the expected rate is also the better model of the observed statistic. Incarceration and membership
are stocks averaged over the window. The counted rate is kept as ``homicide_rate_counted``.

``members_trend`` and ``homicide_trend`` are the yearly log change of members and of expected youth
homicides over the window (slope of their log monthly values, x 12): the calibration asks them to be
near 0, so that a calibrated status quo holds still instead of collapsing or exploding by itself.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from recruitsim.model import RecruitmentModel

#: Statistics a simulation returns (targets first, then predictions and input checks).
STATISTICS = (
    "homicide_rate", "incarceration_rate", "male_share_victims", "male_15_29_homicide_rate",
    "group_share_homicides", "firearm_share", "members",
    "homicide_rate_counted", "member_prevalence_per_1000", "recruits_per_year", "arrests_per_year",
    "neet_rate_15_24", "completion_rate_20_24", "members_trend", "homicide_trend",
    "displaced_per_year", "displaced_stock", "trafficked_per_year", "youth_offences_per_year",
)


@dataclass(frozen=True)
class Settings:
    """How each calibration simulation is run (recorded with every posterior)."""

    agents: int = 50_000
    years: float = 3.0  # window after the burn-in over which the statistics are averaged
    burn_in: float = 5.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def simulate(profile: str, params: dict[str, float], seed: int, settings: Settings = Settings(),
             policies: list | None = None) -> dict[str, float]:
    """Run one simulation and return its summary statistics (see ``STATISTICS``)."""
    tic, cpu = time.perf_counter(), time.process_time()
    model = RecruitmentModel(profile, n_agents=settings.agents, years=settings.years, burn_in_years=settings.burn_in,
                             params=params, policies=policies, rng=seed, collect=False, draw=None)
    df = model.run()
    P, months = model.p, len(df)
    years = months / 12.0
    youth = float(df["homicides_youth_expected"].sum())
    group = float((df["group_share_homicides_expected"].fillna(0.0) * df["homicides_youth_expected"]).sum())
    male_youth = float(df["homicides_male_expected"].sum()) - P.adult_male_share * P.adult_homicide_ratio * youth
    raw = {
        # quantities that do not depend on the output parameters
        "youth_homicide_rate": youth / years / model.population * 1e5,  # youth victims per 100,000 population
        "youth_male_share": male_youth / youth if youth > 0 else np.nan,
        "group_share_homicides": group / youth if youth > 0 else np.nan,
        "adults_inside_rate": float(df["incarceration_rate"].mean()) / (1.0 + P.adult_prisoner_ratio),
        "youth_homicide_rate_counted": float(df["homicides_youth"].sum()) / years / model.population * 1e5,
        "adult_male_share": P.adult_male_share,
        "male_15_29_homicide_rate": float(df["male_15_29_homicide_rate_expected"].mean()),
        "members": float(df["members"].mean()),
        "member_prevalence_per_1000": float(df["member_prevalence_per_1000"].mean()),
        "recruits_per_year": float(df["recruits"].sum()) / years,
        "arrests_per_year": float(df["arrests"].sum()) / years,
        "neet_rate_15_24": float(df["neet_rate_15_24"].mean()),
        "completion_rate_20_24": float(df["completion_rate_20_24"].mean()),
        "displaced_per_year": float(df["displaced_people"].sum()) / years,  # people of all ages
        "displaced_stock": float(df["displaced_stock_people"].mean()),
        "trafficked_per_year": float(df["trafficked_new"].sum()) / years,  # new victims 10-29 (external check)
        # violent and property offences by youths 10-29, victims of any age (external check)
        "youth_offences_per_year": float(df["offences_violent"].sum() + df["offences_property"].sum()) / years,
        "members_trend": _trend(df, "members"),
        "homicide_trend": _trend(df, "homicides_youth_expected"),
        "seconds": time.perf_counter() - tic,
        "cpu_seconds": time.process_time() - cpu,
    }
    raw.update({f"used_{k}": getattr(P, k) for k in OUTPUT_DEFAULTS})  # the run's output parameters
    raw = {k: float(v) for k, v in raw.items()}
    return with_outputs(raw, {})


def _trend(df, column: str) -> float:
    """Yearly log change of a column over the run: least-squares slope of its log monthly values x 12
    (nan for fewer than 2 months; -inf if it dies out)."""
    v = df[column].to_numpy(float)
    if v.size < 2:
        return math.nan
    if np.any(v <= 0):
        return -math.inf if v[-1] <= 0 < v[0] else math.nan
    return float(np.polyfit(np.arange(v.size), np.log(v), 1)[0] * 12.0)


#: The output parameters (see ``priors.OUTPUTS``) and how the statistics depend on them.
OUTPUT_DEFAULTS = ("adult_homicide_ratio", "adult_prisoner_ratio", "firearm_share_group", "firearm_share_other")


def with_outputs(raw: dict[str, float], values: dict[str, float]) -> dict[str, float]:
    """The statistics of a simulation for given output parameters (closed form; no re-simulation).
    Output parameters missing from ``values`` keep the simulated run's values.

    homicide rate = youth rate x (1 + adult ratio); male share = (youth male victims + adult male share
    x adult victims) / all victims; incarceration = prisoners 18-29 x (1 + adult prisoner ratio);
    firearm share = group-linked share x firearm_share_group + the rest x firearm_share_other.
    """
    v = {k: values.get(k, raw[f"used_{k}"]) for k in OUTPUT_DEFAULTS}
    a, r, g = v["adult_homicide_ratio"], v["adult_prisoner_ratio"], raw["group_share_homicides"]
    out = dict(raw)
    out["homicide_rate"] = raw["youth_homicide_rate"] * (1.0 + a)
    out["homicide_rate_counted"] = raw["youth_homicide_rate_counted"] * (1.0 + a)
    out["male_share_victims"] = (raw["youth_male_share"] + raw["adult_male_share"] * a) / (1.0 + a)
    out["incarceration_rate"] = raw["adults_inside_rate"] * (1.0 + r)
    out["firearm_share"] = v["firearm_share_group"] * g + v["firearm_share_other"] * (1.0 - g)
    return out


def run_task(task: tuple[str, dict[str, float], int, dict[str, Any]]) -> dict[str, float]:
    """Picklable entry point for the engines: ``(profile, params, seed, settings dict)``."""
    profile, params, seed, settings = task
    return simulate(profile, params, seed, Settings(**settings))
