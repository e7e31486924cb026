"""Agent-steps per CPU-second of the full model (fair under load: the process's CPU time, not wall time)."""
import time, os
from recruitsim.model import RecruitmentModel
for n in (100_000, 1_000_000):
    m = RecruitmentModel("LAC", n_agents=n, years=5, burn_in_years=5, rng=1, collect=False)
    c0, w0 = time.process_time(), time.perf_counter(); k = 0
    while m.running:
        m.step(); k += 1
    c, w = time.process_time() - c0, time.perf_counter() - w0
    print(f"LAC {n:,} agents, {k} months: {n*k/c/1e6:.1f} M agent-steps per CPU-second ({c:.1f} CPU s, {w:.1f} wall s, load {os.getloadavg()[0]:.1f})", flush=True)
