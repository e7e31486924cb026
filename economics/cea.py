"""Cost-effectiveness and benefit-cost comparison of policy scenarios against a baseline.

Input: a tidy frame of monthly model outputs for several scenarios and replicates (columns
``scenario``, ``replicate``, ``month`` and the model's outputs, including ``cost_<policy>``). The
steps, each a small function below:

1. **Totals per run.** Monthly flows are discounted to month 0 at ``discount`` a year,
   ``(1 + r) ** (-month / 12)``; stocks (members, youths in custody, people living displaced) become
   person-years (stock / 12 per month), discounted the same way. Programme cost columns are converted to 2024 USD from the price
   year of their policy kind (``recruitsim.economics.costs``).
2. **Paired differences.** Each scenario run is paired with the baseline run of the same replicate
   (and posterior draw, if any): with common random numbers the difference is mostly the policy's
   effect. "Averted" = baseline - scenario (negative when the policy makes things worse).
3. **Economic draws.** Unit costs, the average cost of a prisoner-year and its marginal share, the
   value of a statistical life (VSL), the deadweight rate and every price component of
   ``economics.prices`` (victim costs per offence type, police and court costs, earnings, displacement)
   are drawn ``n_draws`` times from their ranges, the same draws for every scenario; every (replicate,
   draw) pair is one sample of the probabilistic analysis.
4. **Metrics.** Incremental cost = programme cost + change in prison cost at the marginal cost (net cost
   to the public purse); cost per recruit / homicide averted; the efficiency frontier with dominated and
   extendedly dominated options and ICERs; the monetised benefit streams of ``economics.streams`` (every
   outcome the model produces, priced from ``economics/data/prices.csv``; outcomes continuing past the
   window carried forward by ``economics.lifecourse``) and the deadweight cost of taxation on the
   taxpayers' net flow, giving net benefit = benefits - incremental cost, split by perspective
   (taxpayers, participants, victims and others, indirect), and benefit-cost ratio BCR = (benefits +
   prison cost avoided) / programme cost (WSIPP's convention); probability that benefits exceed costs;
   the cost-effectiveness acceptability curve.

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
from . import lifecourse, prices, streams

KEYS = ("replicate", "draw", "point")  # pairing keys, those present in the results
FLOWS = ("recruits", "homicides", "homicides_youth", "homicides_male", "homicides_female", "homicides_youth_male",
         "homicides_youth_female", "homicides_expected", "homicides_youth_expected", "homicides_male_expected",
         "homicides_female_expected", "trafficked_new", "completions", "offences_violent", "offences_property", "offences_drug",
         "arrests", "displaced_people")
STOCKS = ("members", "incarcerated", "employed", "displaced_stock_people")
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
    "offences_violent_averted": "Violent non-lethal offences by youths averted inside the window (discounted).",
    "offences_property_averted": "Property and extortion offences averted inside the window (discounted).",
    "offences_drug_averted": "Drug-market offences averted inside the window (discounted).",
    "arrests_averted": "Arrests of youths averted inside the window (discounted).",
    "displaced_people_averted": "New displacements of people of all ages averted (discounted; a flow, shown but not priced: "
                                "the person-years displaced are).",
    "displaced_years_averted": "Person-years lived displaced (people of all ages) averted inside the window: the model's stock "
                               "displaced_stock_people / 12 per month, discounted.",
    "displaced_years_beyond_averted": "Displaced person-years averted after the window: people displaced at the end (baseline - "
                                      "scenario) x their remaining years at the run's return rate (about 1 / (12 x "
                                      "displacement_return)), discounted; 0 with the horizon extension off.",
    "employed_years_gained": "Person-years of youth employment gained (discounted).",
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
    "benefit_victims_violent": "Stream: violent non-lethal offences averted (in the window + careers carried past it) x victim cost per "
                               "offence (McCollister, death premium removed, transferred with the VSL); victims and others.",
    "benefit_victims_property": "Stream: property and extortion offences averted x victim cost per offence; victims and others.",
    "benefit_victims_drug": "Stream: drug-market offences averted x third-party cost per offence (GUESS, central 0); victims and others.",
    "benefit_justice": "Stream: arrests averted x (police cost per arrest + court cases per arrest x court cost per case); taxpayers.",
    "prison_cost_avoided": "Stream 'prison': custody-years averted (in the window + custody still to serve) x MARGINAL cost per custody-year "
                           "(= -prison_cost_change); taxpayers; part of the incremental cost, a benefit in the BCR.",
    "benefit_custody_earnings": "Stream: custody-years averted x earnings of a year in work (base earnings x employment rate); "
                                "split participants / taxpayers / others by the earnings shares.",
    "benefit_completion": "Stream: secondary completions gained x lifetime earnings gain (premium x base earnings x employment, from the "
                          "year after completion to age 64, discounted); split participants / taxpayers / others.",
    "benefit_employment": "Stream: employed person-years gained x base earnings (inside the window); split participants / taxpayers / others.",
    "benefit_trafficking": "Stream: new trafficking victims averted x 0.103 x VSL (UK Home Office ratio); victims and others.",
    "benefit_displacement": "Stream: displaced person-years averted (in the window + spells still running at its end) x cost per "
                            "displaced person-year (IDMC); victims and others.",
    "benefit_deadweight": "Stream 'deadweight': deadweight rate x the taxpayers' net benefit (sign included): negative when the policy adds "
                          "net public spending, positive when it saves it (indirect).",
    "benefits": "Monetised benefits counted in the net benefit: every stream except prison (prison savings are in the cost).",
    "beyond_horizon_share": "Share of the monetised streams (absolute values, central prices) that falls after the simulated window: "
                            "completers' earnings to age 64, custody still to serve, careers at the exit rates, displacement spells "
                            "still running; 0 with the horizon extension off.",
    "net_benefit": "Monetised benefits minus incremental cost (2024 USD, discounted); > 0 means worth more than it costs; "
                   "= perspective_taxpayers + perspective_victims_and_others + perspective_indirect.",
    "perspective_taxpayers": "Net benefit to taxpayers: prison cost avoided + police and courts + the tax share of earnings - programme cost.",
    "perspective_participants": "Net benefit to participants: their share of the earnings streams (completion, employment, custody).",
    "perspective_victims_and_others": "Net benefit to victims and others: lives, victim costs, trafficking, displacement and others' share of earnings.",
    "perspective_indirect": "Indirect: the deadweight cost of taxation on the net public cost (sign included).",
    "bcr": "Benefit-cost ratio: (benefits + prison cost avoided) / programme cost, as WSIPP computes it, from the means shown "
           "(benefits include the deadweight stream, so a policy whose other benefits are smaller than its deadweight "
           "and added prison costs has none); empty when that numerator is not positive (see bcr_note) or there is no programme spending.",
    "bcr_note": "Why the BCR is empty: 'costs more and does worse' or 'no benefit' (never shown as a negative number).",
    "p_benefit_exceeds_cost": "Share of samples (replicates x economic draws, incl. the VSL range) with net benefit > 0.",
    "n_samples": "Paired replicates (x posterior draws) behind the estimates.",
}
_INTERVAL = ("program_cost", "prison_cost_change", "incremental_cost", "recruits_averted", "member_years_averted", "homicides_averted",
             "homicides_youth_averted", "homicides_male_averted", "homicides_female_averted", "incarceration_years_averted",
             "trafficking_victims_averted", "completions_gained", "offences_violent_averted", "offences_property_averted",
             "offences_drug_averted", "arrests_averted", "displaced_people_averted", "displaced_years_averted",
             "displaced_years_beyond_averted", "employed_years_gained",
             "cost_per_recruit_averted", "cost_per_homicide_averted", *streams.STREAMS, "benefits", "net_benefit",
             *(f"perspective_{w}" for w in streams.PERSPECTIVES), "bcr", "beyond_horizon_share")
for _c in streams.PRICED:
    COLUMN_HELP[f"{_c}_beyond"] = f"Of {_c}, the part after the simulated window (life-course horizon; central prices, mean of replicates)."
COLUMN_HELP["beyond_horizon_share_interval"] = "10% and 90% quantiles of beyond_horizon_share (JSON only)."
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
               assumptions: costs_mod.CostAssumptions | None = None, life_course: bool = True) -> tuple[pd.DataFrame, list[str]]:
    """Discounted totals per run (scenario x pairing keys): outcomes, person-years, programme cost by kind,
    completers' earnings-years and (``life_course``) what continues past the window.

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
    data.update(_completion_years(df, discount, a.fixed, life_course))
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
    beyond = _beyond(df, keys, discount) if life_course else pd.DataFrame(index=totals.index)
    for col in (*BEYOND, *RUN_END):
        totals[col] = beyond[col].reindex(totals.index).fillna(0.0) if col in beyond else 0.0
    if life_course and "displaced_stock_people" in df and "returned_people" not in df:
        notes.append(f"displacement after the window: the results lack returned_people, so spells still running end at the "
                     f"default return rate {lifecourse.default_return():g} a month (range 0.005-0.06, not drawn)")
    return totals, notes


