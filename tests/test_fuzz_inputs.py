"""Malformed input of every kind: exit code 2, exactly one line on stderr, no traceback, nothing written.

A table of malformed scenario and sweep files, special files, command-line values and environment
settings runs the CLI in-process (``recruitsim.cli.main.main``); a few cases run as real subprocesses
(a FIFO, /dev/zero, an unreachable scheduler); hypothesis feeds random bytes and random tables to
the scenario reader, which must either accept them or raise ``ScenarioError``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from recruitsim.cli.main import main
from recruitsim.model import posteriors
from recruitsim.scenarios import library

ROOT = Path(__file__).resolve().parents[1]
RUN = ["--agents", "2000", "--years", "1", "--burn-in", "0"]
DIGITS = "9" * 400

# (id, file content, command; FILE stands for the file's path, OUT for an output folder)
FILES = [
    ("non-utf8", b"description = \"\xff\xfe\"\n", ["run", "--scenario", "FILE"]),
    ("deep-arrays", ("x = " + "[" * 5000 + "]" * 5000 + "\n").encode(), ["run", "--scenario", "FILE"]),
    ("deep-tables", ("x = " + "{a = " * 3000 + "1" + "}" * 3000 + "\n").encode(), ["run", "--scenario", "FILE"]),
    ("bad-toml", b"description = \n", ["run", "--scenario", "FILE"]),
    ("empty", b"", ["run", "--scenario", "FILE"]),
    ("blank", b"  \n\n", ["run", "--scenario", "FILE"]),
    ("too-large", b"# " + b"x" * 1_100_000 + b"\n", ["run", "--scenario", "FILE"]),
    ("start-inf", b"[[policy]]\nkind = \"mentoring\"\nstart = inf\n", ["run", "--scenario", "FILE"]),
    ("start-nan", b"[[policy]]\nkind = \"mentoring\"\nstart = nan\n", ["run", "--scenario", "FILE"]),
    ("end-400-digits", f"[[policy]]\nkind = \"mentoring\"\nend = {DIGITS}\n".encode(), ["run", "--scenario", "FILE"]),
    ("coverage-400-digits", f"[[policy]]\nkind = \"mentoring\"\ncoverage = {DIGITS}\n".encode(), ["run", "--scenario", "FILE"]),
    ("param-400-digits", f"[params]\nrecruit_or_neet = {DIGITS}\n".encode(), ["run", "--scenario", "FILE"]),
    ("param-nan", b"[params]\nrecruit_or_neet = nan\n", ["run", "--scenario", "FILE"]),
    ("param-unknown", b"[params]\nrecruit_or_neeet = 1.5\n", ["run", "--scenario", "FILE"]),
    ("params-not-table", b"params = 3\n", ["run", "--scenario", "FILE"]),
    ("policy-not-array", b"policy = 3\n", ["run", "--scenario", "FILE"]),
    ("kind-unknown", b"[[policy]]\nkind = \"bribes\"\n", ["run", "--scenario", "FILE"]),
    ("kind-number", b"[[policy]]\nkind = 5\n", ["run", "--scenario", "FILE"]),
    ("national-coverage", b"[[policy]]\nkind = \"interdiction\"\ncoverage = 0.01\n", ["run", "--scenario", "FILE"]),
    ("national-budget", b"[[policy]]\nkind = \"hotline\"\nbudget = 1e6\n", ["run", "--scenario", "FILE"]),
    ("national-targeting", b"[[policy]]\nkind = \"hotline\"\ntargeting = \"risk\"\n", ["run", "--scenario", "FILE"]),
    ("area-targeting", b"[[policy]]\nkind = \"mass_policing\"\ntargeting = \"universal\"\n", ["run", "--scenario", "FILE"]),
    ("area-duration", b"[[policy]]\nkind = \"focused_deterrence\"\nduration = 6\n", ["run", "--scenario", "FILE"]),
    ("duration-fraction", b"[[policy]]\nkind = \"mentoring\"\nduration = 6.5\n", ["run", "--scenario", "FILE"]),
    ("start-beyond-horizon", b"[[policy]]\nkind = \"mentoring\"\nstart = 500\n", ["run", "--scenario", "FILE", "--years", "1"]),
    ("design-in-run", b"description = \"x\"\n[design]\nmethod = \"nonsense\"\n", ["run", "--scenario", "FILE"]),
    ("sweep-in-run", b"description = \"x\"\n[sweep]\nreplicates = 3\n", ["run", "--scenario", "FILE"]),
    ("top-level-method", b"method = \"nonsense\"\n", ["run", "--scenario", "FILE"]),
    ("name-empty", b"name = \"\"\n", ["run", "--scenario", "FILE"]),
    ("name-5000", ("name = \"" + "a" * 5000 + "\"\n").encode(), ["run", "--scenario", "FILE"]),
    ("name-newline", b"name = \"a\\nb\"\n", ["run", "--scenario", "FILE"]),
    ("sweep-replicates-inf", b"description = \"x\"\n[sweep]\nreplicates = inf\n", ["sweep", "FILE", "--out", "OUT"]),
    ("sweep-agents-1e400", b"description = \"x\"\n[sweep]\nagents = 1e400\n", ["sweep", "FILE", "--out", "OUT"]),
    ("sweep-seed-400-digits", f"description = \"x\"\n[sweep]\nseed = {DIGITS}\n".encode(), ["sweep", "FILE", "--out", "OUT"]),
    ("sweep-unknown-key", b"description = \"x\"\n[sweep]\nreplicate = 3\n", ["sweep", "FILE", "--out", "OUT"]),
    ("design-method", b"[[policy]]\nkind = \"mentoring\"\n[design]\nmethod = \"nonsense\"\n[design.factors]\nx = [0, 1]\n",
     ["sweep", "FILE", "--out", "OUT"]),
    ("design-400-digits", f"[[policy]]\nkind = \"mentoring\"\n[design]\nmethod = \"grid\"\n[design.factors]\n"
                          f"\"mentoring.coverage\" = [0, {DIGITS}]\n".encode(), ["sweep", "FILE", "--out", "OUT"]),
    ("design-values-400-digits", f"[[policy]]\nkind = \"mentoring\"\n[design]\nmethod = \"grid\"\n[design.factors]\n"
                                 f"\"mentoring.coverage\" = {{ values = [{DIGITS}] }}\n".encode(), ["sweep", "FILE", "--out", "OUT"]),
    ("design-points-400-digits", f"[[policy]]\nkind = \"mentoring\"\n[design]\nmethod = \"lhs\"\npoints = {DIGITS}\n"
                                 f"[design.factors]\n\"mentoring.coverage\" = [0, 1]\n".encode(), ["sweep", "FILE", "--out", "OUT"]),
    ("design-national-coverage", b"[[policy]]\nkind = \"interdiction\"\n[design]\nmethod = \"grid\"\n[design.factors]\n"
                                 b"\"interdiction.coverage\" = [0.1, 0.5]\n", ["sweep", "FILE", "--out", "OUT"]),
    ("design-sobol-3", b"[[policy]]\nkind = \"mentoring\"\n[design]\nmethod = \"sobol\"\npoints = 3\n[design.factors]\n"
                       b"\"mentoring.coverage\" = [0, 1]\n", ["sweep", "FILE", "--out", "OUT"]),
    ("design-in-compare", b"description = \"x\"\n[design]\nmethod = \"grid\"\n", ["compare", "--scenarios", "FILE", "--out", "OUT"]),
    ("sweep-start-beyond", b"[[policy]]\nkind = \"jobs\"\nstart = 100\n", ["sweep", "FILE", "--out", "OUT", "--years", "2"]),
]

ARGS = [
    ("agents-word", ["run", "--agents", "many"]),
    ("agents-small", ["run", "--agents", "99"]),
    ("agents-400-digits", ["run", "--agents", DIGITS]),
    ("years-inf", ["run", "--years", "inf"]),
    ("years-nan", ["run", "--years", "nan"]),
    ("years-1e400", ["sweep", "--years", "1e400", "--out", "OUT"]),
    ("seed-negative", ["run", "--seed", "-1"]),
    ("country-unknown", ["run", "--country", "XYZ"]),
    ("scenario-empty", ["run", "--scenario", ""]),
    ("scenario-blank", ["run", "--scenario", "   "]),
    ("scenario-unknown", ["run", "--scenario", "_draft"]),
    ("scenario-5000", ["run", "--scenario", "b" * 5000]),
    ("scenario-5000-path", ["run", "--scenario", "./" + "b" * 5000 + ".toml"]),
    ("scenario-nul", ["run", "--scenario", "a\0b"]),
    ("scenario-dir", ["run", "--scenario", "DIR/"]),
    ("scenario-missing", ["run", "--scenario", "./missing.toml"]),
    ("scenario-dev-zero", ["run", "--scenario", "/dev/zero"]),
    ("scenario-dev-null", ["run", "--scenario", "/dev/null"]),
    ("scenario-fifo", ["run", "--scenario", "FIFO"]),
    ("sweep-scenario-empty", ["sweep", "--scenario", "", "--out", "OUT"]),
    ("sweep-scenario-commas", ["sweep", "--scenario", ",,", "--out", "OUT"]),
    ("sweep-replicates-0", ["sweep", "--replicates", "0", "--out", "OUT"]),
    ("sweep-outcomes", ["sweep", "--outcomes", "nonsense", "--out", "OUT"]),
    ("compare-scenarios-empty", ["compare", "--scenarios", "", "--out", "OUT"]),
    ("compare-scenarios-commas", ["compare", "--scenarios", ",", "--out", "OUT"]),
    ("compare-baseline-only", ["compare", "--scenarios", "baseline", "--out", "OUT"]),
    ("scheduler-protocol", ["sweep", "--scheduler", "ftp://host:1", "--out", "OUT"]),
    ("scheduler-tls-no-ca", ["sweep", "--scheduler", "tls://127.0.0.1:1", "--out", "OUT"]),
    ("tls-without-scheduler", ["sweep", "--tls-ca-file", "/etc/hostname", "--out", "OUT"]),
    ("tls-missing-file", ["compare", "--scheduler", "tls://127.0.0.1:1", "--tls-ca-file", "./nope.pem", "--out", "OUT"]),
    ("tls-key-without-cert", ["calibrate", "--country", "HND", "--scheduler", "tls://127.0.0.1:1", "--tls-ca-file",
                              "/etc/hostname", "--tls-key", "/etc/hostname", "--out", "OUT"]),
    ("sensitivity-samples", ["sensitivity", "--outcome", "recruits", "--method", "morris", "--samples", "1000000",
                             "--out", "OUT"]),
    ("sensitivity-sobol-3", ["sensitivity", "--outcome", "recruits", "--samples", "3", "--out", "OUT"]),
    ("calibrate-nothing", ["calibrate"]),
    ("app-origin", ["app", "--allow-origin", "evil.example"]),
    ("unknown-command", ["fly"]),
    ("unknown-flag", ["run", "--fast"]),
]


def _files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def check_one_line(rc: int, out: str, err: str) -> None:
    assert rc == 2, (rc, err)
    assert err.count("\n") == 1 and err.endswith("\n"), err[:2000]
    assert "Traceback" not in err and err.startswith("recruitsim"), err[:2000]
    assert len(err) < 2000, err[:300]
    assert out == "", out[:300]


def _argv(argv: list[str], tmp: Path, file: Path | None = None) -> list[str]:
    subst = {"FILE": str(file) if file else "", "OUT": str(tmp / "out"), "DIR/": str(tmp / "adir") + "/",
             "FIFO": str(tmp / "fifo")}
    return [subst.get(a, a) for a in argv]


@pytest.fixture
def work(tmp_path, monkeypatch):
    """A scratch current folder with a directory and a FIFO to point at; nothing else may appear in it."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "adir").mkdir()
    os.mkfifo(tmp_path / "fifo")
    return tmp_path


