"""Plots and the Markdown report of ``recruitsim compare`` (matplotlib, Agg backend: no display needed).

``write_all(out, ...)`` writes into ``out``:

* ``ce_plane.png``: incremental cost vs outcome averted, each scenario's cloud of samples (replicates x
  economic draws), the point estimates, the efficiency frontier and the VSL line;
* ``frontier.png``: the frontier with dominated and extendedly dominated options and ICERs;
* ``outcomes_over_time.png``: two panels, homicides and recruits averted per policy year (paired
  differences from the baseline, national counts) for at most the top 4 options of the ranking, medians
  across replicates with 10-90% bands;
* ``ceac.png``: cost-effectiveness acceptability curves (probability each option is the best buy at
  each willingness to pay per unit of outcome averted);
* ``budget.png`` (with ``--budget``): the option grid and the chosen portfolio;
* ``table.csv`` (every column with intervals) and ``report.md``.
"""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from . import cea as economics  # noqa: E402

STATUS_MARK = {"frontier": "o", "dominated": "x", "extendedly dominated": "^", "n/a": ".", economics.NOT_DISTINGUISHABLE: "."}
OUTCOME_LABEL = {"homicides": "homicides averted", "recruits": "recruits averted", "member_years": "member-years averted"}


def _colours(names, baseline: str = "baseline") -> dict[str, tuple]:
    """One colour per scenario, stable across plots (alphabetical; the baseline is black)."""
    cmap = plt.get_cmap("tab20")
    others = sorted(n for n in set(names) if n != baseline)
    return {baseline: (0.0, 0.0, 0.0, 1.0)} | {n: cmap(i % 20) for i, n in enumerate(others)}


def _scale(values) -> tuple[float, str]:
    m = np.nanmax(np.abs(np.asarray(values, float))) if len(values) else 0.0
    for div, suf in ((1e9, "USD bn"), (1e6, "USD m"), (1e3, "USD k")):
        if m >= div:
            return div, suf
    return 1.0, "USD"


def _save(fig, path: Path, dpi: int = 120) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return path


def plot_ce_plane(analysis: economics.Analysis, path: Path) -> Path:
    t, s = analysis.table, analysis.settings
    eff_col = f"{s['outcome']}_averted"
    div, unit = _scale(pd.concat([analysis.cloud["cost"], t["incremental_cost"]]))
    col = _colours(t["name"], s["baseline"])
    fig, ax = plt.subplots(figsize=(10, 7))
    for name, g in analysis.cloud.groupby("scenario", sort=False):
        if name == s["baseline"]:
            continue
        ax.scatter(g["effect"], g["cost"] / div, s=8, alpha=0.3, color=col[name], linewidths=0)
    for r in t.itertuples():
        m = STATUS_MARK.get(r.frontier_status, "o")
        edge = {} if m == "x" else {"edgecolors": "black", "linewidths": 0.6}
        ax.scatter(getattr(r, eff_col), r.incremental_cost / div, s=70, color=col[r.name], marker=m, zorder=3, **edge)
        ax.annotate(r.name, (getattr(r, eff_col), r.incremental_cost / div), textcoords="offset points", xytext=(5, 4), fontsize=8)
    fr = t[t["on_frontier"]].sort_values("incremental_cost")
    ax.plot(fr[eff_col], fr["incremental_cost"] / div, color="black", lw=1.2, label="efficiency frontier")
    x, y = np.array(ax.get_xlim()), np.array(ax.get_ylim())
    if s["outcome"] == "homicides":
        v = analysis.assumptions.vsl
        ax.plot(x, v.central * x / div, ls="--", color="grey", lw=1, label=f"VSL {v.central / 1e6:.2f}m per homicide")
        ax.fill_between(x, v.low * x / div, v.high * x / div, color="grey", alpha=0.08, label="VSL range")
    ax.set_xlim(x)
    ax.set_ylim(y)
    ax.axhline(0, color="black", lw=0.5)
    ax.axvline(0, color="black", lw=0.5)
    ax.set_xlabel(f"{OUTCOME_LABEL[s['outcome']]} vs baseline (discounted)")
    ax.set_ylabel(f"incremental cost ({unit}, {s['price_base'].split()[1]}, discounted)")
    ax.set_title("Cost-effectiveness plane: each dot one replicate x economic draw; markers = medians\n"
                 "o frontier, x dominated, ^ extendedly dominated; below the dashed line benefits from lives exceed costs", fontsize=10)
    ax.legend(loc="upper left", fontsize=8)
    return _save(fig, path)