BEYOND = ("incarcerated_years_beyond", "arrests_beyond", *(f"offences_{k}_beyond" for k in lifecourse.OFFENCE_KINDS))
#: per run, not summed: people displaced at the end and each one's discounted person-years displaced after it
RUN_END = ("displaced_stock_end", "displaced_years_left")


def _completion_years(df: pd.DataFrame, discount: float, fixed: dict, life_course: bool) -> dict[str, np.ndarray]:
    """Completions x discounted years of their earnings gain, inside the window and (life course) after it."""
    if "completions" not in df:
        return {}
    n = int(df["month"].max()) + 1
    within, beyond = lifecourse.earnings_factors(n, discount, fixed.get("earnings_growth", 0.01), fixed.get("working_years", 46))
    m = df["month"].to_numpy(int)
    c = df["completions"].fillna(0.0).to_numpy(float)
    return {"completion_years_within": c * within[m], "completion_years_beyond": c * beyond[m] * float(life_course)}


def _beyond(df: pd.DataFrame, keys: list[str], discount: float) -> pd.DataFrame:
    """Per run: custody, offences and arrests carried past the window (``economics.lifecourse``)."""
    n = int(df["month"].max()) + 1
    rows = {idx: lifecourse.run_beyond(g.sort_values("month"), n, discount)
            for idx, g in df.groupby(["scenario", *keys], sort=False)}
    out = pd.DataFrame.from_dict(rows, orient="index")
    if len(out):
        out.index = pd.MultiIndex.from_tuples(list(rows), names=["scenario", *keys])
    return out


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
            **{f"offences_{k}_averted": av(f"offences_{k}") for k in lifecourse.OFFENCE_KINDS},
            **{f"offences_{k}_beyond_averted": av(f"offences_{k}_beyond") for k in lifecourse.OFFENCE_KINDS},
            "arrests_averted": av("arrests"),
            "arrests_beyond_averted": av("arrests_beyond"),
            "incarceration_years_beyond_averted": av("incarcerated_years_beyond"),
            "completion_years_within": -av("completion_years_within"),
            "completion_years_beyond": -av("completion_years_beyond"),
            "employed_years_gained": -av("employed_years"),
            "displaced_people_averted": av("displaced_people"),
            "displaced_years_averted": av("displaced_stock_people_years"),
            "displaced_years_beyond_averted": _displaced_beyond(b, sc, common),
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


