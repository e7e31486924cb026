"""``recruitsim sensitivity``: which uncertain parameters drive an outcome (Sobol or Morris, with SALib).

    recruitsim sensitivity --outcome recruits --method sobol --samples 64 --agents 20000 --years 10 --out DIR
    recruitsim sensitivity --outcome homicides --method morris --samples 20 --scenario mentoring --versus baseline ...

The uncertain parameters are ``DEFAULT_PARAMS`` (recruitment odds ratios, group demand, prison
recruitment, arrest, sentence and desistance rates) over their allowed ranges in
``model.params.PARAMETERS``, or those given with ``--params name,name=low:high,name=low:high:log``
(``log``: sampled uniformly in log). SALib draws the sample (Sobol': Saltelli's scheme with
``samples x (D + 2)`` points, first-order and total indices; Morris: ``samples`` trajectories of
``D + 1`` points, elementary effects), every point runs ``--replicates`` times with the common
random numbers of the sweep (replicate ``r`` has the same seed at every point, which takes most of
the simulation noise out of the differences between points), and the outcome of a point is the mean
over its replicates of the per-run statistic of ``scenarios/summary.py`` (total over the horizon for
flows, final-year mean for stocks and rates). With ``--versus REF`` the outcome is the paired
difference scenario - REF at the same parameters: the sensitivity of a policy's *effect*.

The runs go through the sweep machinery (same engines, same resumable store in ``DIR``); the indices
are printed sorted and written to ``DIR/_sensitivity.csv`` and plotted in ``DIR/_sensitivity.png``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from recruitsim.model.params import PARAMETERS

from . import library, summary
from .designs import Arm, Design, Factor, Plan, _apply

DEFAULT_PARAMS = ("recruit_or_neet", "recruit_or_dropout", "recruit_or_home_violence", "recruit_or_peers",
                  "recruit_or_presence", "demand_elasticity", "prison_recruitment", "arrest_member",
                  "sentence_member", "desistance")
METHODS = ("sobol", "morris")


class SensitivityError(ValueError):
    """Bad sensitivity settings (one line for the user)."""


def parse_params(text: str | None) -> list[Factor]:
    """``name`` (allowed range), ``name=low:high`` or ``name=low:high:log``, comma-separated."""
    items = [x.strip() for x in (text.split(",") if text else DEFAULT_PARAMS) if x.strip()]
    factors: list[Factor] = []
    for item in items:
        name, _, rng = item.partition("=")
        name = name.strip()
        if name not in PARAMETERS:
            raise SensitivityError(f"--params: unknown parameter '{name}' (see `recruitsim params`)")
        p = PARAMETERS[name]
        low, high, log = float(p.low), float(p.high), False
        if rng:
            parts = rng.split(":")
            if len(parts) == 3 and parts[2] == "log":
                log, parts = True, parts[:2]
            try:
                low, high = (float(x) for x in parts)
            except ValueError:
                raise SensitivityError(f"--params: '{item}' must be name=low:high or name=low:high:log") from None
            if not p.low <= low < high <= p.high:
                raise SensitivityError(f"--params: '{name}' range [{low:g}, {high:g}] must have low < high inside "
                                       f"the allowed range [{p.low:g}, {p.high:g}]")
        if log and low <= 0:
            raise SensitivityError(f"--params: '{name}' needs low > 0 for a log range")
        if low == high:
            raise SensitivityError(f"--params: '{name}' has an empty range")
        factors.append(Factor(name, low, high, None, name, None, None, log, p.integer))
    if len({f.name for f in factors}) != len(factors):
        raise SensitivityError("--params: a parameter is listed twice")
    if len(factors) < 2:
        raise SensitivityError("--params: give at least 2 parameters")
    return factors


def problem(factors: list[Factor]) -> dict[str, Any]:
    """SALib's problem, on [0, 1] per factor (mapped to the range, uniform or log, by ``Factor.scale``)."""
    return {"num_vars": len(factors), "names": [f.name for f in factors], "bounds": [[0.0, 1.0]] * len(factors)}


