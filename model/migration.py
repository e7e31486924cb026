"""People who cross borders: a hook for a driver that runs several countries together (``recruitsim.region``).

A single-country run never calls it, and nothing in ``RecruitmentModel`` refers to it: without a call the model
is exactly as before. A driver calls it between two months (before ``model.step()``):

* ``depart(model, k)``: ``k`` youths leave the country. They are drawn at random among the free non-members
  (members stay with their group; youths in custody or being exploited cannot leave); their slots become
  empty (``alive`` False, as after a death, but not counted as deaths) until their cohort turns 30 and the slot
  is refilled by a new 10-year-old.
* ``arrive(model, k, profile)``: ``k`` youths arrive. The model's population is a fixed set of slots (each
  standing for ``scale`` people), so an arrival takes the slot of a resident of the same age (re-seating: the
  destination's number of youths stays its profile's, its composition shifts toward the arrivals' risk
  profile). The slots are drawn among free non-members whose household has no group member, with weights equal
  to their neighbourhood's poverty rate (arrivals settle in poorer places), and get the arrivals' attributes:
  sex, poverty, school (out of school more often), no adult relative in a group, no job, no record; home
  violence with the host's prevalence. The slot keeps its place, household and peer ties (fixed per slot).

Slots about to turn 30 (recycled at the next month's turnover) are never drawn. Random numbers come from the
dedicated stream ``model.streams["migration"]`` (spawned on first use, independent of every other stream) and
are drawn only when ``k > 0``. ``Migrants`` (``model.migrants``, created on the first arrival) flags the slots
that hold arrivals, so a driver can count how many of them join a group or are trafficked (``tally``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .population import COMPLETED, DROPPED, ENROLLED

AGE_OUT_M = 120  # between months, slots of this age (at model.t) are the cohort recycled at the next turnover


@dataclass(frozen=True)
class ArrivalProfile:
    """Attributes of arriving youths (probabilities; values, ranges and sources: region/data/parameters.csv)."""

    poor: float = 0.6
    out_of_school: float = 0.29  # arrivals under 18 who are not in school
    completed_secondary: float = 0.7  # arrivals 18+ who completed secondary school
    adult_kin: float = 0.0  # an adult relative in a group
    male: float = 0.5


class Migrants:
    """Which slots hold arrivals (reset when the slot is recycled), and the month's counts."""

    def __init__(self, n: int):
        self.flag = np.zeros(n, bool)
        self.trafficked = np.empty(0, np.int64)  # arrivals being exploited at the last tally

    def forget_recycled(self, model) -> None:
        """Clear the cohort recycled by the last turnover (they are new 10-year-olds, not arrivals)."""
        self.flag[model.pop.cohort_slots(model.t - 1, AGE_OUT_M)] = False


def _not_ageing_out(model) -> np.ndarray:
    return model.pop.age_months(model.t) != AGE_OUT_M


def depart(model, k: int) -> np.ndarray:
    """``k`` free non-member youths leave the country (fewer if fewer are eligible); returns their slots."""
    if k <= 0:
        return np.empty(0, np.int64)
    pop = model.pop
    pool = np.flatnonzero(pop.free_flag & (pop.group < 0) & _not_ageing_out(model))
    rng = model.streams["migration"]
    idx = np.sort(pool[rng.choice(pool.size, size=min(k, pool.size), replace=False)]) if pool.size else pool
    pop.alive[idx] = False
    pop.employed[idx] = False
    pop.refresh_free(idx)
    pop.dead = np.concatenate([pop.dead, idx])
    if getattr(model, "migrants", None) is not None:
        model.migrants.flag[idx] = False
    return idx


def _seats(model, k: int, rng: np.random.Generator) -> np.ndarray:
    """``k`` slots for arrivals: free non-members without a member in their household, weighted by poverty."""
    pop = model.pop
    ok = pop.free_flag & (pop.group < 0) & _not_ageing_out(model)
    ok &= ~np.isin(pop.family, model.member_families)
    if getattr(model, "migrants", None) is not None:
        ok &= ~model.migrants.flag
    pool = np.flatnonzero(ok)
    w = model.hoods.flat("poverty")[pop.hood[pool]]
    keys = np.log(rng.random(pool.size)) / np.maximum(w, 1e-9)  # weighted sampling without replacement
    if k < pool.size:
        pool = pool[np.argpartition(-keys, k - 1)[:k]]
    return np.sort(pool)


def arrive(model, k: int, profile: ArrivalProfile) -> np.ndarray:
    """``k`` youths arrive with ``profile``'s attributes (fewer if fewer slots are eligible); returns their slots."""
    if k <= 0:
        return np.empty(0, np.int64)
    pop, P = model.pop, model.p
    rng = model.streams["migration"]
    idx = _seats(model, k, rng)
    u = rng.random((idx.size, 5))  # fixed number of draws per arrival
    before = pop._census_code(idx) if pop.census is not None else None
    adult = pop.age_months(model.t, idx) >= 216
    pop.male[idx] = u[:, 0] < profile.male
    pop.poor[idx] = u[:, 1] < profile.poor
    pop.home_violence[idx] = u[:, 2] < P.home_violence_prevalence
    pop.adult_kin[idx] = u[:, 3] < profile.adult_kin
    pop.school[idx] = np.where(adult, np.where(u[:, 4] < profile.completed_secondary, COMPLETED, DROPPED),
                               np.where(u[:, 4] < profile.out_of_school, DROPPED, ENROLLED))
    pop.employed[idx] = False
    pop.joined[idx] = 0
    pop.prior_prison[idx] = 0
    if before is not None:
        pop.recount(idx, before)
    for policy in model.policies:
        policy.forget(idx)
    if getattr(model, "migrants", None) is None:
        model.migrants = Migrants(pop.n)
    model.migrants.flag[idx] = True
    return idx


def tally(model) -> dict[str, int]:
    """After a month: slots holding arrivals (alive), of which members, recruits this month, being exploited
    and newly exploited this month (counts of slots; multiply by ``model.scale`` for people)."""
    mig = getattr(model, "migrants", None)
    if mig is None:
        return {"stock": 0, "members": 0, "recruits": 0, "trafficked": 0, "trafficked_new": 0}
    pop = model.pop
    mig.forget_recycled(model)
    idx = np.flatnonzero(mig.flag & pop.alive)
    member = pop.group[idx] >= 0
    exploited = idx[pop.trafficked_left[idx] > 0]
    new = np.setdiff1d(exploited, mig.trafficked, assume_unique=True)
    mig.trafficked = exploited
    return {"stock": int(idx.size), "members": int(member.sum()),
            "recruits": int(np.count_nonzero(member & (pop.joined[idx] == model.t - 1))),
            "trafficked": int(exploited.size), "trafficked_new": int(new.size)}
