"""Gain from sharing the burn-in between the scenarios of a replicate, measured A/B in one process.

    .venv/bin/python benchmarks/burn_in_reuse.py                 # 50,000 agents x 10 years, 5-year burn-in
    .venv/bin/python benchmarks/burn_in_reuse.py --rounds 5 --scenarios mentoring,jobs,hotline

Each round runs the same units twice, alternating the order: fresh (``runner.run_unit``, one
model and burn-in per scenario) and shared (``runner.run_group``, one burn-in, then a deep copy per
scenario). It reports the median wall and CPU seconds per run of each, and checks that both give
identical data. Alternating in one process makes the comparison robust to the load of a shared
machine, which a throughput benchmark is not. Writes nothing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pandas as pd  # noqa: E402

from recruitsim.scenarios.runner import Unit, run_group, run_unit  # noqa: E402


def timed(fn):
    w, c = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - w, time.process_time() - c


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--agents", type=int, default=50_000)
    ap.add_argument("--years", type=float, default=10)
    ap.add_argument("--burn-in", type=float, default=5)
    ap.add_argument("--scenarios", default="baseline,prevention_package,enforcement_package,balanced_package")
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args()
    names = [s for s in a.scenarios.split(",") if s]
    print(f"command: {' '.join([Path(sys.executable).name, *sys.argv])}")
    print(f"{len(names)} scenarios sharing one burn-in, {a.agents:,} agents x {a.years:g} years after a {a.burn_in:g}-year "
          f"burn-in; {a.rounds} rounds; load average {os.getloadavg()[0]:.2f}")
    res: dict[str, list[tuple[float, float]]] = {"fresh": [], "shared": []}
    for r in range(a.rounds):
        units = [Unit(n, r, "LAC", a.agents, a.years, a.burn_in, 1) for n in names]
        order = ("fresh", "shared") if r % 2 == 0 else ("shared", "fresh")
        out = {}
        for mode in order:
            fn = (lambda: [run_unit(u) for u in units]) if mode == "fresh" else (lambda: run_group(units))
            out[mode], wall, cpu = timed(fn)
            res[mode].append((wall / len(units), cpu / len(units)))
            print(f"  round {r} {mode:6s}: {wall / len(units):.2f} s wall, {cpu / len(units):.2f} s CPU per run", flush=True)
        for f, s in zip(out["fresh"], out["shared"], strict=True):
            pd.testing.assert_frame_equal(f, s, check_exact=True)
    med = {m: (statistics.median(w for w, _ in v), statistics.median(c for _, c in v)) for m, v in res.items()}
    print(f"median per run: fresh {med['fresh'][0]:.2f} s wall / {med['fresh'][1]:.2f} s CPU; "
          f"shared burn-in {med['shared'][0]:.2f} s wall / {med['shared'][1]:.2f} s CPU")
    print(f"burn-in reuse: {100 * (1 - med['shared'][1] / med['fresh'][1]):.0f}% less CPU per run "
          f"({med['fresh'][1] / med['shared'][1]:.2f}x runs per CPU-second); identical data; "
          f"load average after {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
