"""`recruitsim compare`, the budget optimiser and the economics on real (small) simulations."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from recruitsim.cli import main as cli
from recruitsim.economics import cea as economics
from recruitsim.economics import optimise
from recruitsim.economics.compare import money
from recruitsim.economics.streams import STREAMS
from recruitsim.scenarios.runner import Unit, run_unit

SMALL = dict(country="LAC", agents=3_000, years=1.5, burn_in=0.5, seed=5)
SMALL_ARGS = ["--agents", "3000", "--years", "1.5", "--burn-in", "0.5", "--seed", "5", "--workers", "1", "--draws", "50"]


def write(tmp_path, name: str, text: str) -> str:
    p = tmp_path / f"{name}.toml"
    p.write_text(text)
    return str(p)


# ---- budget optimiser -------------------------------------------------------------------------------------
def test_milp_matches_brute_force_on_random_grids():
    rng = np.random.default_rng(3)
    for _ in range(40):
        n_levers = int(rng.integers(1, 5))
        groups = np.repeat(np.arange(n_levers), rng.integers(1, 4, n_levers))
        effects = rng.normal(5, 5, groups.size)  # some harmful options
        costs = rng.uniform(1, 10, groups.size)
        budget = float(rng.uniform(0, 20))
        chosen = optimise.solve(effects, costs, groups, budget)
        best, _ = optimise.brute_force(effects, costs, groups, budget)
        assert effects[chosen].sum() == pytest.approx(best, abs=1e-9)
        assert costs[chosen].sum() <= budget + 1e-9
        assert np.all(np.bincount(groups[chosen], minlength=n_levers) <= 1)
        assert np.all(effects[chosen] > 0)


def test_optimiser_edge_cases():
    assert not optimise.solve([1.0, 2.0], [5.0, 6.0], ["a", "b"], 1.0).any()  # nothing affordable
    assert not optimise.solve([-1.0, 0.0], [1.0, 1.0], ["a", "b"], 10.0).any()  # nothing helps
    # one per lever: the better level of lever a, plus lever b
    assert optimise.solve([3.0, 5.0, 1.0], [1.0, 2.0, 1.0], ["a", "a", "b"], 3.0).tolist() == [False, True, True]


def test_risk_aware_optimiser_never_buys_noise():
    # 'noisy' has the higher median but its 10% quantile is below zero; 'steady' is smaller but certain
    opts = pd.DataFrame({"kind": ["noisy", "steady"], "coverage": [0.1, 0.1], "name": ["n", "s"], "annual_cost": [10.0, 10.0],
                         "effect": [15.0, 5.0], "effect_lo": [-24.0, 4.0], "effect_hi": [30.0, 6.0]})
    out = optimise.choose_options(opts, budget=10.0)
    assert out["chosen"].tolist() == [False, True]
    assert out["eligible"].tolist() == [False, True]
    # with only noise on offer nothing is bought
    assert not optimise.choose_options(opts.iloc[:1], budget=100.0)["chosen"].any()


def test_plan_choose_excludes_a_noisy_option_with_a_higher_median(tmp_path):
    # synthetic paired results for two budget options; one fits the budget
    plan = optimise.Plan(tmp_path / "scenarios", "LAC")
    by_kind = {o.kind: o.name for o in plan.options if o.coverage == 0.1}
    months, reps = 24, 6
    noisy_shift = [3.0, 3.0, 3.0, 3.0, -4.0, -4.0]  # median 3 homicides a month averted, 10% quantile < 0
    frames = []
    for r in range(reps):
        for name, averted, cost_col in (("baseline", 0.0, None), (by_kind["schooling"], noisy_shift[r], "cost_schooling"),
                                        (by_kind["jobs"], 1.0, "cost_jobs")):
            d = {"scenario": name, "replicate": r, "month": np.arange(months), "homicides": 10.0 - averted,
                 "homicides_male": 9.0 - averted, "recruits": 100.0, "members": 1000.0, "incarcerated": 500.0}
            if cost_col:
                d[cost_col] = 100.0
            frames.append(pd.DataFrame(d))
    results = pd.concat(frames, ignore_index=True).fillna({"cost_schooling": 0.0, "cost_jobs": 0.0})
    pf = plan.choose(results, budget=1500.0)
    o = pf.options.set_index("name")
    assert o.loc[by_kind["schooling"], "effect"] > o.loc[by_kind["jobs"], "effect"]  # higher median ...
    assert not o.loc[by_kind["schooling"], "eligible"] and not o.loc[by_kind["schooling"], "chosen"]  # ... but noise
    assert list(pf.chosen["kind"]) == ["jobs"]
    assert "excluded as not distinguishable" in pf.summary()
    assert pf.as_dict()["predicted_effect_lo"] > 0


# ---- common random numbers make the economics exact on real runs -------------------------------------------
def test_real_policy_with_no_effect_averts_nothing_and_is_dominated(tmp_path):
    null = write(tmp_path, "null_mentoring", """
