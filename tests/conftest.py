"""Shared fixtures: a CRN policy experiment (used by several test modules), CLI helpers, and the browser
for the app's end-to-end test.

Browser tests drive Debian's Chromium (``/usr/bin/chromium``, or ``RECRUITSIM_CHROMIUM``) through
Playwright: Playwright's own browser download cannot work on these machines. Without the browser the
tests are skipped with the reason, unless ``RECRUITSIM_REQUIRE_BROWSER=1`` (CI sets it): then they fail.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]

# Calibration: runs draw their parameters from the country's posterior (calibration/posterior.py). The
# mechanism tests check the model at its documented defaults, independently of whichever posteriors are
# shipped, so the test session runs uncalibrated unless told otherwise; tests of the calibrated profiles
# use the ``calibrated`` fixture (which restores the shipped posteriors).
os.environ.setdefault("RECRUITSIM_POSTERIORS", "off")


@pytest.fixture
def calibrated(monkeypatch):
    """Use the shipped posteriors (calibration/posteriors) in this test and its subprocesses."""
    from recruitsim.model import posteriors

    monkeypatch.delenv(posteriors.ENV, raising=False)
    posteriors._load.cache_clear()
    yield
    posteriors._load.cache_clear()

# The policy experiment: every policy kind against baseline, common random numbers.
# 30,000 agents x 4 years after a 3-year burn-in, 8 replicates: enough for each policy's paired effect
# to be many standard errors from zero (t > 5 for all checked outcomes when this was written), and
# ~20 s on 2 cores thanks to the shared burn-in. Doses are raised where the library's default
# coverage makes a national outcome move by well under 1% (the direction is what is tested).
POLICY_AGENTS, POLICY_YEARS, POLICY_BURN_IN, POLICY_REPLICATES, POLICY_SEED = 30_000, 4, 3, 8, 11
POLICY_DOSES = {"mentoring": {"coverage": 1.0, "duration": 48}, "schooling": {"coverage": 1.0}, "jobs": {"coverage": 0.5},
                "family_violence": {"coverage": 0.6}, "mass_policing": {}, "focused_deterrence": {"coverage": 0.5},
                "hotline": {}, "interdiction": {"revenue": 0.8}}
# interdiction at the low end of its 90% interval (0.80-1.15): at the evidence median (0.959, a 4% revenue cut)
# mean demand moves ~1.4%, within the noise of 8 replicates of 30k agents; the test checks the mechanism's sign


@pytest.fixture(scope="session")
def policy_runs() -> tuple[pd.DataFrame, pd.DataFrame]:
    """(monthly results, per-run outcomes) of baseline and one scenario per policy kind, 8 CRN replicates."""
    from recruitsim.scenarios import library, summary
    from recruitsim.scenarios.engine import Engine
    from recruitsim.scenarios.runner import Unit
    from recruitsim.scenarios.sweep import run_task

    scenarios = [library.parse({}, "tests", "baseline")] + [
        library.parse({"policy": [{"kind": k, **dose}]}, "tests", k) for k, dose in POLICY_DOSES.items()]
    # point effects (the evidence medians): the test checks each mechanism's direction; drawn effect sets may
    # legitimately reach no effect (most 90% intervals include 1), which is what compare's intervals carry
    tasks = [tuple(Unit(sc, r, "LAC", POLICY_AGENTS, POLICY_YEARS, POLICY_BURN_IN, POLICY_SEED, effects="point") for sc in scenarios)
             for r in range(POLICY_REPLICATES)]
    dfs = []
    with Engine(workers=2) as eng:
        for _, res in eng.map(run_task, tasks):
            dfs.extend(res)
    df = pd.concat(dfs, ignore_index=True)
    return df, summary.per_run(df)


def cli_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("RECRUITSIM_PROGRESS", None)
    return env


def run_cli(*args: str, cwd: Path | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """The real command line in a subprocess (exit codes and stderr exactly as a user sees them)."""
    return subprocess.run([sys.executable, "-m", "recruitsim", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, env=cli_env(), timeout=timeout)


def _terminal_signals() -> None:
    """In the child: Ctrl-C as in a terminal. A test process (an xdist worker, or one whose earlier test started a
    server) may ignore SIGINT, and an ignored SIGINT is inherited: Python then never raises KeyboardInterrupt."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def popen_cli(*args: str, **kw) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "recruitsim", *map(str, args)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=cli_env(), start_new_session=True,
                            preexec_fn=_terminal_signals, **kw)


# ---- the app's browser test ------------------------------------------------------------------------------
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]


def chromium_path() -> str | None:
    for candidate in (os.environ.get("RECRUITSIM_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium"),
                      shutil.which("chromium-browser")):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def need_browser() -> str:
    """The Chromium to use, or skip (fail when RECRUITSIM_REQUIRE_BROWSER=1) with the reason."""
    path = chromium_path()
    if path is None:
        reason = ("Chromium not found (install Debian's: apt-get install -y chromium; or set RECRUITSIM_CHROMIUM); "
                  "the browser test needs it")
        if os.environ.get("RECRUITSIM_REQUIRE_BROWSER") == "1":
            pytest.fail(reason + " and RECRUITSIM_REQUIRE_BROWSER=1", pytrace=False)
        pytest.skip(reason)
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        reason = "playwright is not installed (pip install -e '.[test]')"
        if os.environ.get("RECRUITSIM_REQUIRE_BROWSER") == "1":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    return path


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """pytest-playwright (and Solara's page_session): launch Debian's Chromium headless, offline-friendly."""
    return {**browser_type_launch_args, "executable_path": need_browser(), "headless": True, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


# ---- a real `recruitsim app` server on a free port -------------------------------------------------------
def start_app(*args: str, timeout: float = 120):
    """Start `recruitsim app --port P` and wait until it answers; returns (process, port, first page body)."""
    import socket
    import time
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "recruitsim", "app", "--port", str(port), *args], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=cli_env())
    tic = time.time()
    while True:
        assert proc.poll() is None, proc.stderr.read()
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as r:
                assert r.status == 200
                return proc, port, r.read().decode()
        except OSError:
            if time.time() - tic > timeout:
                proc.kill()
                raise AssertionError("the app did not start") from None
            time.sleep(0.3)


def stop_app(proc) -> str:
    """Stop a server from start_app; returns its stderr."""
    proc.terminate()
    try:
        _, err = proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
    return err
