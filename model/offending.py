"""Offences with offenders and victims.

Each month every free youth may commit an offence of one type: violent non-lethal (assault, threats,
violent robbery), property/extortion, or drug market. Monthly probability of each type:

    offend_<type> x age curve(type, age) x offend_or_female^[female] x offend_or_risk^[poor or NEET 15+]
    x offend_member_<type>^[member] x policy effect (``offending_violent`` for violent offences,
    ``offending_other`` for property and drug offences)

(``offend_<type>``: a non-member man 18-20 with no risk factor). At most one offence per youth per
month (the types' probabilities add up; the type is drawn in proportion). The age curves per year of
age (age 18 = 1) are the values in NOTES of the mechanisms research: US arrest curves (FBI 2018)
shifted later for LAC (ENVIPE, ENSI-6); a GUESS shape.

**Victims.** Every violent and property offence has exactly one victim: with probability
``victim_adult_ratio / (1 + victim_adult_ratio)`` a person outside 10-29 (counted, not simulated),
otherwise a simulated youth among the offender's peers (same or adjacent neighbourhood, similar age),
of the sex drawn with ``victim_male_share_violent`` or ``victim_male_share_property`` (the first peer
of that sex among four drawn; if none, the first live peer; an offender without live peers has a
victim outside 10-29). Drug-market offences have no direct victim (NOTES 1c).

**Homicide** is the lethal tail of violence (``violence.step``): victims' hazards there are scaled by
this month's violent offending of the perpetrators' pool relative to what it would be without policy
effects (``model.violence_factor``: members for group-linked killings, non-members for the rest), and
each youth victim gets a perpetrator (``assign_perpetrators``).

**Prison governance.** Imprisoned leaders order violence: each month a jailed leader has the violent
offence he would commit free, x ``prison_command``, carried out by a free member of his group.

**Arrests** come from offences (``policing.step``): each offender is arrested with a probability per
offence, so arrests never exceed offences.
"""

from __future__ import annotations

import numpy as np

from . import outputs
from .streams import events, hashed_uniforms

TYPES = ("violent", "property", "drug")
#: relative offending by year of age 10..29 (age 18 = 1); NOTES 1a (GUESS shape, anchored on FBI_CIUS2018_T64, ENVIPE2021_MEXSOCIAL)
AGE_CURVE = {
    "violent": np.array([.1, .1, .1, .4, .4, .65, .8, .9, 1, 1, 1, 1, 1, 1, 1, .9, .9, .9, .9, .9]),
    "property": np.array([.05, .05, .05, .35, .35, .6, .75, .9, 1, 1, 1, .9, .9, .9, .9, .8, .8, .8, .8, .8]),
}
AGE_CURVE["drug"] = AGE_CURVE["property"]


def split(u: np.ndarray, k: int) -> np.ndarray:
    """``k`` uniforms from each float64 uniform in ``u``, one from each ``52 // k`` bits (independent
    to that resolution): fewer random draws per candidate, so offending stays fast at 1M agents."""
    bits = 52 // k
    x = (u * float(1 << 52)).astype(np.int64)
    mask = (1 << bits) - 1
    return np.stack([(((x >> (bits * j)) & mask) + 0.5) / float(1 << bits) for j in range(k)], axis=-1)


def _expand(u4: np.ndarray) -> np.ndarray:
    """The 10 uniforms an offence uses, from 4 draws: [type, arrest, outside, victim sex, 4 peers, custody, sentence]."""
    a, b, c = split(u4[:, 0], 3).T, split(u4[:, 2], 2).T, split(u4[:, 3], 4)
    return np.column_stack([a[0], u4[:, 1], b[0], b[1], c, a[1], a[2]])


def _rates(P) -> tuple[np.ndarray, np.ndarray]:
    """(base probability per type, member multiplier per type)."""
    base = np.array([P.offend_violent, P.offend_property, P.offend_drug])
    mult = np.array([P.offend_member_violent, P.offend_member_property, P.offend_member_drug])
    return base, mult


