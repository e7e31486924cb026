"""Group violence and homicide.

Monthly homicide risk of a free youth:

* member:      ``member_homicide x (1 + conflict_multiplier x conflict[cell])`` x policy effects
                (channel ``violent_involvement``); a victim is killed by a rival with probability
                ``c x conflict / (1 + c x conflict)``, otherwise in other group violence;
* non-member:  group-linked (bystander) ``bystander_homicide x violence[cell]`` plus non-group
                ``background_homicide``, both x the sex and age risk ratios.

Each victim is recorded by sex, age band, membership, cause (rival / other group-linked / bystander /
non-group) and weapon (firearm with probability ``firearm_share_group`` or ``firearm_share_other``).
Homicide is the lethal tail of violence: the group-linked hazards are multiplied by the members'
violent offending relative to what it would be without policy effects, and the non-group hazard by the
non-members' (``model.violence_factor``, from ``offending.step``; 1 when no policy acts). Each youth
victim gets a perpetrator (``offending.assign_perpetrators``): rival killings by a member of another
group, other group-linked killings by a member of the cell's group, other killings by a non-member
violent offender (or someone 30+, ``perpetrator_adult_share``).
Victims aged 30+ are not simulated: they are added as ``adult_homicide_ratio`` x youth victims, with
the same group-linked share and a male share ``adult_male_share``.

Homicides are rare events, so a small simulated population sees few of them. ``expected`` also adds up
this month's homicide *probabilities* of every youth (the conditional expectation of the count given
the state); the ``*_expected`` outputs built from it have the same mean as the realised counts and far
less noise, which is what calibration and cost-effectiveness comparisons use.
"""

from __future__ import annotations

import numpy as np

from . import groups, offending, outputs
from .population import band_index
from .streams import events


def p_max(model) -> float:
    P = model.p
    age = max(1.0, P.homicide_age_10_14, P.homicide_age_15_19, P.homicide_age_25_29)
    sex = max(1.0, P.homicide_or_female)
    member = P.member_homicide * (1.0 + P.conflict_multiplier) * model.headroom("violent_involvement")
    other = (P.bystander_homicide * (P.presence_violence + 1.0) + P.background_homicide) * age * sex
    return min(0.9, max(member, other) * max(1.0, model.headroom("offending_violent")))


def _risk(model, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(group-linked, other) monthly homicide probability of each candidate slot."""
    pop, P, hoods = model.pop, model.p, model.hoods
    free = pop.free(c)
    member = pop.group[c] >= 0
    h = pop.hood[c]
    conflict = hoods.flat("conflict")[h]
    band = band_index(pop.age_years(model.t, c))
    age_rr = np.array([P.homicide_age_10_14, P.homicide_age_15_19, 1.0, P.homicide_age_25_29])[band]
    sex_rr = np.where(pop.male[c], 1.0, P.homicide_or_female)
    vf = model.violence_factor  # perpetrators' violent offending relative to no policy (offending.step)
    p_member = P.member_homicide * (1.0 + P.conflict_multiplier * conflict) * model.effect("violent_involvement", c)
    p_bystander = P.bystander_homicide * hoods.flat("violence")[h] * age_rr * sex_rr
    p_group = np.where(member, p_member, p_bystander) * vf["member"]
    p_other = np.where(member, 0.0, P.background_homicide * age_rr * sex_rr) * vf["nonmember"]
    return np.where(free, p_group, 0.0), np.where(free, p_other, 0.0)


def _rr(P) -> tuple[np.ndarray, np.ndarray]:
    """Age-band and sex (female, male) risk ratios."""
    age = np.array([P.homicide_age_10_14, P.homicide_age_15_19, 1.0, P.homicide_age_25_29])
    return age, np.array([P.homicide_or_female, 1.0])


def expected(model) -> None:
    """Add this month's expected youth homicides (by sex x band, and group-linked) to the counters."""
    pop, P, t, s, hoods = model.pop, model.p, model.t, model.stats, model.hoods
    age_rr, sex_rr = _rr(P)
    exp_sb = np.zeros(8)  # index sex * 4 + band; sex 0 = female, 1 = male
    # members: their own hazard (exact)
    members = pop.members()
    mem = members[pop.free(members)]
    p_mem, _ = _risk(model, mem)
    p_mem = np.minimum(p_mem, model.pmax["homicide"])
    exp_sb += np.bincount(pop.male[mem] * 4 + band_index(pop.age_years(t, mem)), weights=p_mem, minlength=8)
    group_linked = float(p_mem.sum())
    # non-members at risk, by age band x cell x sex: every slot (from the census) minus the few that
    # are not free non-members (dead, members, in custody, exploited)
    nh = hoods.n
    counts = pop.census_by_band(t).astype(float)
    inm, vic = model.inmates, model.victims  # (disjoint: the exploited cannot be arrested, and vice versa)
    away = np.concatenate([pop.dead, members, inm[pop.group[inm] < 0], vic[pop.group[vic] < 0]])
    code = (band_index(pop.age_years(t, away)) * nh + pop.hood[away]) * 2 + pop.male[away]
    counts -= np.bincount(code, minlength=4 * nh * 2).reshape(4, nh, 2)
    violence = hoods.flat("violence")
    vf = model.violence_factor
    by_sb_group = np.einsum("bhs,h->sb", counts, violence) * P.bystander_homicide * vf["member"]
    by_sb_other = counts.sum(axis=1).T * P.background_homicide * vf["nonmember"]
    rr = sex_rr[:, None] * age_rr[None, :]
    exp_sb += ((by_sb_group + by_sb_other) * rr).reshape(8)
    group_linked += float((by_sb_group * rr).sum())
    for sex, name in ((1, "male"), (0, "female")):
        for b in range(4):
            s[f"exp_{name}_{b}"] += exp_sb[sex * 4 + b]
    s["exp_youth"] += float(exp_sb.sum())
    s["exp_group_linked"] += group_linked


def step(model) -> None:
    pop, P, s = model.pop, model.p, model.stats
    expected(model)
    cache = {}

    def prob(c):
        cache["g"], cache["o"] = _risk(model, c)
        cache["c"] = c
        return cache["g"] + cache["o"]

    idx, u = events(model.streams["violence"], pop.n, model.pmax["homicide"], prob, n_extra=4, capped=model.capped, name="homicide")
    model.perpetrators = np.empty(0, np.int64)
    if idx.size == 0:
        return
    pos = np.searchsorted(cache["c"], idx)
    p_g, p_o = cache["g"][pos], cache["o"][pos]
    group_linked = u[:, 0] * (p_g + p_o) < p_g
    member = pop.group[idx] >= 0
    conflict = model.hoods.flat("conflict")[pop.hood[idx]]
    cm = P.conflict_multiplier * conflict
    rival = member & (u[:, 1] < cm / (1.0 + cm))
    firearm = u[:, 2] < np.where(group_linked, P.firearm_share_group, P.firearm_share_other)

    outputs.tally_by_sex_and_band(model, idx, "hom")
    s["hom_youth"] += idx.size
    s["hom_member"] += np.count_nonzero(member)
    s["hom_rival"] += np.count_nonzero(rival)
    s["hom_bystander"] += np.count_nonzero(group_linked & ~member)
    s["hom_group_linked"] += np.count_nonzero(group_linked)
    s["hom_firearm"] += np.count_nonzero(firearm)
    offending.assign_perpetrators(model, idx, group_linked, member, rival, u[:, 3])
    groups.removed_leaders(model, idx)
    model.kill(idx)
