"""Regression baseline (as Starsim does): a fixed small run must reproduce stored figures exactly.

Any change to the model's behaviour, intended or not, shows up here. When a change is intended,
regenerate the file and commit it with the change:

    python -m tests.test_regression_baseline --update

The figures are made at one SIMD level of numpy, ``PINNED`` (AVX2), in a subprocess with the higher levels
switched off (``NPY_DISABLE_CPU_FEATURES``): numpy's vectorised maths rounds differently with AVX-512, and
one different rounding in a random comparison changes every figure after it (on an AVX-512 machine the
unpinned run gives 1,459,313 recruits against the stored 1,522,304). Pinned, the test means the same on
every machine.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from recruitsim.model import Policy, RecruitmentModel
from recruitsim.scenarios import provenance

PATH = Path(__file__).with_name("baseline") / "LAC_20k.json"
PINNED = "X86_V3"  # numpy's SIMD level for the stored figures (AVX2, FMA3)
KEYS = ["recruits", "recruits_prison", "desisted", "homicides", "homicides_expected", "homicides_group_linked", "arrests",
        "admissions", "trafficked_new", "displaced", "completions", "dropouts"]
STOCKS = ["members", "leaders", "incarcerated", "employed", "enrolled_secondary", "controlled_share"]


def figures() -> dict[str, dict[str, float]]:
    out = {}
    for name, policies in (("baseline", []), ("mentoring+mass_policing", [Policy("mentoring"), Policy("mass_policing")])):
        m = RecruitmentModel("LAC", n_agents=20_000, years=3, burn_in_years=2, rng=1, collect=False, policies=policies)
        df = m.run()
        row = {k: float(df[k].sum()) for k in KEYS} | {k: float(df[k].iloc[-1]) for k in STOCKS}
        out[name] = {k: round(v, 6) for k, v in row.items()}
    return out


def pinned_env() -> dict[str, str] | None:
    """The environment that runs numpy at ``PINNED`` (levels above it disabled), or None if the CPU lacks it."""
    disable = provenance.simd_pin(PINNED)
    if disable is None:
        return None
    return os.environ | {"NPY_DISABLE_CPU_FEATURES": disable, "RECRUITSIM_POSTERIORS": "off"}


def pinned_figures() -> dict[str, dict[str, float]]:
    """``figures()`` computed in a subprocess at the pinned SIMD level."""
    env = pinned_env()
    if env is None:
        pytest.skip(f"this CPU lacks numpy's {PINNED} level, at which the baseline was stored")
    out = subprocess.run([sys.executable, "-m", "tests.test_regression_baseline", "--print"], env=env,
                         cwd=Path(__file__).resolve().parents[1], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_fixed_run_reproduces_the_stored_baseline():
    stored = json.loads(PATH.read_text())
    now = pinned_figures()
    diffs = [f"{sc}.{k}: stored {stored[sc][k]}, now {v}" for sc in now for k, v in now[sc].items()
             if not np.isclose(v, stored[sc][k], rtol=1e-9, atol=1e-9)]
    assert not diffs, "model behaviour changed (if intended: python -m tests.test_regression_baseline --update):\n" + "\n".join(diffs)


if __name__ == "__main__":
    if "--print" in sys.argv:  # the subprocess of pinned_figures
        print(json.dumps(figures()))
    elif "--update" in sys.argv:
        os.environ.setdefault("RECRUITSIM_POSTERIORS", "off")
        PATH.parent.mkdir(exist_ok=True)
        PATH.write_text(json.dumps(pinned_figures(), indent=1) + "\n")
        print(f"wrote {PATH}")