@pytest.mark.parametrize("name, content, argv", FILES, ids=[c[0] for c in FILES])
def test_malformed_file_is_one_line(name, content, argv, work, capsys):
    f = work / f"{name}.toml"
    f.write_bytes(content)
    before = _files(work)
    rc = main(_argv(argv, work, f) + (RUN if argv[0] in ("run", "sweep") and "--years" not in argv else []))
    out, err = capsys.readouterr()
    check_one_line(rc, out, err)
    assert _files(work) == before, _files(work) - before


@pytest.mark.parametrize("name, argv", ARGS, ids=[c[0] for c in ARGS])
def test_bad_value_is_one_line(name, argv, work, capsys):
    before = _files(work)
    rc = main(_argv(argv, work))
    out, err = capsys.readouterr()
    check_one_line(rc, out, err)
    assert _files(work) == before, _files(work) - before


@pytest.mark.parametrize("setting", ["missing-dir", "corrupt-json", "corrupt-csv", "a-file"])
def test_bad_posteriors_setting_is_one_line(setting, work, monkeypatch, capsys):
    d = work / "post"
    if setting == "missing-dir":
        value = str(work / "postt")
    elif setting == "a-file":
        (work / "afile").write_text("x")
        value = str(work / "afile")
    else:
        d.mkdir()
        shipped = posteriors.SHIPPED
        (d / "HND.json").write_text("{" if setting == "corrupt-json" else (shipped / "HND.json").read_text())
        (d / "HND.csv").write_text((shipped / "HND.csv").read_text() if setting == "corrupt-json" else "weight\n\"x\n")
        value = str(d)
    monkeypatch.setenv(posteriors.ENV, value)
    posteriors._load.cache_clear()
    before = _files(work)
    try:
        rc = main(["run", "--country", "HND", *RUN])
    finally:
        posteriors._load.cache_clear()
    out, err = capsys.readouterr()
    check_one_line(rc, out, err)
    assert posteriors.ENV in err or "posterior" in err
    assert _files(work) == before


