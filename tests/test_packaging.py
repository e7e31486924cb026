"""The installed package as a Python or Mesa user meets it: one import root, the CLI's conventions."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import recruitsim

from .conftest import ROOT, cli_env, run_cli


def test_version_everywhere():
    r = run_cli("--version")
    assert r.returncode == 0 and r.stdout.strip() == f"recruitsim {recruitsim.__version__}"


def test_bare_command_prints_the_usage():
    r = run_cli()
    assert r.returncode == 2 and "usage: recruitsim" in r.stdout and "Traceback" not in r.stderr


def test_a_folder_with_its_own_model_and_app_does_not_shadow_recruitsim(tmp_path):
    """A user's folder laid out like Mesa's examples (model.py, app.py) imports recruitsim, not its own files."""
    (tmp_path / "model.py").write_text("raise SystemExit('the user model was imported')\n")
    (tmp_path / "app.py").write_text("raise SystemExit('the user app was imported')\n")
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "scenarios" / "__init__.py").write_text("raise SystemExit('the user scenarios were imported')\n")
    code = ("from recruitsim.model import RecruitmentModel\n"
            "from recruitsim.cli.serve import app_path\n"
            "import recruitsim.scenarios.library as lib\n"
            "print(app_path())\n"
            "print(RecruitmentModel(n_agents=1000, years=1, burn_in_years=0, rng=1).n_agents, len(lib.names()))\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, env=cli_env(), timeout=120)
    assert r.returncode == 0, r.stderr
    app, sizes = r.stdout.strip().splitlines()
    assert app == str(ROOT / "app.py") and sizes.startswith("1000 ")
    r = run_cli("run", "--agents", "2000", "--years", "1", "--burn-in", "0", "--json", "-q", cwd=tmp_path)
    assert r.returncode == 0, r.stderr


def test_a_file_named_like_a_library_scenario_does_not_replace_it(tmp_path):
    (tmp_path / "mentoring").write_text('name = "not the library one"\n')
    r = run_cli("run", "--scenario", "mentoring", "--agents", "2000", "--years", "1", "--burn-in", "0", "-q", cwd=tmp_path)
    assert r.returncode == 0 and "scenario 'mentoring'" in r.stdout
    r = run_cli("run", "--scenario", "./mentoring", "--agents", "2000", "--years", "1", "--burn-in", "0", "-q", cwd=tmp_path)
    assert r.returncode == 0 and "not the library one" in r.stdout


def test_json_is_strict_and_records_versions():
    """--json never holds NaN (median age at joining is NaN when nobody joined) and says what produced it."""
    r = run_cli("run", "--agents", "2000", "--years", "1", "--burn-in", "0", "--json", "-q")
    assert r.returncode == 0 and "NaN" not in r.stdout
    out = json.loads(r.stdout.splitlines()[-1])
    assert out["versions"]["recruitsim"] == recruitsim.__version__
    assert {"numpy", "scipy", "pandas", "mesa", "numpy_simd"} <= set(out["versions"])


def test_versions_record_numpy_simd_level_as_it_is_set():
    """The SIMD level decides bit-identity (AVX2 and AVX-512 round differently): it follows NPY_DISABLE_CPU_FEATURES."""
    from numpy._core import _multiarray_umath as umath

    code = "from recruitsim.scenarios.provenance import versions; print(versions()['numpy_simd'])"
    levels = [f for f in umath.__cpu_dispatch__ if umath.__cpu_features__.get(f)]
    if not levels:
        pytest.skip("numpy dispatches to no SIMD level above its baseline on this CPU")
    full = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=cli_env())
    off = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env=cli_env() | {"NPY_DISABLE_CPU_FEATURES": " ".join(umath.__cpu_dispatch__)})
    assert full.stdout.strip() == "+".join(levels)
    assert off.stdout.strip() == "baseline"
    from recruitsim.scenarios.provenance import simd_pin  # pinning to the lowest level leaves only it on

    pinned = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                            env=cli_env() | {"NPY_DISABLE_CPU_FEATURES": simd_pin(levels[0])})
    assert pinned.stdout.strip() == levels[0]
    assert simd_pin("NO_SUCH_LEVEL") is None


@pytest.mark.usefixtures("calibrated")
def test_python_api_gives_the_same_model_as_the_command_line():
    """The README's Python example and `recruitsim run` with the same arguments give the same figures."""
    from recruitsim.model import RecruitmentModel

    r = run_cli("run", "--country", "HND", "--agents", "5000", "--years", "1", "--burn-in", "1", "--seed", "3", "--json", "-q")
    assert r.returncode == 0, r.stderr
    cli = json.loads(r.stdout.splitlines()[-1])
    m = RecruitmentModel("HND", n_agents=5000, years=1, burn_in_years=1, rng=3)
    df = m.run()
    assert cli["calibrated"] and m.posterior_draw is not None
    assert cli["members"] == pytest.approx(float(df["members"].iloc[-1]), rel=1e-12)
    assert cli["recruits_per_year"] == pytest.approx(float(df["recruits"].tail(12).sum()), rel=1e-12)
    assert cli["incarceration_rate_per_100k"] == pytest.approx(float(df["incarceration_rate"].tail(12).mean()), rel=1e-12)
    uncal = RecruitmentModel("HND", n_agents=5000, years=1, burn_in_years=1, rng=3, draw=None)
    assert uncal.p.as_dict() != m.p.as_dict()


def test_progress_off_a_terminal_is_a_line_every_so_often(capsys):
    """Off a terminal (pytest captures stderr) a long command prints 'desc: n/total units done, ETA ...' lines."""
    from recruitsim.scenarios.progress import Progress

    bar = Progress(4, enabled=True, every=0.0, desc="compare LAC", unit="run")
    for _ in range(4):
        bar.update()
    bar.close()
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines and lines[-1].startswith("compare LAC: 4/4 runs done")
    quiet = Progress(4, enabled=False, every=0.0)
    quiet.update(4)
    assert capsys.readouterr().err == ""