[[policy]]
kind = "mentoring"
coverage = 0.5
offending_violent = 1.0
offending_other = 1.0
recruit_odds = 1.0
violent_involvement = 1.0
dropout = 1.0
""")
    units = [Unit(s, r, **SMALL) for s in ("baseline", null) for r in range(2)]
    df = pd.concat([run_unit(u) for u in units], ignore_index=True)
    outputs = [c for c in df if not c.startswith(("cost_", "enrolled_", "starts_")) and c not in ("scenario",)]
    b = df[df.scenario == "baseline"].reset_index(drop=True)
    n = df[df.scenario == "null_mentoring"].reset_index(drop=True)
    pd.testing.assert_frame_equal(b[outputs], n[outputs])  # CRN: nothing but the spending differs
    assert n["cost_mentoring"].sum() > 0
    t = economics.scenario_table(df, "LAC", policy_kinds={"mentoring": "mentoring"}).set_index("name").loc["null_mentoring"]
    for col in ("recruits_averted", "homicides_averted", "incarceration_years_averted", "member_years_averted"):
        assert t[col] == 0.0
    assert t["frontier_status"] == economics.NOT_DISTINGUISHABLE and not t["on_frontier"] and math.isnan(t["cost_per_homicide_averted"])
    assert not t["distinguishable"] and pd.isna(t["rank"])
    assert t["incremental_cost"] == pytest.approx(t["program_cost"]) and t["p_benefit_exceeds_cost"] == 0.0


def test_real_doubled_unit_cost_doubles_programme_and_incremental_cost(tmp_path):
    base = write(tmp_path, "jobs1", '[[policy]]\nkind = "jobs"\ncoverage = 0.4\n')
    dear = write(tmp_path, "jobs2", '[[policy]]\nkind = "jobs"\ncoverage = 0.4\nunit_cost = 2828\n')  # default 1,414 (evidence median, a GUESS)
    units = [Unit(s, r, **SMALL) for s in ("baseline", base, dear) for r in range(2)]
    df = pd.concat([run_unit(u) for u in units], ignore_index=True)
    j1, j2 = df[df.scenario == "jobs1"].reset_index(drop=True), df[df.scenario == "jobs2"].reset_index(drop=True)
    assert np.allclose(j2["cost_jobs"], 2 * j1["cost_jobs"]) and j1["cost_jobs"].sum() > 0
    assert np.array_equal(j1["recruits"], j2["recruits"]) and np.array_equal(j1["incarcerated"], j2["incarcerated"])
    kw = dict(policy_kinds={"jobs": "jobs"}, n_draws=20)
    t = economics.scenario_table(df, "LAC", **kw).set_index("name")
    assert t.loc["jobs2", "program_cost"] == pytest.approx(2 * t.loc["jobs1", "program_cost"])
    # the prison-cost part is the same in both, so the incremental cost rises by exactly the extra programme cost
    assert t.loc["jobs2", "incremental_cost"] - t.loc["jobs1", "incremental_cost"] == pytest.approx(t.loc["jobs1", "program_cost"])
    off = economics.scenario_table(df, "LAC", include_prison_costs=False, **kw).set_index("name")
    assert off.loc["jobs2", "incremental_cost"] == pytest.approx(2 * off.loc["jobs1", "incremental_cost"])


# ---- the command --------------------------------------------------------------------------------------------
def test_compare_writes_report_plots_and_json(tmp_path, capsys):
    out = tmp_path / "cmp"
    code = cli.main(["compare", *SMALL_ARGS, "--replicates", "2", "--scenarios", "mentoring,mass_policing,interdiction",
                     "--out", str(out), "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    payload = json.loads(captured.out.strip().splitlines()[-1])
    rows = {r["name"]: r for r in payload["scenarios"]}
    assert set(rows) == {"baseline", "mentoring", "mass_policing", "interdiction"}
    for r in rows.values():
        assert list(r) == ["name", "distinguishable", "incremental_cost", "recruits_averted", "homicides_averted",
                           "incarceration_years_averted", "cost_per_recruit_averted", "cost_per_homicide_averted", "icer",
                           "net_benefit", "bcr", "bcr_note", "p_benefit_exceeds_cost", "on_frontier", "beyond_horizon_share",
                           "grade", "grade_mix", "grade_note", "benefits", "perspective", "beyond_horizon_share_interval"]
        assert isinstance(r["on_frontier"], bool) and isinstance(r["distinguishable"], bool)
        assert set(r["benefits"]) == {key for _, key, _ in STREAMS.values()}
        assert set(r["perspective"]) == {"taxpayers", "participants", "victims_and_others", "indirect"}
        for band in (*r["benefits"].values(), *r["perspective"].values()):
            assert {"mean", "median", "lo", "hi"} <= set(band)
        assert 0.0 <= r["beyond_horizon_share"] <= 1.0
        assert r["bcr"] is None or r["bcr"] >= 0  # never negative; bcr_note says why it is missing
        assert sum(v["mean"] for v in r["perspective"].values()) == pytest.approx(r["net_benefit"], rel=1e-9, abs=1e-6)
        if not r["distinguishable"]:
            assert not r["on_frontier"] or r["name"] == "baseline"
    # the evidence grade of the effects each result rests on (weakest grade; a note when mainly grade D)
    assert rows["baseline"]["grade"] is None and rows["mentoring"]["grade"] == "D" and rows["mentoring"]["grade_mix"] == "B3 D2"
    assert rows["interdiction"]["grade"] == "C" and not rows["interdiction"]["grade_note"]
    assert rows["baseline"]["incremental_cost"] == 0 and rows["mentoring"]["incremental_cost"] > 0
    # mass policing adds custody time: negative incarceration-years averted
    assert rows["mass_policing"]["incarceration_years_averted"] < 0
    for name in ("report.md", "table.csv", "summary.json", "runs.parquet", "ce_plane.png", "frontier.png",
                 "outcomes_over_time.png", "ceac.png"):
        f = out / name
        assert f.exists() and f.stat().st_size > 1000, name
        if name.endswith(".png"):
            assert f.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    md = (out / "report.md").read_text()
    for s in rows:
        assert s in md
    for section in ("## Ranked results", "## Efficiency frontier", "## Monetised benefits", "## Assumptions and sources",
                    "![cost-effectiveness plane](ce_plane.png)", "## Column glossary"):
        assert section in md
    table = pd.read_csv(out / "table.csv")
    assert len(table) == 4 and "homicides_averted_lo" in table


def test_compare_prints_a_ranked_table(tmp_path, capsys):
    code = cli.main(["compare", *SMALL_ARGS, "--replicates", "1", "--scenarios", "hotline", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0
    lines = out.splitlines()
    header = next(i for i, line in enumerate(lines) if line.strip().startswith("rank"))
    assert "net benefit" in lines[header] and "frontier" in lines[header]
    assert {lines[header + 1].split()[1], lines[header + 2].split()[1]} == {"baseline", "hotline"}
    assert "report" in out.lower() and str(tmp_path) in out


def test_compare_with_budget_simulates_the_chosen_portfolio(tmp_path, capsys):
    out = tmp_path / "b"
    code = cli.main(["compare", *SMALL_ARGS, "--replicates", "2", "--scenarios", "mentoring", "--budget", "2e9",
                     "--outcome", "recruits", "--out", str(out), "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    payload = json.loads(captured.out.strip().splitlines()[-1])
    port = payload["portfolio"]
    assert port["budget"] == 2e9 and port["outcome"] == "recruits"
    spent = sum(c["annual_cost"] for c in port["chosen"])
    assert spent <= 2e9
    assert len({c["kind"] for c in port["chosen"]}) == len(port["chosen"])
    if port["chosen"]:
        assert "portfolio" in {r["name"] for r in payload["scenarios"]}
        assert "simulated" in port and (out / "budget.png").stat().st_size > 1000
        assert (out / "scenarios" / "portfolio.toml").exists()
    assert "## Budget allocation" in (out / "report.md").read_text()


@pytest.mark.parametrize("args, words", [
    (["--scenarios", "nosuch"], "unknown scenario 'nosuch'"),
    (["--agents", "5"], "--agents"),
    (["--discount", "2"], "--discount"),
    (["--budget", "-1"], "--budget"),
    (["--deadweight", "-1"], "--deadweight"),
    (["--country", "XXX"], "unknown country"),
])
def test_compare_usage_errors_are_one_line(args, words, capsys):
    assert cli.main(["compare", *args]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and words in err


def test_money_format():
    assert money(1.37e9) == "1.37bn"
    assert money(-2.3e6) == "-2.3m"
    assert money(74_970) == "75k"
    assert money(512) == "512"
    assert money(float("nan")) == "-"


def test_units_sharing_a_burn_in_are_grouped_when_the_runner_can_reuse_it(monkeypatch):
    from recruitsim.economics import compare
    from recruitsim.scenarios import runner

    units = compare.build_units(["baseline", "hotline", "jobs", "mentoring"], 3, **SMALL)
    if not hasattr(runner, "run_group"):  # without shared burn-ins every unit is a task
        assert compare.plan_tasks(units, 2) == [(u,) for u in units]
        calls = []
        monkeypatch.setattr(runner, "run_group", lambda us: calls.append(us) or [run_unit(u) for u in us], raising=False)
        monkeypatch.setattr(Unit, "burn_in_key", lambda u: str(u.replicate), raising=False)
    tasks = compare.plan_tasks(units, 2)
    assert sorted((u.scenario, u.replicate) for t in tasks for u in t) == sorted((u.scenario, u.replicate) for u in units)
    assert all(len({u.replicate for u in t}) == 1 for t in tasks)  # a task never mixes burn-ins
    assert len(tasks) >= 4 and len(tasks) < len(units)  # fewer burn-ins, but enough tasks for 2 workers
    one = compare.plan_tasks(compare.build_units(["baseline", "hotline", "jobs", "mentoring"], 1, **SMALL), 2)
    assert len(one) == 4  # a single replicate is split so both workers have work
    grouped = compare.collect_results(compare.build_units(["baseline", "hotline"], 1, **SMALL), workers=1)
    single = pd.concat([run_unit(u) for u in compare.build_units(["baseline", "hotline"], 1, **SMALL)], ignore_index=True)
    cost_cols = [c for c in single if c.startswith(("cost_", "enrolled_", "starts_"))]
    single[cost_cols] = single[cost_cols].fillna(0.0)
    cols = list(single.columns)
    pd.testing.assert_frame_equal(grouped[cols].sort_values(["scenario", "month"]).reset_index(drop=True),
                                  single.sort_values(["scenario", "month"]).reset_index(drop=True))
