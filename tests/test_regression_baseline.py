"""Regression baseline (as Starsim does): a fixed small run must reproduce stored figures exactly.

Any change to the model's behaviour, intended or not, shows up here. When a change is intended,
regenerate the file and commit it with the change:

    python -m tests.test_regression_baseline --update
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from recruitsim.model import Policy, RecruitmentModel

PATH = Path(__file__).with_name("baseline") / "LAC_20k.json"
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


def test_fixed_run_reproduces_the_stored_baseline():
    stored = json.loads(PATH.read_text())
    now = figures()
    diffs = [f"{sc}.{k}: stored {stored[sc][k]}, now {v}" for sc in now for k, v in now[sc].items()
             if not np.isclose(v, stored[sc][k], rtol=1e-9, atol=1e-9)]
    assert not diffs, "model behaviour changed (if intended: python -m tests.test_regression_baseline --update):\n" + "\n".join(diffs)


if __name__ == "__main__":
    if "--update" in sys.argv:
        PATH.parent.mkdir(exist_ok=True)
        PATH.write_text(json.dumps(figures(), indent=1) + "\n")
        print(f"wrote {PATH}")
