"""Fit reports: each target against its 90% posterior predictive interval, as a table and a plot."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from recruitsim.model.profiles import get_profile

from .identification import NOT_IDENTIFIED, weighted_quantiles
from .priors import prior_of

LABELS = {
    "homicide_rate": "Homicide rate per 100,000",
    "incarceration_rate": "Prisoners per 100,000",
    "male_share_victims": "Male share of victims",
    "male_15_29_homicide_rate": "Homicide rate, males 15-29",
    "group_share_homicides": "Group-linked share of homicides",
    "firearm_share": "Firearm share of homicides",
    "members": "Group members aged 10-29",
    "homicide_rate_counted": "Homicide rate (counted, one run)",
    "member_prevalence_per_1000": "Members per 1,000 youths",
    "recruits_per_year": "Recruits per year",
    "arrests_per_year": "Arrests of youths per year",
    "neet_rate_15_24": "NEET 15-24 (input)",
    "completion_rate_20_24": "Secondary completed 20-24 (input)",
    "members_trend": "Members: yearly log change (status quo)",
    "homicide_trend": "Youth homicides: yearly log change (status quo)",
    "displaced_per_year": "People displaced per year (all ages)",
    "displaced_stock": "People living displaced (all ages)",
}


def _fmt(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, list):
        return f"{_fmt(v[0])}-{_fmt(v[1])}"
    if isinstance(v, float) and not math.isfinite(v):
        return "-"
    a = abs(v)
    if a >= 1000:
        return f"{v:,.0f}"
    if a >= 10:
        return f"{v:.1f}"
    if a >= 1:
        return f"{v:.2f}"
    return f"{v:.3g}"


def _inputs(code: str, predictive: pd.DataFrame) -> list[tuple[str, float, float, float]]:
    p = get_profile(code).params()
    rows = []
    for stat, param in (("neet_rate_15_24", "neet_rate"), ("completion_rate_20_24", "completion_rate")):
        if stat in predictive:
            q = np.quantile(predictive[stat], [0.05, 0.95])
            rows.append((LABELS[stat], getattr(p, param), q[0], q[1]))
    return rows


def markdown(code: str, meta: dict[str, Any], posterior: pd.DataFrame, predictive: pd.DataFrame) -> str:
    prof = get_profile(code)
    s = meta["settings"]
    lines = [
        f"# Calibration of {prof.name} ({code})",
        "",
        f"ABC (adaptive population Monte Carlo), {meta['simulations']} simulations of {s['agents']:,} agents "
        f"({s['burn_in']:g}-year burn-in, statistics averaged over the next {s['years']:g} years), seed {meta['seed']}, "
        f"{meta['seconds']:.0f} s on {meta['engine']}; stopped on {meta['stop_reason']}; {meta['kept']} particles kept "
        f"(effective sample size {meta['ess']:.0f}).",
        *_pooled_note(meta),
        f"Posterior predictive: {meta['predictive_replicates']} replicates run as scenario runs use the posterior "
        f"(replicate r = posterior draw r, seed `replicate_seed(1, r)`).",
        "",
        "## Targets against the 90% posterior predictive interval",
        "",
        "| target | observed | 90% interval | median | covered | kind | source |",
        "|---|---|---|---|---|---|---|",
    ]
    for t in meta["targets"]:
        lines.append(f"| {LABELS.get(t['name'], t['name'])} | {_fmt(t['observed'])} | {_fmt(t['low'])} - {_fmt(t['high'])} "
                     f"| {_fmt(t['median'])} | {'yes' if t['covered'] else '**no**'} | {t['kind'].replace('_', ' ')} | {t['source']} |")
    n_cov = sum(t["covered"] for t in meta["targets"])
    lines += ["", f"{n_cov} of {len(meta['targets'])} targets covered.", ""]
    n_obs = sum(t["kind"] == "observed" for t in meta["targets"])
    if n_obs <= 2:
        lines += [f"**Sparse data.** Only {n_obs} of these figures are observed for {prof.name}; the rest fall back to "
                  "regional values. The posterior reproduces them, but leaves the split between group and other violence "
                  "and the size of the groups wide: read the predictions below, and scenario results for this profile, "
                  "with their intervals.", ""]
    if meta.get("predictions"):
        lines += ["## Predictions: 90% posterior predictive interval (targeted or not)", "",
                  "| quantity | 5% | median | 95% |", "|---|---|---|---|"]
        for name, q in meta["predictions"].items():
            lines.append(f"| {LABELS.get(name, name)} | {_fmt(q['low'])} | {_fmt(q['median'])} | {_fmt(q['high'])} |")
        lines += ["", "The counted homicide rate is what one run at this agent count shows: it adds the small-sample "
                  "noise of drawing victims, which the calibration statistic (expected homicides) leaves out.", ""]
    inputs = _inputs(code, predictive)
    if inputs:
        lines += ["## Inputs matched by construction", "", "| input | profile value | simulated 90% interval |", "|---|---|---|"]
        for label, v, lo, hi in inputs:
            lines.append(f"| {label} | {v:.3f} | {lo:.3f} - {hi:.3f} |")
        lines.append("")
    lines += ["## Posterior of the calibrated parameters", "",
              "Identification: width of the 90% posterior interval over the prior's width (sampling space; "
              f"{NOT_IDENTIFIED:g} = the data say nothing, smaller = better pinned down).", "",
              "| parameter | prior | 5% | median | 95% | identification |", "|---|---|---|---|---|---|"]
    ident = meta.get("identification", {})
    w = posterior["weight"].to_numpy(float)
    w = w / w.sum()
    for name in meta["parameters"]:
        v = posterior[name].to_numpy(float)
        q = weighted_quantiles(v, w, [0.05, 0.5, 0.95])
        lines.append(f"| `{name}` | {_prior_label(name, meta)} | {_fmt(q[0])} | {_fmt(q[1])} | {_fmt(q[2])} "
                     f"| {_fmt(ident.get(name))} |")
    lines += ["", f"![fit]({code}.png)", ""]
    return "\n".join(lines)


def _pooled_note(meta: dict[str, Any]) -> list[str]:
    """The line saying the fit used the hierarchical prior (stage 2 of partial pooling), if it did."""
    if not meta.get("hierarchical_prior"):
        return []
    return ["Prior: **hierarchical** (stage 2 of partial pooling, `calibration/pooling.py`): each pooled parameter "
            "is drawn from the region's distribution of countries, fitted without this country (leave-one-out), "
            "truncated to the box; the table gives that distribution's 90% range. The identification ratio is "
            "still taken against the box, so it counts what the region adds as well as what this country's data say."]


def _prior_label(name: str, meta: dict[str, Any]) -> str:
    """The prior of one parameter as the fit used it: the box, or the hierarchical prior's 90% range in the box."""
    prior = prior_of(name)
    h = (meta.get("hierarchical_prior") or {}).get(name)
    if not h:
        return prior.label
    lo, hi = prior.bounds
    a = min(max(h["mu"] - 1.645 * h["tau"], lo), hi)
    b = min(max(h["mu"] + 1.645 * h["tau"], lo), hi)
    low, high = prior.to_value(np.array([a, b]))
    return f"region {low:.3g}-{high:.3g} (90%) in {prior.label}"


