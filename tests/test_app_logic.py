"""The app without a page: settings and validation, runs, summaries, the cost table, charts, tables."""

from __future__ import annotations

import io
import math
import os
import re
import sys
import threading
import time
import types
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from recruitsim.app_logic import charts as C
from recruitsim.app_logic import options as O
from recruitsim.app_logic import run as R
from recruitsim.app_logic import state as S
from recruitsim.app_logic import summary as M
from recruitsim.economics.streams import STREAMS
from recruitsim.model.outputs import COLUMNS
from recruitsim.model.params import PARAMETERS
from recruitsim.model.policies import POLICY_PARAMETERS
from recruitsim.model.profiles import get_profile

ROOT = Path(__file__).resolve().parents[1]


def option(kind="mentoring", years="2", **changes) -> O.Option:
    """A library option, or an own package of one lever with ``changes`` (coverage, targeting, years)."""
    if not changes and kind in O.catalogue():
        return O.catalogue()[kind]
    choices = S.with_policy(S.default_choices(), kind, on=True, **changes)
    return O.own_option(kind, S.specs_from_choices(choices, int(years)))


def settings(agents="2000", years="2", seed="3", reps="2", kind="mentoring", extra=(), **changes):
    s, problems = S.validate("LAC", agents, years, seed, reps, (option(kind, years, **changes), *extra))
    assert problems == [] and s is not None
    return s


@pytest.fixture(autouse=True)
def fresh_cache():
    R.clear_baselines()
    yield
    R.clear_baselines()


# ---- settings and validation ------------------------------------------------------------------------
def test_defaults_are_valid_and_compare_several_options():
    s, problems = S.validate("LAC", "20000", "10", "1", "5", O.default_options())
    assert problems == [] and (s.country, s.agents, s.years, s.seed, s.replicates) == ("LAC", 20_000, 10, 1, 5)
    assert len(s.options) >= 4 and s.names == list(O.DEFAULT_OPTIONS)
    assert all(not lab.startswith(("mentoring", "mass_")) for lab in s.labels.values())  # readable names, not ids
    s, problems = S.validate("LAC", "20000", "10", "1", "5", ())
    assert s is None and problems == ["Choose at least one option to compare with the baseline."]


@pytest.mark.parametrize("field, text, expected", [
    ("agents", "50", "Population (simulated youths) must be a whole number from 1,000 to 200,000; got 50."),
    ("agents", "5000000", "got 5,000,000"),
    ("agents", "lots", "'lots' is not a number"),
    ("agents", "", "the box is empty"),
    ("agents", "2000.5", "got 2000.5"),
    ("years", "0", "Years must be a whole number from 1 to 30; got 0."),
    ("years", "31", "got 31"),
    ("years", "nan", "got nan"),
    ("seed", "-1", "Seed must be a whole number from 0 to 2,147,483,647; got -1."),
    ("replicates", "11", "Replicates must be a whole number from 1 to 10; got 11."),
    ("replicates", "1e400", "got 1e400"),
])
def test_out_of_range_inputs_get_a_message(field, text, expected):
    values = {"agents": "20000", "years": "10", "seed": "1", "replicates": "5", field: text}
    s, problems = S.validate("LAC", values["agents"], values["years"], values["seed"], values["replicates"], (option("jobs"),))
    assert s is None and len(problems) == 1 and expected in problems[0], problems


def test_thousands_separators_are_accepted():
    assert settings(agents="20,000").agents == 20_000
    assert settings(agents=" 20 000 ").agents == 20_000


def test_option_problems_are_reported():
    bad = [
        ({"kind": "jobs", "coverage": 1.5}, "outside its allowed range"),
        ({"kind": "jobs", "start": 120}, "at or after the end of the 120-month horizon"),
        ({"kind": "jobs", "targeting": "friends"}, "'targeting' must be one of"),
        ({"kind": "hotline", "coverage": 0.3}, "not used by hotline policies"),
    ]
    for spec, message in bad:
        opt = O.Option("own:x", "x", "x", O.json.dumps([spec]), "own")
        s, problems = S.validate("LAC", "20000", "10", "1", "5", (opt,))
        assert s is None and any(message in p for p in problems), (message, problems)
    s, problems = S.validate("XYZ", "20000", "10", "1", "5", (option("jobs"),))
    assert s is None and "Unknown country 'XYZ'" in problems[0]


