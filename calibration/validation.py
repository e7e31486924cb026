"""Out-of-sample validation: calibrate on the data up to a year, predict the years after it.

The series are ``calibration/data/homicide_series.csv`` and ``incarceration_series.csv``: one row per
country, year and source (UNODC via Our World in Data and the World Bank's WDI, UNODC CTS, World Prison
Brief; tags in ``model/data/SOURCES.md``). A *split* calibration (``recruitsim calibrate --until 2019``)
replaces a profile's homicide and incarceration targets by the range of every source's figure over the
``FIT_YEARS`` years up to the split, keeps its other targets, and is then asked to predict each later
year: a held-out observation (the range of that year's sources) is *covered* when it overlaps the split
posterior's 90% predictive interval.

The model's status quo holds still by construction (``targets.STATIONARITY``), so it predicts the level
it was fitted to. A country whose rate moved after the split (El Salvador's homicide rate fell about
ten-fold after 2019) is not covered: that is the limit of a stationary baseline, reported as it is.

The posterior predictive interval carries the parameter and simulation uncertainty only: everything the
model leaves out (the economy, politics, a pandemic, a truce or a crackdown) is held fixed. The *forecast*
interval adds that exogenous variation at the size the country's own series showed before the split
(``drift_sigma``, a random walk: log variance ``sigma**2 * years after``), combined with the predictive
interval as two independent log-normal terms (``forecast_interval``). Both are scored with the interval
score (``interval_score``; Gneiting and Raftery 2007, section 6.2; Winkler 1972), a proper scoring rule
that charges the width and ``2 / alpha`` times every miss, on the log scale so that countries of different
levels weigh alike; ``random_walk_interval`` is the naive forecast they are compared with.
"""

from __future__ import annotations

import csv
import math
from collections import defaultdict
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd

from . import targets as targets_mod

SERIES = {"homicide_rate": "homicide_series.csv", "incarceration_rate": "incarceration_series.csv"}
FIT_YEARS = 5  # years up to the split whose figures make the fit's target range
DEFAULT_UNTIL = 2019
DRIFT_Z = 1.645  # a two-sided 90% normal interval
ALPHA = 0.1  # the intervals are central 90% intervals


@cache
def series(name: str) -> dict[str, list[tuple[int, float, str]]]:
    """``{iso3: [(year, value, source tag), ...]}`` of one series."""
    path = resources.files("recruitsim.calibration").joinpath("data", SERIES[name])
    out: dict[str, list[tuple[int, float, str]]] = defaultdict(list)
    with path.open(encoding="utf-8") as f:
        for r in csv.DictReader(f):
            out[r["iso3"]].append((int(r["year"]), float(r["value"]), r["source_tag"]))
    return dict(out)


def _window(code: str, name: str, first: int, last: int) -> list[tuple[int, float, str]]:
    return [row for row in series(name).get(code, []) if first <= row[0] <= last]


def split_targets(code: str, until: int = DEFAULT_UNTIL) -> list[targets_mod.Target]:
    """The profile's targets for a fit on the data up to ``until``: homicide and incarceration from the
    series' range over ``FIT_YEARS`` years (kept as they are where the series has no figure there)."""
    out = []
    for t in targets_mod.for_profile(code):
        rows = _window(code, t.name, until - FIT_YEARS + 1, until) if t.name in SERIES else []
        if rows:
            values = [v for _, v, _ in rows]
            tags = "; ".join(dict.fromkeys(tag for _, _, tag in rows))
            years = sorted({y for y, _, _ in rows})
            t = targets_mod.Target(code, t.name, min(values), max(values), t.scale, t.tolerance, "observed", tags,
                                   f"series {years[0]}-{years[-1]} (fit up to {until}): range of every source and year")
        out.append(t)
    return out


def held_out(code: str, until: int = DEFAULT_UNTIL) -> list[dict[str, Any]]:
    """Each later year's observation of each series: the range of its sources."""
    out = []
    for name in SERIES:
        by_year: dict[int, list[tuple[float, str]]] = defaultdict(list)
        for y, v, tag in series(name).get(code, []):
            if y > until:
                by_year[y].append((v, tag))
        for y in sorted(by_year):
            vals = [v for v, _ in by_year[y]]
            out.append({"name": name, "year": y, "low": min(vals), "high": max(vals),
                        "source": "; ".join(dict.fromkeys(tag for _, tag in by_year[y]))})
    return out


def observed_range(entry: dict[str, Any]) -> tuple[float, float]:
    """A held-out entry's observation as (low, high): the range of that year's sources."""
    ob = entry["observed"]
    return (ob[0], ob[1]) if isinstance(ob, list) else (ob, ob)


def overlaps(interval: tuple[float, float] | None, observed: tuple[float, float]) -> bool:
    """Whether an interval covers an observation given as a range of sources (any overlap)."""
    return bool(interval is not None and interval[0] <= observed[1] and interval[1] >= observed[0])


