"""The app's regional view, the running part: which countries, which regional scenario, and the paired runs.

A regional comparison is the baseline and one regional scenario (a library one from ``region/scenarios``, or
interdiction on one route or in one country), run together over a corridor or a list of countries with
``region.simulation.run_region``, for a few paired replicates: replicate ``r`` of both runs uses posterior draw
``r``, effect set ``r`` and the same country seeds (common random numbers), as ``recruitsim compare --corridor``.
Each finished run is reduced in its worker to a small :class:`RegionOutcome` (last year's national figures and
the flows at the end), so little crosses between processes. :func:`run_region_view` is a generator of
:class:`RegionSnapshot` s, as ``app_logic.run.run_comparison`` is for the single-country page, and uses the same
worker pool. Nothing here imports Solara; ``app_logic.region_view`` turns the outcomes into the map and tables.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace

from recruitsim.region import scenario as regional
from recruitsim.region.routes import CORRIDORS, RegionError, resolve_countries, routes, settings
from recruitsim.scenarios import library

from . import run as R
from .state import BURN_IN_YEARS, InputProblem, parse_whole

log = logging.getLogger("recruitsim.app")

CUSTOM = "custom"
CORRIDOR_LABELS = {"central_america_mexico": "Central America and Mexico (COL, PAN, CRI, NIC, HND, SLV, GTM, MEX)",
                   "andean": "Andean (COL, PER, BOL, ECU)",
                   "caribbean": "Caribbean (COL, VEN, DOM, HTI, JAM, BHS, TTO)",
                   CUSTOM: "Choose the countries…"}
ROUTE_KEY, COUNTRY_KEY = "route", "country"
#: run size limits of the regional view (per country; they keep a shared server responsive)
LIMITS = {"agents": (1_000, 50_000), "years": (1, 10), "replicates": (1, 5), "seed": (0, 2**31 - 1)}
DEFAULTS = {"corridor": "central_america_mexico", "scenario": "lib:interdiction_central_america", "agents": 20_000,
            "years": 5, "replicates": 2, "seed": 1, "route": "col_isthmus_land", "country": "MEX"}


def strength_range() -> tuple[float, float, float]:
    """(default, low, high) of ``interdiction_risk``: the added route cost per interdiction policy."""
    s = settings()["interdiction_risk"]
    return s.value, s.low, s.high


# ---- what a user chooses -------------------------------------------------------------------------------
def scenario_choices(countries: tuple[str, ...]) -> dict[str, str]:
    """key -> label: the regional library scenarios that fit ``countries``, then one route, one country."""
    out = {}
    for name in regional.library_names():
        sc = regional.load(name)
        try:
            regional.plan(sc, countries)
        except RegionError:
            continue  # e.g. interdiction in Mexico when Mexico is not simulated
        out[f"lib:{name}"] = sc.description or name
    out[ROUTE_KEY] = "Interdiction on one route (choose it below)"
    out[COUNTRY_KEY] = "Interdiction in one country (choose it below)"
    return out


def route_choices(countries: tuple[str, ...]) -> dict[str, str]:
    """name -> label of the routes that cross a simulated country (those countries pay for the interdiction)."""
    return {r.name: f"{r.name}: {'-'.join(r.countries)} -> {r.destination}" for r in routes()
            if any(c in countries for c in r.countries)}


def build_scenario(key: str, route: str | None, country: str | None, strength: float | None) -> library.Scenario:
    """The scenario of a choice; ``strength``: ``interdiction_risk`` (None or the default: the calibrated value)."""
    if key.startswith("lib:"):
        sc = regional.load(key[4:])
    elif key == ROUTE_KEY:
        sc = library.parse({"name": f"interdiction_{route}", "description": f"Interdiction on the route {route}",
                            "policy": [{"kind": "interdiction", "route": route}]}, "the regional view")
    elif key == COUNTRY_KEY:
        sc = library.parse({"name": f"interdiction_{country}", "description": f"Interdiction in {country} alone",
                            "policy": [{"kind": "interdiction", "countries": [country]}]}, "the regional view")
    else:
        raise InputProblem(f"Unknown regional scenario '{key}'; choose one from the list.")
    default, _, _ = strength_range()
    if strength is not None and abs(strength - default) > 1e-12:
        sc = replace(sc, extra={**sc.extra, library.REGION_TABLE: {**sc.extra.get(library.REGION_TABLE, {}),
                                                                   "interdiction_risk": float(strength)}})
    return sc


@dataclass(frozen=True)
class RegionSettings:
    """One regional comparison: the countries, the scenario against the baseline, the run size."""

    countries: tuple[str, ...]
    corridor: str | None  # its name, or None for a list of countries
    scenario: library.Scenario
    agents: int = DEFAULTS["agents"]  # per country
    years: int = DEFAULTS["years"]
    replicates: int = DEFAULTS["replicates"]
    seed: int = DEFAULTS["seed"]
    burn_in: float = BURN_IN_YEARS

    def describe(self) -> str:
        where = f"the {self.corridor} corridor" if self.corridor else "the chosen countries"
        return (f"{where} ({', '.join(self.countries)}), {self.agents:,} simulated youths per country, {self.years} years "
                f"after a {self.burn_in:g}-year burn-in, {self.replicates} paired replicate{'s' if self.replicates != 1 else ''}, "
                f"seed {self.seed}")


def pick_countries(corridor: str, chosen: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """The countries of a corridor, or those picked (``InputProblem`` with one clear message if none)."""
    if corridor in CORRIDORS:
        return CORRIDORS[corridor]
    if corridor != CUSTOM:
        raise InputProblem(f"Unknown corridor '{corridor}'; choose one from the list.")
    if not chosen:
        raise InputProblem("Choose at least one country (or a corridor) for the regional run.")
    try:
        return resolve_countries(list(chosen))
    except RegionError as e:
        raise InputProblem(str(e).replace("--countries: ", "")) from None


def validate_region(corridor: str, chosen, key: str, route: str | None, country: str | None, strength: float | None,
                    agents, years, replicates, seed) -> tuple[RegionSettings | None, list[str]]:
    """Check the regional view's choices. Returns the settings (or None) and the problems, one line each."""
    problems: list[str] = []
    values: dict[str, int] = {}
    for name, text, label in (("agents", agents, "Simulated youths per country"), ("years", years, "Years"),
                              ("replicates", replicates, "Replicates"), ("seed", seed, "Seed")):
        try:
            values[name] = parse_whole(text, label, *LIMITS[name])
        except InputProblem as e:
            problems.append(str(e))
    try:
        countries = pick_countries(corridor, chosen)
        sc = build_scenario(key, route, country, strength)
        regional.plan(sc, countries)
        library.check_horizon(sc, values.get("years", 1) * 12)
    except (InputProblem, RegionError, library.ScenarioError) as e:
        problems.append(str(e))
    if problems:
        return None, problems
    return RegionSettings(countries, corridor if corridor in CORRIDORS else None, sc, values["agents"], values["years"],
                          values["replicates"], values["seed"]), []


