"""Posterior draws for runs (deterministic per replicate), runner integration, shipped posteriors."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from recruitsim.calibration import posterior, targets
from recruitsim.calibration.priors import PriorBox, calibrated_names, prior_of
from recruitsim.model import posteriors
from recruitsim.model.profiles import all_codes

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "calibration" / "posteriors"


@pytest.fixture
def fake_posteriors(tmp_path, monkeypatch):
    """A posterior for HND in a temporary directory, selected through RECRUITSIM_POSTERIORS."""
    names = calibrated_names([t.name for t in targets.for_profile("HND")])
    box = PriorBox(names)
    rng = np.random.default_rng(0)
    x = box.sample(rng, 20)
    frame = pd.DataFrame([{"particle": i, "weight": w, **box.values(xi), "distance": 0.1}
                          for i, (xi, w) in enumerate(zip(x, rng.random(20) + 0.1, strict=True))])
    frame.to_csv(tmp_path / "HND.csv", index=False)
    (tmp_path / "HND.json").write_text(json.dumps({"parameters": {n: prior_of(n).label for n in names},
                                                   "targets": [], "settings": {}}))
    monkeypatch.setenv(posterior.ENV, str(tmp_path))
    posteriors._load.cache_clear()
    yield frame, names
    posteriors._load.cache_clear()


def test_draws_are_deterministic_per_replicate_and_balanced(fake_posteriors):
    frame, names = fake_posteriors
    d3 = posterior.draw("HND", 3)
    assert d3 == posterior.draw("hnd", 3) and set(d3) == set(names)
    assert posterior.draw("HND", 3 + 20) == d3  # K = 20 particles: replicate r uses entry r mod K
    draws = [posterior.draw("HND", r) for r in range(20)]
    assert len({tuple(sorted(d.items())) for d in draws}) > 5
    # every draw is one of the particles, heavier particles drawn more often (systematic resampling)
    rows = {tuple(frame.loc[i, list(names)].round(12)) for i in frame.index}
    for d in draws:
        assert tuple(np.round([d[n] for n in names], 12)) in rows
    w = frame["weight"] / frame["weight"].sum()
    counts = pd.Series([next(i for i in frame.index if np.isclose(frame.loc[i, names[0]], d[names[0]])) for d in draws]).value_counts()
    for i, c in counts.items():
        assert abs(c - 20 * w[i]) <= 1.0 + 1e-9  # systematic resampling: within one of the expected count


def test_uncalibrated_unknown_or_switched_off_give_none(fake_posteriors, monkeypatch):
    assert posterior.draw("ARG", 0) is None and not posterior.is_calibrated("ARG")
    assert posterior.draw("XYZ", 0) is None
    assert posterior.params_for("ARG", 0, member_homicide=0.001) == {"member_homicide": 0.001}
    monkeypatch.setenv(posterior.ENV, "off")
    assert posterior.draw("HND", 0) is None


def test_explicit_parameters_win_over_the_draw(fake_posteriors):
    p = posterior.params_for("HND", 2, member_homicide=0.00123)
    assert p["member_homicide"] == 0.00123 and p["arrest_member"] == posterior.draw("HND", 2)["arrest_member"]
    m = posterior.calibrated_model("HND", replicate=2, n_agents=2_000, years=1, burn_in_years=0, collect=False)
    assert m.p.arrest_member == pytest.approx(posterior.draw("HND", 2)["arrest_member"])


def test_runner_merges_the_posterior_under_explicit_params(fake_posteriors, monkeypatch):
    from recruitsim.scenarios import runner

    seen = []

    class Spy:
        def __init__(self, country, params=None, **kw):
            seen.append(dict(params))

        def run(self):
            return pd.DataFrame({"month": [0]})

    monkeypatch.setattr(runner, "RecruitmentModel", Spy)
    runner.run_unit(runner.Unit("baseline", 4, country="HND", agents=1000))
    runner.run_unit(runner.Unit("mentoring", 4, country="HND", agents=1000))
    runner.run_unit(runner.Unit("baseline", 4, country="HND", agents=1000, params={"arrest_member": 0.02}))
    runner.run_unit(runner.Unit("baseline", 4, country="ARG", agents=1000))
    draw = posterior.draw("HND", 4)
    assert seen[0] == draw and seen[1] == draw  # same draw for the same replicate in every scenario (CRN)
    assert seen[2] == {**draw, "arrest_member": 0.02}
    assert seen[3] == {}  # not calibrated: the profile's defaults


def test_app_runs_and_parameter_table_use_the_posterior(fake_posteriors):
    from recruitsim.app_logic import run as apprun
    from recruitsim.app_logic import state as appstate

    job = apprun.Job("HND", agents=2_000, years=1, seed=1, replicate=3, scenario="baseline")
    m = apprun.make_model(job)
    draw = posterior.draw("HND", 3)
    assert all(getattr(m.p, k) == pytest.approx(v) for k, v in draw.items())  # replicate r = draw r, as in sweeps
    table = appstate.parameter_table("HND").set_index("parameter")
    for name in draw:
        values = [posterior.draw("HND", r)[name] for r in range(100)]
        assert table.loc[name, "in HND"].startswith(f"{np.median(values):.4g} (")
        assert table.loc[name, "source"].startswith("calibrated to HND")
    assert not appstate.parameter_table("ARG")["source"].str.startswith("calibrated").any()


# ---- the shipped posteriors --------------------------------------------------------------------------
def _shipped() -> list[str]:
    return sorted(p.stem for p in SHIPPED.glob("*.json"))


def test_every_profile_is_calibrated_on_the_current_targets():
    """Every profile (the region and the 24 countries) ships a posterior, and every one was fitted to its
    profile's current targets (with the stationarity conditions): see docs/calibration.md, 'Which profiles
    are calibrated'."""
    from recruitsim.model.profiles import all_codes

    codes = _shipped()
    assert set(all_codes()) == set(codes), sorted(set(all_codes()) ^ set(codes))
    for code in codes:
        names = [t["name"] for t in json.loads((SHIPPED / f"{code}.json").read_text())["targets"]]
        assert {"members_trend", "homicide_trend"} <= set(names), code


