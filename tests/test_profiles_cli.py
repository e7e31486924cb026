"""Country profiles, the parameter table in docs/, and the `recruitsim run` command."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from recruitsim.model import RecruitmentModel, all_codes, get_profile
from recruitsim.model.params import PARAMETERS, markdown_table
from recruitsim.model.policies import POLICY_PARAMETERS, policy_markdown_table

ROOT = Path(__file__).resolve().parents[1]


def test_every_profile_builds_and_runs():
    codes = all_codes()
    assert len(codes) == 25 and codes[0] == "LAC"
    for code in codes:
        prof = get_profile(code)
        assert 0.2 < prof.youth_share < 0.5 and prof.population > 1e5
        assert "homicide_rate" in prof.targets
        t = prof.targets["homicide_rate"]
        assert t.low <= t.high
        m = RecruitmentModel(code, n_agents=2_000, years=1, burn_in_years=0.5, rng=1, collect=False)
        df = m.run()
        assert len(df) == 12 and np.isfinite(df["members"]).all()
        # matched-by-construction inputs come from the profile's data (or the recorded regional fallback)
        assert m.p.neet_rate == pytest.approx(prof.overrides["neet_rate"])


def test_profiles_carry_conflicting_sources_as_ranges():
    mex = get_profile("MEX").targets["homicide_rate"]
    assert (mex.low, mex.high) == (19.3, 25.6)  # InSight Crime vs UNODC/INEGI
    assert get_profile("LAC").targets["homicide_rate"].high == 20.2
    assert "completion_rate" in get_profile("JAM").fallbacks  # Jamaica has no completion figure


def test_docs_parameter_table_is_generated_from_the_code():
    text = (ROOT / "docs" / "parameters.md").read_text()
    assert markdown_table() in text and policy_markdown_table() in text
    for name in list(PARAMETERS) + list(POLICY_PARAMETERS):
        assert f"`{name}`" in text


def _cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "recruitsim", *args], capture_output=True, text=True, cwd=cwd or ROOT,
                          timeout=300)


def test_run_json_summary_and_files(tmp_path):
    r = _cli("run", "--agents", "5000", "--years", "2", "--burn-in", "1", "--seed", "3", "--json", "--out", str(tmp_path))
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout.strip().splitlines()[-1])
    for key in ("agents", "months", "seconds", "agent_steps_per_second", "recruits_per_year", "members",
                "member_prevalence_per_1000_youth", "homicide_rate_per_100k", "male_share_of_homicide_victims",
                "incarceration_rate_per_100k", "median_age_at_joining"):
        assert key in summary, key
    assert summary["agents"] == 5000 and summary["months"] == 24 and summary["agent_steps_per_second"] > 0
    df = pd.read_parquet(tmp_path / "results.parquet")
    assert len(df) == 24 and df.equals(pd.read_csv(tmp_path / "results.csv")[df.columns].astype(df.dtypes.to_dict()))


@pytest.mark.parametrize("args, words", [
    (["--agents", "-5"], "--agents"), (["--agents", "lots"], "--agents"), (["--years", "0"], "--years"),
    (["--country", "XYZ"], "unknown country"), (["--seed", "-1"], "--seed"), (["--scenario", "nope"], "unknown scenario"),
    (["--out", "/proc/forbidden/dir"], "--out"),
])
def test_run_bad_arguments_exit_2_with_one_line(args, words):
    r = _cli("run", *args)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0] and "Traceback" not in r.stderr
