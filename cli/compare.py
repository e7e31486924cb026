"""``recruitsim compare``: the main job (economics/compare.py runs it; this is its command line)."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pandas as pd

from recruitsim.economics import cea as economics
from recruitsim.economics import optimise, report
from recruitsim.economics.compare import (
    DEFAULT_AGENTS,
    DEFAULT_REPLICATES,
    DEFAULT_YEARS,
    GRADE_FOOTNOTE,
    build_units,
    collect_results,
    headline,
    json_rows,
    policy_kinds,
    ranked_table,
    with_grades,
)
from recruitsim.scenarios import library
from recruitsim.scenarios.provenance import dumps, versions

from . import region
from .args import (
    MAX_AGENTS,
    SCHEDULER_HELP,
    UsageError,
    add_effects_flag,
    add_tls_args,
    country_arg,
    float_in,
    int_in,
    progress,
    scheduler_options,
    small_size_warning,
    writable_dir,
)


def register(sub) -> None:

    p = sub.add_parser("compare", help="cost-effectiveness of the policy library against the baseline (the main job)",
                       description="Run every scenario of the library (or --scenarios) with paired replicates and compare "
                                   "costs, outcomes averted, the efficiency frontier and benefit-cost metrics.")

    p.add_argument("--country", type=country_arg, default="LAC", help="LAC (regional default) or an ISO3 code")
    p.add_argument("--budget", type=float_in("--budget", 1e3, 1e13), default=None,
                   help="USD per year: also find and simulate the best portfolio of levers and coverage levels")
    p.add_argument("--agents", type=int_in("--agents", 1_000, MAX_AGENTS), default=DEFAULT_AGENTS,
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
    p.add_argument("--deadweight", type=float_in("--deadweight", 0, 3), default=None,
                   help="deadweight cost of taxation per USD of net public cost, central value (default 0.5, range 0.25-1.0 "
                        "scaled with it; 0 = not counted)")
    p.add_argument("--draws", type=int_in("--draws", 1, 10_000), default=200, help="economic parameter draws per replicate (default 200)")
    p.add_argument("--workers", type=int_in("--workers", 1, 1024), default=None, help="local worker processes (default: all cores)")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS", help=SCHEDULER_HELP)
    add_tls_args(p)
    p.add_argument("--out", type=Path, default=None, help="output directory (default results/compare-<COUNTRY>)")
    add_effects_flag(p)
    p.add_argument("--json", action="store_true", help="print the JSON summary as the last line (no table)")
    region.add_region_flags(p, engine=False)
    p.set_defaults(func=cmd_compare)


def _scenario_list(text: str | None) -> list[str]:

    if text is not None and not [s for s in text.split(",") if s.strip()]:
        raise UsageError("--scenarios: empty list; give scenario names or .toml paths (without --scenarios: the whole library)")
    names = library.names() if not text else [s.strip() for s in text.split(",") if s.strip()]
    try:
        loaded = [library.load(n) for n in names]
        for sc in loaded:
            library.check_runnable(sc, "compare")
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
    from recruitsim.scenarios.engine import default_workers

    return default_workers()


def _atomic(path, writer) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        writer(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def cmd_compare(args) -> int:
    if region.is_regional(args, "compare"):
        return region.cmd_compare_region(args)

    scenarios = _scenario_list(args.scenarios)
    try:
        for sc in scenarios:
            library.check_horizon(library.load(sc), int(round(args.years * 12)))
    except library.ScenarioError as e:
        raise UsageError(str(e)) from None
    remote = scheduler_options(args)
    out = args.out if args.out is not None else Path(f"results/compare-{args.country}")
    if (out / "_manifest.json").exists():
        raise UsageError(f"--out: '{out}' holds a sweep store; `compare` would add files to its dataset; use another folder")
    out = writable_dir("--out")(str(out))  # created only once the arguments are known to be good
    settings = {"country": args.country, "agents": args.agents, "years": args.years, "burn_in": args.burn_in,
                "replicates": args.replicates, "seed": args.seed}
    common = dict(country=args.country, agents=args.agents, years=args.years, burn_in=args.burn_in, seed=args.seed)
    units = build_units(scenarios, args.replicates, **common)
    plan = None
    if args.budget is not None:
        plan = optimise.Plan(out / "scenarios", args.country)
        have = set(scenarios)
        units += build_units([s for s in plan.option_scenarios() if s not in have], args.replicates, **common)
    load_start = _load()
    tic = time.perf_counter()
    bar = progress(args, total=len(units) + (args.replicates if plan is not None else 0), desc=f"compare {args.country}")
    if hasattr(bar, "unit"):
        bar.unit = "run"
    try:
        results = collect_results(units, workers=args.workers, progress=bar.update, **remote)
        portfolio = None
        if plan is not None:
            portfolio = plan.choose(results, args.budget, outcome=args.outcome, discount=args.discount,
                                    homicide_scope=args.homicide_scope)
            if portfolio.scenario is not None:
                more = build_units([portfolio.scenario], args.replicates, **common)
                results = pd.concat([results, collect_results(more, workers=args.workers, progress=bar.update,
                                                              **remote)], ignore_index=True)
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
                                     deadweight=args.deadweight,
                                     policy_kinds=policy_kinds(scenarios + ([portfolio.scenario] if portfolio and portfolio.scenario else [])))
    except ValueError as e:
        raise UsageError(str(e)) from None
    if portfolio is not None:
        portfolio.attach_outcomes(analysis.table)
    # the evidence grade of the effects each scenario rests on (compare table, report, --json)
    analysis.table = with_grades(analysis.table, scenarios + ([portfolio.scenario] if portfolio and portfolio.scenario else []))
    settings |= {"effects": os.environ.get("RECRUITSIM_EFFECTS", "").strip().lower() or "draw",
                 "scenarios": shown, "run_seconds": round(run_seconds, 1), "units": len(units), "cores": _cores(),
                 "load_average": [load_start, _load()], "versions": versions()}
    payload = {"scenarios": json_rows(analysis.table), "settings": settings | {"discount": args.discount, "outcome": args.outcome},
               "portfolio": portfolio.as_dict() if portfolio is not None else None, "out": str(out)}
    try:
        # the runs first (the costly part), each file written whole or not at all
        _atomic(out / "runs.parquet", lambda t: results.to_parquet(t, index=False))
        files = report.write_all(out, results=main, analysis=analysis, settings=settings, portfolio=portfolio,
                                 title=headline(analysis, settings))
        _atomic(out / "summary.json", lambda t: t.write_text(dumps(payload, indent=2)))
    except OSError as e:
        raise UsageError(f"--out: cannot write the report to '{out}' ({e.strerror or e}); free space and rerun") from None
    small_size_warning(args.agents)  # after the report is written (an error stays the only line)
    if args.json:
        print(dumps(payload))
        return 0
    print(headline(analysis, settings))
    print()
    print(ranked_table(analysis.table).to_string(index=False))
    print(f"note: {GRADE_FOOTNOTE}")
    for r in analysis.table.itertuples():
        if r.grade_note:
            print(f"note: {r.name} {r.grade_note}")
    for note in analysis.notes:
        print(f"note: {note}")
    if portfolio is not None:
        print()
        print(portfolio.summary())
    print(f"\n{len(units)} runs in {run_seconds:.0f} s on {settings['cores']} cores (load average {load_start} -> "
          f"{settings['load_average'][1]}). Report, table and plots in {out}/: "
          + ", ".join(sorted(p.name for p in files)) + ", runs.parquet, summary.json")
    return 0
