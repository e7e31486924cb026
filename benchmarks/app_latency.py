"""How long the app takes from pressing Run to results (run by hand; not a test).

    python benchmarks/app_latency.py                 # default run (LAC, 20k youths, 10 years, 5 replicates)
    python benchmarks/app_latency.py --repeat 5 --agents 50000

Drives ``recruitsim.app_logic.run.run_comparison`` exactly as the page's background task does, and times:

* **first results**: Run -> replicate 1 of the baseline *and* every option finished (ranking, plane and charts
  shown), the figure the issue asks to keep under 2 s for a default run;
* **all replicates**: Run -> the last replicate finished (uncertainty band complete).

Three situations, each repeated ``--repeat`` times:

* ``cold``   : worker processes started, nothing cached: baseline and scenario both simulated;
* ``warm``   : the default settings' baselines already computed (the server computes them once when the
               first page opens, as they are the same for every user): only the scenario is simulated;
* ``threads``: no worker processes (``RECRUITSIM_APP_WORKERS=0``), nothing cached.

The browser adds its own part (websocket, drawing); ``tests/test_app_browser.py`` measures Run -> results
in Chromium and writes ``tests/artifacts/app_latency.json``. Timings on a shared 2-core machine are noisy:
the load average is printed with each figure.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from recruitsim.app_logic import options as O  # noqa: E402
from recruitsim.app_logic import run as R  # noqa: E402
from recruitsim.app_logic import state as S  # noqa: E402


def one_run(settings: S.Settings, use_pool: bool) -> tuple[float, float]:
    tic = time.perf_counter()
    first = None
    for snap in R.run_comparison(settings, use_pool=use_pool):
        if first is None and snap.replicates_done >= 1:
            first = time.perf_counter() - tic
        if snap.status in ("error", "cancelled"):
            raise SystemExit(f"run failed: {snap.message}")
    return first, time.perf_counter() - tic


def wait_for_prefetch() -> None:
    while True:
        with R._shared.lock:
            if not R._shared.inflight:
                return
        time.sleep(0.05)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--agents", type=int, default=S.DEFAULTS["agents"])
    ap.add_argument("--years", type=int, default=S.DEFAULTS["years"])
    ap.add_argument("--replicates", type=int, default=S.DEFAULTS["replicates"])
    ap.add_argument("--options", default=",".join(O.DEFAULT_OPTIONS),
                    help="comma-separated library scenarios to compare (default: the page's default set)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--modes", default="cold,warm,threads")
    ap.add_argument("--json", action="store_true", help="print one JSON line with every measurement")
    args = ap.parse_args()
    options = tuple(O.catalogue()[n] for n in args.options.split(","))
    settings, problems = S.validate("LAC", args.agents, args.years, S.DEFAULTS["seed"], args.replicates, options)
    if problems:
        raise SystemExit("; ".join(problems))
    out = {"settings": f"LAC, {args.agents:,} youths, {args.years} years (+{S.BURN_IN_YEARS} burn-in), "
                       f"{args.replicates} replicates, options {args.options}", "cores": len(os.sched_getaffinity(0)),
           "workers": R.pool_workers(), "modes": {}}
    R.warm_up(prefetch=False)
    pool = R.get_pool()
    if pool is not None:  # the workers are up before anything is timed (as when a user has the page open)
        [f.result() for f in [pool.submit(R._noop) for _ in range(R.pool_workers())]]
    for mode in args.modes.split(","):
        rows = []
        for _ in range(args.repeat):
            R.clear_baselines()
            if mode == "warm":
                for r in range(args.replicates):
                    R.baseline_source(R.Job("LAC", args.agents, args.years, S.DEFAULTS["seed"], r, "baseline"), pool)
                wait_for_prefetch()
            load = os.getloadavg()[0]
            first, total = one_run(settings, use_pool=mode != "threads")
            rows.append({"first_results_s": round(first, 3), "all_replicates_s": round(total, 3), "load1": round(load, 2)})
            if not args.json:
                print(f"{mode:8s} first results {first:5.2f} s   all {args.replicates} replicates {total:5.2f} s   "
                      f"(load average {load:.1f} on {out['cores']} cores)", flush=True)
        out["modes"][mode] = {"runs": rows,
                              "median_first_results_s": statistics.median(r["first_results_s"] for r in rows),
                              "median_all_replicates_s": statistics.median(r["all_replicates_s"] for r in rows)}
    R.reset_pool()
    if args.json:
        print(json.dumps(out))
    else:
        print(json.dumps({m: {k: v for k, v in d.items() if k != "runs"} for m, d in out["modes"].items()}, indent=1))


if __name__ == "__main__":
    main()
