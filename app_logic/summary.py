"""What the page shows from a comparison's results: yearly bands, headline changes, the cost table, the CSV.

Pure functions of the tidy results (``scenario, replicate, month, year`` + the model's outputs).
The cost-effectiveness figures come from ``recruitsim.economics.cea``; nothing here re-computes them.
"""

from __future__ import annotations

import html
import importlib
import logging
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .state import CHART_METRICS, Settings

log = logging.getLogger("recruitsim.app")


def annual(results: pd.DataFrame) -> pd.DataFrame:
    """One row per (scenario, replicate, year) with the chart metrics; complete years only.

    Written with plain groupby reductions (not named aggregation): the page calls it on every update.
    """
    cols = ["scenario", "replicate", "year", *CHART_METRICS]
    if results.empty or "year" not in results:
        return pd.DataFrame(columns=cols)
    keys = ["scenario", "replicate", "year"]
    df = results[keys + list(CHART_METRICS)]
    g = df.groupby(keys, sort=True)
    parts = {"sum": g.sum, "last": g.last, "mean": g.mean}
    how = {m: spec[2] for m, spec in CHART_METRICS.items()}
    reduced = {h: parts[h]() for h in set(how.values())}
    out = pd.DataFrame({m: reduced[h][m] for m, h in how.items()})
    out = out[g.size() == 12].reset_index()
    out["year"] = out["year"] + 1  # year 1 = the first year after the policies start
    return out[cols]


def bands(yearly: pd.DataFrame, low: float = 0.1, high: float = 0.9) -> pd.DataFrame:
    """Median and the 10-90% range across replicates, per scenario, year and metric."""
    if yearly.empty:
        return pd.DataFrame(columns=["scenario", "year", "metric", "median", "lo", "hi", "n"])
    long = yearly.melt(id_vars=["scenario", "replicate", "year"], var_name="metric")
    long["value"] = long["value"].astype(float)
    g = long.groupby(["scenario", "year", "metric"])["value"]
    out = pd.DataFrame({"median": g.median(), "lo": g.quantile(low), "hi": g.quantile(high), "n": g.size()})
    return out.reset_index()


@dataclass(frozen=True)
class Change:
    metric: str
    label: str
    baseline: float
    scenario: float
    pct: float  # median of the paired per-replicate % changes
    pct_lo: float
    pct_hi: float
    n: int


def headline(yearly: pd.DataFrame, scenario: str, years: int) -> list[Change]:
    """Change in each outcome over the whole horizon, scenario vs baseline, paired by replicate.

    ``yearly`` is :func:`annual` output; only replicates whose baseline and scenario both have all
    ``years`` years count. Recruits: total over the horizon; members: at the end; homicide and
    incarceration rates: mean over the horizon. Percent changes are computed per replicate (common
    random numbers) and summarised as median and 10-90% range.
    """
    if yearly.empty:
        return []
    how = {"recruits": "sum", "members": "last", "homicide_rate_expected": "mean", "incarceration_rate": "mean"}
    labels = {"recruits": "Recruits over the run", "members": "Members at the end",
              "homicide_rate_expected": "Homicide rate (mean)", "incarceration_rate": "Incarceration rate (mean)"}
    g = yearly.groupby(["scenario", "replicate"])
    full = g.size() == years
    per = {h: getattr(g[[m for m, x in how.items() if x == h]], h)() for h in set(how.values())}
    try:
        b_full, s_full = full.loc["baseline"], full.loc[scenario]
    except KeyError:
        return []
    common = [r for r in b_full.index.intersection(s_full.index) if b_full[r] and s_full[r]]
    if not common:
        return []
    out = []
    for m, label in labels.items():
        table = per[how[m]][m]
        base = table.loc["baseline"].loc[common].to_numpy(float)
        scen = table.loc[scenario].loc[common].to_numpy(float)
        pct = np.where(base > 0, (scen - base) / np.where(base > 0, base, 1) * 100, np.nan)
        keep = np.isfinite(pct)
        if not keep.any():
            continue
        p = pct[keep]
        out.append(Change(m, label, float(np.median(base)), float(np.median(scen)), float(np.median(p)),
                          float(np.quantile(p, 0.1)), float(np.quantile(p, 0.9)), int(p.size)))
    return out