def _displaced_beyond(b: pd.DataFrame, sc: pd.DataFrame, index) -> pd.Series:
    """Displaced person-years averted after the window: end stock averted x the remaining years of one person
    displaced at the end, at the return rate of the pair's baseline run (the same ``displacement_return``
    drives both runs of a pair; one rate per pair keeps the runs' sampling noise out of the difference)."""
    if "displaced_stock_end" not in sc:
        return pd.Series(np.nan, index=index)
    return (b["displaced_stock_end"] - sc["displaced_stock_end"]) * b["displaced_years_left"]


@dataclass
class Draws:
    """Economic parameters: central values and ``n`` joint draws (identical for every scenario).

    ``samples`` / ``central``: the VSL, the average prison cost, the deadweight rate and the price components
    of ``economics.prices``; ``multipliers``: programme unit-cost factors by policy kind; ``fixed``: fixed
    parameters (earnings growth, working years, trafficking ratio, perspective shares).
    """

    samples: dict[str, np.ndarray]
    central: dict[str, float]
    multipliers: dict[str, np.ndarray]
    fixed: dict[str, float]

    @classmethod
    def make(cls, a: costs_mod.CostAssumptions, n: int, seed: int = 0, kinds=()) -> Draws:
        rng = np.random.default_rng(seed)
        mult = {k: (a.programs[k].multiplier.sample(rng, n) if k in a.programs else np.ones(n)) for k in sorted(kinds)}
        ranges = {"prison": a.prison_year, "vsl": a.vsl, "deadweight": a.deadweight, **a.components}
        return cls({k: r.sample(rng, n) for k, r in ranges.items()}, {k: r.central for k, r in ranges.items()}, mult,
                   dict(a.fixed))

    @property
    def n(self) -> int:
        return len(self.samples["vsl"])

    def components(self, central: bool, override: dict[str, float] | None = None) -> dict[str, np.ndarray]:
        c = {k: np.array([v], float) for k, v in self.central.items()} if central else dict(self.samples)
        return c | {k: np.array([v], float) for k, v in (override or {}).items()}


