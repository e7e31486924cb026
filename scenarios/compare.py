"""``recruitsim compare``: run the policy library against the baseline and compare cost-effectiveness.

    recruitsim compare                                  # regional default (LAC), whole library
    recruitsim compare --country HND --budget 50e6     # + the best portfolio for USD 50 m a year
    recruitsim compare --json                           # machine-readable summary as the last line

Steps: build one ``Unit`` per (scenario, replicate) with the same seeds in every scenario (common
random numbers); run them on an ``Engine`` (local processes or Dask) and collect a tidy frame
(``collect_results``: the one place to switch to the sweep store); analyse it with
``scenarios.economics``; print a ranked table; write the table, plots and a Markdown report to ``--out``.
"""

from __future__ import annotations

import json
import math
import os
import sys
import time

import numpy as np
import pandas as pd

from . import library
from .runner import Unit, run_unit

#: Defaults of the no-argument run: measured to finish in well under 5 minutes on 2 busy cores
#: (see docs/economics.md, "Run time and precision").
DEFAULT_AGENTS = 200_000
DEFAULT_YEARS = 10.0
DEFAULT_REPLICATES = 6
JSON_FIELDS = ("name", "incremental_cost", "recruits_averted", "homicides_averted", "incarceration_years_averted",
               "cost_per_recruit_averted", "cost_per_homicide_averted", "icer", "net_benefit", "bcr",
               "p_benefit_exceeds_cost", "on_frontier")


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
    from . import runner

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
    from . import runner

    if len(units) > 1:
        return runner.run_group(list(units))
    return [run_unit(units[0])]


def collect_results(units: list[Unit], *, workers: int | None = None, scheduler: str | None = None,
                    progress=None) -> pd.DataFrame:
    """Run ``units`` and return their monthly results as one tidy frame (scenario, replicate, month, ...)."""
    from .engine import Engine

    frames = []
    with Engine(workers=workers) if scheduler is None else Engine(scheduler=scheduler) as eng:
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


def ranked_table(table: pd.DataFrame) -> pd.DataFrame:
    """The printed table: point estimates with 10-90% intervals as text."""
    t = table
    return pd.DataFrame({
        "rank": t["rank"].astype(str),
        "scenario": t["name"],
        "incr. cost": intervals(t, "incremental_cost"),
        "recruits averted": [count(v) for v in t["recruits_averted"]],
        "homicides averted": intervals(t, "homicides_averted", f=count),
        "custody-yrs averted": [count(v) for v in t["incarceration_years_averted"]],
        "$/recruit": [money(v) for v in t["cost_per_recruit_averted"]],
        "$/homicide": [money(v) for v in t["cost_per_homicide_averted"]],
        "ICER": [money(v) for v in t["icer"]],
        "net benefit": intervals(t, "net_benefit"),
        "BCR": ["-" if not math.isfinite(v) else f"{v:.2f}" for v in t["bcr"]],
        "P(B>C)": ["-" if not math.isfinite(v) else f"{v:.2f}" for v in t["p_benefit_exceeds_cost"]],
        "frontier": t["frontier_status"].str.replace("extendedly dominated", "ext. dominated"),
    })


def headline(analysis, settings: dict) -> str:
    from calibration import posterior
    from model.profiles import get_profile

    a, s = analysis.assumptions, analysis.settings
    prof = get_profile(settings["country"])
    params = ("replicate r = posterior draw r of the calibrated profile" if posterior.is_calibrated(prof.iso3)
              else "profile defaults (not calibrated)")
    return (f"{prof.name} ({prof.iso3}): policy scenarios vs '{s['baseline']}', {settings['agents']:,} agents x "
            f"{settings['years']:g} years (burn-in {settings['burn_in']:g}), {s['n_samples']} paired replicates, seed {settings['seed']}; "
            f"parameters: {params}\n"
            f"Money in {s['price_base']}, costs and outcomes discounted at {s['discount']:.0%}/yr; VSL {money(a.vsl.central)} "
            f"[{money(a.vsl.low)}, {money(a.vsl.high)}]; prisoner-year {money(a.prison_year.central)}; frontier on "
            f"{s['outcome']} averted; [10%, 90%] across replicates x economic draws")


