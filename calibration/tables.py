"""The tables of docs/calibration.md, generated from the shipped files (no simulation).

    python -m recruitsim.calibration.tables targets         # "Which profiles are calibrated"
    python -m recruitsim.calibration.tables out-of-sample   # "Out-of-sample validation"
    python -m recruitsim.calibration.tables external        # "External checks"

A test (``tests/test_calibration_tables.py``) checks that the doc shows exactly what this prints, so the
doc stays true to the shipped posteriors: after a refit, paste the new output into the doc.

**targets** - one row per profile with a posterior ``calibration/posteriors/<CODE>.json`` (LAC first,
then the countries alphabetically): the targets whose observed value or range overlaps the 90% posterior
predictive interval (``"targets"``, naming those that do not), the 90% predictive interval of members
aged 10-29 and its high/low ratio, that of recruits per year (``"predictions"``), the simulations the fit
ran, its effective sample size, why it stopped, and the median over the calibrated parameters of their
identification (posterior over prior 90% width, ``"identification"``). A summary line follows: the
targets covered, overall and among the observed ones (``kind == "observed"``: not a regional fallback,
not a stationarity condition).

**out-of-sample** - one row per split posterior ``calibration/validation/<CODE>.json`` (fitted on the
data up to ``"until"``, 2019): the held-out observations covered by its 90% predictive interval
(``"out_of_sample"``) and by its 90% forecast interval (the predictive interval plus the series' pre-split
volatility, ``validation.with_forecasts``), each series' observations by year (``(out)``: not covered by the
predictive interval) against that interval and its high/low ratio (a stationary status quo predicts one
interval per series, the same every year), the fit's effective sample size and simulations. Then the summary
line (observations covered by each interval; their median high/low) and a table scoring every forecast of
the held-out years (``FORECASTS``: the two intervals and four naive forecasts from the same pre-split data of
``calibration/data/*_series.csv``) by coverage and mean interval score (``validation.interval_score``):

* *persistence*: an interval as wide (high/low) as the split posterior's, centred geometrically on the
  geometric midpoint of the fit window's range (the ``validation.FIT_YEARS`` years up to the split);
* *persistence + pre-split volatility*: that, widened as the forecast interval is;
* *random walk*: from the last pre-split year's level (``validation.random_walk_interval``);
* *fit window's range*: that range itself, [min, max] of the window's figures.

An observation whose series has no figure in the window counts as not covered by the forecasts built on it.

**external** - ``calibration/external.csv`` as a table (written by ``python -m recruitsim.calibration.external
--run``, which simulates; see that module).
"""

from __future__ import annotations

import json
import math
import statistics
import sys
from pathlib import Path
from typing import Any

from recruitsim.model.profiles import REGIONAL

from . import validation

HERE = Path(__file__).resolve().parent
POSTERIORS = HERE / "posteriors"
VALIDATION = HERE / "validation"

TARGETS_HEADER = ("profile", "targets covered", "members 90% (high/low)", "recruits/yr 90%", "simulations", "ESS", "stop",
                  "median identification")
OUT_OF_SAMPLE_HEADER = ("profile", "covered: predictive", "covered: forecast", "homicide: observed 2020+ vs 90% interval",
                        "incarceration: observed 2020+ vs 90% interval", "interval high/low (hom, inc)", "fit ESS", "simulations")


def records(folder: Path) -> list[dict[str, Any]]:
    """Every ``<CODE>.json`` record in ``folder``: the regional profile first, then by code."""
    files = sorted(folder.glob("*.json"), key=lambda p: (p.stem != REGIONAL, p.stem))
    return [json.loads(p.read_text(encoding="utf-8")) for p in files]