def money(p: pd.DataFrame, prog_cols: list[str], dr: Draws, prison_on: float, central: bool,
          override: dict[str, float] | None = None, multipliers: dict[str, float] | None = None) -> dict:
    """Programme cost, benefit streams (in and beyond the window), net benefit and perspectives per paired
    replicate (rows) at central prices (one column) or at every economic draw (columns)."""
    c = dr.components(central, override)
    u = prices.unit_values(c, dr.fixed)
    k = len(u["vsl"])
    prog = np.zeros((len(p), k))
    for col in prog_cols:
        m = (np.array([(multipliers or {}).get(col[5:], 1.0)]) if central else dr.multipliers[col[5:]])
        prog = prog + p[col].to_numpy(float)[:, None] * m[None, :]
    parts = streams.values(p, u, prison_on)
    totals = {s: w + b for s, (w, b) in parts.items()}
    cost = prog - totals["prison_cost_avoided"]  # net public cost (incremental cost)
    dw, persp = streams.split(totals, cost, c["deadweight"][None, :], dr.fixed)
    totals |= dw
    benefits = sum(v for s, v in totals.items() if s != "prison_cost_avoided")
    beyond = sum(np.abs(b) for _, b in parts.values())
    within = sum(np.abs(w) for w, _ in parts.values())
    return {"prog": prog, "cost": cost, "streams": totals, "parts": parts, "benefits": benefits, "net": benefits - cost,
            "perspectives": persp, "beyond_share": np.divide(beyond, within + beyond, out=np.zeros_like(beyond),
                                                            where=(within + beyond) > 0)}


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
            deadweight: float | None = None, life_course: bool = True,
            unit_cost_factors: dict[str, float] | None = None, policy_kinds: dict[str, str] | None = None,
            wtp_grid=None, cloud_draws: int = 10, details: bool = True) -> Analysis:
    """Run the whole comparison (see the module docstring); ``scenario_table`` returns its ``table``.

    ``details=False`` skips the acceptability curve and the one-way sensitivity (for quick tables, e.g. the app).
    ``life_course=False`` counts only what happens inside the simulated window (``beyond_horizon_share`` is 0).
    """
    if outcome not in OUTCOMES:
        raise ValueError(f"outcome must be one of {', '.join(OUTCOMES)}, got {outcome!r}")
    if n_draws < 1:
        raise ValueError(f"n_draws must be >= 1, got {n_draws}")
    a = costs_mod.assumptions(country, vsl_central=vsl, prison_cost=prison_cost, deadweight_central=deadweight)
    totals, notes = run_totals(results, discount, policy_kinds, a, life_course)
    paired = paired_differences(totals, baseline, homicide_scope, homicide_estimator)
    prog_cols = [c for c in paired if c.startswith("prog_")]
    kinds = [c[len("prog_"):] for c in prog_cols]
    _scale_unit_costs(paired, kinds, unit_cost_factors)
    dr = Draws.make(a, n_draws, seed, kinds)
    prison_on = 1.0 if include_prison_costs else 0.0
    effect_col = f"{outcome}_averted"
    scenarios = list(dict.fromkeys(totals.index.get_level_values(0)))
    table, clouds, nmb_parts = _scenario_rows(scenarios, paired, prog_cols, dr, prison_on, effect_col, baseline,
                                              min(cloud_draws, n_draws), notes)
    table = _rank(table, baseline, effect_col)
    ceac, sens = pd.DataFrame(columns=["wtp", "scenario", "p_optimal", "optimal_expected"]), pd.DataFrame(
        columns=["scenario", "input", "setting", "net_benefit"])
    if details:
        ceac = _ceac(nmb_parts, wtp_grid, dr.central["vsl"] if outcome == "homicides" else None)
        sens = _one_way(results, paired, prog_cols, a, discount, policy_kinds, unit_cost_factors, baseline, homicide_scope,
                        homicide_estimator, dr, prison_on, life_course)
    settings = {"country": country, "baseline": baseline, "discount": discount, "outcome": outcome,
                "homicide_scope": homicide_scope, "homicide_estimator": paired.attrs["homicide_estimator"], "n_draws": n_draws,
                "seed": seed, "include_prison_costs": include_prison_costs, "life_course": life_course,
                "life_course_age": lifecourse.LIFE_COURSE_AGE,
                "price_base": f"{costs_mod.CURRENCY} {costs_mod.BASE_YEAR}",
                "n_samples": int(table["n_samples"].min()) if len(table) else 0}
    table.attrs.update(settings)
    return Analysis(table, paired, pd.concat(clouds, ignore_index=True), ceac, sens, a, settings, [*a.notes, *notes])


