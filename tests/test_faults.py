"""Fault injection on the sweep store: SIGKILL at chosen instants, corrupted and foreign files, changed
posteriors, a full disk. Each case ends byte-identical to an uninterrupted run, or with a one-line
refusal and nothing lost.

Real subprocesses stop at a named point (``RECRUITSIM_TEST_PAUSE``, see ``scenarios/store.py``), write
a flag file, and are killed there with SIGKILL. The full-disk case mounts a small tmpfs (needs root;
skipped cleanly when mounting is not permitted).
"""

from __future__ import annotations

import filecmp
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from recruitsim.model import posteriors
from recruitsim.scenarios import store

from .conftest import cli_env, run_cli

ARGS = ["sweep", "--scenario", "mentoring", "--replicates", "2", "--agents", "2000", "--years", "1", "--burn-in", "0",
        "--seed", "7", "--workers", "1", "--no-progress"]


def units(d: Path) -> list[str]:
    return sorted(p.name for p in d.glob("*__r*.parquet") if not p.name.startswith("."))


def assert_identical(a: Path, b: Path) -> None:
    assert units(a) == units(b) and len(units(a)) == 4
    for name in units(a):
        assert filecmp.cmp(a / name, b / name, shallow=False), name
    assert (a / "_summary.csv").read_bytes() == (b / "_summary.csv").read_bytes()
    assert not list(a.glob(".tmp-*"))


def sweep(out: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "recruitsim", *ARGS, "--out", str(out)], capture_output=True, text=True,
                          env={**cli_env(), **(env or {})}, timeout=300)


