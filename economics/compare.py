"""``recruitsim compare``: run the policy library against the baseline and compare cost-effectiveness.

    recruitsim compare                                  # regional default (LAC), whole library
    recruitsim compare --country HND --budget 50e6     # + the best portfolio for USD 50 m a year
    recruitsim compare --json                           # machine-readable summary as the last line

Steps: build one ``Unit`` per (scenario, replicate) with the same seeds in every scenario (common
random numbers); run them on an ``Engine`` (local processes or Dask) and collect a tidy frame
(``collect_results``: the one place to switch to the sweep store); analyse it with
``recruitsim.economics.cea``; print a ranked table; write the table, plots and a Markdown report to ``--out``.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from recruitsim.economics.streams import PERSPECTIVES, STREAMS
from recruitsim.scenarios import library
from recruitsim.scenarios.runner import Unit, run_unit

#: Defaults of the no-argument run: measured to finish in well under 5 minutes on 2 busy cores
#: (see docs/economics.md, "Run time and precision").
DEFAULT_AGENTS = 200_000
DEFAULT_YEARS = 10.0
DEFAULT_REPLICATES = 6
JSON_FIELDS = ("name", "distinguishable", "incremental_cost", "recruits_averted", "homicides_averted", "incarceration_years_averted",
               "cost_per_recruit_averted", "cost_per_homicide_averted", "icer", "net_benefit", "bcr", "bcr_note",
               "p_benefit_exceeds_cost", "on_frontier", "beyond_horizon_share", "grade", "grade_mix", "grade_note")
#: Benefit streams (JSON key -> table column) and the perspective split (economics/streams.py).
JSON_STREAMS = {key: col for col, (_, key, _) in STREAMS.items()}
JSON_PERSPECTIVES = {w: f"perspective_{w}" for w in PERSPECTIVES}


# ---- running ------------------------------------------------------------------------------------
def build_units(scenarios: list[str], replicates: int, *, country: str, agents: int, years: float, burn_in: float,
                seed: int) -> list[Unit]:
    """One unit per (scenario, replicate); replicate r has the same seed in every scenario (CRN)."""
    units = [Unit(s, r, country=country, agents=agents, years=years, burn_in=burn_in, seed=seed)
             for r in range(replicates) for s in scenarios]
    # the programme-heavy scenarios take longest: start them first so the workers finish together
    weight = {s: len(library.load(s).policy_specs) for s in scenarios}
    return sorted(units, key=lambda u: (u.replicate, -weight[u.scenario]))


def plan_tasks(units: list[Unit], workers: int) -> list[tuple[Unit, ...]]:
    """Group units that share a burn-in (same replicate and parameters) when the runner can reuse it.

    With ``scenarios.runner.run_group`` (one burn-in, then a copy per scenario: results identical to
    ``run_unit``), each replicate's scenarios run as few tasks, split so that there are at least two
    tasks per worker. Without it, every unit is its own task.
    """
    from recruitsim.scenarios import runner

    if not hasattr(runner, "run_group") or not hasattr(Unit, "burn_in_key"):
        return [(u,) for u in units]
    groups: dict[str, list[Unit]] = {}
    for u in units:
        groups.setdefault(u.burn_in_key(), []).append(u)
    per_group = max(1, math.ceil(2 * max(workers, 1) / len(groups)))
    tasks = []
    for g in groups.values():
        k = min(per_group, len(g))
        tasks += [tuple(g[i::k]) for i in range(k)]
    return tasks


def run_task(units: tuple[Unit, ...]) -> list[pd.DataFrame]:
    """What a worker runs: one unit, or a group of units sharing one burn-in."""
    from recruitsim.scenarios import runner

    if len(units) > 1:
        return runner.run_group(list(units))
    return [run_unit(units[0])]


def collect_results(units: list[Unit], *, workers: int | None = None, scheduler: str | None = None,
                    progress=None, security: dict | None = None) -> pd.DataFrame:
    """Run ``units`` and return their monthly results as one tidy frame (scenario, replicate, month, ...)."""
    from recruitsim.scenarios.engine import Engine

    frames = []
    with Engine(workers=workers) if scheduler is None else Engine(scheduler=scheduler, security=security) as eng:
        for task, dfs in eng.map(run_task, plan_tasks(units, eng.workers)):
            frames.extend(dfs)
            if progress is not None:
                progress(len(task))
    out = pd.concat(frames, ignore_index=True)
    cost_cols = [c for c in out if c.startswith(("cost_", "enrolled_", "starts_"))]
    out[cost_cols] = out[cost_cols].fillna(0.0)
    return out.sort_values(["scenario", "replicate", "month"], kind="stable").reset_index(drop=True)


def policy_kinds(scenarios: list[str]) -> dict[str, str]:
    """Map each policy name used in the scenarios to its kind (cost columns are named after policies)."""
    out: dict[str, str] = {}
    for s in scenarios:
        for spec in library.load(s).policy_specs:
            out[spec.get("name", spec["kind"])] = spec["kind"]
    return out


def scenario_grades(scenarios: list[str]) -> dict[str, dict]:
    """Per scenario name: the evidence grade of the effects it rests on (``model.effects.grade_summary``:
    weakest grade among its policies' effect sizes, the mix, and a note when half or more are grade D)."""
    from recruitsim.model.effects import grade_summary

    out = {}
    for s in scenarios:
        sc = library.load(s)
        out[sc.name] = grade_summary([spec["kind"] for spec in sc.policy_specs])
    return out


def with_grades(table: pd.DataFrame, scenarios: list[str]) -> pd.DataFrame:
    """``table`` with ``grade`` (weakest: A-D, None for the baseline), ``grade_mix`` (e.g. "B3 D2") and
    ``grade_note`` columns."""
    g = scenario_grades(scenarios)
    none = {"grade": None, "grade_mix": "", "grade_note": ""}
    t = table.copy()
    for col in ("grade", "grade_mix", "grade_note"):
        t[col] = pd.Series([g.get(n, none)[col] for n in t["name"]], index=t.index, dtype=object)
    return t


def evidence(t: pd.DataFrame) -> list[str]:
    """The evidence column of the printed table: "D (B3 D2)", with " *" when mainly grade D."""
    if "grade" not in t:
        return ["-"] * len(t)
    return ["-" if not isinstance(g, str) else f"{g} ({m})" + (" *" if note else "")
            for g, m, note in zip(t["grade"], t["grade_mix"], t["grade_note"], strict=True)]


GRADE_FOOTNOTE = ("evidence: weakest grade among the scenario's effect sizes (mix in brackets; A LAC RCT, B RCT elsewhere or "
                  "strong LAC quasi-experiment, C meta-analysis of weaker designs, D expert guess); * = rests mainly on "
                  "grade-D effects (docs/policy-evidence.md)")


# ---- presenting -----------------------------------------------------------------------------------
def money(x: float) -> str:
    """USD amounts for tables: 1.37bn, 74.9k, -2.30m; '-' for missing."""
    if x is None or not math.isfinite(x):
        return "-"
    a, sign = abs(x), "-" if x < 0 else ""
    for div, suf in ((1e12, "tn"), (1e9, "bn"), (1e6, "m"), (1e3, "k")):
        if a >= div:
            return f"{sign}{a / div:.3g}{suf}"
    return f"{sign}{a:.0f}"


def count(x: float) -> str:
    if x is None or not math.isfinite(x):
        return "-"
    return f"{x:,.0f}"


def interval(v: float, lo: float, hi: float, f=money) -> str:
    if lo is None or not (math.isfinite(lo) and math.isfinite(hi)) or lo == hi:
        return f(v)
    return f"{f(v)} [{f(lo)}, {f(hi)}]"


def intervals(t: pd.DataFrame, col: str, f=money) -> list[str]:
    """Column ``col`` with its ``col_lo`` / ``col_hi`` quantiles, as ``interval`` text per row."""
    return [interval(*r, f=f) for r in t[[col, f"{col}_lo", f"{col}_hi"]].itertuples(index=False)]


def bcr_text(v: float, note: str = "") -> str:
    """A BCR for display: never negative; the reason in words when there is no ratio."""
    if v is None or not math.isfinite(v):
        return note or "-"
    return "<0.01" if 0 < v < 0.005 else f"{v:.2f}"


def ranked_table(table: pd.DataFrame) -> pd.DataFrame:
    """The printed table: point estimates (means; ratios of means) with 10-90% intervals as text.

    Results not distinguishable from no effect have no rank ('n.d.') and are listed last.
    """
    t = table
    notes = t["bcr_note"] if "bcr_note" in t else pd.Series("", index=t.index)
    return pd.DataFrame({
        "rank": ["n.d." if pd.isna(v) else str(v) for v in t["rank"]],
        "scenario": t["name"],
        "incr. cost": intervals(t, "incremental_cost"),
        "recruits averted": [count(v) for v in t["recruits_averted"]],
        "homicides averted": intervals(t, "homicides_averted", f=count),
        "custody-yrs averted": [count(v) for v in t["incarceration_years_averted"]],
        "$/recruit": [money(v) for v in t["cost_per_recruit_averted"]],
        "$/homicide": [money(v) for v in t["cost_per_homicide_averted"]],
        "ICER": [money(v) for v in t["icer"]],
        "net benefit": intervals(t, "net_benefit"),
        "BCR": [bcr_text(v, n) for v, n in zip(t["bcr"], notes, strict=True)],
        "P(B>C)": ["-" if not math.isfinite(v) else f"{v:.2f}" for v in t["p_benefit_exceeds_cost"]],
        "frontier": t["frontier_status"].str.replace("extendedly dominated", "ext. dominated").str.replace(
            "not distinguishable from no effect", "n.d."),
        "evidence": evidence(t),
    })


def headline(analysis, settings: dict) -> str:
    from recruitsim.model import posteriors as posterior
    from recruitsim.model.profiles import get_profile

    a, s = analysis.assumptions, analysis.settings
    prof = get_profile(settings["country"])
    from recruitsim.model import effects

    params = ("replicate r = posterior draw r of the calibrated profile" if posterior.is_calibrated(prof.iso3)
              else "profile defaults (not calibrated)")
    params += ("; policy effects at their point values (--point-effects)" if effects.mode() == "point"
               else "; policy effects: replicate r = effect set r (model/data/policy_effects.csv)")
    return (f"{prof.name} ({prof.iso3}): policy scenarios vs '{s['baseline']}', {settings['agents']:,} agents x "
            f"{settings['years']:g} years (burn-in {settings['burn_in']:g}), {s['n_samples']} paired replicates, seed {settings['seed']}; "
            f"parameters: {params}\n"
            f"Money in {s['price_base']}, costs and outcomes discounted at {s['discount']:.0%}/yr; VSL {money(a.vsl.central)} "
            f"[{money(a.vsl.low)}, {money(a.vsl.high)}]; prisoner-year {money(a.prison_year.central)}; frontier on "
            f"{s['outcome']} averted; figures are means of paired replicates (ratios: of those means), [10%, 90%] across "
            f"replicates x economic draws; n.d. = 10-90% interval of {s['outcome']} averted includes zero (not distinguishable "
            f"from no effect: not ranked, not on the frontier); deadweight {a.deadweight.central:g} per USD of net public cost")


def json_rows(table: pd.DataFrame) -> list[dict]:
    def clean(v):
        if isinstance(v, (bool, np.bool_)):
            return bool(v)
        if isinstance(v, (int, np.integer)):
            return int(v)
        if isinstance(v, (float, np.floating)):
            return float(v) if math.isfinite(v) else None
        return v
    def band(r, col):
        out = {"mean": clean(r.get(col)), "median": clean(r.get(f"{col}_median")), "lo": clean(r.get(f"{col}_lo")),
               "hi": clean(r.get(f"{col}_hi"))}
        if f"{col}_beyond" in r:
            out["beyond_horizon"] = clean(r.get(f"{col}_beyond"))
        return out

    out = []
    for r in table.to_dict("records"):
        row = {k: clean(r.get(k)) for k in JSON_FIELDS}
        row["distinguishable"] = bool(r.get("distinguishable", False))
        row["bcr_note"] = r.get("bcr_note") or None
        row["benefits"] = {k: band(r, c) for k, c in JSON_STREAMS.items() if c in r}
        row["perspective"] = {k: band(r, c) for k, c in JSON_PERSPECTIVES.items() if c in r}
        row["beyond_horizon_share_interval"] = [clean(r.get("beyond_horizon_share_lo")), clean(r.get("beyond_horizon_share_hi"))]
        out.append(row)
    return out