# ---- a few real processes ------------------------------------------------------------------------------
def _cli(*args: str, cwd: Path, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "recruitsim", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=timeout, env={**os.environ, "RECRUITSIM_POSTERIORS": "off"})


def test_real_processes_fifo_dev_zero_non_utf8(tmp_path):
    os.mkfifo(tmp_path / "f")
    (tmp_path / "bad.toml").write_bytes(b"\xff\xfe")
    for target in (str(tmp_path / "f"), "/dev/zero", str(tmp_path / "bad.toml")):
        r = _cli("run", "--scenario", target, *RUN, cwd=tmp_path, timeout=30)  # a FIFO must not hang
        check_one_line(r.returncode, r.stdout, r.stderr)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.toml", "f"]


def test_real_process_unreachable_scheduler_is_one_line_within_seconds(tmp_path):
    tic = time.time()
    r = _cli("compare", "--scenarios", "mentoring", "--agents", "2000", "--years", "1", "--burn-in", "0", "--replicates",
             "1", "--scheduler", "tcp://127.0.0.1:1", "--out", str(tmp_path / "c"), cwd=tmp_path)
    check_one_line(r.returncode, r.stdout, r.stderr)
    assert "cannot connect" in r.stderr and time.time() - tic < 20


# ---- random input to the scenario reader ------------------------------------------------------------------
hypothesis = pytest.importorskip("hypothesis")
st = hypothesis.strategies