def test_package_editor_becomes_a_scenario_file():
    choices = S.with_policy(S.default_choices(), "jobs", on=True, coverage=0.45, targeting="universal", start_year=2, end_year=7)
    choices = S.with_policy(choices, "hotline", on=True, coverage=0.1)
    specs = S.specs_from_choices(choices, 10)
    assert specs == [{"kind": "jobs", "coverage": 0.45, "targeting": "universal", "start": 24, "end": 84}, {"kind": "hotline"}]
    opt = O.own_option("Jobs and a hotline", specs)
    (p, h) = opt.scenario().policies()
    assert (p.kind, p.start, p.end, p.targeting, p.values["coverage"]) == ("jobs", 24, 84, "universal", 0.45)
    again = O.from_upload(opt.toml().encode(), "jobs_hotline.toml")  # download -> upload gives the same option
    assert again.specs == opt.specs and again.label == "Jobs and a hotline"
    assert S.choices_from_specs(specs, 10)[2].coverage == 0.45  # back into the editor


def test_catalogue_and_links():
    cat = O.catalogue()
    assert "baseline" not in cat and {"mentoring", "prevention_package", "mass_policing"} <= set(cat)
    for opt in cat.values():  # every library option validates
        assert S.validate("LAC", "20000", "10", "1", "5", (opt,))[1] == []
    own = O.own_option("Mine", [{"kind": "jobs", "coverage": 0.5}])
    query = O.to_query("HND", "30000", "8", "4", "3", (cat["hotline"], own))
    fields, opts, problems = O.from_query(query)
    assert fields == {"country": "HND", "agents": "30000", "years": "8", "replicates": "3", "seed": "4"} and problems == []
    assert [o.name for o in opts] == ["hotline", own.name] and opts[1].specs == own.specs
    fields, opts, problems = O.from_query("options=hotline,nosuch&pkg=!!!")
    assert [o.name for o in opts] == ["hotline"] and len(problems) == 2
    assert O.from_query("") == ({}, None, [])


@pytest.mark.parametrize("text, message", [
    (b"name = 'x'\n[params]\nrecruit_or_neet = 1.5\n[[policy]]\nkind = 'jobs'\n", "[params]"),
    (b"name = 'x'\n", "no [[policy]]"),
    (b"[[policy]]\nkind = 'nope'\n", "'kind' must be one of"),
    (b"not toml =", "not valid TOML"),
    (b"\xff\xfe", "not UTF-8"),
    (b"x" * 30_000, "too large"),
])
def test_bad_uploads_say_what_is_wrong(text, message):
    with pytest.raises(O.library.ScenarioError, match=re.escape(message)):
        O.from_upload(text, "up.toml")


# ---- runs ----------------------------------------------------------------------------------------------
def run_all(s: S.Settings, **kw) -> list[R.Snapshot]:
    return list(R.run_comparison(s, use_pool=kw.pop("use_pool", False), **kw))


def test_comparison_runs_every_option_with_common_random_numbers():
    s = settings(reps="2", extra=(option("mass_policing"),))
    snaps = run_all(s)
    last = snaps[-1]
    assert last.status == "done" and last.complete and last.replicates_done == 2 and last.units_done == last.units_total == 6
    assert [sn.units_done for sn in snaps] == sorted(sn.units_done for sn in snaps)  # progress never goes back
    res = last.results
    assert set(res["scenario"]) == {"baseline", "mentoring", "mass_policing"}
    assert res.groupby(["scenario", "replicate"]).size().tolist() == [24] * 6
    assert {"recruits", "members", "homicide_rate", "incarceration_rate", "cost_mentoring"} <= set(res.columns)
    assert set(last.layers) == {"baseline", "mentoring", "mass_policing"}
    assert last.first_results_seconds is not None and last.first_results_seconds <= last.elapsed
    # common random numbers: the baseline of a replicate does not depend on the options it is compared with
    R.clear_baselines()
    other = run_all(settings(reps="2", kind="jobs"))[-1].results
    cols = ["replicate", "month", "recruits", "members", "homicides"]
    pd.testing.assert_frame_equal(res[res.scenario == "baseline"][cols].reset_index(drop=True),
                                  other[other.scenario == "baseline"][cols].reset_index(drop=True))
    b = res[res.scenario == "baseline"]  # ... and replicates differ from each other
    assert not np.array_equal(b[b.replicate == 0]["recruits"].to_numpy(), b[b.replicate == 1]["recruits"].to_numpy())


