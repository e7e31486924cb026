"""Social ties: peer ties (a symmetric scipy.sparse CSR matrix) and families.

Peers are of similar age and mostly from the same neighbourhood: slots are ordered by
(neighbourhood, cohort phase) and each slot ties to others a few positions away in that order; a
share ``1 - peer_local_share`` of ties goes to the same relative position in an adjacent
neighbourhood. Because ties link slots of near-equal phase, and slots are recycled cohort by cohort,
peer groups stay age-assorted as people age and are replaced.

Peer exposure of a set of youths is one sparse product: ``peer_share(idx)`` = (member ties) / ties.

Families group 1 + Poisson(``sibling_mean`` - 1) slots of one neighbourhood; they share relatives'
membership (any member among them) and move together when displaced.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


class Network:
    def __init__(self, pop, hoods, P, rng: np.random.Generator):
        n = pop.n
        order = np.lexsort((pop.phase, pop.hood)).astype(np.int32)  # position -> slot
        hood_sorted = pop.hood[order]
        starts = np.searchsorted(hood_sorted, np.arange(hoods.n + 1)).astype(np.int64)
        sizes = np.diff(starts)
        pos = np.arange(n, dtype=np.int64)
        h = hood_sorted.astype(np.int64)
        rank = (pos - starts[h]) / np.maximum(sizes[h], 1)  # relative position (age) inside the hood
        neigh = hoods.neighbours()
        n_neigh = np.array([len(x) for x in neigh])
        neigh_mat = np.full((hoods.n, 8), -1, np.int64)
        for i, x in enumerate(neigh):
            neigh_mat[i, : len(x)] = x
        window = max(2, P.peer_degree * 2)
        half = max(1, P.peer_degree // 2)
        src_all, dst_all = [], []
        for _ in range(half):  # loop over tie rounds (a few), not over agents
            off = rng.integers(1, window + 1, n) * rng.choice(np.array([-1, 1]), n)
            local = rng.random(n) < P.peer_local_share
            # local tie: shift inside the same hood (reflect at the hood's edges)
            tgt = pos + off
            lo, hi = starts[h], starts[h + 1] - 1
            tgt = np.where(tgt < lo, 2 * lo - tgt, tgt)
            tgt = np.where(tgt > hi, 2 * hi - tgt, tgt)
            tgt = np.clip(tgt, lo, hi)
            # distant tie: same relative age in a random adjacent hood
            pick = (rng.random(n) * n_neigh[h]).astype(np.int64)
            h2 = neigh_mat[h, pick]
            far = starts[h2] + np.minimum((rank * sizes[h2]).astype(np.int64) + off // 2, sizes[h2] - 1).clip(0)
            tgt = np.where(local | (h2 < 0), tgt, far)
            keep = tgt != pos
            src_all.append(order[pos[keep]])
            dst_all.append(order[tgt[keep]])
        src = np.concatenate(src_all)
        dst = np.concatenate(dst_all)
        del src_all, dst_all
        rows = np.concatenate([src, dst])
        cols = np.concatenate([dst, src])
        del src, dst
        A = sp.csr_matrix((np.ones(rows.size, np.float32), (rows, cols)), shape=(n, n))
        del rows, cols
        A.sum_duplicates()
        A.data[:] = 1.0
        self.peers: sp.csr_matrix = A
        self.degree = np.diff(A.indptr).astype(np.float32)

        # Families: consecutive runs in a random order within each hood.
        fam_order = np.lexsort((rng.random(n), pop.hood))
        fam_size = 1 + rng.poisson(P.sibling_mean - 1.0, n)
        boundaries = np.cumsum(fam_size)
        boundaries = boundaries[boundaries < n]
        new_family = np.zeros(n, np.int32)
        new_family[boundaries] = 1
        hood_in_order = pop.hood[fam_order]
        new_family[1:] |= (hood_in_order[1:] != hood_in_order[:-1]).astype(np.int32)  # never span hoods
        fam_of_pos = np.cumsum(new_family, dtype=np.int32)
        pop.family[fam_order] = fam_of_pos
        self.n_families = int(fam_of_pos[-1]) + 1
        # family -> slots (CSR-style), and each family's neighbourhood
        self.fam_slots = np.argsort(pop.family, kind="stable").astype(np.int64)
        self.fam_start = np.searchsorted(pop.family[self.fam_slots], np.arange(self.n_families + 1))
        self.fam_hood = pop.hood[self.fam_slots[self.fam_start[:-1]]].copy()

    def peer_share(self, idx: np.ndarray, group: np.ndarray) -> np.ndarray:
        """Share of each youth's peers who are group members: the sparse product (A x member)[idx],
        computed on the rows of ``idx`` only (member flags read just for their peers)."""
        rows = self.peers[idx]
        member = (group[rows.indices] >= 0).astype(np.float32)
        counts = sp.csr_matrix((member, rows.indices, rows.indptr), shape=rows.shape).sum(axis=1).A1
        return counts / np.maximum(self.degree[idx], 1.0)

    def family_members(self, families: np.ndarray) -> np.ndarray:
        """All slots belonging to the given families."""
        starts, ends = self.fam_start[families], self.fam_start[families + 1]
        lens = ends - starts
        if lens.sum() == 0:
            return np.empty(0, np.int64)
        offs = np.repeat(starts - np.concatenate([[0], np.cumsum(lens)[:-1]]), lens)
        return self.fam_slots[np.arange(lens.sum()) + offs]
