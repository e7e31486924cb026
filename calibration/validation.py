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
"""

from __future__ import annotations

import csv
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


def out_of_sample(code: str, until: int, predictive: pd.DataFrame) -> list[dict[str, Any]]:
    """Held-out observations against the split posterior's 90% predictive interval."""
    out = []
    for obs in held_out(code, until):
        v = predictive[obs["name"]].to_numpy(float) if obs["name"] in predictive else np.array([])
        v = v[np.isfinite(v)]
        if not v.size:
            continue
        lo, hi = np.quantile(v, [0.05, 0.95])
        observed = obs["low"] if obs["low"] == obs["high"] else [obs["low"], obs["high"]]
        out.append({"name": obs["name"], "year": obs["year"], "observed": observed, "low": float(f"{lo:.4g}"),
                    "high": float(f"{hi:.4g}"), "covered": bool(lo <= obs["high"] and hi >= obs["low"]),
                    "source": obs["source"]})
    return out


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


def with_drift(interval: tuple[float, float], sigma: float, years_after: int) -> tuple[float, float]:
    """``interval`` widened as a random walk from the split: x exp(+-DRIFT_Z sigma sqrt(years after))."""
    f = float(np.exp(DRIFT_Z * sigma * np.sqrt(max(years_after, 0))))
    return interval[0] / f, interval[1] * f


def coverage(entries: list[dict[str, Any]]) -> dict[str, Any]:
    """How many held-out observations fall inside their interval."""
    n = len(entries)
    k = sum(e["covered"] for e in entries)
    return {"observations": n, "covered": k, "share": round(k / n, 3) if n else None}