def test_plan_puts_replicate_one_first_split_across_workers():
    s = settings(reps="3", extra=(option("mass_policing"), option("hotline")))
    jobs = R.make_jobs(s)
    tasks = R.plan_tasks(jobs, {("baseline", 0)}, workers=2)
    assert [len(t) for t in tasks] == [2, 1, 4, 4] and {j.replicate for t in tasks[:2] for j in t} == {0}
    assert all(len({j.replicate for j in t}) == 1 for t in tasks)  # one burn-in per task


def test_worker_processes_give_the_same_numbers_as_the_thread(monkeypatch):
    monkeypatch.setenv("RECRUITSIM_APP_WORKERS", "1")
    R.reset_pool()
    try:
        s = settings(reps="3")
        pooled = run_all(s, use_pool=True)[-1]
        assert pooled.status == "done" and pooled.replicates_done == 3, pooled.message
        R.clear_baselines()
        threaded = run_all(s, use_pool=False)[-1]
        pd.testing.assert_frame_equal(pooled.results, threaded.results)
    finally:
        R.reset_pool()


@pytest.mark.parametrize("kind", ["mentoring", "mass_policing", "interdiction"])
def test_shared_burn_in_gives_the_same_runs(kind):
    """Scenarios of one replicate from one burn-in (the worker tasks) equal separate runs."""
    s = settings(reps="1", kind=kind, start_year=1)
    jobs = R.make_jobs(s)
    base, scen = jobs[("baseline", 0)], jobs[(s.names[0], 0)]
    group = R.simulate_group((base, scen))
    for shared, alone in zip(group, (R.simulate(base), R.simulate(scen)), strict=True):
        pd.testing.assert_frame_equal(shared.results, alone.results)
        for layer in R.LAYERS:
            np.testing.assert_array_equal(shared.layers[layer], alone.layers[layer])
    assert f"cost_{kind}" in group[1].results and f"cost_{kind}" not in group[0].results


def test_baselines_are_cached_and_shared():
    s = settings(reps="2")
    run_all(s)
    key = R.Job(s.country, s.agents, s.years, s.seed, 1, "baseline").baseline_key
    assert key in R._shared.baselines
    # another scenario with the same settings reuses the cached baselines: only the scenario runs
    calls = []
    orig = R.outcome_of
    try:
        R.outcome_of = lambda model, job: calls.append(job.scenario) or orig(model, job)
        last = run_all(settings(reps="2", kind="jobs"))[-1]
    finally:
        R.outcome_of = orig
    assert last.status == "done" and calls == ["jobs", "jobs"]


def test_stop_cancels_promptly():
    s = settings(agents="3000", years="20", reps="3")
    stop = threading.Event()
    snaps = []
    tic = time.perf_counter()
    for sn in R.run_comparison(s, should_stop=stop.is_set, use_pool=False):
        snaps.append(sn)
        if len(snaps) == 1:
            stop.set()
    assert snaps[-1].status == "cancelled" and "Stopped" in snaps[-1].message
    assert snaps[-1].replicates_done == 0
    assert time.perf_counter() - tic < 30


