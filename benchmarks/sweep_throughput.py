"""Sweep throughput: runs per minute at 50,000 agents x 10 years, local processes vs Dask.

    .venv/bin/python benchmarks/sweep_throughput.py                      # 2 workers, 4 scenarios x 4 replicates
    .venv/bin/python benchmarks/sweep_throughput.py --workers 4 --replicates 8 --engines local,dask

Each configuration runs the same sweep (baseline + the three policy packages by default, 5-year
burn-in) into a fresh store under ``benchmarks/results/`` (git-ignored) through the real sweep code
(``scenarios.sweep.run_sweep``): probe, engine start-up, simulation, atomic Parquet writes. Reported:
wall time, runs per minute including the engine's start-up and excluding it (the start-up is timed
separately with an empty engine), and the gain from sharing the burn-in between the scenarios of a
replicate. Every configuration must give byte-identical unit files; the script checks it. The load
average of the machine is printed before and after, since other jobs change the figures.
"""

from __future__ import annotations

import argparse
import filecmp
import json
import os
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pandas as pd  # noqa: E402

from recruitsim.scenarios import designs, sweep  # noqa: E402
from recruitsim.scenarios.engine import Engine  # noqa: E402


def cpu_now() -> float:
    """CPU seconds of this process and its reaped children (local workers, Dask worker processes)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def engine_startup(opts: dict) -> tuple[float, float]:
    """(wall, CPU) seconds to start and stop the engine with every worker up and nothing to do."""
    tic, cpu = time.perf_counter(), cpu_now()
    with Engine(**opts) as eng:
        list(eng.map(abs, range(eng.workers * 2)))  # make sure every worker is up
    return time.perf_counter() - tic, cpu_now() - cpu


def measure(name: str, rep: int, config: tuple[dict, bool], plan, st, n_runs: int, out: Path) -> dict:
    opts, reuse = config
    startup, startup_cpu = engine_startup(opts) if opts.get("workers", 2) > 1 else (0.0, 0.0)
    cpu0 = cpu_now()
    tic = time.perf_counter()
    res = sweep.run_sweep(plan, st, out / f"{name}-{rep}", opts, reuse=reuse, progress=False, summarise=False,
                          log=lambda msg: None)
    wall = time.perf_counter() - tic
    cpu = cpu_now() - cpu0 - startup_cpu  # simulation, probe and writing; not the workers' start-up
    assert res.ran == n_runs and res.complete
    r = {"config": name, "rep": rep, "engine": res.engine, "burn_in_reuse": reuse, "runs": n_runs, "wall_s": round(wall, 1),
         "engine_startup_s": round(startup, 1), "runs_per_min": round(n_runs / wall * 60, 2),
         "runs_per_min_excl_startup": round(n_runs / max(wall - startup, 1e-9) * 60, 2),
         "cpu_s_per_run": round(cpu / n_runs, 2), "load_after": round(os.getloadavg()[0], 2)}
    print(f"  {name:14s} {r['engine']:24s} {r['wall_s']:7.1f} s  {r['runs_per_min']:6.2f} runs/min "
          f"({r['runs_per_min_excl_startup']:.2f} excl. {r['engine_startup_s']:.1f} s start-up), "
          f"{r['cpu_s_per_run']:.2f} CPU s/run, load {r['load_after']:.2f}", flush=True)
    return r


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--agents", type=int, default=50_000)
    ap.add_argument("--years", type=float, default=10)
    ap.add_argument("--burn-in", type=float, default=5)
    ap.add_argument("--replicates", type=int, default=4)
    ap.add_argument("--scenarios", default="prevention_package,enforcement_package,balanced_package",
                    help="besides baseline (comma-separated)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--engines", default="local,local-noreuse,dask",
                    help="local, local-noreuse, dask, dask-noreuse, serial, serial-noreuse")
    ap.add_argument("--repeat", type=int, default=1, help="run the configurations round-robin this many times; "
                                                          "the table gives medians (load on a shared machine varies)")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "sweep_throughput")
    a = ap.parse_args()

    plan = designs.plan(None, [s for s in a.scenarios.split(",") if s])
    st = sweep.Settings("LAC", a.replicates, a.agents, float(a.years), float(a.burn_in), 1)
    n_runs = len(plan.arms) * a.replicates
    configs = {
        "local": ({"workers": a.workers}, True), "local-noreuse": ({"workers": a.workers}, False),
        "dask": ({"dask_local": a.workers}, True), "dask-noreuse": ({"dask_local": a.workers}, False),
        "serial": ({"workers": 1}, True), "serial-noreuse": ({"workers": 1}, False),
    }
    chosen = [e.strip() for e in a.engines.split(",") if e.strip()]
    for e in chosen:
        if e not in configs:
            ap.error(f"--engines: unknown '{e}'; choose from {', '.join(configs)}")
    shutil.rmtree(a.out, ignore_errors=True)
    a.out.mkdir(parents=True)
    load0 = os.getloadavg()
    print(f"command: {' '.join([Path(sys.executable).name, *sys.argv])}")
    print(f"sweep: {len(plan.arms)} scenarios x {a.replicates} replicates = {n_runs} runs of {a.agents:,} agents x "
          f"{a.years:g} years (+{a.burn_in:g}-year burn-in); {os.cpu_count()} cores; load average before "
          f"{load0[0]:.2f} {load0[1]:.2f} {load0[2]:.2f}")
    rows = []
    for rep in range(a.repeat):
        for name in chosen:
            rows.append(measure(name, rep, configs[name], plan, st, n_runs, a.out))
    dirs = sorted(p for p in a.out.iterdir() if p.is_dir())
    files = sorted(p.name for p in dirs[0].glob("*.parquet"))
    for other in dirs[1:]:
        assert files == sorted(p.name for p in other.glob("*.parquet"))
        assert all(filecmp.cmp(dirs[0] / f, other / f, shallow=False) for f in files), f"{other.name} differs from {dirs[0].name}"
    print(f"all {len(dirs)} sweeps wrote byte-identical unit files ({len(files)} files each)")
    table = pd.DataFrame(rows).groupby("config", sort=False).agg(
        description=("engine", "first"), reuse=("burn_in_reuse", "first"), runs=("runs", "first"), n=("rep", "size"),
        wall_s=("wall_s", "median"), runs_per_min=("runs_per_min", "median"),
        runs_per_min_excl_startup=("runs_per_min_excl_startup", "median"), cpu_s_per_run=("cpu_s_per_run", "median"),
        load=("load_after", "median"))
    by = table.to_dict("index")
    print()
    print(f"medians over {a.repeat} round(s):")
    print("| configuration | engine | burn-in reuse | runs | wall (s) | runs/min | runs/min excl. start-up | CPU s/run "
          "| load (1 min) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, r in by.items():
        print(f"| {name} | {r['description']} | {'yes' if r['reuse'] else 'no'} | {r['runs']} | {r['wall_s']:.1f} | "
              f"{r['runs_per_min']:.1f} | {r['runs_per_min_excl_startup']:.1f} | {r['cpu_s_per_run']:.2f} | {r['load']:.1f} |")
    for e in ("local", "dask", "serial"):
        if e in by and f"{e}-noreuse" in by:
            gain = by[e]["runs_per_min_excl_startup"] / by[f"{e}-noreuse"]["runs_per_min_excl_startup"] - 1
            cpu_gain = 1 - by[e]["cpu_s_per_run"] / by[f"{e}-noreuse"]["cpu_s_per_run"]
            print(f"burn-in reuse ({e}): {100 * gain:+.0f}% runs/min (wall, load-sensitive); "
                  f"{100 * cpu_gain:.0f}% less CPU per run (start-up excluded)")
    load1 = os.getloadavg()
    print(f"load average after: {load1[0]:.2f} {load1[1]:.2f} {load1[2]:.2f}")
    (a.out / "results.json").write_text(json.dumps({"command": sys.argv, "load_before": load0, "load_after": load1,
                                                    "rows": rows, "medians": by}, indent=1, default=str))
    print(f"results: {a.out / 'results.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
