"""Shared test fixtures.

Browser tests drive Debian's Chromium (``/usr/bin/chromium``, or ``RECRUITSIM_CHROMIUM``) through
Playwright: Playwright's own browser download cannot work on these machines. Without the browser the
tests are skipped with the reason, unless ``RECRUITSIM_REQUIRE_BROWSER=1`` (CI sets it): then they fail.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

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