def test_a_failing_simulation_becomes_a_message(monkeypatch):
    def boom(job, progress=None):
        raise RuntimeError("synthetic failure")

    monkeypatch.setattr(R, "make_model", boom)
    last = run_all(settings())[-1]
    assert last.status == "error" and "The simulation failed: synthetic failure" in last.message
    monkeypatch.setattr(R, "make_model", lambda job, progress=None: (_ for _ in ()).throw(MemoryError()))
    assert "ran out of memory" in run_all(settings())[-1].message


class BrokenPool:
    """A worker pool whose workers have died."""

    def submit(self, *a, **k):
        raise R.BrokenProcessPool("worker died")

    def shutdown(self, *a, **k):
        pass


class DyingPool(BrokenPool):
    """A pool that takes the job, then loses its worker (e.g. killed for lack of memory)."""

    def submit(self, *a, **k):
        f = R.Future()
        f.set_exception(R.BrokenProcessPool("worker died"))
        return f


def test_a_dead_pool_falls_back_to_the_thread(monkeypatch):
    monkeypatch.setattr(R, "get_pool", lambda: BrokenPool())
    last = run_all(settings(reps="2"), use_pool=True)[-1]
    assert last.status == "done" and last.replicates_done == 2


def test_a_worker_dying_mid_run_becomes_a_message(monkeypatch):
    monkeypatch.setattr(R, "get_pool", lambda: DyingPool())
    last = run_all(settings(reps="2"), use_pool=True)[-1]
    assert last.status == "error" and "worker process stopped unexpectedly" in last.message


def test_pool_workers_setting(monkeypatch):
    monkeypatch.setenv("RECRUITSIM_APP_WORKERS", "0")
    assert R.pool_workers() == 0 and R.get_pool() is None
    monkeypatch.setenv("RECRUITSIM_APP_WORKERS", "many")
    assert 1 <= R.pool_workers() <= 2


# ---- summaries ---------------------------------------------------------------------------------------
def synthetic(years=2, reps=3) -> pd.DataFrame:
    """Monthly results where the scenario has 10% fewer recruits than baseline in every replicate."""
    rows = []
    for sc, factor in (("baseline", 1.0), ("x", 0.9)):
        for r in range(reps):
            for m in range(12 * years):
                rows.append({"scenario": sc, "replicate": r, "month": m, "year": m // 12,
                             "recruits": factor * (100 + r), "members": factor * (1000 + m + r),
                             "homicide_rate_expected": 20.0 + r, "incarceration_rate": 300.0 * factor})
    return pd.DataFrame(rows)


def test_annual_bands():
    res = synthetic()
    yearly = M.annual(res)
    b0 = yearly[(yearly.scenario == "baseline") & (yearly.replicate == 0)]
    assert b0["year"].tolist() == [1, 2]
    assert b0["recruits"].tolist() == [1200, 1200]  # sum over the year
    assert b0["members"].tolist() == [1011, 1023]  # end of year
    assert b0["homicide_rate_expected"].tolist() == [20.0, 20.0]  # mean over the year
    band = M.bands(yearly)
    rec = band[(band.scenario == "baseline") & (band.metric == "recruits") & (band.year == 1)].iloc[0]
    assert (rec["median"], rec["n"]) == (1212.0, 3) and rec["lo"] < rec["median"] < rec["hi"]
    # an unfinished year is left out, and an unfinished replicate is not paired
    partial = res[~((res.scenario == "x") & (res.replicate == 2) & (res.month >= 18))]
    assert len(M.annual(partial)) == len(yearly) - 1
    assert set(M.complete_pairs(partial)["replicate"]) == {0, 1}


def test_cost_table_without_the_economics_module(monkeypatch):
    monkeypatch.setitem(sys.modules, "recruitsim.economics.cea", None)  # makes the import fail
    ct = M.cost_effectiveness(synthetic(), "LAC")
    assert ct.table is None and ct.note == M.NO_ECONOMICS and M.table_cells(ct) == []