# ---- one regional run (picklable: runs in a worker process) -------------------------------------------
@dataclass(frozen=True)
class RegionJob:
    countries: tuple[str, ...]
    scenario: library.Scenario | None  # None: the baseline
    agents: int
    years: int
    burn_in: float
    seed: int
    replicate: int

    @property
    def side(self) -> str:
        return "baseline" if self.scenario is None else "scenario"

    @property
    def baseline_key(self) -> tuple:
        return (self.countries, self.agents, self.years, self.burn_in, self.seed, self.replicate)


@dataclass(frozen=True)
class RegionOutcome:
    """One regional run reduced: per country last year's figures, the route flows at the end (t/yr)."""

    countries: dict[str, dict[str, float]]
    routes: dict[str, float]
    total_tonnes: float
    seconds: float


def _country_figures(df, revenue_factor: float, tonnes: float, population: float) -> dict[str, float]:
    last = df.tail(12)
    cost = [c for c in df if c.startswith("cost_")]
    hom = float(last["homicides_expected"].sum())
    return {"recruits": float(last["recruits"].sum()), "members": float(df["members"].iloc[-1]), "homicides": hom,
            "homicide_rate": hom / population * 1e5, "programme_cost": float(last[cost].to_numpy().sum()) if cost else 0.0,
            "revenue_factor": revenue_factor, "tonnes": tonnes}


def simulate_region(job: RegionJob) -> RegionOutcome:
    """Run one regional run to its end and reduce it (the worker-process entry point)."""
    from recruitsim.model.profiles import get_profile
    from recruitsim.region.flows import FlowModel
    from recruitsim.region.simulation import run_region

    tic = time.perf_counter()
    sc = job.scenario if job.scenario is not None else library.load("baseline")
    res = run_region(job.countries, scenario=sc, agents=job.agents, years=job.years, burn_in=job.burn_in, seed=job.seed,
                     replicate=job.replicate)
    last = res.flows.iloc[-1]
    fm = FlowModel(res.network, res.plan.flow)
    base = fm.flow0 * fm.p.production_tonnes
    route_t = {r.name: float(last.get(f"route_{r.name}", t0)) for r, t0 in zip(res.network.routes, base)}
    figures = {}
    for c, d in res.countries.items():
        tonnes = float(sum(t for r, t in zip(res.network.routes, route_t.values()) if c in r.countries))
        figures[c] = _country_figures(d["results"], float(last[f"revenue_factor_{c}"]), tonnes, get_profile(c).population)
    return RegionOutcome(figures, route_t, float(sum(route_t.values())), time.perf_counter() - tic)


# ---- the paired runs, as snapshots ---------------------------------------------------------------------
@dataclass(frozen=True)
class RegionSnapshot:
    """A regional comparison as the page draws it (immutable: a new one per update)."""

    settings: RegionSettings
    status: str  # running | done | error | cancelled
    message: str
    outcomes: dict[tuple[str, int], RegionOutcome]  # (baseline | scenario, replicate) -> outcome
    runs_done: int
    runs_total: int
    elapsed: float

    @property
    def fraction(self) -> float:
        return self.runs_done / max(self.runs_total, 1)

    @property
    def replicates_done(self) -> int:
        """Replicates in which both the baseline and the scenario have finished."""
        return len(paired(self))


