"""Agent-steps per CPU-second of the full model: fair under load (the process's CPU time, not wall time).

    python benchmarks/cpu_speed.py
"""

import os
import time

from recruitsim.model import RecruitmentModel


def main() -> None:
    for n in (100_000, 1_000_000):
        m = RecruitmentModel("LAC", n_agents=n, years=5, burn_in_years=5, rng=1, collect=False)
        c0, w0, months = time.process_time(), time.perf_counter(), 0
        while m.running:
            m.step()
            months += 1
        cpu, wall = time.process_time() - c0, time.perf_counter() - w0
        print(f"LAC {n:,} agents, {months} months: {n * months / cpu / 1e6:.1f} M agent-steps per CPU-second "
              f"({cpu:.1f} CPU s, {wall:.1f} wall s, load {os.getloadavg()[0]:.1f})", flush=True)


if __name__ == "__main__":
    main()
