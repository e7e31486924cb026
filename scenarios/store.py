"""The sweep store: a Parquet dataset with one file per finished (scenario, replicate) unit.

Layout of the output directory ``DIR``::

    DIR/baseline__r0000.parquet      one file per unit: the unit's monthly rows (all columns)
    DIR/mentoring__r0000.parquet
    ...
    DIR/_manifest.json               the sweep's settings and scenario definitions (resume check)
    DIR/_design.csv                  the scenarios (arms): label, point, reference, factor values
    DIR/_summary.csv                 medians and 10-90% intervals (written when the sweep ends)
    DIR/_lock                        held while a sweep writes (a second sweep on DIR is refused)

``pandas.read_parquet(DIR)`` reads the whole dataset (files starting with ``_`` or ``.`` are not
data). Every unit file has the same columns in the same order: ``scenario``, ``replicate``
(``point`` and the design's factor columns for designs), ``month``, ``year``, the model outputs and
each policy's ``cost_``/``enrolled_``/``starts_`` columns (0 where that policy is not in the
scenario), so the files concatenate without gaps.

A unit file is written to a temporary name in ``DIR`` and renamed into place (``os.replace``), so a
crash or SIGKILL never leaves a partial file under a data name. Resuming reruns only the units
whose file is missing; the files of a unit are the same bytes whoever wrote them.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

FORMAT = 1
MANIFEST = "_manifest.json"
DESIGN = "_design.csv"
SUMMARY = "_summary.csv"
LOCK = "_lock"


class StoreError(Exception):
    """The output directory cannot be used for this sweep (message: one line for the user)."""


def slug(label: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.@-]", "_", label)


def unit_file(label: str, replicate: int) -> str:
    return f"{slug(label)}__r{replicate:04d}.parquet"


def code_version() -> str:
    """Hash of the simulator's code and data: results from different code must not be mixed."""
    h = hashlib.sha256()
    for pkg, patterns in (("recruitsim.model", ("*.py",)), ("recruitsim.model.data", ("*.csv",)), ("recruitsim.scenarios", ("runner.py",))):
        root = Path(str(resources.files(pkg)))
        for pattern in patterns:
            for p in sorted(root.glob(pattern)):
                h.update(p.name.encode())
                h.update(p.read_bytes())
    return h.hexdigest()[:16]


class Store:
    """A sweep's output directory: manifest, unit files, lock."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._lock_fd: int | None = None

    # ---- life cycle ---------------------------------------------------------------------------
    def open(self, manifest: dict[str, Any]) -> bool:
        """Create the store, or check that an existing one was started with the same settings.

        Returns True if the directory already held this sweep (a resume). Raises ``StoreError``.
        """
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise StoreError(f"--out: cannot create '{self.path}' ({e.strerror or e})") from None
        self._lock()
        mpath = self.path / MANIFEST
        if mpath.exists():
            try:
                old = json.loads(mpath.read_text())
            except (OSError, ValueError) as e:
                raise StoreError(f"{mpath}: unreadable manifest ({e}); use a new --out directory") from None
            diff = manifest_diff(old, manifest)
            if diff:
                raise StoreError(f"{self.path} holds a sweep started with different settings ({diff}); "
                                 f"rerun with the original settings to resume it, or use a new --out directory")
            self._clean_tmp()
            return True
        data = [p.name for p in self.path.iterdir() if p.name not in (LOCK, ".recruitsim-write-test")]
        if data:
            raise StoreError(f"--out: '{self.path}' is not empty and holds no recruitsim sweep ({MANIFEST} missing); "
                             f"use a new or empty directory")
        self.write_text(MANIFEST, json.dumps(manifest, indent=1, sort_keys=True))
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
        fd = os.open(self.path / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
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

    # ---- files ----------------------------------------------------------------------------------
    def done(self) -> set[str]:
        """File names of the finished units."""
        return {p.name for p in self.path.glob("*__r*.parquet") if not p.name.startswith(".")}

    def write_unit(self, label: str, replicate: int, df: pd.DataFrame) -> None:
        self._atomic(unit_file(label, replicate), lambda p: df.to_parquet(p, index=False, engine="pyarrow"))

    def write_text(self, name: str, text: str) -> None:
        self._atomic(name, lambda p: p.write_text(text))

    def write_csv(self, name: str, df: pd.DataFrame) -> None:
        self._atomic(name, lambda p: df.to_csv(p, index=False))

    def _atomic(self, name: str, writer) -> None:
        tmp = self.path / f".tmp-{os.getpid()}-{name}"
        writer(tmp)
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, self.path / name)

    def read(self) -> pd.DataFrame:
        return pd.read_parquet(self.path)


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