def _scale_unit_costs(paired: pd.DataFrame, kinds: list[str], unit_cost_factors: dict[str, float] | None) -> None:
    """Multiply each kind's programme cost in ``paired`` by its factor (in place); a kind not in the results is an error."""
    for k, f in (unit_cost_factors or {}).items():
        if f"prog_{k}" not in paired:
            raise ValueError(f"unit_cost_factors: no programme cost of kind '{k}' in the results (have: {', '.join(kinds) or 'none'})")
        paired[f"prog_{k}"] *= float(f)


def _scenario_rows(scenarios: list[str], paired: pd.DataFrame, prog_cols: list[str], dr: Draws, prison_on: float,
                   effect_col: str, baseline: str, plot_k: int, notes: list[str]):
    """The table's rows in scenario order, the plane's clouds (``plot_k`` draws a replicate) and the CEAC's parts
    (outcome averted, cost samples) by scenario; a scenario with no replicate paired with the baseline gets a note."""
    rows, clouds, nmb_parts = [], [], {}
    for s in scenarios:
        p = paired[paired["scenario"] == s]
        if len(p) == 0:
            notes.append(f"scenario '{s}' has no replicate in common with the baseline: left out")
            continue
        row = _scenario_row(s, p, prog_cols, dr, prison_on, effect_col)
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
    return table, clouds, nmb_parts


#: the table's first columns, in this order (the others follow as computed)
LEAD_COLUMNS = ("rank", "name", "distinguishable", "incremental_cost", "recruits_averted", "homicides_averted",
                "incarceration_years_averted", "cost_per_recruit_averted", "cost_per_homicide_averted", "icer", "net_benefit", "bcr",
                "bcr_note", "p_benefit_exceeds_cost", "on_frontier", "frontier_status")


def _rank(table: pd.DataFrame, baseline: str, effect_col: str) -> pd.DataFrame:
    """Frontier status, ICERs and rank by net benefit; the table sorted (ranked rows first) with its lead columns first."""
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
    return table[[*LEAD_COLUMNS, *(c for c in table if c not in LEAD_COLUMNS)]]


