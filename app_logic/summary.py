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
    table: pd.DataFrame | None  # one row per option (recruitsim.economics.cea.analyse), or None
    help: dict[str, str]
    note: str  # why there is no table, or how many replicates it rests on
    cloud: pd.DataFrame | None = None  # samples of the cost-effectiveness plane (scenario, effect, cost)
    replicates: int = 0


def cost_effectiveness(results: pd.DataFrame, country: str, policy_kinds: dict[str, str] | None = None,
                       seed: int = 0) -> CostTable:
    """The economics module's comparison of every option against the baseline (the same analysis as
    ``recruitsim compare``: one computation for every figure of a row, the frontier over all options);
    never raises (the page shows ``note`` instead)."""
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
        analysis = economics.analyse(paired, country, policy_kinds=policy_kinds, seed=seed, details=False)
    except Exception as e:  # the page must survive a failure in the table
        log.exception("cost-effectiveness table failed")
        return CostTable(None, help_, f"The cost-effectiveness table could not be computed: {e}")
    table, cloud = analysis.table, analysis.cloud
    if "name" in table:
        table = with_grades(table, paired)
    help_.setdefault("grade", GRADE_HELP)
    n = paired["replicate"].nunique()
    note = f"Against the baseline; {n} replicate{'s' if n != 1 else ''}. {SUMMARY_NOTE}"
    if n < 2:
        note += " With one replicate there is no interval yet: no option is ranked until a second replicate finishes."
    if "distinguishable" in table and len(table) and not table["distinguishable"].astype(bool).all():
        note += (" 'Not distinguishable' means the 10-90% range of the outcome averted includes zero: the result cannot be "
                 "told apart from no effect and is not ranked as a gain.")
    return CostTable(table, help_, note, cloud, int(n))


def scenario_kinds(results: pd.DataFrame, scenario: str) -> list[str]:
    """The policy kinds a scenario ran (its ``cost_<policy>`` columns; the app names policies by kind)."""
    from recruitsim.model.policies import KINDS

    own = results[results["scenario"] == scenario]
    # cost columns of policies another scenario ran are 0 here (the results are filled with 0 for the economics)
    return [c[5:] for c in own.columns if c.startswith("cost_") and c[5:] in KINDS and (own[c].fillna(0.0) != 0).any()]


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
    return _count(v)


def _sig3(x: float) -> str:
    """A number to 3 significant figures, no trailing precision beyond what the model supports."""
    digits = 2 if x < 10 else (1 if x < 100 else 0)
    return f"{x:,.{digits}f}"


def _money(v: float) -> str:
    """One format for every amount: 3 significant figures with k, M, bn ($147 k, $4.70 M, -$3.62 bn)."""
    a, sign = abs(v), "-" if v < 0 else ""
    if a == 0:
        return "$0"
    for div, suffix in ((1e9, " bn"), (1e6, " M"), (1e3, " k")):
        if a >= div * 0.9995:
            return f"{sign}${_sig3(a / div)}{suffix}"
    return f"{sign}${_sig3(a)}"


def _count(v: float) -> str:
    """Counts to 3 significant figures (24,600; 12.3): the simulation's precision at the app's sizes."""
    if v == 0:
        return "0"
    a = abs(v)
    if a >= 1000:
        digits = int(math.floor(math.log10(a))) - 2
        return f"{round(v, -digits):,.0f}"
    return ("-" if v < 0 else "") + _sig3(a)


