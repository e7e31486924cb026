"""Budget allocation: the portfolio of levers and coverage levels that averts the most for a budget.

The levers are the policy kinds; each can be off or run at one coverage level (``LEVELS`` for
individual programmes and area policies, on/off for national ones). Every (lever, level) option is
simulated alone against the baseline with the same paired replicates as the library (reusing a
library scenario where it is exactly that option). Its **response** is the median paired outcome
averted (discounted) and its **cost** the median programme spending per year (2024 USD, not
discounted, which is what a budget line pays).

**Risk-aware objective.** The optimiser never buys noise: an option is eligible only when its 10%
quantile of the paired outcome averted is above zero (the same rule that marks results as
distinguishable from no effect in the comparison table), and the objective is the sum of the chosen
options' 10% quantiles (``effect_lo``), not of their medians. An option with a high median but an
interval reaching zero or below is left out.

The choice is a multiple-choice knapsack, solved exactly on this grid as an integer programme
(``scipy.optimize.milp``, HiGHS branch and bound: a returned status 0 is a proof of optimality):

    maximise   sum_i effect_lo_i x_i
    subject to sum_i cost_i x_i <= budget,   sum_{i in lever l} x_i <= 1 for every lever,   x_i in {0, 1}.

Responses are assumed to add up across levers; they need not (levers share the same youths and the
same groups), so the chosen portfolio is then **simulated as a scenario of its own** and reported
with its paired outcomes and intervals next to the additive prediction. The budget covers programme
spending only; changes in prison spending are reported with the portfolio's incremental cost.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from recruitsim.scenarios import library

from . import cea as economics

LEVELS = (0.1, 0.3, 0.6)


def solve(effects, costs, groups, budget: float) -> np.ndarray:
    """Optimal choice (boolean mask) of at most one option per group within ``budget`` (MILP, exact)."""
    from scipy.optimize import Bounds, LinearConstraint, milp

    e = np.asarray(effects, float)
    c = np.asarray(costs, float)
    g = np.asarray(groups)
    n = e.size
    if n == 0:
        return np.zeros(0, bool)
    useful = np.isfinite(e) & np.isfinite(c) & (e > 0) & (c <= budget)
    if not useful.any():
        return np.zeros(n, bool)
    levels = list(dict.fromkeys(g))
    rows = [c] + [(g == lv).astype(float) for lv in levels]
    ub = [budget] + [1.0] * len(levels)
    res = milp(c=-np.where(useful, e, 0.0), constraints=LinearConstraint(np.array(rows), -np.inf, np.array(ub)),
               integrality=np.ones(n), bounds=Bounds(np.zeros(n), useful.astype(float)))
    if res.status != 0 or res.x is None:
        raise RuntimeError(f"budget optimiser failed: {res.message}")
    return res.x > 0.5


def brute_force(effects, costs, groups, budget: float) -> tuple[float, np.ndarray]:
    """Best total effect and choice by enumerating every portfolio (for tests and small grids)."""
    e, c, g = np.asarray(effects, float), np.asarray(costs, float), np.asarray(groups)
    levels = list(dict.fromkeys(g))
    per = [[None, *np.flatnonzero(g == lv)] for lv in levels]
    best, choice = 0.0, np.zeros(e.size, bool)
    for combo in itertools.product(*per):
        idx = [i for i in combo if i is not None]
        if c[idx].sum() <= budget and e[idx].sum() > best + 1e-12:
            best, choice = float(e[idx].sum()), np.isin(np.arange(e.size), idx)
    return best, choice


@dataclass
class Option:
    kind: str
    coverage: float
    scenario: str  # library name or path of a .toml file
    name: str


@dataclass
class Portfolio:
    budget: float
    outcome: str
    options: pd.DataFrame  # kind, coverage, name, annual_cost, effect, effect_lo, effect_hi, eligible, chosen
    scenario: str | None  # path of the portfolio scenario (None when nothing fits the budget)
    name: str = "portfolio"
    outcomes: dict = field(default_factory=dict)

    @property
    def chosen(self) -> pd.DataFrame:
        return self.options[self.options["chosen"]]

    def attach_outcomes(self, table: pd.DataFrame) -> None:
        row = table[table["name"] == self.name]
        if len(row):
            self.outcomes = {k: (v.item() if hasattr(v, "item") else v) for k, v in row.iloc[0].items()}

    def summary(self) -> str:
        from .compare import count, money

        if self.scenario is None:
            return (f"Budget USD {money(self.budget)}/yr: no lever fits the budget with an effect distinguishable from no effect "
                    f"(10% quantile of {self.outcome} averted > 0); nothing to fund.")
        ch = self.chosen
        parts = [f"{r.kind} {r.coverage:.0%}" if r.coverage < 1 else r.kind for r in ch.itertuples()]
        o = self.outcomes
        n_out = int((~self.options["eligible"]).sum()) if "eligible" in self.options else 0
        lines = [f"Best portfolio for USD {money(self.budget)}/yr (max sum of 10% quantiles of {self.outcome} averted, exact MILP over "
                 f"{len(self.options)} options, {n_out} excluded as not distinguishable from no effect): " + ", ".join(parts),
                 f"  programme spending {money(ch['annual_cost'].sum())}/yr; predicted (sum of single levers) "
                 f"{self.outcome} averted: median {count(ch['effect'].sum())}, sum of 10% quantiles {count(ch['effect_lo'].sum())}"]
        if o:
            key = f"{self.outcome}_averted"
            lines.append(f"  simulated: {self.outcome} averted {count(o[key])} [{count(o[key + '_lo'])}, {count(o[key + '_hi'])}], "
                         f"recruits averted {count(o['recruits_averted'])}, incremental cost {money(o['incremental_cost'])}, "
                         f"net benefit {money(o['net_benefit'])}, P(B>C) {o['p_benefit_exceeds_cost']:.2f}")
        return "\n".join(lines)

    def as_dict(self) -> dict:
        from .compare import json_rows

        chosen = [{"kind": r.kind, "coverage": r.coverage, "annual_cost": float(r.annual_cost), "effect": float(r.effect),
                   "effect_lo": float(r.effect_lo), "effect_hi": float(r.effect_hi)}
                  for r in self.chosen.itertuples()]
        out = {"budget": self.budget, "outcome": self.outcome, "objective": "sum of 10% quantiles of the outcome averted; "
               "options whose 10% quantile is <= 0 excluded", "chosen": chosen,
               "predicted_effect": float(self.chosen["effect"].sum()) if len(self.chosen) else 0.0,
               "predicted_effect_lo": float(self.chosen["effect_lo"].sum()) if len(self.chosen) else 0.0}
        if self.outcomes:
            out["simulated"] = json_rows(pd.DataFrame([self.outcomes]))[0]
        return out


class Plan:
    """The option grid for one country, written as scenario files under ``directory``."""

    def __init__(self, directory: Path, country: str):
        self.directory = Path(directory)
        self.country = country
        self.options = self._options()

    def _library_match(self, kind: str, coverage: float) -> str | None:
        from recruitsim.model.policies import KINDS

        for name in library.names():
            sc = library.load(name)
            if sc.params or len(sc.policy_specs) != 1:
                continue
            spec = sc.policy_specs[0]
            extra = set(spec) - {"kind", "coverage"}
            cov = spec.get("coverage", KINDS[kind].coverage)
            if spec["kind"] == kind and not extra and abs(cov - coverage) < 1e-9:
                return name
        return None

    def _options(self) -> list[Option]:
        from recruitsim.model.policies import KINDS

        out = []
        for kind, k in KINDS.items():
            for cov in ((1.0,) if k.level == "national" else LEVELS):
                name = f"opt_{kind}_{round(cov * 100)}"
                ref = self._library_match(kind, cov)
                out.append(Option(kind, cov, ref or str(self.directory / f"{name}.toml"), ref or name))
        return out

    def option_scenarios(self) -> list[str]:
        self.directory.mkdir(parents=True, exist_ok=True)
        for o in self.options:
            if o.scenario.endswith(".toml"):
                Path(o.scenario).write_text(_toml(o.name, f"Budget option: {o.kind} at coverage {o.coverage:.0%}",
                                                  [(o.kind, o.coverage)]))
        return [o.scenario for o in self.options]

    def evaluate(self, results: pd.DataFrame, outcome: str = "homicides", discount: float = 0.03,
                 homicide_scope: str = "all") -> pd.DataFrame:
        """Each option's response (median paired outcome averted) and programme cost per year."""
        return evaluate(results, self.options, outcome, discount, homicide_scope)

    def choose(self, results: pd.DataFrame, budget: float, outcome: str = "homicides", discount: float = 0.03,
               homicide_scope: str = "all") -> Portfolio:
        opts = choose_options(self.evaluate(results, outcome, discount, homicide_scope), budget)
        ch = opts[opts["chosen"]]
        path = None
        if len(ch):
            self.directory.mkdir(parents=True, exist_ok=True)
            path = str(self.directory / "portfolio.toml")
            desc = f"Best portfolio for USD {budget:,.0f} per year: " + ", ".join(f"{r.kind} {r.coverage:.0%}" for r in ch.itertuples())
            Path(path).write_text(_toml("portfolio", desc, [(r.kind, r.coverage) for r in ch.itertuples()]))
        return Portfolio(budget, outcome, opts, path)


