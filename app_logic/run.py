"""Running a comparison for the app: baseline and scenario, a few replicates, results as they come.

Replicate ``r`` uses the seed ``replicate_seed(seed, r)`` in both baseline and scenario (common random
numbers), so their difference is not swamped by noise. :func:`run_comparison` is a generator of
:class:`Snapshot` s, so the page can draw results while the rest is still running:

1. replicate 0 of the scenario runs in the calling (background) thread, month by month, with a
   snapshot every ``live_every`` seconds (the charts grow as it runs); its baseline runs meanwhile in
   a worker process, or comes from the baseline cache; the neighbourhood maps follow when both finish;
2. the other replicates run in worker processes (``RECRUITSIM_APP_WORKERS``, default 2; 0 runs
   everything in the thread), baseline and scenario of a replicate from one shared burn-in
   (:func:`simulate_pair`), and each finished pair widens the uncertainty band.

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


def simulate_pair(base: Job, scen: Job, progress: Callable[[], Any] | None = None) -> tuple[Outcome, Outcome]:
    """Baseline and scenario of one replicate from one burn-in (a worker-process entry point).

    Policies act only from month 0, so the burn-in is the same for both: run it once, deep-copy the model
    and attach the scenario's policies (as ``scenarios.runner.run_group`` does; the results are identical
    to two separate runs, which ``tests/test_app_logic.py`` checks).
    """
    model = make_model(base, progress)
    other = copy.deepcopy(model)
    for p in scen.policies:
        other.add_policy(Policy(**p))
    model.run()
    other.run()
    return outcome_of(model, base), outcome_of(other, scen)


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


def pair_source(base: Job, scen: Job, pool: ProcessPoolExecutor | None) -> tuple[str, Outcome | Future | None]:
    """How to get replicate ``base.replicate``: ("cached", baseline) or ("inflight", baseline future) -- then the
    scenario runs alone -- or ("pair", future of both), a new worker job whose baseline other sessions can
    join meanwhile, or ("none", None) without a pool."""
    with _shared.lock:
        key = base.baseline_key
        out = _shared.baselines.get(key)
        if out is not None:
            _shared.baselines.move_to_end(key)
            return "cached", out
        fut = _shared.inflight.get(key)
        if fut is not None and not fut.cancelled():
            return "inflight", fut
        if pool is None:
            return "none", None
        pair = pool.submit(simulate_pair, base, scen)  # BrokenProcessPool / RuntimeError go to the caller
        baseline = Future()
        baseline.set_running_or_notify_cancel()  # nobody may cancel it: it finishes with the pair
        _shared.inflight[key] = baseline

    def relay(f: Future) -> None:
        if f.cancelled():
            baseline.set_exception(CancelledError())
        elif f.exception() is not None:
            baseline.set_exception(f.exception())
        else:
            baseline.set_result(f.result()[0])

    baseline.add_done_callback(lambda f: _baseline_done(base, f))
    pair.add_done_callback(relay)
    return "pair", pair


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
    results: pd.DataFrame  # tidy monthly rows so far: scenario, replicate, month, year, outputs
    layers: dict[str, dict[str, np.ndarray]]  # {"baseline"|"scenario": {layer: 2-D array}}, replicate 0 finished
    replicates_done: int
    units_done: int
    units_total: int
    elapsed: float
    first_results_seconds: float | None = None

    @property
    def fraction(self) -> float:
        return self.units_done / max(self.units_total, 1)


def empty() -> pd.DataFrame:
    """Results with no rows (before the first Run)."""
    return pd.DataFrame(columns=["scenario", "replicate", "month", "year"])


def run_comparison(settings: Settings, should_stop: Callable[[], bool] = lambda: False,
                   live_every: float = 1.0, use_pool: bool = True) -> Iterator[Snapshot]:
    """Run baseline and scenario for ``settings.replicates`` replicates, yielding snapshots as it goes.

    Never raises for a failed simulation: the last snapshot then has ``status == "error"`` and a
    message for the page. Stops (last status ``cancelled``) within a simulated month of
    ``should_stop()`` turning True.
    """
    tic = time.perf_counter()
    name = settings.scenario_name
    R = settings.replicates
    policies = policy_dicts(settings.model_policies())
    jobs = {(sc, r): Job(settings.country, settings.agents, settings.years, settings.seed, r, sc,
                         () if sc == "baseline" else policies)
            for r in range(R) for sc in ("baseline", name)}
    done: dict[tuple[str, int], Outcome] = {}
    live: dict[tuple[str, int], Any] = {}  # models stepping in this thread
    futures: dict[Future, tuple[str, int]] = {}
    first: list[float] = []
    pool = get_pool() if use_pool else None

    def check() -> None:
        if should_stop():
            raise Cancelled

    def snapshot(status: str, message: str) -> Snapshot:
        frames = [o.results for o in done.values()] + [tidy(m.results(), jobs[k]) for k, m in live.items() if m.rows]
        results = pd.concat(frames, ignore_index=True) if frames else empty()
        if not results.empty:
            results = results.sort_values(["scenario", "replicate", "month"], kind="stable", ignore_index=True)
        layers: dict[str, dict[str, np.ndarray]] = {}
        if ("baseline", 0) in done and (name, 0) in done:  # maps once replicate 1 of both has finished
            layers = {"baseline": done[("baseline", 0)].layers, "scenario": done[(name, 0)].layers}
        return Snapshot(settings, status, message, results, layers, pairs_done(), len(done), len(jobs),
                        time.perf_counter() - tic, first[0] if first else None)

    def pairs_done() -> int:
        return sum(1 for r in range(R) if ("baseline", r) in done and (name, r) in done)

    def finish(key: tuple[str, int], out: Outcome) -> None:
        done[key] = out
        if key[0] == "baseline":
            store_baseline(jobs[key], out)

    def here(key: tuple[str, int]) -> Outcome:
        return simulate(jobs[key], progress=check)

    def source(key: tuple[str, int]) -> None:
        """Take a job from the cache, join a worker already on it, or hand it to a worker."""
        nonlocal pool
        if key[0] == "baseline":
            got = baseline_source(jobs[key], pool)
            if isinstance(got, Outcome):
                done[key] = got
                return
            if isinstance(got, Future):
                futures[got] = key
                return
        elif pool is not None:
            try:
                futures[pool.submit(simulate, jobs[key])] = key
                return
            except (BrokenProcessPool, RuntimeError):  # the pool died or was shut down
                reset_pool(pool)
                pool = None
        queue.append(key)

    def here_pair(r: int) -> None:
        b, sc = simulate_pair(jobs[("baseline", r)], jobs[(name, r)], progress=check)
        finish(("baseline", r), b)
        finish((name, r), sc)

    def source_pair(r: int) -> None:
        """Replicate ``r`` (>= 1): from the cache or a worker already on its baseline plus a scenario-only
        job, or one worker job for both (one shared burn-in), or this thread."""
        nonlocal pool
        try:
            how, got = pair_source(jobs[("baseline", r)], jobs[(name, r)], pool)
        except (BrokenProcessPool, RuntimeError):  # the pool died or was shut down
            reset_pool(pool)
            pool = None
            how, got = "none", None
        if how == "cached":
            done[("baseline", r)] = got
            source((name, r))
        elif how == "inflight":
            futures[got] = ("baseline", r)
            source((name, r))
        elif how == "pair":
            futures[got] = ("pair", r)
        else:
            queue.append(("pair", r))

    def collect(f: Future, key: tuple[str, int]) -> None:
        try:
            if key[0] == "pair":
                b, sc = f.result()
                finish(("baseline", key[1]), b)
                finish((name, key[1]), sc)
            else:
                finish(key, f.result())
        except CancelledError:  # someone else's cancelled baseline: compute it here
            if key[0] == "pair":
                here_pair(key[1])
            else:
                finish(key, here(key))
        except BrokenProcessPool:
            reset_pool(pool)
            raise RuntimeError("a simulation worker process stopped unexpectedly (it may have run out of memory); "
                               "try fewer simulated youths or replicates") from None

    queue: list[tuple[str, int]] = []  # jobs to run in this thread
    try:
        yield snapshot("running", f"Setting up {settings.agents:,} youths and running the {BURN_IN_YEARS}-year burn-in…")
        # --- replicate 0: the scenario here, month by month; its baseline from the cache or a worker
        source(("baseline", 0))
        if queue:  # no worker for the baseline either: both here, from one burn-in (see simulate_pair)
            queue.clear()
            base = live[("baseline", 0)] = make_model(jobs[("baseline", 0)], progress=check)  # includes the burn-in
            scen = live[(name, 0)] = copy.deepcopy(base)
            for p in jobs[(name, 0)].policies:
                scen.add_policy(Policy(**p))
        else:
            live[(name, 0)] = make_model(jobs[(name, 0)], progress=check)
        last = time.perf_counter()
        while any(m.running for m in live.values()):
            for m in live.values():
                if m.running:
                    m.step()
            if time.perf_counter() - last >= live_every:
                month = max(m.month for m in live.values())
                yield snapshot("running", f"Replicate 1 of {R}: simulating year {min(month // 12 + 1, settings.years)} "
                                          f"of {settings.years}…")
                last = time.perf_counter()
        for key, m in list(live.items()):
            finish(key, outcome_of(m, jobs[key]))
            del live[key]
        for f, key in list(futures.items()):  # the baseline of replicate 0, if a worker has it
            del futures[f]
            if f.cancel():  # not started (the workers are busy): quicker to run it here
                finish(key, here(key))
            else:
                while not f.done():
                    wait([f], timeout=0.1)
                    check()
                collect(f, key)
        first.append(time.perf_counter() - tic)
        if R == 1:
            yield snapshot("done", f"Done in {time.perf_counter() - tic:.1f} s.")
            return
        yield snapshot("running", f"Replicate 1 of {R} done; running {R - 1} more for the uncertainty band…")

        # --- the other replicates: worker processes (or this thread), each pair widening the band
        for r in range(1, R):
            if ("baseline", r) in done:
                source((name, r))
            else:
                source_pair(r)
        reps = pairs_done()
        while futures or queue:
            if futures:
                finished, _ = wait(list(futures), timeout=0.1, return_when=FIRST_COMPLETED)
                for f in finished:
                    collect(f, futures.pop(f))
            else:
                key = queue.pop(0)
                if key[0] == "pair":
                    here_pair(key[1])
                else:
                    finish(key, here(key))
            check()
            if pairs_done() > reps:
                reps = pairs_done()
                if reps < R:
                    yield snapshot("running", f"{reps} of {R} replicates done…")
        yield snapshot("done", f"Done: {R} replicates in {time.perf_counter() - tic:.1f} s.")
    except Cancelled:
        _cancel(futures, jobs)
        live.clear()
        yield snapshot("cancelled", "Stopped. The results shown are those finished before you pressed Stop.")
    except Exception as e:  # a failed simulation must not take the page (or the server) down
        _cancel(futures, jobs)
        live.clear()
        log.exception("run failed")
        yield snapshot("error", friendly_error(e))


def _cancel(futures: dict[Future, tuple[str, int]], jobs: dict) -> None:
    """Drop this run's pending work; baselines stay queued (the cache, or another user, may want them)."""
    for f, key in futures.items():
        if key[0] != "baseline":
            f.cancel()


def friendly_error(e: Exception) -> str:
    if isinstance(e, MemoryError):
        return "The simulation ran out of memory. Try fewer simulated youths or replicates."
    if isinstance(e, (ParameterError, InputProblem)):
        return f"These settings cannot run: {e}"
    return f"The simulation failed: {e}. Try other settings; if it keeps failing, please report it with the settings used."