NOT_DISTINGUISHABLE = "not distinguishable from no effect"
STREAMS = streams.STREAMS
OUTCOME_COLUMNS = ("recruits_averted", "member_years_averted", "homicides_averted", "homicides_youth_averted",
                   "homicides_male_averted", "homicides_female_averted", "incarceration_years_averted",
                   "trafficking_victims_averted", "completions_gained", "offences_violent_averted", "offences_property_averted",
                   "offences_drug_averted", "arrests_averted", "displaced_people_averted", "displaced_years_averted",
                   "displaced_years_beyond_averted", "employed_years_gained")


def _putter(row: dict):
    def put(col, central, samples=None):
        central = np.asarray(central, float).ravel()
        row[col] = float(np.mean(central)) if central.size else np.nan
        smp = central if samples is None else samples
        row[f"{col}_lo"], row[f"{col}_hi"] = _q(smp)
        row[f"{col}_median"] = float(np.median(np.asarray(smp, float))) if np.size(smp) else np.nan
    return put


def _scenario_row(name: str, p: pd.DataFrame, prog_cols: list[str], dr: Draws, prison_on: float, effect_col: str) -> dict:
    """One row of the table: every figure from the same paired samples (see the module docstring).

    Additive figures (costs, outcomes, benefit streams, net benefit, perspectives) are **means** over the
    paired replicates at central prices, so the parts add up to the totals as displayed; ratios (cost per
    outcome averted, BCR) are ratios of those means. ``_lo`` / ``_hi`` are 10% / 90% quantiles of the
    per-sample values (for ratios: of the per-sample ratios); ``_median`` columns are medians of the same samples.
    """
    c, k = money(p, prog_cols, dr, prison_on, True), money(p, prog_cols, dr, prison_on, False)
    row: dict = {"name": name, "n_samples": len(p)}
    put = _putter(row)
    put("program_cost", c["prog"], k["prog"])
    put("prison_cost_change", -c["streams"]["prison_cost_avoided"], -k["streams"]["prison_cost_avoided"])
    put("incremental_cost", c["cost"], k["cost"])
    for col in OUTCOME_COLUMNS:
        put(col, p[col].to_numpy(float) if col in p else np.full(len(p), np.nan))
    for col in ("recruits_averted_undiscounted", "homicides_averted_undiscounted"):
        row[col] = float(np.mean(p[col])) if len(p) else np.nan
    for col in STREAMS:
        put(col, c["streams"][col], k["streams"][col])
        if col in c["parts"]:
            row[f"{col}_beyond"] = float(np.mean(c["parts"][col][1]))
    put("benefits", c["benefits"], k["benefits"])
    put("net_benefit", c["net"], k["net"])
    for who in streams.PERSPECTIVES:
        put(f"perspective_{who}", c["perspectives"][who], k["perspectives"][who])
    beyond = sum(abs(row[f"{s}_beyond"]) for s in c["parts"])
    total = sum(abs(row[s] - row[f"{s}_beyond"]) + abs(row[f"{s}_beyond"]) for s in c["parts"])
    row["beyond_horizon_share"] = beyond / total if total > 0 else 0.0
    row["beyond_horizon_share_lo"], row["beyond_horizon_share_hi"] = _q(k["beyond_share"])
    lo, hi = row[f"{effect_col}_lo"], row[f"{effect_col}_hi"]
    row["distinguishable"] = bool(np.isfinite(lo) and np.isfinite(hi) and not (lo <= 0 <= hi))
    for col, denom in (("cost_per_recruit_averted", "recruits_averted"), ("cost_per_homicide_averted", "homicides_averted")):
        d = p[denom].to_numpy(float)
        row[col] = row["incremental_cost"] / row[denom] if row[denom] > 0 else np.nan
        row[f"{col}_lo"], row[f"{col}_hi"] = _q(k["cost"] / d[:, None]) if len(d) and np.all(d > 0) else (np.nan, np.nan)
    _bcr(row, k, effect_col)
    row["p_benefit_exceeds_cost"] = float(np.mean(k["net"] > 0))
    row["_cost_k"] = k["cost"]
    return row


