"""Designs: named scenarios, grids, Latin hypercubes and Sobol' points from a TOML file."""

from __future__ import annotations

import numpy as np
import pytest

from recruitsim.scenarios import designs, library
from recruitsim.scenarios.designs import plan
from recruitsim.scenarios.library import ScenarioError
from recruitsim.scenarios.sweep import resolve_settings

from .conftest import ROOT


def write(tmp_path, text: str, name: str = "d.toml"):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_no_file_no_names_is_the_whole_library():
    p = plan()
    assert [a.label for a in p.arms] == library.names()
    assert p.arms[0].label == "baseline" and p.arms[0].reference is None
    assert all(a.reference == "baseline" for a in p.arms[1:])


def test_named_scenarios_get_the_baseline_once():
    p = plan(None, ["mentoring", "baseline", "hotline"])
    assert [a.label for a in p.arms] == ["baseline", "mentoring", "hotline"]


def test_grid_is_the_full_product_with_rounded_integers(tmp_path):
    f = write(tmp_path, """
[[policy]]
kind = "mentoring"
[design]
method = "grid"
levels = 3
[design.factors]
recruit_or_peers = [2.0, 6.0]
"mentoring.duration" = { low = 6, high = 13, levels = 4 }
recruit_base_odds = { low = 1e-4, high = 1e-2, scale = "log" }
""")
    p = plan(f)
    d = p.design
    assert d.points.shape == (3 * 4 * 3, 3)
    assert sorted(set(d.points[:, 0])) == [2.0, 4.0, 6.0]
    assert sorted(set(d.points[:, 1])) == [6.0, 8.0, 11.0, 13.0]  # linspace(6, 13, 4) rounded
    assert np.allclose(sorted(set(d.points[:, 2])), [1e-4, 1e-3, 1e-2])
    # policy settings land in the policy, parameters in params; integers stay integers
    arm = p.arm("d@35")
    assert arm.scenario.policy_specs[0]["duration"] == 13 and isinstance(arm.scenario.policy_specs[0]["duration"], int)
    assert arm.scenario.params == {"recruit_or_peers": 6.0, "recruit_base_odds": pytest.approx(1e-2)}
    # its reference: baseline at the first point with the same parameter values (duration is a policy setting)
    assert arm.reference == "baseline@26" and p.arm("baseline@26").scenario.policy_specs == []
    assert p.arm("baseline@26").scenario.params == arm.scenario.params
    # one reference per distinct parameter combination: 3 x 3 = 9 baselines + 36 points
    assert len(p.arms) == 9 + 36


def test_lhs_is_stratified_within_bounds_and_reproducible(tmp_path):
    text = """
[[policy]]
kind = "jobs"
[design]
method = "lhs"
points = 20
seed = 4
[design.factors]
"jobs.coverage" = [0.1, 0.5]
"jobs.job_finding" = [1.0, 3.0]
"""
    p = plan(write(tmp_path, text))
    x = p.design.points
    assert x.shape == (20, 2)
    for j, (lo, hi) in enumerate([(0.1, 0.5), (1.0, 3.0)]):
        assert (x[:, j] >= lo).all() and (x[:, j] <= hi).all()
        bins = np.floor((x[:, j] - lo) / (hi - lo) * 20).astype(int)
        assert sorted(bins) == list(range(20))  # one point per stratum
    assert np.array_equal(plan(write(tmp_path, text, "e.toml")).design.points, x)
    # only policy factors: every point is compared with the one plain baseline
    assert [a.label for a in p.arms[:2]] == ["baseline", "d@00"] and all(a.reference == "baseline" for a in p.arms[1:])


def test_sobol_needs_a_power_of_two_and_is_balanced(tmp_path):
    text = """
[design]
method = "sobol"
points = {n}
[design.factors]
desistance = [0.005, 0.04]
arrest_member = [0.005, 0.03]
"""
    with pytest.raises(ScenarioError, match="power of 2"):
        plan(write(tmp_path, text.format(n=24)))
    x = plan(write(tmp_path, text.format(n=32))).design.points
    assert x.shape == (32, 2)
    u = (x[:, 0] - 0.005) / 0.035
    assert np.histogram(u, bins=4, range=(0, 1))[0].tolist() == [8, 8, 8, 8]


