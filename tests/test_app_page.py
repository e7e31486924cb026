"""The page, rendered without a browser (``solara.render``): controls, validation messages, a run, results."""

from __future__ import annotations

import html
import re
import time

import ipyvuetify as v
import ipywidgets
import pytest
import solara
from solara.components.echarts import EchartsWidget

from recruitsim import app
from recruitsim.app_logic import options as O
from recruitsim.app_logic import run as R
from recruitsim.app_logic import state as S


@pytest.fixture(autouse=True)
def threads_only(monkeypatch):
    """Runs in the render's own thread (no worker processes) keep these tests self-contained."""
    monkeypatch.setenv("RECRUITSIM_APP_WORKERS", "0")
    R.clear_baselines()
    yield
    R.clear_baselines()


def widgets(rc) -> list[ipywidgets.Widget]:
    """Every widget under the render's root (reacton's finder stops at the first match)."""
    seen, out, stack = set(), [], list(rc.find().widgets)
    while stack:
        w = stack.pop()
        if isinstance(w, (list, tuple)):
            stack.extend(w)
            continue
        if not isinstance(w, ipywidgets.Widget) or id(w) in seen:
            continue
        seen.add(id(w))
        out.append(w)
        for key in w.keys:
            value = getattr(w, key, None)
            if isinstance(value, (ipywidgets.Widget, list, tuple)):
                stack.append(value)
    return out


def by_class(rc, cls: str, kind=ipywidgets.Widget) -> list:
    return [w for w in widgets(rc) if isinstance(w, kind) and cls in (getattr(w, "class_", None) or "").split()]


def html_with_class(rc, cls: str) -> list:
    return [w for w in widgets(rc) if isinstance(getattr(w, "attributes", None), dict)
            and cls in str(w.attributes.get("class", "")).split()]


def text_of(w) -> str:
    out = []

    def walk(x):
        if isinstance(x, str):
            out.append(x)
        elif isinstance(x, (list, tuple)):
            for y in x:
                walk(y)
        elif isinstance(x, ipywidgets.Widget):
            for attr in ("unsafe_innerHTML", "label", "v_model"):
                val = getattr(x, attr, None)
                if isinstance(val, str) and not val.startswith("!!"):  # "!!disabled!!": an unset v_model
                    out.append(val)
            walk(getattr(x, "children", []))

    walk(w)
    return re.sub(r"<[^>]+>", "", " ".join(out))  # text of the HTML blocks, without their tags


def page_text(rc) -> str:
    return text_of(rc.find().widgets)


def one(rc, cls: str, kind=ipywidgets.Widget):
    found = by_class(rc, cls, kind)
    assert len(found) == 1, f"expected one widget with class {cls}, got {len(found)}"
    return found[0]


def set_input(rc, key: str, text: str) -> None:
    one(rc, f"rs-input-{key}", v.TextField).v_model = text


def wait_for(predicate, timeout=60.0, what="condition"):
    tic = time.time()
    while time.time() - tic < timeout:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def status(rc) -> str:
    found = by_class(rc, "rs-status")
    return text_of(found[0]) if found else ""


def done(rc) -> bool:
    """The run has finished and the page has drawn it (the Stop button goes in the render after the last)."""
    return bool(by_class(rc, "rs-status-done")) and not by_class(rc, "rs-stop", v.Btn)


def checkbox(rc, name: str):
    (box,) = [w for w in widgets(rc) if isinstance(w, v.Checkbox) and w.label == O.catalogue()[name].label]
    return box


def small_run(rc, reps="2"):
    set_input(rc, "agents", "2000")
    set_input(rc, "years", "2")
    set_input(rc, "replicates", reps)
    run = one(rc, "rs-run", v.Btn)
    assert not run.disabled
    run.click()


def test_first_view_is_ready_to_run():
    box, rc = solara.render(app.Page(), handle_error=False)
    text = page_text(rc)
    assert "Press Run" in text and "recruitsim" in text
    assert not one(rc, "rs-run", v.Btn).disabled and by_class(rc, "rs-problem") == []  # Run works at once
    assert all(checkbox(rc, n).v_model for n in O.DEFAULT_OPTIONS) and not checkbox(rc, "hotline").v_model
    assert "4 chosen" in text and "Latin America and the Caribbean" in text
    charts = [w for w in widgets(rc) if isinstance(w, EchartsWidget)]
    assert len(charts) == 1 and charts[0].option == {}  # no empty charts before a run (one invisible: preloads ECharts)
    rc.close()