def json_rows(table: pd.DataFrame) -> list[dict]:
    def clean(v):
        if isinstance(v, (bool, np.bool_)):
            return bool(v)
        if isinstance(v, (int, np.integer)):
            return int(v)
        if isinstance(v, (float, np.floating)):
            return float(v) if math.isfinite(v) else None
        return v
    return [{k: clean(r[k]) for k in JSON_FIELDS} for r in table.to_dict("records")]


# ---- the command ------------------------------------------------------------------------------------
def register(sub) -> None:
    from .cli import float_in, int_in, writable_dir

    p = sub.add_parser("compare", help="cost-effectiveness of the policy library against the baseline (the main job)",
                       description="Run every scenario of the library (or --scenarios) with paired replicates and compare "
                                   "costs, outcomes averted, the efficiency frontier and benefit-cost metrics.")
    from .cli import country_arg

    p.add_argument("--country", type=country_arg, default="LAC", help="LAC (regional default) or an ISO3 code")
    p.add_argument("--budget", type=float_in("--budget", 1e3, 1e13), default=None,
                   help="USD per year: also find and simulate the best portfolio of levers and coverage levels")
    p.add_argument("--agents", type=int_in("--agents", 1_000, 50_000_000), default=DEFAULT_AGENTS,
                   help=f"simulated youths per run (default {DEFAULT_AGENTS:,})")
    p.add_argument("--years", type=float_in("--years", 1, 50), default=DEFAULT_YEARS, help=f"horizon in years (default {DEFAULT_YEARS:g})")
    p.add_argument("--burn-in", type=float_in("--burn-in", 0, 50), default=5, help="burn-in years (default 5)")
    p.add_argument("--replicates", type=int_in("--replicates", 1, 10_000), default=DEFAULT_REPLICATES,
                   help=f"paired replicates per scenario (default {DEFAULT_REPLICATES})")
    p.add_argument("--seed", type=int_in("--seed", 0, 2**62), default=1, help="base random seed (default 1)")
    p.add_argument("--scenarios", default=None, help="comma-separated scenario names or .toml paths (default: the whole library)")
    p.add_argument("--discount", type=float_in("--discount", 0, 0.2), default=0.03, help="annual discount rate (default 0.03)")
    p.add_argument("--outcome", choices=("homicides", "recruits", "member_years"), default="homicides",
                   help="outcome for the frontier, ICERs, the CEAC and the budget optimiser (default homicides)")
    p.add_argument("--homicide-scope", choices=("all", "youth"), default="all",
                   help="homicides of all ages (model's national count) or simulated youths 10-29 only (default all)")
    p.add_argument("--vsl", type=float_in("--vsl", 0, 1e9), default=None, help="central value of a statistical life, USD 2024 (range scaled with it)")
    p.add_argument("--draws", type=int_in("--draws", 1, 10_000), default=200, help="economic parameter draws per replicate (default 200)")
    p.add_argument("--workers", type=int_in("--workers", 1, 1024), default=None, help="local worker processes (default: all cores)")
    p.add_argument("--scheduler", default=None, help="address of a Dask scheduler to run on instead of local processes")
    p.add_argument("--out", type=writable_dir("--out"), default=None, help="output directory (default results/compare-<COUNTRY>)")
    p.add_argument("--json", action="store_true", help="print the JSON summary as the last line (no table)")
    p.set_defaults(func=cmd_compare)


def _scenario_list(text: str | None) -> list[str]:
    from .cli import UsageError

    names = library.names() if not text else [s.strip() for s in text.split(",") if s.strip()]
    try:
        loaded = [library.load(n) for n in names]
    except library.ScenarioError as e:
        raise UsageError(str(e)) from None
    refs = names if text else [s.name for s in loaded]
    if "baseline" not in [s.name for s in loaded]:
        refs = ["baseline", *refs]
    if len({library.load(r).name for r in refs}) != len(refs):
        raise UsageError("--scenarios: two scenarios have the same name")
    if len(refs) < 2:
        raise UsageError("--scenarios: give at least one scenario besides the baseline")
    return refs


