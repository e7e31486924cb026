"""Partial pooling across countries: a two-stage hierarchical calibration (Lunn et al. 2013).

Why two stages. An ABC fit of all 24 countries at once (one joint hierarchical sampler) would need
hundreds of simulations per country *per generation*; the two-stage method re-uses the country fits
that exist and costs no simulation beyond the posterior predictive re-run.

* **Stage 1** (``recruitsim calibrate``): each country is fitted alone with flat priors on the box of
  ``priors.PriorBox``: weighted particles ``theta_ci, w_ci`` of ``p(theta | data_c) ~ p(data_c | theta) u(theta)``.
* **The hierarchical prior.** In the sampling space (log for log-uniform parameters), each *pooled*
  parameter ``k`` of country ``c`` is drawn around a regional value: ``theta_ck ~ N(mu_k, tau_k^2)``,
  truncated to the prior box, independently over ``k``. ``tau_k`` is how much countries differ.
* **Stage 2: the hyperparameters.** ``(mu, tau)`` maximise the marginal likelihood of every country's data
  (empirical Bayes), estimated from the stage-1 particles by importance sampling,
  ``log L(mu, tau) = sum_c log sum_i w_ci prod_k phi_trunc(theta_cik; mu_k, tau_k) / u_k`` (up to constants),
  found by EM (``fit_hyper``).
  A data-rich country, whose particles are concentrated, pins ``mu`` and ``tau`` down; a country whose
  stage-1 posterior is its prior adds almost nothing.
* **Stage 2: the countries.** Each country's pooled posterior is its stage-1 particles re-weighted by the
  hierarchical prior over the flat one: ``w'_ci ~ w_ci prod_k phi_trunc(theta_cik; mu_k, tau_k) / u_k``. A
  data-rich country's likelihood is narrow, so it barely moves (the fit reports show its targets still
  covered); a sparse-data country is pulled toward the region's distribution of countries.

``tau_k`` is bounded below by ``TAU_MIN`` x the box width (a GUESS: with 24 countries a few similar ones
could otherwise collapse it and over-pool). The regional profile (LAC) is not a country: it is left out
of the pool and not re-weighted. The pooled parameters are ``priors.BASE`` (the ones every country fits).
The effective sample size after re-weighting is reported; below ``MIN_ESS`` the re-weighted sample is too
thin and the country keeps its stage-1 posterior (said in its record).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import log_ndtr, logsumexp

from recruitsim.model.profiles import REGIONAL

from .priors import BASE, PriorBox

TAU_MIN = 0.05  # smallest between-country sd, as a share of the prior box width (GUESS)
MIN_ESS = 10.0
METHOD = ("two-stage hierarchical (Lunn, Barrett, Sweeting & Thompson 2013), empirical-Bayes hyperparameters by EM "
          "on the stage-1 particles")


@dataclass(frozen=True)
class Stage1:
    """One country's stage-1 posterior in the sampling space of the pooled parameters."""

    code: str
    x: np.ndarray  # (particles, pooled parameters)
    log_w: np.ndarray  # normalised log weights


def _box() -> PriorBox:
    return PriorBox(BASE)


def load_stage1(root: str | Path, codes: list[str]) -> list[Stage1]:
    """The stage-1 particles of ``codes`` from ``root/posteriors`` (the unpooled weights if re-weighted)."""
    box, out = _box(), []
    for code in codes:
        frame = pd.read_csv(Path(root) / "posteriors" / f"{code}.csv")
        w = frame["weight_unpooled" if "weight_unpooled" in frame else "weight"].to_numpy(float)
        x = np.column_stack([p.to_space(frame[p.name].to_numpy(float)) for p in box.priors])
        out.append(Stage1(code, x, np.log(w / w.sum())))
    return out