def table_cells(ct: CostTable, labels: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """Rows for the page: one per measure, with each option's value, range and meaning (the baseline, the
    reference, left out)."""
    if ct.table is None or ct.table.empty:
        return []
    labels = labels or {}
    options = ct.table[ct.table["name"] != "baseline"] if "name" in ct.table else ct.table
    rows = []
    for col, (label, kind) in TABLE_COLUMNS.items():
        if col not in ct.table:
            continue
        cells = []
        for _, r in options.iterrows():
            value = format_value(r[col], kind)
            if kind == "bcr" and value == "–" and r.get("bcr_note"):
                value = str(r["bcr_note"])
            lo, hi = r.get(f"{col}_lo"), r.get(f"{col}_hi")
            rng = (f"{format_value(lo, kind)} to {format_value(hi, kind)}"
                   if lo is not None and hi is not None and not (pd.isna(lo) or pd.isna(hi)) else "")
            if col == "grade":
                rng = str(r.get("grade_note", "") or "")
            name = str(r.get("name", ""))
            cells.append({"scenario": name, "label": labels.get(name, name), "value": value, "range": rng})
        rows.append({"column": col, "label": label, "help": ct.help.get(col, label), "cells": cells})
    return rows


def table_html(rows: list[dict[str, Any]]) -> str:
    """The cost table as one HTML table (one widget, not one per cell: the page updates much faster).

    Every text is escaped; each measure and figure carries its definition in a ``title`` (shown on hover).
    """
    if not rows:
        return ""
    e = html.escape
    head = "".join(f'<th title="{e(c["scenario"])}">{e(c.get("label", c["scenario"]))}</th>' for c in rows[0]["cells"])
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


# ---- the ranking: one row per option, the metrics of `recruitsim compare` ---------------------------------
#: The ranking's columns: economics column -> (header, format, words when its 10-90% interval includes zero).
RANK_COLUMNS = {
    "homicides_averted": ("Homicides averted", "count", "no clear effect"),
    "recruits_averted": ("Recruits averted", "count", "no clear effect"),
    "incarceration_years_averted": ("Custody-years averted", "count", "no clear effect"),
    "incremental_cost": ("Extra public cost", "usd", ""),
    "cost_per_homicide_averted": ("Cost per homicide averted", "usd", ""),
    "net_benefit": ("Net benefit", "usd", "unclear: gain or loss"),
    "p_benefit_exceeds_cost": ("Chance benefits exceed costs", "share", ""),
}
FRONTIER_WORDS = {"frontier": "on the frontier", "dominated": "dominated", "extendedly dominated": "extendedly dominated",
                  "n/a": "–"}
RANK_HELP = {
    "rank": ("Rank by net benefit among the baseline and the options with a clear effect "
             "on homicides (10-90% interval of homicides averted excludes zero); options ranked below the baseline do "
             "worse than doing nothing; '–': no clear effect, not ranked."),
    "frontier": "Efficiency frontier of extra public cost against homicides averted, over the baseline and the options with "
                "a clear effect: 'dominated' = another option averts more for less; 'extendedly dominated' = a mix of two "
                "others does better (recruitsim.economics.cea.efficiency_frontier).",
    "evidence": GRADE_HELP,
}


@dataclass(frozen=True)
class Cell:
    text: str
    detail: str = ""  # the 10-90% interval, or why there is none
    tone: str = ""  # "" | "clear" | "unclear"


def figure(r: Any, col: str, kind: str, unclear_words: str, n: int) -> Cell:
    """One figure of a row with its 10-90% interval; an interval including zero reads ``unclear_words``, never
    as a gain or a loss."""
    v, lo, hi = r.get(col), r.get(f"{col}_lo"), r.get(f"{col}_hi")
    text = format_value(v, kind)
    if kind == "share":
        return Cell(text)
    if n < 2:
        return Cell(text, "1 replicate: no interval", "unclear" if unclear_words else "")
    if lo is None or hi is None or pd.isna(lo) or pd.isna(hi):
        return Cell(text, "")
    interval = f"{format_value(lo, kind)} to {format_value(hi, kind)}"
    if unclear_words and lo <= 0 <= hi:
        return Cell(unclear_words, f"mean {text}; {interval}", "unclear")
    return Cell(text, interval, "clear" if unclear_words else "")


def rank_rows(ct: CostTable, labels: dict[str, str]) -> list[dict[str, Any]]:
    """The ranking as the page shows it: every figure of a row from the one economics row of that option."""
    if ct.table is None or ct.table.empty:
        return []
    n = ct.replicates
    rows = []
    for _, r in ct.table.iterrows():
        name = str(r["name"])
        base = name == "baseline"
        clear = bool(r.get("distinguishable", False)) and n >= 2
        rank = r.get("rank")
        cells = {"rank": Cell(str(int(rank)) if (clear or base) and n >= 2 and pd.notna(rank) else "–")}
        for col, (_, kind, words) in RANK_COLUMNS.items():
            cells[col] = Cell("0" if kind != "share" and col != "cost_per_homicide_averted" else "–", "the reference") \
                if base else figure(r, col, kind, words, n)
        if not clear and not base:
            cells["cost_per_homicide_averted"] = Cell("–", "no clear effect on homicides")
        status = str(r.get("frontier_status", ""))
        cells["frontier"] = Cell("reference" if base else FRONTIER_WORDS.get(status, "off: no clear effect"))
        note = str(r.get("grade_note", "") or "")
        cells["evidence"] = Cell(str(r.get("grade", "–") or "–"), "mainly expert guesses" if note else "")
        rows.append({"name": name, "label": labels.get(name, name), "baseline": base, "clear": clear, "cells": cells})
    return rows


def ranking_html(rows: list[dict[str, Any]], help_: dict[str, str]) -> str:
    """The ranking as one HTML table (escaped; each header's meaning on hover)."""
    if not rows:
        return ""
    e = html.escape
    heads = [("rank", "Rank"), ("option", "Option"), *[(c, h) for c, (h, _, _) in RANK_COLUMNS.items()],
             ("frontier", "Efficiency frontier"), ("evidence", "Evidence grade")]
    tips = {**help_, **RANK_HELP, "option": "The option compared with the baseline (no new policy)."}
    out = ['<table class="rs-table rs-rank"><thead><tr>']
    out += [f'<th><span class="rs-help" title="{e(tips.get(c, h))}">{e(h)}</span></th>' for c, h in heads]
    out.append("</tr></thead><tbody>")
    for row in rows:
        cls = "rs-rank-baseline" if row["baseline"] else ("rs-rank-clear" if row["clear"] else "rs-rank-unclear")
        out.append(f'<tr class="{cls}"><td class="num rs-rank-n">{e(row["cells"]["rank"].text)}</td>'
                   f'<td class="rs-rank-option">{e(row["label"])}</td>')
        for c, _ in heads[2:]:
            cell = row["cells"][c]
            tone = f" rs-{cell.tone}" if cell.tone else ""
            detail = f'<span class="rs-range">{e(cell.detail)}</span>' if cell.detail else ""
            out.append(f'<td class="num rs-cell-{c}{tone}" title="{e(tips.get(c, ""))}">{e(cell.text)}{detail}</td>')
        out.append("</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def ranking_csv(ct: CostTable, labels: dict[str, str], settings: Settings, complete: bool) -> str:
    """The economics table of every option (all columns, the same numbers as the page), with the run's settings."""
    t = ct.table.copy()
    t.insert(1, "option", [labels.get(n, n) for n in t["name"]])
    for k, v in (("country", settings.country), ("agents", settings.agents), ("years", settings.years),
                 ("seed", settings.seed), ("replicates_done", ct.replicates), ("replicates_asked", settings.replicates),
                 ("complete", complete)):
        t[k] = v
    return t.to_csv(index=False)


def best_option(ct: CostTable | None) -> str | None:
    """The top-ranked option with a clear effect (None when none is ranked)."""
    if ct is None or ct.table is None or ct.replicates < 2:
        return None
    t = ct.table[(ct.table["name"] != "baseline") & ct.table["distinguishable"].astype(bool)]
    return str(t.sort_values("rank").iloc[0]["name"]) if len(t) else None


def history_html(runs: list) -> str:
    """This session's runs side by side: one row per run and option, the headline figures of each ranking."""
    e = html.escape
    out = ['<table class="rs-table"><thead><tr><th>Run</th><th>Settings</th><th>Option</th><th>Rank</th>'
           '<th>Homicides averted</th><th>Net benefit</th><th>Chance benefits exceed costs</th></tr></thead><tbody>']
    for i, snap in enumerate(runs):
        s = snap.settings
        ct = cost_effectiveness(complete_pairs(snap.results), s.country, s.policy_kinds(), s.seed) if snap.replicates_done else None
        rows = [r for r in rank_rows(ct, s.labels) if not r["baseline"]] if ct is not None else []
        what = e(f"{s.describe()}; {snap.replicates_done} of {s.replicates} replicates done")
        if not rows:
            out.append(f"<tr><td>{i + 1}</td><td>{what}</td><td colspan=5>no finished replicate</td></tr>")
        for j, r in enumerate(rows):
            c = r["cells"]
            lead = f'<td rowspan="{len(rows)}">{i + 1}</td><td rowspan="{len(rows)}">{what}</td>' if j == 0 else ""
            out.append(f"<tr>{lead}<td>{e(r['label'])}</td><td>{e(c['rank'].text)}</td>"
                       + "".join(f'<td class="num">{e(c[k].text)}<br><span class="rs-range">{e(c[k].detail)}</span></td>'
                                 for k in ("homicides_averted", "net_benefit", "p_benefit_exceeds_cost")) + "</tr>")
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


def csv_filename(s: Settings, done: int, kind: str = "monthly") -> str:
    """The download's name says what it holds: ``..._partial-2of5reps.csv`` until every replicate has finished."""
    part = "" if done >= s.replicates else f"_partial-{done}of{s.replicates}reps"
    return f"recruitsim_{kind}_{s.country}_{len(s.options)}options_{s.agents}agents_{s.years}y_seed{s.seed}{part}.csv"