def plot_frontier(analysis: economics.Analysis, path: Path) -> Path:
    t, s = analysis.table, analysis.settings
    eff_col = f"{s['outcome']}_averted"
    div, unit = _scale(t["incremental_cost"])
    fig, ax = plt.subplots(figsize=(10, 6.5))
    styles = {"frontier": ("tab:blue", "o", "on the frontier"), "dominated": ("tab:red", "x", "dominated"),
              "extendedly dominated": ("tab:orange", "^", "extendedly dominated"),
              economics.NOT_DISTINGUISHABLE: ("grey", ".", "not distinguishable from no effect (left out)")}
    for status, (c, m, label) in styles.items():
        g = t[t["frontier_status"] == status]
        if len(g):
            ax.scatter(g[eff_col], g["incremental_cost"] / div, color=c, marker=m, s=60, label=label, zorder=3)
    for r in t.itertuples():
        ax.annotate(r.name, (getattr(r, eff_col), r.incremental_cost / div), textcoords="offset points", xytext=(5, 4), fontsize=8)
    fr = t[t["on_frontier"]].sort_values("incremental_cost")
    ax.plot(fr[eff_col], fr["incremental_cost"] / div, color="tab:blue", lw=1.5)
    for (x0, y0), (x1, y1, icer) in zip(fr[[eff_col, "incremental_cost"]].to_numpy()[:-1],
                                        fr[[eff_col, "incremental_cost", "icer"]].to_numpy()[1:], strict=False):
        ax.annotate(f"ICER {_money(icer)}", ((x0 + x1) / 2, (y0 + y1) / 2 / div), fontsize=8, color="tab:blue",
                    textcoords="offset points", xytext=(6, -10))
    ax.axhline(0, color="black", lw=0.5)
    ax.axvline(0, color="black", lw=0.5)
    ax.set_xlabel(f"{OUTCOME_LABEL[s['outcome']]} vs baseline (discounted, median of paired replicates)")
    ax.set_ylabel(f"incremental cost ({unit}, discounted)")
    ax.set_title(f"Efficiency frontier on {OUTCOME_LABEL[s['outcome']]}: ICER = extra cost per extra unit vs the previous frontier option",
                 fontsize=10)
    ax.legend(fontsize=8)
    return _save(fig, path)


#: Panels of the outcomes-over-time figure: output column (first present), yearly reduction, title, y-axis label.
OVER_TIME_PANELS = (
    (("recruits",), "sum", "Recruits per year", "youths recruited per year (national)"),
    (("members",), "mean", "Group members", "members aged 10-29 (national, yearly mean)"),
    (("homicide_rate_expected", "homicide_rate"), "mean", "Homicide rate", "homicides per 100,000 population per year"),
    (("incarceration_rate",), "mean", "Incarceration rate", "prisoners per 100,000 population"),
)
OVER_TIME_MAX_OPTIONS = 4


