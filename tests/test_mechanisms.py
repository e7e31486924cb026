"""Behaviour of the issue-11 mechanisms: scale invariance, a stationary status quo, offences with
victims, arrests from offences, and incarceration with and without replacement. Small and fast."""

from __future__ import annotations

import numpy as np
import pytest

from recruitsim.model import Policy, RecruitmentModel
from recruitsim.model.model import MIN_SOUND_AGENTS


def run(country="LAC", n=20_000, years=2, seed=1, burn_in=2, **params):
    m = RecruitmentModel(country, n_agents=n, years=years, burn_in_years=burn_in, rng=seed, draw=None,
                         collect=False, params=params or None)
    return m, m.run()


def test_min_sound_agents_is_exported():
    assert 10_000 <= MIN_SOUND_AGENTS <= 50_000


def test_scale_invariance_20k_vs_200k():
    """National rates at 20k and 200k agents agree within a stated tolerance (mean of seeds)."""
    def rates(n, seeds):
        out = []
        for s in seeds:
            _, df = run(n=n, years=2, seed=s)
            out.append([df["member_prevalence_per_1000"].mean(), df["homicide_rate_expected"].mean(),
                        df["incarceration_rate"].mean(), df["controlled_share"].mean()])
        return np.mean(out, axis=0)

    small, large = rates(20_000, (1, 2, 3)), rates(200_000, (1,))
    # members, homicide, incarceration and territory within 20% (sampling noise at 20k over 3 seeds)
    assert np.all(np.abs(small / large - 1.0) < 0.20), (small, large)


@pytest.mark.parametrize("country", ["LAC", "HND"])
def test_status_quo_is_stationary(country):
    """No policy: year 10 vs year 1 members and homicide within a band, and no group dies out."""
    m, df = run(country, n=40_000, years=10, burn_in=5)
    y = df.groupby("year")[["members", "homicide_rate_expected", "controlled_share"]].mean()
    for col in ("members", "homicide_rate_expected", "controlled_share"):
        ratio = y[col].iloc[-1] / y[col].iloc[0]
        assert 0.65 < ratio < 1.5, (col, ratio)
    assert all(g.members > 0 and g.cells > 0 for g in m.group_list)


def test_conservation_offences_victims_arrests():
    _, df = run(years=2)
    for k in ("violent", "property"):
        np.testing.assert_allclose(df[f"victims_{k}"], df[f"offences_{k}"])
        np.testing.assert_allclose(df[f"victims_{k}_male"] + df[f"victims_{k}_female"], df[f"victims_{k}"])
    for k in ("violent", "property", "drug"):  # the breakdown by offender sex and age band adds up
        parts = sum(df[f"offences_{k}_{s}_{b}"] for s in ("male", "female") for b in ("10_14", "15_19", "20_24", "25_29"))
        np.testing.assert_allclose(parts, df[f"offences_{k}"])
    offences = df[["offences_violent", "offences_property", "offences_drug", "offences_homicide"]].sum(axis=1)
    assert np.all(df["arrests"] <= offences + 1e-9)
    assert df["offences_violent"].sum() > 0 and df["arrests"].sum() > 0
    # each youth homicide has exactly one perpetrator (simulated or 30+)
    np.testing.assert_allclose(df[["homicides_by_member", "homicides_by_nonmember", "homicides_by_outside"]].sum(axis=1),
                               df["homicides_youth"])


def test_policy_lowering_violent_offending_averts_offences_and_victims():
    """A paired run (same seed): an intervention that lowers violent offending of everyone it reaches
    averts violent offences, victims and homicides."""
    def one(policies):
        m = RecruitmentModel("LAC", n_agents=20_000, years=2, burn_in_years=1, rng=3, draw=None, collect=False,
                             policies=policies)
        return m.run()

    base = one([])
    pol = Policy("mentoring", name="m", start=0, settings={"coverage": 1.0})
    treated = one([pol])
    assert treated["offences_violent"].sum() < base["offences_violent"].sum()
    assert treated["victims_violent"].sum() < base["victims_violent"].sum()
    assert treated["homicides_expected"].sum() <= base["homicides_expected"].sum() * 1.02


