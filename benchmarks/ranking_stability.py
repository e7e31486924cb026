"""How stable is the ranking of `recruitsim compare` for its number of paired replicates?

Reads the ``runs.parquet`` that ``recruitsim compare --out DIR`` writes and bootstraps the paired replicates:
each resample draws ``k`` replicate ids with replacement (the same ids in every scenario, so pairs stay
paired), recomputes the comparison table with the same economics (central prices and 50 economic draws), and
orders the options by net benefit (the quantity ``compare`` ranks). It prints, for each ``k``, how often the
resampled ordering agrees with the full run's (the top option, the top three as a set, the top three in order)
and how often the same options are distinguishable from no effect (80% interval of homicides averted, or of the
chosen outcome, excluding zero).

    python benchmarks/ranking_stability.py results/compare-LAC --country LAC --resamples 100

This measures the precision of the ranking at the run's own agent count; a resample of k replicates stands in
for a run with k replicates (it overstates stability somewhat for k close to the run's own count).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd

from recruitsim.economics import cea
from recruitsim.economics.compare import policy_kinds


def ranking(results: pd.DataFrame, country: str, kinds: dict[str, str], draws: int) -> tuple[list[str], set[str]]:
    """Every option by net benefit (the quantity ``compare`` ranks), and the set distinguishable from no effect."""
    t = cea.scenario_table(results, country, policy_kinds=kinds, n_draws=draws)
    t = t[t["name"] != "baseline"]
    order = list(t.sort_values("net_benefit", ascending=False)["name"])
    return order, set(t.loc[t["distinguishable"].astype(bool), "name"])


def resample(results: pd.DataFrame, ids: np.ndarray) -> pd.DataFrame:
    """The runs of replicates ``ids`` (with repeats), renumbered 0..k-1 so that repeats stay separate pairs."""
    parts = []
    for new, old in enumerate(ids):
        part = results[results["replicate"] == old].copy()
        part["replicate"] = new
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def agreement(full: tuple[list[str], set[str]], sample: tuple[list[str], set[str]]) -> tuple[bool, ...]:
    (f, fd), (s, sd) = full, sample
    return (s[:1] == f[:1], set(s[:3]) == set(f[:3]), s[:3] == f[:3], sd == fd)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", help="a `recruitsim compare --out` folder (with runs.parquet and summary.json)")
    ap.add_argument("--country", default=None, help="default: the country in summary.json")
    ap.add_argument("--resamples", type=int, default=100)
    ap.add_argument("--sizes", default="2,4,6", help="replicates per resample")
    ap.add_argument("--draws", type=int, default=50, help="economic draws per table (compare uses 200)")
    args = ap.parse_args()
    out = Path(args.out)
    results = pd.read_parquet(out / "runs.parquet")
    settings = json.loads((out / "summary.json").read_text()).get("settings", {})
    country = args.country or settings.get("country", "LAC")
    kinds = policy_kinds(sorted(set(results["scenario"])))
    reps = np.array(sorted(set(results["replicate"])))
    tic = time.perf_counter()
    full = ranking(results, country, kinds, args.draws)
    print(f"{country}: {len(reps)} replicates in the run; by net benefit: {', '.join(full[0])}; "
          f"distinguishable from no effect: {', '.join(sorted(full[1])) or 'none'}")
    print("| replicates per resample | resamples | top option same | top 3 same set | top 3 same order | same options distinguishable |")
    print("|---|---|---|---|---|---|")
    rng = np.random.default_rng(0)
    for k in (int(s) for s in args.sizes.split(",")):
        hits = np.array([agreement(full, ranking(resample(results, rng.choice(reps, k)), country, kinds, args.draws))
                         for _ in range(args.resamples)])
        top1, set3, order3, dist = hits.mean(axis=0)
        print(f"| {k} | {args.resamples} | {top1:.2f} | {set3:.2f} | {order3:.2f} | {dist:.2f} |")
    print(f"({time.perf_counter() - tic:.0f} s)")


if __name__ == "__main__":
    main()
