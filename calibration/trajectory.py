"""Trajectory targets: the band a profile's status quo must stay inside over a whole run.

A scenario runs 10 years. The fit matches the latest figures (``targets.csv``) and asks the status quo to
hold still over its window (``targets.STATIONARITY``); the trajectory target checks the whole horizon
against the country's observed history. For homicide and incarceration it is the range of every source's
figure over the ``HORIZON`` years up to the series' last year (``calibration/data/*_series.csv``: UNODC via
Our World in Data and the World Bank's WDI, UNODC CTS, World Prison Brief), joined with the profile's own
calibration target (the latest figure, which may come from a newer national source). A baseline stays
*within* it when every simulated year's mean lies inside the band widened by the target's tolerance (the
observation-error model, 10% for rates, in log units).

A band, not the series: the status quo is stationary by construction and is not asked to reproduce a trend
(El Salvador's homicide rate fell from about 100 to 2 in that decade, so its band is wide). What the band
rules out is a baseline drifting outside anything the country has seen in ten years.

    python -m recruitsim.calibration.trajectory            # the bands, as a Markdown table
    python -m recruitsim.calibration.trajectory --check    # every calibrated baseline (6 replicates, 10 years)
    python -m recruitsim.calibration.trajectory --check --years --workers 2 HND PRY   # each year, 2 processes

"The calibrated baseline" is what a comparison shows: the median over replicates, replicate r running
posterior draw r (``check_baseline``); each replicate's own range is reported beside it.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

from . import targets as targets_mod
from . import validation

HORIZON = 10  # years of history a band spans: as long as a scenario run
#: replicates of a checked baseline: as many as a comparison runs (economics.compare.DEFAULT_REPLICATES; a test
#: keeps the two equal), so the band is checked on the baseline a comparison shows
REPLICATES = 6
#: the run's column that is compared with each series (yearly mean of the monthly values)
COLUMNS = {"homicide_rate": "homicide_rate_expected", "incarceration_rate": "incarceration_rate"}


@dataclass(frozen=True)
class Band:
    """The range a series took over ``first``-``last`` (every source), joined with the profile's target."""

    profile: str
    name: str
    first: int
    last: int
    low: float
    high: float
    tolerance: float
    sources: str

    @property
    def bounds(self) -> tuple[float, float]:
        """The band widened by the target's tolerance (log scale)."""
        return self.low * math.exp(-self.tolerance), self.high * math.exp(self.tolerance)

    def as_dict(self) -> dict[str, Any]:
        lo, hi = self.bounds
        return {"name": self.name, "years": [self.first, self.last], "low": self.low, "high": self.high,
                "bounds": [round(lo, 4), round(hi, 4)], "sources": self.sources}


def bands(code: str) -> list[Band]:
    """The profile's trajectory targets (none for a series the profile has no figure of)."""
    out = []
    targets = {t.name: t for t in targets_mod.for_profile(code)}
    for name in COLUMNS:
        rows = validation.series(name).get(code, [])
        if not rows:
            continue
        last = max(y for y, _, _ in rows)
        window = [r for r in rows if r[0] > last - HORIZON]
        values = [v for _, v, _ in window]
        tags = list(dict.fromkeys(tag for _, _, tag in window))
        t = targets.get(name)
        if t is not None:
            values += [t.low, t.high]
            tags += [s for s in t.source.split("; ") if s and s not in tags]
        out.append(Band(code, name, min(y for y, _, _ in window), last, min(values), max(values),
                        t.tolerance if t is not None else 0.1, "; ".join(tags)))
    return out


def yearly(frame) -> pd.DataFrame:
    """A run's yearly means of the compared columns (``frame``: the model's monthly output)."""
    return frame.groupby("year")[list(COLUMNS.values())].mean()