def out_of_sample(code: str, until: int, predictive: pd.DataFrame) -> list[dict[str, Any]]:
    """Held-out observations against the split posterior's 90% predictive interval, and its forecast interval."""
    out = []
    for obs in held_out(code, until):
        v = predictive[obs["name"]].to_numpy(float) if obs["name"] in predictive else np.array([])
        v = v[np.isfinite(v)]
        if not v.size:
            continue
        lo, hi = np.quantile(v, [0.05, 0.95])
        observed = obs["low"] if obs["low"] == obs["high"] else [obs["low"], obs["high"]]
        out.append({"name": obs["name"], "year": obs["year"], "observed": observed, "low": float(f"{lo:.4g}"),
                    "high": float(f"{hi:.4g}"), "covered": overlaps((lo, hi), (obs["low"], obs["high"])),
                    "source": obs["source"]})
    return with_forecasts(code, until, out)


def drift_sigma(code: str, name: str, until: int) -> float | None:
    """A series' year-to-year volatility up to the split: the root mean square of the log change between
    consecutive years of the same source, over every source's figures up to ``until`` (None with fewer
    than 3 changes). Only data before the split: it can widen a forecast without seeing what it forecasts."""
    by_source: dict[str, dict[int, float]] = defaultdict(dict)
    for y, v, tag in series(name).get(code, []):
        if y <= until and v > 0:
            by_source[tag][y] = v
    changes = [np.log(s[y + 1] / s[y]) for s in by_source.values() for y in s if y + 1 in s]
    return float(np.sqrt(np.mean(np.square(changes)))) if len(changes) >= 3 else None


def _log_sd(interval: tuple[float, float]) -> float:
    """The log-scale standard deviation of a log-normal whose central 90% interval is ``interval``."""
    return math.log(interval[1] / interval[0]) / (2 * DRIFT_Z)


def forecast_interval(interval: tuple[float, float], sigma: float, years_after: int) -> tuple[float, float]:
    """A 90% ``interval`` (the split posterior's) with a random walk of yearly log volatility ``sigma`` added
    from the split: both taken as log-normal and independent, so their log variances add; centred on the
    interval's geometric midpoint. ``sigma == 0`` gives the interval back."""
    centre = math.sqrt(interval[0] * interval[1])
    half = DRIFT_Z * math.sqrt(_log_sd(interval) ** 2 + sigma ** 2 * max(years_after, 0))
    return centre * math.exp(-half), centre * math.exp(half)


def last_level(code: str, name: str, until: int) -> tuple[int, float] | None:
    """(year, level) of the latest year up to ``until`` (within the ``FIT_YEARS`` window) with a figure: the
    geometric mean of that year's sources; None where the window has none."""
    rows = _window(code, name, until - FIT_YEARS + 1, until)
    if not rows:
        return None
    year = max(y for y, _, _ in rows)
    values = [v for y, v, _ in rows if y == year and v > 0]
    return (year, math.exp(sum(map(math.log, values)) / len(values))) if values else None


def random_walk_interval(code: str, name: str, until: int, year: int) -> tuple[float, float] | None:
    """The naive forecast of ``year``: the last level before the split, x exp(+-DRIFT_Z sigma sqrt(years since
    that level)); None without a level or a volatility."""
    last, sigma = last_level(code, name, until), drift_sigma(code, name, until)
    if last is None or not sigma:
        return None
    half = DRIFT_Z * sigma * math.sqrt(max(year - last[0], 1))
    return last[1] * math.exp(-half), last[1] * math.exp(half)


def interval_score(interval: tuple[float, float], observed: tuple[float, float], alpha: float = ALPHA) -> float:
    """The interval score of a central (1 - alpha) interval on the log scale: its width, plus 2 / alpha times
    the distance from the interval to the observation where it misses (an observation given as a range of
    sources misses only where the whole range lies outside). Lower is better; proper, so a forecaster cannot
    gain by reporting an interval wider or narrower than the one they believe."""
    lo, hi = math.log(interval[0]), math.log(interval[1])
    ob_lo, ob_hi = math.log(observed[0]), math.log(observed[1])
    return (hi - lo) + 2 / alpha * (max(lo - ob_hi, 0.0) + max(ob_lo - hi, 0.0))


def with_forecasts(code: str, until: int, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each held-out entry with its ``"forecast"``: the predictive interval widened by the series' pre-split
    volatility (``forecast_interval``; the interval kept where the history is too short to estimate it)."""
    out = []
    for e in entries:
        sigma = drift_sigma(code, e["name"], until)
        after = e["year"] - until
        lo, hi = forecast_interval((e["low"], e["high"]), sigma or 0.0, after)
        out.append({**e, "forecast": {"low": float(f"{lo:.4g}"), "high": float(f"{hi:.4g}"),
                                      "covered": overlaps((lo, hi), observed_range(e)),
                                      "volatility": None if sigma is None else round(sigma, 4), "years_after": after}})
    return out


def shipped_entries(record: dict[str, Any]) -> list[dict[str, Any]]:
    """A split record's held-out entries (``calibration/validation/<CODE>.json``) with their forecasts
    recomputed from the stored predictive interval and the current series files."""
    return with_forecasts(record["profile"], record["until"], record.get("out_of_sample", []))


def coverage(entries: list[dict[str, Any]], key: str | None = None) -> dict[str, Any]:
    """How many held-out observations fall inside their interval (``key="forecast"``: their forecast interval)."""
    n = len(entries)
    k = sum((e[key] if key else e)["covered"] for e in entries)
    return {"observations": n, "covered": k, "share": round(k / n, 3) if n else None}