def test_cost_table_follows_the_economics_contract(monkeypatch):
    seen = {}

    def analyse(results, country, policy_kinds=None, seed=0, details=True):
        seen.update(country=country, scenarios=sorted(set(results["scenario"])), reps=sorted(set(results["replicate"])))
        return types.SimpleNamespace(cloud=pd.DataFrame(columns=["scenario", "effect", "cost"]), table=pd.DataFrame([
            {"name": "baseline", "incremental_cost": 0.0, "recruits_averted": 0.0, "on_frontier": True},
            {"name": "x", "incremental_cost": 2.5e9, "incremental_cost_lo": 1.0e9, "incremental_cost_hi": 4.0e9,
             "recruits_averted": 1234.4, "recruits_averted_lo": np.nan, "recruits_averted_hi": np.nan,
             "cost_per_recruit_averted": float("nan"), "bcr": 1.234, "p_benefit_exceeds_cost": 0.62,
             "net_benefit": -3.2e6, "on_frontier": False},
        ]))

    fake = types.ModuleType("recruitsim.economics.cea")
    fake.analyse = analyse
    fake.COLUMN_HELP = {"incremental_cost": "Net cost to the public purse versus the baseline."}
    monkeypatch.setitem(sys.modules, "recruitsim.economics.cea", fake)
    res = synthetic()
    res = res[~((res.scenario == "x") & (res.replicate == 2) & (res.month >= 18))]  # replicate 2 unfinished
    ct = M.cost_effectiveness(res, "HND")
    assert seen == {"country": "HND", "scenarios": ["baseline", "x"], "reps": [0, 1]}
    assert list(ct.table["name"]) == ["baseline", "x"] and "2 replicates" in ct.note and ct.replicates == 2
    rows = {r["column"]: r for r in M.table_cells(ct)}
    assert rows["incremental_cost"]["cells"] == [{"scenario": "x", "label": "x", "value": "$2.50 bn", "range": "$1.00 bn to $4.00 bn"}]
    assert rows["incremental_cost"]["help"] == "Net cost to the public purse versus the baseline."
    assert rows["recruits_averted"]["cells"][0] == {"scenario": "x", "label": "x", "value": "1,230", "range": ""}
    assert rows["recruits_averted"]["help"] == "Recruits averted"  # no help given: the label
    assert rows["cost_per_recruit_averted"]["cells"][0]["value"] == "–"
    assert rows["bcr"]["cells"][0]["value"] == "1.23" and rows["p_benefit_exceeds_cost"]["cells"][0]["value"] == "62%"
    assert rows["net_benefit"]["cells"][0]["value"] == "-$3.20 M" and rows["on_frontier"]["cells"][0]["value"] == "no"
    assert "icer" not in rows  # columns the module did not return are left out

    page = M.table_html(M.table_cells(ct, {"x": "x <policy>"}))
    assert page.count("<tr class=") == len(rows) and "x &lt;policy&gt;" in page  # escaped
    assert 'title="Net cost to the public purse versus the baseline."' in page and "$1.00 bn to $4.00 bn" in page
    assert M.table_html([]) == ""

    def broken(*a, **k):
        raise ValueError("no costs")

    fake.analyse = broken
    ct = M.cost_effectiveness(synthetic(), "LAC")
    assert ct.table is None and "could not be computed: no costs" in ct.note


def test_cost_table_from_the_real_economics_module():
    economics = pytest.importorskip("recruitsim.economics.cea", reason="recruitsim.economics is missing")
    last = run_all(settings(reps="2"))[-1]
    ct = M.cost_effectiveness(last.results, "LAC")
    assert ct.table is not None, ct.note
    rows = {r["column"]: r for r in M.table_cells(ct)}
    assert {"incremental_cost", "recruits_averted", "homicides_averted", "net_benefit"} <= set(rows)
    assert rows["incremental_cost"]["cells"][0]["scenario"] == "mentoring"
    assert rows["incremental_cost"]["cells"][0]["value"].startswith("$")
    assert rows["incremental_cost"]["help"] == economics.COLUMN_HELP["incremental_cost"]


