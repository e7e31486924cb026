"""`recruitsim calibrate`, `recruitsim profiles` and `recruitsim trial` as a user runs them."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def cli(*args, env=None, timeout=600):
    e = dict(os.environ)
    e.pop("RECRUITSIM_PROGRESS", None)
    e.pop("RECRUITSIM_POSTERIORS", None)  # the shipped posteriors, unless a test says otherwise
    e.update(env or {})
    return subprocess.run([sys.executable, "-m", "recruitsim", *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT, env=e, timeout=timeout)


def test_profiles_reads_committed_summaries_and_never_simulates(monkeypatch, calibrated):
    from recruitsim.calibration import posterior
    from recruitsim.model import model as model_mod

    def refuse(*a, **k):
        raise AssertionError("profiles must not simulate")

    monkeypatch.setattr(model_mod.RecruitmentModel, "__init__", refuse)
    summary = posterior.profiles_summary()
    assert len(summary["profiles"]) == 25 and summary["coverage"]["calibrated_profiles"] == 25


def test_profiles_json_shape():
    r = cli("profiles", "--json")
    assert r.returncode == 0, r.stderr
    s = json.loads(r.stdout)
    assert [p["country"] for p in s["profiles"]][0] == "LAC" and len(s["profiles"]) == 25
    for p in s["profiles"]:
        assert set(p) >= {"country", "calibrated", "targets", "trajectory"} and isinstance(p["calibrated"], bool)
        assert p["trajectory"] and all(b["bounds"][0] < b["low"] <= b["high"] < b["bounds"][1] for b in p["trajectory"])
        for t in p["targets"]:
            assert set(t) >= {"name", "observed", "low", "high", "covered"}
            if p["calibrated"]:
                assert t["low"] <= t["high"] and isinstance(t["covered"], bool)
                obs = t["observed"] if isinstance(t["observed"], list) else [t["observed"]] * 2
                assert t["covered"] == (t["low"] <= obs[1] and t["high"] >= obs[0])
            else:
                assert t["low"] is None and t["covered"] is None
    pooled = {p["country"] for p in s["profiles"] if p.get("pooled")}
    assert pooled == {"PRY", "TTO"}, pooled  # the shipped stage-2 (hierarchical prior) posteriors
    held = [e for p in s["profiles"] for e in p.get("out_of_sample", [])]
    assert held and all(set(e) >= {"name", "year", "observed", "low", "high", "covered", "forecast"} for e in held)
    for e in held:  # the forecast interval holds the predictive one, and each says whether it covers
        f, obs = e["forecast"], e["observed"] if isinstance(e["observed"], list) else [e["observed"]] * 2
        assert f["low"] <= e["low"] * 1.001 and f["high"] >= e["high"] * 0.999 and f["years_after"] == e["year"] - 2019
        assert f["covered"] == (f["low"] <= obs[1] and f["high"] >= obs[0])
    total = s["out_of_sample"]
    assert total["observations"] == len(held) and total["covered"] == sum(e["covered"] for e in held)
    assert total["forecast"]["covered"] == sum(e["forecast"]["covered"] for e in held) >= total["covered"]
    r = cli("profiles")
    assert r.returncode == 0 and "targets covered" in r.stdout
    assert (f"{total['covered']}/{total['observations']} later observations inside the 90% predictive interval, "
            f"{total['forecast']['covered']}/{total['observations']} inside the 90% forecast interval") in r.stdout


@pytest.mark.parametrize("args, words", [
    (["calibrate"], "--country"),
    (["calibrate", "--country", "XYZ"], "unknown country"),
    (["calibrate", "--country", "HND", "--budget", "5"], "--budget"),
    (["calibrate", "--country", "HND", "--budget", "150", "--particles", "100"], "--budget"),
    (["calibrate", "--country", "HND", "--workers", "0"], "--workers"),
    (["calibrate", "--country", "HND", "--workers", "2", "--dask-local", "2"], "not allowed with"),
    (["calibrate", "--country", "HND", "--out", "/proc/forbidden/dir"], "--out"),
    (["trial", "jobs"], "mentoring"),
    (["trial", "mentoring", "--share", "1.5"], "--share"),
])
def test_bad_arguments_exit_2_with_one_line(args, words):
    r = cli(*args)
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0] and "Traceback" not in r.stderr


def test_calibrate_end_to_end_small(tmp_path):
    r = cli("calibrate", "--country", "TTO", "--budget", "24", "--particles", "8", "--predictive", "4", "--agents", "5000",
            "--years", "1", "--burn-in", "1", "--workers", "2", "--out", tmp_path, "--json", "--quiet")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["country"] == "TTO" and out["simulations"] == 24
    assert [t["name"] for t in out["targets"]] == ["homicide_rate", "incarceration_rate", "male_share_victims",
                                                    "group_share_homicides", "members", "members_trend",
                                                    "homicide_trend"]
    for f in ("posteriors/TTO.csv", "posteriors/TTO.json", "reports/TTO.md", "reports/TTO.png", "reports/TTO_predictive.csv"):
        assert (tmp_path / f).exists(), f
    # the new posterior is picked up by runs through RECRUITSIM_POSTERIORS
    r = cli("profiles", "--json", env={"RECRUITSIM_POSTERIORS": str(tmp_path / "posteriors")})
    tto = next(p for p in json.loads(r.stdout)["profiles"] if p["country"] == "TTO")
    assert tto["calibrated"] and tto["targets"][0]["low"] is not None
    # reproducible for a seed, on any engine
    r2 = cli("calibrate", "--country", "TTO", "--budget", "24", "--particles", "8", "--predictive", "0", "--agents", "5000",
             "--years", "1", "--burn-in", "1", "--dask-local", "2", "--out", tmp_path / "again", "--json", "--quiet",
             "--no-report")
    assert r2.returncode == 0, r2.stderr
    a = (tmp_path / "posteriors" / "TTO.csv").read_text()
    b = (tmp_path / "again" / "posteriors" / "TTO.csv").read_text()
    assert a == b


def test_trial_cli_prints_the_published_effect():
    r = cli("trial", "mentoring", "--replicates", "1", "--agents", "5000", "--workers", "1", "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["published"]["total_arrests"] == [-0.35, -0.28]
    assert out["total_arrests"]["effect"] < 0
