"""Speed and memory of the simulator (run by hand; not a test).

    python benchmarks/model_speed.py            # 10k, 100k, 1M agents + Mesa one-object-per-agent core
    python benchmarks/model_speed.py --national # also every young person of Honduras for one year

Each measurement is a separate `recruitsim run ... --json` process (the README's command), so timings
are the simulation wall time the CLI reports (burn-in included) and peak memory is the process's
maximum RSS. Memory growth per agent = (peak RSS - peak RSS of a 1,000-agent run) / agents.
Targets (issue 2, one core of a 2-core machine): >= 10 M agent-steps/s at 1M agents (stretch 20 M);
>= 200x the one-object-per-agent Mesa version; time(1M)/time(100k) <= 12; growth <= 250 bytes/agent.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def cli_run(agents: int, years: float, country: str = "LAC", burn_in: float = 5) -> dict:
    cmd = [sys.executable, "-m", "recruitsim", "run", "--country", country, "--agents", str(agents),
           "--years", str(years), "--burn-in", str(burn_in), "--json"]
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, check=True)
    res = json.loads(out.stdout.strip().splitlines()[-1])
    res["command"] = "recruitsim " + " ".join(cmd[3:])
    return res


def mesa_core(agents: int, steps: int) -> float:
    """Agent-steps per second of the one-object-per-agent Mesa version (in a child process)."""
    code = (
        "import sys, time; sys.path.insert(0, 'benchmarks'); from mesa_baseline import MesaCore\n"
        f"m = MesaCore({agents}); m.step(); t = time.perf_counter()\n"
        f"for _ in range({steps}): m.step()\n"
        f"print({agents} * {steps} / (time.perf_counter() - t))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def array_core(agents: int, steps: int) -> float:
    """Agent-steps per second of the same three processes in the array model (recruitment, arrest and
    custody, desistance; no other process runs), in a child process. Arrests come from offences in the
    model, so the month's offences are drawn too (``offending.step``)."""
    code = (
        "import time; from recruitsim.model import RecruitmentModel, recruitment, offending, policing, desistance, outputs\n"
        f"m = RecruitmentModel('LAC', n_agents={agents}, years=1, burn_in_years=0, rng=1, collect=False)\n"
        "t = time.perf_counter()\n"
        f"for _ in range({steps}):\n"
        "    m.stats = outputs.new_counters(); recruitment.step(m); offending.step(m); policing.step(m); desistance.step(m)\n"
        "    m.t += 1; m.month += 1\n"
        f"print({agents} * {steps} / (time.perf_counter() - t))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--years", type=float, default=5)
    ap.add_argument("--national", action="store_true", help="also Honduras at 1:1 scale for one year")
    args = ap.parse_args()
    load = os.getloadavg()[0]
    base = cli_run(1000, 1, burn_in=0)["peak_memory_mb"]
    rows = []
    for n in [int(s) for s in args.sizes.split(",")]:
        r = cli_run(n, args.years)
        r["growth_bytes_per_agent"] = (r["peak_memory_mb"] - base) * 2**20 / n
        rows.append(r)
        print(json.dumps({k: r[k] for k in ("agents", "seconds", "agent_steps_per_second", "peak_memory_mb",
                                             "growth_bytes_per_agent")}), flush=True)
    mesa_rate = mesa_core(10_000, 12)
    core_rate = {n: array_core(n, 24) for n in (10_000, 1_000_000)}
    by_n = {r["agents"]: r for r in rows}

    lines = [f"Measured {time.strftime('%Y-%m-%d %H:%M')} on {os.cpu_count()} cores (load average at start {load:.2f}).", "",
             "| agents | months (burn-in + run) | simulation s | agent-steps/s | peak RSS MB | growth bytes/agent |",
             "|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['agents']:,} | {r['burn_in_months']} + {r['months']} | {r['seconds']:.2f} | "
                     f"{r['agent_steps_per_second'] / 1e6:.1f} M | {r['peak_memory_mb']:.0f} | {r['growth_bytes_per_agent']:.0f} |")
    lines.append(f"| 10,000 (Mesa, one object per agent; recruitment + desistance + arrest only) | 12 | | "
                 f"{mesa_rate / 1e6:.3f} M | | |")
    for n, rate in core_rate.items():
        lines.append(f"| {n:,} (arrays; the same three processes only) | 24 | | {rate / 1e6:.1f} M | | |")
    lines.append("")
    lines.append(f"- same core, arrays at 1M vs Mesa objects at 10k: **{core_rate[1_000_000] / mesa_rate:.0f}x**; "
                 f"both at 10k: {core_rate[10_000] / mesa_rate:.0f}x")
    if 1_000_000 in by_n:
        lines.append(f"- full model (all processes) at 1M vs the one-object-per-agent Mesa core at 10k: "
                     f"**{by_n[1_000_000]['agent_steps_per_second'] / mesa_rate:.0f}x**")
    if 10_000 in by_n:
        lines.append(f"- full model vs Mesa core, both at 10k agents: {by_n[10_000]['agent_steps_per_second'] / mesa_rate:.0f}x")
    if 1_000_000 in by_n and 100_000 in by_n:
        lines.append(f"- time(1M) / time(100k) = {by_n[1_000_000]['seconds'] / by_n[100_000]['seconds']:.1f}")
    if args.national:
        from recruitsim.model import get_profile

        n = int(round(get_profile("HND").youth_population))
        r = cli_run(n, 1)
        lines.append(f"- Honduras at 1:1 scale: {n:,} agents (every young person 10-29), 60 burn-in + 12 months: "
                     f"{r['seconds']:.1f} s simulation + {r['setup_seconds']:.1f} s set-up, peak RSS {r['peak_memory_mb']:.0f} MB, "
                     f"{r['agent_steps_per_second'] / 1e6:.1f} M agent-steps/s (`{r['command']}`)")
    lines.append("")
    lines.append("Commands: " + "; ".join(f"`{r['command']}`" for r in rows))
    text = "\n".join(lines)
    print(text)
    out = ROOT / "benchmarks" / "results"
    out.mkdir(exist_ok=True)
    (out / "model_speed.md").write_text(text + "\n")


if __name__ == "__main__":
    main()
