"""Policing, arrest, sentencing, recruitment inside prison, and release.

1. **Intensity** of policing in a cell: ``(1 + policing_violence_response x violence) / (1 + response x
   initial mean violence)`` x policy effects on cells (channel ``policing``, e.g. mass policing).
2. **Arrest** comes from offences (``offending``): each of this month's offenders 12+ is arrested with a
   probability per offence (``arrest_probability``), so arrests never exceed offences; offending
   channels (e.g. mentoring) lower arrests by lowering offences. An arrest is violent if the offence was
   violent or a homicide.
3. **Sentencing**: custody with probability ``custody_*`` (channel ``custody``), for a geometric number
   of months with mean ``sentence_*`` (x ``sentence_juvenile`` under 18; channel ``sentence``).
   Inmates leave school and work; jailed leaders count towards succession conflict in their group.
4. **Prison recruitment**: a non-member inmate joins with probability ``prison_recruitment`` x the
   member share among inmates, into a group drawn in proportion to its members inside.
5. **Release** when the sentence is served; the prior-incarceration count (record) goes up.
"""

from __future__ import annotations

import numpy as np

from . import groups, offending, recruitment
from .population import DROPPED, ENROLLED
from .streams import events


def intensity(model) -> np.ndarray:
    P = model.p
    v = model.hoods.flat("violence")
    base = (1.0 + P.policing_violence_response * v) / (1.0 + P.policing_violence_response * model.violence0)
    out = base * model.hood_effect("policing")
    model.hoods.flat("policing")[:] = out
    return out


def arrest_probability(model, c: np.ndarray, kind: np.ndarray, police: np.ndarray) -> np.ndarray:
    """Arrest probability of offenders ``c`` for one offence of ``kind`` (0 violent, 1 property, 2 drug,
    3 homicide): per offence ``arrest_member / reference`` or ``arrest_nonmember / reference`` (so a man 18-20
    without risk factors is arrested with probability ``arrest_*`` a month), ``homicide_clearance`` for a
    homicide; x leader_detection (leaders), x juvenile ratio (non-members under 18), x policing intensity,
    x policy channels. At most 1."""
    pop, P, t = model.pop, model.p, model.t
    member = pop.group[c] >= 0
    q_m = P.arrest_member / offending.reference(P, True)
    q_n = P.arrest_nonmember / offending.reference(P, False)
    per = np.where(kind == 3, P.homicide_clearance, np.where(member, q_m, q_n))
    juvenile = pop.age_months(t, c) < 216
    rr = np.where(member, np.where(pop.leader[c], P.leader_detection, 1.0) * model.effect("arrest_member", c)
                  * model.effect("leader_arrest", c),
                  np.where(juvenile, P.arrest_or_juvenile, 1.0) * model.effect("arrest_nonmember", c))
    return np.minimum(1.0, per * rr * police[pop.hood[c]])


def _arrest_probability(model, c: np.ndarray, police: np.ndarray, cache: dict) -> np.ndarray:
    """Expected monthly arrest probability of slots ``c`` given the state (offending probability of each
    type x the arrest probability per offence); ``cache["violent_part"]`` gets the violent share of it.
    Used by the trial emulation and tests (the monthly step draws offences, then arrests)."""
    pop, t = model.pop, model.t
    p = offending._type_probabilities(model, c) * (pop.age_months(t, c) >= 144)[:, None]
    q = np.stack([arrest_probability(model, c, np.full(c.size, k), police) for k in range(3)], axis=1)
    pq = np.minimum(p, 1.0) * q
    total = 1.0 - np.prod(1.0 - pq, axis=1)  # at least one arrest (the offences' probabilities are each < 1)
    cache["violent_part"] = pq[:, 0] / np.maximum(total, 1e-300)
    cache["offences"] = np.minimum(p, 1.0)  # expected offences by type (violent, property, drug) this month
    cache["c"] = c
    return total