def econ_frame(reps: int = 5) -> pd.DataFrame:
    """Tidy results for the real economics: 'x' averts homicides and adds custody (noisy); 'noise' does nothing certain."""
    rng = np.random.default_rng(2)
    rows = []
    for r in range(reps):
        for sc, hom, inc, cost in (("baseline", 10.0, 500.0, 0.0), ("x", 9.0 + rng.normal(0, 0.1), 530.0 + rng.normal(0, 5), 4e5),
                                   ("noise", 10.0 + rng.normal(0, 1.0), 500.0, 1e4)):
            for m in range(24):
                rows.append({"scenario": sc, "replicate": r, "month": m, "year": m // 12, "recruits": 100.0, "members": 1000.0,
                             "homicides": hom, "homicides_male": hom - 1, "incarcerated": inc, "cost_schooling": cost})
    return pd.DataFrame(rows)


def test_cost_table_figures_agree_with_each_other():
    ct = M.cost_effectiveness(econ_frame(), "LAC")
    assert ct.table is not None, ct.note
    t = ct.table.set_index("name")
    for _, r in t.iterrows():  # one computation per row: the parts shown add up to the totals shown
        assert r["incremental_cost"] == pytest.approx(r["program_cost"] + r["prison_cost_change"])
        assert r["benefits"] == pytest.approx(sum(r[c] for c in STREAMS if c != "prison_cost_avoided"))
        assert r["net_benefit"] == pytest.approx(r["benefits"] - r["incremental_cost"])
        assert r["net_benefit"] == pytest.approx(r["perspective_taxpayers"] + r["perspective_participants"]
                                                 + r["perspective_victims_and_others"] + r["perspective_indirect"])
    assert "means of the paired replicates" in ct.note and "Not distinguishable" in ct.note
    rows = {row["column"]: {c["scenario"]: c for c in row["cells"]} for row in M.table_cells(ct)}
    assert rows["distinguishable"]["x"]["value"] == "yes"
    assert rows["distinguishable"]["noise"]["value"] == "no: not distinguishable from no effect"
    for row in ("benefit_lives", "benefit_deadweight", "perspective_taxpayers", "perspective_indirect"):
        assert row in rows
    x = t.loc["x"]
    if math.isfinite(x["bcr"]):  # the ratio shown is the ratio of the figures shown
        assert x["bcr"] == pytest.approx((x["benefits"] + x["prison_cost_avoided"]) / x["program_cost"])
    for cells in rows["bcr"].values():  # never a negative number
        assert not cells["value"].startswith("-")


def test_bcr_cell_says_why_there_is_no_ratio():
    ct = M.CostTable(pd.DataFrame([{"name": "bad", "bcr": float("nan"), "bcr_note": "costs more and does worse"},
                                   {"name": "tiny", "bcr": 0.003, "bcr_note": ""}]), {}, "")
    cells = {c["scenario"]: c["value"] for c in next(r for r in M.table_cells(ct) if r["column"] == "bcr")["cells"]}
    assert cells == {"bad": "costs more and does worse", "tiny": "<0.01"}


def test_results_csv_is_tidy():
    s = settings(reps="2")
    last = run_all(s)[-1]
    df = pd.read_csv(io.StringIO(M.results_csv(last)))
    assert list(df.columns[:6]) == ["country", "scenario", "replicate", "seed", "agents", "month"]
    assert len(df) == 2 * 2 * 24 and set(df["country"]) == {"LAC"}
    assert M.csv_filename(s, 2) == "recruitsim_monthly_LAC_1options_2000agents_2y_seed3.csv"
    assert M.csv_filename(s, 1, "ranking") == "recruitsim_ranking_LAC_1options_2000agents_2y_seed3_partial-1of2reps.csv"


# ---- charts --------------------------------------------------------------------------------------------
def test_trend_chart_has_baseline_and_every_option():
    band = M.bands(M.annual(synthetic(years=3)))
    opt = C.trend_option(band, "recruits", {"baseline": "Baseline", "x": "Option x"}, 3)
    assert [s["name"] for s in opt["series"]] == ["Baseline", "Option x"]
    assert opt["series"][0]["data"] == [1.21, 1.21, 1.21]  # thousands, three significant figures
    assert opt["series"][1]["data"] == [1.09, 1.09, 1.09] and opt["series"][0]["lineStyle"]["type"] == "dashed"
    assert opt["xAxis"]["data"] == ["1", "2", "3"] and "thousand" in opt["yAxis"]["name"] and "title" not in opt
    empty = C.trend_option(M.bands(M.annual(R.empty())), "members", {"baseline": "Baseline"}, 3)
    assert "title" in empty and empty["series"][0]["data"] == [None, None, None]