# ---- cost-effectiveness (computed by recruitsim.economics.cea) ------------------------------------------
#: Main columns of the economics table as the page shows them: column -> (label, format).
TABLE_COLUMNS = {
    "distinguishable": ("Distinguishable from no effect", "distinguishable"),
    "incremental_cost": ("Extra cost vs baseline", "usd"),
    "program_cost": ("of which programme spending", "usd"),
    "prison_cost_change": ("of which change in prison spending", "usd"),
    "recruits_averted": ("Recruits averted", "count"),
    "homicides_averted": ("Homicides averted", "count"),
    "incarceration_years_averted": ("Prison-years averted", "count"),
    "cost_per_recruit_averted": ("Cost per recruit averted", "usd"),
    "cost_per_homicide_averted": ("Cost per homicide averted", "usd"),
    "icer": ("ICER (extra cost per extra unit of outcome)", "usd"),
    "benefits": ("Monetised benefits", "usd"),
    "benefit_lives": ("of which homicides averted (VSL)", "usd"),
    "benefit_victims_violent": ("of which violent offences (victims)", "usd"),
    "benefit_victims_property": ("of which property and extortion (victims)", "usd"),
    "benefit_justice": ("of which police and courts", "usd"),
    "benefit_completion": ("of which completion (lifetime earnings)", "usd"),
    "benefit_employment": ("of which employment (earnings)", "usd"),
    "benefit_custody_earnings": ("of which earnings not lost in custody", "usd"),
    "benefit_trafficking": ("of which trafficking victims", "usd"),
    "benefit_displacement": ("of which displacement", "usd"),
    "benefit_deadweight": ("of which deadweight cost of taxes", "usd"),
    "net_benefit": ("Net benefit (benefits - extra cost)", "usd"),
    "perspective_taxpayers": ("of which taxpayers", "usd"),
    "perspective_participants": ("of which participants", "usd"),
    "perspective_victims_and_others": ("of which victims and others", "usd"),
    "perspective_indirect": ("of which indirect (deadweight)", "usd"),
    "bcr": ("Benefit-cost ratio", "bcr"),
    "beyond_horizon_share": ("Share of benefits after the simulated years", "share"),
    "p_benefit_exceeds_cost": ("Chance that benefits exceed costs", "share"),
    "on_frontier": ("On the efficiency frontier", "bool"),
    "grade": ("Evidence grade of the effects it rests on", "text"),
}
#: How the figures are summarised (shown under the table).
SUMMARY_NOTE = ("Figures are means of the paired replicates, so the parts add up to the totals; costs per outcome and the "
                "benefit-cost ratio are ratios of those means; the small figures under a value are its 10-90% range.")

GRADE_HELP = ("Weakest evidence grade among the effect sizes of the scenario's policies, with the mix (A: randomised "
              "trial in Latin America; B: trial elsewhere or strong LAC quasi-experiment; C: meta-analysis of weaker "
              "designs; D: expert guess). Sources and intervals: docs/policy-evidence.md.")


NO_ECONOMICS = ("The cost-effectiveness module (recruitsim.economics.cea) is not installed in this version, so costs per "
                "outcome cannot be shown yet. The charts above are complete.")


@dataclass(frozen=True)
class CostTable:
    table: pd.DataFrame | None  # one row per scenario (recruitsim.economics.cea.scenario_table), or None
    help: dict[str, str]
    note: str  # why there is no table, or how many replicates it rests on


def cost_effectiveness(results: pd.DataFrame, country: str) -> CostTable:
    """The economics module's table against baseline; never raises (the page shows ``note`` instead)."""
    try:
        economics = importlib.import_module("recruitsim.economics.cea")
    except ModuleNotFoundError as e:
        if e.name != "recruitsim.economics.cea":  # the module is there but something it imports is not
            log.exception("recruitsim.economics.cea could not be imported")
            return CostTable(None, {}, f"The cost-effectiveness module could not be loaded ({e}).")
        return CostTable(None, {}, NO_ECONOMICS)
    except Exception as e:  # a broken module must not break the page
        log.exception("recruitsim.economics.cea could not be imported")
        return CostTable(None, {}, f"The cost-effectiveness module could not be loaded ({e}).")
    help_ = dict(getattr(economics, "COLUMN_HELP", {}))
    if results.empty or "baseline" not in set(results["scenario"]):
        return CostTable(None, help_, "The table appears once the baseline and the scenario have run.")
    try:
        paired = complete_pairs(results)
        table = economics.scenario_table(paired, country)
    except Exception as e:  # the page must survive a failure in the table
        log.exception("cost-effectiveness table failed")
        return CostTable(None, help_, f"The cost-effectiveness table could not be computed: {e}")
    table = table[table["name"] != "baseline"].reset_index(drop=True) if "name" in table else table
    if "name" in table:
        table = with_grades(table, paired)
    help_.setdefault("grade", GRADE_HELP)
    n = paired["replicate"].nunique()
    note = f"Against the baseline; {n} replicate{'s' if n != 1 else ''}. {SUMMARY_NOTE}"
    if "distinguishable" in table and len(table) and not table["distinguishable"].astype(bool).all():
        note += (" 'Not distinguishable' means the 10-90% range of the outcome averted includes zero: the result cannot be "
                 "told apart from no effect and is not ranked as a gain.")
    return CostTable(table, help_, note)


def scenario_kinds(results: pd.DataFrame, scenario: str) -> list[str]:
    """The policy kinds a scenario ran (its ``cost_<policy>`` columns; the app names policies by kind)."""
    from recruitsim.model.policies import KINDS

    own = results[results["scenario"] == scenario]
    return [c[5:] for c in own.columns if c.startswith("cost_") and c[5:] in KINDS and own[c].notna().any()]