def _effect(base, low, high, stat, seeds=(5,)):
    """stat(high) / stat(low) - 1, each summed over the seeds (paired: the same seeds in both arms)."""
    common = dict(n=40_000, years=4, burn_in=3)
    lo = sum(stat(run(**common, seed=s, **base, **low)[1]) for s in seeds)
    hi = sum(stat(run(**common, seed=s, **base, **high)[1]) for s in seeds)
    return hi / lo - 1.0


NO_REPLACEMENT = dict(demand_elasticity=0.0, effort_adaptation=0.0, prison_recruitment=0.0,
                      prison_member_weight=0.0, prison_command=0.0, succession_conflict=0.0)
REPLACEMENT = dict(demand_elasticity=3.0, effort_adaptation=0.5, prison_recruitment=0.3, prison_member_weight=0.5,
                   prison_command=0.0, succession_conflict=2.0, conflict_multiplier=6.0)


def test_incarceration_without_replacement_lowers_members_violence():
    """Arresting and jailing members 4x as often, when groups neither refill vacancies nor fight over
    succession, lowers members' violence (offences and killings by members): incapacitation."""
    member_violence = lambda df: df["offences_violent_member"].sum() + df["homicides_by_member"].sum()  # noqa: E731
    effect = _effect(NO_REPLACEMENT, {}, dict(arrest_member=0.05, sentence_member=60.0), member_violence)
    assert effect < -0.10, effect


def test_leader_incarceration_with_replacement_and_succession_raises_homicide():
    """Jailing leaders (detection 0.1 -> 1) when groups refill vacancies, recruit in prison and jailed
    leaders lose command (succession fights, members' risk 6x per unit conflict) raises homicide (the
    kingpin effect: +36.5% to +80% in CALDERON2015, LINDO_PADILLA2015), while without replacement and
    succession the same arrests change it by about nothing. One 40,000-agent run per arm is noisy: over
    seeds 5-12 the effect was -1% to +36% per seed with numpy at AVX2 (+4% to +31% at AVX-512), +18.9%
    pooled (+12.8%), and -0.3% pooled without replacement (-1.0%); so the test pools the eight seeds
    (about 15 s). The model's effect at these settings is below the published range."""
    homicides = lambda df: df["homicides_expected"].sum()  # noqa: E731
    low, high = dict(leader_detection=0.1), dict(leader_detection=1.0)
    seeds = range(5, 13)
    with_ = _effect(REPLACEMENT, low, high, homicides, seeds)
    without = _effect(NO_REPLACEMENT, low, high, homicides, seeds)
    assert with_ > 0.05 and with_ > without + 0.05, (with_, without)


def test_displacement_flow_holds_still_because_families_return():
    """Haiti's displacement (about 7.6% of the population a year at the profile's start values): with
    returns the flow over years 6-8 stays within 0.7-1.4 of years 1-3, while without them (the slowest
    return the table allows) the violent cells empty and the flow falls further; returned families live
    in their home cell again and the stock is about flow / return rate."""
    def flows(ret):
        m = RecruitmentModel("HTI", n_agents=50_000, years=8, burn_in_years=2, rng=3, draw=None,
                             params={"displacement_return": ret})
        df = m.run()
        per_year = df.groupby(df["month"] // 12)["displaced_people"].sum().to_numpy()
        return m, df, per_year[:3].mean(), per_year[5:].mean()

    m, df, early, late = flows(0.04)
    assert 0.7 < late / early < 1.4, (early, late)
    net = m.net
    home = net.fam_origin < 0
    assert np.all(net.fam_hood[home] == m.pop.hood[net.fam_slots[net.fam_start[:-1][home]]])
    displaced_slots = np.flatnonzero(m.pop.displaced & m.pop.alive)
    assert np.all(net.fam_origin[m.pop.family[displaced_slots]] >= 0)  # the displaced are exactly those away
    stock = df["displaced_stock_people"].tail(24).mean()
    out = df["returned_people"].tail(24).sum() / 24
    assert stock * 0.04 == pytest.approx(out, rel=0.15)  # people returning each month = stock x return rate
    _, _, early_slow, late_slow = flows(0.005)
    assert late_slow / early_slow < late / early