def test_ranking_says_no_clear_effect_when_the_interval_includes_zero():
    ct = M.cost_effectiveness(econ_frame(), "LAC")
    rows = {r["name"]: r for r in M.rank_rows(ct, {"x": "Option x", "noise": "Noise"})}
    x, noise = rows["x"]["cells"], rows["noise"]["cells"]
    assert rows["x"]["clear"] and x["homicides_averted"].tone == "clear" and " to " in x["homicides_averted"].detail
    assert x["rank"].text.isdigit() and noise["rank"].text == "–"
    assert noise["homicides_averted"].text == "no clear effect" and " to " in noise["homicides_averted"].detail
    assert noise["frontier"].text == "off: no clear effect" and noise["cost_per_homicide_averted"].text == "–"
    assert rows["baseline"]["baseline"]
    page = M.ranking_html(list(rows.values()), ct.help)
    assert "no clear effect" in page and "▲" not in page and "▼" not in page  # never an arrow
    plane = C.plane_option(ct.table, ct.cloud, {"x": "Option x", "noise": "Noise"})
    assert plane["series"][-1]["name"] == "Efficiency frontier" and len(plane["series"]) == 5
    one = M.CostTable(ct.table, ct.help, "", ct.cloud, replicates=1)  # one replicate: no interval, nothing ranked
    assert all(r["cells"]["rank"].text == "–" for r in M.rank_rows(one, {})) and M.best_option(one) is None


def test_map_chart_shows_control_and_violence():
    control = np.array([[-1, 0], [2, 2]])
    violence = np.array([[0.0, 0.3], [0.9, 0.5]])
    layers = {"control": control, "violence": violence, "conflict": np.array([[0, 0], [0.4, 0]])}
    opt = C.map_option(layers, "control", "Baseline", n_groups=3)
    data = opt["series"][0]["data"]
    assert len(data) == 4 and data[0]["value"] == [0, 1, -1.0]  # row 1 is drawn at the top
    # groups named by territory (group 2 holds two cells, group 0 one): readable, not "group 1..6"
    assert "contested by a rival" in data[2]["name"] and "Group A (largest)" in data[2]["name"]
    labels = [p["label"] for p in opt["visualMap"]["pieces"]]
    assert labels == ["no group", "Group A (largest)", "Group B"]  # groups present only
    names = C.group_names(control)
    other = C.map_option({**layers, "control": np.array([[0, 0], [0, -1]])}, "control", "Option", 3, groups=names)
    assert [p["label"] for p in other["visualMap"]["pieces"]] == ["no group", "Group B"]  # the baseline's names
    opt = C.map_option(layers, "violence", "Baseline", n_groups=3, vmax=0.9)
    assert opt["visualMap"]["max"] == 0.9 and opt["series"][0]["data"][2]["value"][2] == 0.9


