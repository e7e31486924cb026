"""Scenario files are validated on load: one line naming the file, the key and what is allowed; exit 2."""

from __future__ import annotations

import pytest

from recruitsim.cli.main import main
from recruitsim.scenarios import library

from .conftest import run_cli

BAD = [
    # (file content, words the message must contain)
    ('description = "x"\ncolour = "red"\n', ["unknown key 'colour'", "allowed:", "policy"]),
    ('[[policy]]\nkind = "mentoring"\nshade = 0.3\n', ["unknown key 'shade'", "coverage"]),
    ('[[policy]]\nkind = "mentoring"\ncoverage = "high"\n', ["'coverage' must be a number in [0, 1]"]),
    ('[[policy]]\nkind = "mentoring"\ncoverage = 1.5\n', ["'coverage' = 1.5", "[0, 1]"]),
    ('[[policy]]\nkind = "mentoring"\noffending_violent = 3.0\n', ["offending_violent", "[0.3, 1]"]),
    ('[[policy]]\nkind = "magic"\n', ["'kind' must be one of", "mentoring", "interdiction"]),
    ('[[policy]]\nkind = "jobs"\ntargeting = "everyone"\n', ["'targeting' must be one of", "risk, geographic, universal"]),
    ('[[policy]]\nkind = "jobs"\nstart = 24\nend = 12\n', ["'end' (12) must be after 'start' (24)"]),
    ('[[policy]]\nkind = "jobs"\ncoverage = 0.2\nbudget = 1e6\n', ["either 'coverage' or 'budget'"]),
    ('[params]\nrecruit_or_peers = 50\n', ["recruit_or_peers", "[1, 8]"]),
    ('[params]\nnot_a_parameter = 1\n', ["unknown parameter 'not_a_parameter'"]),
    ('[params]\ndesistance = "often"\n', ["'desistance' must be a number"]),
    ('description = 3\n', ["'description' must be a string"]),
    ('[[policy]\nkind = "jobs"\n', ["not valid TOML"]),
    ('description = "unterminated\n', ["not valid TOML"]),
]


@pytest.mark.parametrize("content,words", BAD, ids=[f"case{i}" for i in range(len(BAD))])
def test_bad_scenario_file_exit_2_one_line(tmp_path, capsys, content, words):
    f = tmp_path / "bad_scenario.toml"
    f.write_text(content)
    for argv in (["sweep", str(f), "--out", str(tmp_path / "out")], ["run", "--scenario", str(f), "--agents", "1000"]):
        assert main(argv) == 2
        cap = capsys.readouterr()
        assert cap.err.count("\n") == 1, cap.err
        assert str(f) in cap.err, cap.err
        for w in words:
            assert w in cap.err, (w, cap.err)
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_bad_file_in_a_real_subprocess(tmp_path):
    f = tmp_path / "typo.toml"
    f.write_text('[[policy]]\nkind = "mentoring"\ncoverag = 0.3\n')
    r = run_cli("sweep", f, "--out", tmp_path / "out")
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr
    assert str(f) in r.stderr and "'coverag'" in r.stderr and "coverage" in r.stderr


@pytest.mark.parametrize("argv,words", [
    (["sweep", "--replicates", "0"], ["--replicates", "[1, 100,000]"]),
    (["sweep", "--agents", "ten"], ["--agents", "'ten'"]),
    (["sweep", "--workers", "2", "--dask-local", "2"], ["not allowed with"]),
    (["sweep", "--country", "ATLANTIS"], ["unknown country 'ATLANTIS'"]),
    (["sweep", "--scenario", "nope"], ["unknown scenario 'nope'", "baseline"]),
    (["sweep", "missing.toml"], ["missing.toml: file not found"]),
    (["sweep", "--outcomes", "recruits,happiness"], ["unknown outcome 'happiness'"]),
    (["sweep", "--baseline", "nope"], ["unknown scenario 'nope'"]),
])
def test_bad_sweep_arguments(tmp_path, capsys, argv, words):
    assert main([*argv, "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    for w in words:
        assert w in err, (w, err)


def test_missing_out_is_a_usage_error(capsys):
    assert main(["sweep", "--scenario", "jobs"]) == 2
    assert "--out" in capsys.readouterr().err


def test_library_scenarios_all_load_with_descriptions():
    names = library.names()
    assert names[0] == "baseline" and len(names) == 12
    for n in names:
        sc = library.load(n)
        assert sc.description and sc.policies() is not None
        assert library.library_dir().joinpath(f"{n}.toml").read_text().lstrip().startswith("#")  # commented with sources