def log_prior(x: np.ndarray, mu: np.ndarray, tau: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """log of the truncated-normal hierarchical prior over the uniform one, summed over parameters: (n,)."""
    z = (x - mu) / tau
    log_phi = -0.5 * z**2 - 0.5 * math.log(2 * math.pi) - np.log(tau)
    log_mass = _log_diff_ndtr((hi - mu) / tau, (lo - mu) / tau)
    return np.sum(log_phi - log_mass + np.log(hi - lo), axis=-1)


def _log_diff_ndtr(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """log(Phi(a) - Phi(b)) for a > b, stable in the tails."""
    la, lb = log_ndtr(a), log_ndtr(b)
    return la + np.log1p(-np.exp(np.minimum(lb - la, -1e-300)))


def fit_hyper(stage1: list[Stage1], lo: np.ndarray, hi: np.ndarray, iterations: int = 200) -> tuple[np.ndarray, np.ndarray, float]:
    """(mu, tau, log marginal likelihood) of the hierarchical prior, by EM on the stage-1 particles.

    E-step: each country's particles re-weighted by the current prior (the truncation constant is the same
    for all of a country's particles, so it cancels). M-step: ``mu`` = mean of the countries' re-weighted
    means; ``tau^2`` = mean of their re-weighted variances plus squared deviations from ``mu`` (the normal
    hierarchical model's updates, truncation ignored there), ``tau`` floored at ``TAU_MIN`` x the box width.
    """
    width = hi - lo
    tau_floor = TAU_MIN * width
    means = np.array([np.exp(s.log_w) @ s.x for s in stage1])
    mu, tau = means.mean(axis=0), np.maximum(means.std(axis=0), 0.25 * width)
    for _ in range(iterations):
        m, v = _moments(stage1, mu, tau, lo, hi)
        mu_new = m.mean(axis=0)
        tau_new = np.maximum(np.sqrt(np.mean(v + (m - mu_new) ** 2, axis=0)), tau_floor)
        done = np.all(np.abs(mu_new - mu) < 1e-6 * width) and np.all(np.abs(tau_new - tau) < 1e-6 * width)
        mu, tau = mu_new, tau_new
        if done:
            break
    loglik = sum(float(logsumexp(s.log_w + log_prior(s.x, mu, tau, lo, hi))) for s in stage1)
    return mu, tau, loglik


def _moments(stage1: list[Stage1], mu, tau, lo, hi) -> tuple[np.ndarray, np.ndarray]:
    """Each country's mean and variance per parameter under its re-weighted particles: (countries, k) twice."""
    m, v = [], []
    for s in stage1:
        w, _ = reweight(s, mu, tau, lo, hi)
        mean = w @ s.x
        m.append(mean)
        v.append(w @ (s.x - mean) ** 2)
    return np.array(m), np.array(v)


def reweight(s: Stage1, mu: np.ndarray, tau: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, float]:
    """Pooled weights of one country's particles (normalised) and their effective sample size."""
    lw = s.log_w + log_prior(s.x, mu, tau, lo, hi)
    w = np.exp(lw - logsumexp(lw))
    return w, float(1.0 / np.sum(w**2))


def pool(root: str | Path, codes: list[str]) -> dict[str, Any]:
    """Fit the hierarchical prior to the countries in ``root/posteriors`` and re-weight each country's
    posterior there (its stage-1 weights kept as ``weight_unpooled``). Returns the pooling record, also
    written to ``root/pooling.json``."""
    root = Path(root)
    codes = [c for c in codes if c != REGIONAL]
    box = _box()
    stage1 = load_stage1(root, codes)
    mu, tau, loglik = fit_hyper(stage1, box.lo, box.hi)
    countries = {}
    for s in stage1:
        w, ess = reweight(s, mu, tau, box.lo, box.hi)
        ess_before = float(1.0 / np.sum(np.exp(2 * s.log_w)))
        applied = ess >= MIN_ESS
        _write_weights(root, s.code, w if applied else np.exp(s.log_w))
        countries[s.code] = {"ess_unpooled": round(ess_before, 1), "ess_pooled": round(ess, 1), "applied": applied}
        _annotate(root, s.code, countries[s.code])
    loo = {}
    for i, s in enumerate(stage1):  # each country's prior for a stage-2 refit: the others' hyperparameters
        m_i, t_i, _ = fit_hyper(stage1[:i] + stage1[i + 1:], box.lo, box.hi)
        loo[s.code] = _hyper(m_i, t_i)
    record = {"method": METHOD, "pooled_parameters": list(BASE), "tau_min_share_of_box": TAU_MIN, "min_ess": MIN_ESS,
              "log_marginal_likelihood": round(loglik, 3), "regional": _regional_summary(box, mu, tau),
              "hyper": _hyper(mu, tau), "leave_one_out": loo, "countries": countries}
    (root / "pooling.json").write_text(json.dumps(record, indent=1) + "\n")
    return record


def _hyper(mu: np.ndarray, tau: np.ndarray) -> dict[str, dict[str, float]]:
    """Hyperparameters in the sampling space (log for log-uniform parameters), by parameter name."""
    return {n: {"mu": float(m), "tau": float(t)} for n, m, t in zip(BASE, mu, tau, strict=True)}


def prior_for(record: dict[str, Any], code: str, names: tuple[str, ...]):
    """The hierarchical prior of a stage-2 refit of ``code`` over the calibrated ``names``: the
    leave-one-out hyperparameters (the other countries' pool, so the country's data are not used twice)
    on the pooled parameters, uniform on the rest."""
    from .abc import TruncatedNormalPrior

    hyper = record.get("leave_one_out", {}).get(code) or record["hyper"]
    mu = np.array([hyper[n]["mu"] if n in hyper else np.nan for n in names])
    tau = np.array([hyper[n]["tau"] if n in hyper else np.nan for n in names])
    return TruncatedNormalPrior(mu, tau)


def _regional_summary(box: PriorBox, mu: np.ndarray, tau: np.ndarray) -> dict[str, dict[str, float]]:
    """The hierarchical prior per parameter, in the parameter's own units: median and 90% range of the
    distribution of countries (ignoring the truncation), and tau as a share of the prior box."""
    out = {}
    for p, m, t, a, b in zip(box.priors, mu, tau, box.lo, box.hi, strict=True):
        q = np.clip(np.array([m - 1.645 * t, m, m + 1.645 * t]), a, b)
        v = p.to_value(q)
        out[p.name] = {"median": float(f"{v[1]:.4g}"), "low": float(f"{v[0]:.4g}"), "high": float(f"{v[2]:.4g}"),
                       "tau_share_of_box": round(float(t / (b - a)), 3)}
    return out


def _write_weights(root: Path, code: str, w: np.ndarray) -> None:
    path = root / "posteriors" / f"{code}.csv"
    frame = pd.read_csv(path)
    if "weight_unpooled" not in frame:
        frame.insert(2, "weight_unpooled", frame["weight"])
    frame["weight"] = w
    frame.to_csv(path, index=False, float_format="%.6g")


def _annotate(root: Path, code: str, info: dict[str, Any]) -> None:
    path = root / "posteriors" / f"{code}.json"
    meta = json.loads(path.read_text())
    before = meta.get("pooling", {}).get("unpooled") or {  # the stage-1 fit, for comparison in the report
        "targets": [{k: t.get(k) for k in ("name", "low", "high", "covered")} for t in meta.get("targets", [])],
        "predictions": {k: v for k, v in meta.get("predictions", {}).items() if k in ("members", "recruits_per_year")},
        "ess": meta.get("ess")}
    meta["pooling"] = {"method": METHOD, **info, "unpooled": before}
    meta["ess"] = info["ess_pooled"] if info["applied"] else before["ess"]
    path.write_text(json.dumps(meta, indent=1) + "\n")
