"""Economics: hand-computed discounting, ICERs, dominance and extended dominance; costs, PSA and metrics
on small synthetic result frames whose right answers can be worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from recruitsim.economics import cea as economics
from recruitsim.economics import costs, tables
from recruitsim.economics.cea import discount_factors, efficiency_frontier, scenario_table
from recruitsim.economics.streams import STREAMS

MONTHS = 24


def frame(scenarios: dict[str, dict[str, float | np.ndarray]], replicates: int = 1, months: int = MONTHS,
          noise: dict[str, float] | None = None, seed: int = 0) -> pd.DataFrame:
    """Tidy monthly results: per scenario, constant (or given) monthly values of each column.

    ``noise`` adds replicate-level random shifts to named columns, identical across scenarios (like CRN).
    """
    rng = np.random.default_rng(seed)
    shift = {c: rng.normal(0, sd, replicates) for c, sd in (noise or {}).items()}
    base = {"recruits": 100.0, "homicides": 10.0, "homicides_male": 9.0, "homicides_youth": 4.0, "members": 1000.0,
            "incarcerated": 500.0, "trafficked_new": 2.0, "completions": 50.0}
    rows = []
    for name, cols in scenarios.items():
        for r in range(replicates):
            data = {"scenario": name, "replicate": r, "month": np.arange(months)}
            for c, v in {**base, **cols}.items():
                v = np.broadcast_to(np.asarray(v, float), (months,)).copy()
                data[c] = v + shift.get(c, np.zeros(replicates))[r]
            rows.append(pd.DataFrame(data))
    return pd.concat(rows, ignore_index=True)


# ---- discounting -------------------------------------------------------------------------------------
def test_discount_factors_by_hand():
    f = discount_factors([0, 6, 12, 24], 0.03)
    assert f[0] == 1.0
    assert f[1] == pytest.approx(1 / math.sqrt(1.03))
    assert f[2] == pytest.approx(1 / 1.03)
    assert f[3] == pytest.approx(1 / 1.03**2)
    assert np.all(discount_factors(np.arange(120), 0.0) == 1.0)
    with pytest.raises(ValueError):
        discount_factors([0], -0.01)


def test_present_value_of_costs_and_outcomes_by_hand():
    # a programme paying 100 in month 0 and 103 in month 12 (and nothing else) costs 100 + 103 / 1.03 = 200
    cost = np.zeros(MONTHS)
    cost[0], cost[12] = 100.0, 103.0
    # it averts 1 homicide in month 0 and 1.03 in month 12: 2 discounted homicides averted
    hom = np.full(MONTHS, 10.0)
    hom[0], hom[12] = 9.0, 10.0 - 1.03
    df = frame({"baseline": {}, "p": {"cost_jobs": cost, "homicides": hom, "homicides_male": hom - 1.0}})
    t = scenario_table(df, "LAC", n_draws=1).set_index("name")
    assert t.loc["p", "program_cost"] == pytest.approx(200.0)  # jobs unit cost is priced in 2024 USD (a GUESS)
    assert t.loc["p", "homicides_averted"] == pytest.approx(2.0)
    assert t.loc["p", "homicides_averted_undiscounted"] == pytest.approx(2.03)
    assert t.loc["p", "cost_per_homicide_averted"] == pytest.approx(100.0)
    # at 0% nothing is discounted
    t0 = scenario_table(df, "LAC", discount=0.0, n_draws=1).set_index("name")
    assert t0.loc["p", "program_cost"] == pytest.approx(203.0)


def test_stocks_become_discounted_person_years():
    # 12 fewer youths in custody every month for 24 months = 12 custody-years undiscounted;
    # discounted: sum_m (12 / 12) * 1.03^(-m/12)
    df = frame({"baseline": {}, "p": {"incarcerated": 500.0 - 12.0}})
    t = scenario_table(df, "LAC", n_draws=1).set_index("name")
    expected = discount_factors(np.arange(MONTHS), 0.03).sum()
    assert t.loc["p", "incarceration_years_averted"] == pytest.approx(expected)
    a = costs.assumptions("LAC")
    prison = a.prison_year.central * a.components["prison_marginal_share"].central  # the marginal cost of a custody-year
    assert t.loc["p", "prison_cost_change"] == pytest.approx(-expected * prison)


def test_price_year_conversion_of_programme_costs():
    # mentoring's unit cost is a US cost transferred to LAC in 2023 dollars: the model's USD become 2024 USD x CPI(2024)/CPI(2023)
    df = frame({"baseline": {}, "m": {"cost_mentoring": np.r_[1000.0, np.zeros(MONTHS - 1)]}})
    t = scenario_table(df, "LAC", n_draws=1).set_index("name")
    assert t.loc["m", "program_cost"] == pytest.approx(1000.0 * 313.689 / 304.702)


# ---- frontier -------------------------------------------------------------------------------------------
def test_frontier_dominance_extended_dominance_and_icers_by_hand():
    names = ["O", "A", "B", "C", "D", "E", "N"]
    cost = [0.0, 10_000, 30_000, 50_000, 40_000, -5_000, 100]
    effect = [0.0, 1.0, 1.5, 3.0, 1.2, -1.0, 0.0]
    f = efficiency_frontier(names, cost, effect)
    # D costs more than B and achieves less: dominated. N costs more than O for the same effect: dominated.
    assert f.loc["D", "frontier_status"] == "dominated"
    assert f.loc["N", "frontier_status"] == "dominated"
    # ICERs E->O 5,000; O->A 10,000; A->B 40,000 > B->C 13,333: B is extendedly dominated; then A->C 20,000
    assert f.loc["B", "frontier_status"] == "extendedly dominated"
    assert list(f.index[f["on_frontier"]]) == ["O", "A", "C", "E"]
    assert math.isnan(f.loc["E", "icer"])  # cheapest option starts the frontier
    assert f.loc["O", "icer"] == pytest.approx(5_000)
    assert f.loc["A", "icer"] == pytest.approx(10_000)
    assert f.loc["C", "icer"] == pytest.approx(20_000)
    assert f.loc[["B", "D", "N"], "icer"].isna().all()


def test_frontier_repeated_extended_dominance():
    # two successive options are extendedly dominated (the removal must be repeated)
    f = efficiency_frontier(["O", "P", "Q", "R"], [0, 10, 25, 40], [0, 1, 2, 10])
    # ICERs 10, 15, 1.875: Q goes (15 > 1.875); then P->R = 30/9 = 3.33 < O->P 10: P goes too
    assert f["frontier_status"].to_dict() == {"O": "frontier", "P": "extendedly dominated", "Q": "extendedly dominated", "R": "frontier"}
    assert f.loc["R", "icer"] == pytest.approx(4.0)


def test_frontier_identical_options_and_missing_values():
    f = efficiency_frontier(["baseline", "twin", "x"], [0, 0, np.nan], [0, 0, 1])
    assert f.loc["baseline", "frontier_status"] == "frontier"
    assert f.loc["twin", "frontier_status"] == "dominated"
    assert f.loc["x", "frontier_status"] == "n/a"


# ---- whole table -------------------------------------------------------------------------------------------
def test_doubling_a_unit_cost_doubles_the_incremental_cost():
    df = frame({"baseline": {}, "m": {"cost_mentoring": 1000.0, "homicides": 9.0, "homicides_male": 8.0}}, replicates=3)
    one = scenario_table(df, "LAC", n_draws=50).set_index("name")
    two = scenario_table(df, "LAC", n_draws=50, unit_cost_factors={"mentoring": 2.0}).set_index("name")
    for col in ("incremental_cost", "incremental_cost_lo", "incremental_cost_hi", "program_cost", "cost_per_homicide_averted"):
        assert two.loc["m", col] == pytest.approx(2 * one.loc["m", col])
    assert two.loc["m", "homicides_averted"] == one.loc["m", "homicides_averted"]


def test_a_policy_with_no_effect_averts_nothing_and_is_dominated():
    df = frame({"baseline": {}, "useless": {"cost_hotline": 5000.0}, "good": {"cost_jobs": 10.0, "homicides": 9.0, "homicides_male": 8.0}},
               replicates=4, noise={"homicides": 1.0, "recruits": 5.0})
    t = scenario_table(df, "LAC").set_index("name")
    u = t.loc["useless"]
    for col in ("recruits_averted", "homicides_averted", "incarceration_years_averted", "member_years_averted",
                "trafficking_victims_averted", "completions_gained"):
        assert u[col] == 0.0 and u[f"{col}_lo"] == 0.0 and u[f"{col}_hi"] == 0.0
    assert u["frontier_status"] == economics.NOT_DISTINGUISHABLE and not u["on_frontier"] and not u["distinguishable"]
    assert pd.isna(u["rank"])  # never ranked as a gain
    assert math.isnan(u["cost_per_recruit_averted"]) and math.isnan(u["cost_per_homicide_averted"]) and math.isnan(u["icer"])
    assert u["incremental_cost"] > 0 and u["net_benefit"] < 0 and u["p_benefit_exceeds_cost"] == 0.0
    assert t.loc["good", "on_frontier"] and t.loc["baseline", "on_frontier"]


def test_contract_columns_help_and_one_replicate():
    df = frame({"baseline": {}, "p": {"cost_jobs": 100.0, "recruits": 90.0}})
    t = scenario_table(df, "LAC")
    need = {"name", "incremental_cost", "recruits_averted", "homicides_averted", "incarceration_years_averted",
            "cost_per_recruit_averted", "cost_per_homicide_averted", "icer", "net_benefit", "bcr", "p_benefit_exceeds_cost",
            "on_frontier"}
    assert need <= set(t.columns)
    for m in ("incremental_cost", "recruits_averted", "homicides_averted", "net_benefit", "bcr"):
        assert {f"{m}_lo", f"{m}_hi"} <= set(t.columns)
    assert set(t.columns) <= set(economics.COLUMN_HELP), set(t.columns) - set(economics.COLUMN_HELP)
    assert all(isinstance(v, str) and v.endswith(".") for v in economics.COLUMN_HELP.values())
    assert len(t) == 2 and set(t["name"]) == {"baseline", "p"}
    p = t.set_index("name").loc["p"]
    assert p["recruits_averted"] == pytest.approx(discount_factors(np.arange(MONTHS), 0.03).sum() * 10)
    assert p["cost_per_recruit_averted"] == pytest.approx(p["incremental_cost"] / p["recruits_averted"])
    b = t.set_index("name").loc["baseline"]
    assert b["incremental_cost"] == 0 and b["net_benefit"] == 0 and math.isnan(b["p_benefit_exceeds_cost"])


def test_paired_replicates_cancel_common_noise():
    # large replicate noise shared by all scenarios (common random numbers) cancels in paired differences
    df = frame({"baseline": {}, "p": {"recruits": 99.0, "cost_jobs": 1.0}}, replicates=6, noise={"recruits": 50.0})
    t = scenario_table(df, "LAC").set_index("name")
    exact = discount_factors(np.arange(MONTHS), 0.03).sum()
    assert t.loc["p", "recruits_averted_lo"] == pytest.approx(exact) and t.loc["p", "recruits_averted_hi"] == pytest.approx(exact)


def test_net_benefit_bcr_and_vsl_uncertainty():
    a = costs.assumptions("LAC")
    d = discount_factors(np.arange(MONTHS), 0.03).sum()
    # one homicide averted per month, programme cost chosen so that at the central VSL net benefit is +10%
    # of cost; other crime benefits switched off; no prison change
    h = d * 1.0
    pc = h * a.vsl.central / 1.1 / d
    df = frame({"baseline": {}, "p": {"homicides": 9.0, "homicides_male": 8.0, "cost_jobs": pc}})
    t = scenario_table(df, "LAC", deadweight=0, n_draws=2000).set_index("name").loc["p"]
    assert t["benefit_lives"] == pytest.approx(h * a.vsl.central)
    assert t["net_benefit"] == pytest.approx(h * a.vsl.central - pc * d)
    assert t["bcr"] == pytest.approx(1.1)
    # the VSL range (0.26m-4.62m around 2.32m) and unit-cost range make the outcome uncertain
    assert 0.2 < t["p_benefit_exceeds_cost"] < 0.8
    assert t["net_benefit_lo"] < 0 < t["net_benefit_hi"]
    # with a certainly tiny cost the probability is 1
    cheap = frame({"baseline": {}, "p": {"homicides": 9.0, "homicides_male": 8.0, "cost_jobs": 1.0}})
    assert scenario_table(cheap, "LAC").set_index("name").loc["p", "p_benefit_exceeds_cost"] == 1.0


def test_deadweight_is_its_own_stream_on_net_public_cost_and_perspectives_add_up():
    # 1 homicide averted a month, a programme of 1000 a month, 10 fewer youths in custody: net public cost = prog - prison saved
    d = discount_factors(np.arange(MONTHS), 0.03).sum()
    df = frame({"baseline": {}, "p": {"homicides": 9.0, "homicides_male": 8.0, "incarcerated": 490.0, "cost_jobs": 1000.0}},
               replicates=3, noise={"homicides": 0.5})
    a = costs.assumptions("CHL")
    t = scenario_table(df, "CHL", n_draws=50).set_index("name").loc["p"]
    prog = 1000 * d * a.programs["jobs"].to_base  # the programme's unit cost transferred to Chile by income
    public = prog - 10 / 12 * d * a.prison_year.central * a.components["prison_marginal_share"].central
    assert t["incremental_cost"] == pytest.approx(public)
    assert a.deadweight.central == 0.5 and (a.deadweight.low, a.deadweight.high) == (0.25, 1.0)
    # the youths kept out of custody keep their earnings: a tax share goes to taxpayers (WSIPP split), the deadweight
    # applies to the taxpayers' net flow
    earn = t["benefit_custody_earnings"]
    assert earn > 0 and t["perspective_taxpayers"] == pytest.approx(-public + 0.24 * earn)
    assert t["perspective_participants"] == pytest.approx(0.52 * earn)
    assert t["benefit_deadweight"] == pytest.approx(0.5 * t["perspective_taxpayers"])
    assert t["benefit_deadweight_lo"] < t["benefit_deadweight"] < t["benefit_deadweight_hi"]  # the 0.25-1.0 range is drawn
    assert t["net_benefit"] == pytest.approx(d * a.vsl.central + earn - public + t["benefit_deadweight"])
    assert t["perspective_victims_and_others"] == pytest.approx(t["benefit_lives"] + 0.24 * earn)
    assert t["perspective_indirect"] == pytest.approx(t["benefit_deadweight"])
    assert (t["perspective_taxpayers"] + t["perspective_participants"] + t["perspective_victims_and_others"]
            + t["perspective_indirect"] == pytest.approx(t["net_benefit"]))
    # switched off: the old net benefit
    off = scenario_table(df, "CHL", deadweight=0, n_draws=5).set_index("name").loc["p"]
    assert off["benefit_deadweight"] == 0 and off["net_benefit"] == pytest.approx(d * a.vsl.central + earn - public)


def test_each_row_is_one_consistent_computation():
    # noisy replicates: the parts shown add up to the totals shown, and ratios are ratios of the figures shown
    df = frame({"baseline": {}, "p": {"homicides": 9.0, "homicides_male": 8.0, "incarcerated": 520.0, "cost_jobs": 5000.0},
                "q": {"recruits": 95.0, "homicides": 9.5, "homicides_male": 8.5, "cost_mentoring": 300.0}},
               replicates=7, noise={"homicides": 0.3, "incarcerated": 30.0, "recruits": 4.0}, seed=3)
    t = scenario_table(df, "LAC", n_draws=40)
    for _, r in t[t["name"] != "baseline"].iterrows():
        assert r["incremental_cost"] == pytest.approx(r["program_cost"] + r["prison_cost_change"])
        assert r["benefits"] == pytest.approx(sum(r[c] for c in STREAMS if c != "prison_cost_avoided"))
        assert r["net_benefit"] == pytest.approx(r["benefits"] - r["incremental_cost"])
        if r["homicides_averted"] > 0:
            assert r["cost_per_homicide_averted"] == pytest.approx(r["incremental_cost"] / r["homicides_averted"])
        if math.isfinite(r["bcr"]):
            assert r["bcr"] == pytest.approx((r["benefits"] + r["prison_cost_avoided"]) / r["program_cost"])
            assert r["bcr"] > 0 and r["bcr_lo"] >= 0
        assert r["net_benefit_lo"] <= r["net_benefit_median"] <= r["net_benefit_hi"]


def test_results_not_distinguishable_from_no_effect_are_not_ranked_or_on_the_frontier():
    # 'noise' averts 0.5 homicides a month on average but its replicates straddle zero; 'clear' averts 1 with little noise
    rng = np.random.default_rng(5)
    reps = 8
    rows = []
    for r in range(reps):
        for name, hom, cost in (("baseline", 10.0, 0.0), ("noise", 10.0 - 0.5 + rng.normal(0, 2.0), 10.0),
                                ("clear", 9.0 + rng.normal(0, 0.05), 10.0)):
            rows.append(pd.DataFrame({"scenario": name, "replicate": r, "month": np.arange(MONTHS), "homicides": hom,
                                      "homicides_male": hom - 1, "recruits": 100.0, "members": 1000.0, "incarcerated": 500.0,
                                      "cost_schooling": cost}))
    df = pd.concat(rows, ignore_index=True)
    t = scenario_table(df, "LAC", n_draws=20).set_index("name")
    n = t.loc["noise"]
    assert n["homicides_averted_lo"] <= 0 <= n["homicides_averted_hi"]
    assert not n["distinguishable"] and pd.isna(n["rank"]) and not n["on_frontier"]
    assert n["frontier_status"] == economics.NOT_DISTINGUISHABLE and math.isnan(n["icer"])
    c = t.loc["clear"]
    assert c["distinguishable"] and c["on_frontier"] and c["rank"] == 1
    assert list(t.index)[-1] == "noise"  # listed after every ranked result


def test_bcr_is_never_negative():
    # adds prison time and homicides: costs more and does worse
    df = frame({"baseline": {}, "bad": {"incarcerated": 510.0, "homicides": 10.5, "homicides_male": 9.5, "cost_mass_policing": 100.0},
                "flat": {"incarcerated": 510.0, "cost_mass_policing": 100.0}}, replicates=2)
    t = scenario_table(df, "LAC", n_draws=20).set_index("name")
    assert math.isnan(t.loc["bad", "bcr"]) and t.loc["bad", "bcr_note"] == "costs more and does worse"
    assert math.isnan(t.loc["flat", "bcr"]) and t.loc["flat", "bcr_note"] == "no benefit"
    assert (t[["bcr", "bcr_lo", "bcr_hi"]].fillna(0) >= 0).all().all()


def test_prison_costs_enter_cost_and_bcr():
    # a policy that adds 10 youths in custody every month: its incremental cost includes the extra prison time
    df = frame({"baseline": {}, "p": {"incarcerated": 510.0, "cost_mass_policing": 100.0}})
    t = scenario_table(df, "CHL", n_draws=1, deadweight=0).set_index("name").loc["p"]
    d = discount_factors(np.arange(MONTHS), 0.03).sum()
    a = costs.assumptions("CHL")
    prison = a.prison_year.central * a.components["prison_marginal_share"].central
    assert t["incarceration_years_averted"] == pytest.approx(-10 / 12 * d)
    assert t["prison_cost_change"] == pytest.approx(10 / 12 * d * prison)
    prog = 100 * d * a.programs["mass_policing"].to_base  # unit cost at its price year, transferred to Chile by income
    assert t["incremental_cost"] == pytest.approx(prog + 10 / 12 * d * prison)
    assert math.isnan(t["bcr"]) and t["bcr_note"] == "no benefit"  # benefits (prison avoided) negative: no BCR shown
    off = scenario_table(df, "CHL", n_draws=1, include_prison_costs=False).set_index("name").loc["p"]
    assert off["incremental_cost"] == pytest.approx(prog)


def test_homicide_estimator_scope_and_sex():
    cols = {"homicides": 9.0, "homicides_male": 8.5, "homicides_youth": 3.0, "homicides_expected": 9.5, "homicides_male_expected": 8.7,
            "homicides_youth_expected": 3.5}
    base = {"homicides_expected": 10.0, "homicides_male_expected": 9.0, "homicides_youth_expected": 4.0}
    df = frame({"baseline": base, "p": {**cols, "cost_jobs": 1.0}})
    d = discount_factors(np.arange(MONTHS), 0.03).sum()
    t = scenario_table(df, "LAC", n_draws=1).set_index("name").loc["p"]
    assert t["homicides_averted"] == pytest.approx(0.5 * d)  # expected values by default
    assert t["homicides_male_averted"] == pytest.approx(0.3 * d)
    assert t["homicides_female_averted"] == pytest.approx(0.2 * d)
    assert t["homicides_youth_averted"] == pytest.approx(0.5 * d)
    r = scenario_table(df, "LAC", n_draws=1, homicide_estimator="realised").set_index("name").loc["p"]
    assert r["homicides_averted"] == pytest.approx(1.0 * d) and r["homicides_female_averted"] == pytest.approx(0.5 * d)
    y = scenario_table(df, "LAC", n_draws=1, homicide_scope="youth").set_index("name").loc["p"]
    assert y["homicides_averted"] == pytest.approx(0.5 * d)
    with pytest.raises(ValueError):
        scenario_table(df, "LAC", homicide_scope="adults")


def test_ceac_probabilities():
    df = frame({"baseline": {}, "cheap": {"homicides": 9.5, "homicides_male": 8.5, "cost_jobs": 1e4},
                "dear": {"homicides": 9.0, "homicides_male": 8.0, "cost_jobs": 1e6}}, replicates=3, noise={"homicides": 0.2})
    a = economics.analyse(df, "LAC", wtp_grid=[0.0, 1e5, 1e9])
    c = a.ceac.pivot(index="wtp", columns="scenario", values="p_optimal")
    assert np.allclose(c.sum(axis=1), 1.0)
    assert c.loc[0.0, "baseline"] == 1.0  # nothing is worth paying for at a zero willingness to pay
    assert c.loc[1e9, "dear"] == 1.0  # at a huge one the most effective option wins
    assert a.ceac.groupby("wtp")["optimal_expected"].sum().eq(1).all()


def test_errors_are_clear():
    df = frame({"baseline": {}, "p": {}})
    with pytest.raises(ValueError, match="baseline scenario 'status_quo'"):
        scenario_table(df, "LAC", baseline="status_quo")
    with pytest.raises(ValueError, match="outcome"):
        scenario_table(df, "LAC", outcome="happiness")
    with pytest.raises(ValueError, match="unit_cost_factors"):
        scenario_table(df, "LAC", unit_cost_factors={"mentoring": 2})


def test_importing_economics_does_not_import_matplotlib():
    import subprocess
    import sys

    code = "import sys, recruitsim.economics.cea, recruitsim.economics.costs; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "False"


# ---- cost data ------------------------------------------------------------------------------------------------
def test_cost_conversion_by_hand():
    # Chile, state-run prisons: CLP 983,424 a month in 2022, at 873.31 CLP per USD, US CPI 2022 -> 2024
    chl = costs.assumptions("CHL").prison_year
    assert chl.central == pytest.approx(983_424 * 12 / 873.31 * 313.689 / 292.655)
    assert chl.low <= chl.central * 0.75 + 1e-6 and chl.high >= 17_140  # the 2017 figure is the top of the range
    # Costa Rica: USD 48 a day in 2014
    assert costs.assumptions("CRI").prison_year.central == pytest.approx(48 * 365 * 313.689 / 236.736)
    # a country without its own figure takes the regional (median) value and says so
    hnd = costs.assumptions("HND")
    assert hnd.prison_year.central == costs.assumptions("LAC").prison_year.central
    assert any("HND" in n for n in hnd.notes)
    # VSL: Mexico's is transferred by income; its own estimates (a 2019 survey, an OECD transfer, Mexico City) widen the range
    mex = costs.assumptions("MEX")
    assert mex.vsl.central == pytest.approx(costs.vsl_transfer("MEX").central)
    assert mex.vsl.low == pytest.approx(210_880 * 313.689 / 255.657) and mex.vsl.high == pytest.approx(3.3e6 * 313.689 / 270.970)
    assert any("widen its range" in n for n in mex.notes)
    # a country without GNI per capita in the data takes the regional value and says it is not income-adjusted
    assert any("the region's VSL is used" in n for n in costs.assumptions("TTO").notes)
    # the region: transferred with the population-weighted GNI per capita; the range reaches Chile's hedonic estimate
    lac = costs.assumptions("LAC").vsl
    assert lac.central == pytest.approx(costs.vsl_transfer("LAC").central) and 0.5e6 < lac.central < 1.0e6
    assert lac.high == pytest.approx(3.7e6 * 313.689 / 251.107)
    # overrides keep the range's proportions
    v = costs.assumptions("LAC", vsl_central=1e6).vsl
    assert v.central == 1e6 and v.high / v.central == pytest.approx(lac.high / lac.central)


def test_cost_table_matches_the_model_unit_costs():
    from recruitsim.model.policies import KINDS

    progs, _ = costs.program_costs()
    assert set(progs) == set(KINDS)
    for kind, k in KINDS.items():
        p = k.params["unit_cost"]
        assert progs[kind].unit_cost == p.default, kind
        assert progs[kind].multiplier.low * p.default == pytest.approx(p.low)
        assert progs[kind].multiplier.high * p.default == pytest.approx(p.high)
    for r in costs.cost_rows():
        assert r["source_tag"], r


def test_range_sampling_is_log_triangular_and_seeded():
    r = costs.Range(100.0, 10.0, 1000.0)
    x = r.sample(np.random.default_rng(1), 20_000)
    assert x.min() >= 10 and x.max() <= 1000
    assert np.median(x) == pytest.approx(100, rel=0.05)  # symmetric in logs: the median is the mode
    assert np.array_equal(x, r.sample(np.random.default_rng(1), 20_000))
    assert np.all(costs.Range(5.0, 5.0, 5.0).sample(np.random.default_rng(0), 3) == 5.0)
    with pytest.raises(ValueError):
        costs.Range(1.0, 2.0, 3.0)


def test_unpaired_scenarios_are_left_out_with_a_note():
    df = frame({"baseline": {}, "p": {"cost_jobs": 1.0}}, replicates=2)
    df.loc[df.scenario == "p", "replicate"] += 10  # no replicate in common with the baseline
    a = economics.analyse(df, "LAC")
    assert list(a.table["name"]) == ["baseline"]
    assert any("'p' has no replicate in common" in n for n in a.notes)


def test_one_way_sensitivity_by_hand():
    a = costs.assumptions("LAC")
    d = discount_factors(np.arange(MONTHS), 0.03).sum()
    df = frame({"baseline": {}, "p": {"homicides": 9.0, "homicides_male": 8.0, "cost_jobs": 100.0}})
    an = economics.analyse(df, "LAC", n_draws=5)
    s = an.sensitivity.set_index(["scenario", "input", "setting"])["net_benefit"]
    assert s[("p", "central", "")] == pytest.approx(an.table.set_index("name").loc["p", "net_benefit"])
    dw = a.deadweight.central  # 0.5 x the net public cost
    assert s[("p", "VSL", "low")] == pytest.approx(d * a.vsl.low - 100 * d * (1 + dw))
    assert s[("p", "VSL", "high")] == pytest.approx(d * a.vsl.high - 100 * d * (1 + dw))
    assert s[("p", "programme unit costs", "high")] == pytest.approx(d * a.vsl.central - 100 * d * 4000 / 1414 * (1 + dw))  # costs.csv jobs
    assert s[("p", "deadweight cost of taxation", "high")] == pytest.approx(d * a.vsl.central - 100 * d * 2.0)
    assert s[("p", "discount rate", "0%")] == pytest.approx(MONTHS * (a.vsl.central - 100 * (1 + dw)))
    assert set(an.sensitivity["input"]) == {"central", *economics.SENSITIVITY_INPUTS}


def test_vsl_transferred_by_income_matches_the_staging_values():
    # ROBINSON2019: 9.4 m x (GNI pc / 57,900)^1.5, floor 20 x GNI pc; high end elasticity 1.0; 2015 -> 2024 with CPI-U
    f = 313.689 / 237.017
    hnd = costs.assumptions("HND").vsl
    assert hnd.central == pytest.approx(9.4e6 * (2397 / 57900) ** 1.5 * f)
    assert hnd.low == pytest.approx(20 * 2397 * f) and hnd.high == pytest.approx(9.4e6 * 2397 / 57900 * f)
    # the 2024-USD values in /work/staging/economics/values.csv (rounded there)
    for iso, (c, lo, hi) in {"HND": (104_792, 63_448, 515_035), "HTI": (40_558, 33_696, 273_525),
                             "GTM": (279_863, 122_131, 991_395), "ARG": (1_209_804, 324_096, 2_630_828)}.items():
        v = costs.assumptions(iso).vsl
        assert (v.central, v.low, v.high) == pytest.approx((c, lo, hi), abs=2), iso
        assert any("transferred from the US" in n for n in costs.assumptions(iso).notes)
    # Chile: the transfer replaces its own study as the central value; the study widens the range
    chl = costs.assumptions("CHL")
    assert chl.vsl.central == pytest.approx(9.4e6 * (14975 / 57900) ** 1.5 * f)
    assert chl.vsl.high == pytest.approx(4.0e6 * 313.689 / 251.107) and any("own VSL estimates" in n for n in chl.notes)
    # no GNI per capita: the region's value is kept, and the note says so
    tto = costs.assumptions("TTO")
    assert tto.vsl == costs.assumptions("LAC").vsl and any("No GNI per capita for TTO" in n for n in tto.notes)
    # the region is transferred with the population-weighted GNI per capita of the listed countries
    y = tables.regional_gni()
    assert costs.vsl_transfer("LAC").central == pytest.approx(9.4e6 * (y / 57900) ** 1.5 * f)


def test_outcomes_over_time_figure_is_two_labelled_panels_of_averted_counts_with_at_most_four_options():
    from recruitsim.economics import report

    names = ["baseline", *[f"p{i}" for i in range(10)]]
    df = frame({n: {"recruits": 100.0 - i, "homicides": 10.0 - i / 10, "homicides_male": 9.0}
                for i, n in enumerate(names)}, replicates=3, noise={"recruits": 2.0})
    table = scenario_table(df, "LAC", n_draws=5)
    opts = report.over_time_options(table, "baseline")
    assert len(opts) == 4 and "baseline" not in opts
    assert opts == [n for n in table["name"] if n != "baseline"][:4]  # the top of the ranking
    fig = report.over_time_figure(df, "baseline", names[1:], {"p3": "p3 (n.d.)"})
    axes = fig.get_axes()
    assert len(axes) == 2  # fewer, clearer panels: homicides and recruits averted
    units = [ax.get_ylabel() for ax in axes]
    assert all("per year" in u for u in units) and all(units)
    for ax in axes:
        assert len(ax.get_lines()) == 5  # zero line + 4 options
        assert ax.get_title()
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "p3 (n.d.)" in legend and len([t for t in legend if t.startswith("p")]) == 4
    av = report.yearly_averted(df, "baseline", ["p2"])
    rec = av[av["metric"] == "recruits"]
    assert rec["year"].tolist() == [1, 2] and np.allclose(rec["median"], 36.0)  # 3 a month fewer x 12 (shared noise cancels)
    import matplotlib.pyplot as plt
    plt.close(fig)


def test_programme_costs_are_transferred_to_a_country_by_income():
    """A poorer country's programme unit costs are lower than the regional base, by (GNI ratio)^e, e in [0.5, 1];
    the regional profile keeps the table's figures."""
    from recruitsim.economics.prices import earnings_factor

    lac, notes = costs.program_costs("LAC")
    assert not notes
    hnd, notes = costs.program_costs("HND")
    f, _ = earnings_factor("HND")
    assert f < 1 and notes and "HND" in notes[0]
    for kind, p in hnd.items():
        assert p.to_base == pytest.approx(lac[kind].to_base * f ** 0.75)
        assert p.multiplier.low * p.to_base == pytest.approx(lac[kind].multiplier.low * lac[kind].to_base * f)
        assert p.multiplier.high * p.to_base == pytest.approx(lac[kind].multiplier.high * lac[kind].to_base * f ** 0.5)
    assert costs.assumptions("HND").programs["mentoring"].to_base == pytest.approx(hnd["mentoring"].to_base)