def yearly_levels(results: pd.DataFrame, scenarios) -> pd.DataFrame:
    """Per scenario, policy year and panel metric: median and 10/90% across replicates (complete years only)."""
    df = results[results["scenario"].isin(list(scenarios))]
    if "replicate" not in df:
        df = df.assign(replicate=0)
    df = df.assign(year=df["month"] // 12 + 1)
    out = []
    for cols, how, _title, _unit in OVER_TIME_PANELS:
        col = next((c for c in cols if c in df), None)
        if col is None:
            continue
        g = df.groupby(["scenario", "replicate", "year"])[col]
        v = getattr(g, how)()[g.size() == 12].rename("value").reset_index()
        q = v.groupby(["scenario", "year"])["value"].quantile([0.5, *economics.QUANTILES]).unstack()
        q = q.reset_index().rename(columns={0.5: "median", economics.QUANTILES[0]: "lo", economics.QUANTILES[1]: "hi"})
        out.append(q.assign(metric=cols[0]))
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame(columns=["scenario", "year", "median", "lo", "hi", "metric"])


def over_time_options(table: pd.DataFrame, baseline: str, k: int = OVER_TIME_MAX_OPTIONS) -> list[str]:
    """The options drawn against the baseline: the top ``k`` in the table's order (ranked results first)."""
    return [n for n in table["name"] if n != baseline][:k]


#: The outcomes-over-time figure: paired differences from the baseline per policy year (column candidates, title, unit).
AVERTED_PANELS = (
    (("homicides_expected", "homicides"), "Homicides averted", "homicides averted per year (all ages, national)"),
    (("recruits",), "Recruits averted", "youths not recruited per year (aged 10-29, national)"),
)


def yearly_averted(results: pd.DataFrame, baseline: str, scenarios) -> pd.DataFrame:
    """Per option, panel metric and policy year: baseline - option (paired by replicate), median and 10/90% (complete years)."""
    df = results if "replicate" in results else results.assign(replicate=0)
    df = df.assign(year=df["month"] // 12 + 1)
    out = []
    for cols, _title, _unit in AVERTED_PANELS:
        col = next((c for c in cols if c in df), None)
        if col is None:
            continue
        g = df.groupby(["scenario", "replicate", "year"])[col]
        v = g.sum()[g.size() == 12]
        base = v.xs(baseline, level=0)
        for s in scenarios:
            if s not in v.index.get_level_values(0):
                continue
            d = (base - v.xs(s, level=0)).dropna()
            q = d.groupby(level="year").quantile([0.5, *economics.QUANTILES]).unstack()
            out.append(pd.DataFrame({"scenario": s, "metric": cols[0], "year": q.index, "median": q[0.5].to_numpy(),
                                     "lo": q[economics.QUANTILES[0]].to_numpy(), "hi": q[economics.QUANTILES[1]].to_numpy()}))
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame(columns=["scenario", "metric", "year", "median", "lo", "hi"])


def plot_over_time(results: pd.DataFrame, baseline: str, path: Path, scenarios=None, labels: dict[str, str] | None = None) -> Path:
    """Two panels (homicides and recruits averted per year vs the baseline) for at most ``OVER_TIME_MAX_OPTIONS``
    options: medians of the paired differences across replicates with their 10-90% bands."""
    fig = over_time_figure(results, baseline, scenarios, labels)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def over_time_figure(results: pd.DataFrame, baseline: str, scenarios=None, labels: dict[str, str] | None = None):
    """The figure of ``plot_over_time`` (not saved)."""
    names = [n for n in dict.fromkeys(scenarios if scenarios is not None else sorted(set(results["scenario"])))
             if n != baseline][:OVER_TIME_MAX_OPTIONS]
    ts = yearly_averted(results, baseline, names)
    distinct = plt.get_cmap("tab10")  # at most 4 options: clearly different colours, in ranking order
    fig, axes = plt.subplots(1, len(AVERTED_PANELS), figsize=(12, 5), sharex=True)
    for ax, (cols, title, unit) in zip(np.atleast_1d(axes), AVERTED_PANELS, strict=True):
        ax.axhline(0.0, color="black", lw=1.0, label="no change from the baseline")
        for i, name in enumerate(names):
            g = ts[(ts["scenario"] == name) & (ts["metric"].isin(cols))].sort_values("year")
            if not len(g):
                continue
            ax.plot(g["year"], g["median"], marker="o", ms=4, lw=1.8, color=distinct(i), label=(labels or {}).get(name, name))
            ax.fill_between(g["year"], g["lo"], g["hi"], color=distinct(i), alpha=0.12, linewidth=0)
        ax.set_title(title, fontsize=11)
        ax.set_ylabel(unit, fontsize=9)
        ax.set_xlabel("year since the policies started")
        ax.grid(alpha=0.3)
        ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _pos: f"{v:,.0f}"))
    handles, lbls = np.atleast_1d(axes)[0].get_legend_handles_labels()
    fig.legend(handles, lbls, loc="lower center", ncol=min(5, len(lbls)) or 1, fontsize=9, frameon=False)
    fig.suptitle(f"Top {len(names)} option(s) of the ranking vs the baseline, per year: median of the paired differences "
                 "across replicates, shaded 10-90%; above zero = fewer than in the baseline", fontsize=10)
    fig.tight_layout(rect=(0, 0.08, 1, 0.95))
    return fig