class _Cache:
    """Regional baselines shared between sessions: a baseline depends on the countries and the run size only."""

    def __init__(self, size: int = 16):
        self.lock, self.size, self.items = threading.Lock(), size, OrderedDict()

    def get(self, key):
        with self.lock:
            return self.items.get(key)

    def put(self, key, value) -> None:
        with self.lock:
            self.items[key] = value
            while len(self.items) > self.size:
                self.items.popitem(last=False)

    def clear(self) -> None:
        with self.lock:
            self.items.clear()


baselines = _Cache()


def make_jobs(s: RegionSettings) -> list[RegionJob]:
    """Replicate by replicate, the baseline then the scenario (so replicate 1 of both comes first)."""
    return [RegionJob(s.countries, sc, s.agents, s.years, s.burn_in, s.seed, r)
            for r in range(s.replicates) for sc in (None, s.scenario)]


def _message(s: RegionSettings, done: int, total: int, elapsed: float) -> str:
    return (f"{done} of {total} regional runs done ({len(s.countries)} countries each; the baseline and the scenario, "
            f"{s.replicates} replicate{'s' if s.replicates != 1 else ''}), {elapsed:.0f} s so far…")


def _collect(job: RegionJob, out: RegionOutcome, outcomes: dict) -> None:
    outcomes[(job.side, job.replicate)] = out
    if job.scenario is None:
        baselines.put(job.baseline_key, out)


def run_region_view(s: RegionSettings, should_stop: Callable[[], bool] = lambda: False,
                    use_pool: bool = True) -> Iterator[RegionSnapshot]:
    """Run the baseline and the scenario for ``s.replicates`` paired replicates, yielding snapshots as runs
    finish. Never raises for a failed run (the last snapshot then has ``status == "error"``); stops soon after
    ``should_stop()`` turns True (status ``cancelled``), keeping what finished."""
    tic = time.perf_counter()
    jobs = make_jobs(s)
    outcomes: dict[tuple[str, int], RegionOutcome] = {}
    snap = lambda status, msg: RegionSnapshot(s, status, msg, dict(outcomes), len(outcomes), len(jobs),  # noqa: E731
                                              time.perf_counter() - tic)
    todo = []
    for job in jobs:
        cached = baselines.get(job.baseline_key) if job.scenario is None else None
        if cached is not None:
            outcomes[(job.side, job.replicate)] = cached
        else:
            todo.append(job)
    pool = R.get_pool() if use_pool else None
    waiting: dict[Future, RegionJob] = {}
    try:
        yield snap("running", f"Setting up {len(s.countries)} countries and their {s.burn_in:g}-year burn-ins…")
        if pool is not None:
            try:
                while todo:
                    future = pool.submit(simulate_region, todo[0])
                    waiting[future] = todo.pop(0)
            except (BrokenProcessPool, RuntimeError):  # the pool died or was shut down: the rest runs in this thread
                R.reset_pool(pool)
        shown, told = len(outcomes), time.perf_counter()
        while waiting or todo:
            if should_stop():
                raise R.Cancelled
            _advance(waiting, todo, outcomes)
            if len(outcomes) < len(jobs) and (len(outcomes) != shown or time.perf_counter() - told > 2.0):
                shown, told = len(outcomes), time.perf_counter()  # a new result, or the clock every 2 s
                yield snap("running", _message(s, len(outcomes), len(jobs), time.perf_counter() - tic))
        yield snap("done", f"Done: {s.replicates} paired replicate{'s' if s.replicates != 1 else ''} of the baseline and "
                           f"the scenario in {time.perf_counter() - tic:.1f} s.")
    except R.Cancelled:
        for f in waiting:
            f.cancel()
        yield snap("cancelled", "Stopped. The results shown rest on the runs finished before you pressed Stop.")
    except Exception as e:  # a failed run must not take the page (or the server) down
        for f in waiting:
            f.cancel()
        log.exception("regional run failed")
        yield snap("error", R.friendly_error(e))


def _advance(waiting: dict[Future, RegionJob], todo: list[RegionJob], outcomes: dict) -> None:
    """Collect what the workers finished in the next 0.2 s, or run one job in this thread."""
    if todo:
        job = todo.pop(0)
        _collect(job, simulate_region(job), outcomes)
        return
    finished, _ = wait(list(waiting), timeout=0.2, return_when=FIRST_COMPLETED)
    for f in finished:
        job = waiting.pop(f)
        try:
            out = f.result()
        except BrokenProcessPool:
            R.reset_pool()
            raise RuntimeError("a simulation worker process stopped unexpectedly (it may have run out of memory); "
                               "try fewer simulated youths or countries") from None
        _collect(job, out, outcomes)


def paired(snap: RegionSnapshot) -> list[int]:
    """The replicates in which both runs finished."""
    return [r for r in range(snap.settings.replicates) if ("baseline", r) in snap.outcomes and ("scenario", r) in snap.outcomes]