def sample(factors: list[Factor], method: str, samples: int, seed: int, levels: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """(unit-cube sample for SALib's analysis, parameter values to run)."""
    prob = problem(factors)
    if method == "sobol":
        from SALib.sample import sobol

        u = sobol.sample(prob, samples, calc_second_order=False, seed=seed)
    else:
        from SALib.sample import morris

        u = morris.sample(prob, samples, num_levels=levels, seed=seed)
    x = np.column_stack([f.scale(u[:, j]) for j, f in enumerate(factors)])
    return u, x


def analyse(factors: list[Factor], method: str, u: np.ndarray, y: np.ndarray, seed: int, levels: int = 4) -> pd.DataFrame:
    """Indices sorted by importance (Sobol: total index ST; Morris: mu*)."""
    prob = problem(factors)
    if method == "sobol":
        from SALib.analyze import sobol

        r = sobol.analyze(prob, y, calc_second_order=False, seed=seed)
        df = pd.DataFrame({"parameter": prob["names"], "S1": r["S1"], "S1_conf": r["S1_conf"], "ST": r["ST"],
                           "ST_conf": r["ST_conf"]})
        key = "ST"
    else:
        from SALib.analyze import morris

        r = morris.analyze(prob, u, y, num_levels=levels, seed=seed)
        df = pd.DataFrame({"parameter": prob["names"], "mu": r["mu"], "mu_star": r["mu_star"], "sigma": r["sigma"],
                           "mu_star_conf": r["mu_star_conf"]})
        key = "mu_star"
    df.insert(1, "low", [f.low for f in factors])
    df.insert(2, "high", [f.high for f in factors])
    return df.sort_values(key, ascending=False, kind="stable").reset_index(drop=True)


def plot(df: pd.DataFrame, method: str, title: str, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    d = df.iloc[::-1]
    fig, ax = plt.subplots(figsize=(7.5, 0.45 * len(d) + 1.6))
    y = np.arange(len(d))
    if method == "sobol":
        ax.barh(y + 0.2, d["ST"], 0.4, xerr=d["ST_conf"], label="total (ST)", color="#c0392b", capsize=2)
        ax.barh(y - 0.2, d["S1"], 0.4, xerr=d["S1_conf"], label="first order (S1)", color="#2980b9", capsize=2)
        ax.set_xlabel("Sobol' index (share of output variance), 95% bootstrap interval")
        ax.axvline(0, color="k", lw=0.6)
    else:
        ax.barh(y, d["mu_star"], 0.6, xerr=d["mu_star_conf"], label="mu* (mean |elementary effect|)", color="#2980b9", capsize=2)
        ax.plot(d["sigma"], y, "o", color="#c0392b", label="sigma (interactions / non-linearity)")
        ax.set_xlabel("Morris elementary effects (outcome units per full parameter range)")
        from matplotlib.ticker import FuncFormatter

        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: ("-" if v < 0 else "") + summary._si(abs(v)) if v else "0"))
    ax.set_yticks(y, d["parameter"])
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    tmp = path.with_name(f".tmp-{path.name}")
    fig.savefig(tmp, dpi=120, format="png")
    plt.close(fig)
    tmp.replace(path)


def build_plan(factors: list[Factor], x: np.ndarray, method: str, scenario: library.Scenario,
               versus: library.Scenario | None) -> Plan:
    n = len(x)
    width = len(str(max(n - 1, 0)))
    design = Design(method, factors, x, "sensitivity")
    arms: list[Arm] = []
    for i, row in enumerate(x):
        vals = {f.name: float(v) for f, v in zip(factors, row, strict=True)}
        ref = None
        if versus is not None:
            ref = f"{versus.name}@{i:0{width}d}"
            arms.append(Arm(ref, _apply(versus, factors, row, ref, "sensitivity"), i, vals, None))
        label = f"{scenario.name}@{i:0{width}d}"
        arms.append(Arm(label, _apply(scenario, factors, row, label, "sensitivity"), i, vals, ref))
    return Plan(arms, versus.name if versus is not None else scenario.name, design, {}, "sensitivity")


def point_outcomes(df: pd.DataFrame, plan: Plan, outcome: str) -> np.ndarray:
    runs = summary.per_run(df, plan.factor_names)[outcome]
    y = np.empty(len(plan.design.points))
    for arm in plan.arms:
        if arm.reference is None and any(a.reference == arm.label for a in plan.arms):
            continue
        mine = runs.loc[arm.label]
        if arm.reference is not None:
            theirs = runs.loc[arm.reference]
            mine = mine - theirs.loc[mine.index]
        y[arm.point] = float(mine.mean())
    return y