SCALARS = st.one_of(st.integers(min_value=-10**500, max_value=10**500), st.floats(allow_nan=True, allow_infinity=True),
                    st.text(max_size=30), st.booleans(), st.none())
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                      st.dictionaries(st.text(max_size=10), inner, max_size=4)), max_leaves=12)
KEYS = st.sampled_from(["kind", "name", "start", "end", "coverage", "budget", "targeting", "duration", "fade",
                        "unit_cost", "recruit_odds", "revenue", "x"])
POLICY = st.dictionaries(KEYS, st.one_of(VALUES, st.sampled_from(["mentoring", "hotline", "mass_policing", "risk"])),
                         max_size=6)
TABLE = st.fixed_dictionaries({}, optional={"name": VALUES, "description": VALUES, "params": VALUES,
                                            "policy": st.one_of(VALUES, st.lists(POLICY, max_size=3)),
                                            "design": VALUES, "sweep": VALUES, "other": VALUES})


@hypothesis.settings(max_examples=300, deadline=None)
@hypothesis.given(TABLE)
def test_random_tables_are_accepted_or_refused_cleanly(table):
    try:
        sc = library.parse(table, "fuzz.toml")
    except library.ScenarioError as e:
        assert str(e).startswith("fuzz.toml")
        return
    sc.policies()  # an accepted scenario builds its policies


@hypothesis.settings(max_examples=200, deadline=None)
@hypothesis.given(st.binary(max_size=300))
def test_random_bytes_are_accepted_or_refused_cleanly(tmp_path_factory, data):
    f = tmp_path_factory.mktemp("fz") / "x.toml"
    f.write_bytes(data)
    try:
        library.load_file(f)
    except library.ScenarioError as e:
        assert str(e)


def test_json_output_is_strict(work, capsys):
    """--json never prints bare NaN/Infinity (a 2,000-agent run has no homicides: ratios are undefined)."""
    import json

    def refuse(token):
        raise AssertionError(f"bare {token} in --json output")

    assert main(["run", *RUN, "--json", "-q"]) == 0
    out, err = capsys.readouterr()
    json.loads(out.strip().splitlines()[-1], parse_constant=refuse)
    assert err.count("\n") == 1 and "warning" in err  # the small-size warning, one line
    assert main(["params", "--json"]) == 0
    json.loads(capsys.readouterr().out, parse_constant=refuse)
