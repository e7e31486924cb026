"""The youth population: a struct of numpy arrays, one slot per simulated young person (10-29).

Ages are not stored. Each slot has a cohort ``phase`` and its age in months at model month ``t`` is
``120 + (t + phase) % 240``: everyone ages together, and when a slot reaches 30 it is recycled into
a new 10-year-old drawn from the country profile (cohort turnover), keeping its place in the
neighbourhood, family and peer network (the newcomer is a younger sibling or neighbour). A slot
whose occupant died stays empty (``alive`` False) until its turn to be recycled, so deaths lower
the population until the next cohort enters. Each slot stands for ``scale`` real people.

Writes that other bookkeeping depends on go through methods: ``set_group`` (keeps the member index
cache), ``move`` (keeps the census of slots by cell, sex and birth cohort), ``refresh_free`` (keeps the
"free" flag = alive, not in custody, not exploited) and ``recount`` (census after redrawing slots).
"""

from __future__ import annotations

import numpy as np

AGE_MIN_M, AGE_SPAN_M = 120, 240  # ages 10 to 29 in months
# School states
ENROLLED, COMPLETED, DROPPED, TERTIARY = 0, 1, 2, 3
AGE_BANDS = ((10, 14), (15, 19), (20, 24), (25, 29))
BAND_NAMES = tuple(f"{a}_{b}" for a, b in AGE_BANDS)