def plot(code: str, meta: dict[str, Any], predictive: pd.DataFrame, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tg = meta["targets"]
    fig, axes = plt.subplots(1, len(tg), figsize=(2.3 * len(tg) + 0.6, 2.9), squeeze=False)
    for ax, t in zip(axes[0], tg, strict=True):
        v = predictive[t["name"]].to_numpy(float) if t["name"] in predictive else np.array([])
        v = v[np.isfinite(v)]
        scale = 1e-3 if t["name"] == "members" else 1.0
        if v.size:
            ax.scatter(np.random.default_rng(0).uniform(-0.15, 0.15, v.size), v * scale, s=6, alpha=0.35, color="tab:blue")
            ax.vlines(0, t["low"] * scale, t["high"] * scale, color="tab:blue", lw=5, alpha=0.6, label="90% predictive")
        obs = t["observed"] if isinstance(t["observed"], list) else [t["observed"], t["observed"]]
        col = "tab:green" if t["covered"] else "tab:red"
        ax.fill_between([-0.45, 0.45], obs[0] * scale, obs[1] * scale, color=col, alpha=0.3, lw=0)
        ax.hlines([o * scale for o in obs], -0.45, 0.45, color=col, lw=1.5, label="observed")
        ax.set_xlim(-0.5, 0.5)
        ax.set_xticks([])
        title = LABELS.get(t["name"], t["name"]) + (" (thousands)" if scale != 1 else "")
        ax.set_title(title + ("\n(regional fallback)" if t["kind"] != "observed" else ""), fontsize=8)
        ax.tick_params(labelsize=7)
    axes[0][0].legend(fontsize=6, loc="best")
    fig.suptitle(f"{get_profile(code).name} ({code}): targets (band) vs 90% posterior predictive", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=72)
    plt.close(fig)
    return path


def write_report(code: str, meta: dict[str, Any], posterior: pd.DataFrame, predictive: pd.DataFrame, directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    md = directory / f"{code}.md"
    md.write_text(markdown(code, meta, posterior, predictive))
    png = plot(code, meta, predictive, directory / f"{code}.png")
    return [md, png]


def write_index(root: Path) -> Path:
    """``reports/README.md``: every profile, calibrated or not, with its fit at a glance."""
    import json

    from recruitsim.model.profiles import all_codes

    from . import targets as targets_mod

    root = Path(root)
    lines = ["# Calibration reports", "",
             "Each calibrated profile's targets against the 90% posterior predictive interval "
             "(`recruitsim profiles` prints the same from the committed summaries). Regenerated by `recruitsim calibrate`.", "",
             "| profile | calibrated | targets covered | simulations | seconds | not covered |", "|---|---|---|---|---|---|"]
    n_t = n_c = 0
    for code in all_codes():
        path = root / "posteriors" / f"{code}.json"
        if path.exists():
            meta = json.loads(path.read_text())
            tg = meta["targets"]
            cov = sum(t["covered"] for t in tg)
            n_t += len(tg)
            n_c += cov
            missed = ", ".join(t["name"] for t in tg if not t["covered"]) or "-"
            lines.append(f"| [{code}]({code}.md) | yes | {cov}/{len(tg)} | {meta['simulations']} | {meta['seconds']:.0f} | {missed} |")
        else:
            names = ", ".join(t.name for t in targets_mod.for_profile(code))
            lines.append(f"| {code} | no | - | - | - | targets: {names} |")
    if n_t:
        lines += ["", f"Overall: {n_c}/{n_t} targets covered ({100 * n_c / n_t:.0f}%)."]
    out = root / "reports" / "README.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines) + "\n")
    return out
