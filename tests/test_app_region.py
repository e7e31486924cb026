"""The app's regional view: the map of the routes, the tables, the messages, and the page in a real Chromium.

The logic (``app_logic/region_run.py``, ``app_logic/region_view.py``) is tested on one small real regional
run (the Andean corridor, 2,000 youths per country, one year after a half-year burn-in, one replicate, run in
this thread) and on hand-made outcomes where the numbers must be exact. The browser test serves the app as
``tests/test_app_browser.py`` does, runs a tiny corridor in the Region tab and saves ``docs/app-region-map.png``.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import pytest

from recruitsim.app_logic import region_run as RR
from recruitsim.app_logic import region_view as RV
from recruitsim.region.routes import CORRIDORS, routes

from .test_app_browser import server  # noqa: F401 (the served app, a module fixture)

DOCS = Path(__file__).resolve().parents[1] / "docs"
HIT, ALTERNATIVE = "col_isthmus_land", "col_pacific_mexico"


def settings(corridor="andean", key="route", route=HIT, where=None, strength=None, agents="2000", years="1", replicates="1"):
    s, problems = RR.validate_region(corridor, [], key, route, where, strength, agents, years, replicates, "1")
    assert not problems, problems
    return replace(s, burn_in=0.5)


def last(gen):
    return list(gen)[-1]


@pytest.fixture(scope="module")
def snap():
    """Interdiction on the isthmus land route, the Andean corridor simulated (Colombia pays for it)."""
    RR.baselines.clear()
    out = last(RR.run_region_view(settings(), use_pool=False))
    assert out.status == "done" and out.replicates_done == 1, out.message
    return out


def lines_of(option: dict) -> dict[str, dict]:
    return {d["name"]: d for s in option["series"] if s["type"] == "lines" and s["name"] != "arrowheads" for d in s["data"]}


# ---- the map ---------------------------------------------------------------------------------------------
def test_the_map_has_a_line_per_route_with_flow_and_widths_monotone_in_flow(snap):
    table = RV.route_table(snap).set_index("route")
    for view in ("scenario", "baseline"):
        lines = lines_of(RV.map_option(snap, "tonnes", view))
        assert set(lines) == {r for r, t in table[view].items() if t > 0} == {r.name for r in routes()}
        by_flow = sorted(RV.route_lines(table.reset_index(), view), key=lambda ln: ln["tonnes"])
        for a, b in zip(by_flow, by_flow[1:]):
            assert (a["width"] < b["width"]) if a["tonnes"] < b["tonnes"] - 1e-9 else a["width"] <= b["width"]
        assert all(len(ln["coords"]) == len(next(r for r in routes() if r.name == n).countries) + 1 for n, ln in lines.items())


def test_interdiction_on_a_route_moves_its_flow_to_the_others_in_the_map(snap):
    base, scen = lines_of(RV.map_option(snap, "tonnes", "baseline")), lines_of(RV.map_option(snap, "tonnes", "scenario"))
    width = lambda lines, n: lines[n]["lineStyle"]["width"]  # noqa: E731
    assert width(scen, HIT) < width(base, HIT)  # the interdicted route thins
    assert width(scen, ALTERNATIVE) > width(base, ALTERNATIVE)  # an alternative Colombian route thickens
    colour = {d["name"]: s["lineStyle"]["color"] for s in RV.map_option(snap, "tonnes", "scenario")["series"]
              if s["type"] == "lines" and s["name"] != "arrowheads" for d in s["data"]}
    assert colour[HIT] == RV.FEWER and colour[ALTERNATIVE] == RV.MORE and colour["per_europe_chile"] == RV.SAME
    change = lines_of(RV.map_option(snap, "tonnes", "change"))
    assert max(change.values(), key=lambda d: d["lineStyle"]["width"])["name"] == HIT  # the largest change


def test_the_map_shades_the_simulated_countries_greys_the_others_and_has_legends_with_units(snap):
    for metric in RV.OUTCOMES:
        for view in RV.VIEWS:
            option = RV.map_option(snap, metric, view)
            shaded = {d["name"] for d in option["series"][0]["data"] if d["value"] is not None}
            assert shaded == {"Colombia", "Peru", "Bolivia", "Ecuador"}
            assert RV.OUTCOMES[metric][1] in option["visualMap"]["text"][0]
            assert option["visualMap"]["seriesIndex"] == 0 and option["visualMap"]["pieces"]
    option = RV.map_option(snap, "tonnes", "scenario")
    key = [c["style"]["text"] for c in option["graphic"][0]["children"] if c["type"] == "text"]
    assert key[0].startswith("Routes: width = tonnes a year") and all(t.endswith(" t/yr") for t in key[1:4])
    assert {"more than at baseline", "less than at baseline"} <= set(key[4:])
    widths = [c["style"]["lineWidth"] for c in option["graphic"][0]["children"] if c["type"] == "line"][:3]
    assert widths == sorted(widths, reverse=True)  # the key's widths follow its tonnes
    labels = [d["name"] for s in option["series"] if s["type"] == "scatter" for d in s["data"]]
    assert any(x.startswith("COL ") for x in labels) and "to Europe →" in labels
    grey = next(d for d in option["series"][0]["data"] if d["name"] == "Mexico")
    assert "not simulated" in grey["tooltip"]["formatter"] and "t/yr" in grey["tooltip"]["formatter"]


# ---- the tables ------------------------------------------------------------------------------------------
def test_the_region_row_is_the_sum_over_countries(snap):
    for side in ("baseline", "scenario"):
        t = RV.country_table(snap, side)
        countries, region = t[t["country"] != "REGION"], t[t["country"] == "REGION"].iloc[0]
        assert list(countries["country"]) == list(CORRIDORS["andean"])
        for k in RV.ADDITIVE:
            assert region[k] == pytest.approx(countries[k].sum(), rel=1e-12)
        assert region["homicides"] > 0 and region["programme_cost"] == (0 if side == "baseline" else pytest.approx(countries["programme_cost"].sum()))
    d = RV.difference_table(snap)
    for k in RV.ADDITIVE:
        if k in RV.DIFFERENCES:
            assert d.iloc[-1][k] == pytest.approx(d.iloc[:-1][k].sum(), rel=1e-9, abs=1e-9)
    col = d.set_index("country").loc["COL"]
    assert col["programme_cost"] > 0 and "pays USD" in col["verdict"]  # Colombia is the only payer on the route
    html = RV.country_html(snap) + RV.difference_html(snap) + RV.routes_html(snap)
    assert html.count("rs-region-total") == 2 and "The 4 countries (sum)" in html and HIT in html


def outcome(homicides: dict[str, float], cost: float = 0.0) -> RR.RegionOutcome:
    countries = {c: {"recruits": 10.0, "members": 100.0, "homicides": h, "homicide_rate": h, "programme_cost": cost,
                     "revenue_factor": 1.0, "tonnes": 0.0} for c, h in homicides.items()}
    return RR.RegionOutcome(countries, {r.name: 10.0 for r in routes()}, 10.0 * len(routes()), 0.0)


def test_a_change_is_clear_only_when_every_paired_replicate_agrees():
    s = settings()
    base = {c: 100.0 for c in s.countries}
    scen = [{"COL": 90.0, "PER": 95.0, "BOL": 100.0, "ECU": 104.0}, {"COL": 92.0, "PER": 103.0, "BOL": 100.0, "ECU": 101.0}]
    outcomes = {("baseline", r): outcome(base) for r in range(2)} | {("scenario", r): outcome(scen[r], 2e6) for r in range(2)}
    snap = RR.RegionSnapshot(replace(s, replicates=2), "done", "", outcomes, 4, 4, 1.0)
    d = RV.difference_table(snap).set_index("country")
    assert d.loc["COL", "homicides"] == -9 and (d.loc["COL", "homicides_lo"], d.loc["COL", "homicides_hi"]) == (-10, -8)
    assert d.loc["COL", "verdict"].startswith("fewer homicides") and d.loc["ECU", "verdict"].startswith("more homicides")
    assert d.loc["PER", "verdict"].startswith("no clear change") and d.loc["BOL", "verdict"].startswith("no clear change")
    assert d.loc["REGION", "homicides"] == pytest.approx(-7.5) and d.loc["REGION", "programme_cost"] == pytest.approx(8.0)
    one = RR.RegionSnapshot(s, "done", "", {k: v for k, v in outcomes.items() if k[1] == 0}, 2, 2, 1.0)
    assert RV.difference_table(one).set_index("country").loc["COL", "verdict"].startswith("no clear change")  # 1 replicate
    assert "2 paired replicates of 2,000 simulated youths" in RV.basis(snap) and "not an estimate" in RV.basis(snap)


# ---- choices and messages --------------------------------------------------------------------------------
def test_scenario_and_route_choices_fit_the_countries():
    andean, cam = RR.scenario_choices(CORRIDORS["andean"]), RR.scenario_choices(CORRIDORS["central_america_mexico"])
    assert "lib:interdiction_mexico" not in andean and "lib:interdiction_mexico" in cam and "lib:coordinated_interdiction" in andean
    assert {RR.ROUTE_KEY, RR.COUNTRY_KEY} <= set(andean)
    assert set(RR.route_choices(("MEX",))) == {r.name for r in routes() if "MEX" in r.countries}
    strong = RR.build_scenario(RR.ROUTE_KEY, HIT, None, 0.05)
    assert strong.extra["region"] == {"interdiction_risk": 0.05} and strong.policy_specs == [{"kind": "interdiction", "route": HIT}]
    assert "region" not in RR.build_scenario("lib:interdiction_mexico", None, None, RR.strength_range()[0]).extra


@pytest.mark.parametrize("args, words", [
    (("custom", []), "Choose at least one country"),
    (("andean", [], "lib:interdiction_mexico"), "not in this regional run"),
    (("andean", [], "route", "bol_europe_chile", None, None, "100"), "Simulated youths per country must be a whole number"),
    (("custom", ["PAN", "MEX"], "route", "per_europe_chile"), "crosses none of the countries"),
    (("andean", [], "route", HIT, None, 0.5), "outside its range"),
])
def test_bad_input_gets_one_clear_message(args, words):
    full = list(args) + [None] * (6 - len(args))
    full[2] = full[2] or "route"
    full[3] = full[3] or HIT
    agents = full[6] if len(full) > 6 else "2000"
    s, problems = RR.validate_region(*full[:6], agents, "1", "1", "1")
    assert s is None and len(problems) == 1 and words in problems[0], problems
    assert "Traceback" not in problems[0] and "--countries" not in problems[0]


def test_the_region_tab_renders_ready_to_run_and_says_what_is_missing():
    import ipyvuetify as v
    import solara

    from recruitsim import app

    from .test_app_page import by_class, one, page_text

    box, rc = solara.render(app.RegionView(), handle_error=False)
    assert not one(rc, "rs-region-run", v.Btn).disabled and by_class(rc, "rs-region-problem") == []
    assert "Central America and Mexico" in page_text(rc) and "20,000 simulated youths per country" in page_text(rc)
    one(rc, "rs-region-corridor", v.Select).v_model = RR.CORRIDOR_LABELS[RR.CUSTOM]
    problems = by_class(rc, "rs-region-problem")
    assert len(problems) == 1 and "Choose at least one country" in page_text(rc) and one(rc, "rs-region-run", v.Btn).disabled
    rc.close()


# ---- the page in a real headless Chromium ------------------------------------------------------------------
@pytest.fixture(scope="module")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1440, "height": 1000}}


@pytest.mark.browser
@pytest.mark.slow
def test_region_tab_runs_a_tiny_corridor_and_shows_the_map_and_tables(server, page):  # noqa: F811
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(server)
    page.get_by_text("Region: cocaine routes").click(timeout=120_000)
    run = page.locator(".rs-region-run")
    run.wait_for(timeout=60_000)
    for key, value in (("agents", "1000"), ("years", "1"), ("replicates", "1")):
        page.locator(f".rs-region-input-{key} input").fill(value)
    page.locator(".rs-region-input-agents input").fill("")  # bad input: one message, Run waits
    page.locator(".rs-region-problem").first.wait_for(timeout=20_000)
    assert page.locator(".rs-region-problem").count() == 1 and run.is_disabled()
    page.locator(".rs-region-input-agents input").fill("1000")
    page.locator(".rs-region-problem").first.wait_for(state="detached", timeout=20_000)
    tic = time.perf_counter()
    run.click()
    page.locator(".rs-region-status-done").wait_for(timeout=900_000)
    print(f"\nregional run in the browser: {time.perf_counter() - tic:.1f} s;", page.locator(".rs-region-status").inner_text())
    page.locator(".rs-region-flowmap canvas").first.wait_for(timeout=60_000)  # drawn once the results arrive
    assert page.locator(".rs-region-flowmap canvas").count() >= 1  # ECharts may add a layer
    table = page.locator(".rs-region-table")
    assert table.count() == 1 and "The 8 countries (sum)" in table.inner_text() and "Mexico" in table.inner_text()
    assert "Who gains, who loses" in page.locator(".rs-region-diff").inner_text()
    assert "1 paired replicate of 1,000 simulated youths" in page.locator(".rs-region-basis").inner_text()
    time.sleep(1.5)
    page.locator(".rs-region-flowmap").screenshot(path=str(DOCS / "app-region-map.png"))
    assert not errors, errors