def _load() -> float | None:
    try:
        return round(os.getloadavg()[0], 2)
    except (AttributeError, OSError):
        return None


def _cores() -> int:
    from .engine import default_workers

    return default_workers()


def cmd_compare(args) -> int:
    from . import economics, report
    from .cli import UsageError, _progress, writable_dir

    scenarios = _scenario_list(args.scenarios)
    out = args.out if args.out is not None else writable_dir("--out")(f"results/compare-{args.country}")
    settings = {"country": args.country, "agents": args.agents, "years": args.years, "burn_in": args.burn_in,
                "replicates": args.replicates, "seed": args.seed}
    common = dict(country=args.country, agents=args.agents, years=args.years, burn_in=args.burn_in, seed=args.seed)
    units = build_units(scenarios, args.replicates, **common)
    plan = None
    if args.budget is not None:
        from . import optimise

        plan = optimise.Plan(out / "scenarios", args.country)
        have = set(scenarios)
        units += build_units([s for s in plan.option_scenarios() if s not in have], args.replicates, **common)
    load_start = _load()
    tic = time.perf_counter()
    bar = _progress(args, total=len(units) + (args.replicates if plan is not None else 0), desc=f"compare {args.country}")
    if hasattr(bar, "unit"):
        bar.unit = "run"
    try:
        results = collect_results(units, workers=args.workers, scheduler=args.scheduler, progress=bar.update)
        portfolio = None
        if plan is not None:
            portfolio = plan.choose(results, args.budget, outcome=args.outcome, discount=args.discount,
                                    homicide_scope=args.homicide_scope)
            if portfolio.scenario is not None:
                more = build_units([portfolio.scenario], args.replicates, **common)
                results = pd.concat([results, collect_results(more, workers=args.workers, scheduler=args.scheduler,
                                                              progress=bar.update)], ignore_index=True)
    except KeyboardInterrupt:
        bar.close()
        print("interrupted", file=sys.stderr)
        return 130
    finally:
        bar.close()
    run_seconds = time.perf_counter() - tic
    shown = [library.load(s).name for s in scenarios] + ([portfolio.name] if portfolio and portfolio.scenario else [])
    main = results[results["scenario"].isin(shown)]
    try:
        analysis = economics.analyse(main, args.country, discount=args.discount, outcome=args.outcome,
                                     homicide_scope=args.homicide_scope, n_draws=args.draws, seed=args.seed, vsl=args.vsl,
                                     policy_kinds=policy_kinds(scenarios + ([portfolio.scenario] if portfolio and portfolio.scenario else [])))
    except ValueError as e:
        raise UsageError(str(e)) from None
    if portfolio is not None:
        portfolio.attach_outcomes(analysis.table)
    settings |= {"scenarios": shown, "run_seconds": round(run_seconds, 1), "units": len(units), "cores": _cores(),
                 "load_average": [load_start, _load()]}
    files = report.write_all(out, results=main, analysis=analysis, settings=settings, portfolio=portfolio,
                             title=headline(analysis, settings))
    results.to_parquet(out / "runs.parquet", index=False)
    payload = {"scenarios": json_rows(analysis.table), "settings": settings | {"discount": args.discount, "outcome": args.outcome},
               "portfolio": portfolio.as_dict() if portfolio is not None else None, "out": str(out)}
    (out / "summary.json").write_text(json.dumps(payload, indent=2))
    if args.json:
        print(json.dumps(payload))
        return 0
    print(headline(analysis, settings))
    print()
    print(ranked_table(analysis.table).to_string(index=False))
    for note in analysis.notes:
        print(f"note: {note}")
    if portfolio is not None:
        print()
        print(portfolio.summary())
    print(f"\n{len(units)} runs in {run_seconds:.0f} s on {settings['cores']} cores (load average {load_start} -> "
          f"{settings['load_average'][1]}). Report, table and plots in {out}/: "
          + ", ".join(sorted(p.name for p in files)) + ", runs.parquet, summary.json")
    return 0
