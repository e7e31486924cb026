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

CHUNK = 1 << 18  # positions processed at a time while building ties (bounds temporary memory)
LOW32 = np.int64(0xFFFFFFFF)


class Network:
    def __init__(self, pop, hoods, P, rng: np.random.Generator):
        self.peers: sp.csr_matrix = self._peer_ties(pop, hoods, P, rng)
        self.degree = np.diff(self.peers.indptr).astype(np.float32)
        self._families(pop, P, rng)

    @staticmethod
    def _peer_ties(pop, hoods, P, rng) -> sp.csr_matrix:
        """Symmetric peer ties, deduplicated, as CSR (data are ones, int8; only the pattern is used)."""
        n = pop.n
        order = np.lexsort((pop.phase, pop.hood)).astype(np.int32)  # position -> slot
        starts = np.searchsorted(pop.hood[order], np.arange(hoods.n + 1)).astype(np.int64)
        sizes = np.diff(starts)
        neigh = hoods.neighbours()
        n_neigh = np.array([len(x) for x in neigh])
        neigh_mat = np.full((hoods.n, 8), -1, np.int64)
        for i, x in enumerate(neigh):
            neigh_mat[i, : len(x)] = x
        window = max(2, P.peer_degree * 2)
        rounds = max(1, P.peer_degree // 2)
        packed = np.empty(2 * rounds * n, np.int64)  # (slot << 32 | peer), both directions
        k = 0
        for _ in range(rounds):  # a few rounds of ties, each over all positions in chunks (not a loop over agents)
            for a in range(0, n, CHUNK):
                pos = np.arange(a, min(a + CHUNK, n), dtype=np.int64)
                h = np.searchsorted(starts, pos, side="right") - 1
                m = pos.size
                off = rng.integers(1, window + 1, m) * np.where(rng.random(m) < 0.5, -1, 1)
                local = rng.random(m) < P.peer_local_share
                # local tie: shift inside the same hood (reflect at the hood's edges)
                lo, hi = starts[h], starts[h + 1] - 1
                tgt = pos + off
                tgt = np.where(tgt < lo, 2 * lo - tgt, tgt)
                tgt = np.clip(np.where(tgt > hi, 2 * hi - tgt, tgt), lo, hi)
                # distant tie: same relative age in a random adjacent hood
                h2 = neigh_mat[h, (rng.random(m) * n_neigh[h]).astype(np.int64)]
                rank = (pos - lo) / np.maximum(sizes[h], 1)
                far = starts[h2] + np.clip((rank * sizes[h2]).astype(np.int64) + off // 2, 0, np.maximum(sizes[h2] - 1, 0))
                tgt = np.where(local | (h2 < 0), tgt, far)
                keep = tgt != pos
                src, dst = order[pos[keep]].astype(np.int64), order[tgt[keep]].astype(np.int64)
                packed[k : k + src.size] = (src << 32) | dst
                k += src.size
        half = k
        for a in range(0, half, CHUNK):  # the reverse direction of every tie
            e = packed[a : min(a + CHUNK, half)]
            packed[half + a : half + a + e.size] = ((e & LOW32) << 32) | (e >> 32)
        packed = packed[: 2 * half]
        packed.sort()
        # drop duplicate ties in place, chunk by chunk (the write position never passes the read position)
        w = 0
        for a in range(0, packed.size, CHUNK):
            b = min(a + CHUNK, packed.size)
            chunk = packed[a:b]
            prev = packed[a - 1] if a else -1
            keep = np.empty(chunk.size, bool)
            keep[0] = chunk[0] != prev
            keep[1:] = chunk[1:] != chunk[:-1]
            kept = chunk[keep]
            packed[w : w + kept.size] = kept
            w += kept.size
        packed = packed[:w]
        indices = np.empty(w, np.int32)
        counts = np.zeros(n, np.int64)
        for a in range(0, w, CHUNK):
            e = packed[a : a + CHUNK]
            indices[a : a + e.size] = e & LOW32
            counts += np.bincount(e >> 32, minlength=n)
        del packed
        indptr = np.zeros(n + 1, np.int64 if w >= 2**31 else np.int32)
        np.cumsum(counts, out=indptr[1:])
        return sp.csr_matrix((np.ones(w, np.int8), indices, indptr), shape=(n, n))

    def _families(self, pop, P, rng) -> None:
        """Families: consecutive runs in a random order within each hood."""
        n = pop.n
        key = (pop.hood.astype(np.int64) << 32) | rng.integers(0, 2**32, n, dtype=np.int64)
        fam_order = np.argsort(key).astype(np.int32)  # random order within each hood
        del key
        fam_size = 1 + rng.poisson(P.sibling_mean - 1.0, n)
        boundaries = np.cumsum(fam_size)
        boundaries = boundaries[boundaries < n]
        new_family = np.zeros(n, np.int32)
        new_family[boundaries] = 1
        hood_in_order = pop.hood[fam_order]
        new_family[1:] |= (hood_in_order[1:] != hood_in_order[:-1]).astype(np.int32)  # never span hoods
        fam_of_pos = np.cumsum(new_family, dtype=np.int32)
        pop.family[fam_order] = fam_of_pos
        del fam_size, boundaries, new_family, hood_in_order
        self.n_families = int(fam_of_pos[-1]) + 1
        # family -> slots (CSR-style; family ids increase along fam_order), and each family's neighbourhood
        self.fam_slots = fam_order
        self.fam_start = np.searchsorted(fam_of_pos, np.arange(self.n_families + 1))
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
