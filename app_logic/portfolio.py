"""The best portfolio for a budget among a comparison's options, chosen by the project's optimiser.

The choice is ``recruitsim.economics.optimise`` (the one ``recruitsim compare --budget`` uses): each option's
response is its paired homicides averted (median and 10%/90% quantiles over the replicates, discounted) and its
cost its programme spending per year (median, 2024 USD, undiscounted: what a budget line pays). It is
**risk-aware**: an option whose 10% quantile of homicides averted is not above zero is never bought, and the
objective is the sum of the chosen options' 10% quantiles (an exact integer programme).

Options that share a lever (mentoring and a package with mentoring) are one group, of which at most one is
bought, so no lever is counted twice. The portfolio's totals are the sums of its options' paired outcomes,
replicate by replicate (median and 10-90% range of those sums): that assumes the effects add up, which they need
not (the options share youths and groups), so the page offers to run the portfolio as a package of its own.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from recruitsim.economics import cea, optimise

from .budget import money
from .options import Option, own_option
from .state import Settings
from .summary import complete_pairs, format_value

OUTCOME = "homicides"


@dataclass(frozen=True)
class Pick:
    name: str
    label: str
    annual_cost: float
    homicides: tuple[float, float, float]  # median, 10%, 90% over the paired replicates
    recruits: tuple[float, float, float]


@dataclass(frozen=True)
class Portfolio:
    budget: float
    picks: tuple[Pick, ...]
    homicides: tuple[float, float, float]  # the sum of the picks' paired outcomes: median, 10%, 90%
    recruits: tuple[float, float, float]
    excluded: tuple[str, ...]  # labels: not distinguishable from no effect
    not_bought: tuple[str, ...]  # labels: a clear effect, but over the budget or beaten by an option sharing a lever
    replicates: int
    message: str

    @property
    def annual_cost(self) -> float:
        return float(sum(p.annual_cost for p in self.picks))


def lever_groups(options: tuple[Option, ...]) -> dict[str, str]:
    """Option name -> group: options sharing a lever (directly or through others) are one group."""
    parent = {o.name: o.name for o in options}

    def root(n: str) -> str:
        while parent[n] != n:
            n = parent[n]
        return n

    owner: dict[str, str] = {}
    for o in options:
        for kind in o.kinds:
            if kind in owner:
                parent[root(o.name)] = root(owner[kind])
            else:
                owner[kind] = o.name
    return {o.name: root(o.name) for o in options}


def _spread(x: np.ndarray) -> tuple[float, float, float]:
    if x.size == 0:
        return (math.nan, math.nan, math.nan)
    lo, hi = np.quantile(x, cea.QUANTILES)
    return (float(np.median(x)), float(lo), float(hi))


def _paired(results: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    totals, _ = cea.run_totals(results, 0.03, settings.policy_kinds())
    return cea.paired_differences(totals, "baseline")


def _grid(results: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """The optimiser's input: one row per option (group, programme cost per year, homicides averted quantiles)."""
    groups = lever_groups(settings.options)
    grid = [optimise.Option(groups[o.name], math.nan, o.name, o.name) for o in settings.options]
    return optimise.evaluate(results, grid, OUTCOME, policy_kinds=settings.policy_kinds())


def best(results: pd.DataFrame, settings: Settings, budget: float) -> Portfolio:
    """The best portfolio of the comparison's options for ``budget`` USD a year (programme spending)."""
    results = complete_pairs(results)
    n = int(results["replicate"].nunique()) if len(results) else 0
    labels = settings.labels
    if n < 2:
        return Portfolio(budget, (), (0, 0, 0), (0, 0, 0), (), (), n, "The optimiser needs at least 2 finished replicates "
                         "to tell an effect from noise; wait for the run, or run more replicates.")
    chosen = optimise.choose_options(_grid(results, settings), budget)
    paired = _paired(results, settings)
    picks = []
    for r in chosen[chosen["chosen"]].itertuples():
        p = paired[paired["scenario"] == r.name]
        picks.append(Pick(r.name, labels.get(r.name, r.name), float(r.annual_cost),
                          _spread(p["homicides_averted"].to_numpy(float)), _spread(p["recruits_averted"].to_numpy(float))))
    excluded = tuple(labels.get(x, x) for x in chosen.loc[~chosen["eligible"], "name"])
    not_bought = tuple(labels.get(x, x) for x in chosen.loc[chosen["eligible"] & ~chosen["chosen"], "name"])
    mine = paired[paired["scenario"].isin([p.name for p in picks])].groupby("replicate")
    total_h = mine["homicides_averted"].sum().to_numpy(float) if picks else np.zeros(0)
    total_r = mine["recruits_averted"].sum().to_numpy(float) if picks else np.zeros(0)
    return Portfolio(budget, tuple(picks), _spread(total_h), _spread(total_r), excluded, not_bought, n,
                     _message(budget, picks, chosen, labels))


