"""Random streams: one `numpy.random.Generator` per process, all spawned from one seed.

Common random numbers (CRN). Each monthly process draws from its own stream, so switching a policy on
does not reshuffle the randomness of unrelated processes. Within a process, events are drawn by
*thinning*: first a state-independent set of candidate slots, each slot a candidate with the
process's ceiling probability ``p_max`` (found by geometric gaps, so the cost is ``n * p_max``,
not ``n``), then one uniform per candidate accepted when ``u * p_max < p_i``. Which slots are
candidates, and the uniform each one gets, depend only on the stream, never on the state, so the
same young person meets the same random numbers in every scenario of a replicate.
"""

from __future__ import annotations

import zlib

import numpy as np

#: The processes that own a stream. Keys are hashed (crc32) into the spawn key, so adding a
#: process later does not change the streams of the existing ones.
PROCESSES = (
    "synthesis",
    "network",
    "turnover",
    "schooling",
    "labour",
    "home_violence",
    "programs",
    "recruitment",
    "violence",
    "trafficking",
    "displacement",
    "displacement_return",
    "policing",
    "prison",
    "desistance",
    "groups",
)


def seed_from_rng(rng: int | np.integer | np.random.Generator | np.random.SeedSequence | None) -> int:
    """Turn whatever Mesa hands the model as ``rng`` into one integer seed."""
    if rng is None:
        return int(np.random.SeedSequence().generate_state(1, np.uint64)[0] >> 1)
    if isinstance(rng, (int, np.integer)):
        if int(rng) < 0:
            raise ValueError(f"seed must be >= 0, got {rng}")
        return int(rng)
    if isinstance(rng, np.random.SeedSequence):
        return int(rng.generate_state(1, np.uint64)[0] >> 1)
    if isinstance(rng, np.random.Generator):
        return int(rng.integers(0, 2**62))
    raise TypeError(f"rng must be an int, a SeedSequence or a numpy Generator, not {type(rng).__name__}")


def replicate_seed(seed: int, replicate: int) -> int:
    """The seed of replicate ``replicate`` of a sweep with base ``seed`` (same in every scenario)."""
    ss = np.random.SeedSequence([int(seed), int(replicate)])
    return int(ss.generate_state(1, np.uint64)[0] >> 1)


class Streams:
    """A dictionary of independent generators, one per process name."""

    def __init__(self, seed: int):
        self.seed = int(seed)
        self._gens: dict[str, np.random.Generator] = {}
        for name in PROCESSES:
            self._gens[name] = self._spawn(name)

    def _spawn(self, name: str) -> np.random.Generator:
        key = zlib.crc32(name.encode())
        return np.random.Generator(np.random.PCG64(np.random.SeedSequence(self.seed, spawn_key=(key,))))

    def __getitem__(self, name: str) -> np.random.Generator:
        try:
            return self._gens[name]
        except KeyError:
            gen = self._gens[name] = self._spawn(name)
            return gen


def candidates(rng: np.random.Generator, n: int, p_max: float) -> np.ndarray:
    """Slots in ``range(n)`` that are each, independently, a candidate with probability ``p_max``.

    Returns sorted int64 indices. The draws depend on ``n`` and ``p_max`` only.
    """
    if n <= 0 or p_max <= 0.0:
        return np.empty(0, dtype=np.int64)
    if p_max >= 0.25:
        return np.flatnonzero(rng.random(n, dtype=np.float32) < p_max)
    # Geometric gaps by inversion in float32 (4x faster than Generator.geometric).
    log_q = np.float32(np.log1p(-p_max))
    expected = n * p_max
    m = int(expected + 6.0 * np.sqrt(expected) + 16)
    pos = np.empty(0, np.int64)
    last = -1
    while last < n - 1:
        gaps = (np.log1p(-rng.random(m, dtype=np.float32)) / log_q).astype(np.int64) + 1
        more = np.cumsum(gaps) + last
        pos = more if pos.size == 0 else np.concatenate([pos, more])
        last = int(pos[-1])
    return pos[: np.searchsorted(pos, n)]


def events(
    rng: np.random.Generator,
    n: int,
    p_max: float,
    prob,
    n_extra: int = 0,
    capped: dict[str, int] | None = None,
    name: str = "",
    bound=None,
) -> tuple[np.ndarray, np.ndarray]:
    """Draw this month's events of a process over slots ``0..n-1`` by thinning.

    ``prob(cand)`` returns the event probability of each candidate slot (0 for slots that are not
    eligible). A probability above the process ceiling ``p_max`` acts as ``p_max``; such cases are
    counted in ``capped[name]`` so that a run can report them. ``n_extra`` asks for more uniforms per
    candidate (e.g. to draw a sentence length); they are drawn whatever the state, so CRN holds.
    ``bound(cand)``, if given, is a cheap upper bound of ``prob`` (or a sequence of ever tighter bounds):
    ``prob`` is then evaluated only for the candidates whose uniform falls under every bound (same
    result, less work).
    Returns the slots with an event and their extra uniforms (shape ``(len(idx), n_extra)``).
    """
    cand = candidates(rng, n, p_max)
    u = rng.random((cand.size, 1 + n_extra))
    for b in (bound if isinstance(bound, (list, tuple)) else [bound] if bound is not None else []):
        keep = u[:, 0] * p_max < b(cand)
        cand, u = cand[keep], u[keep]
    p = prob(cand)
    if capped is not None:
        over = int(np.count_nonzero(p > p_max))
        if over:
            capped[name] = capped.get(name, 0) + over
    hit = u[:, 0] * p_max < p
    return cand[hit], u[hit, 1:]


_M1, _M2, _GOLDEN = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB), np.uint64(0x9E3779B97F4A7C15)


def hashed_uniforms(seed: int, name: str, t: int, idx: np.ndarray, k: int) -> np.ndarray:
    """``k`` uniforms for each slot in ``idx`` at month ``t``, a fixed function of (seed, process, month,
    slot) (splitmix64 hashing): the same slot meets the same numbers in every scenario whatever the state
    (common random numbers), at a cost proportional to ``idx.size`` rather than to all slots. Used for
    the few slots (members) whose event probability is far above everyone else's."""
    key = np.uint64((zlib.crc32(name.encode()) << 32) ^ (int(seed) & 0xFFFFFFFF))
    base = idx.astype(np.uint64) * np.uint64(k) + np.uint64(t) * np.uint64(0x100000001B3) + key
    out = np.empty((idx.size, k))
    with np.errstate(over="ignore"):
        for j in range(k):
            z = base + np.uint64(j + 1) * _GOLDEN
            z = (z ^ (z >> np.uint64(30))) * _M1
            z = (z ^ (z >> np.uint64(27))) * _M2
            z = z ^ (z >> np.uint64(31))
            out[:, j] = ((z >> np.uint64(11)).astype(np.float64) + 0.5) / float(1 << 53)
    return out