def plot_ceac(analysis: economics.Analysis, path: Path) -> Path:
    c, s = analysis.ceac, analysis.settings
    fig, ax = plt.subplots(figsize=(10, 6))
    names = [n for n, g in c.groupby("scenario", sort=False) if g["p_optimal"].max() >= 0.02]
    col = _colours(list(dict.fromkeys(c["scenario"])), s["baseline"])
    for name in names:
        g = c[c["scenario"] == name]
        ax.plot(g["wtp"], g["p_optimal"], color=col[name], lw=1.5, label=name)
    best = c[c["optimal_expected"]]
    ax.plot(best["wtp"], [1.02] * len(best), lw=0)  # keep the top margin
    if s["outcome"] == "homicides":
        v = analysis.assumptions.vsl
        ax.axvspan(v.low, v.high, color="grey", alpha=0.1, label="VSL range")
        ax.axvline(v.central, color="grey", ls="--", lw=1, label="VSL central")
    ax.set_xscale("log")
    ax.set_ylim(0, 1.05)
    ax.set_xlabel(f"willingness to pay per unit of {OUTCOME_LABEL[s['outcome']]} (USD, log scale)")
    ax.set_ylabel("probability of being the best buy")
    ax.set_title("Cost-effectiveness acceptability curves (replicates x economic draws; options under 2% everywhere omitted)",
                 fontsize=10)
    ax.legend(fontsize=8)
    return _save(fig, path)


def plot_budget(portfolio, path: Path) -> Path:
    o = portfolio.options
    fig, ax = plt.subplots(figsize=(10, 6))
    eligible = o["eligible"] if "eligible" in o else pd.Series(True, index=o.index)
    groups = ((~eligible, "tab:red", "not eligible (10% quantile <= 0)"), (eligible & ~o["chosen"], "grey", "eligible option"),
              (o["chosen"], "tab:green", "chosen"))
    for mask, c, label in groups:
        g = o[mask]
        ax.errorbar(g["annual_cost"], g["effect"], yerr=[g["effect"] - g["effect_lo"], g["effect_hi"] - g["effect"]],
                    fmt="o", color=c, ecolor=c, label=label, capsize=2)
    for r in o.itertuples():
        ax.annotate(f"{r.kind} {r.coverage:.0%}", (r.annual_cost, r.effect), fontsize=7, textcoords="offset points", xytext=(4, 3))
    ax.axvline(portfolio.budget, color="tab:red", ls="--", lw=1, label=f"budget {_money(portfolio.budget)}/yr")
    ax.axhline(0, color="black", lw=0.5)
    ax.set_xscale("log")
    ax.set_xlabel("programme spending per year (USD 2024, log scale)")
    ax.set_ylabel(f"{OUTCOME_LABEL[portfolio.outcome]} (discounted; median, 10-90%)")
    ax.set_title("Budget options simulated alone; the chosen set maximises the sum of 10% quantiles within the budget "
                 "(exact MILP)", fontsize=10)
    ax.legend(fontsize=8)
    return _save(fig, path)


# ---- Markdown -------------------------------------------------------------------------------------
def _money(x) -> str:
    from .compare import money

    return money(x)


