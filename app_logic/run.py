"""Running a comparison for the app: the baseline and several options, a few replicates, results as they come.

Replicate ``r`` uses the seed ``replicate_seed(seed, r)`` in the baseline and in every option (common random
numbers), so their differences are not swamped by noise. :func:`run_comparison` is a generator of
:class:`Snapshot` s, so the page can draw results while the rest is still running. :func:`plan_tasks` orders
the work: replicate 1 first, split across the worker processes (``RECRUITSIM_APP_WORKERS``, default 2; 0 runs
everything in the calling thread), then one task per replicate; each task runs one burn-in and a copy of it
per scenario (:func:`simulate_group`). Every finished task gives a snapshot.

Per-user state lives in the page. The only module-level state here is the worker pool and the
baseline cache: a baseline depends on (country, agents, years, seed, replicate) and never on anyone's
policies, so sharing it between sessions cannot leak one user's choices into another's results.
"""

from __future__ import annotations

import copy
import logging
import os
import select
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, CancelledError, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from recruitsim.model.params import ParameterError
from recruitsim.model.policies import KINDS, Policy

from .state import BURN_IN_YEARS, DEFAULTS, InputProblem, Settings

log = logging.getLogger("recruitsim.app")
LAYERS = ("control", "violence", "conflict", "policing")


class Cancelled(Exception):
    """The user pressed Stop or Run again, or closed the page."""


# ---- one simulation (picklable: runs in a worker process or in a thread) -------------------------------
@dataclass(frozen=True)
class Job:
    country: str
    agents: int
    years: int
    seed: int
    replicate: int
    scenario: str
    policies: tuple[dict, ...] = ()

    @property
    def baseline_key(self) -> tuple:
        return (self.country, self.agents, self.years, self.seed, self.replicate, BURN_IN_YEARS)


@dataclass
class Outcome:
    """What one simulation hands back: monthly results and its final neighbourhood layers."""

    results: pd.DataFrame
    layers: dict[str, np.ndarray]
    seconds: float


def make_model(job: Job, progress: Callable[[], Any] | None = None):
    from recruitsim.model import RecruitmentModel
    from recruitsim.model.streams import replicate_seed

    # a calibrated profile: replicate r takes posterior draw r, and every run policy effect set r, as in sweeps
    # and compare (the same in both runs; RECRUITSIM_EFFECTS=point: the point values)
    return RecruitmentModel(job.country, n_agents=job.agents, years=job.years, burn_in_years=BURN_IN_YEARS,
                            policies=[Policy(**p) for p in job.policies], rng=replicate_seed(job.seed, job.replicate),
                            collect=False, progress=progress, draw=job.replicate, effects=job.replicate)


def layers_of(model) -> dict[str, np.ndarray]:
    return {name: model.hoods.layer(name).copy() for name in LAYERS}


def tidy(df: pd.DataFrame, job: Job) -> pd.DataFrame:
    df = df.copy()
    df.insert(0, "scenario", job.scenario)
    df.insert(1, "replicate", job.replicate)
    return df


def outcome_of(model, job: Job) -> Outcome:
    return Outcome(tidy(model.results(), job), layers_of(model), model.step_seconds)


def simulate(job: Job, progress: Callable[[], Any] | None = None) -> Outcome:
    """Run one job to its end (the worker-process entry point)."""
    model = make_model(job, progress)
    model.run()
    return outcome_of(model, job)


def simulate_group(jobs: tuple[Job, ...], progress: Callable[[], Any] | None = None) -> list[Outcome]:
    """Several scenarios of one replicate from one burn-in (a worker-process entry point).

    Policies act only from month 0, so the burn-in is the same for all: run it once, deep-copy the model
    for each scenario and attach its policies (as ``scenarios.runner.run_group`` does; the results are
    identical to separate runs, which ``tests/test_app_logic.py`` checks).
    """
    first = jobs[0]
    base = make_model(Job(first.country, first.agents, first.years, first.seed, first.replicate, "baseline"), progress)
    out = []
    for i, job in enumerate(jobs):
        model = base if i == len(jobs) - 1 else copy.deepcopy(base)
        for p in job.policies:
            model.add_policy(Policy(**p))
        model.run()
        out.append(outcome_of(model, job))
    return out


