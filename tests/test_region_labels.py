"""Organisation labels on groups, and intelligence sharing that acts on the transnational groups only
(recruitsim.region.labels, model.policies.Policy.organisations; docs/region.md)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from recruitsim.model import Policy, RecruitmentModel, policing
from recruitsim.region import labels
from recruitsim.region.labels import assign, group_members, shares_for
from recruitsim.region.organisations import organisations
from recruitsim.region.routes import RegionError
from recruitsim.region.scenario import plan
from recruitsim.region.simulation import CountrySpec, Partition, country_seed, run_region
from recruitsim.scenarios import library

from .conftest import run_cli
from .test_region import scenario

MARAS, CARTELS = 0, 1  # labels: the rows of organisations.csv


# ---- the rule ---------------------------------------------------------------------------------------------
def test_assign_takes_the_largest_groups_that_bring_the_share_closer_to_the_target():
    m = np.array([40, 30, 20, 10])
    # 0.4; +0.3 would overshoot to 0.7 (further); +0.2 to 0.6 (no closer); +0.1 hits 0.5
    assert assign(m, [(MARAS, 0.5)]).tolist() == [0, -1, -1, 0]
    # the larger share goes first, whatever the order given; the second takes from what is left
    assert assign(m, [(CARTELS, 0.3), (MARAS, 0.5)]).tolist() == [0, 1, -1, 0]
    assert assign(m, [(MARAS, 0.0)]).tolist() == [-1] * 4  # no share, no group
    assert assign(np.array([10, 10, 10, 10]), [(MARAS, 0.5)]).tolist() == [0, 0, -1, -1]  # ties: lower ids first
    assert assign(np.array([0, 5, 5]), [(MARAS, 1.0)]).tolist() == [-1, 0, 0]  # a group without members stays local
    assert assign(np.zeros(3), [(MARAS, 1.0)]).tolist() == [-1] * 3


def test_the_labelled_share_is_within_half_a_group_of_the_target():
    rng = np.random.default_rng(16)
    for _ in range(500):
        m = rng.integers(0, 200, size=int(rng.integers(1, 31)))
        if m.sum() == 0:
            continue
        target = float(rng.random())
        lab = assign(m, [(MARAS, target)])
        share = m[lab == MARAS].sum() / m.sum()
        assert abs(share - target) <= 0.5 * m.max() / m.sum() + 1e-12
        assert np.array_equal(lab, assign(m.copy(), [(MARAS, target)]))  # deterministic


def test_member_shares_are_documented_and_add_up():
    for o in organisations():
        assert {c for c, *_ in o.members} == set(o.countries)
        assert all(0 <= lo <= v <= hi <= 1 for _, v, lo, hi in o.members)
    for c in {c for o in organisations() for c in o.countries}:
        assert sum(v for _, v in shares_for(c)) <= 1.0
    assert shares_for("PAN") == () and dict(shares_for("SLV"))[MARAS] == 0.95


# ---- a country's groups ----------------------------------------------------------------------------------
def _partition(country: str, seed: int, orgs=None) -> Partition:
    return Partition(CountrySpec(country, 4000, 1 / 12, 0.25, country_seed(seed, country), {}, (), 0, None, "t",
                                 shares_for(country) if orgs is None else orgs))


def test_a_regional_country_model_labels_its_groups_by_the_member_shares_deterministically():
    a, b, alone = _partition("GTM", 1, None), _partition("GTM", 1, None), _partition("GTM", 1, ())
    m = group_members(a.model)
    share = m / m.sum()
    for label, target in shares_for("GTM"):
        assert abs(share[a.model.group_organisation == label].sum() - target) <= 0.5 * share.max() + 1e-12
    assert np.array_equal(a.model.group_organisation, b.model.group_organisation)  # same seed, same labels
    assert (alone.model.group_organisation == -1).all()  # no shares given: every group local
    assert [g.organisation for g in a.model.group_list] == a.model.group_organisation.tolist()
    assert labels.members_by_label(a.model, 2).sum() == pytest.approx(m.sum() * a.model.scale)


def test_a_single_country_model_has_local_groups_only():
    m = RecruitmentModel("SLV", n_agents=2000, years=0.25, burn_in_years=0, rng=1, collect=False)
    assert (m.group_organisation == -1).all() and all(g.organisation == -1 for g in m.group_list)


def test_a_policy_on_an_organisation_multiplies_the_arrest_risk_of_its_groups_members_only():
    intel = Policy("hotline", name="intel", settings={"arrest_member": 2.0, "leader_arrest": 3.0}, organisations=(MARAS,))
    m = RecruitmentModel("SLV", n_agents=5000, years=1, burn_in_years=0.25, rng=3, collect=False, policies=[intel])
    m.group_organisation[:] = assign(group_members(m), [(MARAS, 0.5)])
    c = m.pop.members()
    labelled = intel.reaches(m, c)
    assert labelled.any() and (~labelled).any()
    police, kind = np.ones(m.hoods.n), np.full(c.size, 1)
    p = policing.arrest_probability(m, c, kind, police)
    m.policies, saved = [], m.policies
    p0 = policing.arrest_probability(m, c, kind, police)
    m.policies = saved
    expected = np.where(labelled, np.where(m.pop.leader[c], 6.0, 2.0), 1.0)
    assert np.allclose(p, np.minimum(1.0, p0 * expected), rtol=1e-12)
    assert np.array_equal(p[~labelled], p0[~labelled])  # local groups' members: exactly as before


def test_a_policy_on_an_organisation_without_groups_here_changes_no_arrest():
    kw = dict(n_agents=2000, years=1, burn_in_years=0.25, rng=5, collect=False)
    off = RecruitmentModel("PAN", **kw).run()
    on = RecruitmentModel("PAN", policies=[Policy("hotline", organisations=(MARAS,))], **kw).run()
    assert on["cost_hotline"].sum() > 0  # it is paid for
    pd.testing.assert_frame_equal(on[off.columns], off, check_exact=True)


# ---- intelligence sharing in a regional run ------------------------------------------------------------
INTEL = {"intelligence_sharing": ["GTM", "HND"], "intelligence_member_arrest": 2.0, "intelligence_leader_arrest": 3.0}


def _scenario(region):
    # more members than these countries have (0.2-0.4% of youths), so that a short small run has arrests to count
    return library.parse({"name": "t", "policy": [], "region": region, "params": {"member_prevalence": 0.02}}, "t")


def test_intelligence_sharing_raises_arrests_of_the_labelled_groups_and_not_of_the_local_ones():
    kw = dict(agents=10_000, years=1, burn_in=0.5, coupling=False)  # paired runs: same seed, same labels
    base, intel = run_region("GTM,HND", scenario=_scenario({}), **kw), run_region("GTM,HND", scenario=_scenario(INTEL), **kw)
    assert intel.plan.specs["GTM"][-1]["organisations"] == [MARAS, CARTELS]
    for c in ("GTM", "HND"):
        b, i = base.countries[c]["organisations"], intel.countries[c]["organisations"]
        assert b["local"]["groups"] > 0 and b["local"]["member_share_start"] == i["local"]["member_share_start"]
        up = sum(i[k]["member_arrests_per_year"] for k in ("maras", "mexican_cartels"))
        was = sum(b[k]["member_arrests_per_year"] for k in ("maras", "mexican_cartels"))
        assert up > 1.4 * was > 0
        scale = base.countries[c]["summary"]["scale"]
        local, local0 = i["local"]["member_arrests_per_year"], b["local"]["member_arrests_per_year"]
        assert local0 > 0 and abs(local - local0) <= 0.2 * local0 + 2 * scale  # the same, up to a couple of arrests
        assert i["local"]["leader_arrests_per_year"] <= b["local"]["leader_arrests_per_year"] + 2 * scale
        assert intel.countries[c]["results"]["cost_intelligence_sharing"].sum() > 0


def test_sharing_with_no_partner_in_the_same_organisation_is_refused():
    with pytest.raises(RegionError, match="PAN shares no transnational organisation"):
        plan(scenario(region={"intelligence_sharing": ["MEX", "SLV", "PAN"]}), ("MEX", "SLV", "PAN"))
    p = plan(scenario(region={"intelligence_sharing": ["MEX", "PER"]}), ("MEX", "PER"))
    assert p.specs["PER"][-1]["organisations"] == [CARTELS]  # the cartels only: Peru has no maras


def test_run_json_shows_the_members_of_each_organisations_groups():
    r = run_cli("run", "--countries", "SLV,GTM,PAN", "--agents", "3000", "--years", "1", "--burn-in", "0", "--json", "-q")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout.splitlines()[-1])["countries"]
    gtm = out["GTM"]["organisations"]
    assert set(gtm) == {"maras", "mexican_cartels", "local"} and gtm["maras"]["member_share_target"] == 0.5
    assert sum(v["groups"] for v in gtm.values()) == 6
    assert sum(v["member_share_start"] for v in gtm.values()) == pytest.approx(1.0)
    assert set(out["PAN"]["organisations"]) == {"local"} and out["PAN"]["organisations"]["local"]["groups"] == 6