def check(code: str, years: pd.DataFrame) -> list[dict[str, Any]]:
    """Each band against yearly values (``years``: one row per simulated year, the ``COLUMNS`` as columns,
    e.g. ``yearly(run)`` or the median over replicates)."""
    out = []
    for band in bands(code):
        values = years[COLUMNS[band.name]].to_numpy(float)
        lo, hi = band.bounds
        out.append({**band.as_dict(), "simulated": [round(float(v), 2) for v in values],
                    "within": bool(((values >= lo) & (values <= hi)).all())})
    return out


def baseline(code: str, replicates: int = REPLICATES, agents: int | None = None) -> pd.DataFrame:
    """The calibrated status quo over a run's horizon as scenario runs make it: replicate r takes posterior
    draw r and the runner's seed; one row per replicate and year (yearly means). ``agents`` defaults to
    ``baseline_agents`` of draw 0 (a low-prevalence profile needs more agents to keep its groups alive)."""
    import pandas as pd

    from recruitsim.model import RecruitmentModel
    from recruitsim.model.posteriors import params_for
    from recruitsim.model.streams import replicate_seed

    agents = agents or baseline_agents(params_for(code, 0)["member_prevalence"])
    rows = []
    for r in range(replicates):  # as posterior.calibrated_model(code, replicate=r) and the scenario runner
        df = RecruitmentModel(code, n_agents=agents, years=HORIZON, burn_in_years=5, draw=r, rng=replicate_seed(1, r),
                              collect=False).run()
        rows.append(yearly(df).assign(replicate=r).reset_index())
    return pd.concat(rows, ignore_index=True)


def check_baseline(code: str, replicates: int = REPLICATES, agents: int | None = None) -> list[dict[str, Any]]:
    """The bands against the median over replicates of each year (what a comparison's baseline shows), with
    each year's 5%-95% range over replicates (``"replicates_range"``)."""
    runs = baseline(code, replicates, agents)
    med = runs.groupby("year")[list(COLUMNS.values())].median()
    lo = runs.groupby("year")[list(COLUMNS.values())].quantile(0.05)
    hi = runs.groupby("year")[list(COLUMNS.values())].quantile(0.95)
    out = check(code, med)
    for e in out:
        col = COLUMNS[e["name"]]
        e["replicates_range"] = [[round(float(a), 2), round(float(b), 2)] for a, b in zip(lo[col], hi[col])]
        e["replicates"] = replicates
    return out


def table(codes: list[str]) -> str:
    """The bands of ``codes`` as a Markdown table."""
    lines = ["| profile | series | years | band | with tolerance |", "|---|---|---|---|---|"]
    for code in codes:
        for b in bands(code):
            lo, hi = b.bounds
            lines.append(f"| {code} | {b.name} | {b.first}-{b.last} | {b.low:.4g}-{b.high:.4g} | {lo:.4g}-{hi:.4g} |")
    return "\n".join(lines)


def _checked(task: tuple[str, int]) -> tuple[str, list[dict[str, Any]]]:
    code, replicates = task
    return code, check_baseline(code, replicates)


def run_checks(codes: list[str], replicates: int = REPLICATES, workers: int = 1) -> dict[str, list[dict[str, Any]]]:
    """``check_baseline`` of every calibrated profile in ``codes`` (one process per profile with ``workers`` > 1)."""
    from concurrent.futures import ProcessPoolExecutor

    from recruitsim.model.posteriors import is_calibrated

    tasks = [(c, replicates) for c in codes if is_calibrated(c)]
    if workers <= 1:
        return dict(map(_checked, tasks))
    with ProcessPoolExecutor(workers) as pool:
        return dict(pool.map(_checked, tasks))


def _cells(entry: dict[str, Any] | None) -> list[str]:
    if entry is None:
        return ["-", "-", "-", "-"]
    sim = entry["simulated"]
    return [f"{entry['bounds'][0]:.4g}-{entry['bounds'][1]:.4g}", f"{min(sim):.3g}-{max(sim):.3g}",
            f"{sim[-1] / sim[0]:.2f}", "yes" if entry["within"] else "**no**"]


