"""Calibration summaries of every profile, and a calibrated model in one call.

The draws themselves are read by ``recruitsim.model.posteriors`` (so that running a scenario never
imports this package); the names below are re-exported for convenience.

    from recruitsim.calibration import posterior
    posterior.profiles_summary()        # {"profiles": [...], "coverage": {...}} for `recruitsim profiles`
    m = posterior.calibrated_model("HND", replicate=3, n_agents=50_000, years=10)
"""

from __future__ import annotations

from typing import Any

from recruitsim.model.posteriors import ENV, draw, is_calibrated, meta, params_for
from recruitsim.model.profiles import REGIONAL, all_codes

__all__ = ["ENV", "draw", "is_calibrated", "meta", "params_for", "calibrated_model", "profiles_summary"]


def calibrated_model(country: str, replicate: int = 0, params: dict[str, float] | None = None, **kwargs):
    """A ``RecruitmentModel`` with replicate ``replicate``'s posterior draw (explicit ``params`` win).

    Seeds with the runner's ``replicate_seed(seed, replicate)`` unless ``rng`` is given, so the model
    is the same as replicate ``replicate`` of a scenario run (``seed`` defaults to 1).
    """
    from recruitsim.model import RecruitmentModel
    from recruitsim.model.streams import replicate_seed

    seed = kwargs.pop("seed", 1)
    rng = kwargs.pop("rng", replicate_seed(seed, replicate))
    return RecruitmentModel(country, params=params or {}, draw=replicate, rng=rng, **kwargs)


def _predictions(m: dict[str, Any]) -> dict[str, Any]:
    """90% predictive intervals of every statistic; a targeted statistic's interval is in its target row."""
    out = dict(m.get("predictions", {}))
    for t in m["targets"]:
        out.setdefault(t["name"], {"low": t.get("low"), "median": t.get("median"), "high": t.get("high")})
    return out


def _identification(code: str, m: dict[str, Any]) -> dict[str, float]:
    """Posterior over prior 90% width per parameter (stored in the posterior's JSON, or computed from its draws)."""
    if "identification" in m:
        return m["identification"]
    from recruitsim.model.posteriors import loaded

    from .identification import width_ratios

    draws, _ = loaded(code)
    return width_ratios(draws, list(m["parameters"]))


def _out_of_sample(code: str) -> list[dict[str, Any]]:
    """Held-out observations of the shipped split calibration (``calibration/validation/<CODE>.json``,
    written by ``recruitsim calibrate --until YEAR``), or [] where none has been run yet. Each has its
    ``"forecast"`` interval, recomputed from the stored predictive interval and the pre-split data
    (``validation.shipped_entries``), so it follows the current series files."""
    import json
    from importlib import resources

    from .validation import shipped_entries

    path = resources.files("recruitsim.calibration").joinpath("validation", f"{code}.json")
    if not path.is_file():
        return []
    return shipped_entries(json.loads(path.read_text(encoding="utf-8")))


def _external(code: str, rows: dict[str, dict[str, Any]]) -> dict[str, Any] | None:
    """The profile's external checks (``calibration/external.csv``), or None where not run."""
    from .external import posterior_sha256

    r = rows.get(code)
    if r is None:
        return None
    out: dict[str, Any] = {"trafficking": {
        "model_new_victims_10_29_per_year": {k: r[k] for k in ("low", "median", "high")},
        **{k: r[k] for k in ("detected", "year", "source", "consistent", "nationals", "consistent_nationals",
                             "implied_detection_share")}}}
    if r["offences_bound"] is not None:
        out["victimisation"] = {"model_youth_offences_per_year": {k: r[f"offences_{k}"] for k in ("low", "median", "high")},
                                "lower_bound": r["offences_bound"], "year": r["offences_year"],
                                "source": r["offences_source"], "consistent": r["offences_consistent"]}
    out["posterior_current"] = r["posterior_sha256"] == posterior_sha256(code)
    return out


def profiles_summary() -> dict[str, Any]:
    """``{"profiles": [...]}`` for every profile, from the committed summaries (no simulation)."""
    from . import external, trajectory
    from . import targets as targets_mod
    from .validation import coverage

    out = []
    checks = external.read_rows()
    for code in all_codes():
        m = meta(code)
        if m is not None:
            entry = {"country": code, "calibrated": True, "targets": m["targets"],
                     "observed_targets": sum(t.get("kind") == "observed" for t in m["targets"]),
                     "predictions": _predictions(m), "identification": _identification(code, m),
                     "simulations": m.get("simulations"), "ess": m.get("ess"), "stop_reason": m.get("stop_reason"),
                     "pooled": bool(m.get("hierarchical_prior")), "settings": m.get("settings"), "seconds": m.get("seconds"), "git": m.get("git"),
                     "out_of_sample": _out_of_sample(code), "external_checks": _external(code, checks)}
        else:
            entry = {"country": code, "calibrated": False,
                     "observed_targets": sum(t.kind == "observed" for t in targets_mod.for_profile(code)), "targets": [
                {"name": t.name, "observed": t.observed, "low": None, "high": None, "covered": None,
                 "kind": t.kind, "source": t.source} for t in targets_mod.for_profile(code)]}
        entry["trajectory"] = [b.as_dict() for b in trajectory.bands(code)]
        out.append(entry)
    covered = [t["covered"] for p in out if p["calibrated"] for t in p["targets"]]
    observed_only = [t["covered"] for p in out if p["calibrated"] for t in p["targets"] if t.get("kind") == "observed"]
    held = [e for p in out for e in p.get("out_of_sample", [])]
    return {
        "profiles": out,
        "out_of_sample": {**coverage(held), "forecast": coverage(held, "forecast")},
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