def _message(budget: float, picks: list[Pick], chosen: pd.DataFrame, labels: dict[str, str]) -> str:
    if picks:
        return f"For USD {money(budget)} a year the optimiser buys: " + "; ".join(p.label for p in picks) + "."
    clear = chosen[chosen["eligible"]]
    if clear.empty:
        return (f"Nothing to buy for USD {money(budget)} a year: no option of this comparison has an effect on homicides "
                "distinguishable from no effect (its 10% quantile over the replicates is not above zero).")
    cheapest = clear.sort_values("annual_cost").iloc[0]
    return (f"Nothing distinguishable from no effect fits USD {money(budget)} a year: the cheapest option with a clear "
            f"effect on homicides, {labels.get(cheapest['name'], cheapest['name'])}, costs USD "
            f"{money(cheapest['annual_cost'])} a year.")


def suggested_budget(results: pd.DataFrame, settings: Settings) -> float:
    """A budget to start from: the median programme spending per year of the comparison's options (2 figures)."""
    try:
        costs = _grid(complete_pairs(results), settings)["annual_cost"].to_numpy(float)
    except Exception:  # no finished pair yet: any round figure will do
        return 1e9
    costs = costs[np.isfinite(costs) & (costs > 0)]
    if costs.size == 0:
        return 1e9
    v = float(np.median(costs))
    digits = int(math.floor(math.log10(v))) - 1
    return float(round(v, -digits))


def as_package(port: Portfolio, settings: Settings) -> Option:
    """The portfolio as an own package (its options' levers together), to simulate it as one scenario."""
    specs = [spec for p in port.picks for spec in settings.option(p.name).specs]
    return own_option(f"Portfolio for USD {money(port.budget)} a year", specs,
                      "Best portfolio for the budget: " + "; ".join(p.label for p in port.picks))


def _figure(t: tuple[float, float, float]) -> str:
    """Median with its 10-90% range; a range including zero reads "no clear effect" (never a gain or a loss)."""
    e = html.escape
    med, lo, hi = (e(format_value(x, "count")) for x in t)
    if t[1] <= 0 <= t[2]:
        return f'<span class="rs-unclear-text">no clear effect</span><span class="rs-range">median {med}; {lo} to {hi}</span>'
    return f'{med}<span class="rs-range">{lo} to {hi}</span>'



def portfolio_html(port: Portfolio) -> str:
    """What the portfolio buys, as one HTML table (escaped)."""
    e = html.escape
    out = ['<table class="rs-table rs-rank rs-portfolio-table"><thead><tr><th>Option bought</th><th>Programme spending '
           'per year</th><th>Homicides averted</th><th>Recruits averted</th></tr></thead><tbody>']
    for p in port.picks:
        out.append(f'<tr><td class="rs-rank-option">{e(p.label)}</td><td class="num">USD {e(money(p.annual_cost))}</td>'
                   f'<td class="num">{_figure(p.homicides)}</td><td class="num">{_figure(p.recruits)}</td></tr>')
    if len(port.picks) > 1:
        out.append(f'<tr class="rs-rank-baseline"><td class="rs-rank-option">Together (if the effects add up)</td>'
                   f'<td class="num">USD {e(money(port.annual_cost))}</td><td class="num">{_figure(port.homicides)}</td>'
                   f'<td class="num">{_figure(port.recruits)}</td></tr>')
    out.append("</tbody></table>")
    return "".join(out)