def with_grades(table: pd.DataFrame, results: pd.DataFrame) -> pd.DataFrame:
    """``grade`` (weakest grade and mix, e.g. "D (B3 D2)") and ``grade_note`` (a note when the result rests
    mainly on grade-D effects) per scenario row."""
    from recruitsim.model.effects import grade_summary

    table = table.copy()
    grades, notes = [], []
    for name in table["name"]:
        g = grade_summary(scenario_kinds(results, str(name)))
        grades.append(f"{g['grade']} ({g['grade_mix']})" if g["grade"] else "–")
        notes.append(g["grade_note"])
    table["grade"] = grades
    table["grade_note"] = notes
    return table


def complete_pairs(results: pd.DataFrame) -> pd.DataFrame:
    """Only replicates that both scenarios have finished (same months), so differences are paired."""
    if results.empty:
        return results
    months = results.groupby(["scenario", "replicate"])["month"].size().unstack(0)
    full = months.dropna()
    full = full[(full.nunique(axis=1) == 1)]
    return results[results["replicate"].isin(full.index)].reset_index(drop=True)


def format_value(value: Any, kind: str) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    if kind == "bool":
        return "yes" if bool(value) else "no"
    if kind == "distinguishable":
        return "yes" if bool(value) else "no: not distinguishable from no effect"
    if kind == "text":
        return str(value)
    v = float(value)
    if kind == "bcr":  # never negative (the economics leaves it empty and says why)
        return "<0.01" if 0 <= v < 0.005 else f"{max(v, 0.0):,.2f}"
    if kind == "share":
        return f"{v:.0%}"
    if kind == "ratio":
        return f"{v:,.2f}"
    if kind == "usd":
        return _money(v)
    if v == 0:
        return "0"
    return f"{v:,.0f}" if abs(v) >= 10 else f"{v:,.1f}"


def _money(v: float) -> str:
    a = abs(v)
    sign = "-" if v < 0 else ""
    if a >= 1e9:
        return f"{sign}${a / 1e9:,.2f} bn"
    if a >= 1e6:
        return f"{sign}${a / 1e6:,.1f} M"
    return f"{sign}${a:,.0f}"


def table_cells(ct: CostTable) -> list[dict[str, Any]]:
    """Rows for the page: one per measure, with each scenario's value, range and meaning."""
    if ct.table is None or ct.table.empty:
        return []
    rows = []
    for col, (label, kind) in TABLE_COLUMNS.items():
        if col not in ct.table:
            continue
        cells = []
        for _, r in ct.table.iterrows():
            value = format_value(r[col], kind)
            if kind == "bcr" and value == "–" and r.get("bcr_note"):
                value = str(r["bcr_note"])
            lo, hi = r.get(f"{col}_lo"), r.get(f"{col}_hi")
            rng = (f"{format_value(lo, kind)} to {format_value(hi, kind)}"
                   if lo is not None and hi is not None and not (pd.isna(lo) or pd.isna(hi)) else "")
            if col == "grade":
                rng = str(r.get("grade_note", "") or "")
            cells.append({"scenario": str(r.get("name", "")), "value": value, "range": rng})
        rows.append({"column": col, "label": label, "help": ct.help.get(col, label), "cells": cells})
    return rows


def table_html(rows: list[dict[str, Any]], scenario_title: str = "") -> str:
    """The cost table as one HTML table (one widget, not one per cell: the page updates much faster).

    Every text is escaped; each measure and figure carries its definition in a ``title`` (shown on hover).
    """
    if not rows:
        return ""
    e = html.escape
    head = "".join(f'<th title="{e(scenario_title)}">{e(c["scenario"])}</th>' for c in rows[0]["cells"])
    out = [f'<table class="rs-table"><thead><tr><th>Measure</th>{head}<th>What it means</th></tr></thead><tbody>']
    for r in rows:
        tip = e(r["help"])
        pad = ' style="padding-left: 26px"' if r["label"].startswith("of which") else ""
        cells = "".join(
            f'<td class="num" title="{tip}"><span>{e(c["value"])}</span>'
            + (f'<br><span class="rs-range">{e(c["range"])}</span>' if c["range"] else "") + "</td>"
            for c in r["cells"])
        out.append(f'<tr class="rs-row-{e(r["column"])}"><td{pad}><span class="rs-help" title="{tip}">{e(r["label"])}</span></td>'
                   f'{cells}<td class="rs-range">{tip}</td></tr>')
    out.append("</tbody></table>")
    return "".join(out)


# ---- download --------------------------------------------------------------------------------------------
def results_csv(snap) -> str:
    """The tidy monthly results of every finished run (both scenarios, all replicates) as CSV."""
    df = snap.results.copy()
    s = snap.settings
    df.insert(0, "country", s.country)
    df.insert(3, "seed", s.seed)
    df.insert(4, "agents", s.agents)
    return df.to_csv(index=False)


def csv_filename(s: Settings) -> str:
    safe = s.scenario_name.replace(" + ", "+").replace(" ", "_")
    return f"recruitsim_{s.country}_{safe}_{s.agents}agents_{s.years}y_seed{s.seed}.csv"


