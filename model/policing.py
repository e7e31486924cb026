"""Policing, arrest, sentencing, recruitment inside prison, and release.

1. **Intensity** of policing in a cell: ``(1 + policing_violence_response x violence) / (1 + response x
   initial mean violence)`` x policy effects on cells (channel ``policing``, e.g. mass policing).
2. **Arrest** (monthly, free youths 12+): members ``arrest_member`` (leaders x ``leader_detection``)
   x channel ``arrest_member``; non-members ``arrest_nonmember`` x sex / juvenile / risk ratios x channel
   ``arrest_nonmember``. Offending is split into violent and other (``violent_share_*``); the channels
   ``offending_violent`` and ``offending_other`` scale each part (e.g. mentoring). Each arrest is
   classified violent or not.
3. **Sentencing**: custody with probability ``custody_*`` (channel ``custody``), for a geometric number
   of months with mean ``sentence_*`` (x ``sentence_juvenile`` under 18; channel ``sentence``).
   Inmates leave school and work; jailed leaders count towards succession conflict in their group.
4. **Prison recruitment**: a non-member inmate joins with probability ``prison_recruitment`` x the
   member share among inmates, into a group drawn in proportion to its members inside.
5. **Release** when the sentence is served; the prior-incarceration count (record) goes up.
"""

from __future__ import annotations

import numpy as np

from . import groups, recruitment
from .population import DROPPED, ENROLLED
from .streams import events


def p_max(model) -> float:
    return max(_ceilings(model))


def _ceilings(model) -> tuple[float, float]:
    """Ceiling arrest probabilities of (members, non-members)."""
    P = model.p
    police = (1.0 + P.policing_violence_response * (1.0 + P.presence_violence)) / (
        1.0 + P.policing_violence_response * model.violence0) * model.headroom("policing")
    member = P.arrest_member * max(1.0, P.leader_detection * model.headroom("leader_arrest")) * model.headroom("arrest_member")
    other = (P.arrest_nonmember * max(1.0, P.arrest_or_female) * max(1.0, P.arrest_or_juvenile) * max(1.0, P.arrest_or_risk)
             * model.headroom("arrest_nonmember"))
    offending = max(1.0, model.headroom("offending_violent"), model.headroom("offending_other"))
    return min(0.9, member * police * offending), min(0.9, other * police * offending)


def intensity(model) -> np.ndarray:
    P = model.p
    v = model.hoods.flat("violence")
    base = (1.0 + P.policing_violence_response * v) / (1.0 + P.policing_violence_response * model.violence0)
    out = base * model.hood_effect("policing")
    model.hoods.flat("policing")[:] = out
    return out


def _arrest_probability(model, c: np.ndarray, police: np.ndarray, cache: dict) -> np.ndarray:
    pop, P, t = model.pop, model.p, model.t
    age = pop.age_months(t, c)
    free = pop.free(c) & (age >= 144)
    member = pop.group[c] >= 0
    pol = police[pop.hood[c]]
    p_m = P.arrest_member * np.where(pop.leader[c], P.leader_detection, 1.0) * model.effect("arrest_member", c) * model.effect("leader_arrest", c)
    risk = np.where(pop.poor[c] | pop.neet(c), P.arrest_or_risk, 1.0)
    p_n = (P.arrest_nonmember * np.where(pop.male[c], 1.0, P.arrest_or_female)
           * np.where(age < 216, P.arrest_or_juvenile, 1.0) * risk * model.effect("arrest_nonmember", c))
    vshare = np.where(member, P.violent_share_member, P.violent_share_nonmember)
    viol = vshare * model.effect("offending_violent", c)
    other = (1.0 - vshare) * model.effect("offending_other", c)
    cache["violent_part"] = viol / np.maximum(viol + other, 1e-12)
    cache["c"] = c
    return np.where(free, np.where(member, p_m, p_n) * pol * (viol + other), 0.0)