def md_table(df: pd.DataFrame) -> str:
    cols = list(df.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    for r in df.itertuples(index=False):
        lines.append("| " + " | ".join(str(v) for v in r) + " |")
    return "\n".join(lines)


def _f(x, digits=2) -> str:
    return "-" if x is None or not math.isfinite(x) else f"{x:.{digits}f}"


def report_markdown(analysis: economics.Analysis, settings: dict, title: str, figures: dict[str, str], portfolio=None) -> str:
    """The whole report, section by section (``write_all`` writes it as ``report.md``)."""
    lines = [f"# Cost-effectiveness of policies against youth recruitment: {settings['country']}", "",
             "```", title, "```", ""]
    lines += summary_section(analysis, portfolio)
    lines += how_to_read_section(analysis)
    lines += ranked_section(analysis.table)
    lines += outcomes_section(analysis.table)
    lines += frontier_section(analysis, figures)
    lines += monetised_section(analysis.table)
    lines += sensitivity_section(analysis)
    lines += ["## Uncertainty", "", f"![cost-effectiveness plane]({figures['ce_plane']})", "", f"![CEAC]({figures['ceac']})", ""]
    lines += budget_section(portfolio, figures)
    lines += over_time_section(figures)
    lines += assumptions_section(analysis)
    lines += glossary_section()
    lines += reproduce_section(settings, analysis.settings, portfolio)
    return "\n".join(lines)


def _policies(analysis: economics.Analysis) -> pd.DataFrame:
    """The table's rows other than the baseline."""
    t, s = analysis.table, analysis.settings
    return t[t["name"] != s["baseline"]]


def summary_section(analysis: economics.Analysis, portfolio=None) -> list[str]:
    """The best buy, the frontier, the results not distinguishable from no effect, those that do harm, the CEAC's pick."""
    from .compare import interval, money

    t, s = analysis.table, analysis.settings
    eff = f"{s['outcome']}_averted"
    pol = _policies(analysis)
    gains = pol[pol["distinguishable"]] if "distinguishable" in pol else pol
    best_nb = gains.iloc[0] if len(gains) else None
    frontier = t[t["on_frontier"]].sort_values("incremental_cost")
    lines = ["## Summary", ""]
    if best_nb is not None:
        nb = interval(best_nb["net_benefit"], best_nb["net_benefit_lo"], best_nb["net_benefit_hi"])
        lead = ("Largest net benefit" if best_nb["net_benefit"] > 0 else
                "No option distinguishable from no effect has benefits above its costs; the least negative net benefit")
        lines.append(f"- {lead}: **{best_nb['name']}**, net benefit {nb} "
                     f"(2024 USD, discounted), probability that benefits exceed costs {_f(best_nb['p_benefit_exceeds_cost'])}.")
    lines.append("- Efficiency frontier on " + OUTCOME_LABEL[s["outcome"]] + ": " + " -> ".join(
        f"{r.name}" + (f" (ICER {money(r.icer)})" if math.isfinite(r.icer) else "") for r in frontier.itertuples()) + ".")
    if "distinguishable" in pol and (~pol["distinguishable"]).any():
        lines.append(f"- Not distinguishable from no effect (10-90% interval of {OUTCOME_LABEL[s['outcome']]} includes zero; "
                     "not ranked, not on the frontier): " + ", ".join(pol[~pol["distinguishable"]]["name"]) + ".")
    worse = pol[pol[eff] < 0]["name"].tolist()
    if worse:
        lines.append(f"- Mean {OUTCOME_LABEL[s['outcome']].replace('averted', 'added')} (negative averted): {', '.join(worse)}.")
    lines += _best_buy_at_vsl(analysis)
    if portfolio is not None:
        lines += ["", "```", portfolio.summary(), "```"]
    return lines


def _best_buy_at_vsl(analysis: economics.Analysis) -> list[str]:
    """The option most often the best buy at the central VSL (CEAC; homicides only), as a summary line."""
    from .compare import money

    s, a, c = analysis.settings, analysis.assumptions, analysis.ceac
    at_vsl = c[np.isclose(c["wtp"], a.vsl.central)] if s["outcome"] == "homicides" else c.iloc[0:0]
    if not len(at_vsl):
        return []
    pol = _policies(analysis)
    top = at_vsl.sort_values("p_optimal", ascending=False).iloc[0]
    nd = set(pol.loc[~pol["distinguishable"], "name"]) if "distinguishable" in pol else set()
    caveat = (" - but its effect is not distinguishable from no effect: the probability reflects the spread of its "
              "outcome, not a clear gain" if top["scenario"] in nd else "")
    return [f"- At the central VSL ({money(a.vsl.central)} per homicide) the option most often the best buy is "
            f"**{top['scenario']}**, with probability {top['p_optimal']:.2f} (CEAC){caveat}."]


def how_to_read_section(analysis: economics.Analysis) -> list[str]:
    """What paired differences, averted, incremental cost, ICER, net benefit, BCR, the brackets and n.d. mean."""
    s, a = analysis.settings, analysis.assumptions
    return ["", "## How to read this", "",
            "- Every policy scenario is compared with the **baseline** (status quo) in the *same* simulated worlds: replicate *r* "
            "of every scenario uses the same random numbers (common random numbers), so the paired difference is the policy's effect.",
            "- **Averted** = baseline minus scenario; a negative number means the policy made it worse (e.g. more recruits through "
            "prison recruitment, or more prison time).",
            "- **Incremental cost** = programme spending + change in prison spending, in 2024 USD, discounted at "
            f"{s['discount']:.0%} a year. Outcomes are discounted at the same rate (undiscounted counts are in the outcomes table).",
            "- **ICER** is the extra cost per extra unit of the frontier outcome compared with the next cheaper option on the "
            "**efficiency frontier**; options off the frontier are *dominated* (something cheaper does more) or *extendedly "
            "dominated* (a mix of two frontier options does more for the money).",
            "- **Net benefit** = monetised benefits (every stream of the table below: lives, victim costs per offence, police and "
            "courts, earnings of completion, employment and custody, trafficking, displacement, deadweight) minus incremental cost; "
            "**BCR** = (benefits + prison savings) / programme cost (WSIPP's convention); **P(B>C)** is the "
            "share of samples (replicates x draws of every price and programme cost) in which benefits exceed costs. "
            "Replicate *r* also runs policy effect set *r* (effect sizes drawn from their evidence distributions, the same "
            "in every scenario), so intervals and P(B>C) include effect uncertainty unless the run used `--point-effects`.",
            "- Numbers in brackets are 10% and 90% quantiles. With few replicates they are rough; rerun with more "
            "`--replicates` or `--agents` to narrow them.",
            "- **One computation per row**: costs, outcomes, benefit streams and net benefit are *means* of the paired "
            "replicates at central prices, so the parts add up to the totals shown; cost per outcome, ICER and BCR are "
            "*ratios of those means* (not medians of per-sample ratios). Intervals are quantiles of the per-sample values.",
            "- **n.d.** (not distinguishable from no effect): the 10-90% interval of the outcome averted includes zero; such "
            "results are not ranked and not put on the frontier. A BCR is never negative: where benefits are not positive "
            "the table says *costs more and does worse* or *no benefit*.",
            f"- **Deadweight cost of taxation**: {a.deadweight.central:g} USD per USD of net public cost (range "
            f"{a.deadweight.low:g}-{a.deadweight.high:g}), its own benefit stream (negative when the policy adds public "
            "spending), counted in the net benefit and the BCR's numerator (WSIPP).", ""]


def ranked_section(t: pd.DataFrame) -> list[str]:
    """The ranked table, its grade footnote and a warning for each result resting on weak evidence."""
    from .compare import GRADE_FOOTNOTE, ranked_table

    lines = ["## Ranked results", "", md_table(ranked_table(t)), "", f"Column {GRADE_FOOTNOTE}.", ""]
    if "grade_note" in t:
        weak = [f"- **{r.name}** {r.grade_note}: treat its ranking as a hypothesis to test, not a finding."
                for r in t.itertuples() if r.grade_note]
        if weak:
            lines += weak + [""]
    return lines


def outcomes_section(t: pd.DataFrame) -> list[str]:
    """Every outcome averted, national counts over the horizon."""
    from .compare import count, intervals

    out_tab = pd.DataFrame({
        "scenario": t["name"],
        "recruits": intervals(t, "recruits_averted", f=count),
        "member-years": [count(v) for v in t["member_years_averted"]],
        "homicides": intervals(t, "homicides_averted", f=count),
        "of men/boys": [count(v) for v in t["homicides_male_averted"]],
        "of women/girls": [count(v) for v in t["homicides_female_averted"]],
        "youth 10-29 only": [count(v) for v in t["homicides_youth_averted"]],
        "custody-years": [count(v) for v in t["incarceration_years_averted"]],
        "trafficking victims": [count(v) for v in t["trafficking_victims_averted"]],
        "completions gained": [count(v) for v in t["completions_gained"]],
        "displaced person-years (in the window)": intervals(t, "displaced_years_averted", f=count),
        "displaced person-years (after it)": [count(v) for v in t["displaced_years_beyond_averted"]],
        "recruits (undiscounted)": [count(v) for v in t["recruits_averted_undiscounted"]],
        "homicides (undiscounted)": [count(v) for v in t["homicides_averted_undiscounted"]],
    })
    return ["## Outcomes averted (national counts over the horizon, discounted unless stated)", "", md_table(out_tab), ""]


def frontier_section(analysis: economics.Analysis, figures: dict[str, str]) -> list[str]:
    """Each option's frontier status, cost, outcome and ICER, cheapest first, and the frontier figure."""
    from .compare import count, money

    t, s = analysis.table, analysis.settings
    eff = f"{s['outcome']}_averted"
    fr_tab = pd.DataFrame({"scenario": t["name"], "status": t["frontier_status"], "incremental cost": [money(v) for v in t["incremental_cost"]],
                           OUTCOME_LABEL[s["outcome"]]: [count(v) for v in t[eff]], "ICER": [money(v) for v in t["icer"]]})
    return ["## Efficiency frontier", "", md_table(fr_tab.sort_values("incremental cost", key=lambda x: t.loc[x.index, "incremental_cost"])), "",
            f"![frontier]({figures['frontier']})", ""]


def sensitivity_section(analysis: economics.Analysis) -> list[str]:
    """One-way sensitivity of net benefit (nothing when the analysis skipped it)."""
    from .compare import money

    t, s, sens = analysis.table, analysis.settings, analysis.sensitivity
    if not len(sens):
        return []
    sens = sens.assign(column=[f"{i} {st}".strip() for i, st in zip(sens["input"], sens["setting"], strict=True)])
    piv = sens.pivot(index="scenario", columns="column", values="net_benefit")
    order = ["central"] + [c for c in dict.fromkeys(sens["column"]) if c != "central"]
    piv = piv.loc[[n for n in t["name"] if n in piv.index and n != s["baseline"]], order]
    stab = pd.DataFrame({"scenario": piv.index, **{c: [money(v) for v in piv[c]] for c in order}})
    return ["## One-way sensitivity of net benefit", "",
            "Median net benefit (2024 USD) with one economic input at the low or high end of its range, the others "
            "central (unit costs: every lever at once; discount rate: costs and outcomes).", "", md_table(stab), ""]


def budget_section(portfolio, figures: dict[str, str]) -> list[str]:
    """The budget optimiser's option grid and chosen set (with ``--budget`` and its figure only)."""
    from .compare import count, intervals, money

    if portfolio is None or "budget" not in figures:
        return []
    o = portfolio.options
    btab = pd.DataFrame({"lever": o["kind"], "coverage": [f"{v:.0%}" for v in o["coverage"]],
                         "spending/yr": [money(v) for v in o["annual_cost"]],
                         OUTCOME_LABEL[portfolio.outcome]: intervals(o, "effect", f=count),
                         "eligible": ["yes" if v else "no (n.d.)" for v in o.get("eligible", o["chosen"] | True)],
                         "chosen": ["yes" if v else "" for v in o["chosen"]]})
    return ["## Budget allocation", "", "Each lever at each coverage level was simulated alone; the chosen set maximises "
            f"the sum of the options' 10% quantiles of {OUTCOME_LABEL[portfolio.outcome]} within USD {money(portfolio.budget)} "
            "of programme spending per year (exact integer programme; options whose 10% quantile is not above zero are not "
            "eligible), and was then simulated as one scenario ('portfolio' in the tables above).", "",
            md_table(btab), "", f"![budget]({figures['budget']})", ""]


def over_time_section(figures: dict[str, str]) -> list[str]:
    return ["## Outcomes over time", "", "Levels by policy year (recruits per year, members, homicide rate per 100,000, "
            "prisoners per 100,000) for the baseline and at most the top 4 options of the ranking; medians across "
            "replicates, grey band = the baseline's 10-90% across replicates (paired differences are in the tables).", "",
            f"![outcomes over time]({figures['over_time']})", ""]


def assumptions_section(analysis: economics.Analysis) -> list[str]:
    """The prices and their sources, the analysis's notes and the scope of homicides and custody."""
    lines = ["## Assumptions and sources", "",
             md_table(pd.DataFrame(analysis.assumptions.describe(), columns=["item", "value (2024 USD)", "source"])), ""]
    lines += [f"- {n}" for n in analysis.notes]
    lines += ["- Homicides: `homicides` (all ages) counts adult victims through the model's fixed adult/youth ratio; "
              "`homicides_youth_averted` is the directly simulated part. Use `--homicide-scope youth` for the conservative analysis.",
              "- Custody: youths 10-29 in custody (`incarcerated`, simulated); the all-ages `prisoners` output scales 18-29 "
              "inmates by a fixed adult ratio meant for levels, so it is not used for policy differences.",
              "- Every outcome the model produces is priced (docs/economics.md); GUESS-graded prices carry wide ranges.",
              "- Source tags are expanded in `model/data/SOURCES.md` and `docs/economics.md`.", ""]
    return lines


def glossary_section() -> list[str]:
    return ["## Column glossary", "", md_table(pd.DataFrame(
        [(k, v) for k, v in economics.COLUMN_HELP.items() if not k.endswith(("_lo", "_hi"))], columns=["column", "meaning"])), ""]


def reproduce_section(settings: dict, s: dict, portfolio=None) -> list[str]:
    """The command that reproduces the report (``settings``: the run's, ``s``: the analysis's) and how long it took."""
    cmd = (f"recruitsim compare --country {settings['country']} --agents {settings['agents']} --years {settings['years']:g} "
           f"--burn-in {settings['burn_in']:g} --replicates {settings['replicates']} --seed {settings['seed']} "
           f"--discount {s['discount']:g} --outcome {s['outcome']} --homicide-scope {s['homicide_scope']}"
           + (f" --budget {portfolio.budget:g}" if portfolio is not None else ""))
    return ["## Reproduce", "", "```", cmd, "```", "",
            f"{settings.get('units', '?')} simulation runs took {settings.get('run_seconds', '?')} s on {settings.get('cores', '?')} "
            f"cores (1-minute load average {settings.get('load_average', ['?', '?'])[0]} at the start, "
            f"{settings.get('load_average', ['?', '?'])[1]} at the end).", ""]


def monetised_section(t: pd.DataFrame) -> list[str]:
    """The report's benefit streams (one row per scenario x non-zero stream) and the perspective split, as Markdown lines."""
    from .compare import bcr_text, interval, intervals, money
    from .streams import STREAMS

    notes = t["bcr_note"] if "bcr_note" in t else pd.Series("", index=t.index)
    head = pd.DataFrame({"scenario": t["name"], "programme cost": [money(v) for v in t["program_cost"]],
                         "benefits": intervals(t, "benefits"), "net benefit": intervals(t, "net_benefit"),
                         "BCR": [bcr_text(v, n) for v, n in zip(t["bcr"], notes, strict=True)],
                         "P(B>C)": [_f(v) for v in t["p_benefit_exceeds_cost"]],
                         "beyond horizon": [_f(v) for v in t.get("beyond_horizon_share", pd.Series(np.nan, index=t.index))]})
    rows = []
    for r in t.to_dict("records"):
        for col, (label, _, who) in STREAMS.items():
            if col in r and r[col] and math.isfinite(r[col]):
                rows.append({"scenario": r["name"], "stream": label, "for": who.replace("_", " "),
                             "value [10%, 90%]": interval(r[col], r[f"{col}_lo"], r[f"{col}_hi"]),
                             "of which after the window": money(r.get(f"{col}_beyond", 0.0))})
    per = pd.DataFrame({"scenario": t["name"], "taxpayers": intervals(t, "perspective_taxpayers"),
                        "participants": intervals(t, "perspective_participants"),
                        "victims and others": intervals(t, "perspective_victims_and_others"),
                        "indirect (deadweight)": intervals(t, "perspective_indirect"), "net benefit": [money(v) for v in t["net_benefit"]]})
    return ["## Monetised benefits", "",
            "Means over paired replicates at central prices [10%, 90% over replicates x economic draws]; benefits = every stream "
            "except prison (prison is in the incremental cost); net benefit = benefits - incremental cost; BCR = (benefits + prison "
            "avoided) / programme cost, from the means shown. 'beyond horizon' = share of the streams (absolute values) falling "
            "after the simulated years (completers' earnings to age 64, custody still to serve, careers, displacement spells "
            "still running).", "", md_table(head), "",
            "### By stream", "", "Streams that are zero for a scenario are left out; prices and sources: docs/economics.md.", "",
            md_table(pd.DataFrame(rows)) if rows else "(no monetised streams)", "",
            "## Who gains: perspectives", "",
            "Taxpayers: prison, police and court costs avoided and the tax share of earnings, less the programme cost. "
            "Participants: their share of the earnings streams. Victims and others: lives (VSL), victim costs per offence, "
            "trafficking, displacement and others' share of earnings. Indirect: deadweight cost of taxation. The four add up "
            "to the net benefit.", "", md_table(per), ""]


def write_all(out: Path, *, results: pd.DataFrame, analysis: economics.Analysis, settings: dict, title: str,
              portfolio=None) -> list[Path]:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    files = [plot_ce_plane(analysis, out / "ce_plane.png"), plot_frontier(analysis, out / "frontier.png"),
             plot_over_time(results, analysis.settings["baseline"], out / "outcomes_over_time.png",
                            over_time_options(analysis.table, analysis.settings["baseline"]),
                            {n: f"{n} (n.d.)" for n, d in zip(analysis.table["name"], analysis.table["distinguishable"], strict=True)
                             if not d and n != analysis.settings["baseline"]}),
             plot_ceac(analysis, out / "ceac.png")]
    figures = {"ce_plane": "ce_plane.png", "frontier": "frontier.png", "over_time": "outcomes_over_time.png", "ceac": "ceac.png"}
    if portfolio is not None and len(portfolio.options):
        files.append(plot_budget(portfolio, out / "budget.png"))
        figures["budget"] = "budget.png"
    analysis.table.to_csv(out / "table.csv", index=False)
    files.append(out / "table.csv")
    md = out / "report.md"
    md.write_text(report_markdown(analysis, settings, title, figures, portfolio), encoding="utf-8")
    files.append(md)
    return files
