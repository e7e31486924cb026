"""The regional layer: countries stepped together, coupled by cocaine flows (recruitsim.region, docs/region.md)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from recruitsim.model import Policy, RecruitmentModel
from recruitsim.region.flows import FlowParams, equilibrium
from recruitsim.region.routes import CORRIDORS, Network, production, routes
from recruitsim.region.simulation import country_seed, run_region
from recruitsim.scenarios import library

from .conftest import run_cli

SMALL = dict(agents=4000, years=1, burn_in=0.5)


def scenario(policies=(), region=None, name="test") -> library.Scenario:
    data = {"name": name, "policy": [dict(p) for p in policies]}
    if region is not None:
        data["region"] = dict(region)
    return library.parse(data, "test")


# ---- (a) interdiction on one route moves the flow to the others ------------------------------------------
def test_interdiction_on_one_route_reroutes_the_rest_and_the_total_falls_by_the_elasticity():
    net = Network(CORRIDORS["central_america_mexico"])
    P = FlowParams.from_settings()
    base, p0 = equilibrium(net, P, np.zeros(len(net.routes)))
    hit = net.route_index("col_isthmus_land")
    dc = np.zeros(len(net.routes))
    dc[hit] = 0.1
    flow, price = equilibrium(net, P, dc)
    col = net.source_of == net.sources.index("COL")
    others = col.copy()
    others[hit] = False
    assert flow[hit] < base[hit]  # the interdicted route loses
    assert np.all(flow[others] > base[others])  # every other Colombian route gains (re-routing)
    assert np.array_equal(flow[~col], base[~col])  # Peru's and Bolivia's routes are untouched
    # price response: the Colombian price rises (log-sum of route costs), and the volume falls by the elasticity
    k = net.sources.index("COL")
    assert price[k] > 1.0 and p0[k] == 1.0
    total, total0 = flow[col].sum(), base[col].sum()
    assert total == pytest.approx(total0 * price[k] ** P.demand_elasticity, rel=1e-12)
    assert total < total0
    # conservation: what the route lost, less what demand shed, is carried by the other routes
    assert flow[others].sum() - base[others].sum() == pytest.approx((base[hit] - flow[hit]) - (total0 - total), rel=1e-9)


def test_a_route_policy_in_a_regional_run_moves_tonnes_month_by_month():
    sc = scenario([{"kind": "interdiction", "route": "col_isthmus_land"}])
    res = run_region("COL,PAN,CRI", scenario=sc, **SMALL)
    f = res.flows
    assert f["route_col_isthmus_land"].is_monotonic_decreasing
    assert f["route_col_europe_panama_ports"].iloc[-1] > f["route_col_europe_panama_ports"].iloc[0]
    assert f["total_tonnes"].iloc[-1] < f["total_tonnes"].iloc[0]
    assert res.plan.specs["COL"] and res.plan.specs["PAN"] and res.plan.specs["CRI"]  # the countries on it pay


def test_data_have_shares_that_add_up_and_sources():
    assert sum(v[0] for v in production().values()) == pytest.approx(1.0)
    for r in routes():
        assert r.low <= r.share <= r.high and r.sources
    text = (library.library_dir().parent / "region" / "data" / "SOURCES.md").read_text()
    from recruitsim.region.routes import settings

    tags = {t for r in routes() for t in r.sources.split(";")} | {t for v in production().values() for t in v[3].split(";")}
    from recruitsim.region.organisations import organisations

    tags |= {t for o in organisations() for t in o.sources.split(";")}
    tags = (tags | {t for s in settings().values() for t in s.sources.split(";")}) - {"GUESS"}
    assert all(s.low <= s.value <= s.high or s.low >= s.high for s in settings().values())
    assert all(f"| {t} |" in text for t in tags)


# ---- (b) coupling off (or nothing to couple) = the separate country runs ----------------------------------
def alone(country: str, policies=(), **kw) -> pd.DataFrame:
    m = RecruitmentModel(country, n_agents=SMALL["agents"], years=SMALL["years"], burn_in_years=SMALL["burn_in"],
                         rng=country_seed(1, country), collect=False, draw=0, policies=[Policy(**p) for p in policies])
    return m.run()


def test_uncoupled_regional_run_equals_the_separate_country_runs_exactly():
    sc = scenario([{"kind": "interdiction", "countries": ["PAN"]}])
    res = run_region("PAN,GTM", scenario=sc, coupling=False, **SMALL)
    pd.testing.assert_frame_equal(res.countries["PAN"]["results"], alone("PAN", [{"kind": "interdiction"}]), check_exact=True)
    pd.testing.assert_frame_equal(res.countries["GTM"]["results"], alone("GTM"), check_exact=True)


def test_coupled_baseline_equals_the_separate_runs_exactly():
    res = run_region("PAN,GTM", scenario="baseline", **SMALL)
    assert (res.flows.filter(like="revenue_factor_") == 1.0).all().all()
    for c in ("PAN", "GTM"):
        pd.testing.assert_frame_equal(res.countries[c]["results"], alone(c), check_exact=True)


# ---- (c) local and Dask runs are bit-identical -----------------------------------------------------------
def test_local_and_dask_local_cluster_runs_are_bit_identical():
    from dask.distributed import Client, LocalCluster

    from recruitsim.region.dask_run import dask_partitions

    kw = dict(scenario="coordinated_interdiction", **SMALL)
    local = run_region("PAN,GTM,MEX", **kw)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cl, Client(cl) as client:
        dist = run_region("PAN,GTM,MEX", **kw, partitions=dask_partitions(client))
    pd.testing.assert_frame_equal(local.flows, dist.flows, check_exact=True)
    for c in ("PAN", "GTM", "MEX"):
        pd.testing.assert_frame_equal(local.countries[c]["results"], dist.countries[c]["results"], check_exact=True)
    assert (local.flows["revenue_factor_GTM"].iloc[-1] < 1.0)  # the coupling did act


# ---- (d) a country whose flow share rises gains revenue, and its groups want more recruits -----------------
def test_a_country_that_gains_flow_gains_revenue_and_its_groups_demand_more_recruits():
    strong = {"interdiction_risk": 0.1}
    base = run_region("GTM,DOM", scenario=scenario(region=strong), **SMALL)
    hit = run_region("GTM,DOM", scenario=scenario([{"kind": "interdiction", "countries": ["GTM"]}], region=strong), **SMALL)
    f, b = hit.flows, base.flows
    assert (f["tonnes_DOM"] > b["tonnes_DOM"]).all() and (f["revenue_factor_DOM"] > 1.0).all()
    assert (f["tonnes_GTM"] < b["tonnes_GTM"]).all() and (f["revenue_factor_GTM"] < 1.0).all()
    assert (f["capacity_DOM"] > b["capacity_DOM"]).all()
    assert f["demand_DOM"].mean() > b["demand_DOM"].mean() and (f["demand_DOM"] >= b["demand_DOM"]).iloc[:3].all()
    assert f["demand_GTM"].mean() < b["demand_GTM"].mean()


# ---- (e) bad input: one clear line, exit 2 ----------------------------------------------------------------
@pytest.mark.parametrize("args, words", [
    (["--countries", "PAN,XYZ"], "unknown country 'XYZ'"),
    (["--corridor", "nowhere"], "unknown corridor 'nowhere'"),
    (["--countries", "PAN,PAN"], "listed twice"),
    (["--countries", "PAN", "--corridor", "caribbean"], "not both"),
    (["--country", "HND", "--countries", "PAN"], "not both"),
    (["--countries", "PAN,GTM", "--scenario", "ROUTE"], "unknown route 'nowhere'"),
    (["--countries", "PAN,GTM", "--scenario", "interdiction_central_america"], "not in this regional run"),
    (["--country", "HND", "--scenario", "ROUTE"], "regional scenario"),
    (["--no-coupling"], "for regional runs"),
])
def test_bad_regional_input_is_one_line_and_exit_2(tmp_path, args, words):
    bad = tmp_path / "route.toml"
    bad.write_text('[[policy]]\nkind = "interdiction"\nroute = "nowhere"\n')
    args = [str(bad) if a == "ROUTE" else a for a in args]
    r = run_cli("run", *args, "--agents", "2000", "--years", "1", "--burn-in", "0", "-q")
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0] and "Traceback" not in r.stderr, r.stderr


def test_bad_compare_input_is_one_line_and_exit_2():
    r = run_cli("compare", "--corridor", "atlantis", "-q")
    assert r.returncode == 2 and "unknown corridor 'atlantis'" in r.stderr and len(r.stderr.strip().splitlines()) == 1


# ---- the command line: JSON shape of run and compare ---------------------------------------------------------
def test_run_countries_json_has_countries_flows_and_region(tmp_path):
    r = run_cli("run", "--countries", "PAN,GTM", "--scenario", "coordinated_interdiction", "--agents", "3000", "--years", "1",
                "--burn-in", "0", "--json", "-q", "--out", tmp_path)
    assert r.returncode == 0, r.stderr
    assert {"results_PAN.parquet", "results_GTM.csv", "flows.parquet", "flows_map.png"} <= {p.name for p in tmp_path.iterdir()}
    out = json.loads(r.stdout.splitlines()[-1])
    assert set(out) >= {"countries", "flows", "region"} and set(out["countries"]) == {"PAN", "GTM"}
    assert {"recruits_per_year", "homicide_rate_per_100k", "seed", "flows"} <= set(out["countries"]["GTM"])
    assert out["flows"]["coupled"] and out["flows"]["total_tonnes"]["end"] < out["flows"]["total_tonnes"]["baseline"]
    assert out["region"]["homicides_per_year"] == pytest.approx(sum(c["homicides_per_year"] for c in out["countries"].values()))


def test_compare_countries_ranks_regional_options(tmp_path):
    r = run_cli("compare", "--countries", "PAN,GTM", "--scenarios", "coordinated_interdiction", "--agents", "3000",
                "--years", "1", "--burn-in", "0", "--replicates", "2", "--draws", "10", "--workers", "1", "--json", "-q",
                "--out", tmp_path)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout.splitlines()[-1])
    names = [row["name"] for row in out["region"]]
    assert set(names) == {"baseline", "coordinated_interdiction"}
    row = next(x for x in out["region"] if x["name"] == "coordinated_interdiction")
    assert row["program_cost"] == pytest.approx(sum(row["payers"].values())) and row["payers"]["GTM"] > row["payers"]["PAN"] > 0
    assert set(out["countries"]) == {"PAN", "GTM"} and out["flows"]["coordinated_interdiction"]["revenue_factor_GTM"] < 1.0


def test_dask_placement_gives_each_country_its_own_worker_and_balances_memory():
    from recruitsim.region.dask_run import placement

    assert sorted(placement([10, 30, 20], {"a": 0, "b": 0, "c": 0, "d": 0}).values()) == ["a", "b", "c"]
    p = placement([60, 44, 16, 14, 11, 10], {"x": 2**34, "y": 2**34})
    load = {w: sum(a for i, a in enumerate([60, 44, 16, 14, 11, 10]) if p[i] == w) for w in "xy"}
    assert p[0] != p[1] and abs(load["x"] - load["y"]) <= 20


def test_routes_command_and_sweep_refuses_regional_scenarios(tmp_path):
    r = run_cli("routes", "--json")
    assert r.returncode == 0 and json.loads(r.stdout)["corridors"]["caribbean"][0] == "COL"
    bad = tmp_path / "r.toml"
    bad.write_text('[[policy]]\nkind = "interdiction"\ncountries = ["PAN"]\n')
    r = run_cli("sweep", "--scenario", str(bad), "--out", tmp_path / "s", "--dry-run", "-q")
    assert r.returncode == 2 and "regional scenario" in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr


def test_transnational_organisations_pass_a_revenue_shock_to_their_other_countries():
    from recruitsim.region.organisations import pooled

    w = np.array([1.0, 3.0, 2.0])
    assert np.array_equal(pooled(np.ones(3), ("SLV", "HND", "GTM"), w), np.ones(3))  # nothing to pool: exactly 1
    policy = [{"kind": "interdiction", "route": "col_pacific_central_america"}]
    alone = run_region("SLV,HND,GTM", scenario=scenario(policy, region={"interdiction_risk": 0.1}), **SMALL)
    shared = run_region("SLV,HND,GTM", scenario=scenario(policy, region={"interdiction_risk": 0.1, "transnational": True}), **SMALL)
    a, s = alone.flows.iloc[-1], shared.flows.iloc[-1]
    assert a["revenue_factor_HND"] > 1.0  # Honduras is off the interdicted route: it gains flow
    assert s["revenue_factor_HND"] < a["revenue_factor_HND"]  # but shares its partners' losses
    assert s["revenue_factor_SLV"] > a["revenue_factor_SLV"]
