"""Calibrate one profile: ABC (APMC) against its targets, then the posterior predictive check.

    from recruitsim.calibration.calibrate import calibrate
    from recruitsim.scenarios.engine import Engine
    with Engine(workers=2) as eng:
        out = calibrate("HND", eng, budget=800, seed=1)
    out.write("calibration")          # posteriors/HND.csv, posteriors/HND.json, reports/HND.md + .png

The posterior predictive check re-simulates the posterior exactly as scenario runs will use it:
replicate ``r`` takes ``posterior.draw(code, r)`` and the runner's seed ``replicate_seed(1, r)``.
"""

from __future__ import annotations

import json
import math
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from recruitsim.model.posteriors import resampled
from recruitsim.model.profiles import get_profile
from recruitsim.model.streams import replicate_seed
from recruitsim.scenarios.provenance import dumps, versions

from . import targets as targets_mod
from . import validation
from .abc import Result, apmc
from .identification import width_ratios
from .priors import PriorBox, calibrated_names
from .simulate import STATISTICS, Settings, run_task, with_outputs

DEFAULT_BUDGET = 800
DEFAULT_PARTICLES = 100  # kept particles (posterior sample size)
DEFAULT_LABELS = 8  # output-parameter draws scored per simulation
#: Stop when every kept particle is within this distance (in target tolerance units) of every target.
#: The tolerance is the observation-error model (10% for rates and counts, 2 points for shares): going
#: below it would treat point targets as exact and concentrate the posterior on a few simulations.
DEFAULT_EPS_MIN = 1.0
DEFAULT_PREDICTIVE = 60
DEFAULT_SETTINGS = Settings()
FORMAT_VERSION = 1


def distance(stats: dict[str, float], targets: list[targets_mod.Target]) -> float:
    """The largest of the targets' errors, in tolerance units (0 when every target is matched).

    The maximum (not a mean) so that a tolerance of 1 means *every* target is within its tolerance."""
    errs = [t.error(stats.get(t.name, math.nan)) for t in targets]
    if not errs:
        return 0.0
    return max(errs)


def run_by_position(engine, tasks: list[tuple]) -> list[dict]:
    # engines may return copies of the items (Dask pickles them), so tag each task with its position
    tagged = [(i, t) for i, t in enumerate(tasks)]
    out: list[dict | None] = [None] * len(tasks)
    for (i, _), res in engine.map(_indexed_task, tagged):
        out[i] = res
    return out  # type: ignore[return-value]


def _indexed_task(item: tuple[int, tuple]) -> dict:
    return run_task(item[1])


