"""The regional run on a Dask cluster: each country is one partition, a Dask actor on one worker.

    from dask.distributed import Client, LocalCluster
    from recruitsim.region.dask_run import dask_partitions
    from recruitsim.region.simulation import run_region

    with LocalCluster(n_workers=4, threads_per_worker=1) as cluster, Client(cluster) as client:
        res = run_region(corridor="central_america_mexico", partitions=dask_partitions(client))

The country models are built on the workers (their burn-ins run in parallel) and stay there; each month the
driver sends each actor one number (its revenue factor; with migration, also its youths arriving and leaving)
and gets back a few (its enforcement and leader-arrest indices, group totals, migration counts): only the
monthly flows cross the network. The flow model runs in the driver, with the same operations in the same order
as ``LocalPartitions``, so the results are bit-identical to a single-process run. Countries are placed largest
first, each onto an empty worker if one is left, else onto the worker with the most memory left
(``placement``), so with as many workers as countries each country has a worker of its own (the 1:1 region,
about 42 GB, needs several 24 GiB machines: see docs/region.md). Workers need recruitsim installed in the same
version; only connect to a cluster you control (Dask unpickles what it receives: see ``scenarios.engine``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .simulation import CountrySpec, Partition


class DaskPartitions:
    """The partitions as Dask actors (``client``: a ``distributed.Client``)."""

    def __init__(self, specs: Sequence[CountrySpec], client):
        info = client.scheduler_info().get("workers", {})
        if not info:
            raise RuntimeError("the Dask cluster has no workers")
        place = placement([s.agents for s in specs], {w: int(v.get("memory_limit") or 0) for w, v in info.items()})
        futures = [client.submit(Partition, s, actor=True, workers=[place[i]], allow_other_workers=False, pure=False)
                   for i, s in enumerate(specs)]
        self.client = client
        self.futures = futures
        self.actors = [f.result() for f in futures]  # waits for every burn-in
        self.placement = [place[i] for i in range(len(specs))]

    def reports(self) -> list[dict[str, float]]:
        return [f.result() for f in [a.report() for a in self.actors]]

    def step(self, factors: Sequence[float | None], moves: Sequence | None = None) -> list[dict[str, float]]:
        moves = moves or [None] * len(self.actors)
        pending = [a.step(f, m) for a, f, m in zip(self.actors, factors, moves)]  # all countries step at once
        return [p.result() for p in pending]

    def finish(self) -> list[dict[str, Any]]:
        return [p.result() for p in [a.finish() for a in self.actors]]

    def close(self) -> None:
        self.actors = []
        self.client.cancel(self.futures)
        self.futures = []


#: memory per agent used to place countries (docs/benchmarks.md: 202 bytes/agent at 1M, Brazil 1:1 11.0 GiB)
BYTES_PER_AGENT = 200


def placement(agents: Sequence[int], memory_limits: dict[str, int]) -> dict[int, str]:
    """Country i -> worker: largest country first, each onto the worker with the most memory left (its
    ``memory_limit`` less ``BYTES_PER_AGENT`` x the agents already placed there; no limit counts as plenty),
    ties to the first worker by address. With at least as many workers as countries each gets its own."""
    workers = sorted(memory_limits)
    left = {w: float(memory_limits[w] or 2**62) for w in workers}
    used = {w: 0 for w in workers}
    out = {}
    for i in sorted(range(len(agents)), key=lambda i: (-agents[i], i)):
        w = min(workers, key=lambda w: (used[w] > 0, -left[w], workers.index(w)))
        out[i] = w
        left[w] -= BYTES_PER_AGENT * agents[i]
        used[w] += 1
    return out


def dask_partitions(client):
    """A partition factory for ``run_region(partitions=...)`` on ``client``'s cluster."""
    return lambda specs: DaskPartitions(specs, client)
