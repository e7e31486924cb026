"""The sweep store: a Parquet dataset with one file per finished (scenario, replicate) unit.

Layout of the output directory ``DIR``::

    DIR/baseline__r0000.parquet      one file per unit: the unit's monthly rows (all columns)
    DIR/mentoring__r0000.parquet
    ...
    DIR/_manifest.json               the sweep's settings and scenario definitions (resume check)
    DIR/_design.csv                  the scenarios (arms): label, point, reference, factor values
    DIR/_summary.csv                 medians and 10-90% intervals (written when the sweep ends)
    DIR/_lock                        held while a sweep writes (a second sweep on DIR is refused)
    DIR/_units.jsonl                 one line per finished unit: file name, size and sha256

``pandas.read_parquet(DIR)`` reads the whole dataset (files starting with ``_`` or ``.`` are not
data). Every unit file has the same columns in the same order: ``scenario``, ``replicate``
(``point`` and the design's factor columns for designs), ``month``, ``year``, the model outputs and
each policy's ``cost_``/``enrolled_``/``starts_`` columns (0 where that policy is not in the
scenario), so the files concatenate without gaps.

A unit file is written to a temporary name in ``DIR`` and renamed into place (``os.replace``), so a
crash or SIGKILL never leaves a partial file under a data name. After the rename its size and sha256
are appended (and fsynced) to ``_units.jsonl``; a torn last line is ignored. Resuming checks every
unit file against its record and reruns the units whose file is missing, has no record, or whose
size or checksum differ (a truncated or altered file); the files of a unit are the same bytes
whoever wrote them.

Creation is safe to interrupt: a directory holding only what an interrupted creation leaves (the
lock, ``.tmp-*`` files, the write probe) counts as empty. A store refuses files it did not write
(anything else in ``DIR``: ``pandas.read_parquet(DIR)`` would read it as data), naming the first one.

File names. ``slug`` maps any label to a safe file name: characters other than letters, digits and
``_.@-`` become ``_``; a name that would be empty or start with ``_`` or ``.`` (which pandas and
pyarrow skip as not data) gets an ``s`` in front; a long name is cut and gets a hash of the full
label, so it stays unique. Labels whose slugs collide are refused by ``designs.plan``.

The resume key (``manifest_diff``): the settings, the scenario definitions, the output columns, the
code and data that decide results (``code_version``), the posterior files used
(``posterior_fingerprint``: RECRUITSIM_POSTERIORS and a hash of the country's files) and the library
versions (``provenance.versions``).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

FORMAT = 2
MANIFEST = "_manifest.json"
DESIGN = "_design.csv"
SUMMARY = "_summary.csv"
LOCK = "_lock"
UNITS = "_units.jsonl"
ERRORS = "_errors.log"
PROBE = ".recruitsim-write-test"
#: files a store may hold besides its unit files (``_sensitivity.*``: written by ``recruitsim sensitivity``)
OWN = {MANIFEST, DESIGN, SUMMARY, LOCK, UNITS, ERRORS, PROBE, "_sensitivity.csv", "_sensitivity.png"}
MAX_SLUG = 80


#: fault injection for tests/test_faults.py: with RECRUITSIM_TEST_PAUSE=<point>[:<n>] a sweep stops at the
#: n-th time (default 1st) it reaches <point>, writes the point to the file RECRUITSIM_TEST_PAUSE_FLAG and
#: sleeps, so that the test can SIGKILL it there. Points: store-created (directory and lock, no manifest),
#: manifest-tmp (manifest written to its temporary name), unit-tmp (a unit written to its temporary name),
#: unit-renamed (a unit file in place, its record not yet written).
PAUSE_ENV = "RECRUITSIM_TEST_PAUSE"
_reached: dict[str, int] = {}


def _pause(point: str) -> None:
    want = os.environ.get(PAUSE_ENV)
    if not want:
        return
    name, _, nth = want.partition(":")
    if name != point:
        return
    _reached[point] = _reached.get(point, 0) + 1
    if _reached[point] == int(nth or 1):
        import time

        flag = os.environ.get(PAUSE_ENV + "_FLAG")
        if flag:
            Path(flag).write_text(point)
        while True:
            time.sleep(1)


class StoreError(Exception):
    """The output directory cannot be used for this sweep (message: one line for the user)."""


def slug(label: str) -> str:
    """A safe file name for a label: never empty, hidden, ``_``-prefixed, too long or with a separator."""
    s = re.sub(r"[^A-Za-z0-9_.@-]", "_", label)
    if not s or s[0] in "._":
        s = "s" + s
    if len(s) > MAX_SLUG:
        s = s[:MAX_SLUG] + "-" + hashlib.sha256(label.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    return s


def unit_file(label: str, replicate: int) -> str:
    return f"{slug(label)}__r{replicate:04d}.parquet"


#: what decides a unit's bytes: the model's code and data, how a unit is run (runner), how scenario
#: files are read (library) and how a unit file is written (this module). Posteriors: ``posterior_fingerprint``.
CODE = (("recruitsim.model", ("*.py",)), ("recruitsim.model.data", ("*",)),
        ("recruitsim.scenarios", ("runner.py", "library.py", "store.py")))


def code_version() -> str:
    """Hash of the simulator's code and data: results from different code must not be mixed."""
    h = hashlib.sha256()
    for pkg, patterns in CODE:
        root = Path(str(resources.files(pkg)))
        for pattern in patterns:
            for p in sorted(root.glob(pattern)):
                if p.is_file() and p.suffix != ".pyc":
                    h.update(p.name.encode())
                    h.update(p.read_bytes())
    return h.hexdigest()[:16]