def _row(cells: tuple[str, ...] | list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _table(header: tuple[str, ...], rows: list[str]) -> str:
    return "\n".join([_row(header), "|" + "---|" * len(header), *rows])


def _share(k: int, n: int) -> str:
    return f"{100 * k / n:.1f}%"


# ---- targets: which profiles are calibrated ----

def _count(v: float) -> str:
    return f"{v:,.0f}"


def _interval(q: dict[str, float]) -> str:
    return f"{_count(q['low'])}-{_count(q['high'])}"


def _covered(targets: list[dict[str, Any]]) -> str:
    missed = [t["name"] for t in targets if not t["covered"]]
    text = f"{len(targets) - len(missed)}/{len(targets)}"
    return f"{text} (not: {', '.join(missed)})" if missed else text


def target_row(meta: dict[str, Any]) -> str:
    """One profile's row of the targets table."""
    members, recruits = meta["predictions"]["members"], meta["predictions"]["recruits_per_year"]
    identification = statistics.median(meta["identification"].values())
    return _row([meta["profile"], _covered(meta["targets"]),
                 f"{_interval(members)} ({members['high'] / members['low']:.1f}x)", _interval(recruits),
                 str(meta["simulations"]), f"{meta['ess']:.1f}", meta["stop_reason"], f"{identification:.2f}"])


def targets_summary(metas: list[dict[str, Any]]) -> str:
    """Targets covered, overall and among the observed ones (not fallback, not stationarity)."""
    every = [t for m in metas for t in m["targets"]]
    observed = [t for t in every if t["kind"] == "observed"]
    return (f"**{sum(t['covered'] for t in every)} of {len(every)} targets are covered; of the {len(observed)} observed "
            f"(not fallback, not stationarity) targets, {sum(t['covered'] for t in observed)}.**")


def targets(folder: Path = POSTERIORS) -> str:
    """The targets table and its summary line."""
    metas = records(folder)
    return _table(TARGETS_HEADER, [target_row(m) for m in metas]) + "\n\n" + targets_summary(metas)


# ---- out-of-sample: split posteriors against the years after the split ----


def _observed(entry: dict[str, Any]) -> str:
    lo, hi = validation.observed_range(entry)
    text = f"{lo:.4g}" if lo == hi else f"{lo:.4g}-{hi:.4g}"
    return f"{entry['year']}: {text}" + ("" if entry["covered"] else " (out)")


def _series_cells(entries: list[dict[str, Any]], name: str) -> tuple[str, str]:
    """(observations vs interval, interval high/low) of one series; the interval is its first year's."""
    mine = [e for e in entries if e["name"] == name]
    if not mine:
        return "-", "-"
    lo, hi = mine[0]["low"], mine[0]["high"]
    return f"{', '.join(map(_observed, mine))} vs {lo:.4g}-{hi:.4g}", f"{hi / lo:.1f}x"


def out_of_sample_row(meta: dict[str, Any]) -> str:
    """One split posterior's row of the out-of-sample table."""
    entries = meta["out_of_sample"]
    cov, fc = validation.coverage(entries), validation.coverage(entries, "forecast")
    cells = [_series_cells(entries, name) for name in validation.SERIES]
    return _row([meta["profile"], f"{cov['covered']}/{cov['observations']}", f"{fc['covered']}/{fc['observations']}",
                 *(c[0] for c in cells), ", ".join(c[1] for c in cells), f"{meta['ess']:.1f}", str(meta["simulations"])])


def out_of_sample_summary(metas: list[dict[str, Any]]) -> str:
    """Held-out observations covered by the predictive and the forecast intervals, and their median high/low."""
    entries = [e for m in metas for e in m["out_of_sample"]]
    n = len(entries)
    k, f = sum(e["covered"] for e in entries), sum(e["forecast"]["covered"] for e in entries)
    width = statistics.median(e["high"] / e["low"] for e in entries)
    f_width = statistics.median(e["forecast"]["high"] / e["forecast"]["low"] for e in entries)
    return (f"{k}/{n} held-out observations covered by the split posteriors' 90% predictive intervals ({_share(k, n)}; "
            f"median high/low {width:.1f}x), {f}/{n} by their 90% forecast intervals ({_share(f, n)}; median high/low "
            f"{f_width:.1f}x)")


def fit_window(code: str, name: str, until: int) -> tuple[float, float] | None:
    """[min, max] of a series' figures (every source) over the ``FIT_YEARS`` years up to ``until``."""
    first = until - validation.FIT_YEARS + 1
    values = [v for y, v, _ in validation.series(name).get(code, []) if first <= y <= until]
    return (min(values), max(values)) if values else None


def _overlaps(interval: tuple[float, float] | None, entry: dict[str, Any]) -> bool:
    return validation.overlaps(interval, validation.observed_range(entry))


def benchmark_intervals(meta: dict[str, Any], entry: dict[str, Any]) -> tuple[tuple[float, float] | None, ...]:
    """(persistence interval, fit window's range) for one held-out observation."""
    window = fit_window(meta["profile"], entry["name"], meta["until"])
    if window is None:
        return None, None
    middle, half = math.sqrt(window[0] * window[1]), math.sqrt(entry["high"] / entry["low"])
    return (middle / half, middle * half), window


FORECASTS = ("split posterior: predictive interval", "split posterior: forecast interval (+ pre-split volatility)",
             "persistence", "persistence + pre-split volatility", "random walk from the last pre-split year",
             "fit window's range")


def forecast_intervals(meta: dict[str, Any], entry: dict[str, Any]) -> dict[str, tuple[float, float] | None]:
    """Every scored forecast's interval for one held-out observation, an entry with its ``"forecast"``
    (``validation.with_forecasts``); None: that forecast has none."""
    forecast = entry["forecast"]
    persistence, window = benchmark_intervals(meta, entry)
    widened = None if persistence is None else validation.forecast_interval(
        persistence, forecast["volatility"] or 0.0, forecast["years_after"])
    return dict(zip(FORECASTS, [
        (entry["low"], entry["high"]), (forecast["low"], forecast["high"]), persistence, widened,
        validation.random_walk_interval(meta["profile"], entry["name"], meta["until"], entry["year"]), window], strict=True))


def scores(metas: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Per forecast: observations, how many its interval covers, and its mean interval score (log scale); an
    observation a forecast has no interval for counts as a miss and is left out of its mean score."""
    out = {k: {"observations": 0, "covered": 0, "scored": 0, "score_sum": 0.0} for k in FORECASTS}
    for meta in metas:
        for entry in meta["out_of_sample"]:
            for k, iv in forecast_intervals(meta, entry).items():
                o = out[k]
                o["observations"] += 1
                o["covered"] += _overlaps(iv, entry)
                if iv is not None:
                    o["scored"] += 1
                    o["score_sum"] += validation.interval_score(iv, validation.observed_range(entry))
    return {k: {"observations": o["observations"], "covered": o["covered"],
                "mean_score": o["score_sum"] / o["scored"] if o["scored"] else math.nan, "scored": o["scored"]}
            for k, o in out.items()}


SCORES_HEADER = ("forecast of the held-out years", "covered", "share", "mean interval score (log scale; lower is better)")


def scores_table(metas: list[dict[str, Any]]) -> str:
    """The coverage and interval score of the split posteriors and of the naive forecasts, as a table."""
    rows = []
    for k, s in scores(metas).items():
        unscored = f" ({s['observations'] - s['scored']} without an interval)" if s["scored"] < s["observations"] else ""
        rows.append(_row([k, f"{s['covered']}/{s['observations']}", _share(s["covered"], s["observations"]),
                          f"{s['mean_score']:.2f}{unscored}"]))
    return _table(SCORES_HEADER, rows)


def out_of_sample(folder: Path = VALIDATION) -> str:
    """The out-of-sample table, its summary line and the table of scores against the naive forecasts."""
    metas = [{**m, "out_of_sample": validation.shipped_entries(m)} for m in records(folder)]
    return "\n\n".join([_table(OUT_OF_SAMPLE_HEADER, [out_of_sample_row(m) for m in metas]),
                        out_of_sample_summary(metas), scores_table(metas)])


def external_checks() -> str:
    """The external checks: detected trafficking victims, then victimisation (``calibration/external.csv``)."""
    from . import external

    rows = external.read_rows()
    return external.table(rows) + "\n\n" + external.victimisation_table(rows)


TABLES = {"targets": targets, "out-of-sample": out_of_sample, "external": external_checks}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1 or argv[0] not in TABLES:
        print(f"usage: python -m recruitsim.calibration.tables {'|'.join(TABLES)}", file=sys.stderr)
        return 2
    print(TABLES[argv[0]]())
    return 0


if __name__ == "__main__":
    sys.exit(main())