def _bcr(row: dict, k: dict, effect_col: str) -> None:
    """BCR = (benefits + prison cost avoided) / programme cost, from the row's own means; never negative."""
    numer = row["benefits"] + row["prison_cost_avoided"]
    row["bcr"], row["bcr_note"] = np.nan, ""
    if row["program_cost"] > 0:
        if numer > 0:
            row["bcr"] = numer / row["program_cost"]
        elif row[effect_col] < 0 and row["incremental_cost"] > 0:
            row["bcr_note"] = "costs more and does worse"
        else:
            row["bcr_note"] = "no benefit"
    prog_k = k["prog"]
    with np.errstate(divide="ignore", invalid="ignore"):
        bcr_k = np.where(prog_k > 0, (k["benefits"] + k["streams"]["prison_cost_avoided"]) / prog_k, np.nan)
    blo, bhi = _q(bcr_k)
    row["bcr_lo"], row["bcr_hi"] = (max(blo, 0.0), max(bhi, 0.0)) if np.isfinite(blo) else (blo, bhi)
    row["bcr_median"] = float(max(np.nanmedian(bcr_k), 0.0)) if np.isfinite(bcr_k).any() else np.nan


#: One-way sensitivity: input -> the components set together to their low or high ends.
SENSITIVITY_GROUPS = {
    "VSL": ("vsl",), "cost per prisoner-year": ("prison", "prison_marginal_share"),
    "victim costs per offence": ("victim_violent", "victim_property", "victim_drug"),
    "police and court costs": ("police", "court", "case_share"),
    "earnings (completion, employment, custody)": ("earnings_base", "completion_premium", "employment_rate"),
    "displacement cost": ("idp_year",), "deadweight cost of taxation": ("deadweight",),
}
SENSITIVITY_INPUTS = (*SENSITIVITY_GROUPS, "programme unit costs", "discount rate", "life-course horizon")


def _variants(a: costs_mod.CostAssumptions, kinds: list[str]) -> list[tuple[str, str, dict, dict]]:
    ranges = {"prison": a.prison_year, "vsl": a.vsl, "deadweight": a.deadweight, **a.components}
    out = []
    for inp, keys in SENSITIVITY_GROUPS.items():
        for end in ("low", "high"):
            out.append((inp, end, {k: getattr(ranges[k], end) for k in keys if k in ranges}, {}))
    for end in ("low", "high"):
        out.append(("programme unit costs", end, {}, {k: getattr(a.programs[k].multiplier, end) for k in kinds if k in a.programs}))
    return out


def _one_way(results, paired, prog_cols, a: costs_mod.CostAssumptions, discount, policy_kinds, unit_cost_factors, baseline,
             homicide_scope, homicide_estimator, dr: Draws, prison_on, life_course: bool) -> pd.DataFrame:
    """Net benefit (mean over paired replicates, like the table) with one economic input at its low or high end."""
    frames = [("central", "", paired, {}, {})] + [(i, s, paired, o, m) for i, s, o, m in _variants(a, [c[5:] for c in prog_cols])]
    reruns = [("discount rate", f"{r:.0%}", r, life_course) for r in (0.0, 0.05) if r != discount]
    if life_course:
        reruns.append(("life-course horizon", "off", discount, False))
    for inp, setting, r, lc in reruns:
        tot, _ = run_totals(results, r, policy_kinds, a, lc)
        pr = paired_differences(tot, baseline, homicide_scope, homicide_estimator)
        for k, f in (unit_cost_factors or {}).items():
            pr[f"prog_{k}"] *= float(f)
        frames.append((inp, setting, pr, {}, {}))
    rows = []
    for inp, setting, pr, override, mult in frames:
        cols = [c for c in pr if c.startswith("prog_")]
        for s, p in pr.groupby("scenario", sort=False):
            nb = money(p, cols, dr, prison_on, True, override, mult)["net"]
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