SUMMARY_HEADER = ("| profile | homicide band | median, years 1-10 | year 10 / year 1 | within | incarceration band | "
                  "median, years 1-10 | year 10 / year 1 | within |")


def summary_row(code: str, entries: list[dict[str, Any]]) -> str:
    """One profile's row of the summary table: per series its band (with tolerance), the range of the yearly
    medians, the drift (year 10's median over year 1's) and whether every year is within."""
    by = {e["name"]: e for e in entries}
    return "| " + " | ".join([code, *_cells(by.get("homicide_rate")), *_cells(by.get("incarceration_rate"))]) + " |"


def summary_table(results: dict[str, list[dict[str, Any]]]) -> str:
    """One row per profile (``summary_row``) and the count of profiles and bands within (what
    docs/calibration.md shows)."""
    lines = [SUMMARY_HEADER, "|" + "---|" * (SUMMARY_HEADER.count("|") - 1)]
    lines += [summary_row(code, entries) for code, entries in results.items()]
    outside = [c for c, es in results.items() if not all(e["within"] for e in es)]
    n_bands = sum(len(es) for es in results.values())
    n_within = sum(e["within"] for es in results.values() for e in es)
    lines += ["", f"{len(results) - len(outside)} of {len(results)} profiles within both bands; {n_within} of {n_bands} "
              f"bands; outside: {', '.join(outside) or 'none'}"]
    return "\n".join(lines)


def yearly_table(results: dict[str, list[dict[str, Any]]], replicates: int) -> str:
    """Every band against each year's median and the range over replicates."""
    lines = [f"| profile | series | band (with tolerance) | median of {replicates} replicates, years 1-10 | "
             "range over replicates, years 1-10 | within |", "|---|---|---|---|---|---|"]
    for code, entries in results.items():
        for e in entries:
            sim = ", ".join(f"{v:.3g}" for v in e["simulated"])
            rng = f"{min(a for a, _ in e['replicates_range']):.3g}-{max(b for _, b in e['replicates_range']):.3g}"
            lines.append(f"| {code} | {e['name']} | {e['bounds'][0]:.4g}-{e['bounds'][1]:.4g} | {sim} | {rng} | "
                         f"{'yes' if e['within'] else '**no**'} |")
    return "\n".join(lines)


def baseline_agents(member_prevalence: float) -> int:
    """Agents for a baseline check: about 60 simulated members per group (below 50 a group can die out by
    chance), at least 50,000 and at most 400,000."""
    return int(min(400_000, max(50_000, 60 * 6 / member_prevalence)))


def main(argv: list[str] | None = None) -> int:
    import argparse

    from recruitsim.model.profiles import all_codes

    ap = argparse.ArgumentParser(prog="python -m recruitsim.calibration.trajectory", description=__doc__.splitlines()[0])
    ap.add_argument("codes", nargs="*", help="profiles (default: all)")
    ap.add_argument("--check", action="store_true", help="simulate every calibrated baseline against its bands")
    ap.add_argument("--years", action="store_true", help="with --check: each year, not the per-profile summary")
    ap.add_argument("--workers", type=int, default=1, help="with --check: processes, one profile each")
    args = ap.parse_args(sys.argv[1:] if argv is None else argv)
    known = set(all_codes())
    codes = [c.upper() for c in args.codes] or list(all_codes())
    unknown = [c for c in codes if c not in known]
    if unknown or args.workers < 1:
        ap.error(f"unknown profile {', '.join(unknown)}" if unknown else "--workers must be at least 1")
    if args.check:
        results = run_checks(codes, REPLICATES, args.workers)
        print(yearly_table(results, REPLICATES) if args.years else summary_table(results))
        return 0 if all(e["within"] for es in results.values() for e in es) else 1
    print(table(codes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