def reference(P, member: bool) -> float:
    """Total monthly offending probability of a man 18-20 without risk factors (member or not): the level
    at which ``arrest_member`` / ``arrest_nonmember`` are the monthly arrest probabilities."""
    base, mult = _rates(P)
    return float((base * (mult if member else 1.0)).sum())


def _ceilings(model) -> tuple[float, float]:
    P = model.p
    base, mult = _rates(P)
    head = np.array([model.headroom("offending_violent"), model.headroom("offending_other"), model.headroom("offending_other")])
    sex = max(1.0, P.offend_or_female)
    risk = max(1.0, P.offend_or_risk)
    member = float((base * np.maximum(mult, 1.0) * head).sum()) * sex * risk
    other = float((base * head).sum()) * sex * risk
    return min(0.9, member), min(0.9, other)


def p_max(model) -> float:
    return max(_ceilings(model))


def _type_probabilities(model, c: np.ndarray, as_free: bool = False) -> np.ndarray:
    """Monthly probability of each offence type for slots ``c``, shape (len(c), 3) (0 unless free, or
    with ``as_free`` as if they were free: imprisoned leaders' orders)."""
    pop, P, t = model.pop, model.p, model.t
    base, mult = _rates(P)
    age = pop.age_months(t, c)
    ay = np.clip(age // 12 - 10, 0, 19)
    member = pop.group[c] >= 0
    common = (np.where(pop.male[c], 1.0, P.offend_or_female)
              * np.where(pop.poor[c] | (pop.neet(c) & (age >= 180)), P.offend_or_risk, 1.0)
              * (pop.alive[c] if as_free else pop.free(c)))
    out = np.empty((c.size, 3))
    ev = model.effect("offending_violent", c)
    eo = model.effect("offending_other", c)
    for k, name in enumerate(TYPES):
        out[:, k] = base[k] * AGE_CURVE[name][ay] * np.where(member, mult[k], 1.0) * common * (ev if k == 0 else eo)
    return out


def step(model) -> None:
    """Draw this month's offences, their victims, and the violence factors homicide reads."""
    pop, s = model.pop, model.stats
    cache: dict = {}
    _, non_member_ceiling = _ceilings(model)

    def prob(c):
        p = _type_probabilities(model, c)
        cache["p"], cache["c"] = p, c
        return p.sum(axis=1)

    # non-members: thinning over all slots at their ceiling; members (about 1% of slots, with rates up to
    # ten times higher): uniforms hashed from (seed, month, slot), so both stay aligned across scenarios
    idx_n, u_n = events(model.streams["offending"], pop.n, non_member_ceiling, prob, n_extra=4, capped=model.capped,
                        name="offending", bound=lambda c: np.where(pop.group[c] >= 0, 0.0, non_member_ceiling))
    cand_n, p_n = cache.get("c", np.empty(0, np.int64)), cache.get("p", np.empty((0, 3)))
    members = pop.members()
    mem = members[pop.free(members)]
    u_m = hashed_uniforms(model.seed, "offending", model.t, mem, 5)
    p_m = _type_probabilities(model, mem)
    hit_m = u_m[:, 0] < p_m.sum(axis=1)
    idx = np.concatenate([idx_n, mem[hit_m]])  # (order does not matter downstream)
    u = np.concatenate([u_n, u_m[hit_m, 1:]])
    pk = np.concatenate([p_n[np.searchsorted(cand_n, idx_n)], p_m[hit_m]])
    c, p = np.concatenate([cand_n, mem]), np.concatenate([p_n, p_m])
    # violence factors: violent offending with the policies' effects relative to without, over the
    # evaluated candidates (a state-independent sample of non-members, and all free members); exactly 1
    # when no policy acts
    ev = model.effect("offending_violent", c)
    raw = p[:, 0] / np.where(np.asarray(ev) > 0, ev, 1.0) if c.size else p[:, 0]
    mem_c = pop.group[c] >= 0
    model.violence_factor = {
        "member": float(p[mem_c, 0].sum() / raw[mem_c].sum()) if raw[mem_c].sum() > 0 else 1.0,
        "nonmember": float(p[~mem_c, 0].sum() / raw[~mem_c].sum()) if raw[~mem_c].sum() > 0 else 1.0,
    }
    u = _expand(u)
    cum = np.cumsum(pk, axis=1) / np.maximum(pk.sum(axis=1, keepdims=True), 1e-300)
    kind = np.minimum((u[:, 0:1] > cum).sum(axis=1), 2).astype(np.int8)  # 0 violent, 1 property, 2 drug
    # arrest, custody and sentence uniforms for policing (drawn whatever the state: CRN)
    model.offenders, model.offence_kind, model.offence_u = idx, kind, u[:, [1, 8, 9]]
    member = pop.group[idx] >= 0
    for k, name in enumerate(TYPES):
        sel = kind == k
        s[f"off_{name}"] += np.count_nonzero(sel)
        s[f"off_{name}_member"] += np.count_nonzero(sel & member)
        outputs.tally_by_sex_and_band(model, idx[sel], f"off_{name}")
    _victims(model, idx, kind, u[:, 2:])
    _orders_from_prison(model)


def _orders_from_prison(model) -> None:
    """Imprisoned leaders order violence: each commits, through a free member of his group (the
    executor, who can be arrested for it), the violent offences he would commit free x ``prison_command``."""
    pop, P, s = model.pop, model.p, model.stats
    if P.prison_command <= 0:
        return
    members = pop.members()
    jailed = members[pop.leader[members] & (pop.prison_left[members] > 0) & pop.alive[members]]
    if jailed.size == 0:
        return
    rng = model.streams["prison_orders"]
    u = rng.random((jailed.size, 10))
    p = _type_probabilities(model, jailed, as_free=True)[:, 0] * P.prison_command
    hit = u[:, 0] < p
    if not np.any(hit):
        return
    execs = member_pool(model, np.empty(0, np.int64), pop.group[jailed[hit]].astype(np.int64), rng)
    ok = execs >= 0
    execs, uu = execs[ok], u[hit][ok]
    kind = np.zeros(execs.size, np.int8)
    s["off_violent"] += execs.size
    s["off_violent_member"] += execs.size
    s["off_violent_ordered"] += execs.size
    outputs.tally_by_sex_and_band(model, execs, "off_violent")
    model.offenders = np.concatenate([model.offenders, execs])
    model.offence_kind = np.concatenate([model.offence_kind, kind])
    model.offence_u = np.concatenate([model.offence_u, uu[:, [1, 8, 9]]])
    _victims(model, execs, kind, uu[:, 2:])


def _victims(model, idx: np.ndarray, kind: np.ndarray, u: np.ndarray) -> None:
    """One victim per violent or property offence: outside 10-29 by ratio, else a peer of the offender."""
    pop, P, s, net = model.pop, model.p, model.stats, model.net
    personal = kind < 2
    off, k, u = idx[personal], kind[personal], u[personal]
    outside = u[:, 0] < P.victim_adult_ratio / (1.0 + P.victim_adult_ratio)
    want_male = u[:, 1] < np.where(k == 0, P.victim_male_share_violent, P.victim_male_share_property)
    indptr, indices = net.peers.indptr, net.peers.indices
    start = indptr[off].astype(np.int64)
    deg = (indptr[off + 1] - indptr[off]).astype(np.int64)
    victim = np.full(off.size, -1, np.int64)
    fallback = np.full(off.size, -1, np.int64)
    todo = np.flatnonzero(deg > 0)
    for j in range(4):  # up to four peers drawn: the first of the wanted sex, else the first alive
        if todo.size == 0:
            break
        cand = indices[start[todo] + np.minimum((u[todo, 2 + j] * deg[todo]).astype(np.int64), deg[todo] - 1)]
        ok = pop.alive[cand]
        fb = todo[ok & (fallback[todo] < 0)]
        fallback[fb] = cand[ok & (fallback[todo] < 0)]
        take = ok & (pop.male[cand] == want_male[todo])
        victim[todo[take]] = cand[take]
        todo = todo[~take]
    victim = np.where(victim < 0, fallback, victim)
    outside |= victim < 0
    for kk, name in ((0, "violent"), (1, "property")):
        sel = k == kk
        youth = victim[sel & ~outside]
        outputs.tally_by_sex_and_band(model, youth, f"vic_{name}")
        n_out = int(np.count_nonzero(sel & outside))
        s[f"vic_{name}_outside"] += n_out
        # victims outside 10-29 take the wanted sex (drawn with the sourced share)
        s[f"vic_{name}_outside_male"] += int(np.count_nonzero(sel & outside & want_male))


def member_pool(model, idx: np.ndarray, gids: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """For each group id in ``gids``, a free member of that group: one of this month's violent offenders
    of the group if there is any, else any free member (-1 if the group has none)."""
    pop = model.pop
    out = np.full(gids.size, -1, np.int64)
    offenders = model.offenders[(model.offence_kind == 0) & (pop.group[model.offenders] >= 0)]
    members = pop.members()
    free_members = members[pop.free(members)]
    for g in np.unique(gids[gids >= 0]):
        want = np.flatnonzero(gids == g)
        pool = offenders[pop.group[offenders] == g]
        if pool.size == 0:
            pool = free_members[pop.group[free_members] == g]
        pool = pool[~np.isin(pool, idx)]  # not the victims themselves
        if pool.size:
            out[want] = pool[rng.integers(0, pool.size, want.size)]
    return out


def assign_perpetrators(model, idx: np.ndarray, group_linked: np.ndarray, member: np.ndarray, rival: np.ndarray,
                        u: np.ndarray) -> None:
    """A perpetrator for each youth homicide victim ``idx``: rival killings by a member of another group,
    other group-linked killings by a member of the cell's group, other killings by a non-member violent
    offender of this month; a share ``perpetrator_adult_share`` of the non-group killings by someone 30+
    (not simulated). Perpetrators are kept in ``model.perpetrators`` for arrest."""
    pop, P, s = model.pop, model.p, model.stats
    rng = model.streams["perpetrators"]
    k = len(model.group_list)
    cell_group = model.hood_group[pop.hood[idx]]
    own = np.where(member, pop.group[idx].astype(np.int64), cell_group)
    other = (own + 1 + (u * max(k - 1, 1)).astype(np.int64) % max(k - 1, 1)) % max(k, 1)
    gids = np.where(rival & (k > 1), other, own)
    perp = np.full(idx.size, -1, np.int64)
    if np.any(group_linked):
        perp[group_linked] = member_pool(model, idx, gids[group_linked], rng)
    non = ~group_linked
    adult = non & (rng.random(idx.size) < P.perpetrator_adult_share)
    pool = model.offenders[(model.offence_kind == 0) & (pop.group[model.offenders] < 0)]
    pool = pool[pop.free(pool)]
    need = non & ~adult
    if pool.size and np.any(need):
        perp[need] = pool[rng.integers(0, pool.size, int(need.sum()))]
    perp[perp >= 0] = np.where(np.isin(perp[perp >= 0], idx), -1, perp[perp >= 0])
    found = perp >= 0
    s["hom_perp_member"] += int(np.count_nonzero(found & (pop.group[np.maximum(perp, 0)] >= 0)))
    s["hom_perp_nonmember"] += int(np.count_nonzero(found & (pop.group[np.maximum(perp, 0)] < 0)))
    s["hom_perp_outside"] += int(np.count_nonzero(~found))
    model.perpetrators = np.unique(perp[found])
