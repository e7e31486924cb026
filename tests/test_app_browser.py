"""End to end in a real headless Chromium: the served app ranks several options at once, a link reproduces a
comparison, and an uploaded scenario file joins it.

Starts ``solara run app.py --production`` on a free port (as ``recruitsim app`` does), drives Debian's
Chromium with Playwright, measures the time from pressing Run to the first ranking and to all replicates
(written to ``tests/artifacts/app_latency.json``), and saves the screenshots ``docs/app-screenshot.png`` (the
default comparison) and ``docs/app-link-upload.png`` (a comparison from a link, with an uploaded scenario).
"""

from __future__ import annotations

import csv
import io
import json
import os
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
WAIT_BEFORE_RUN = 8.0  # seconds between opening the page and pressing Run
UPLOAD = """name = "Uploaded mix"
description = "Mentoring for half the eligible boys plus jobs for 30% of NEET youths"

[[policy]]
kind = "mentoring"
coverage = 0.5

[[policy]]
kind = "jobs"
coverage = 0.3
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(artifacts):
    """The app served by Solara in production mode, as a user would run it."""
    port = free_port()
    log_path = artifacts / "app_server.log"
    log = open(log_path, "w")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "solara", "run", "app.py", "--production", "--host", "127.0.0.1",
                             "--port", str(port), "--no-open"], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}/"
    tic = time.time()
    try:
        while True:
            if proc.poll() is not None:
                pytest.fail(f"the app server exited with code {proc.returncode}:\n{log_path.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(url, timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.time() - tic > 120:
                pytest.fail(f"the app server did not answer within 120 s:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
    text = log_path.read_text()
    assert "Could not load URL" not in text, "the page asked the server for an asset from the internet"
    assert "Traceback" not in text, text[-3000:]


@pytest.fixture(scope="module")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1440, "height": 1000}, "accept_downloads": True}


def ranked_rows(page) -> list[dict]:
    """The ranking's option rows (not the baseline): label, rank, homicides cell."""
    rows = []
    for tr in page.locator(".rs-rank tbody tr").all():
        if "rs-rank-baseline" in (tr.get_attribute("class") or ""):
            continue
        rows.append({"label": tr.locator(".rs-rank-option").inner_text(), "rank": tr.locator(".rs-rank-n").inner_text(),
                     "homicides": tr.locator(".rs-cell-homicides_averted").inner_text(),
                     "net": tr.locator(".rs-cell-net_benefit").inner_text()})
    return rows


def has_interval(cell: str) -> bool:
    return " to " in cell  # "19,900 to 144,000" under the figure (or under "no clear effect")


def test_default_comparison_ranks_four_options_with_intervals(server, page, artifacts):
    outside = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(server) and r.url.startswith("http") else None)
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(server)
    run = page.locator(".rs-run")
    run.wait_for(timeout=60_000)
    assert "recruitsim" in page.title().lower()
    assert page.locator(".rs-problem").count() == 0 and not run.is_disabled()  # Run works at once

    time.sleep(WAIT_BEFORE_RUN)  # a user reads the page: the workers start and the default baselines are computed
    clicked = time.perf_counter()
    run.click()  # nothing else touched
    page.locator(".rs-ranking table").wait_for(timeout=300_000)
    first = time.perf_counter() - clicked
    page.locator(".rs-status-done").wait_for(timeout=600_000)
    done = time.perf_counter() - clicked
    status = page.locator(".rs-status-done").inner_text()
    assert "Done: 5 replicate(s)" in status
    time.sleep(1)
    rows = ranked_rows(page)
    assert len(rows) >= 4, rows
    assert all(has_interval(r["homicides"]) and has_interval(r["net"]) for r in rows), rows
    assert "5 replicates" in page.locator(".rs-basis").inner_text() and "20,000 simulated youths" in page.locator(".rs-basis").inner_text()
    assert page.locator(".rs-plane canvas").count() == 1 and page.locator(".rs-chart canvas").count() == 4
    assert "?" in page.url and "options=" in page.url  # the settings are in the address bar

    page.set_viewport_size({"width": 1440, "height": 2300})
    time.sleep(1)
    page.screenshot(path=str(DOCS / "app-screenshot.png"))  # before the download scrolls the page
    with page.expect_download() as dl:
        page.get_by_text("Download the ranking (CSV)").click()
    assert "partial" not in dl.value.suggested_filename
    table = list(csv.DictReader(io.StringIO(Path(dl.value.path()).read_text())))
    assert len(table) == 5 and {r["complete"] for r in table} == {"True"}

    app_first = float(status.split("first results after ")[1].split(" s")[0]) if "first results after" in status else None
    record = {"wait_before_run_s": WAIT_BEFORE_RUN, "run_to_first_results_s": round(first, 2), "run_to_all_replicates_s": round(done, 2),
              "app_reported_first_results_s": app_first, "options": [r["label"] for r in rows],
              "settings": "LAC, 20,000 youths, 10 years (+5 burn-in), 5 replicates, the 4 default options",
              "load_average": os.getloadavg(), "status": status}
    (artifacts / "app_latency.json").write_text(json.dumps(record, indent=2))
    print("\napp latency:", json.dumps(record))

    budget_portfolio_and_map(page)
    assert not errors, errors
    assert not outside, f"the page reached outside the app server (must work offline): {outside[:5]}"