def test_out_of_range_inputs_show_a_message_and_block_run():
    box, rc = solara.render(app.Page(), handle_error=False)
    for key, text, message in (("agents", "50", "from 1,000 to 200,000; got 50"),
                               ("years", "forty", "'forty' is not a number"),
                               ("replicates", "0", "from 1 to 10; got 0"),
                               ("seed", "", "the box is empty")):
        set_input(rc, key, text)
        field = one(rc, f"rs-input-{key}", v.TextField)
        assert field.error and message in " ".join(field.messages), (key, field.messages)
        assert one(rc, "rs-run", v.Btn).disabled
        assert any(message in text_of(w) for w in by_class(rc, "rs-problem"))
        set_input(rc, key, {"agents": "20000", "years": "10", "replicates": "5", "seed": "1"}[key])
        assert not one(rc, f"rs-input-{key}", v.TextField).error
    for name in O.DEFAULT_OPTIONS:  # no option: Run waits and the page says why
        checkbox(rc, name).v_model = False
    assert one(rc, "rs-run", v.Btn).disabled
    assert [text_of(w) for w in by_class(rc, "rs-problem")] == ["Choose at least one option to compare with the baseline."]
    checkbox(rc, "hotline").v_model = True
    assert not one(rc, "rs-run", v.Btn).disabled and "1 chosen" in page_text(rc)
    rc.close()


def test_own_package_joins_the_comparison():
    box, rc = solara.render(app.Page(), handle_error=False)
    one(rc, "rs-switch-jobs", v.Switch).v_model = True
    text = page_text(rc)
    assert "Coverage: 20%" in text and "Who is enrolled first" in text and "Active from year 0 to year 10" in text
    slider = next(w for w in widgets(rc) if isinstance(w, v.Slider) and "Coverage" in str(w.label))
    slider.v_model = 55
    one(rc, "rs-package-name", v.TextField).v_model = "Jobs for more"
    one(rc, "rs-add-package", v.Btn).click()
    text = page_text(rc)
    assert "Added 'Jobs for more'" in text and "5 chosen" in text and "Employment programme 55%" in text
    rc.close()


def type_in(rc, cls: str, text: str) -> None:
    """Type into a box that applies on Enter (``continuous_update=False``) and press Enter."""
    box = one(rc, cls, v.TextField)
    box.v_model = text
    box.fire_event("keyup.enter", text)


def terms_of(rc, kind: str) -> str:
    (w,) = html_with_class(rc, f"rs-terms-{kind}")
    return html.unescape(text_of(w))


def test_a_lever_set_by_budget_shows_its_coverage_and_participants():
    from recruitsim.app_logic import budget as B
    from recruitsim.app_logic import eligible

    box, rc = solara.render(app.Page(), handle_error=False)
    one(rc, "rs-switch-mentoring", v.Switch).v_model = True
    base = eligible.bases("LAC", 20_000)["mentoring"]
    assert B.describe(base, B.from_coverage(base, 0.3)) in terms_of(rc, "mentoring")
    one(rc, "rs-mode-mentoring", v.BtnToggle).v_model = 1  # "Budget (USD)"
    type_in(rc, "rs-amount-mentoring", "500 m")
    want = B.from_budget(base, 500e6)
    terms = terms_of(rc, "mentoring")
    assert f"{want.coverage:.1%} of eligible youths" in terms and B.count(want.participants) in terms and "USD 500 m a year" in terms
    type_in(rc, "rs-amount-mentoring", "90 bn")  # more than everyone: clipped, with a message
    assert "coverage set to 100%" in text_of(one(rc, "rs-terms-note-mentoring"))
    assert "100.0% of eligible youths" in terms_of(rc, "mentoring")
    one(rc, "rs-mode-mentoring", v.BtnToggle).v_model = 2  # "Participants"
    type_in(rc, "rs-amount-mentoring", "100,000")
    assert "100,000 participants at a time" in terms_of(rc, "mentoring")
    one(rc, "rs-switch-interdiction", v.Switch).v_model = True  # nationwide: priced per population
    assert "per 100,000 population-year" in terms_of(rc, "interdiction")
    rc.close()