@pytest.mark.parametrize("code", _shipped())
def test_shipped_posterior_is_consistent(code):
    meta = json.loads((SHIPPED / f"{code}.json").read_text())
    frame = pd.read_csv(SHIPPED / f"{code}.csv")
    names = list(meta["parameters"])
    assert tuple(names) == calibrated_names([t.name for t in targets.for_profile(code)])
    assert len(frame) == meta["kept"] >= 50 and frame["weight"].gt(0).all()
    for n in names:
        p = prior_of(n)
        assert frame[n].between(p.low, p.high).all(), n
    assert meta["settings"]["agents"] >= 20_000 and meta["simulations"] <= meta["budget"]
    # the fit summary covers exactly the profile's targets, with a 90% interval each
    tnames = [t["name"] for t in meta["targets"]]
    assert tnames == [t.name for t in targets.for_profile(code)]
    for t in meta["targets"]:
        assert t["low"] <= t["median"] <= t["high"]
    assert (ROOT / "calibration" / "reports" / f"{code}.md").exists()
    assert (ROOT / "calibration" / "reports" / f"{code}.png").stat().st_size < 200_000
    assert (SHIPPED / f"{code}.csv").stat().st_size < 100_000


def test_shipped_fit_covers_at_least_80_percent_of_targets(calibrated):
    s = posterior.profiles_summary()
    assert [p["country"] for p in s["profiles"]] == all_codes()
    c = s["coverage"]
    assert c["targets"] > 0 and c["covered"] / c["targets"] >= 0.8, c


def test_run_command_uses_draw_0_and_says_so(calibrated):
    from .conftest import run_cli

    out = run_cli("run", "--country", "LAC", "--agents", "3000", "--years", "1", "--json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1])["calibrated"] is True
    text = run_cli("run", "--country", "LAC", "--agents", "3000", "--years", "1")
    assert "draw 0 of the calibrated posterior" in text.stdout