def budget_portfolio_and_map(page) -> None:
    """On the finished default run: a lever set by budget shows its coverage and participants, the portfolio button
    gives a result, the region's map is drawn; screenshot ``docs/app-budget-map.png``."""
    assert page.locator(".rs-region-map canvas").count() == 1  # the map of the region's countries
    page.get_by_text("Build your own package, or upload one").click()
    page.locator(".rs-switch-mentoring label").click()
    before = page.locator(".rs-terms-mentoring").inner_text()
    assert "30.0% of eligible youths" in before and "participants at a time" in before and "USD" in before
    page.locator(".rs-mode-mentoring").get_by_text("Budget (USD)").click()
    box = page.locator(".rs-amount-mentoring input")
    box.fill("500 m")
    box.press("Enter")
    page.locator(".rs-terms-mentoring", has_text="USD 500 m a year").wait_for(timeout=20_000)
    after = page.locator(".rs-terms-mentoring").inner_text()
    assert "30.0%" not in after and "of eligible youths" in after and "participants at a time" in after, after
    page.locator(".rs-budget-input input").fill("50 bn")
    page.locator(".rs-portfolio-run").click()
    message = page.locator(".rs-portfolio-message")
    message.wait_for(timeout=60_000)
    text = message.inner_text()
    assert "the optimiser buys" in text or text.startswith("Nothing"), text
    if "buys" in text:
        assert " to " in page.locator(".rs-portfolio-table").inner_text()  # with intervals
    page.locator(".rs-region-metric").get_by_text("Members per 1,000 youths").click()
    time.sleep(1.5)
    composite(page, DOCS / "app-budget-map.png")


def composite(page, path: Path) -> None:
    """One picture of the package editor (a lever set by budget), the portfolio and the maps: element screenshots
    side by side (the page is too long for one readable screenshot)."""
    from PIL import Image

    def shot(selector: str) -> Image.Image:
        return Image.open(io.BytesIO(page.locator(selector).first.screenshot()))

    editor, port, maps = shot(".rs-builder"), shot(".rs-portfolio"), shot(".rs-maps-row")
    gap = 12
    top = max(editor.height, port.height)
    width = max(editor.width + gap + port.width, maps.width)
    out = Image.new("RGB", (width + 2 * gap, top + maps.height + 3 * gap), "white")
    out.paste(editor, (gap, gap))
    out.paste(port, (2 * gap + editor.width, gap))
    out.paste(maps, (gap, top + 2 * gap))
    out.save(path)


def test_a_link_builds_a_comparison_and_an_uploaded_scenario_joins_it(server, page, tmp_path):
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    query = urllib.parse.urlencode({"country": "HND", "agents": "20000", "years": "10", "replicates": "2", "seed": "7",
                                    "options": "hotline,jobs"})
    page.goto(f"{server}?{query}")
    page.locator(".rs-run").wait_for(timeout=60_000)
    assert page.locator(".rs-input-replicates input").input_value() == "2"
    assert "Honduras" in page.locator(".rs-country").inner_text()
    assert "2 chosen" in page.get_by_text("Options to compare").first.inner_text()
    page.locator(".rs-run").click()
    page.locator(".rs-status-done").wait_for(timeout=600_000)
    labels = [r["label"] for r in ranked_rows(page)]
    assert any("hotline" in x for x in labels) and any("Employment" in x for x in labels), labels

    # upload the same TOML file `recruitsim compare --scenarios FILE` reads
    path = tmp_path / "uploaded_mix.toml"
    path.write_text(UPLOAD)
    page.get_by_text("Build your own package, or upload one").click()
    page.locator(".rs-upload-input").set_input_files(str(path))
    page.get_by_text("Added 'Uploaded mix'").wait_for(timeout=20_000)
    page.locator(".rs-run").click()  # the previous run's "Done" stays until the new run reports: wait for this one's
    page.locator(".rs-status-done", has_text="of the baseline and 3 options").wait_for(timeout=600_000)
    time.sleep(1)
    labels = [r["label"] for r in ranked_rows(page)]
    assert "Uploaded mix" in labels and len(labels) == 3, labels
    assert "Runs this session (2)" in page.locator(".rs-history").inner_text()  # the first run is still listed
    assert "pkg=" in page.url  # the uploaded package travels in the link too
    page.set_viewport_size({"width": 1440, "height": 2300})
    time.sleep(1)
    page.screenshot(path=str(DOCS / "app-link-upload.png"))
    assert not errors, errors