@pytest.mark.parametrize("body,key", [
    ('method = "grid"\n[design.factors]\nnot_a_param = [1, 2]', "not_a_param"),
    ('method = "grid"\n[design.factors]\ndesistance = [0.01, 0.9]', "desistance"),
    ('method = "grid"\n[design.factors]\ndesistance = [0.03, 0.01]', "desistance"),
    ('method = "grid"\n[design.factors]\ndesistance = "wide"', "desistance"),
    ('method = "grid"\n[design.factors]\n"hotline.coverage" = [0.1, 0.5]', "hotline.coverage"),
    ('method = "grid"\n[design.factors]\n"mentoring.colour" = [0.1, 0.5]', "colour"),
    ('method = "grid"\n[design.factors]\ndesistance = { low = 0.01, high = 0.02, step = 2 }', "step"),
    ('method = "lhs"\n[design.factors]\ndesistance = [0.01, 0.02]', "points"),
    ('method = "lhs"\npoints = 8\n[design.factors]\ndesistance = { values = [0.01, 0.02] }', "values"),
    ('method = "random"\n[design.factors]\ndesistance = [0.01, 0.02]', "method"),
    ('method = "grid"\npoints = 3\n[design.factors]\ndesistance = [0.01, 0.02]', "points"),
    ('method = "grid"\nlevels = 1\n[design.factors]\ndesistance = [0.01, 0.02]', "levels"),
    ('method = "grid"\ncolour = 1\n[design.factors]\ndesistance = [0.01, 0.02]', "colour"),
    ('method = "grid"', "factors"),
    ('method = "grid"\n[design.factors]\ndemand_elasticity = { low = 0, high = 2, scale = "log" }', "log"),
])
def test_bad_designs_name_the_file_and_key(tmp_path, body, key):
    f = write(tmp_path, f'[[policy]]\nkind = "mentoring"\n\n[design]\n{body}\n')
    with pytest.raises(ScenarioError) as e:
        plan(f)
    msg = str(e.value)
    assert str(f) in msg and key in msg and "\n" not in msg


def test_sweep_table_gives_defaults_that_the_command_line_overrides(tmp_path):
    f = write(tmp_path, '[sweep]\nscenarios = ["jobs", "hotline"]\nreplicates = 4\nagents = 20000\ncountry = "hnd"\n')
    p = plan(f)
    assert [a.label for a in p.arms] == ["baseline", "jobs", "hotline"]  # the file has no policy of its own
    st = resolve_settings({"agents": 5000}, p)
    assert (st.country, st.replicates, st.agents, st.years, st.seed) == ("HND", 4, 5000, 10.0, 1)
    bad = write(tmp_path, "[sweep]\nreplicates = 0\n", "bad.toml")
    with pytest.raises(ScenarioError, match="replicates"):
        resolve_settings({}, plan(bad))
    with pytest.raises(ScenarioError, match=r"\[sweep\] 'replicates' must be a whole number"):
        plan(write(tmp_path, '[sweep]\nreplicates = "many"\n', "bad2.toml"))


def test_duplicate_labels_are_refused(tmp_path):
    f = write(tmp_path, 'name = "jobs"\n[[policy]]\nkind = "hotline"\n', "other.toml")
    with pytest.raises(ScenarioError, match="two scenarios of the sweep are named 'jobs'"):
        plan(f, ["jobs"])


@pytest.mark.parametrize("path", sorted((ROOT / "scenarios" / "sweeps").glob("*.toml")), ids=lambda p: p.stem)
def test_example_sweep_files_are_valid(path):
    p = plan(path)
    assert len(p.arms) >= 2 and p.arms[0].label.startswith("baseline") and p.arms[0].reference is None
    assert all(a.reference is not None for a in p.arms if not a.label.startswith("baseline"))


def test_factor_mapping_is_uniform_or_log():
    f = designs.Factor("x", 1.0, 100.0, log=True)
    assert np.allclose(f.scale(np.array([0.0, 0.5, 1.0])), [1.0, 10.0, 100.0])
    g = designs.Factor("y", 2.0, 4.0, integer=True)
    assert g.scale(np.array([0.0, 0.49, 0.99])).tolist() == [2.0, 3.0, 4.0]


def test_sweep_file_paths_are_relative_to_the_file_and_file_may_be_a_name(tmp_path):
    sub = tmp_path / "study"
    sub.mkdir()
    (sub / "mine.toml").write_text('[[policy]]\nkind = "hotline"\n')
    f = write(sub, '[sweep]\nscenarios = ["mine.toml", "jobs"]\n', "study.toml")
    assert [a.label for a in plan(f).arms] == ["baseline", "mine", "jobs"]
    assert [a.label for a in plan("interdiction").arms] == ["baseline", "interdiction"]


def test_labels_that_would_share_a_file_are_refused(tmp_path):
    a = write(tmp_path, 'name = "a b"\n[[policy]]\nkind = "hotline"\n', "a.toml")
    b = write(tmp_path, 'name = "a_b"\n[[policy]]\nkind = "jobs"\n', "b.toml")
    with pytest.raises(ScenarioError, match="named 'a b' and 'a_b'"):
        plan(None, [str(a), str(b)])