@dataclass
class Calibration:
    code: str
    names: tuple[str, ...]
    targets: list[targets_mod.Target]
    result: Result
    settings: Settings
    seed: int
    budget: int
    particles: int
    seconds: float
    engine: str
    predictive: pd.DataFrame = field(default_factory=pd.DataFrame)
    predictive_seconds: float = 0.0
    until: int | None = None  # a split calibration: fitted on the data up to this year (``validation``)
    pooled: dict[str, Any] | None = None  # the hierarchical prior's hyperparameters (stage 2 of ``pooling``)

    # ---- the posterior -------------------------------------------------------------------------------
    def posterior_frame(self) -> pd.DataFrame:
        box = PriorBox(self.names)
        rows = [{"particle": i, "weight": float(self.result.weights[i]), **box.values(x),
                 "distance": float(self.result.distances[i])} for i, x in enumerate(self.result.x)]
        return pd.DataFrame(rows)

    def summary(self) -> dict[str, Any]:
        """Posterior predictive summary per target (what ``recruitsim profiles --json`` prints); for a split
        calibration also the held-out observations against the predictive interval."""
        out = fit_summary(self.targets, self.predictive)
        if self.until is not None:
            out.update(_validation(self.code, self.until, self.predictive))
        return out

    def meta(self) -> dict[str, Any]:
        r = self.result
        box = PriorBox(self.names)
        return {
            "format": FORMAT_VERSION,
            "profile": self.code,
            "calibrated": True,
            "method": "ABC, adaptive population Monte Carlo (Lenormand et al. 2013)"
                      + ("; hierarchical prior from the other countries (pooling, stage 2)" if self.pooled else ""),
            **({"hierarchical_prior": self.pooled} if self.pooled else {}),
            "versions": versions(),
            "parameters": {p.name: p.label for p in box.priors},
            "settings": self.settings.as_dict(),
            "seed": self.seed,
            "budget": self.budget,
            "particles": self.particles,
            "kept": int(len(r.weights)),
            "kept_from_simulations": r.distinct_simulations,
            "simulations": r.simulations,
            "stop_reason": r.stop_reason,
            "ess": round(r.ess, 1),
            "tolerance_schedule": [[g.simulations, round(g.eps, 4), round(g.p_acc, 3)] for g in r.generations],
            "seconds": round(self.seconds, 1),
            "predictive_replicates": int(len(self.predictive)),
            "predictive_seconds": round(self.predictive_seconds, 1),
            "engine": self.engine,
            "machine": f"{platform.machine()} {platform.system()}, python {platform.python_version()}",
            "git": _git_commit(),
            "identification": width_ratios(resampled(self.posterior_frame(), self.names, self.code), self.names),
            **self.summary(),
        }

    # ---- files ---------------------------------------------------------------------------------------
    def write(self, root: str | Path, report: bool = True) -> list[Path]:
        root = Path(root)
        (root / "posteriors").mkdir(parents=True, exist_ok=True)
        csv_path = root / "posteriors" / f"{self.code}.csv"
        self.posterior_frame().to_csv(csv_path, index=False, float_format="%.6g")
        json_path = root / "posteriors" / f"{self.code}.json"
        json_path.write_text(dumps(self.meta(), indent=1) + "\n")
        written = [csv_path, json_path]
        if len(self.predictive):
            (root / "reports").mkdir(parents=True, exist_ok=True)
            pp_path = root / "reports" / f"{self.code}_predictive.csv"
            self.predictive.to_csv(pp_path, index=False, float_format="%.6g")
            written.append(pp_path)
        if report:
            from .report import write_index, write_report

            written += write_report(self.code, self.meta(), self.posterior_frame(), self.predictive, root / "reports")
            written.append(write_index(root))
        return written


def fit_summary(targets: list[targets_mod.Target], pp: pd.DataFrame) -> dict[str, Any]:
    """Each target against the 90% posterior predictive interval of ``pp``; and the 90% predictive interval
    of every statistic (targeted or not: members and recruits per year are what the tool exists for)."""
    out_targets = []
    for t in targets:
        v = pp[t.name].to_numpy(float) if t.name in pp else np.array([])
        v = v[np.isfinite(v)]
        lo, med, hi = (np.quantile(v, [0.05, 0.5, 0.95]) if v.size else (math.nan,) * 3)
        out_targets.append({
            "name": t.name, "observed": t.observed, "low": _r(lo), "high": _r(hi), "median": _r(med),
            "covered": t.overlaps(lo, hi) if v.size else False, "kind": t.kind, "source": t.source,
        })
    predictions = {}
    for name in STATISTICS:
        if name in pp:
            v = pp[name].to_numpy(float)
            v = v[np.isfinite(v)]
            if v.size:
                q = np.quantile(v, [0.05, 0.5, 0.95])
                predictions[name] = {"low": _r(q[0]), "median": _r(q[1]), "high": _r(q[2])}
    return {"targets": out_targets, "predictions": predictions}


def _validation(code: str, until: int, pp: pd.DataFrame) -> dict[str, Any]:
    entries = validation.out_of_sample(code, until, pp)
    return {"until": until, "out_of_sample": entries, "out_of_sample_coverage": validation.coverage(entries),
            "out_of_sample_forecast_coverage": validation.coverage(entries, "forecast")}


