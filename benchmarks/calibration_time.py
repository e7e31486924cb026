"""Time to calibrate one country on 2 cores with the default budget (run by hand; not a test).

    python benchmarks/calibration_time.py                 # Honduras, 2 local workers, default budget
    python benchmarks/calibration_time.py --country TTO --dask-local 2

Runs the user's command, ``recruitsim calibrate --country C --workers 2`` (into a temporary directory,
so the shipped posteriors are untouched), and reports its wall time next to the machine's load
(1-minute load average before and after, and the CPU time the workers got). Target (issue 4): <= 15
minutes on 2 cores. Appends a line to ``benchmarks/results/calibration_time.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LIMIT_MINUTES = 15


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--country", default="HND")
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--workers", type=int, default=None)
    g.add_argument("--dask-local", type=int, default=None)
    ap.add_argument("--budget", type=int, default=None, help="default: the CLI's default budget")
    args = ap.parse_args()
    engine = ["--dask-local", str(args.dask_local)] if args.dask_local else ["--workers", str(args.workers or 2)]
    with tempfile.TemporaryDirectory() as tmp:
        cmd = ["calibrate", "--country", args.country, *engine, "--out", tmp, "--json", "--quiet"]
        if args.budget:
            cmd += ["--budget", str(args.budget)]
        shown = "recruitsim " + " ".join(c if c != tmp else "/tmp/out" for c in cmd)
        print(f"command: {shown}", flush=True)
        load_before = os.getloadavg()
        tic = time.perf_counter()
        out = subprocess.run([sys.executable, "-m", "recruitsim", *cmd], capture_output=True, text=True, cwd=ROOT)
        wall = time.perf_counter() - tic
        load_after = os.getloadavg()
    if out.returncode != 0:
        print(out.stderr, file=sys.stderr)
        return out.returncode
    res = json.loads(out.stdout)
    child = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = child.ru_utime + child.ru_stime
    covered = sum(t["covered"] for t in res["targets"])
    row = {
        "country": args.country, "command": shown, "wall_seconds": round(wall, 1), "wall_minutes": round(wall / 60, 2),
        "simulations": res["simulations"], "stop_reason": res["stop_reason"],
        "cpu_seconds_all_processes": round(cpu, 1), "cores_used_on_average": round(cpu / wall, 2),
        "load_1min_before": round(load_before[0], 2), "load_1min_after": round(load_after[0], 2),
        "cpus": os.cpu_count(), "targets_covered": f"{covered}/{len(res['targets'])}",
        "within_limit": wall <= LIMIT_MINUTES * 60,
    }
    print(json.dumps(row, indent=1))
    results = ROOT / "benchmarks" / "results"
    results.mkdir(parents=True, exist_ok=True)
    with open(results / "calibration_time.md", "a") as f:
        f.write(f"- {time.strftime('%Y-%m-%d %H:%M')}: `{shown}`: {row['wall_minutes']} min wall, {row['simulations']} "
                f"simulations, {row['cores_used_on_average']} cores used on average, load {row['load_1min_before']} -> "
                f"{row['load_1min_after']} on {row['cpus']} CPUs; {row['targets_covered']} targets covered\n")
    return 0 if row["within_limit"] else 1


if __name__ == "__main__":
    sys.exit(main())
