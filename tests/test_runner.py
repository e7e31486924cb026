"""The runner: burn-in reuse gives exactly the results of fresh runs; tasks; engines."""

from __future__ import annotations

import pandas as pd
import pytest

from recruitsim.scenarios import library, runner
from recruitsim.scenarios.engine import Engine
from recruitsim.scenarios.runner import Unit, run_group, run_unit
from recruitsim.scenarios.sweep import MAX_GROUP, make_tasks


def test_burn_in_reuse_is_bit_identical_to_fresh_runs(monkeypatch):
    custom = library.parse({"params": {"recruit_or_peers": 4.0},
                            "policy": [{"kind": "mentoring", "coverage": 0.6, "fade": 3.0},
                                       {"kind": "hotline", "start": 6, "end": 18}]}, "tests", "custom")
    custom_base = library.parse({"params": {"recruit_or_peers": 4.0}}, "tests", "custom_base")
    for scenarios in (["baseline", "mentoring", "enforcement_package", "prevention_package"], [custom_base, custom]):
        units = [Unit(s, 2, "LAC", 3000, 2, 2, 7) for s in scenarios]
        fresh = [run_unit(u) for u in units]
        built = []
        real = runner.RecruitmentModel
        monkeypatch.setattr(runner, "RecruitmentModel", lambda *a, **k: built.append(1) or real(*a, **k))
        reused = run_group(units)
        monkeypatch.setattr(runner, "RecruitmentModel", real)
        assert len(built) == 1  # one burn-in for the whole group
        for f, r in zip(fresh, reused, strict=True):
            pd.testing.assert_frame_equal(f, r, check_exact=True)


def test_run_group_refuses_units_without_a_common_burn_in():
    with pytest.raises(ValueError, match="burn-in"):
        run_group([Unit("baseline", 0, agents=1000, years=1), Unit("baseline", 1, agents=1000, years=1)])
    other = library.parse({"params": {"desistance": 0.03}}, "tests", "other")
    with pytest.raises(ValueError, match="burn-in"):
        run_group([Unit("baseline", 0, agents=1000, years=1), Unit(other, 0, agents=1000, years=1)])


def test_make_tasks_groups_by_burn_in_and_keeps_workers_busy():
    other = library.parse({"params": {"desistance": 0.03}}, "tests", "other")
    names = library.names()
    units = [Unit(n, r) for r in range(3) for n in names] + [Unit(other, r) for r in range(3)]
    for workers in (1, 2, 8, 40):
        tasks = make_tasks(units, workers)
        flat = [u for t in tasks for u in t]
        assert sorted(map(id, flat)) == sorted(map(id, units))  # each unit exactly once
        for t in tasks:
            assert len({u.burn_in_key() for u in t}) == 1
            assert len(t) <= MAX_GROUP
        assert len(tasks) >= min(2 * workers, len(units))
    assert len(make_tasks(units, 1)) == 3 * 2 + 3  # 12 library scenarios -> 2 tasks per replicate; 'other' alone
    assert all(len(t) == 1 for t in make_tasks(units, 2, reuse=False))


def test_unit_accepts_names_paths_and_scenarios(tmp_path):
    p = tmp_path / "mine.toml"
    p.write_text('description = "x"\n[[policy]]\nkind = "jobs"\n')
    for s, name in (("jobs", "jobs"), (str(p), "mine"), (library.load("jobs"), "jobs")):
        u = Unit(s, 1)
        assert u.scenario_name == name and u.key == (name, -1, 1)


def test_engine_rejects_bad_worker_counts():
    for kw in ({"workers": 0}, {"dask_local": -1}, {"workers": 2, "dask_local": 2}):
        with pytest.raises(ValueError):
            Engine(**kw)