def kill_at(out: Path, point: str, tmp: Path, env: dict[str, str] | None = None) -> None:
    """Start the sweep, wait until it reaches ``point``, SIGKILL it there."""
    flag = tmp / f"flag-{point.replace(':', '-')}"
    flag.unlink(missing_ok=True)
    full = {**cli_env(), **(env or {}), store.PAUSE_ENV: point, store.PAUSE_ENV + "_FLAG": str(flag)}
    proc = subprocess.Popen([sys.executable, "-m", "recruitsim", *ARGS, "--out", str(out)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=full, start_new_session=True)
    try:
        tic = time.time()
        while not flag.exists():
            if proc.poll() is not None:
                raise AssertionError(f"the sweep ended before {point}: {proc.stderr.read()[-2000:]}")
            assert time.time() - tic < 120, f"the sweep did not reach {point}"
            time.sleep(0.05)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("ref") / "ref"
    r = sweep(out)
    assert r.returncode == 0, r.stderr
    return out


def one_line(r: subprocess.CompletedProcess, *words: str) -> None:
    assert r.returncode == 2, r.stderr
    assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr, r.stderr
    for w in words:
        assert w in r.stderr, r.stderr


def error_line(r: subprocess.CompletedProcess, *words: str) -> None:
    """A sweep that fails while running: its progress lines, then exactly one error line, last."""
    assert r.returncode == 2, r.stderr
    lines = r.stderr.splitlines()
    assert "Traceback" not in r.stderr and [x for x in lines if "error" in x] == lines[-1:], r.stderr
    for w in words:
        assert w in lines[-1], r.stderr


# ---- SIGKILL at chosen instants -------------------------------------------------------------------------
@pytest.mark.parametrize("point, left", [
    ("store-created", {"_lock"}),                     # between mkdir and the manifest
    ("manifest-tmp", {"_lock", "tmp-manifest"}),     # the manifest written, not yet renamed
])
def test_killed_during_creation_resumes_to_identical_data(point, left, reference, tmp_path):
    out = tmp_path / "sw"
    kill_at(out, point, tmp_path)
    names = {("tmp-manifest" if p.name.startswith(".tmp-") else p.name) for p in out.iterdir()}
    assert names == left
    r = sweep(out)
    assert r.returncode == 0, r.stderr
    assert "resuming" not in r.stderr
    assert_identical(out, reference)


@pytest.mark.slow
@pytest.mark.parametrize("point", ["unit-tmp:1", "unit-renamed:2", "unit-renamed:4"])
def test_killed_while_writing_units_resumes_to_identical_data(point, reference, tmp_path):
    out = tmp_path / "sw"
    kill_at(out, point, tmp_path)
    n_before = len(units(out))
    r = sweep(out)
    assert r.returncode == 0, r.stderr
    if point.startswith("unit-renamed"):  # the renamed file had no record yet: checked and run again
        assert "failed the size/checksum check" in r.stderr
        assert f"resuming: {n_before - 1} already done" in r.stderr
    assert_identical(out, reference)


# ---- corrupted and foreign files -------------------------------------------------------------------------
@pytest.mark.parametrize("damage", ["flip-byte", "truncate", "empty", "no-record"])
def test_damaged_unit_is_run_again(damage, reference, tmp_path):
    out = tmp_path / "sw"
    shutil.copytree(reference, out)
    victim = out / units(out)[1]
    data = victim.read_bytes()
    if damage == "flip-byte":
        mid = len(data) // 2
        victim.write_bytes(data[:mid] + bytes([data[mid] ^ 0xFF]) + data[mid + 1:])
    elif damage == "truncate":
        victim.write_bytes(data[: len(data) // 3])
    elif damage == "empty":
        victim.write_bytes(b"")
    else:
        lines = (out / store.UNITS).read_text().splitlines()
        (out / store.UNITS).write_text("\n".join(x for x in lines if victim.name not in x) + "\n{\"torn")
    r = sweep(out)
    assert r.returncode == 0, r.stderr
    assert f"failed the size/checksum check and will be run again ({victim.name})" in r.stderr
    assert "resuming: 3 already done" in r.stderr
    assert_identical(out, reference)


@pytest.mark.parametrize("name", ["notes.txt", "other.parquet", "jobs__r0000.parquet", "mentoring__r0099.parquet", "sub"])
def test_foreign_file_is_refused_and_nothing_is_lost(name, reference, tmp_path):
    out = tmp_path / "sw"
    shutil.copytree(reference, out)
    if name == "sub":
        (out / name).mkdir()
    else:
        (out / name).write_bytes(b"not ours")
    r = sweep(out)
    one_line(r, f"'{name}'", "did not write")
    if name != "sub":
        assert (out / name).read_bytes() == b"not ours"
        (out / name).unlink()
    assert_identical(out, reference)


def test_run_and_compare_refuse_a_sweep_store(reference, tmp_path):
    out = tmp_path / "sw"
    shutil.copytree(reference, out)
    r = run_cli("run", "--agents", "2000", "--years", "1", "--burn-in", "0", "--out", out)
    one_line(r, "holds a sweep store")
    r = run_cli("compare", "--scenarios", "mentoring", "--agents", "2000", "--years", "1", "--replicates", "1", "--out", out)
    one_line(r, "holds a sweep store")
    assert_identical(out, reference)


# ---- posteriors changed between kill and resume ---------------------------------------------------------
@pytest.mark.slow
def test_changed_posteriors_between_kill_and_resume_are_refused(reference, tmp_path):
    post = tmp_path / "post"
    shutil.copytree(posteriors.SHIPPED, post)
    env = {posteriors.ENV: str(post)}
    out = tmp_path / "sw"
    kill_at(out, "unit-renamed:3", tmp_path, env)
    kept = {n: (out / n).read_bytes() for n in units(out)}
    # posteriors switched off
    one_line(sweep(out, {posteriors.ENV: "off"}), "posteriors (RECRUITSIM_POSTERIORS)", "-> 'off'")
    # the same folder with different contents
    with open(post / "LAC.csv", "a") as f:
        f.write("\n")
    one_line(sweep(out, env), "posterior files", "changed")
    # a misspelt folder
    one_line(sweep(out, {posteriors.ENV: str(tmp_path / "postt")}), posteriors.ENV, "not a directory")
    assert {n: (out / n).read_bytes() for n in units(out)} == kept  # nothing lost, nothing mixed in


# ---- full disk ---------------------------------------------------------------------------------------------
@pytest.fixture
def small_disk(tmp_path):
    mnt = tmp_path / "disk"
    mnt.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=150k", "tmpfs", str(mnt)], capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {r.stderr.strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


@pytest.mark.slow
def test_full_disk_is_one_line_and_resumes_when_there_is_space(small_disk, reference):
    out = small_disk / "sw"
    r = sweep(out)
    error_line(r, "cannot write", "No space left", "rerun the same command")
    assert not list(out.glob(".tmp-*"))
    kept = units(out)
    assert len(kept) < 4
    for n in kept:  # what is on disk is whole and correct
        assert filecmp.cmp(out / n, reference / n, shallow=False)
    # run and compare on the full disk: one line each
    r = run_cli("run", "--agents", "2000", "--years", "1", "--burn-in", "0", "--out", small_disk / "run")
    one_line(r, "cannot write")
    assert not [p for p in (small_disk / "run").iterdir() if p.name.startswith(".")]
    r = run_cli("compare", "--scenarios", "mentoring", "--agents", "2000", "--years", "1", "--burn-in", "0",
                "--replicates", "1", "--out", small_disk / "cmp")
    one_line(r, "cannot write")
    shutil.rmtree(small_disk / "run")
    shutil.rmtree(small_disk / "cmp")
    assert subprocess.run(["mount", "-o", "remount,size=20m", str(small_disk)]).returncode == 0
    r = sweep(out)
    assert r.returncode == 0, r.stderr
    assert f"resuming: {len(kept)} already done" in r.stderr
    assert_identical(out, reference)


# ---- names: no unit file hidden, skipped or outside the folder ------------------------------------------
def test_slug_is_safe_and_unique():
    for label in ["_draft", ".hidden", "", "a/b", "../../etc/passwd", "x" * 5000, "é✓", "a\\b", "__r0000"]:
        s = store.slug(label)
        assert s and s[0] not in "._" and "/" not in s and "\\" not in s and len(s) <= store.MAX_SLUG + 13, (label, s)
    assert store.slug("x" * 5000) != store.slug("x" * 4999)
    assert store.slug("mentoring") == "mentoring" and store.slug("grid@03") == "grid@03"


def test_odd_scenario_names_are_all_in_the_dataset(tmp_path, capsys):
    import pandas as pd

    from recruitsim.cli.main import main

    names = ["_draft", ".hidden", "a/../../b", "y" * 190]
    files = []
    for i, n in enumerate(names):
        f = tmp_path / f"s{i}.toml"
        f.write_text(f'name = "{n}"\n[[policy]]\nkind = "hotline"\nunit_cost = {1000 + i}\n')
        files.append(str(f))
    out = tmp_path / "sw"
    rc = main(["sweep", "--scenario", ",".join(files), "--replicates", "1", "--agents", "2000", "--years", "1",
               "--burn-in", "0", "--workers", "1", "--no-progress", "--out", str(out)])
    assert rc == 0, capsys.readouterr().err
    assert sorted(pd.read_parquet(out)["scenario"].unique()) == sorted(["baseline", *names])
    assert all(p.parent == out for p in tmp_path.rglob("*.parquet"))
    assert not [p for p in out.iterdir() if p.name.startswith(".")]
