"""Social ties: peer ties (a symmetric scipy.sparse CSR matrix) and families.

Peers are of similar age and mostly from the same neighbourhood: each tie links a slot to one whose
age differs by 1 to ``peer_age_window`` months (in real months, whatever the number of agents), in the
same neighbourhood or, for a share ``1 - peer_local_share``, in an adjacent one. Because ties link slots of near-equal phase, and slots are recycled cohort by cohort,
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
        # phase histogram per hood: position of the first slot of phase >= p in hood h = starts[h] + cum[h, p]
        cum = np.zeros((hoods.n, 241), np.int64)
        cum[:, 1:] = np.cumsum(np.bincount(pop.hood.astype(np.int64) * 240 + pop.phase, minlength=hoods.n * 240).reshape(hoods.n, 240), axis=1)
        window = max(1, int(P.peer_age_window))
        rounds = max(1, P.peer_degree // 2)
        packed = np.empty(2 * rounds * n, np.int64)  # (slot << 32 | peer), both directions
        k = 0
        phase_sorted = pop.phase[order].astype(np.int64)
        for _ in range(rounds):  # a few rounds of ties, each over all positions in chunks (not a loop over agents)
            for a in range(0, n, CHUNK):
                pos = np.arange(a, min(a + CHUNK, n), dtype=np.int64)
                h = np.searchsorted(starts, pos, side="right") - 1
                m = pos.size
                # a peer differs in age by 1..window months (in real time, whatever the number of agents)
                off = rng.integers(1, window + 1, m) * np.where(rng.random(m) < 0.5, -1, 1)
                tp = phase_sorted[pos] + off
                tp = np.where(tp < 0, -tp, tp)
                tp = np.where(tp > 239, 478 - tp, tp)
                local = rng.random(m) < P.peer_local_share
                jitter = rng.random(m)
                h2 = neigh_mat[h, (rng.random(m) * n_neigh[h]).astype(np.int64)]
                hh = np.where(local | (h2 < 0), h, h2)
                # the slots of that age in the chosen hood (or the nearest age present there)
                lo_p, hi_p = cum[hh, tp], cum[hh, np.minimum(tp + 1, 240)]
                width = np.maximum(hi_p - lo_p, 1)
                inner = np.minimum(lo_p + (jitter * width).astype(np.int64), np.maximum(sizes[hh] - 1, 0))
                tgt = starts[hh] + inner
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
        self.fam_origin = np.full(self.n_families, -1, np.int16)  # home cell of a displaced family (-1: at home)

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