def posterior_fingerprint(country: str) -> dict[str, Any]:
    """Which posterior draws the runs of ``country`` use: the RECRUITSIM_POSTERIORS setting and a hash
    of the country's posterior files (results with other posteriors must not be mixed)."""
    from recruitsim.model import posteriors

    return posteriors.fingerprint(country)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


class Store:
    """A sweep's output directory: manifest, unit files and their records, lock."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._lock_fd: int | None = None
        self._records: dict[str, tuple[int, str]] | None = None

    # ---- life cycle ---------------------------------------------------------------------------
    def open(self, manifest: dict[str, Any], units: set[str] | None = None,
             log: Callable[[str], Any] | None = None) -> bool:
        """Create the store, or check that an existing one was started with the same settings.

        ``units``: the file names of the sweep's units (any other unit-like file is foreign). Returns
        True if the directory already held this sweep (a resume). Raises ``StoreError``.
        """
        if self.path.exists() and not self.path.is_dir():
            raise StoreError(f"--out: '{self.path}' is a file, not a directory; use a new or empty directory")
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise StoreError(f"--out: cannot create '{self.path}' ({e.strerror or e})") from None
        self._lock()
        _pause("store-created")
        mpath = self.path / MANIFEST
        if mpath.exists():
            try:
                old = json.loads(mpath.read_text(encoding="utf-8"))
                if not isinstance(old, dict) or not isinstance(old.get("settings"), dict):
                    raise ValueError("not a recruitsim manifest")
            except (OSError, ValueError) as e:
                raise StoreError(f"{mpath}: unreadable manifest ({e}); use a new --out directory") from None
            diff = manifest_diff(old, manifest)
            if diff:
                raise StoreError(f"{self.path} holds a sweep started with different settings ({diff}); "
                                 f"rerun with the original settings to resume it, or use a new --out directory")
            self._check_foreign(units)
            self._clean_tmp()
            bad = self.verify()
            if bad and log is not None:
                log(f"sweep: {len(bad)} unit file{'s' * (len(bad) > 1)} failed the size/checksum check and will be "
                    f"run again ({', '.join(bad[:3])}{'...' if len(bad) > 3 else ''})")
            return True
        data = [p.name for p in self.path.iterdir() if not _leftover(p.name)]
        if data:
            raise StoreError(f"--out: '{self.path}' is not empty and holds no recruitsim sweep ({MANIFEST} missing; "
                             f"found '{_short(sorted(data)[0])}'); use a new or empty directory")
        # only what an interrupted creation leaves (lock, temporary files): start afresh
        self._clean_tmp()
        (self.path / UNITS).unlink(missing_ok=True)
        self._records = {}
        try:
            self.write_text(MANIFEST, json.dumps(manifest, indent=1, sort_keys=True))
        except OSError as e:
            raise StoreError(f"--out: cannot write to '{self.path}' ({e.strerror or e})") from None
        return False

    def close(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _lock(self) -> None:
        try:
            import fcntl
        except ImportError:  # not POSIX: no lock (do not run two sweeps on one directory)
            return
        try:
            fd = os.open(self.path / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as e:
            raise StoreError(f"--out: cannot write to '{self.path}' ({e.strerror or e})") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise StoreError(f"--out: another sweep is writing to '{self.path}' (its lock {LOCK} is held); "
                             f"wait for it or use another directory") from None
        self._lock_fd = fd

    def _clean_tmp(self) -> None:
        for p in self.path.glob(".tmp-*"):
            with contextlib.suppress(OSError):
                p.unlink()

    def _check_foreign(self, units: set[str] | None) -> None:
        for p in sorted(self.path.iterdir()):
            name = p.name
            if _leftover(name) or name in OWN:
                continue
            if _is_unit(name) and (units is None or name in units) and p.is_file():
                continue
            raise StoreError(f"--out: '{self.path}' holds a file this sweep did not write ('{_short(name)}'); "
                             f"move it out of the folder (it would be read as data) or use a new --out directory")

    # ---- unit records -------------------------------------------------------------------------
    def records(self) -> dict[str, tuple[int, str]]:
        """{unit file name: (size, sha256)} from ``_units.jsonl`` (a torn or malformed line is ignored)."""
        if self._records is None:
            out: dict[str, tuple[int, str]] = {}
            try:
                text = (self.path / UNITS).read_bytes().decode("utf-8", "replace")
            except OSError:
                text = ""
            for line in text.splitlines():
                try:
                    r = json.loads(line)
                    out[str(r["file"])] = (int(r["size"]), str(r["sha256"]))
                except (ValueError, KeyError, TypeError):
                    continue
            self._records = out
        return self._records

    def verify(self) -> list[str]:
        """Check every unit file against its record; delete those that fail (they are run again).
        Returns the names of the deleted files."""
        rec = self.records()
        bad = []
        for p in sorted(self.path.glob("*__r*.parquet")):
            if p.name.startswith("."):
                continue
            want = rec.get(p.name)
            try:
                ok = want is not None and p.stat().st_size == want[0] and sha256_file(p) == want[1]
            except OSError:
                ok = False
            if not ok:
                bad.append(p.name)
                with contextlib.suppress(OSError):
                    p.unlink()
                rec.pop(p.name, None)
        return bad

    # ---- files ----------------------------------------------------------------------------------
    def done(self) -> set[str]:
        """File names of the finished units: on disk, with a record of the same size."""
        rec = self.records()
        out = set()
        for p in self.path.glob("*__r*.parquet"):
            if p.name.startswith(".") or p.name not in rec:
                continue
            with contextlib.suppress(OSError):
                if p.stat().st_size == rec[p.name][0]:
                    out.add(p.name)
        return out

    def write_unit(self, label: str, replicate: int, df: pd.DataFrame) -> None:
        name = unit_file(label, replicate)
        tmp = self._write_tmp(name, lambda p: df.to_parquet(p, index=False, engine="pyarrow"))
        size, digest = tmp.stat().st_size, sha256_file(tmp)
        _pause("unit-tmp")
        os.replace(tmp, self.path / name)
        _pause("unit-renamed")
        line = json.dumps({"file": name, "size": size, "sha256": digest}) + "\n"
        fd = os.open(self.path / UNITS, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line.encode())
            os.fsync(fd)
        finally:
            os.close(fd)
        self.records()[name] = (size, digest)

    def write_text(self, name: str, text: str) -> None:
        self._atomic(name, lambda p: p.write_text(text, encoding="utf-8"))

    def write_csv(self, name: str, df: pd.DataFrame) -> None:
        self._atomic(name, lambda p: df.to_csv(p, index=False))

    def _write_tmp(self, name: str, writer) -> Path:
        tmp = self.path / f".tmp-{os.getpid()}-{name}"
        try:
            writer(tmp)
            fd = os.open(tmp, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        except BaseException:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise
        return tmp

    def _atomic(self, name: str, writer) -> None:
        tmp = self._write_tmp(name, writer)
        if name == MANIFEST:
            _pause("manifest-tmp")
        os.replace(tmp, self.path / name)

    def read(self) -> pd.DataFrame:
        return pd.read_parquet(self.path)


def _is_unit(name: str) -> bool:
    return name.endswith(".parquet") and "__r" in name and not name.startswith((".", "_"))


def _leftover(name: str) -> bool:
    """What an interrupted creation or write may leave: the lock, temporary files, the write probe."""
    return name in (LOCK, PROBE) or name.startswith(".tmp-")


def _short(name: str, n: int = 60) -> str:
    return name if len(name) <= n else name[:n] + "..."


def is_store(path: str | Path) -> bool:
    """True if ``path`` is a directory holding a sweep store (its manifest)."""
    return (Path(path) / MANIFEST).exists()


def manifest_diff(old: dict[str, Any], new: dict[str, Any]) -> str:
    """A short description of what differs between two manifests ('' if nothing that matters)."""
    out = []
    if old.get("format") != new.get("format"):
        return f"store format {old.get('format')} vs {new.get('format')}"
    for k, v in new["settings"].items():
        if old["settings"].get(k) != v:
            out.append(f"{k} {old['settings'].get(k)!r} -> {v!r}")
    if old.get("code") != new.get("code"):
        out.append("the simulator's code or data changed since the sweep started")
    if old.get("posteriors") != new.get("posteriors"):
        o, n = old.get("posteriors") or {}, new.get("posteriors") or {}
        if o.get("source") != n.get("source"):
            out.append(f"posteriors (RECRUITSIM_POSTERIORS) {o.get('source')!r} -> {n.get('source')!r}")
        else:
            out.append(f"the posterior files in {n.get('source')} changed since the sweep started")
    ov, nv = old.get("versions") or {}, new.get("versions") or {}
    changed = [f"{k} {ov.get(k)} -> {nv.get(k)}" for k in sorted(set(ov) | set(nv)) if ov.get(k) != nv.get(k)]
    if changed:
        out.append("library versions changed: " + ", ".join(changed[:3]))
    o_arms = {a["label"]: a for a in old.get("arms", [])}
    n_arms = {a["label"]: a for a in new.get("arms", [])}
    if list(o_arms) != list(n_arms):
        added, gone = sorted(set(n_arms) - set(o_arms)), sorted(set(o_arms) - set(n_arms))
        bits = ([f"added {', '.join(added[:3])}{'...' if len(added) > 3 else ''}"] if added else []) + (
            [f"missing {', '.join(gone[:3])}{'...' if len(gone) > 3 else ''}"] if gone else [])
        out.append("scenarios differ: " + ("; ".join(bits) or "different order"))
    else:
        changed = [k for k in n_arms if n_arms[k] != o_arms[k]]
        if changed:
            out.append(f"scenario definition changed: {', '.join(changed[:3])}{'...' if len(changed) > 3 else ''}")
    if not out and old.get("columns") != new.get("columns"):
        out.append("output columns differ")
    return "; ".join(out)


def conform(df: pd.DataFrame, columns: list[str], factors: dict[str, float], factor_names: list[str],
            point: int | None) -> pd.DataFrame:
    """Give a unit's results the store's columns, order and types (missing policy columns -> 0)."""
    extra = [c for c in df.columns if c not in columns and c not in ("scenario", "replicate", "point")]
    if extra:
        raise RuntimeError(f"unexpected output columns {extra[:5]}: the store's column list is out of date")
    n = len(df)
    cols: dict[str, np.ndarray] = {"scenario": df["scenario"].astype(str).to_numpy(),
                                   "replicate": df["replicate"].to_numpy(np.int64)}
    if point is not None:
        cols["point"] = np.full(n, point, np.int64)
    for c in columns:
        if c in ("month", "year"):
            cols[c] = df[c].to_numpy(np.int64)
        else:
            cols[c] = df[c].to_numpy(np.float64) if c in df.columns else np.zeros(n)
    for f in factor_names:
        cols[f] = np.full(n, factors.get(f, np.nan), np.float64)
    return pd.DataFrame(cols)
