"""``recruitsim sensitivity``: Sobol or Morris indices of an outcome (SALib), runs in a sweep store."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from recruitsim.scenarios import library, store, summary
from recruitsim.scenarios import sweep as sweep_mod
from recruitsim.scenarios.engine import EngineError
from recruitsim.scenarios.provenance import dumps, versions
from recruitsim.scenarios.sensitivity import DEFAULT_PARAMS, METHODS, SensitivityError, analyse, build_plan, parse_params, plot, point_outcomes, sample

from . import args as cli
from . import sweep


def register(sub) -> None:

    p = sub.add_parser("sensitivity", help="Sobol or Morris sensitivity of an outcome to the uncertain parameters (SALib)",
                       description="Sobol' or Morris sensitivity (SALib) of one outcome to the uncertain model\n"
                                   "parameters; the runs form a resumable sweep store in --out. Guide: docs/sweeps.md.",
                       epilog="examples:\n"
                              "  recruitsim sensitivity --outcome recruits --method sobol --samples 64 --out results/sens\n"
                              "  recruitsim sensitivity --outcome members --method morris --samples 10 --scenario mentoring "
                              "--versus baseline --out results/sens_mentoring\n",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--outcome", required=True, help="an output column (e.g. recruits, members, homicides) or policy_cost")
    p.add_argument("--method", choices=METHODS, default="sobol", help="sobol (variance-based) or morris (screening)")
    p.add_argument("--samples", type=cli.int_in("--samples", 2, 1_000_000), default=None,
                   help="Sobol: base sample N, a power of 2 (runs N x (D+2)); Morris: trajectories (runs N x (D+1)). "
                        "Default 64 / 10")
    p.add_argument("--params", default=None,
                   help="uncertain parameters: name, name=low:high or name=low:high:log, comma-separated "
                        f"(default: {','.join(DEFAULT_PARAMS)})")
    p.add_argument("--scenario", default="baseline", help="scenario to run at every point (default baseline)")
    p.add_argument("--versus", default=None, metavar="REF", help="analyse the paired difference scenario - REF")
    p.add_argument("--levels", type=cli.int_in("--levels", 2, 20), default=4, help="Morris grid levels (default 4)")
    cli.add_run_args(p, agents=20_000)
    p.add_argument("--replicates", type=cli.int_in("--replicates", 1, 10_000), default=1,
                   help="runs per point, averaged (default 1)")
    p.add_argument("--out", required=True, type=Path, metavar="DIR",
                   help="output directory (runs, indices CSV, plot); rerun to resume")
    sweep.add_engine_args(p)
    p.add_argument("--no-progress", action="store_true", help="no progress bar / progress lines (same as --quiet)")
    p.add_argument("--json", action="store_true", help="print the indices as JSON (one line) instead of the table")
    p.set_defaults(func=cmd_sensitivity)


MAX_POINTS = 100_000  # as designs.MAX_POINTS
BYTES_PER_MONTH_ROW = 80 * 8  # ~80 float columns per monthly row when the runs are read back


def check_size(n: int, d: int, method: str, runs_per_point: int, years: float) -> None:
    """Refuse samples whose points or results would not fit (instead of growing to a MemoryError)."""
    points = n * (d + 2) if method == "sobol" else n * (d + 1)
    runs = points * runs_per_point
    need = runs * int(round(years * 12)) * BYTES_PER_MONTH_ROW
    try:
        have = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        have = None
    if points > MAX_POINTS or (have is not None and need > have // 2):
        mem = f"; reading their results back needs about {need / 1e9:,.1f} GB" + (
            f" (this machine has {have / 1e9:,.1f} GB)" if have else "")
        raise cli.UsageError(f"--samples {n:,}: {points:,} points x {runs_per_point} = {runs:,} runs is too large "
                             f"(limit {MAX_POINTS:,} points{mem}); use a smaller --samples")


def cmd_sensitivity(args) -> int:

    outcome = sweep.parse_outcomes(args.outcome)
    if len(outcome) != 1:
        raise cli.UsageError("--outcome: give one outcome")
    outcome = outcome[0]
    try:
        factors = parse_params(args.params)
        scenario = library.load(args.scenario)
        versus = library.load(args.versus) if args.versus else None
    except (SensitivityError, library.ScenarioError) as e:
        raise cli.UsageError(str(e)) from None
    for sc in (scenario, versus):
        if sc is not None and library.is_regional(sc):
            raise cli.UsageError(f"{sc.source}: a regional scenario (countries, route or [region]) runs with run/compare "
                                 "--countries or --corridor")
        if sc is not None and "design" in sc.extra:
            raise cli.UsageError(f"{sc.source}: a scenario with a [design] table cannot be used here")
    if versus is not None and versus.name == scenario.name:
        raise cli.UsageError("--versus: give a scenario other than --scenario")
    n = args.samples or (64 if args.method == "sobol" else 10)
    if args.method == "sobol" and n & (n - 1):
        raise cli.UsageError(f"--samples must be a power of 2 for sobol (e.g. {1 << (n.bit_length() - 1)} or "
                             f"{1 << n.bit_length()}), got {n}")
    check_size(n, len(factors), args.method, args.replicates * (2 if versus else 1), args.years)
    u, x = sample(factors, args.method, n, args.seed, args.levels)
    plan = build_plan(factors, x, args.method, scenario, versus)
    st = sweep_mod.Settings(args.country, args.replicates, args.agents, args.years, args.burn_in, args.seed)
    print(f"sensitivity ({args.method}) of {outcome}{f' ({scenario.name} - {versus.name})' if versus else ''} "
          f"to {len(factors)} parameters: {len(x)} points x {args.replicates} replicate(s)"
          f"{' x 2 scenarios' if versus else ''} = {len(plan.arms) * args.replicates} runs", file=sys.stderr)
    try:
        sweep_mod.run_sweep(plan, st, args.out, sweep.engine_options(args), progress=not cli.quiet(args),
                        summarise=False)
    except (store.StoreError, EngineError) as e:
        raise cli.UsageError(str(e)) from None
    except KeyboardInterrupt:
        print(f"\ninterrupted: finished runs are on disk in {args.out}; run the same command again to resume", file=sys.stderr)
        return 130
    except sweep_mod.SweepError as e:
        print(f"recruitsim: error: {e}", file=sys.stderr)
        return 1
    df = pd.read_parquet(args.out)
    y = point_outcomes(df, plan, outcome)
    what = f"{outcome} ({summary.statistic(outcome)}), " + (f"{scenario.name} - {versus.name}" if versus else scenario.name)
    if not np.all(np.isfinite(y)) or np.ptp(y) <= 1e-12 * max(np.max(np.abs(y)), 1e-300):
        print(f"recruitsim: error: {what} does not vary over the sample (all {y[0]:g}); the indices are undefined",
              file=sys.stderr)
        return 1
    table = analyse(factors, args.method, u, y, args.seed, args.levels)
    db = store.Store(args.out)
    title = (f"{args.method.capitalize()} sensitivity of {what}\n{args.country}, {args.agents:,} agents x {args.years:g} years, "
             f"{len(x)} points x {args.replicates} replicate(s)")
    try:
        db.write_csv("_sensitivity.csv", table)
        plot(table, args.method, title, Path(args.out) / "_sensitivity.png")
    except OSError as e:
        raise cli.UsageError(f"--out: the runs are on disk but the indices could not be written to '{args.out}' "
                             f"({e.strerror or e}); free space and rerun the same command") from None
    if args.json:
        print(dumps({"outcome": outcome, "method": args.method, "points": len(x), "replicates": args.replicates,
                     "out": str(args.out), "versions": versions(), "indices": table.to_dict(orient="records")}))
        return 0
    print(f"{title.replace(chr(10), '; ')}; outcome over the sample: mean {np.mean(y):.4g}, sd {np.std(y):.3g}")
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(table.to_string(index=False, float_format=lambda v: f"{v:.3g}"))
    if args.method == "sobol" and n < 64:
        print(f"note: {n} base samples give rough Sobol' indices; check the confidence intervals (use 64 or more)")
    print(f"\nindices: {Path(args.out) / '_sensitivity.csv'}  plot: {Path(args.out) / '_sensitivity.png'}  "
          f"runs: pandas.read_parquet('{args.out}')")
    return 0