def _geometric_months(u: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """Months drawn from a geometric distribution with the given means (>= 1) by inversion."""
    q = 1.0 - 1.0 / np.maximum(mean, 1.0001)
    return np.minimum(1 + np.floor(np.log(u) / np.log(q)), 600).astype(np.int16)


def step(model) -> None:
    """This month's release, arrests, sentencing and recruitment inside prison, in that order (module docstring)."""
    police = intensity(model)
    inmates = _release(model)
    idx, u, violent = _arrests(model, police)
    member, custody, jailed = _sentence(model, idx, u)
    _count_arrests(model, idx, violent, member, custody, jailed)
    inmates = np.concatenate([inmates, jailed])
    _prison_recruitment(model, inmates)
    model.inmates = inmates


def _release(model) -> np.ndarray:
    """Release those whose sentence ends this month (their record goes up); returns the inmates who stay."""
    pop, s = model.pop, model.stats
    inmates = model.inmates
    left = pop.prison_left[inmates] - 1
    pop.prison_left[inmates] = np.maximum(left, 0)
    out = inmates[left <= 0]
    pop.refresh_free(out)
    pop.prior_prison[out] = np.minimum(pop.prior_prison[out].astype(np.int16) + 1, 100).astype(np.int8)
    s["releases"] += out.size
    return inmates[left > 0]


def _arrests(model, police: np.ndarray):
    """Arrests come from offences: this month's offenders (one offence each) and homicide perpetrators, still free
    and 12+. Returns the arrested (one arrest a month each), their custody and sentence uniforms, and which were violent."""
    pop, t, s = model.pop, model.t, model.stats
    off, kind, u_off = model.offenders, model.offence_kind, model.offence_u
    ok = pop.free(off) & (pop.age_months(t, off) >= 144)  # still free (not killed this month), 12+
    off, kind, u_off = off[ok], kind[ok], u_off[ok]
    p_off = arrest_probability(model, off, kind, police)
    perp = model.perpetrators
    perp = perp[pop.free(perp) & (pop.age_months(t, perp) >= 144)]
    p_hom = arrest_probability(model, perp, np.full(perp.size, 3), police)
    u_hom = model.streams["perpetrators"].random((perp.size, 3))  # homicides are few: their own stream
    hit_off, hit_hom = u_off[:, 0] < p_off, u_hom[:, 0] < p_hom
    arrested_off, arrested_hom = off[hit_off], perp[hit_hom]
    violent_off = arrested_off[kind[hit_off] == 0]
    idx, first = np.unique(np.concatenate([arrested_off, arrested_hom]), return_index=True)  # one arrest a month
    u = np.concatenate([u_off[hit_off, 1:], u_hom[hit_hom, 1:]])[first]  # custody and sentence uniforms
    violent = np.isin(idx, np.union1d(violent_off, arrested_hom))
    s["arrests_homicide"] += arrested_hom.size
    return idx, u, violent


def _sentence(model, idx: np.ndarray, u: np.ndarray):
    """Custody and sentence length of the arrested ``idx``; the jailed leave school and work, and jailed leaders count
    towards succession conflict. Returns which were members, which got custody, and the jailed."""
    pop, P, t = model.pop, model.p, model.t
    member = pop.group[idx] >= 0
    custody_p = np.where(member, P.custody_member, P.custody_nonmember) * model.effect("custody", idx)
    custody = u[:, 0] < custody_p
    juvenile = pop.age_months(t, idx) < 216
    mean = (np.where(member, P.sentence_member, P.sentence_nonmember) * np.where(juvenile, P.sentence_juvenile, 1.0)
            * model.effect("sentence", idx))
    months = _geometric_months(u[:, 1], mean)
    jailed = idx[custody]
    pop.prison_left[jailed] = months[custody]
    pop.refresh_free(jailed)
    pop.employed[jailed] = False
    pop.school[jailed[pop.school[jailed] == ENROLLED]] = DROPPED
    groups.removed_leaders(model, jailed, jailed=True)
    return member, custody, jailed


def _count_arrests(model, idx: np.ndarray, violent: np.ndarray, member: np.ndarray, custody: np.ndarray,
                   jailed: np.ndarray) -> None:
    pop, s = model.pop, model.stats
    s["arrests"] += idx.size
    s["arrests_member"] += np.count_nonzero(member)
    s["arrests_violent"] += np.count_nonzero(violent)
    s["arrests_leader"] += np.count_nonzero(pop.leader[idx])
    # by group (a regional run reads them for its labelled groups: recruitsim.region.labels)
    k = len(model.group_list)
    model.member_arrests = np.bincount(pop.group[idx[member]].astype(np.int64), minlength=k)
    model.leader_arrests = np.bincount(pop.group[idx[member & pop.leader[idx]]].astype(np.int64), minlength=k)
    s["admissions"] += jailed.size
    s["admissions_member"] += np.count_nonzero(member & custody)


def _prison_recruitment(model, inmates: np.ndarray) -> None:
    """A non-member inmate joins with probability prison_recruitment x the member share inside x the groups' mean
    demand, into a group drawn in proportion to its members inside x its demand (stream ``prison``)."""
    pop, P = model.pop, model.p
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