def policy_dicts(policies: list[Policy]) -> tuple[dict, ...]:
    """Policies as plain dicts (``Policy(**d)`` arguments) that pickle cheaply to a worker."""
    out = []
    for p in policies:
        defaults = KINDS[p.kind].params
        settings = {key: v for key, v in p.values.items() if v != defaults[key].default}
        out.append({"kind": p.kind, "name": p.name, "start": p.start, "end": p.end, "targeting": p.targeting,
                    "budget": p.budget, "settings": settings})
    return tuple(out)


def _noop() -> int:
    return os.getpid()


# ---- shared, user-independent resources: the worker pool and the baseline cache -------------------------
class _Shared:
    def __init__(self):
        self.lock = threading.Lock()
        self.pool: ProcessPoolExecutor | None = None
        self.baselines: OrderedDict[tuple, Outcome] = OrderedDict()
        self.inflight: dict[tuple, Future] = {}  # baselines a worker is computing now
        self.max_baselines = 64
        self.warmed = False


_shared = _Shared()


def pool_workers() -> int:
    """Worker processes (``RECRUITSIM_APP_WORKERS``; default min(2, cores); 0 = everything in threads)."""
    text = os.environ.get("RECRUITSIM_APP_WORKERS")
    if text is not None:
        try:
            return max(0, min(16, int(text)))
        except ValueError:
            log.warning("RECRUITSIM_APP_WORKERS=%r is not a whole number; using the default", text)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(2, cores))


def get_pool() -> ProcessPoolExecutor | None:
    n = pool_workers()
    if n == 0:
        return None
    with _shared.lock:
        if _shared.pool is None:
            _shared.pool = ProcessPoolExecutor(n, mp_context=_mp_context(), initializer=exit_with_parent,
                                               initargs=(os.getpid(),))
        return _shared.pool


def exit_with_parent(pid: int) -> None:
    """Worker initializer: end this worker when the app server ``pid`` ends, however it ends.

    A pool worker waits on a queue whose write end it holds itself, so it would outlive a server killed
    by a signal (and keep the forkserver alive); a daemon thread watches the server and exits instead.
    """
    def watch():
        try:
            fd = os.pidfd_open(pid)  # Linux: readable when the process ends
        except (AttributeError, OSError):
            fd = None
        while True:
            if fd is not None:
                select.select([fd], [], [])
                os._exit(0)
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                os._exit(0)
            except PermissionError:
                pass
            time.sleep(2)

    threading.Thread(target=watch, name="recruitsim-exit-with-server", daemon=True).start()


def _mp_context():
    """A forkserver that has imported the model once: workers then start in milliseconds.

    Not plain fork: the server runs threads, and a forked child could inherit a held lock. Not spawn:
    each worker would import numpy, pandas, Mesa and the model again (2-5 s on a busy machine) and
    re-run the parent's main script (under ``solara run``, the Solara command line).
    """
    import multiprocessing as mp
    import sys

    try:
        ctx = mp.get_context("forkserver")
    except ValueError:  # no forkserver on this platform (Windows)
        return mp.get_context("spawn")
    main = sys.modules.get("__main__")
    preload = ["recruitsim.app_logic.run"]
    # a forkserver child re-runs the parent's main script when it is a plain file; import what it imports
    if getattr(main, "__spec__", None) is None and "solara.__main__" in sys.modules:
        preload.append("solara.__main__")
    ctx.set_forkserver_preload(preload)
    return ctx