def recheck(code: str, engine, root: str | Path, replicates: int = DEFAULT_PREDICTIVE, report: bool = True,
            log: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Re-run the posterior predictive check of a committed posterior with the current model code.

    Use after the model changes: the posterior is kept, the fit summary and report are redone (the ABC
    is not). Returns the new metadata (also written to ``posteriors/<code>.json``).
    """
    root = Path(root)
    meta = json.loads((root / "posteriors" / f"{code}.json").read_text())
    frame = pd.read_csv(root / "posteriors" / f"{code}.csv")
    tic = time.perf_counter()
    pp = pd.DataFrame(run_by_position(engine, predictive_tasks(code, meta, frame, replicates)))
    pp.insert(0, "replicate", range(replicates))
    seconds = time.perf_counter() - tic
    meta["predictive_replicates"] = replicates
    meta["predictive_seconds"] = round(seconds, 1)
    meta["rechecked"] = {"git": _git_commit(), "date": time.strftime("%Y-%m-%d"), "engine": getattr(engine, "description", "")}
    meta = _summarise(code, root, meta, frame, pp, report)
    if log:
        cov = sum(t["covered"] for t in meta["targets"])
        log(f"{code}: posterior predictive re-run ({replicates} replicates, {seconds:.0f} s): {cov}/{len(meta['targets'])} covered")
    return meta


def predictive_tasks(code: str, meta: dict[str, Any], frame: pd.DataFrame, replicates: int) -> list[tuple]:
    """The simulations of a saved posterior's predictive check: replicate r runs draw r with seed
    ``replicate_seed(1, r)`` at the fit's settings (as scenario runs use the posterior)."""
    draws = resampled(frame, tuple(meta["parameters"]), code)
    settings = Settings(**meta["settings"]).as_dict()
    return [(code, draws[r % len(draws)], replicate_seed(1, r), settings) for r in range(replicates)]


def refresh(code: str, root: str | Path, report: bool = True) -> dict[str, Any]:
    """Redo a posterior's summaries (fit against the current targets, predictions, identification) and its
    report from the files it already has: no simulation. Use when the summaries, not the model, change."""
    root = Path(root)
    meta = json.loads((root / "posteriors" / f"{code}.json").read_text())
    frame = pd.read_csv(root / "posteriors" / f"{code}.csv")
    pp = pd.read_csv(root / "reports" / f"{code}_predictive.csv")
    return _summarise(code, root, meta, frame, pp, report)


def _summarise(code: str, root: Path, meta: dict[str, Any], frame: pd.DataFrame, pp: pd.DataFrame,
               report: bool) -> dict[str, Any]:
    names = tuple(meta["parameters"])
    until = meta.get("until")
    targets = targets_mod.for_profile(code) if until is None else validation.split_targets(code, until)
    meta.update(fit_summary(targets, pp))
    if until is not None:
        meta.update(_validation(code, until, pp))
    meta["identification"] = width_ratios(resampled(frame, names, code), names)
    (root / "posteriors" / f"{code}.json").write_text(dumps(meta, indent=1) + "\n")
    (root / "reports").mkdir(parents=True, exist_ok=True)
    pp.to_csv(root / "reports" / f"{code}_predictive.csv", index=False, float_format="%.6g")
    if report:
        from .report import write_index, write_report

        write_report(code, meta, frame, pp, root / "reports")
        write_index(root)
    return meta


def _r(v: float) -> float | None:
    return None if v is None or not math.isfinite(v) else float(f"{v:.4g}")


def _git_commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=5,
                              cwd=Path(__file__).parent).stdout.strip()
    except Exception:  # noqa: BLE001 - provenance only
        return ""


