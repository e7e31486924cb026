"""The calibrated parameters and their priors, taken from the parameter table (``model.params``).

Why these parameters. They are the uncertain ``GUESS`` parameters that set the *levels* the targets
measure, one or two per target, while the odds ratios and effect sizes that come from the evidence
(recruitment odds ratios, policy effects) keep their sourced values:

=========================  ==============================================================  ==========
parameter                  what it sets (and which target informs it)                      prior
=========================  ==============================================================  ==========
member_prevalence          size of the groups (members; homicides through member deaths)   log-uniform
recruit_base_odds          how fast groups refill (members, turnover)                      log-uniform
member_homicide            killing among members (homicide rate, group-linked share)       log-uniform
bystander_homicide         group violence hitting non-members (group-linked share)         uniform
background_homicide        non-group homicide (homicide rate, group-linked share)          log-uniform
homicide_or_female         female victims (male share of victims)                          log-uniform
adult_homicide_ratio       victims 30+ per victim 10-29 (male 15-29 rate vs total rate)    uniform
arrest_member              arrests of members (incarceration)                              log-uniform
arrest_nonmember           arrests of non-members (incarceration)                          uniform
adult_prisoner_ratio       prisoners 30+ per prisoner 18-29 (incarceration)                uniform
firearm_share_group/other  weapon mix, only where a firearm share is observed              uniform
displacement_rate          families fleeing violent cells, only where a displacement flow   log-uniform
                           is observed (displaced per year)
displacement_return        displaced families going home, only where a displaced stock      uniform
                           is observed (stock / flow)
=========================  ==============================================================  ==========

Priors are uniform over the table's ``[low, high]`` range, or log-uniform where the range spans an
order of magnitude or more (``high / low >= 10`` and ``low > 0``). Sampling happens in a transformed
space (log for log-uniform parameters) where every prior is uniform on a box.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from recruitsim.model.params import PARAMETERS

BASE = (
    "member_prevalence", "recruit_base_odds", "member_homicide", "bystander_homicide", "background_homicide",
    "homicide_or_female", "adult_homicide_ratio", "arrest_member", "arrest_nonmember", "adult_prisoner_ratio",
)
FIREARM = ("firearm_share_group", "firearm_share_other")
#: Output parameters: they turn simulated quantities into reported ones (victims 30+ per youth victim,
#: prisoners 30+ per prisoner 18-29, weapon shares) and never act on the simulated state, so the
#: sampler scores several values of them per simulation in closed form (``simulate.with_outputs``).
OUTPUTS = ("adult_homicide_ratio", "adult_prisoner_ratio", *FIREARM)


@dataclass(frozen=True)
class Prior:
    name: str
    low: float
    high: float
    log: bool

    @property
    def bounds(self) -> tuple[float, float]:
        """Bounds in the sampling space."""
        return (math.log(self.low), math.log(self.high)) if self.log else (self.low, self.high)

    def to_value(self, x: np.ndarray) -> np.ndarray:
        return np.exp(x) if self.log else np.asarray(x, float)

    def to_space(self, v: np.ndarray) -> np.ndarray:
        return np.log(v) if self.log else np.asarray(v, float)

    @property
    def label(self) -> str:
        return f"{'log-uniform' if self.log else 'uniform'}[{self.low:g}, {self.high:g}]"


def prior_of(name: str) -> Prior:
    p = PARAMETERS[name]
    log = p.low > 0 and p.high / p.low >= 10
    return Prior(name, float(p.low), float(p.high), log)


#: Parameters calibrated only where a target informs them: target -> parameters.
CONDITIONAL = {
    "firearm_share": FIREARM,
    "displaced_per_year": ("displacement_rate",),  # the flow of people fleeing (IDMC, IOM, national registers)
    "displaced_stock": ("displacement_return",),  # the stock living displaced (IOM DTM): how long they stay away
}


def calibrated_names(target_names: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """The parameters calibrated for a profile with these targets."""
    extra = tuple(p for target, params in CONDITIONAL.items() if target in target_names for p in params)
    return BASE + extra


class PriorBox:
    """Independent uniform priors on a box in the sampling space."""

    def __init__(self, names: tuple[str, ...]):
        self.names = tuple(names)
        self.priors = [prior_of(n) for n in self.names]
        b = np.array([p.bounds for p in self.priors], float)
        self.lo, self.hi = b[:, 0], b[:, 1]

    @property
    def outputs(self) -> np.ndarray:
        """Mask of the output parameters."""
        return np.array([n in OUTPUTS for n in self.names], bool)

    @property
    def dim(self) -> int:
        return len(self.names)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return self.lo + (self.hi - self.lo) * rng.random((n, self.dim))

    def inside(self, x: np.ndarray) -> np.ndarray:
        return np.all((x >= self.lo) & (x <= self.hi), axis=-1)

    def values(self, x: np.ndarray) -> dict[str, float]:
        """Model parameter values of one point of the sampling space (clipped to the table range)."""
        out = {}
        for p, xi in zip(self.priors, x, strict=True):
            out[p.name] = float(np.clip(p.to_value(xi), p.low, p.high))
        return out

    def to_space(self, values: dict[str, float]) -> np.ndarray:
        return np.array([p.to_space(values[p.name]) for p in self.priors], float)
