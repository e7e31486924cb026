"""Using the calibrated posteriors: parameter draws for runs, and the fit summaries.

    from calibration import posterior
    posterior.draw("HND", 3)            # {'member_homicide': ..., ...}: replicate 3's draw (None if uncalibrated)
    posterior.params_for("HND", 3, member_homicide=0.001)   # the draw with explicit overrides on top
    m = posterior.calibrated_model("HND", replicate=3, n_agents=50_000, years=10)  # a RecruitmentModel

Scenario runs and sweeps (``scenarios.runner.run_unit``) merge ``draw(country, replicate)`` under the
scenario's and the unit's explicit parameters, so replicate ``r`` of every scenario uses the same draw
(common random numbers hold) and the spread across replicates carries parameter uncertainty.

Draws are deterministic: the weighted particles are resampled systematically into an equally weighted
list whose order is shuffled by a generator seeded with the profile code; replicate ``r`` takes entry
``r mod K`` (K = kept particles, 100 by default), so any K consecutive replicates are a balanced sample.

Posterior files live in ``calibration/posteriors/`` (package data). Set ``RECRUITSIM_POSTERIORS`` to a
directory to use other posteriors (e.g. from ``recruitsim calibrate --out DIR``: ``DIR/posteriors``),
or to ``off`` to run with the profiles' uncalibrated defaults.
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from model.profiles import REGIONAL, all_codes, get_profile

ENV = "RECRUITSIM_POSTERIORS"


def _dir() -> Path | None:
    env = os.environ.get(ENV, "").strip()
    if env.lower() == "off":
        return None
    if env:
        return Path(env)
    return Path(str(resources.files("calibration").joinpath("posteriors")))


def _code(country: str) -> str | None:
    try:
        return get_profile(country).iso3
    except KeyError:
        return None


@lru_cache(maxsize=64)
def _load(directory: str, code: str) -> tuple[tuple[dict[str, float], ...], dict[str, Any]] | None:
    d = Path(directory)
    csv_path, json_path = d / f"{code}.csv", d / f"{code}.json"
    if not csv_path.exists() or not json_path.exists():
        return None
    meta = json.loads(json_path.read_text())
    frame = pd.read_csv(csv_path)
    names = tuple(meta["parameters"])
    from .calibrate import resampled

    return tuple(resampled(frame, names, code)), meta


def is_calibrated(country: str) -> bool:
    code, d = _code(country), _dir()
    return bool(code and d is not None and _load(str(d), code) is not None)


def draw(country: str, replicate: int) -> dict[str, float] | None:
    """Replicate ``replicate``'s parameter draw for ``country`` (None if it has no posterior)."""
    code, d = _code(country), _dir()
    if code is None or d is None:
        return None
    loaded = _load(str(d), code)
    if loaded is None:
        return None
    draws = loaded[0]
    return dict(draws[int(replicate) % len(draws)])


def params_for(country: str, replicate: int = 0, **overrides: float) -> dict[str, float]:
    """Parameters for a model run: the posterior draw (if any) with ``overrides`` on top."""
    return {**(draw(country, replicate) or {}), **overrides}


def calibrated_model(country: str, replicate: int = 0, params: dict[str, float] | None = None, **kwargs):
    """A ``RecruitmentModel`` with replicate ``replicate``'s posterior draw (explicit ``params`` win).

    Seeds with the runner's ``replicate_seed(seed, replicate)`` unless ``rng`` is given, so the model
    is the same as replicate ``replicate`` of a scenario run (``seed`` defaults to 1).
    """
    from model import RecruitmentModel
    from model.streams import replicate_seed

    seed = kwargs.pop("seed", 1)
    rng = kwargs.pop("rng", replicate_seed(seed, replicate))
    return RecruitmentModel(country, params=params_for(country, replicate, **(params or {})), rng=rng, **kwargs)


def meta(country: str) -> dict[str, Any] | None:
    """The calibration record of a profile (settings, tolerance schedule, fit summary), or None."""
    code, d = _code(country), _dir()
    if code is None or d is None:
        return None
    loaded = _load(str(d), code)
    return None if loaded is None else loaded[1]


def profiles_summary() -> dict[str, Any]:
    """``{"profiles": [...]}`` for every profile, from the committed summaries (no simulation)."""
    from . import targets as targets_mod

    out = []
    for code in all_codes():
        m = meta(code)
        if m is not None:
            entry = {"country": code, "calibrated": True, "targets": m["targets"],
                     "observed_targets": sum(t.get("kind") == "observed" for t in m["targets"]),
                     "predictions": m.get("predictions", {}), "simulations": m.get("simulations"),
                     "seconds": m.get("seconds")}
        else:
            entry = {"country": code, "calibrated": False,
                     "observed_targets": sum(t.kind == "observed" for t in targets_mod.for_profile(code)), "targets": [
                {"name": t.name, "observed": t.observed, "low": None, "high": None, "covered": None,
                 "kind": t.kind, "source": t.source} for t in targets_mod.for_profile(code)]}
        out.append(entry)
    covered = [t["covered"] for p in out if p["calibrated"] for t in p["targets"]]
    observed_only = [t["covered"] for p in out if p["calibrated"] for t in p["targets"] if t.get("kind") == "observed"]
    return {
        "profiles": out,
        "coverage": {
            "calibrated_profiles": sum(p["calibrated"] for p in out),
            "profiles": len(out),
            "targets": len(covered),
            "covered": sum(bool(c) for c in covered),
            "share": round(sum(bool(c) for c in covered) / len(covered), 3) if covered else None,
            "observed_targets": len(observed_only),
            "observed_covered": sum(bool(c) for c in observed_only),
        },
        "regional": REGIONAL,
    }