def test_run_ranks_the_options_with_plane_charts_maps_and_downloads():
    box, rc = solara.render(app.Page(), handle_error=False)
    small_run(rc)
    wait_for(lambda: done(rc), what="the run to finish")
    assert "Done: 2 replicate(s) of the baseline and 4 options" in status(rc)
    (table,) = html_with_class(rc, "rs-ranking-table")
    for name in O.DEFAULT_OPTIONS:
        assert html.escape(O.catalogue()[name].label) in table.unsafe_innerHTML
    assert table.unsafe_innerHTML.count('class="rs-rank-') >= 5 and " to " in table.unsafe_innerHTML
    assert "rest on 2 replicates of 2,000 simulated youths" in re.sub(r"\s+", " ", page_text(rc))
    charts = [w for w in widgets(rc) if isinstance(w, EchartsWidget)]
    trends = [c for c in charts if c.option.get("series") and c.option["series"][0]["type"] == "line"]
    assert len(trends) == 4 and all(len(c.option["series"]) == 5 for c in trends)  # baseline + 4 options
    assert any(c.option.get("series") and c.option["series"][-1].get("name") == "Efficiency frontier" for c in charts)
    (region,) = [c for c in charts if "lac" in (c.maps or {})]  # the region's map, from the shipped boundaries
    assert region.option["series"][0]["type"] == "map" and len(region.maps["lac"]["features"]) == 29
    assert any("Group A (largest)" in str(p.get("label")) for c in charts for p in c.option.get("visualMap", {}).get("pieces", []))
    downloads = [text_of(w).replace("mdi-cloud-download-outline ", "") for w in widgets(rc) if isinstance(w, v.Btn)]
    assert "Download the ranking (CSV)" in downloads and "Download the monthly results (CSV)" in downloads
    assert sum(t.endswith("(.toml)") for t in downloads) == 4

    # the best portfolio for a budget: the optimiser's choice, or a plain "nothing fits"
    one(rc, "rs-budget-input", v.TextField).v_model = "1 m"
    one(rc, "rs-portfolio-run", v.Btn).click()
    assert "Nothing" in text_of(one(rc, "rs-portfolio-message"))
    one(rc, "rs-budget-input", v.TextField).v_model = "1000 bn"
    one(rc, "rs-portfolio-run", v.Btn).click()
    message = text_of(one(rc, "rs-portfolio-message"))
    assert "the optimiser buys" in message or "no option of this comparison has an effect" in message, message
    if "buys" in message:
        (table,) = html_with_class(rc, "rs-ranking-table")[1:]
        assert "Homicides averted" in table.unsafe_innerHTML and " to " in table.unsafe_innerHTML
        one(rc, "rs-portfolio-add", v.Btn).click()
        assert "5 chosen" in page_text(rc) and "Added 'Portfolio for USD 1,000 bn a year'" in page_text(rc)
    one(rc, "rs-budget-input", v.TextField).v_model = "lots"
    one(rc, "rs-portfolio-run", v.Btn).click()
    assert "must be a number" in text_of(one(rc, "rs-portfolio-message"))
    rc.close()


def test_stop_keeps_what_finished():
    box, rc = solara.render(app.Page(), handle_error=False)
    set_input(rc, "agents", "3000")
    set_input(rc, "years", "30")
    set_input(rc, "replicates", "3")
    one(rc, "rs-run", v.Btn).click()
    wait_for(lambda: by_class(rc, "rs-stop", v.Btn), what="the Stop button")
    one(rc, "rs-stop", v.Btn).click()
    wait_for(lambda: "Stopped" in status(rc), timeout=60, what="the run to stop")
    assert not by_class(rc, "rs-stop", v.Btn) and not one(rc, "rs-run", v.Btn).disabled
    rc.close()


def test_runs_stay_listed_and_changed_settings_are_flagged():
    box, rc = solara.render(app.Page(), handle_error=False)
    for name in O.DEFAULT_OPTIONS[1:]:
        checkbox(rc, name).v_model = False
    small_run(rc, reps="2")
    wait_for(lambda: done(rc), what="the run to finish")
    assert "changed the settings" not in status(rc)
    set_input(rc, "seed", "9")
    wait_for(lambda: "You have changed the settings since: press Run to update." in status(rc), timeout=10,
             what="the stale-results note")
    one(rc, "rs-run", v.Btn).click()
    wait_for(lambda: done(rc) and by_class(rc, "rs-history", v.Card), what="the second run")
    assert "Runs this session (2)" in text_of(one(rc, "rs-history", v.Card))
    assert "seed 9" in page_text(rc)
    one(rc, "rs-show-run-1", v.Btn).click()  # the first run is still there to look at
    wait_for(lambda: "seed 1." in page_text(rc), timeout=10, what="run 1 shown again")
    rc.close()


def test_sessions_do_not_share_state():
    box1, rc1 = solara.render(app.Page(), handle_error=False)
    box2, rc2 = solara.render(app.Page(), handle_error=False)
    checkbox(rc1, "hotline").v_model = True
    set_input(rc1, "agents", "50")
    assert checkbox(rc2, "hotline").v_model is False
    assert one(rc2, "rs-input-agents", v.TextField).v_model == "20000"
    for name in O.DEFAULT_OPTIONS[1:]:
        checkbox(rc2, name).v_model = False
    small_run(rc2, reps="1")
    wait_for(lambda: done(rc2), what="the second session's run")
    assert not html_with_class(rc1, "rs-ranking-table") and "Press Run" in page_text(rc1)
    rc1.close()
    rc2.close()


def test_parameters_tab_searches_meaning_and_source():
    box, rc = solara.render(app.Page(), handle_error=False)
    count = one(rc, "rs-param-count")
    total = len(S.parameter_table())
    assert text_of(count) == f"{total} of {total} parameters"
    one(rc, "rs-param-search", v.TextField).v_model = "Heller"
    shown = int(text_of(one(rc, "rs-param-count")).split()[0])
    assert 0 < shown < total
    text = page_text(rc)
    assert "Outputs: the columns of the results CSV" in text and "What the page shows" in text
    rc.close()
