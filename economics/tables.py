"""Shared building blocks of the economics tables: the uncertain ``Range`` and the packaged CSV readers."""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np


@dataclass(frozen=True)
class Range:
    """An uncertain positive quantity: central value and plausible low / high (same unit)."""

    central: float
    low: float
    high: float
    source: str = ""

    def __post_init__(self):
        if not (self.low <= self.central <= self.high) or self.low < 0:
            raise ValueError(f"need 0 <= low <= central <= high, got {self.low}, {self.central}, {self.high}")

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` draws: triangular on the log scale (mode = central); plain triangular if low is 0."""
        if self.high == self.low:
            return np.full(n, float(self.central))
        if self.low > 0:
            lo, mode, hi = math.log(self.low), math.log(self.central), math.log(self.high)
            return np.exp(rng.triangular(lo, mode, hi, n))
        return rng.triangular(self.low, self.central, self.high, n)

    def scaled(self, factor: float, source: str | None = None) -> Range:
        return Range(self.central * factor, self.low * factor, self.high * factor,
                     self.source if source is None else source)


@cache
def _csv(name: str) -> tuple[dict[str, str], ...]:
    with resources.files("recruitsim.economics").joinpath("data", name).open(encoding="utf-8") as f:
        return tuple(csv.DictReader(f))


def valuation_rows(kind: str) -> dict[str, dict[str, str]]:
    """Rows of ``economics/data/valuation.csv`` of one kind, by key (GNI per capita, VSL transfer, deadweight)."""
    return {r["key"]: r for r in _csv("valuation.csv") if r["kind"] == kind}


@cache
def regional_gni() -> float:
    """The region's GNI per capita: the population-weighted mean of the countries listed in ``valuation.csv``
    (populations from the country profiles; DERIVED). The LAC profile's VSL is transferred with it, and
    countries' earnings and programme costs are scaled relative to it."""
    from recruitsim.model.profiles import get_profile

    rows = valuation_rows("gni_pc")
    pops = {c: get_profile(c).population for c in rows}
    return sum(float(r["central"]) * pops[c] for c, r in rows.items()) / sum(pops.values())