def test_region_map_colours_the_24_profiles_from_shipped_public_domain_boundaries():
    from recruitsim.app_logic import geo
    from recruitsim.model.profiles import COUNTRY_CODES

    gj = geo.geojson()
    props = [f["properties"] for f in gj["features"]]
    assert {p["iso3"] for p in props if p["profile"]} == set(COUNTRY_CODES)
    data_dir = Path(geo.__file__).with_name("data")
    assert (data_dir / "lac_countries_110m.geojson").stat().st_size < 300_000
    assert "public domain" in (data_dir / "SOURCES.md").read_text() and "Natural Earth" in (data_dir / "SOURCES.md").read_text()
    for f in gj["features"]:  # plausible coordinates: the Americas, lon -120..-30, lat -60..35
        pts = np.array([pt for poly in f["geometry"]["coordinates"] for ring in poly for pt in ring])
        assert pts[:, 0].min() > -120 and pts[:, 0].max() < -30 and pts[:, 1].min() > -60 and pts[:, 1].max() < 35, f["properties"]
    opt = geo.map_option("homicide_rate", highlight="HND")
    by_name = {d["name"]: d for d in opt["series"][0]["data"]}
    assert opt["series"][0]["map"] == geo.MAP_NAME and by_name["Honduras"]["itemStyle"]["borderWidth"] == 2
    assert by_name["Jamaica"]["value"] > by_name["Chile"]["value"] > 0 and by_name["Cuba"]["value"] is None
    assert "per 100,000" in by_name["Chile"]["tooltip"]["formatter"] and "{" not in by_name["Chile"]["tooltip"]["formatter"]
    members = {d["name"]: d for d in geo.map_option("members")["series"][0]["data"]}
    assert all(members[p["name"]]["value"] > 0 for p in props if p["profile"])
    eff = geo.map_option(geo.EFFECT, "HND", (geo.effect_value("HND", 1000.0, 10), "x"))
    vals = {d["name"]: d["value"] for d in eff["series"][0]["data"] if d["value"] is not None}
    assert list(vals) == ["Honduras"] and vals["Honduras"] == pytest.approx(1000 / 10 / get_profile("HND").population * 1e5, abs=0.01)


# ---- reference tables -------------------------------------------------------------------------------------
def test_parameter_table_has_every_parameter_with_its_source():
    table = S.parameter_table("HND")
    assert len(table) == len(PARAMETERS) + len(POLICY_PARAMETERS)
    assert {"parameter", "meaning", "default", "in HND", "range", "unit", "source"} <= set(table.columns)
    assert table["source"].str.len().min() > 0 and table["meaning"].str.len().min() > 0
    row = table[table.parameter == "member_prevalence"].iloc[0]
    assert row["default"] != row["in HND"]  # the profile's own value is shown
    found = S.search_parameters(table, "mentoring unit_cost")
    assert list(found["parameter"]) == ["mentoring.unit_cost"] and "WSIPP" in found.iloc[0]["source"]
    assert len(S.search_parameters(table, "  ")) == len(table)
    assert S.search_parameters(table, "no-such-thing").empty


def test_outputs_table_explains_every_output():
    table = S.outputs_table()
    assert set(COLUMNS) <= set(table["column"]) and table["meaning"].str.len().min() > 0


def test_country_options_list_every_profile():
    options = S.country_options()
    assert next(iter(options)) == "LAC" and len(options) == 25 and options["HND"].startswith("Honduras · ")
    names = [v.split(" · ")[0] for k, v in options.items() if k != "LAC"]
    assert names == sorted(names)  # by name, not by code
    assert all(("calibrated" in v) for v in options.values())


def test_pool_workers_end_when_the_server_is_killed(tmp_path):
    """A server killed by a signal leaves no worker processes behind (they would hold memory and a forkserver)."""
    import signal
    import subprocess

    code = ("import os, sys, time\n"
            "from recruitsim.app_logic import run as apprun\n"
            "pool = apprun.get_pool()\n"
            "pids = {pool.submit(apprun._noop).result() for _ in range(20)}\n"
            "print(' '.join(map(str, sorted(pids))), flush=True)\n"
            "time.sleep(600)\n")
    env = {**os.environ, "RECRUITSIM_APP_WORKERS": "2"}
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    try:
        pids = [int(p) for p in proc.stdout.readline().split()]
        assert pids and proc.pid not in pids
        for p in pids:
            os.kill(p, 0)  # alive while the server is
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    deadline = time.time() + 15
    alive = pids
    while alive and time.time() < deadline:
        time.sleep(0.2)
        alive = [p for p in pids if _alive(p)]
    assert not alive, f"worker processes {alive} outlived the killed server"


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ")[1][0] != "Z"  # a zombie has ended
    except FileNotFoundError:
        return False
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
