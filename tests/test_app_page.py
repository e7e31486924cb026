"""The page, rendered without a browser (``solara.render``): controls, validation messages, a run, results."""

from __future__ import annotations

import re
import time

import ipyvuetify as v
import ipywidgets
import pytest
import solara
from solara.components.echarts import EchartsWidget

from recruitsim import app
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


def small_run(rc, kind="mentoring", reps="2"):
    one(rc, f"rs-switch-{kind}", v.Switch).v_model = True
    set_input(rc, "agents", "2000")
    set_input(rc, "years", "2")
    set_input(rc, "replicates", reps)
    run = one(rc, "rs-run", v.Btn)
    assert not run.disabled
    run.click()


def test_first_view_explains_what_to_do():
    box, rc = solara.render(app.Page(), handle_error=False)
    text = page_text(rc)
    assert "How to use it" in text and "press Run" in text
    # nothing switched on yet: Run is disabled and the page says why
    assert one(rc, "rs-run", v.Btn).disabled
    problems = [text_of(w) for w in by_class(rc, "rs-problem")]
    assert problems == ["Switch on at least one policy to compare it with the baseline."]
    assert len(by_class(rc, "rs-switch-mentoring", v.Switch)) == 1 and len(by_class(rc, "rs-switch-interdiction", v.Switch)) == 1
    charts = [w for w in widgets(rc) if isinstance(w, EchartsWidget)]
    assert len(charts) == 1 and charts[0].option == {}  # no empty charts before a run (one invisible: preloads ECharts)
    rc.close()


def test_out_of_range_inputs_show_a_message_and_block_run():
    box, rc = solara.render(app.Page(), handle_error=False)
    one(rc, "rs-switch-jobs", v.Switch).v_model = True
    assert not one(rc, "rs-run", v.Btn).disabled
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
    assert not one(rc, "rs-run", v.Btn).disabled
    rc.close()


def test_policy_controls_appear_when_switched_on():
    box, rc = solara.render(app.Page(), handle_error=False)
    assert "Who is enrolled first" not in page_text(rc)
    one(rc, "rs-switch-mentoring", v.Switch).v_model = True
    text = page_text(rc)
    assert "Coverage: 30%" in text and "Who is enrolled first" in text and "Active from year 0 to year 10" in text
    slider = next(w for w in widgets(rc) if isinstance(w, v.Slider) and "Coverage" in str(w.label))
    slider.v_model = 55
    assert "Coverage: 55%" in page_text(rc)
    span = next(w for w in widgets(rc) if isinstance(w, v.RangeSlider))
    span.v_model = [2, 6]
    assert "Active from year 2 to year 6" in page_text(rc)
    # shortening the run below the policy's start: explained, and Run waits; lengthening it again fixes it
    set_input(rc, "years", "2")
    assert one(rc, "rs-run", v.Btn).disabled
    assert any("starts in year 2, when the 2-year run is over" in text_of(w) for w in by_class(rc, "rs-problem"))
    set_input(rc, "years", "4")
    assert not one(rc, "rs-run", v.Btn).disabled and "Active from year 2 to year 4" in page_text(rc)
    set_input(rc, "years", "10")
    one(rc, "rs-switch-hotline", v.Switch).v_model = True
    assert "Acts nationwide." in page_text(rc)
    rc.close()


def test_library_preset_switches_its_policies_on():
    box, rc = solara.render(app.Page(), handle_error=False)
    select = next(w for w in widgets(rc) if isinstance(w, v.Select) and "library scenario" in str(w.label))
    label = next(item for item in select.items if item.endswith("(prevention_package)"))
    select.v_model = label
    on = {k for k in S.POLICY_LABELS if one(rc, f"rs-switch-{k}", v.Switch).v_model}
    assert on == {"mentoring", "schooling", "jobs", "family_violence"}
    assert not one(rc, "rs-run", v.Btn).disabled
    rc.close()