class Population:
    """Struct of arrays. ``group`` is -1 for non-members; ``prison_left`` > 0 while in custody."""

    def __init__(self, n: int):
        self.n = n
        self.phase = np.zeros(n, np.int16)
        self.alive = np.ones(n, bool)
        self.male = np.zeros(n, bool)
        self.hood = np.zeros(n, np.int16)
        self.family = np.zeros(n, np.int32)
        self.poor = np.zeros(n, bool)
        self.school = np.zeros(n, np.int8)
        self.employed = np.zeros(n, bool)
        self.home_violence = np.zeros(n, bool)
        self.adult_kin = np.zeros(n, bool)  # a relative aged 30+ in a group
        self.group = np.full(n, -1, np.int8)
        self.leader = np.zeros(n, bool)
        self.joined = np.zeros(n, np.int16)  # model month of joining (for tenure)
        self.prison_left = np.zeros(n, np.int16)
        self.prior_prison = np.zeros(n, np.int8)
        self.trafficked_left = np.zeros(n, np.int16)
        self.displaced = np.zeros(n, bool)
        self.free_flag = np.ones(n, bool)
        self.dead = np.empty(0, np.int64)  # slots whose occupant died (until recycled)
        self._members: np.ndarray | None = None
        self.census: np.ndarray | None = None  # slots by (cell, sex, phase), shape (cells, 2, 240)

    # ---- bookkeeping ------------------------------------------------------------------------
    def set_group(self, idx: np.ndarray, gids) -> None:
        self.group[idx] = gids
        self._members = None

    def members(self) -> np.ndarray:
        """Slots of current members (cached until membership changes)."""
        if self._members is None:
            self._members = np.flatnonzero(self.group >= 0)
        return self._members

    def refresh_free(self, idx: np.ndarray | slice) -> None:
        self.free_flag[idx] = self.alive[idx] & (self.prison_left[idx] == 0) & (self.trafficked_left[idx] == 0)

    def _census_code(self, idx) -> np.ndarray:
        return (self.hood[idx].astype(np.intp) * 2 + self.male[idx]) * AGE_SPAN_M + self.phase[idx]

    def start_census(self, n_cells: int) -> None:
        size = n_cells * 2 * AGE_SPAN_M
        self.census = np.bincount(self._census_code(slice(None)), minlength=size).reshape(n_cells, 2, AGE_SPAN_M)

    def recount(self, idx: np.ndarray, before: np.ndarray) -> None:
        """Census update after slots ``idx`` were redrawn; ``before`` = their codes beforehand."""
        if self.census is not None and idx.size:
            flat = self.census.reshape(-1)
            np.subtract.at(flat, before, 1)
            np.add.at(flat, self._census_code(idx), 1)

    def move(self, slots: np.ndarray, hoods: np.ndarray) -> None:
        before = self._census_code(slots)
        self.hood[slots] = hoods
        self.recount(slots, before)

    def census_by_band(self, t: int) -> np.ndarray:
        """Slots (alive or not) by (age band, cell, sex) at month ``t``, from the census."""
        c = self.census
        out = np.empty((len(AGE_BANDS),) + c.shape[:2], np.int64)
        for b, (lo, hi) in enumerate(AGE_BANDS):
            start = (lo * 12 - AGE_MIN_M - t) % AGE_SPAN_M
            end = start + (hi - lo + 1) * 12
            out[b] = c[:, :, start:end].sum(axis=2)
            if end > AGE_SPAN_M:  # the band wraps around the phase cycle
                out[b] += c[:, :, : end - AGE_SPAN_M].sum(axis=2)
        return out

    # ---- ages -------------------------------------------------------------------------------
    def age_months(self, t: int, idx: np.ndarray | slice = slice(None)) -> np.ndarray:
        return AGE_MIN_M + (t + self.phase[idx].astype(np.int32)) % AGE_SPAN_M

    def age_years(self, t: int, idx: np.ndarray | slice = slice(None)) -> np.ndarray:
        return self.age_months(t, idx) // 12

    def index_cohorts(self) -> None:
        """Slots are ordered by phase (``phase[i] = i * 240 // n``), so a birth-month cohort, and any
        age range, is one or two contiguous slices of every state array: no gather needed."""
        self.phase[:] = (np.arange(self.n, dtype=np.int64) * AGE_SPAN_M // self.n).astype(np.int16)
        self._start = np.searchsorted(self.phase, np.arange(AGE_SPAN_M + 1))

    def cohort_slots(self, t: int, age_m: int) -> np.ndarray:
        """Slots aged exactly ``age_m`` months at month ``t`` (one birth-month cohort)."""
        ph = (age_m - AGE_MIN_M - t) % AGE_SPAN_M
        return np.arange(self._start[ph], self._start[ph + 1])

    def age_slices(self, t: int, lo_years: int, hi_years: int) -> list[slice]:
        """Slices of slots aged ``lo_years`` to ``hi_years`` inclusive at month ``t``."""
        lo = (lo_years * 12 - AGE_MIN_M - t) % AGE_SPAN_M
        width = (hi_years - lo_years + 1) * 12
        hi = lo + width
        if hi <= AGE_SPAN_M:
            return [slice(self._start[lo], self._start[hi])]
        return [slice(self._start[lo], self.n), slice(0, self._start[hi - AGE_SPAN_M])]

    # ---- derived states ---------------------------------------------------------------------
    def member(self, idx: np.ndarray | slice = slice(None)) -> np.ndarray:
        return self.group[idx] >= 0

    def free(self, idx: np.ndarray | slice = slice(None)) -> np.ndarray:
        """Alive, not in custody and not being exploited."""
        return self.free_flag[idx]

    def student(self, idx: np.ndarray | slice = slice(None)) -> np.ndarray:
        s = self.school[idx]
        return (s == ENROLLED) | (s == TERTIARY)

    def neet(self, idx: np.ndarray | slice = slice(None)) -> np.ndarray:
        return ~self.student(idx) & ~self.employed[idx]

    def band(self, t: int, idx: np.ndarray | slice = slice(None)) -> np.ndarray:
        """Age band 0..3 (10-14, 15-19, 20-24, 25-29)."""
        return np.minimum((self.age_years(t, idx) - 10) // 5, 3)


def band_index(age_years: np.ndarray) -> np.ndarray:
    return np.minimum((age_years - 10) // 5, 3)