def reset_pool(broken: ProcessPoolExecutor | None = None) -> None:
    with _shared.lock:
        if _shared.pool is not None and (broken is None or _shared.pool is broken):
            _shared.pool.shutdown(wait=False, cancel_futures=True)
            _shared.pool = None
            _shared.inflight.clear()


def warm_up(prefetch: bool = True) -> None:
    """Start the worker processes ahead of the first Run and, once per server, compute the first baselines
    of the default settings (the same for every user), so a default Run need only simulate the scenario."""
    try:
        pool = get_pool()
        if pool is None:
            return
        with _shared.lock:
            first = not _shared.warmed
            _shared.warmed = True
        if not first:
            return
        for _ in range(pool_workers()):
            pool.submit(_noop)
        if prefetch:  # one replicate per worker: a short burst, and replicate 1 (what a Run shows first) is ready
            for r in range(min(pool_workers(), DEFAULTS["replicates"])):
                job = Job(DEFAULTS["country"], DEFAULTS["agents"], DEFAULTS["years"], DEFAULTS["seed"], r, "baseline")
                baseline_source(job, pool)
    except Exception:  # warming up is an optimisation: never fail the page for it
        log.exception("warm-up of the worker pool failed")


def warm_up_in_background() -> None:
    """:func:`warm_up` without holding up the caller (starting the workers can take seconds)."""
    with _shared.lock:
        if _shared.warmed:
            return
    threading.Thread(target=warm_up, name="recruitsim-warm-up", daemon=True).start()


def baseline_source(job: Job, pool: ProcessPoolExecutor | None, start: bool = True) -> Outcome | Future | None:
    """A finished baseline from the cache, or the future of one being computed (started if ``start``)."""
    with _shared.lock:
        key = job.baseline_key
        out = _shared.baselines.get(key)
        if out is not None:
            _shared.baselines.move_to_end(key)
            return out
        fut = _shared.inflight.get(key)
        if fut is not None and not fut.cancelled():
            return fut
        if pool is None or not start:
            return None
        try:
            fut = pool.submit(simulate, job)
        except (BrokenProcessPool, RuntimeError):
            return None
        _shared.inflight[key] = fut
    fut.add_done_callback(lambda f, job=job: _baseline_done(job, f))
    return fut


def _baseline_done(job: Job, f: Future) -> None:
    with _shared.lock:
        if _shared.inflight.get(job.baseline_key) is f:
            del _shared.inflight[job.baseline_key]
    if not f.cancelled() and f.exception() is None:
        store_baseline(job, f.result())


def cached_baseline(job: Job) -> Outcome | None:
    with _shared.lock:
        return _shared.baselines.get(job.baseline_key)


def store_baseline(job: Job, out: Outcome) -> None:
    with _shared.lock:
        _shared.baselines[job.baseline_key] = out
        while len(_shared.baselines) > _shared.max_baselines:
            _shared.baselines.popitem(last=False)


def clear_baselines() -> None:
    with _shared.lock:
        _shared.baselines.clear()
        _shared.inflight.clear()
        _shared.warmed = False


# ---- a comparison run ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Snapshot:
    """A comparison run as the page draws it (immutable: a new one per update)."""

    settings: Settings
    status: str  # running | done | error | cancelled
    message: str
    results: pd.DataFrame  # tidy monthly rows of finished runs: scenario, replicate, month, year, outputs
    layers: dict[str, dict[str, np.ndarray]]  # {scenario: {layer: 2-D array}} at the end of replicate 1
    replicates_done: int  # replicates in which the baseline and every option have finished
    units_done: int
    units_total: int
    elapsed: float
    first_results_seconds: float | None = None

    @property
    def fraction(self) -> float:
        return self.units_done / max(self.units_total, 1)

    @property
    def complete(self) -> bool:
        return self.status == "done" and self.replicates_done == self.settings.replicates


def empty() -> pd.DataFrame:
    """Results with no rows (before the first Run)."""
    return pd.DataFrame(columns=["scenario", "replicate", "month", "year"])