def _geometric_months(u: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """Months drawn from a geometric distribution with the given means (>= 1) by inversion."""
    q = 1.0 - 1.0 / np.maximum(mean, 1.0001)
    return np.minimum(1 + np.floor(np.log(u) / np.log(q)), 600).astype(np.int16)


def step(model) -> None:
    pop, P, t, s = model.pop, model.p, model.t, model.stats
    police = intensity(model)

    # --- release those whose sentence ends this month
    inmates = model.inmates
    left = pop.prison_left[inmates] - 1
    pop.prison_left[inmates] = np.maximum(left, 0)
    out = inmates[left <= 0]
    pop.refresh_free(out)
    pop.prior_prison[out] = np.minimum(pop.prior_prison[out].astype(np.int16) + 1, 100).astype(np.int8)
    s["releases"] += out.size
    inmates = inmates[left > 0]

    # --- arrests and sentencing
    cache: dict = {}
    pm = model.pmax["arrest"]
    _, non_member_ceiling = _ceilings(model)
    idx, u = events(model.streams["policing"], pop.n, pm,
                    lambda c: _arrest_probability(model, c, police, cache), n_extra=3,
                    capped=model.capped, name="arrest", bound=lambda c: np.where(pop.group[c] >= 0, pm, non_member_ceiling))
    member = pop.group[idx] >= 0
    violent = u[:, 0] < cache["violent_part"][np.searchsorted(cache["c"], idx)]
    custody_p = np.where(member, P.custody_member, P.custody_nonmember) * model.effect("custody", idx)
    custody = u[:, 1] < custody_p
    juvenile = pop.age_months(t, idx) < 216
    mean = (np.where(member, P.sentence_member, P.sentence_nonmember) * np.where(juvenile, P.sentence_juvenile, 1.0)
            * model.effect("sentence", idx))
    months = _geometric_months(u[:, 2], mean)
    jailed = idx[custody]
    pop.prison_left[jailed] = months[custody]
    pop.refresh_free(jailed)
    pop.employed[jailed] = False
    pop.school[jailed[pop.school[jailed] == ENROLLED]] = DROPPED
    groups.removed_leaders(model, jailed, jailed=True)
    s["arrests"] += idx.size
    s["arrests_member"] += np.count_nonzero(member)
    s["arrests_violent"] += np.count_nonzero(violent)
    s["arrests_leader"] += np.count_nonzero(pop.leader[idx])
    s["admissions"] += jailed.size
    s["admissions_member"] += np.count_nonzero(member & custody)
    inmates = np.concatenate([inmates, jailed])

    # --- recruitment inside prison
    in_group = pop.group[inmates]
    n_in = inmates.size
    share = np.count_nonzero(in_group >= 0) / n_in if n_in else 0.0
    if share > 0 and P.prison_recruitment > 0:
        # groups recruit inside in proportion to their members there and to their demand for recruits
        by_group = np.bincount(in_group[in_group >= 0].astype(np.int64), minlength=len(model.group_list))
        weight = by_group * model.group_demand
        pull = weight.sum() / max(by_group.sum(), 1)  # mean demand of the groups inside
        if weight.sum() > 0:
            cum = np.cumsum(weight) / weight.sum()
            inside = np.zeros(pop.n, bool)  # cheap flag for membership of the inmate set
            inside[inmates] = True
            ceiling = min(0.9, P.prison_recruitment * P.demand_max)

            def p_prison(c):
                return np.where(inside[c] & (pop.group[c] < 0) & pop.alive[c], P.prison_recruitment * share * pull, 0.0)

            idx, u = events(model.streams["prison"], pop.n, ceiling, p_prison, n_extra=1,
                            bound=lambda c: np.where(inside[c], ceiling, 0.0))
            gids = np.minimum(np.searchsorted(cum, u[:, 0], side="right"), len(cum) - 1)
            recruitment.join(model, idx, gids.astype(np.int8), "_prison")
    model.inmates = inmates
