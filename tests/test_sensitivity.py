"""``recruitsim sensitivity``: SALib wiring on a known function, then a small real run through the CLI."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recruitsim.cli.main import main
from recruitsim.scenarios import sensitivity
from recruitsim.scenarios.designs import Factor


def linear_factors():
    return [Factor("a", 0.0, 1.0), Factor("b", 10.0, 20.0), Factor("c", 1.0, 100.0, log=True)]


def test_sobol_indices_of_a_known_function():
    """y = 4a + 0.1 b + 0 c on uniform inputs: S1 = ST = (16/12, 1/12, 0) / (17/12) = 0.941, 0.059, 0."""
    fs = linear_factors()
    u, x = sensitivity.sample(fs, "sobol", 512, seed=3)
    assert u.shape == (512 * 5, 3) and (x[:, 1] >= 10).all() and (x[:, 2] <= 100).all()
    y = 4 * x[:, 0] + 0.1 * x[:, 1]
    t = sensitivity.analyse(fs, "sobol", u, y, seed=3).set_index("parameter")
    assert list(t.index) == ["a", "b", "c"]  # sorted by total index
    assert t.loc["a", "ST"] == pytest.approx(16 / 17, abs=0.03) and t.loc["a", "S1"] == pytest.approx(16 / 17, abs=0.05)
    assert t.loc["b", "ST"] == pytest.approx(1 / 17, abs=0.02)
    assert abs(t.loc["c", "ST"]) < 0.01


def test_morris_ranks_a_known_function():
    fs = linear_factors()
    u, x = sensitivity.sample(fs, "morris", 20, seed=1)
    assert u.shape == (20 * 4, 3)
    y = 4 * x[:, 0] + 0.1 * x[:, 1] + 0 * x[:, 2]
    t = sensitivity.analyse(fs, "morris", u, y, seed=1).set_index("parameter")
    assert list(t.index) == ["a", "b", "c"]
    # elementary effects are per full range: a moves y by 4 over its range, b by 0.1 x 10 = 1
    assert t.loc["a", "mu_star"] == pytest.approx(4.0) and t.loc["b", "mu_star"] == pytest.approx(1.0)
    assert t.loc["c", "mu_star"] == 0


def test_parse_params():
    fs = sensitivity.parse_params(None)
    assert [f.name for f in fs] == list(sensitivity.DEFAULT_PARAMS)
    fs = sensitivity.parse_params("desistance=0.005:0.03, recruit_base_odds=1e-5:1e-3:log")
    assert (fs[0].low, fs[0].high, fs[0].log) == (0.005, 0.03, False) and fs[1].log
    for bad, word in (("nope,desistance", "unknown parameter 'nope'"), ("desistance=0.5:0.9,arrest_member", "allowed range"),
                      ("desistance", "at least 2"), ("desistance=a:b,arrest_member", "name=low:high"),
                      ("desistance,desistance", "twice")):
        with pytest.raises(sensitivity.SensitivityError, match=word):
            sensitivity.parse_params(bad)


@pytest.mark.parametrize("argv,word", [
    (["--samples", "12"], "power of 2"),
    (["--params", "nope,desistance"], "unknown parameter 'nope'"),
    (["--outcome", "happiness"], "unknown outcome 'happiness'"),
    (["--method", "fast"], "invalid choice"),
    (["--versus", "baseline"], "other than --scenario"),
])
def test_bad_sensitivity_arguments(tmp_path, capsys, argv, word):
    args = ["sensitivity", "--outcome", "recruits", "--out", str(tmp_path / "o")]
    for i in range(0, len(argv), 2):
        if argv[i] in args:
            args[args.index(argv[i]) + 1] = argv[i + 1]
        else:
            args += argv[i:i + 2]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and word in err


def test_morris_run_through_the_cli(tmp_path, capsys):
    out = tmp_path / "sens"
    args = ["sensitivity", "--outcome", "members", "--method", "morris", "--samples", "3", "--scenario", "enforcement_package",
            "--versus", "baseline", "--params", "desistance,recruit_or_presence,prison_recruitment", "--agents", "2000",
            "--years", "1", "--burn-in", "1", "--workers", "1", "--out", str(out), "--no-progress"]
    assert main(args) == 0
    cap = capsys.readouterr()
    t = pd.read_csv(out / "_sensitivity.csv")
    assert set(t.parameter) == {"desistance", "recruit_or_presence", "prison_recruitment"}
    assert list(t.mu_star) == sorted(t.mu_star, reverse=True)
    assert (out / "_sensitivity.png").read_bytes()[:4] == b"\x89PNG"
    df = pd.read_parquet(out)
    assert df.groupby(["scenario", "replicate"]).ngroups == 3 * 4 * 2  # trajectories x (D+1) points x 2 scenarios
    assert "mu_star" in cap.out and "enforcement_package - baseline" in cap.out
    # the indices are those of the paired differences enforcement_package - baseline at each point, recomputed here
    fs = sensitivity.parse_params("desistance,recruit_or_presence,prison_recruitment")
    u, x = sensitivity.sample(fs, "morris", 3, seed=1, levels=4)
    last = df.sort_values("month").groupby(["scenario", "replicate"])["members"].apply(lambda m: m.tail(12).mean())
    y = np.array([last[f"enforcement_package@{i:02d}"].mean() - last[f"baseline@{i:02d}"].mean() for i in range(len(x))])
    assert np.ptp(y) > 0
    pd.testing.assert_frame_equal(t, sensitivity.analyse(fs, "morris", u, y, seed=1, levels=4), rtol=1e-9)
    assert df.loc[df.scenario == "enforcement_package@05", "desistance"].iloc[0] == x[5, 0]
    # rerunning reuses the runs on disk
    assert main(args) == 0
    assert "resuming: 24 already done" in capsys.readouterr().err
