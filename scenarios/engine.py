"""Engines that run many independent simulations: local processes or a Dask cluster.

    with Engine(workers=2) as eng:                      # local processes (default: all cores)
    with Engine(dask_local=2) as eng:                   # a Dask LocalCluster with 2 workers
    with Engine(scheduler="tcp://host:8786") as eng:    # join an existing Dask cluster
        for item, result in eng.map(fn, items):         # yields as each finishes (any order)
            ...

Trust. Dask moves tasks and results between this process, the scheduler and the workers as pickles,
and unpickling runs code: a scheduler or worker can run anything on this machine and this process's
tasks can run anything on theirs. Only connect (``scheduler=``) to a cluster you control. Over a
network, use TLS: a ``tls://`` address with ``security={"tls_ca_file": ..., "tls_client_cert": ...,
"tls_client_key": ...}`` (``distributed.security.Security`` settings), or Dask's own configuration
(``distributed.comm.tls.*``).

``fn`` must be a picklable top-level function. Results do not depend on the engine or the number of
workers: each item carries its own seed.

Local worker processes ignore Ctrl-C (the parent handles it) and exit by themselves if the parent
dies (even by SIGKILL), so an interrupted sweep leaves no orphan burning CPU. When the ``with`` block
is left by an exception (an error, Ctrl-C), running local workers are stopped at once instead of
being waited for. Workers of a remote Dask cluster need recruitsim installed in the same version.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from typing import Any


class EngineError(RuntimeError):
    """The engine could not start (e.g. no Dask scheduler at the address); one line for the user."""


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))


def _worker_init(parent: int) -> None:
    """Local worker set-up: leave Ctrl-C to the parent; exit when the parent is gone."""
    import signal
    import threading
    import time

    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def watch() -> None:
        while True:
            time.sleep(0.5)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, daemon=True, name="recruitsim-parent-watch").start()


class Engine:
    def __init__(self, workers: int | None = None, dask_local: int | None = None, scheduler: str | None = None,
                 connect_timeout: float = 5.0, security: dict[str, Any] | None = None):
        if sum(x is not None for x in (workers, dask_local, scheduler)) > 1:
            raise ValueError("choose one of workers, dask_local or scheduler")
        for name, v in (("workers", workers), ("dask_local", dask_local)):
            if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 1):
                raise ValueError(f"{name} must be a whole number >= 1, got {v!r}")
        self.kind = "dask" if (dask_local is not None or scheduler is not None) else "local"
        self.workers = workers or dask_local or default_workers()
        self.dask_local = dask_local
        self.scheduler = scheduler
        self.connect_timeout = connect_timeout
        if security and scheduler is None:
            raise ValueError("security (TLS) settings need a scheduler address")
        self.security = dict(security or {})
        self._pool: ProcessPoolExecutor | None = None
        self._client = None
        self._cluster = None

    def __enter__(self) -> Engine:
        if self.kind == "local":
            if self.workers > 1:
                import multiprocessing as mp

                self._pool = ProcessPoolExecutor(self.workers, mp_context=mp.get_context("spawn"),
                                                 initializer=_worker_init, initargs=(os.getpid(),))
        else:
            from dask.distributed import Client, LocalCluster

            if self.scheduler is not None:
                kwargs: dict[str, Any] = {}
                if self.security:
                    from distributed.security import Security

                    kwargs["security"] = Security(require_encryption=True, **self.security)
                try:
                    self._client = Client(self.scheduler, timeout=f"{self.connect_timeout}s", **kwargs)
                except (OSError, ValueError, TypeError) as e:
                    raise EngineError(f"--scheduler: cannot connect to '{self.scheduler}' ({' '.join(str(e).split())})") from None
                if not self._client.scheduler_info().get("workers"):
                    try:
                        self._client.wait_for_workers(1, timeout=self.connect_timeout)
                    except (OSError, TimeoutError) as e:
                        self._client.close()
                        self._client = None
                        raise EngineError(f"--scheduler: '{self.scheduler}' has no workers (waited "
                                          f"{self.connect_timeout:g} s: {type(e).__name__})") from None
            else:
                self._cluster = LocalCluster(n_workers=self.dask_local, threads_per_worker=1, processes=True,
                                             dashboard_address=None)
                self._client = Client(self._cluster)
            self.workers = len(self._client.scheduler_info().get("workers", {})) or (self.dask_local or 1)
        return self

    def __exit__(self, exc_type, *exc) -> None:
        if self._pool is not None:
            if exc_type is not None:  # error or Ctrl-C: do not wait for running simulations
                for proc in list(getattr(self._pool, "_processes", {}).values()):
                    proc.terminate()
            self._pool.shutdown(wait=exc_type is None, cancel_futures=True)
            self._pool = None
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None

    @property
    def description(self) -> str:
        if self.kind == "local":
            return f"local processes x{self.workers}"
        return f"dask ({self.scheduler or 'LocalCluster'}) x{self.workers}"

    def map(self, fn: Callable[[Any], Any], items: Iterable[Any]) -> Iterator[tuple[Any, Any]]:
        """Run ``fn(item)`` for each item; yield ``(item, result)`` as each finishes."""
        items = list(items)
        if self.kind == "local" and self._pool is None:
            for it in items:
                yield it, fn(it)
            return
        if self.kind == "local":
            # keep at most 2 x workers in flight so an interrupted run has not queued everything
            pending, it = {}, iter(items)
            for item in it:
                pending[self._pool.submit(fn, item)] = item
                if len(pending) >= 2 * self.workers:
                    break
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for f in done:
                    item = pending.pop(f)
                    yield item, f.result()
                    nxt = next(it, None)
                    if nxt is not None:
                        pending[self._pool.submit(fn, nxt)] = nxt
            return
        from dask.distributed import as_completed

        futures = {self._client.submit(fn, item, pure=False): item for item in items}
        try:
            for fut in as_completed(futures):
                yield futures[fut], fut.result()
        finally:
            self._client.cancel([f for f in futures if not f.done()])
