"""Shared fixtures: a CRN policy experiment (used by several test modules) and CLI helpers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]

# The policy experiment: every policy kind against baseline, common random numbers.
# 30,000 agents x 4 years after a 3-year burn-in, 8 replicates: enough for each policy's paired effect
# to be many standard errors from zero (t > 5 for all checked outcomes when this was written), and
# ~20 s on 2 cores thanks to the shared burn-in. Doses are raised where the library's default
# coverage makes a national outcome move by well under 1% (the direction is what is tested).
POLICY_AGENTS, POLICY_YEARS, POLICY_BURN_IN, POLICY_REPLICATES, POLICY_SEED = 30_000, 4, 3, 8, 11
POLICY_DOSES = {"mentoring": {"coverage": 1.0, "duration": 48}, "schooling": {"coverage": 1.0}, "jobs": {"coverage": 0.5},
                "family_violence": {"coverage": 0.6}, "mass_policing": {}, "focused_deterrence": {"coverage": 0.5},
                "hotline": {}, "interdiction": {}}


@pytest.fixture(scope="session")
def policy_runs() -> tuple[pd.DataFrame, pd.DataFrame]:
    """(monthly results, per-run outcomes) of baseline and one scenario per policy kind, 8 CRN replicates."""
    from scenarios import library, summary
    from scenarios.engine import Engine
    from scenarios.runner import Unit
    from scenarios.sweep import run_task

    scenarios = [library.parse({}, "tests", "baseline")] + [
        library.parse({"policy": [{"kind": k, **dose}]}, "tests", k) for k, dose in POLICY_DOSES.items()]
    tasks = [tuple(Unit(sc, r, "LAC", POLICY_AGENTS, POLICY_YEARS, POLICY_BURN_IN, POLICY_SEED) for sc in scenarios)
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
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def run_cli(*args: str, cwd: Path | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """The real command line in a subprocess (exit codes and stderr exactly as a user sees them)."""
    return subprocess.run([sys.executable, "-m", "scenarios.cli", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, env=cli_env(), timeout=timeout)


def popen_cli(*args: str, **kw) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "scenarios.cli", *map(str, args)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=cli_env(), start_new_session=True, **kw)