def make_jobs(settings: Settings) -> dict[tuple[str, int], Job]:
    """One job per (scenario, replicate): the baseline and every option, the same seed per replicate (CRN)."""
    specs = {"baseline": ()} | {o.name: policy_dicts(o.scenario().policies()) for o in settings.options}
    return {(name, r): Job(settings.country, settings.agents, settings.years, settings.seed, r, name, pol)
            for r in range(settings.replicates) for name, pol in specs.items()}


def plan_tasks(jobs: dict[tuple[str, int], Job], have: set[tuple[str, int]], workers: int) -> list[tuple[Job, ...]]:
    """What to simulate, in order: replicate 1 first, split across the workers (first results soon), then one
    task per replicate (one shared burn-in each). Jobs in ``have`` (cached baselines) are left out."""
    reps = sorted({r for _, r in jobs})
    tasks = []
    for r in reps:
        todo = [j for (name, rr), j in jobs.items() if rr == r and (name, rr) not in have]
        k = max(1, min(workers, len(todo))) if r == reps[0] else 1
        tasks += [tuple(todo[i::k]) for i in range(k) if todo[i::k]]
    return tasks


class _Run:
    """The state of one comparison while it runs (used by :func:`run_comparison` only)."""

    def __init__(self, settings: Settings, should_stop: Callable[[], bool]):
        self.settings, self.should_stop = settings, should_stop
        self.tic = time.perf_counter()
        self.jobs = make_jobs(settings)
        self.done: dict[tuple[str, int], Outcome] = {}
        self.first: float | None = None

    def check(self) -> None:
        if self.should_stop():
            raise Cancelled

    def finish(self, out: Outcome, job: Job) -> None:
        self.done[(job.scenario, job.replicate)] = out
        if job.scenario == "baseline":
            store_baseline(job, out)
        if self.first is None and self.pairs_done() >= 1:
            self.first = time.perf_counter() - self.tic

    def pairs_done(self) -> int:
        names = ["baseline", *self.settings.names]
        return sum(1 for r in range(self.settings.replicates) if all((n, r) in self.done for n in names))

    def snapshot(self, status: str, message: str) -> Snapshot:
        frames = [o.results for o in self.done.values()]
        results = pd.concat(frames, ignore_index=True) if frames else empty()
        if not results.empty:
            results = results.sort_values(["scenario", "replicate", "month"], kind="stable", ignore_index=True)
            cost_cols = [c for c in results if c.startswith(("cost_", "enrolled_", "starts_"))]
            results[cost_cols] = results[cost_cols].fillna(0.0)
        layers = {k[0]: o.layers for k, o in self.done.items() if k[1] == 0}
        return Snapshot(self.settings, status, message, results, layers, self.pairs_done(), len(self.done), len(self.jobs),
                        time.perf_counter() - self.tic, self.first)

    def progress_message(self) -> str:
        R, n = self.settings.replicates, len(self.settings.options)
        done = self.pairs_done()
        if done == 0:
            return (f"Replicate 1 of {R}: simulating the baseline and {n} option{'s' if n != 1 else ''} "
                    f"({len(self.done)} of {n + 1} runs done)…")
        return f"{done} of {R} replicates done; the intervals narrow as more finish…"