def calibrate(code: str, engine, *, budget: int = DEFAULT_BUDGET, particles: int = DEFAULT_PARTICLES,
              seed: int = 1, settings: Settings = DEFAULT_SETTINGS, predictive: int = DEFAULT_PREDICTIVE,
              targets: list[targets_mod.Target] | None = None, base_params: dict[str, float] | None = None,
              names: tuple[str, ...] | None = None, labels: int = DEFAULT_LABELS, per_generation: int | None = None,
              p_acc_min: float = 0.02,
              eps_min: float = DEFAULT_EPS_MIN, until: int | None = None, pooled: dict[str, Any] | None = None,
              log: Callable[[str], None] | None = None) -> Calibration:
    """Calibrate profile ``code`` on ``engine`` (a ``scenarios.engine.Engine`` that is open).

    ``targets`` defaults to the profile's rows of targets.csv and ``names`` (the calibrated parameters)
    to ``priors.calibrated_names(targets)``; ``base_params`` are fixed overrides applied under the
    calibrated ones (the identifiability test uses these three). ``pooled`` (a ``pooling.json`` record)
    replaces the flat prior of the pooled parameters by the hierarchical one (stage 2 of ``pooling``).
    """
    code = get_profile(code).iso3
    if targets is None:
        targets = targets_mod.for_profile(code) if until is None else validation.split_targets(code, until)
    if not targets:
        raise ValueError(f"profile {code} has no calibration targets")
    names = tuple(names) if names else calibrated_names([t.name for t in targets])
    box = PriorBox(names)
    base = dict(base_params or {})
    sdict = settings.as_dict()

    out_names = [n for n, o in zip(names, box.outputs, strict=True) if o]

    def simulate_points(x: np.ndarray, seeds: np.ndarray) -> list[dict]:
        tasks = [(code, {**base, **box.values(xi)}, int(s), sdict) for xi, s in zip(x, seeds, strict=True)]
        return run_by_position(engine, tasks)

    def score(raw: dict, xs: np.ndarray) -> tuple[np.ndarray, list[dict]]:
        stats = []
        for xi in xs:
            vals = box.values(xi)
            stats.append(with_outputs(raw, {k: vals[k] for k in out_names}))
        return np.array([distance(s, targets) for s in stats]), stats

    tic = time.perf_counter()
    prior = None
    if pooled is not None:
        from .pooling import prior_for

        prior = prior_for(pooled, code, names)
    result = apmc(box.names, box.lo, box.hi, simulate_points, score, outputs=box.outputs, n_keep=particles,
                  labels=labels, per_generation=per_generation, budget=budget, seed=seed, p_acc_min=p_acc_min,
                  eps_min=eps_min, prior=prior, log=log)
    seconds = time.perf_counter() - tic
    cal = Calibration(code, names, targets, result, settings, seed, budget, particles, seconds,
                      getattr(engine, "description", str(engine)), until=until,
                      pooled=None if pooled is None else (pooled.get("leave_one_out", {}).get(code) or pooled["hyper"]))
    if predictive > 0:
        tic = time.perf_counter()
        cal.predictive = posterior_predictive(cal, engine, predictive, base)
        cal.predictive_seconds = time.perf_counter() - tic
        if log:
            log(f"posterior predictive: {predictive} replicates in {cal.predictive_seconds:.0f} s")
    return cal


def posterior_predictive(cal: Calibration, engine, replicates: int, base: dict[str, float] | None = None,
                         run_seed: int = 1) -> pd.DataFrame:
    """Simulate replicates 0..R-1 as scenario runs would: draw r of the posterior, seed replicate_seed(run_seed, r)."""
    draws = resampled(cal.posterior_frame(), cal.names, cal.code)
    sdict = cal.settings.as_dict()
    tasks = [(cal.code, {**(base or {}), **draws[r % len(draws)]}, replicate_seed(run_seed, r), sdict)
             for r in range(replicates)]
    stats = run_by_position(engine, tasks)
    df = pd.DataFrame(stats)
    df.insert(0, "replicate", range(replicates))
    return df


def log_stderr(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)
