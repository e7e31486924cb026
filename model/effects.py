"""Policy effects as distributions: replicate ``r`` runs with effect set ``r``.

    from recruitsim.model import effects
    effects.draw(3)            # {'mentoring.offending_violent': 0.71, ...}: replicate 3's effect set
    effects.point()            # the evidence medians (the Param defaults)
    effects.for_replicate(3)   # draw(3), or point() if RECRUITSIM_EFFECTS=point

Every policy effect multiplier and the fade half-life of individual programmes (``DRAWN``) carry a
distribution from ``model/data/policy_effects.csv`` (``Param.distribution``: lognormal from the median
and the 90% interval, or uniform). Effect set ``r`` is deterministic: each parameter's value comes from
a generator seeded with (``SEED``, a hash of its name, ``r``), so it does not depend on which other
parameters exist or which policies a scenario switches on. Replicate ``r`` of every run, sweep,
``compare`` and app run uses effect set ``r`` in *every* scenario (like posterior draw ``r``), so common
random numbers hold and the spread across replicates carries effect uncertainty too. Settings given
explicitly in a scenario win over the draw (``Policy.use_effects``).

Not drawn here: durations (design choices: a point value), the fade of area and national policies and
any parameter the code never reads (point values), and unit costs, whose uncertainty the economic
analysis draws (``economics/costs.py``, the programme rows of ``economics/data/costs.csv``), so that
it is counted once.

``RECRUITSIM_EFFECTS=point`` (or ``--point-effects`` on ``run``, ``sweep`` and ``compare``) runs every
replicate with the point values. ``RecruitmentModel(effects=None)`` (the default, and ``recruitsim
run``, a single run) uses the point values; ``effects=r`` uses effect set ``r``.
"""

from __future__ import annotations

import math
import os
import re
import zlib
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache

import numpy as np

from .params import ParameterError
from .policies import GRADES, KINDS, POLICY_PARAMETERS

ENV = "RECRUITSIM_EFFECTS"
MODES = ("draw", "point")
SEED = 120_2026  # fixed: effect set r is the same on every machine and in every scenario

_LOGNORMAL = re.compile(r"lognormal\(mu=([-+0-9.eE]+),\s*sigma=([-+0-9.eE]+)\)")
_UNIFORM = re.compile(r"uniform\(([-+0-9.eE]+),\s*([-+0-9.eE]+)\)")


def _drawn(name: str) -> bool:
    kind, key = name.split(".", 1)
    p = POLICY_PARAMETERS[name]
    if p.distribution == "point" or key in ("unit_cost", "duration", "coverage"):
        return False
    return key in KINDS[kind].effects or (key == "fade" and KINDS[kind].level == "individual")


#: The parameters drawn per replicate: every effect multiplier, and the fade of individual programmes.
DRAWN: tuple[str, ...] = tuple(n for n in POLICY_PARAMETERS if _drawn(n))


def mode() -> str:
    """``draw`` (default) or ``point``, from ``RECRUITSIM_EFFECTS``."""
    m = os.environ.get(ENV, "").strip().lower() or "draw"
    if m not in MODES:
        raise ParameterError(f"{ENV} must be one of {', '.join(MODES)}, got {m!r}")
    return m


def quantile(distribution: str, u: float) -> float:
    """The ``u`` quantile of a distribution as written in the evidence table."""
    m = _LOGNORMAL.fullmatch(distribution.strip())
    if m:
        mu, sigma = float(m.group(1)), float(m.group(2))
        return math.exp(mu + sigma * _ndtri(u))
    m = _UNIFORM.fullmatch(distribution.strip())
    if m:
        a, b = float(m.group(1)), float(m.group(2))
        return a + (b - a) * u
    raise ValueError(f"cannot draw from distribution {distribution!r}")


def _ndtri(u: float) -> float:
    from statistics import NormalDist

    return NormalDist().inv_cdf(min(max(u, 1e-12), 1 - 1e-12))


def point() -> dict[str, float]:
    """The point values (evidence medians) of the drawn parameters."""
    return {n: float(POLICY_PARAMETERS[n].default) for n in DRAWN}


@lru_cache(maxsize=4096)
def _draw(replicate: int) -> tuple[tuple[str, float], ...]:
    out = []
    for name in DRAWN:
        rng = np.random.default_rng([SEED, zlib.crc32(name.encode()), replicate])
        out.append((name, quantile(POLICY_PARAMETERS[name].distribution, float(rng.random()))))
    return tuple(out)


def draw(replicate: int) -> dict[str, float]:
    """Effect set ``replicate``: one value per drawn parameter, deterministic from (replicate, ``SEED``)."""
    if isinstance(replicate, bool) or int(replicate) != replicate or replicate < 0:
        raise ParameterError(f"effect draw must be a whole number >= 0, got {replicate!r}")
    return dict(_draw(int(replicate)))


def for_replicate(replicate: int, how: str | None = None) -> dict[str, float]:
    """What replicate ``replicate`` runs with: ``draw(replicate)``, or ``point()`` in point mode
    (``how`` = ``"point"``, or ``RECRUITSIM_EFFECTS=point`` when ``how`` is None)."""
    how = mode() if how is None else how
    if how not in MODES:
        raise ParameterError(f"effects mode must be one of {', '.join(MODES)}, got {how!r}")
    return point() if how == "point" else draw(replicate)


# ---- evidence grades -------------------------------------------------------------------------------
def effect_grades(kinds: Iterable[str]) -> list[str]:
    """The grades of the effect multipliers of these policy kinds (one per effect channel)."""
    return [KINDS[k].params[c].grade or "D" for k in kinds for c in KINDS[k].effects]


def grade_summary(kinds: Iterable[str]) -> dict[str, object]:
    """What a result resting on these kinds' effects rests on: the weakest grade, the mix (e.g. ``B2 D3``),
    the share of grade-D effects and a note when half or more of them are grade D (expert guesses)."""
    grades = effect_grades(list(kinds))
    if not grades:
        return {"grade": None, "grade_mix": "", "share_d": 0.0, "grade_note": ""}
    mix = Counter(grades)
    share_d = mix.get("D", 0) / len(grades)
    note = (f"rests mainly on grade-D effects (expert guesses: {mix.get('D', 0)} of {len(grades)})"
            if share_d >= 0.5 else "")
    return {"grade": max(grades, key=GRADES.index), "grade_mix": " ".join(f"{g}{mix[g]}" for g in GRADES if g in mix),
            "share_d": share_d, "grade_note": note}
