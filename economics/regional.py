"""Regional comparison: regional scenarios against the baseline, priced per country and summed for the region.

Each (scenario, replicate) is one regional run (``region.simulation.run_region``, replicate r: posterior
draw r, effect set r and the same country seeds in every scenario: common random numbers). Each country's
monthly results go through the single-country analysis (``economics.cea.analyse``, with that country's
prices); the region's row adds the countries' means (costs, outcomes averted, benefits, net benefit: who
pays and who gains stays visible per country) and recomputes the ratios. The region's 10-90% interval of
the outcome averted is taken over replicates of the summed paired differences, and a regional option is
ranked only if that interval excludes zero (as in ``compare``). Money intervals and P(B>C) are per country
only (the economic draws are not paired across countries).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from recruitsim.economics import cea

#: columns of the per-country tables that add up over countries
SUMMED = ("program_cost", "prison_cost_change", "incremental_cost", "recruits_averted", "homicides_averted",
          "incarceration_years_averted", "trafficking_victims_averted", "benefits", "net_benefit", "prison_cost_avoided")


@dataclass(frozen=True)
class RegionalTask:
    scenario: Any  # a loaded library.Scenario (picklable: workers need no files)
    replicate: int
    countries: tuple[str, ...]
    agents: Any
    years: float
    burn_in: float
    seed: int
    coupling: bool | None
    migration: bool | None = None  # people cross borders (region.migration)


def run_task(task: RegionalTask) -> tuple[str, int, dict[str, pd.DataFrame], pd.DataFrame]:
    """One regional run (what a worker does): the scenario's name, the replicate, each country's monthly
    results (with ``scenario`` and ``replicate`` columns) and the monthly flows."""
    from recruitsim.region.simulation import run_region

    res = run_region(task.countries, scenario=task.scenario, agents=task.agents, years=task.years, burn_in=task.burn_in,
                     seed=task.seed, coupling=task.coupling, replicate=task.replicate, migration=task.migration)
    frames = {}
    for c, d in res.countries.items():
        df = d["results"].copy()
        df.insert(0, "scenario", task.scenario.name)
        df.insert(1, "replicate", task.replicate)
        frames[c] = df
    flows = res.flows.copy()
    flows.insert(0, "scenario", task.scenario.name)
    flows.insert(1, "replicate", task.replicate)
    return task.scenario.name, task.replicate, frames, flows


def collect(tasks: list[RegionalTask], workers: int | None = None, scheduler: str | None = None, security=None,
            progress=None) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """Run the tasks on an engine; per country one tidy frame (scenario, replicate, month, ...), and the flows."""
    from recruitsim.scenarios.engine import Engine

    per_country: dict[str, list[pd.DataFrame]] = {}
    flows = []
    with Engine(workers=workers) if scheduler is None else Engine(scheduler=scheduler, security=security) as eng:
        for _, (_, _, frames, fl) in eng.map(run_task, tasks):
            for c, df in frames.items():
                per_country.setdefault(c, []).append(df)
            flows.append(fl)
            if progress is not None:
                progress(1)
    out = {}
    for c, parts in per_country.items():
        df = pd.concat(parts, ignore_index=True)
        cost_cols = [k for k in df if k.startswith(("cost_", "enrolled_", "starts_"))]
        df[cost_cols] = df[cost_cols].fillna(0.0)
        out[c] = df.sort_values(["scenario", "replicate", "month"], kind="stable").reset_index(drop=True)
    return out, pd.concat(flows, ignore_index=True).sort_values(["scenario", "replicate", "month"], kind="stable")


def analyse_countries(results: dict[str, pd.DataFrame], policy_kinds: dict[str, str], **kw) -> dict[str, cea.Analysis]:
    return {c: cea.analyse(df, c, policy_kinds=policy_kinds, **kw) for c, df in results.items()}


def region_table(analyses: dict[str, cea.Analysis], outcome: str = "homicides") -> pd.DataFrame:
    """One row per scenario: the countries' sums, ratios of sums, the region's interval and rank."""
    effect = f"{outcome}_averted"
    rows = []
    names = list(next(iter(analyses.values())).table["name"])
    paired = pd.concat([a.paired.assign(_country=c) for c, a in analyses.items()], ignore_index=True)
    for name in names:
        row: dict[str, Any] = {"name": name}
        for col in SUMMED:
            row[col] = float(sum(a.table.set_index("name").loc[name, col] for a in analyses.values()
                                 if col in a.table.columns))
        p = paired[paired["scenario"] == name]
        per_rep = p.groupby("replicate")[effect].sum().to_numpy(float) if effect in p else np.array([])
        row[f"{effect}_lo"], row[f"{effect}_hi"] = (tuple(np.quantile(per_rep, [0.1, 0.9])) if per_rep.size else (np.nan, np.nan))
        row["distinguishable"] = bool(per_rep.size and not (row[f"{effect}_lo"] <= 0 <= row[f"{effect}_hi"]))
        row["cost_per_homicide_averted"] = row["incremental_cost"] / row["homicides_averted"] if row["homicides_averted"] > 0 else np.nan
        row["cost_per_recruit_averted"] = row["incremental_cost"] / row["recruits_averted"] if row["recruits_averted"] > 0 else np.nan
        numer = row["benefits"] + row["prison_cost_avoided"]
        row["bcr"] = numer / row["program_cost"] if row["program_cost"] > 0 and numer > 0 else np.nan
        row["payers"] = {c: float(a.table.set_index("name").loc[name, "program_cost"]) for c, a in analyses.items()}
        row["net_benefit_by_country"] = {c: float(a.table.set_index("name").loc[name, "net_benefit"]) for c, a in analyses.items()}
        rows.append(row)
    t = pd.DataFrame(rows)
    ranked = t["distinguishable"] & (t["name"] != "baseline")
    t["rank"] = t["net_benefit"].where(ranked).rank(ascending=False, method="min").astype("Int64")
    t["_o"] = np.where(ranked, 0, 1)
    return t.sort_values(["_o", "rank", "net_benefit"], ascending=[True, True, False]).drop(columns="_o").reset_index(drop=True)


def flows_by_scenario(flows: pd.DataFrame) -> dict[str, dict[str, float]]:
    """Mean over replicates of the last month's country tonnes and revenue factors, per scenario."""
    last = flows[flows["month"] == flows["month"].max()]
    cols = [c for c in last if c.startswith(("tonnes_", "revenue_factor_")) or c == "total_tonnes"]
    return {s: {c: float(v) for c, v in g[cols].mean().items()} for s, g in last.groupby("scenario")}
