"""Calibrated parameter draws: what a run of a calibrated profile uses (depends only on the model).

    from recruitsim.model import posteriors
    posteriors.draw("HND", 3)          # {'member_homicide': ..., ...}: replicate 3's draw (None if uncalibrated)
    posteriors.params_for("HND", 3, member_homicide=0.001)   # the draw with explicit overrides on top

``RecruitmentModel(country, draw=r)`` runs with draw ``r`` (default 0; ``draw=None``: the profile's
uncalibrated defaults), and scenario runs, sweeps, ``compare`` and the app give replicate ``r`` draw ``r``,
the same in every scenario, so common random numbers hold and the spread across replicates carries
parameter uncertainty. Running never imports the calibration machinery (``recruitsim.calibration``),
which writes these files.

Draws are deterministic: the weighted particles are resampled systematically into an equally weighted
list whose order is shuffled by a generator seeded with the profile code; replicate ``r`` takes entry
``r mod K`` (K = kept particles, 100 by default), so any K consecutive replicates are a balanced sample.

Posterior files are ``calibration/posteriors/<CODE>.csv`` and ``.json`` (package data of
``recruitsim.calibration``, found by path so that no calibration code is imported). Set
``RECRUITSIM_POSTERIORS`` to a directory to use other posteriors (e.g. from ``recruitsim calibrate --out
DIR``: ``DIR/posteriors``), or to ``off`` to run with the profiles' uncalibrated defaults. A setting
that is not a directory, and a posterior file that cannot be read, raise ``PosteriorError`` (one line
naming the variable or the file) instead of silently running uncalibrated.
"""

from __future__ import annotations

import hashlib
import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .profiles import get_profile

ENV = "RECRUITSIM_POSTERIORS"
SHIPPED = Path(__file__).resolve().parent.parent / "calibration" / "posteriors"


class PosteriorError(ValueError):
    """RECRUITSIM_POSTERIORS or a posterior file is unusable (message: one line for the user)."""


def directory() -> Path | None:
    """Where posteriors are read from (None: posteriors switched off)."""
    env = os.environ.get(ENV, "").strip()
    if env.lower() == "off":
        return None
    if not env:
        return SHIPPED
    d = Path(env)
    if not d.is_dir():
        raise PosteriorError(f"{ENV}={env}: not a directory (give the folder holding <CODE>.csv and <CODE>.json, "
                             f"e.g. DIR/posteriors from `recruitsim calibrate --out DIR`, or 'off')")
    return d


def fingerprint(country: str) -> dict[str, Any]:
    """The posterior setting and the sha256 of the country's posterior files (what a resume must match)."""
    d = directory()
    if d is None:
        return {"source": "off", "files": {}}
    code = _code(country)
    files = {}
    for name in (f"{code}.csv", f"{code}.json"):
        f = d / name
        if code is not None and f.is_file():
            files[name] = hashlib.sha256(f.read_bytes()).hexdigest()
    return {"source": "shipped" if d.resolve() == SHIPPED.resolve() else str(d.resolve()), "files": files}


def _code(country: str) -> str | None:
    try:
        return get_profile(country).iso3
    except KeyError:
        return None


def resampled(frame: pd.DataFrame, names: tuple[str, ...], code: str) -> list[dict[str, float]]:
    """The posterior as an equally weighted list: systematic resampling of the weighted particles in
    an order shuffled by a generator seeded with the profile code. Replicate ``r`` uses entry
    ``r mod len``, so replicates 0..K-1 are a balanced sample of the posterior."""
    w = frame["weight"].to_numpy(float)
    w = w / w.sum()
    k = len(w)
    positions = (np.arange(k) + 0.5) / k
    idx = np.minimum(np.searchsorted(np.cumsum(w), positions), k - 1)
    rng = np.random.default_rng([sum(map(ord, code)), 4242])
    idx = idx[rng.permutation(k)]
    cols = list(names)
    vals = frame[cols].to_numpy(float)
    return [dict(zip(cols, map(float, vals[i]), strict=True)) for i in idx]


@lru_cache(maxsize=64)
def _load(folder: str, code: str) -> tuple[tuple[dict[str, float], ...], dict[str, Any]] | None:
    d = Path(folder)
    csv_path, json_path = d / f"{code}.csv", d / f"{code}.json"
    if not csv_path.exists() or not json_path.exists():
        return None
    try:
        meta = json.loads(json_path.read_text(encoding="utf-8"))
        names = tuple(meta["parameters"])
        if not names or not all(isinstance(n, str) for n in names):
            raise ValueError("'parameters' must be a list of parameter names")
    except (OSError, ValueError, KeyError, TypeError, RecursionError) as e:
        raise PosteriorError(f"{json_path}: unreadable posterior record ({type(e).__name__}: {str(e)[:120]}); "
                             f"fix or remove it, or set {ENV}=off") from None
    try:
        frame = pd.read_csv(csv_path)
        draws = tuple(resampled(frame, names, code))
        if not draws:
            raise ValueError("no particles")
        w = frame["weight"].to_numpy(float)
        if not np.all(np.isfinite(w)) or (w < 0).any() or w.sum() <= 0:
            raise ValueError("weights must be finite, >= 0 and not all 0")
    except (OSError, ValueError, KeyError, TypeError, pd.errors.ParserError, pd.errors.EmptyDataError) as e:
        raise PosteriorError(f"{csv_path}: unreadable posterior draws ({type(e).__name__}: {str(e)[:120]}); "
                             f"fix or remove it, or set {ENV}=off") from None
    return draws, meta


def loaded(country: str) -> tuple[tuple[dict[str, float], ...], dict[str, Any]] | None:
    """(equally weighted draws, calibration record) of a profile, or None."""
    code, d = _code(country), directory()
    if code is None or d is None:
        return None
    return _load(str(d), code)


def is_calibrated(country: str) -> bool:
    return loaded(country) is not None


def draw(country: str, replicate: int) -> dict[str, float] | None:
    """Replicate ``replicate``'s parameter draw for ``country`` (None if it has no posterior)."""
    got = loaded(country)
    if got is None:
        return None
    draws = got[0]
    return dict(draws[int(replicate) % len(draws)])


def params_for(country: str, replicate: int = 0, **overrides: float) -> dict[str, float]:
    """Parameters for a model run: the posterior draw (if any) with ``overrides`` on top."""
    return {**(draw(country, replicate) or {}), **overrides}


def meta(country: str) -> dict[str, Any] | None:
    """The calibration record of a profile (settings, tolerance schedule, fit summary), or None."""
    got = loaded(country)
    return None if got is None else got[1]
