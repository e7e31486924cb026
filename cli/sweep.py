"""``recruitsim sweep``: scenarios x replicates into a resumable Parquet dataset (docs/sweeps.md)."""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from recruitsim.scenarios import designs, library, store, summary
from recruitsim.scenarios.engine import EngineError
from recruitsim.scenarios.progress import duration
from recruitsim.scenarios.provenance import dumps, versions
from recruitsim.scenarios.sweep import EXAMPLES, SweepError, design_table, resolve_settings, run_sweep

from . import args as cli


def register(sub) -> None:

    p = sub.add_parser("sweep", help="many scenarios x replicates (common random numbers) into a resumable Parquet dataset",
                       description="Run scenarios x replicates with common random numbers into a resumable Parquet\n"
                                   "dataset, and summarise each outcome and its paired difference from baseline\n"
                                   "(median, 10-90%). Rerun the same command to resume. Guide: docs/sweeps.md.",
                       epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("file", nargs="?", metavar="FILE.toml", help="a scenario file, or a design ([design] table) to sweep")
    p.add_argument("--scenario", action="append", default=None, metavar="NAME",
                   help="a library scenario or a .toml file (repeatable; comma-separated lists work too). "
                        "Without FILE or --scenario: the whole library")
    p.add_argument("--baseline", default=None, metavar="NAME",
                   help="reference scenario for paired differences (default baseline)")
    p.add_argument("--country", type=cli.country_arg, default=None, metavar="C",
                   help="LAC (regional default) or an ISO3 code")
    p.add_argument("--replicates", type=cli.int_in("--replicates", 1, 100_000), default=None, metavar="R",
                   help="replicates per scenario (default 10)")
    p.add_argument("--agents", type=cli.int_in("--agents", 100, cli.MAX_AGENTS), default=None, metavar="N",
                   help="simulated youths (default 50,000)")
    p.add_argument("--years", type=cli.float_in("--years", 1, 100), default=None, metavar="Y",
                   help="years after the burn-in (default 10)")
    p.add_argument("--burn-in", type=cli.float_in("--burn-in", 0, 100), default=None, metavar="B",
                   help="burn-in years (default 5)")
    p.add_argument("--seed", type=cli.int_in("--seed", 0, 2**62), default=None, metavar="S", help="base seed (default 1)")
    p.add_argument("--out", required=True, type=Path, metavar="DIR",
                   help="output directory (the Parquet dataset); rerun the same command to resume")
    add_engine_args(p)
    p.add_argument("--outcomes", default=None, metavar="LIST", help="outcomes to print, comma-separated (default: "
                                                    f"{','.join(summary.HEADLINE)}); the CSV has all")
    cli.add_effects_flag(p)
    p.add_argument("--no-burn-in-reuse", action="store_true",
                   help="run each scenario's burn-in separately (same results, slower)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar / progress lines")
    p.add_argument("--dry-run", action="store_true", help="list the scenarios (and design points) and exit")
    p.add_argument("--json", action="store_true", help="print the summary as JSON (one line) instead of the table")
    p.set_defaults(func=cmd_sweep)


def add_engine_args(p: argparse.ArgumentParser) -> None:

    g = p.add_mutually_exclusive_group()
    g.add_argument("--workers", type=cli.int_in("--workers", 1, 4096), default=None, metavar="W",
                   help="local worker processes (default: all cores)")
    g.add_argument("--dask-local", type=cli.int_in("--dask-local", 1, 4096), default=None, metavar="W",
                   help="start a Dask LocalCluster with W workers")
    g.add_argument("--scheduler", default=None, metavar="ADDRESS", help=cli.SCHEDULER_HELP)
    cli.add_tls_args(p)


def engine_options(args) -> dict[str, Any]:
    return {**{k: v for k, v in (("workers", args.workers), ("dask_local", args.dask_local)) if v is not None},
            **cli.scheduler_options(args)}


def parse_outcomes(text: str | None, available: list[str] | None = None) -> list[str]:

    if text is None:
        return list(summary.HEADLINE)
    names = [x.strip() for x in text.split(",") if x.strip()]
    from recruitsim.model.outputs import COLUMNS

    allowed = set(COLUMNS) | {"policy_cost"} | set(available or [])
    bad = [n for n in names if n not in allowed]
    if bad or not names:
        raise cli.UsageError(f"--outcomes: unknown outcome '{bad[0] if bad else text}'; see the columns in docs/sweeps.md "
                             f"(e.g. {', '.join(list(COLUMNS)[:6])}, policy_cost)")
    return names


def cmd_sweep(args) -> int:

    outcomes = parse_outcomes(args.outcomes)
    engine = engine_options(args)
    names = [n.strip() for s in (args.scenario or []) for n in s.split(",") if n.strip()] or None
    if args.scenario is not None and not names:
        raise cli.UsageError("--scenario: empty scenario name; give library names or .toml paths "
                             "(without FILE or --scenario the sweep runs the whole library)")
    if args.file is not None and not args.file.strip():
        raise cli.UsageError("FILE.toml: empty file name")
    try:
        plan = designs.plan(args.file, names, args.baseline)
        st = resolve_settings({"country": args.country, "replicates": args.replicates, "agents": args.agents,
                               "years": args.years, "burn_in": args.burn_in, "seed": args.seed}, plan)
        for arm in plan.arms:
            library.check_horizon(arm.scenario, int(round(st.years * 12)), f"{arm.scenario.source or arm.label}: {arm.label}")
            if library.is_regional(arm.scenario):  # countries / route / [region]: read by regional runs only
                library.check_runnable(arm.scenario, "sweep")
    except library.ScenarioError as e:
        raise cli.UsageError(str(e)) from None
    if args.dry_run:
        table = design_table(plan)
        print((table.drop(columns="description") if plan.design is not None else table).to_string(index=False))
        print(f"\n{len(plan.arms)} scenarios x {st.replicates} replicates = {len(plan.arms) * st.replicates} runs")
        return 0
    try:
        res = run_sweep(plan, st, args.out, engine, reuse=not args.no_burn_in_reuse,
                        progress=not cli.quiet(args))
    except (store.StoreError, EngineError) as e:
        raise cli.UsageError(str(e)) from None
    except KeyboardInterrupt:
        done = len(store.Store(args.out).done())
        print(f"\ninterrupted: {done} runs are on disk in {args.out}; run the same command again to resume", file=sys.stderr)
        return 130
    except SweepError as e:
        print(f"recruitsim: error: {e}", file=sys.stderr)
        return 1
    cli.small_size_warning(st.agents)  # once the runs are safely on disk (an error stays the only error line)
    rate = res.ran / res.seconds * 60 if res.ran and res.seconds > 0 else 0
    if args.json:
        print(dumps({"out": str(args.out), "runs": res.ran, "skipped": res.skipped, "seconds": round(res.seconds, 2),
                     "complete": res.complete, "engine": res.engine, "settings": asdict(st), "versions": versions(),
                     "summary": [] if res.summary is None else res.summary.to_dict(orient="records")}))
        return 0
    print(f"sweep: {res.ran} runs in {duration(res.seconds)}" + (f" ({rate:.1f} runs/min on {res.engine})" if res.ran else "")
          + (f", {res.skipped} were already done" if res.skipped else ""), file=sys.stderr)
    print(f"{plan.arms[0].scenario.name if len(plan.arms) == 1 else 'Sweep'}: {st.country}, {st.agents:,} agents, "
          f"{st.years:g} years, {st.replicates} replicates (seed {st.seed}); totals over the horizon, final-year means "
          f"for stocks and rates; paired differences use common random numbers")
    print(summary.format_table(res.summary, outcomes))
    print(f"\ndata: pandas.read_parquet('{args.out}')  summary: {Path(args.out) / store.SUMMARY}  "
          f"scenarios: {Path(args.out) / store.DESIGN}")
    return 0
