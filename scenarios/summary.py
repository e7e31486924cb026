"""Summaries of a sweep: median and 10-90% interval of each outcome, and of its paired difference.

Each (scenario, replicate) run is first reduced to one number per outcome over the horizon:

* flows (counts per month: recruits, homicides, arrests, costs...): the **total** over the horizon;
* stocks, rates and shares (members, incarceration rate, NEET rate...): the **mean of the final 12
  months** (where a policy has taken the system by the end).

Across replicates, the summary gives the median and the 10% and 90% quantiles (linear interpolation)
of that number, and of the *paired difference* from the scenario's reference (the baseline run of
the same replicate, so with the same random numbers), absolute and relative to the reference (%).
``policy_cost`` is the sum of the scenario's policy costs (USD, ``cost_*`` columns).

    from . import summary
    s = summary.summarise_dir("results/sweep")          # the long table written to _summary.csv
    print(summary.format_table(s, ["recruits", "homicides"]))
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from recruitsim.model.outputs import COLUMNS

ID_COLUMNS = ("scenario", "replicate", "point", "month", "year")
HEADLINE = ("recruits", "members", "homicides", "incarcerated", "policy_cost")
QUANTILES = (0.1, 0.5, 0.9)


def kind(column: str) -> str:
    """flow | stock | rate | share, from ``model.outputs.COLUMNS`` (policy columns by prefix)."""
    if column in COLUMNS:
        return COLUMNS[column][0]
    if column.startswith(("cost_", "starts_")) or column == "policy_cost":
        return "flow"
    return "stock"


def statistic(column: str) -> str:
    return "total" if kind(column) == "flow" else "final-year mean"


def outcome_columns(df: pd.DataFrame, factors: list[str] | tuple[str, ...] = ()) -> list[str]:
    return [c for c in df.columns if c not in ID_COLUMNS and c not in factors]


def per_run(df: pd.DataFrame, factors: list[str] | tuple[str, ...] = ()) -> pd.DataFrame:
    """One row per (scenario, replicate): each outcome reduced over the horizon (see module doc)."""
    outcomes = outcome_columns(df, factors)
    costs = [c for c in outcomes if c.startswith("cost_")]
    df = df.sort_values(["scenario", "replicate", "month"], kind="stable")
    g = df.groupby(["scenario", "replicate"], sort=True)
    flows = [c for c in outcomes if kind(c) == "flow"]
    levels = [c for c in outcomes if kind(c) != "flow"]
    parts = []
    if flows:
        parts.append(g[flows].sum())
    if levels:
        parts.append(g.tail(12).groupby(["scenario", "replicate"], sort=True)[levels].mean())
    out = pd.concat(parts, axis=1)[outcomes]
    out["policy_cost"] = out[costs].sum(axis=1) if costs else 0.0
    return out


def _quantiles(frame: pd.DataFrame, prefix: str) -> pd.DataFrame:
    """Per scenario (level 0) and column: 10%, 50%, 90% quantiles (linear), long format."""
    q = frame.groupby(level=0, sort=False).quantile(list(QUANTILES))  # index (scenario, q)
    q.index = q.index.set_names(["scenario", "q"])
    long = q.stack(future_stack=True).rename("v").reset_index().rename(columns={"level_2": "outcome"})
    long["q"] = long["q"].map({0.1: f"{prefix}q10", 0.5: f"{prefix}median", 0.9: f"{prefix}q90"})
    return long.pivot_table(index=["scenario", "outcome"], columns="q", values="v", dropna=False, sort=False)


def summarise(df: pd.DataFrame, references: dict[str, str | None], factors: list[str] | tuple[str, ...] = ()) -> pd.DataFrame:
    """The long summary table: one row per (scenario, outcome).

    ``references`` maps each scenario label to the label of its reference (None for references).
    """
    runs = per_run(df, factors)
    runs.columns.name = None
    present = set(df["scenario"])
    scenarios = [s for s in references if s in present] + sorted(present - set(references))  # the sweep's order
    outcomes = list(runs.columns)
    n_runs = runs.groupby(level=0, sort=False).size()
    out = _quantiles(runs, "")
    # paired differences: each run minus its reference's run of the same replicate
    sc_idx = runs.index.get_level_values(0)
    ref_of = pd.Series(sc_idx.map(lambda s: references.get(s) or ""), index=runs.index)
    has_ref = (ref_of != "").to_numpy()
    if has_ref.any():
        mine = runs[has_ref]
        keys = pd.MultiIndex.from_arrays([ref_of[has_ref].to_numpy(), mine.index.get_level_values(1)])
        theirs = runs.reindex(keys)
        theirs.index = mine.index
        ok = theirs.notna().any(axis=1).to_numpy()
        mine, theirs = mine[ok], theirs[ok]
        diff = mine - theirs
        with np.errstate(divide="ignore", invalid="ignore"):
            pct = (100.0 * diff / theirs).where(theirs != 0)
        out = out.join(_quantiles(diff, "diff_"), how="left").join(_quantiles(pct, "pct_"), how="left")
        n_pairs = diff.groupby(level=0, sort=False).size()
    else:
        n_pairs = pd.Series(dtype=int)
    out = out.reset_index()
    out["reference"] = out["scenario"].map(lambda s: references.get(s) or "")
    out["statistic"] = out["outcome"].map(statistic)
    out["runs"] = out["scenario"].map(n_runs).astype(int)
    out["pairs"] = out["scenario"].map(n_pairs).fillna(0).astype(int)
    order = {(s, o): i for i, (s, o) in enumerate((s, o) for s in scenarios for o in outcomes)}
    out = out.iloc[np.argsort([order[(s, o)] for s, o in zip(out["scenario"], out["outcome"], strict=True)], kind="stable")]
    cols = ["scenario", "reference", "outcome", "statistic", "runs", "median", "q10", "q90", "pairs",
            "diff_median", "diff_q10", "diff_q90", "pct_median", "pct_q10", "pct_q90"]
    out = out.reindex(columns=cols).reset_index(drop=True)
    out.columns.name = None
    return out


def references_of(design_csv: Path) -> dict[str, str | None]:
    d = pd.read_csv(design_csv, keep_default_na=False)
    return {r.scenario: (r.reference or None) for r in d.itertuples()}


def summarise_dir(path: str | Path) -> pd.DataFrame:
    """Summarise a sweep directory (uses its ``_design.csv`` for the references)."""
    path = Path(path)
    df = pd.read_parquet(path)
    design = pd.read_csv(path / "_design.csv", keep_default_na=False)
    factors = [c for c in design.columns if c not in ("scenario", "point", "reference", "description")]
    return summarise(df, references_of(path / "_design.csv"), factors)


# ---- printing -------------------------------------------------------------------------------------
def fmt(v: float, col: str, signed: bool = False) -> str:
    if v is None or not np.isfinite(v):
        return "-"
    sign = "+" if signed and v > 0 else ""
    if kind(col) == "share":
        return f"{sign}{100 * v:.2f}%" if not signed else f"{sign}{100 * v:.2f} pt"
    a = abs(v)
    if col.endswith("cost") or col.startswith("cost_"):
        sign = ("+" if v > 0 else "-") if signed else ("-" if v < 0 else "")
        return f"{sign}${_si(a)}"
    if kind(col) == "rate" or a < 1000:
        return f"{sign}{v:.3g}" if a >= 1 or a == 0 else f"{sign}{v:.2g}"
    return f"{'-' if v < 0 else sign}{_si(a)}"


def _si(a: float) -> str:
    for div, suffix in ((1e9, "bn"), (1e6, "M"), (1e3, "k")):
        if a >= div:
            return f"{a / div:.3g}{suffix}"
    return f"{a:.3g}"


def format_table(summary: pd.DataFrame, outcomes: list[str] | tuple[str, ...] = HEADLINE) -> str:
    """A readable table: per scenario and outcome, median [10%, 90%], and the paired difference."""
    s = summary[summary["outcome"].isin(outcomes)].copy()
    s["order"] = s["outcome"].map({o: i for i, o in enumerate(outcomes)})
    scen_order = {sc: i for i, sc in enumerate(dict.fromkeys(summary["scenario"]))}
    s = s.sort_values(["scenario", "order"], key=lambda c: c.map(scen_order) if c.name == "scenario" else c)
    lines = []
    for r in s.itertuples():
        level = f"{fmt(r.median, r.outcome)} [{fmt(r.q10, r.outcome)}, {fmt(r.q90, r.outcome)}]"
        if r.pairs:
            diff = (f"{fmt(r.diff_median, r.outcome, True)} [{fmt(r.diff_q10, r.outcome, True)}, "
                    f"{fmt(r.diff_q90, r.outcome, True)}]")
            pct = f"{r.pct_median:+.1f}%" if np.isfinite(r.pct_median) else "-"
        else:
            diff = pct = ""
        lines.append((r.scenario, f"{r.outcome} ({'total' if r.statistic == 'total' else 'final yr'})", level, diff, pct))
    head = ("scenario", "outcome", "median [10%, 90%]", "paired diff vs reference [10%, 90%]", "diff %")
    widths = [max(len(x[i]) for x in [head, *lines]) for i in range(5)]
    out, last = [], None
    for i, x in enumerate([head, *lines]):
        name = x[0] if x[0] != last or i == 0 else ""
        if i > 1 and x[0] != last:
            out.append("")
        last = x[0]
        out.append("  ".join([name.ljust(widths[0]), x[1].ljust(widths[1]), x[2].rjust(widths[2]),
                              x[3].rjust(widths[3]), x[4].rjust(widths[4])]).rstrip())
    return "\n".join(out)
