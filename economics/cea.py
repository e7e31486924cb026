"""Cost-effectiveness and benefit-cost comparison of policy scenarios against a baseline.

Input: a tidy frame of monthly model outputs for several scenarios and replicates (columns
``scenario``, ``replicate``, ``month`` and the model's outputs, including ``cost_<policy>``). The
steps, each a small function below:

1. **Totals per run.** Monthly flows are discounted to month 0 at ``discount`` a year,
   ``(1 + r) ** (-month / 12)``; stocks (members, youths in custody) become person-years (stock / 12
   per month), discounted the same way. Programme cost columns are converted to 2024 USD from the price
   year of their policy kind (``recruitsim.economics.costs``).
2. **Paired differences.** Each scenario run is paired with the baseline run of the same replicate
   (and posterior draw, if any): with common random numbers the difference is mostly the policy's
   effect. "Averted" = baseline - scenario (negative when the policy makes things worse).
3. **Economic draws.** Unit costs, the cost of a prisoner-year, the value of a statistical life (VSL)
   and the other crime cost per member-year are drawn ``n_draws`` times from their ranges, the same
   draws for every scenario; every (replicate, draw) pair is one sample of the probabilistic analysis.
4. **Metrics.** Incremental cost = programme cost + change in prison cost (net cost to the public
   purse); cost per recruit / homicide averted; the efficiency frontier with dominated and extendedly
   dominated options and ICERs; monetised benefit streams (VSL x homicides averted, other crime cost x
   member-years averted, prison cost avoided, and the deadweight cost of taxation = -deadweight x net
   public cost, sign included) giving net benefit = benefits - incremental cost, split by perspective
   (taxpayers, victims and others, indirect), and benefit-cost ratio BCR = (benefits + prison cost
   avoided) / programme cost (WSIPP's convention); probability that benefits exceed costs; the
   cost-effectiveness acceptability curve.

**One computation per row.** Additive figures (costs, outcomes, benefit streams, net benefit,
perspectives) are **means over paired replicates at central prices**, so the parts add up to the
totals as shown; ratios (cost per outcome averted, BCR, ICER) are **ratios of those means**, never
medians of per-sample ratios. ``_lo`` / ``_hi`` are 10% / 90% quantiles of the per-sample values over
replicates x economic draws (outcome counts: over replicates only; ratios: per-sample ratios), and
``_median`` the median of the same samples. A result whose 10-90% interval of the frontier outcome
averted includes zero is **not distinguishable from no effect** (``distinguishable`` False): it gets no
rank and is kept off the frontier. The BCR is never negative: where benefits are not positive it is
empty and ``bcr_note`` says "costs more and does worse" or "no benefit". Column meanings:
``COLUMN_HELP``. Choices and sources: ``docs/economics.md``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import costs as costs_mod

KEYS = ("replicate", "draw", "point")  # pairing keys, those present in the results
FLOWS = ("recruits", "homicides", "homicides_youth", "homicides_male", "homicides_female", "homicides_youth_male",
         "homicides_youth_female", "homicides_expected", "homicides_youth_expected", "homicides_male_expected",
         "homicides_female_expected", "trafficked_new", "completions")
STOCKS = ("members", "incarcerated")
OUTCOMES = ("homicides", "recruits", "member_years")
QUANTILES = (0.1, 0.9)

COLUMN_HELP: dict[str, str] = {
    "rank": "Rank by net benefit (1 = largest) among the baseline and the results distinguishable from no effect; "
            "the baseline has net benefit 0, so options ranked below it do worse than doing nothing; empty when not distinguishable.",
    "name": "Scenario name (the baseline is the status quo every other scenario is compared with).",
    "distinguishable": "True when the 10-90% interval of the frontier outcome averted excludes zero; otherwise the result is not "
                       "distinguishable from no effect and is neither ranked nor put on the frontier (the baseline: False, it is the reference).",
    "program_cost": "Present value of the programme's own spending over the horizon (2024 USD, discounted), relative to the baseline; mean of paired replicates.",
    "prison_cost_change": "Present value of the change in prison spending caused by the policy (positive when it adds custody time).",
    "incremental_cost": "Programme cost plus the change in prison cost: the net cost to the public purse versus the baseline "
                        "(2024 USD, discounted); equals program_cost + prison_cost_change exactly (all means).",
    "recruits_averted": "Youths who did not join a criminal group thanks to the policy (discounted count, mean of paired replicates; negative = more recruits).",
    "member_years_averted": "Person-years of group membership among youths 10-29 avoided (discounted).",
    "homicides_averted": "Homicides prevented, all ages (the model's national count; discounted; mean of paired replicates). Negative = more homicides.",
    "homicides_youth_averted": "Homicides of simulated youths 10-29 prevented (discounted); the conservative, directly simulated part.",
    "homicides_male_averted": "Homicides of men and boys prevented (same scope as homicides_averted; discounted).",
    "homicides_female_averted": "Homicides of women and girls prevented (same scope as homicides_averted; discounted).",
    "incarceration_years_averted": "Years of custody of youths 10-29 avoided (discounted); negative when the policy adds prison time.",
    "trafficking_victims_averted": "New trafficking / sexual-exploitation victims prevented (discounted).",
    "completions_gained": "Extra secondary-school completions (discounted).",
    "recruits_averted_undiscounted": "Recruits averted over the horizon, not discounted.",
    "homicides_averted_undiscounted": "Homicides averted over the horizon, not discounted.",
    "cost_per_recruit_averted": "Incremental cost / recruits averted (USD; ratio of the means shown); empty when the policy averts none.",
    "cost_per_homicide_averted": "Incremental cost / homicides averted (USD; ratio of the means shown); empty when the policy averts none.",
    "icer": "Incremental cost-effectiveness ratio along the efficiency frontier: extra cost per extra unit of the frontier outcome "
            "versus the next cheaper option on the frontier (ratio of the means; empty off the frontier).",
    "frontier_status": "'frontier', 'dominated' (another option costs less and achieves more), 'extendedly dominated' "
                       "(a mix of two neighbours on the frontier does better) or 'not distinguishable from no effect' (left out).",
    "on_frontier": "True when the option is on the efficiency frontier (cost vs the frontier outcome).",
    "benefit_lives": "Stream 'homicides (VSL)': VSL x homicides averted (discounted, 2024 USD); victims and others.",
    "benefit_crime": "Stream 'other crime': member-years averted x crime cost per member-year (2024 USD); victims and others.",
    "benefit_other": "User-set values of trafficking victims averted and completions gained (0 by default); victims and others.",
    "prison_cost_avoided": "Stream 'prison': prison spending avoided (= -prison_cost_change); taxpayers; a benefit in the BCR.",
    "benefit_deadweight": "Stream 'deadweight': -deadweight rate x net public cost (incremental cost); negative when the policy adds "
                          "public spending, positive when it saves it (indirect).",
    "benefits": "Monetised benefits counted in the net benefit: lives + other crime + other + deadweight (prison savings are in the cost).",
    "net_benefit": "Monetised benefits minus incremental cost (2024 USD, discounted); > 0 means worth more than it costs; "
                   "= perspective_taxpayers + perspective_victims_and_others + perspective_indirect.",
    "perspective_taxpayers": "Net benefit to taxpayers: prison cost avoided - programme cost (2024 USD, discounted).",
    "perspective_victims_and_others": "Net benefit to victims and others: value of lives + other crime + user-set values.",
    "perspective_indirect": "Indirect: the deadweight cost of taxation on the net public cost (sign included).",
    "bcr": "Benefit-cost ratio: (benefits + prison cost avoided) / programme cost, as WSIPP computes it, from the means shown "
           "(benefits include the deadweight stream, so a policy whose lives and crime benefits are smaller than its deadweight "
           "and added prison costs has none); empty when that numerator is not positive (see bcr_note) or there is no programme spending.",
    "bcr_note": "Why the BCR is empty: 'costs more and does worse' or 'no benefit' (never shown as a negative number).",
    "p_benefit_exceeds_cost": "Share of samples (replicates x economic draws, incl. the VSL range) with net benefit > 0.",
    "n_samples": "Paired replicates (x posterior draws) behind the estimates.",
}
_INTERVAL = ("program_cost", "prison_cost_change", "incremental_cost", "recruits_averted", "member_years_averted", "homicides_averted",
             "homicides_youth_averted", "homicides_male_averted", "homicides_female_averted", "incarceration_years_averted",
             "trafficking_victims_averted", "completions_gained", "cost_per_recruit_averted", "cost_per_homicide_averted",
             "benefit_lives", "benefit_crime", "benefit_other", "prison_cost_avoided", "benefit_deadweight", "benefits",
             "net_benefit", "perspective_taxpayers", "perspective_victims_and_others", "perspective_indirect", "bcr")
for _c in _INTERVAL:
    COLUMN_HELP[f"{_c}_lo"] = f"10% quantile of {_c} across paired replicates (and economic draws for money columns)."
    COLUMN_HELP[f"{_c}_hi"] = f"90% quantile of {_c} across paired replicates (and economic draws for money columns)."
    COLUMN_HELP[f"{_c}_median"] = f"Median of the same samples as {_c}_lo / {_c}_hi (the point estimate {_c} is a mean or a ratio of means)."


# ---- building blocks ---------------------------------------------------------------------------
def discount_factors(months, rate: float) -> np.ndarray:
    """Factor for a flow in month ``m`` (0 = first policy month): ``(1 + rate) ** (-m / 12)``."""
    if rate < 0 or rate != rate:
        raise ValueError(f"discount rate must be >= 0, got {rate!r}")
    return (1.0 + rate) ** (-np.asarray(months, float) / 12.0)


def efficiency_frontier(names, costs, effects) -> pd.DataFrame:
    """The cost-effectiveness frontier of options with ``costs`` and ``effects`` (baseline included).

    Standard CEA: sort by cost; an option is **dominated** if another costs no more and achieves at
    least as much (one of the two strictly; of identical options the later name is dominated); among
    the rest, an option whose ICER exceeds that of the next more costly option is **extendedly
    dominated** (removed one at a time until ICERs rise along the frontier). ICER = extra cost per
    extra effect versus the previous frontier option (NaN for the first and off the frontier).
    """
    names = list(names)
    c = np.asarray(costs, float)
    e = np.asarray(effects, float)
    out = pd.DataFrame({"cost": c, "effect": e, "frontier_status": "n/a", "icer": np.nan}, index=names)
    ok = [i for i in range(len(names)) if np.isfinite(c[i]) and np.isfinite(e[i])]
    order = sorted(ok, key=lambda i: (c[i], -e[i], names[i]))
    alive = []
    for pos, i in enumerate(order):
        dominated = any(
            (c[j] <= c[i] and e[j] >= e[i] and (c[j] < c[i] or e[j] > e[i])) or (c[j] == c[i] and e[j] == e[i] and q < pos)
            for q, j in enumerate(order) if j != i)
        if dominated:
            out.iloc[i, out.columns.get_loc("frontier_status")] = "dominated"
        else:
            alive.append(i)
    # alive is sorted by cost with strictly increasing effect; remove extended dominance
    changed = True
    while changed and len(alive) > 2:
        changed = False
        icers = [(c[alive[k]] - c[alive[k - 1]]) / (e[alive[k]] - e[alive[k - 1]]) for k in range(1, len(alive))]
        for k in range(len(icers) - 1):
            if icers[k] > icers[k + 1]:
                out.iloc[alive[k + 1], out.columns.get_loc("frontier_status")] = "extendedly dominated"
                del alive[k + 1]
                changed = True
                break
    for k, i in enumerate(alive):
        out.iloc[i, out.columns.get_loc("frontier_status")] = "frontier"
        if k > 0:
            j = alive[k - 1]
            out.iloc[i, out.columns.get_loc("icer")] = (c[i] - c[j]) / (e[i] - e[j])
    out["on_frontier"] = out["frontier_status"] == "frontier"
    return out


def _policy_kind(name: str, policy_kinds: dict[str, str] | None) -> str | None:
    from recruitsim.model.policies import KINDS

    if policy_kinds and name in policy_kinds:
        return policy_kinds[name]
    if name in KINDS:
        return name
    return None


def _with_derived(results: pd.DataFrame) -> pd.DataFrame:
    df = results
    extra = {}
    for suffix in ("", "_expected"):
        if f"homicides_female{suffix}" not in df and {f"homicides{suffix}", f"homicides_male{suffix}"} <= set(df):
            extra[f"homicides_female{suffix}"] = df[f"homicides{suffix}"] - df[f"homicides_male{suffix}"]
    for sex in ("male", "female"):
        cols = [c for c in df if c.startswith(f"homicides_{sex}_") and c[len(f"homicides_{sex}_"):][:1].isdigit()]
        if cols and f"homicides_youth_{sex}" not in df:
            extra[f"homicides_youth_{sex}"] = df[cols].sum(axis=1)
    return pd.concat([df, pd.DataFrame(extra, index=df.index)], axis=1) if extra else df


def run_totals(results: pd.DataFrame, discount: float = 0.03, policy_kinds: dict[str, str] | None = None,
               assumptions: costs_mod.CostAssumptions | None = None) -> tuple[pd.DataFrame, list[str]]:
    """Discounted totals per run (scenario x pairing keys): outcomes, person-years, programme cost by kind.

    Returns the totals (index: scenario + keys) and notes about cost columns that could not be priced.
    """
    need = {"scenario", "month"}
    if missing := need - set(results):
        raise ValueError(f"results lack column(s) {', '.join(sorted(missing))}")
    df = _with_derived(results)
    if "replicate" not in df:
        df = df.assign(replicate=0)
    keys = [k for k in KEYS if k in df]
    d = discount_factors(df["month"].to_numpy(), discount)
    data = {k: df[k].to_numpy() for k in ("scenario", *keys)}
    for col in FLOWS:
        if col in df:
            v = df[col].fillna(0.0).to_numpy(float)
            data[col] = v * d
            data[f"{col}_undiscounted"] = v
    for col in STOCKS:
        if col in df:
            data[f"{col}_years"] = df[col].fillna(0.0).to_numpy(float) / 12.0 * d
    notes: list[str] = []
    a = assumptions or costs_mod.assumptions()
    for col in [c for c in df if c.startswith("cost_")]:
        name = col[len("cost_"):]
        kind = _policy_kind(name, policy_kinds)
        prog = a.programs.get(kind) if kind else None
        factor = prog.to_base if prog else 1.0
        if prog is None:
            notes.append(f"cost column '{col}': policy kind unknown, priced as 2024 USD with no unit-cost uncertainty")
        key = f"prog_{kind or name}"
        v = df[col].fillna(0.0).to_numpy(float) * factor * d
        data[key] = data[key] + v if key in data else v
    totals = pd.DataFrame(data).groupby(["scenario", *keys], sort=False).sum()
    return totals, notes


def homicide_columns(available, homicide_scope: str = "all", estimator: str = "expected") -> dict[str, str]:
    """Which output columns measure homicides: total, male, female, youth (realised counts or expected values).

    ``expected`` uses the model's ``*_expected`` outputs (each month, the sum of every person's homicide
    probability given the state): the same expected count as the realised one, without the noise of
    the draws, so paired differences are far more precise. Falls back to realised counts when the
    results lack them. Youth homicides by sex exist only as realised counts.
    """
    if homicide_scope not in ("all", "youth"):
        raise ValueError(f"homicide_scope must be 'all' or 'youth', got {homicide_scope!r}")
    if estimator not in ("expected", "realised"):
        raise ValueError(f"homicide_estimator must be 'expected' or 'realised', got {estimator!r}")
    have = set(available)
    use_exp = estimator == "expected" and {"homicides_expected", "homicides_youth_expected"} <= have

    def pick(name):
        return f"{name}_expected" if use_exp and f"{name}_expected" in have else name

    if homicide_scope == "all":
        cols = {"total": pick("homicides"), "male": pick("homicides_male"), "female": pick("homicides_female")}
    else:
        cols = {"total": pick("homicides_youth"), "male": "homicides_youth_male", "female": "homicides_youth_female"}
    cols["youth"] = pick("homicides_youth")
    cols["estimator"] = "expected" if use_exp else "realised"
    return cols


def paired_differences(totals: pd.DataFrame, baseline: str = "baseline", homicide_scope: str = "all",
                       homicide_estimator: str = "expected") -> pd.DataFrame:
    """Per scenario and pairing key: outcomes averted (baseline - scenario) and programme cost (scenario - baseline)."""
    scenarios = list(dict.fromkeys(totals.index.get_level_values(0)))
    if baseline not in scenarios:
        raise ValueError(f"baseline scenario '{baseline}' is not in the results (scenarios: {', '.join(scenarios)})")
    base = totals.xs(baseline, level=0)
    prog_cols = [c for c in totals if c.startswith("prog_")]
    h = homicide_columns(totals.columns, homicide_scope, homicide_estimator)
    frames = []
    for s in scenarios:
        sc = totals.xs(s, level=0)
        common = sc.index.intersection(base.index)
        sc, b = sc.loc[common].fillna(0.0), base.loc[common].fillna(0.0)

        def av(col):
            return (b[col] - sc[col]) if col in sc else pd.Series(np.nan, index=common)

        out = pd.DataFrame({
            "recruits_averted": av("recruits"),
            "member_years_averted": av("members_years"),
            "homicides_averted": av(h["total"]),
            "homicides_youth_averted": av(h["youth"]),
            "homicides_male_averted": av(h["male"]),
            "homicides_female_averted": av(h["female"]),
            "incarceration_years_averted": av("incarcerated_years"),
            "trafficking_victims_averted": av("trafficked_new"),
            "completions_gained": -av("completions"),
            "recruits_averted_undiscounted": av("recruits_undiscounted"),
            "homicides_averted_undiscounted": av(f"{h['total']}_undiscounted"),
        }, index=common)
        for c in prog_cols:
            out[c] = sc[c] - b[c]
        out.insert(0, "scenario", s)
        frames.append(out.reset_index())
    paired = pd.concat(frames, ignore_index=True)
    paired[prog_cols] = paired[prog_cols].fillna(0.0)
    paired.attrs["homicide_estimator"] = h["estimator"]
    return paired


@dataclass
class Draws:
    """Economic parameters: central values and ``n`` joint draws (identical for every scenario)."""

    prison: np.ndarray
    vsl: np.ndarray
    crime: np.ndarray
    multipliers: dict[str, np.ndarray]
    central: dict[str, float]
    deadweight: np.ndarray | None = None

    @classmethod
    def make(cls, a: costs_mod.CostAssumptions, n: int, seed: int = 0, kinds=()) -> Draws:
        rng = np.random.default_rng(seed)
        mult = {k: (a.programs[k].multiplier.sample(rng, n) if k in a.programs else np.ones(n)) for k in sorted(kinds)}
        prison, life, crime = a.prison_year.sample(rng, n), a.vsl.sample(rng, n), a.crime_member_year.sample(rng, n)
        dw = a.deadweight.sample(rng, n)  # drawn last: the other draws are those of earlier versions
        return cls(prison, life, crime, mult, {"prison": a.prison_year.central, "vsl": a.vsl.central,
                                               "crime": a.crime_member_year.central, "deadweight": a.deadweight.central}, dw)


def _net_benefit(p: pd.DataFrame, prog_cols: list[str], *, vsl: float, prison: float, crime: float,
                 multipliers: dict[str, float], values: tuple[float, float], prison_on: float,
                 deadweight: float = 0.0) -> np.ndarray:
    """Net benefit per paired replicate at fixed prices (the central path of ``analyse``)."""
    prog = sum((p[c].to_numpy(float) * multipliers.get(c[5:], 1.0) for c in prog_cols), np.zeros(len(p)))
    other = (np.nan_to_num(p["trafficking_victims_averted"].to_numpy(float)) * values[0]
             + np.nan_to_num(p["completions_gained"].to_numpy(float)) * values[1])
    public = prog - p["incarceration_years_averted"].to_numpy(float) * prison * prison_on
    return (p["homicides_averted"].to_numpy(float) * vsl + p["member_years_averted"].to_numpy(float) * crime + other
            - public * (1.0 + deadweight))


def _q(x: np.ndarray) -> tuple[float, float]:
    x = np.asarray(x, float).ravel()
    x = x[np.isfinite(x)]
    if x.size == 0:
        return np.nan, np.nan
    lo, hi = np.quantile(x, QUANTILES)
    return float(lo), float(hi)


@dataclass
class Analysis:
    """Everything the comparison computes; ``table`` is the one-row-per-scenario summary."""

    table: pd.DataFrame
    paired: pd.DataFrame  # per scenario x pairing key (outcomes averted, programme cost by kind)
    cloud: pd.DataFrame  # samples for the cost-effectiveness plane: scenario, effect, cost
    ceac: pd.DataFrame  # wtp, scenario, p_optimal, optimal_expected
    sensitivity: pd.DataFrame  # scenario, input, setting, net_benefit (one-way, median over replicates)
    assumptions: costs_mod.CostAssumptions
    settings: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def analyse(results: pd.DataFrame, country: str, baseline: str = "baseline", discount: float = 0.03, *,
            outcome: str = "homicides", homicide_scope: str = "all", homicide_estimator: str = "expected",
            n_draws: int = 200, seed: int = 0,
            include_prison_costs: bool = True, vsl: float | None = None, prison_cost: float | None = None,
            crime_cost: float | None = None, deadweight: float | None = None, trafficking_value: float = 0.0,
            completion_value: float = 0.0,
            unit_cost_factors: dict[str, float] | None = None, policy_kinds: dict[str, str] | None = None,
            wtp_grid=None, cloud_draws: int = 10, details: bool = True) -> Analysis:
    """Run the whole comparison (see the module docstring); ``scenario_table`` returns its ``table``.

    ``details=False`` skips the acceptability curve and the one-way sensitivity (for quick tables, e.g. the app).
    """
    if outcome not in OUTCOMES:
        raise ValueError(f"outcome must be one of {', '.join(OUTCOMES)}, got {outcome!r}")
    if n_draws < 1:
        raise ValueError(f"n_draws must be >= 1, got {n_draws}")
    a = costs_mod.assumptions(country, vsl_central=vsl, prison_cost=prison_cost, crime_cost=crime_cost,
                              deadweight_central=deadweight)
    totals, notes = run_totals(results, discount, policy_kinds, a)
    paired = paired_differences(totals, baseline, homicide_scope, homicide_estimator)
    prog_cols = [c for c in paired if c.startswith("prog_")]
    kinds = [c[len("prog_"):] for c in prog_cols]
    for k, f in (unit_cost_factors or {}).items():
        if f"prog_{k}" not in paired:
            raise ValueError(f"unit_cost_factors: no programme cost of kind '{k}' in the results (have: {', '.join(kinds) or 'none'})")
        paired[f"prog_{k}"] *= float(f)
    dr = Draws.make(a, n_draws, seed, kinds)
    prison_on = 1.0 if include_prison_costs else 0.0
    rows, clouds, nmb_parts = [], [], {}
    effect_col = f"{outcome}_averted"
    scenarios = list(dict.fromkeys(totals.index.get_level_values(0)))
    plot_k = min(cloud_draws, n_draws)
    for s in scenarios:
        p = paired[paired["scenario"] == s]
        if len(p) == 0:
            notes.append(f"scenario '{s}' has no replicate in common with the baseline: left out")
            continue
        row = _scenario_row(s, p, prog_cols, dr, prison_on, (trafficking_value, completion_value), effect_col)
        row["p_benefit_exceeds_cost"] = row["p_benefit_exceeds_cost"] if s != baseline else np.nan
        if s == baseline:
            row["distinguishable"] = False
        rows.append(row)
        eff = p[effect_col].to_numpy(float)
        cost_k = row.pop("_cost_k")
        clouds.append(pd.DataFrame({"scenario": s, "effect": np.repeat(eff, plot_k),
                                    "cost": cost_k[:, :plot_k].ravel()}))
        nmb_parts[s] = (eff, cost_k)
    table = pd.DataFrame(rows)
    table["distinguishable"] = table["distinguishable"].astype(bool)
    # only the baseline and results distinguishable from no effect take part in the frontier and the ranking
    comparable = (table["name"] == baseline) | table["distinguishable"]
    fr = efficiency_frontier(table["name"][comparable], table["incremental_cost"][comparable], table[effect_col][comparable])
    table["frontier_status"] = NOT_DISTINGUISHABLE
    table["on_frontier"] = False
    table["icer"] = np.nan
    table.loc[comparable, "frontier_status"] = fr["frontier_status"].to_numpy()
    table.loc[comparable, "on_frontier"] = fr["on_frontier"].to_numpy()
    table.loc[comparable, "icer"] = fr["icer"].to_numpy()
    table["on_frontier"] = table["on_frontier"].astype(bool)
    table["rank"] = table["net_benefit"].where(comparable).rank(ascending=False, method="min").astype("Int64")
    table["_order"] = np.where(comparable, 0, 1)
    table = table.sort_values(["_order", "rank", "net_benefit", "name"], ascending=[True, True, False, True]).drop(columns="_order")
    table = table.reset_index(drop=True)
    lead = ["rank", "name", "distinguishable", "incremental_cost", "recruits_averted", "homicides_averted",
            "incarceration_years_averted", "cost_per_recruit_averted", "cost_per_homicide_averted", "icer", "net_benefit", "bcr",
            "bcr_note", "p_benefit_exceeds_cost", "on_frontier", "frontier_status"]
    table = table[lead + [c for c in table if c not in lead]]
    ceac, sens = pd.DataFrame(columns=["wtp", "scenario", "p_optimal", "optimal_expected"]), pd.DataFrame(
        columns=["scenario", "input", "setting", "net_benefit"])
    if details:
        ceac = _ceac(nmb_parts, wtp_grid, dr.central["vsl"] if outcome == "homicides" else None)
        sens = _one_way(results, paired, prog_cols, a, discount, policy_kinds, unit_cost_factors, baseline, homicide_scope,
                        homicide_estimator, (trafficking_value, completion_value), prison_on)
    settings = {"country": country, "baseline": baseline, "discount": discount, "outcome": outcome,
                "homicide_scope": homicide_scope, "homicide_estimator": paired.attrs["homicide_estimator"], "n_draws": n_draws,
                "seed": seed, "include_prison_costs": include_prison_costs,
                "price_base": f"{costs_mod.CURRENCY} {costs_mod.BASE_YEAR}",
                "n_samples": int(table["n_samples"].min()) if len(table) else 0}
    table.attrs.update(settings)
    return Analysis(table, paired, pd.concat(clouds, ignore_index=True), ceac, sens, a, settings, [*a.notes, *notes])


NOT_DISTINGUISHABLE = "not distinguishable from no effect"
#: Money streams of a row (point estimate = mean over paired replicates at central prices) and their perspective.
STREAMS = {"benefit_lives": "victims_and_others", "benefit_crime": "victims_and_others", "benefit_other": "victims_and_others",
           "prison_cost_avoided": "taxpayers", "benefit_deadweight": "indirect"}


def _scenario_row(name: str, p: pd.DataFrame, prog_cols: list[str], dr: Draws, prison_on: float,
                  values: tuple[float, float], effect_col: str) -> dict:
    """One row of the table: every figure from the same paired samples (see the module docstring).

    Additive figures (costs, outcomes, benefit streams, net benefit, perspectives) are **means** over the
    paired replicates at central prices, so the parts add up to the totals as displayed; ratios (cost per
    outcome averted, BCR) are ratios of those means. ``_lo`` / ``_hi`` are 10% / 90% quantiles of the
    per-sample values (for ratios: of the per-sample ratios); ``_median`` columns are medians of the same samples.
    """
    n_draws = len(dr.vsl)
    dw_c, dw_k = dr.central.get("deadweight", 0.0), (dr.deadweight if dr.deadweight is not None else np.zeros(n_draws))
    prog_c = p[prog_cols].to_numpy(float).sum(axis=1) if prog_cols else np.zeros(len(p))
    prog_k = (sum(p[c].to_numpy(float)[:, None] * dr.multipliers[c[5:]][None, :] for c in prog_cols)
              if prog_cols else np.zeros((len(p), n_draws)))
    inc = p["incarceration_years_averted"].to_numpy(float)
    hom = p["homicides_averted"].to_numpy(float)
    my = p["member_years_averted"].to_numpy(float)
    other = (np.nan_to_num(p["trafficking_victims_averted"].to_numpy(float)) * values[0]
             + np.nan_to_num(p["completions_gained"].to_numpy(float)) * values[1])
    prison_c = -inc * dr.central["prison"] * prison_on
    prison_k = -inc[:, None] * dr.prison[None, :] * prison_on
    cost_c, cost_k = prog_c + prison_c, prog_k + prison_k  # net public cost
    streams = {
        "benefit_lives": (hom * dr.central["vsl"], hom[:, None] * dr.vsl[None, :]),
        "benefit_crime": (my * dr.central["crime"], my[:, None] * dr.crime[None, :]),
        "benefit_other": (other, np.repeat(other[:, None], n_draws, axis=1)),
        "prison_cost_avoided": (-prison_c, -prison_k),
        "benefit_deadweight": (-dw_c * cost_c, -dw_k[None, :] * cost_k),  # sign included: savings reduce the deadweight loss
    }
    ben_c = streams["benefit_lives"][0] + streams["benefit_crime"][0] + other + streams["benefit_deadweight"][0]
    ben_k = streams["benefit_lives"][1] + streams["benefit_crime"][1] + other[:, None] + streams["benefit_deadweight"][1]
    nb_c, nb_k = ben_c - cost_c, ben_k - cost_k
    row: dict = {"name": name, "n_samples": len(p)}

    def put(col, central, samples=None):
        central = np.asarray(central, float)
        row[col] = float(np.mean(central)) if central.size else np.nan
        smp = central if samples is None else samples
        row[f"{col}_lo"], row[f"{col}_hi"] = _q(smp)
        row[f"{col}_median"] = float(np.median(np.asarray(smp, float))) if np.size(smp) else np.nan

    put("program_cost", prog_c, prog_k)
    put("prison_cost_change", prison_c, prison_k)
    put("incremental_cost", cost_c, cost_k)
    for col in ("recruits_averted", "member_years_averted", "homicides_averted", "homicides_youth_averted",
                "homicides_male_averted", "homicides_female_averted", "incarceration_years_averted",
                "trafficking_victims_averted", "completions_gained"):
        put(col, p[col].to_numpy(float))
    for col in ("recruits_averted_undiscounted", "homicides_averted_undiscounted"):
        row[col] = float(np.mean(p[col])) if len(p) else np.nan
    for col, (c, k) in streams.items():
        put(col, c, k)
    put("benefits", ben_c, ben_k)
    put("net_benefit", nb_c, nb_k)
    persp = {"taxpayers": (-prog_c - prison_c, -prog_k - prison_k),
             "victims_and_others": (streams["benefit_lives"][0] + streams["benefit_crime"][0] + other,
                                    streams["benefit_lives"][1] + streams["benefit_crime"][1] + other[:, None]),
             "indirect": streams["benefit_deadweight"]}
    for who, (c, k) in persp.items():
        put(f"perspective_{who}", c, k)
    lo, hi = row[f"{effect_col}_lo"], row[f"{effect_col}_hi"]
    row["distinguishable"] = bool(np.isfinite(lo) and np.isfinite(hi) and not (lo <= 0 <= hi))
    for col, denom in (("cost_per_recruit_averted", "recruits_averted"), ("cost_per_homicide_averted", "homicides_averted")):
        d = p[denom].to_numpy(float)
        row[col] = row["incremental_cost"] / row[denom] if row[denom] > 0 else np.nan
        row[f"{col}_lo"], row[f"{col}_hi"] = _q(cost_k / d[:, None]) if len(d) and np.all(d > 0) else (np.nan, np.nan)
    # BCR = (benefits + prison cost avoided) / programme cost, from the row's own means; never negative
    numer = row["benefits"] + row["prison_cost_avoided"]
    row["bcr"], row["bcr_note"] = np.nan, ""
    if row["program_cost"] > 0:
        if numer > 0:
            row["bcr"] = numer / row["program_cost"]
        elif row[effect_col] < 0 and row["incremental_cost"] > 0:
            row["bcr_note"] = "costs more and does worse"
        else:
            row["bcr_note"] = "no benefit"
    with np.errstate(divide="ignore", invalid="ignore"):
        bcr_k = np.where(prog_k > 0, (ben_k - prison_k) / prog_k, np.nan)
    blo, bhi = _q(bcr_k)
    row["bcr_lo"], row["bcr_hi"] = (max(blo, 0.0), max(bhi, 0.0)) if np.isfinite(blo) else (blo, bhi)
    row["bcr_median"] = float(max(np.nanmedian(bcr_k), 0.0)) if np.isfinite(bcr_k).any() else np.nan
    row["p_benefit_exceeds_cost"] = float(np.mean(nb_k > 0))
    row["_cost_k"] = cost_k
    return row


SENSITIVITY_INPUTS = ("VSL", "cost per prisoner-year", "crime cost per member-year", "deadweight cost of taxation",
                      "programme unit costs", "discount rate")


def _one_way(results, paired, prog_cols, a: costs_mod.CostAssumptions, discount, policy_kinds, unit_cost_factors, baseline,
             homicide_scope, homicide_estimator, values, prison_on) -> pd.DataFrame:
    """Net benefit (mean over paired replicates, like the table) with one economic input at its low or high end."""
    central = {"vsl": a.vsl.central, "prison": a.prison_year.central, "crime": a.crime_member_year.central,
               "deadweight": a.deadweight.central}
    kinds = [c[5:] for c in prog_cols]
    low_mult = {k: a.programs[k].multiplier.low for k in kinds if k in a.programs}
    high_mult = {k: a.programs[k].multiplier.high for k in kinds if k in a.programs}
    variants = [("VSL", "low", {"vsl": a.vsl.low}), ("VSL", "high", {"vsl": a.vsl.high}),
                ("cost per prisoner-year", "low", {"prison": a.prison_year.low}),
                ("cost per prisoner-year", "high", {"prison": a.prison_year.high}),
                ("crime cost per member-year", "low", {"crime": a.crime_member_year.low}),
                ("crime cost per member-year", "high", {"crime": a.crime_member_year.high}),
                ("deadweight cost of taxation", "low", {"deadweight": a.deadweight.low}),
                ("deadweight cost of taxation", "high", {"deadweight": a.deadweight.high}),
                ("programme unit costs", "low", {"multipliers": low_mult}),
                ("programme unit costs", "high", {"multipliers": high_mult})]
    frames = [("central", "", paired, {})] + [(i, s, paired, kw) for i, s, kw in variants]
    for r in (0.0, 0.05):
        if r != discount:
            tot, _ = run_totals(results, r, policy_kinds, a)
            pr = paired_differences(tot, baseline, homicide_scope, homicide_estimator)
            for k, f in (unit_cost_factors or {}).items():
                pr[f"prog_{k}"] *= float(f)
            frames.append(("discount rate", f"{r:.0%}", pr, {}))
    rows = []
    for inp, setting, pr, kw in frames:
        cols = [c for c in pr if c.startswith("prog_")]
        for s, p in pr.groupby("scenario", sort=False):
            args = {**central, "multipliers": {}, **kw}
            nb = _net_benefit(p, cols, values=values, prison_on=prison_on, **args)
            rows.append({"scenario": s, "input": inp, "setting": setting, "net_benefit": float(np.mean(nb))})
    return pd.DataFrame(rows)


def _ceac(parts: dict[str, tuple[np.ndarray, np.ndarray]], wtp_grid=None, mark: float | None = None) -> pd.DataFrame:
    """P(each option has the highest net monetary benefit, wtp x effect - cost) at each willingness to pay."""
    wtp = np.asarray(wtp_grid if wtp_grid is not None else np.geomspace(1e3, 1e8, 51), float)
    if mark is not None:
        wtp = np.unique(np.append(wtp, mark))
    names = list(parts)
    if not names:
        return pd.DataFrame(columns=["wtp", "scenario", "p_optimal", "optimal_expected"])
    n = min(len(e) for e, _ in parts.values())
    eff = np.stack([parts[s][0][:n] for s in names])  # (options, S)
    cost = np.stack([parts[s][1][:n] for s in names])  # (options, S, K)
    rows = []
    for w in wtp:
        nmb = w * eff[:, :, None] - cost
        best = np.argmax(nmb, axis=0)
        p = np.bincount(best.ravel(), minlength=len(names)) / best.size
        expected = int(np.argmax(nmb.reshape(len(names), -1).mean(axis=1)))
        rows += [{"wtp": w, "scenario": s, "p_optimal": p[i], "optimal_expected": i == expected} for i, s in enumerate(names)]
    return pd.DataFrame(rows)


def scenario_table(results: pd.DataFrame, country: str, baseline: str = "baseline", discount: float = 0.03,
                   **options) -> pd.DataFrame:
    """One row per scenario (baseline included): costs, outcomes averted, CEA and BCA metrics with 10/90% bands.

    ``options`` are those of ``analyse`` (``outcome``, ``homicide_scope``, ``n_draws``, ``vsl``, ...). The
    acceptability curve and the sensitivity analysis are skipped unless ``details=True`` (they do not change the table).
    """
    options.setdefault("details", False)
    return analyse(results, country, baseline, discount, **options).table


def averted_over_time(results: pd.DataFrame, baseline: str = "baseline",
                      metrics=(("recruits", True), ("homicides", True), ("members", False), ("incarcerated", False))) -> pd.DataFrame:
    """Paired baseline - scenario differences by month (cumulative for flows): median and 10/90% across replicates."""
    df = results
    if "replicate" not in df:
        df = df.assign(replicate=0)
    keys = [k for k in KEYS if k in df]
    if "homicides_expected" in df:
        metrics = [("homicides_expected" if m == "homicides" else m, c) for m, c in metrics]
    cols = [m for m, _ in metrics if m in df]
    wide = df.set_index(["scenario", *keys, "month"])[cols].sort_index()
    base = wide.xs(baseline, level=0)
    out = []
    for s in dict.fromkeys(wide.index.get_level_values(0)):
        if s == baseline:
            continue
        diff = (base - wide.xs(s, level=0)).dropna(how="all")
        for m, cumulative in metrics:
            if m not in cols:
                continue
            v = diff[m].unstack("month")  # rows: pairing keys, columns: months
            if cumulative:
                v = v.cumsum(axis=1)
            q = v.quantile([0.5, *QUANTILES]).T
            out.append(pd.DataFrame({"scenario": s, "metric": m.removesuffix("_expected"), "cumulative": cumulative, "month": q.index,
                                     "median": q[0.5].to_numpy(), "lo": q[QUANTILES[0]].to_numpy(), "hi": q[QUANTILES[1]].to_numpy()}))
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame(
        columns=["scenario", "metric", "cumulative", "month", "median", "lo", "hi"])