def test_run_fills_charts_maps_headline_table_and_download():
    box, rc = solara.render(app.Page(), handle_error=False)
    small_run(rc)
    wait_for(lambda: done(rc), what="the run to finish")
    assert "Done: 2 replicate(s) of baseline and scenario" in status(rc)
    text = page_text(rc)
    assert "Scenario: Mentoring / CBT (Becoming a Man) (30% of eligible youths)" in text
    # four trend charts with baseline and scenario data for both years
    charts = [w for w in widgets(rc) if isinstance(w, EchartsWidget)]
    trends = [c for c in charts if c.option["series"][0]["type"] == "line"]
    maps = [c for c in charts if c.option["series"][0]["type"] == "heatmap"]
    assert len(trends) == 4 and len(maps) == 4
    for c in trends:
        base, scen = c.option["series"][0]["data"], c.option["series"][3]["data"]
        assert len(base) == 2 and all(x is not None for x in base + scen), c.option["series"][0]["name"]
    members = next(c for c in trends if "thousand members" in c.option["yAxis"]["name"])
    assert members.option["series"][0]["data"][0] > 0
    assert all(len(m.option["series"][0]["data"]) == 256 for m in maps)  # a 16x16 grid at every size
    # headline changes against baseline, over both replicates
    wait_for(lambda: len(by_class(rc, "rs-headline", v.Card)) >= 3, timeout=10, what="three headline changes")
    assert all("2 replicates" in text_of(c) for c in by_class(rc, "rs-headline", v.Card))
    # the cost-effectiveness card: the table if the economics module is installed, else a clear note
    cost = one(rc, "rs-cost", v.Card)
    try:
        import recruitsim.economics.cea  # noqa: F401
    except ImportError:
        assert "not installed in this version" in text_of(cost)
    else:
        from recruitsim.economics.cea import COLUMN_HELP

        (table,) = html_with_class(rc, "rs-cost-table")
        assert '<tr class="rs-row-incremental_cost">' in table.unsafe_innerHTML
        assert f'title="{COLUMN_HELP["incremental_cost"]}"' in table.unsafe_innerHTML.replace("&#x27;", "'")
        assert "<th" in table.unsafe_innerHTML and ">mentoring</th>" in table.unsafe_innerHTML
    # downloads
    downloads = [w for w in widgets(rc) if "Download the monthly results (CSV)" in text_of(w) and isinstance(w, v.Btn)]
    assert downloads
    rc.close()


def test_stop_keeps_what_finished():
    box, rc = solara.render(app.Page(), handle_error=False)
    one(rc, "rs-switch-jobs", v.Switch).v_model = True
    set_input(rc, "agents", "3000")
    set_input(rc, "years", "30")
    set_input(rc, "replicates", "3")
    one(rc, "rs-run", v.Btn).click()
    wait_for(lambda: by_class(rc, "rs-stop", v.Btn), what="the Stop button")
    one(rc, "rs-stop", v.Btn).click()
    wait_for(lambda: "Stopped" in status(rc), timeout=30, what="the run to stop")
    assert not by_class(rc, "rs-stop", v.Btn) and not one(rc, "rs-run", v.Btn).disabled
    rc.close()


def test_settings_changed_after_a_run_are_flagged():
    box, rc = solara.render(app.Page(), handle_error=False)
    small_run(rc, reps="1")
    wait_for(lambda: done(rc), what="the run to finish")
    assert "changed the settings" not in status(rc)
    set_input(rc, "seed", "9")
    wait_for(lambda: "You have changed the settings since: press Run to update." in status(rc), timeout=10,
             what="the stale-results note")
    rc.close()


def test_sessions_do_not_share_state():
    box1, rc1 = solara.render(app.Page(), handle_error=False)
    box2, rc2 = solara.render(app.Page(), handle_error=False)
    one(rc1, "rs-switch-mentoring", v.Switch).v_model = True
    set_input(rc1, "agents", "50")
    assert one(rc2, "rs-switch-mentoring", v.Switch).v_model is False
    assert one(rc2, "rs-input-agents", v.TextField).v_model == "20000"
    small_run(rc2, kind="jobs", reps="1")
    wait_for(lambda: done(rc2), what="the second session's run")
    assert not by_class(rc1, "rs-cost") and "How to use it" in page_text(rc1)
    rc1.close()
    rc2.close()


def test_parameters_tab_searches_meaning_and_source():
    box, rc = solara.render(app.Page(), handle_error=False)
    count = one(rc, "rs-param-count")
    total = len(S.parameter_table())
    assert text_of(count) == f"{total} of {total} parameters"
    one(rc, "rs-param-search", v.TextField).v_model = "PROTON-OC"
    shown = int(text_of(one(rc, "rs-param-count")).split()[0])
    assert 0 < shown < total
    text = page_text(rc)
    assert "Outputs: the columns of the results CSV" in text and "What the page shows" in text
    rc.close()
