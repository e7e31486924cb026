"""The regional run on a Dask cluster: each country is one partition, a Dask actor on one worker.

    from dask.distributed import Client, LocalCluster
    from recruitsim.region.dask_run import dask_partitions
    from recruitsim.region.simulation import run_region

    with LocalCluster(n_workers=4, threads_per_worker=1) as cluster, Client(cluster) as client:
        res = run_region(corridor="central_america_mexico", partitions=dask_partitions(client))

The country models are built on the workers (their burn-ins run in parallel) and stay there; each month the
driver sends each actor one number (its revenue factor) and gets back a few (its enforcement index and
group totals): only the monthly flows cross the network. The flow model runs in the driver, with the same
operations in the same order as ``LocalPartitions``, so the results are bit-identical to a single-process
run. Countries are placed round-robin over the workers, largest first, so with as many workers as countries
each country has a worker of its own (the 1:1 region needs one 24 GiB machine per large country: see
docs/region.md). Workers need recruitsim installed in the same version; only connect to a cluster you
control (Dask unpickles what it receives: see ``scenarios.engine``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .simulation import CountrySpec, Partition


class DaskPartitions:
    """The partitions as Dask actors (``client``: a ``distributed.Client``)."""

    def __init__(self, specs: Sequence[CountrySpec], client):
        workers = sorted(client.scheduler_info().get("workers", {}))
        if not workers:
            raise RuntimeError("the Dask cluster has no workers")
        order = sorted(range(len(specs)), key=lambda i: -specs[i].agents)  # largest first: one per worker if possible
        place = {i: workers[k % len(workers)] for k, i in enumerate(order)}
        futures = [client.submit(Partition, s, actor=True, workers=[place[i]], allow_other_workers=False, pure=False)
                   for i, s in enumerate(specs)]
        self.client = client
        self.futures = futures
        self.actors = [f.result() for f in futures]  # waits for every burn-in
        self.placement = [place[i] for i in range(len(specs))]

    def reports(self) -> list[dict[str, float]]:
        return [f.result() for f in [a.report() for a in self.actors]]

    def step(self, factors: Sequence[float | None]) -> list[dict[str, float]]:
        pending = [a.step(f) for a, f in zip(self.actors, factors)]  # all countries step at once
        return [p.result() for p in pending]

    def finish(self) -> list[dict[str, Any]]:
        return [p.result() for p in [a.finish() for a in self.actors]]

    def close(self) -> None:
        self.actors = []
        self.client.cancel(self.futures)
        self.futures = []


def dask_partitions(client):
    """A partition factory for ``run_region(partitions=...)`` on ``client``'s cluster."""
    return lambda specs: DaskPartitions(specs, client)