def run_comparison(settings: Settings, should_stop: Callable[[], bool] = lambda: False,
                   use_pool: bool = True) -> Iterator[Snapshot]:
    """Run the baseline and every option for ``settings.replicates`` replicates, yielding snapshots as runs finish.

    Replicate ``r`` of every scenario uses the same seed (common random numbers) and, in a calibrated profile,
    posterior draw ``r``. Baselines come from the shared cache when they can. Never raises for a failed
    simulation: the last snapshot then has ``status == "error"`` and a message for the page. Stops (last
    status ``cancelled``) soon after ``should_stop()`` turns True, keeping the runs that finished.
    """
    run = _Run(settings, should_stop)
    pool = get_pool() if use_pool else None
    waiting: dict[Future, tuple[Job, ...]] = {}
    try:
        yield run.snapshot("running", f"Setting up {settings.agents:,} youths and running the {BURN_IN_YEARS}-year burn-in…")
        for key, job in run.jobs.items():  # baselines: cached, or being computed for someone (join it)
            if key[0] == "baseline":
                got = baseline_source(job, pool, start=False)
                if isinstance(got, Outcome):
                    run.done[key] = got
                elif isinstance(got, Future):
                    waiting[got] = (job,)
        have = set(run.done) | {(js[0].scenario, js[0].replicate) for js in waiting.values()}
        queue = plan_tasks(run.jobs, have, pool_workers() if pool is not None else 1)
        pool = _submit(queue, waiting, pool)
        shown = -1
        while waiting or queue:
            run.check()
            _step(run, waiting, queue)
            if len(run.done) != shown:
                shown = len(run.done)
                if run.pairs_done() < settings.replicates:
                    yield run.snapshot("running", run.progress_message())
        yield run.snapshot("done", f"Done: {settings.replicates} replicates in {time.perf_counter() - run.tic:.1f} s.")
    except Cancelled:
        _cancel(waiting)
        yield run.snapshot("cancelled", "Stopped. The results shown are those finished before you pressed Stop.")
    except Exception as e:  # a failed simulation must not take the page (or the server) down
        _cancel(waiting)
        log.exception("run failed")
        yield run.snapshot("error", friendly_error(e))


def _submit(queue: list[tuple[Job, ...]], waiting: dict[Future, tuple[Job, ...]],
            pool: ProcessPoolExecutor | None) -> ProcessPoolExecutor | None:
    """Hand the queued tasks to the workers (all of them: the pool runs them in order); without a pool, or
    when it has died, they stay in ``queue`` for this thread."""
    if pool is None:
        return None
    try:
        while queue:
            waiting[pool.submit(simulate_group, queue[0])] = queue[0]
            queue.pop(0)
    except (BrokenProcessPool, RuntimeError):  # the pool died or was shut down
        reset_pool(pool)
        return None
    return pool


def _step(run: _Run, waiting: dict[Future, tuple[Job, ...]], queue: list[tuple[Job, ...]]) -> None:
    """Collect what the workers finished in the next 0.1 s, or run one queued task in this thread."""
    if waiting:
        finished, _ = wait(list(waiting), timeout=0.1, return_when=FIRST_COMPLETED)
        for f in finished:
            jobs = waiting.pop(f)
            try:
                got = f.result()
                outs = [got] if isinstance(got, Outcome) else got
            except CancelledError:  # someone else's cancelled baseline: compute it here
                outs = simulate_group(jobs, progress=run.check)
            except BrokenProcessPool:
                reset_pool()
                raise RuntimeError("a simulation worker process stopped unexpectedly (it may have run out of memory); "
                                   "try fewer simulated youths or replicates") from None
            for out, job in zip(outs, jobs, strict=True):
                run.finish(out, job)
    elif queue:
        jobs = queue.pop(0)
        for out, job in zip(simulate_group(jobs, progress=run.check), jobs, strict=True):
            run.finish(out, job)


def _cancel(waiting: dict[Future, tuple[Job, ...]]) -> None:
    """Drop this run's pending work; baselines others are waiting for stay queued."""
    for f, jobs in waiting.items():
        if not (len(jobs) == 1 and jobs[0].scenario == "baseline"):
            f.cancel()


def friendly_error(e: Exception) -> str:
    if isinstance(e, MemoryError):
        return "The simulation ran out of memory. Try fewer simulated youths or replicates."
    if isinstance(e, (ParameterError, InputProblem)):
        return f"These settings cannot run: {e}"
    return f"The simulation failed: {e}. Try other settings; if it keeps failing, please report it with the settings used."