def evaluate(results: pd.DataFrame, options: list[Option], outcome: str = "homicides", discount: float = 0.03,
             homicide_scope: str = "all", policy_kinds: dict[str, str] | None = None) -> pd.DataFrame:
    """Each option's response (median and 10%/90% quantiles of the paired outcome averted, discounted) and its
    programme cost per year (median, undiscounted): the optimiser's input, one row per option.

    ``options``: any scenarios simulated with the baseline in ``results`` (the grid of :class:`Plan`, or the
    options of an app comparison, whose ``kind`` is then the group of which at most one is bought).
    """
    names = ["baseline", *[o.name for o in options]]
    sub = results[results["scenario"].isin(names)]
    totals, _ = economics.run_totals(sub, discount, policy_kinds)
    paired = economics.paired_differences(totals, "baseline", homicide_scope)
    plain, _ = economics.run_totals(sub, 0.0, policy_kinds)
    cost_plain = economics.paired_differences(plain, "baseline", homicide_scope)
    years = (int(sub["month"].max()) + 1) / 12.0
    prog = [c for c in cost_plain if c.startswith("prog_")]
    rows = []
    for o in options:
        p = paired[paired["scenario"] == o.name]
        q = cost_plain[cost_plain["scenario"] == o.name]
        eff = p[f"{outcome}_averted"].to_numpy(float)
        lo, hi = np.quantile(eff, economics.QUANTILES) if eff.size else (np.nan, np.nan)
        rows.append({"kind": o.kind, "coverage": o.coverage, "name": o.name,
                     "annual_cost": float(np.median(q[prog].sum(axis=1))) / years if len(q) else np.nan,
                     "effect": float(np.median(eff)) if eff.size else np.nan, "effect_lo": lo, "effect_hi": hi})
    return pd.DataFrame(rows)


def choose_options(options: pd.DataFrame, budget: float) -> pd.DataFrame:
    """``options`` with ``eligible`` (10% quantile of the outcome averted > 0) and ``chosen`` (risk-aware MILP).

    The objective is the 10% quantile of each option's paired outcome averted, so a noisy option with a
    higher median but an interval reaching zero is never bought.
    """
    opts = options.copy()
    lo = opts["effect_lo"].to_numpy(float)
    opts["eligible"] = np.isfinite(lo) & (lo > 0)
    opts["chosen"] = solve(np.where(opts["eligible"], lo, 0.0), opts["annual_cost"], opts["kind"], budget)
    return opts


def _toml(name: str, description: str, policies: list[tuple[str, float]]) -> str:
    lines = [f'name = "{name}"', f'description = "{description}"', ""]
    for kind, cov in policies:
        from recruitsim.model.policies import KINDS

        cover = [] if KINDS[kind].level == "national" else [f"coverage = {cov:g}"]  # national: everywhere
        lines += ["[[policy]]", f'kind = "{kind}"', *cover, ""]
    return "\n".join(lines)
