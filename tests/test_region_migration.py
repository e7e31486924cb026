"""People who cross borders, intelligence sharing, shared leadership and border security in regional runs
(recruitsim.region.migration, model.migration, region.organisations; docs/region.md)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from recruitsim.model import RecruitmentModel
from recruitsim.model import migration as hook
from recruitsim.model.population import DROPPED
from recruitsim.region import migration
from recruitsim.region.simulation import country_seed, run_region

from .conftest import run_cli
from .test_region import SMALL, alone, scenario


# ---- the hook: exactly nothing without arrivals, the arrivals' attributes with them ----------------------
def test_the_hook_with_nothing_to_move_draws_nothing_and_changes_nothing():
    kw = dict(n_agents=3000, years=0.5, burn_in_years=0.25, rng=7, collect=False, draw=0)
    a, b = RecruitmentModel("PAN", **kw), RecruitmentModel("PAN", **kw)
    for _ in range(3):
        assert hook.arrive(b, 0, hook.ArrivalProfile()).size == 0 and hook.depart(b, 0).size == 0
        a.step()
        b.step()
    assert "migration" not in b.streams._gens and getattr(b, "migrants", None) is None
    pd.testing.assert_frame_equal(a.results(), b.results(), check_exact=True)


def test_arrivals_get_the_migrants_profile_and_departures_empty_their_slots():
    m = RecruitmentModel("COL", n_agents=20_000, years=1, burn_in_years=0.25, rng=3, collect=False, draw=0)
    pop = m.pop
    census = pop.census.copy()
    alive = int(pop.alive.sum())
    profile = hook.ArrivalProfile(poor=0.8, out_of_school=0.5, completed_secondary=0.6, adult_kin=0.0)
    idx = hook.arrive(m, 2000, profile)
    assert idx.size == 2000 and np.all(pop.group[idx] < 0) and not pop.adult_kin[idx].any() and not pop.employed[idx].any()
    assert pop.poor[idx].mean() == pytest.approx(0.8, abs=0.04) and pop.poor[idx].mean() > pop.poor.mean()
    young = idx[pop.age_months(m.t, idx) < 216]
    assert (pop.school[young] == DROPPED).mean() == pytest.approx(0.5, abs=0.06)
    assert not np.isin(pop.family[idx], m.member_families).any()  # nobody in their household is in a group
    assert np.all(pop.age_months(m.t, idx) != hook.AGE_OUT_M)
    pop.start_census(m.hoods.n)  # the census kept by the hook equals a recount
    assert census.sum() == pop.census.sum()
    gone = hook.depart(m, 500)
    assert gone.size == 500 and int(pop.alive.sum()) == alive - 500 and not m.migrants.flag[gone].any()
    m.step()  # the model runs on with the new people
    assert hook.tally(m)["stock"] <= 2000


# ---- regional runs: off = today, on = arrivals and departures as in the table -----------------------------
def test_migration_off_or_nothing_to_move_is_bit_identical_to_the_separate_runs():
    res = run_region("PAN,JAM", scenario=scenario(region={"migration": False, "migration_scale": 3}), **SMALL)
    for c in ("PAN", "JAM"):
        pd.testing.assert_frame_equal(res.countries[c]["results"], alone(c), check_exact=True)
    on = run_region("PAN,JAM", scenario="baseline", migration=True, **SMALL)  # Jamaica is in no flow of the table
    pd.testing.assert_frame_equal(on.countries["JAM"]["results"], alone("JAM"), check_exact=True)
    assert on.flows["arrivals_PAN"].sum() > 0 and on.flows["arrivals_JAM"].sum() == 0
    assert not res.flows.filter(like="arrivals_").columns.size


def test_arrivals_and_departures_match_the_table_times_the_scale():
    res = run_region("VEN,COL", scenario="baseline", migration=True, **SMALL)
    plan, f = res.plan.migration, res.flows
    months = len(f)
    for c, col, k in (("COL", "arrivals_COL", 0), ("VEN", "departures_VEN", 1)):
        expected = plan.monthly(c)[k] * months
        scale = res.countries[c]["summary"]["scale"]
        assert abs(f[col].sum() - expected) < scale  # whole agents, the fraction carried to the next month
    rows = [x for x in migration.table() if x.destination == "COL"]
    assert plan.monthly("COL")[0] == pytest.approx(sum(r.people_per_year for r in rows) * plan.youth_share / 12)
    base = {c: alone(c) for c in ("VEN", "COL")}
    ven, col = res.countries["VEN"]["results"], res.countries["COL"]["results"]
    assert ven["youths"].iloc[-1] < base["VEN"]["youths"].iloc[-1]  # Venezuela loses them
    assert col["youths"].iloc[-1] == pytest.approx(base["COL"]["youths"].iloc[-1], rel=0.01)  # re-seated, same size
    assert f["arrived_stock_COL"].iloc[-1] > 0.8 * f["arrivals_COL"].sum()  # the arrivals are there (some died or aged out)


def test_more_arrivals_mean_more_youths_at_risk_in_the_destination():
    kw = dict(agents=6000, years=1, burn_in=0.5)
    big = run_region("VEN,COL", scenario=scenario(region={"migration": True, "migration_scale": 5}), **kw)
    res = big.countries["COL"]["results"]
    arrived = big.flows["arrived_stock_COL"].iloc[-1]
    assert arrived > 0 and big.flows["arrived_members_COL"].iloc[-1] >= 0
    ref = RecruitmentModel("COL", n_agents=6000, years=1, burn_in_years=0.5, rng=country_seed(1, "COL"), collect=False,
                           draw=0).run()
    assert res["neet_rate_15_24"].iloc[-1] > ref["neet_rate_15_24"].iloc[-1]  # out of school and without work


# ---- intelligence sharing and shared leadership -----------------------------------------------------------
INTEL = {"intelligence_sharing": ["SLV", "HND"], "intelligence_member_arrest": 2.0, "intelligence_leader_arrest": 3.0}


def test_intelligence_sharing_raises_leader_arrests_in_the_participants_and_nowhere_else():
    kw = dict(agents=10_000, years=1, burn_in=0.5, coupling=False)
    base = run_region("SLV,HND,PAN", scenario="baseline", **kw)
    intel = run_region("SLV,HND,PAN", scenario=scenario(region=INTEL), **kw)
    assert intel.plan.specs["SLV"][-1]["name"] == "intelligence_sharing" and not intel.plan.specs["PAN"]
    for c in ("SLV", "HND"):
        b, i = base.countries[c]["results"], intel.countries[c]["results"]
        assert i["arrests_leader"].sum() > b["arrests_leader"].sum() and i["arrests_member"].sum() > b["arrests_member"].sum()
        assert i["cost_intelligence_sharing"].sum() > 0
    pd.testing.assert_frame_equal(intel.countries["PAN"]["results"], base.countries["PAN"]["results"], check_exact=True)


def test_shared_leadership_passes_leader_arrests_to_the_partners():
    from recruitsim.region.organisations import removed_share, weakened

    assert removed_share(1.0, 0.3) == 0.0 and removed_share(2.0, 0.1) == pytest.approx(0.05)
    f = np.array([1.0, 0.9, 1.1])
    assert np.array_equal(weakened(f, ("SLV", "HND", "GTM"), np.zeros((3, 2)), np.ones(3)), f)  # no deficit: untouched
    region = {"transnational": True, **INTEL}
    on = run_region("SLV,HND,GTM", scenario=scenario(region=region), **SMALL)
    off = run_region("SLV,HND,GTM", scenario=scenario(region={**region, "shared_leadership": False}), **SMALL)
    a, b = on.flows, off.flows
    assert (a["command_deficit_SLV_maras"].iloc[1:] > 0).all() and (a["command_deficit_GTM_maras"] == 0).all()
    assert (a["command_deficit_GTM_mexican_cartels"] == 0).all() and "command_deficit_SLV" not in a
    assert (a["revenue_factor_GTM"] <= b["revenue_factor_GTM"]).all()
    assert a["revenue_factor_GTM"].iloc[-1] < b["revenue_factor_GTM"].iloc[-1]  # a partner loses command


def test_border_security_adds_cost_at_the_countrys_land_crossings_and_moves_flow():
    from recruitsim.region.flows import FlowParams, added_costs
    from recruitsim.region.routes import Network

    net = Network(("MEX", "GTM"))
    P = FlowParams.from_settings()
    dc = added_costs(net, P, {}, {}, {}, {"MEX": 1}, 0.01)
    cost = dict(zip([r.name for r in net.routes], dc))
    assert cost["col_isthmus_land"] == pytest.approx(0.02)  # GTM-MEX and MEX-USA
    assert cost["col_pacific_mexico"] == pytest.approx(0.01)  # by sea to Mexico, by land to the USA
    assert cost["col_europe_brazil"] == 0.0
    res = run_region("MEX,GTM", scenario=scenario(region={"border_security": ["MEX"], "border_risk": 0.05}), **SMALL)
    assert res.flows["tonnes_MEX"].iloc[-1] < res.flows["tonnes_MEX"].iloc[0]
    assert res.countries["MEX"]["results"]["cost_border_security"].sum() > 0


# ---- local and Dask runs stay bit-identical with people moving and leaders shared -----------------------------
def test_local_and_dask_runs_are_bit_identical_with_migration_and_shared_leadership():
    from dask.distributed import Client, LocalCluster

    from recruitsim.region.dask_run import dask_partitions

    sc = scenario(region={"transnational": True, "intelligence_sharing": ["SLV", "GTM"]})
    kw = dict(scenario=sc, migration=True, **SMALL)
    local = run_region("SLV,GTM,MEX", **kw)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cl, Client(cl) as client:
        dist = run_region("SLV,GTM,MEX", **kw, partitions=dask_partitions(client))
    pd.testing.assert_frame_equal(local.flows, dist.flows, check_exact=True)
    for c in ("SLV", "GTM", "MEX"):
        pd.testing.assert_frame_equal(local.countries[c]["results"], dist.countries[c]["results"], check_exact=True)
    assert local.flows["arrivals_MEX"].sum() > 0 and local.flows["departures_SLV"].sum() > 0


# ---- the command line -----------------------------------------------------------------------------------------
def test_run_json_shows_migration_per_country():
    r = run_cli("run", "--countries", "VEN,COL", "--migration", "--agents", "3000", "--years", "1", "--burn-in", "0",
                "--json", "-q")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout.splitlines()[-1])
    col, ven = out["countries"]["COL"]["migration"], out["countries"]["VEN"]["migration"]
    assert col["arrivals_per_year"] > 0 and ven["departures_per_year"] > 0 and col["people_per_year"]["from"]["VEN"] == 280000
    assert {"arrivals_recruited_per_year", "arrivals_trafficked_per_year", "arrived_youths_end"} <= set(col)
    assert out["region"]["migration"]["arrivals_per_year"] == pytest.approx(col["arrivals_per_year"] + ven["arrivals_per_year"])


@pytest.mark.parametrize("region, args, words", [
    ('intelligence_sharing = ["SLV", "XYZ"]', [], "unknown country 'XYZ'"),
    ('intelligence_sharing = ["SLV", "MEX"]', [], "not in this regional run"),
    ('intelligence_sharing = ["SLV", "PAN"]', ["--countries", "SLV,PAN"], "shares no transnational organisation"),
    ('migration = true\nmigration_flows = [{origin = "VEN", destination = "COL", people_per_year = -5}]', [], "must be >= 0"),
    ('migration = true\nmigration_flows = [{origin = "VEN", destination = "ATL", people_per_year = 5}]', [],
     "unknown country 'ATL'"),
    ('migration_scale = 9', [], "outside its range"),
    ('border_security = "MEX"', [], "must be a list of ISO3 codes"),
    ("", ["--migration", "--no-coupling"], "drop --no-coupling"),
    ("", ["--country", "HND", "--migration"], "for regional runs only"),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path, region, args, words):
    bad = tmp_path / "bad.toml"
    bad.write_text(f"[region]\n{region}\n" if region else 'description = "nothing"\n')
    where = args if any(a.startswith("--countr") for a in args) else ["--countries", "SLV,HND", *args]
    r = run_cli("run", *where, "--scenario", str(bad), "--agents", "2000", "--years", "1", "--burn-in", "0", "-q")
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0] and "Traceback" not in r.stderr, r.stderr


def test_migration_data_are_sourced_and_consistent():
    from recruitsim.region.routes import _csv, land_borders, settings

    text = (library_root() / "region" / "data" / "SOURCES.md").read_text()
    tags = {t for f in migration.table() for t in f.sources.split(";")} | {r["sources"] for r in _csv("land_borders.csv")}
    tags |= {t for k in (*migration.SCALARS, "intelligence_member_arrest", "leadership_recovery_months", "border_risk")
             for t in settings()[k].sources.split(";")}
    assert all(f"| {t} |" in text for t in tags - {"GUESS"}), sorted(t for t in tags if f"| {t} |" not in text)
    assert all(f.low <= f.people_per_year <= f.high for f in migration.table())
    assert frozenset(("MEX", "USA")) in land_borders()


def library_root():
    from recruitsim.scenarios import library

    return library.library_dir().parent
