"""Recruitment: the monthly probability that a free non-member joins a group.

    odds = recruit_base_odds x age OR x female OR x OR_neet^[NEET, 15+] x OR_dropout^[dropped out]
           x OR_home_violence^[exposed] x OR_relatives^[relative in a group] x OR_peers^(member share of peers)
           x OR_prior_prison^[ever incarcerated] x OR_poverty^[poor] x OR_presence^[group controls the cell]
           x demand of the recruiting group x policy effects (channel ``recruit_odds``)
    p    = odds / (1 + odds)

Every factor multiplies the odds, so ``p`` is a probability by construction (no additive
corrections). Recruits join the group that controls their neighbourhood or the nearest one.
Recruitment inside prison is part of ``policing``.
"""

from __future__ import annotations

import numpy as np

from .population import DROPPED
from .streams import events

AGE_EDGES_M = np.array([168, 216, 300])  # 14, 18, 25 in months


def p_max(model) -> float:
    P = model.p
    ors = [P.recruit_age_10_13, P.recruit_age_18_24, P.recruit_age_25_29, P.recruit_or_female]
    o = P.recruit_base_odds * max(1.0, *ors) * P.demand_max * model.headroom("recruit_odds")
    for name in ("neet", "dropout", "home_violence", "relatives", "peers", "prior_prison", "poverty", "presence"):
        o *= max(1.0, getattr(P, f"recruit_or_{name}"))
    return min(0.9, o / (1 + o))


def covariates(model, idx: np.ndarray, social: bool | str = True) -> dict[str, np.ndarray]:
    """The risk factors of each youth in ``idx`` (also used by the odds-ratio recovery test).

    With ``social=False`` the two costly social factors are replaced by their maxima (all peers and a
    relative in a group), which gives an upper bound of the joining odds; with ``social="adult kin"``
    only adult relatives count and peers are ignored (the initial population, before anyone joined).
    """
    pop, t = model.pop, model.t
    age = pop.age_months(t, idx)
    if social is True:
        kin = pop.adult_kin[idx] | np.isin(pop.family[idx], model.member_families)
        peers = model.net.peer_share(idx, pop.group)
    elif social is False:
        kin, peers = np.ones(idx.size, bool), np.ones(idx.size)
    else:
        kin, peers = pop.adult_kin[idx], np.zeros(idx.size)
    return {
        "age_band": np.searchsorted(AGE_EDGES_M, age, side="right"),  # 0: 10-13, 1: 14-17, 2: 18-24, 3: 25-29
        "female": ~pop.male[idx],
        "neet": pop.neet(idx) & (age >= 180),
        "dropout": pop.school[idx] == DROPPED,
        "home_violence": pop.home_violence[idx],
        "relatives": kin,
        "peer_share": peers,
        "prior_prison": pop.prior_prison[idx] > 0,
        "poor": pop.poor[idx],
        "presence": model.hoods.flat("control")[pop.hood[idx]] >= 0,
    }


def odds(model, idx: np.ndarray, x: dict[str, np.ndarray]) -> np.ndarray:
    P = model.p
    age_or = np.array([P.recruit_age_10_13, 1.0, P.recruit_age_18_24, P.recruit_age_25_29])
    o = P.recruit_base_odds * age_or[x["age_band"]]
    o = o * np.where(x["female"], P.recruit_or_female, 1.0)
    o *= np.where(x["neet"], P.recruit_or_neet, 1.0)
    o *= np.where(x["dropout"], P.recruit_or_dropout, 1.0)
    o *= np.where(x["home_violence"], P.recruit_or_home_violence, 1.0)
    o *= np.where(x["relatives"], P.recruit_or_relatives, 1.0)
    o *= P.recruit_or_peers ** x["peer_share"]
    o *= np.where(x["prior_prison"], P.recruit_or_prior_prison, 1.0)
    o *= np.where(x["poor"], P.recruit_or_poverty, 1.0)
    o *= np.where(x["presence"], P.recruit_or_presence, 1.0)
    o *= model.group_demand_of(idx)
    o *= model.effect("recruit_odds", idx)
    return o


def probability(model, idx: np.ndarray, social: bool = True) -> np.ndarray:
    """Monthly joining probability (with ``social=False``: an upper bound of it)."""
    pop = model.pop
    elig = pop.free(idx) & (pop.group[idx] < 0)
    o = odds(model, idx, covariates(model, idx, social))
    return np.where(elig, o / (1.0 + o), 0.0)


def join(model, idx: np.ndarray, gids: np.ndarray, where: str) -> None:
    """Make ``idx`` members of groups ``gids`` and count them."""
    pop, t, s = model.pop, model.t, model.stats
    pop.set_group(idx, gids)
    pop.joined[idx] = t
    pop.leader[idx] = False
    age = pop.age_years(t, idx)
    s[f"recruits{where}"] += idx.size
    s["recruits_female"] += np.count_nonzero(~pop.male[idx])
    model.join_ages += np.bincount(age - 10, minlength=20)[:20]


def coarse_bound(model) -> np.ndarray:
    """Upper bound of the joining probability by (cell, female, age band): every individual factor at its maximum."""
    P = model.p
    o = P.recruit_base_odds * P.demand_max * model.headroom("recruit_odds")
    for name in ("neet", "dropout", "home_violence", "relatives", "peers", "prior_prison", "poverty"):
        o *= max(1.0, getattr(P, f"recruit_or_{name}"))
    presence = np.where(model.hoods.flat("control") >= 0, max(1.0, P.recruit_or_presence), 1.0)
    demand = np.where(model.hood_group >= 0, model.group_demand[model.hood_group_ix], 0.0) / P.demand_max
    sex = np.array([1.0, max(1.0, P.recruit_or_female)])[:, None]  # row 0 male, row 1 female
    age = np.array([P.recruit_age_10_13, 1.0, P.recruit_age_18_24, P.recruit_age_25_29])[None, :]
    odds = o * (presence * demand)[:, None, None] * (sex * age)[None, :, :]
    return odds / (1.0 + odds)  # shape (cells, 2, 4)


def step(model) -> None:
    pop = model.pop
    if model.hood_group.max() < 0:  # no group controls anything: nobody recruits
        return
    table = coarse_bound(model)

    def by_cell(c):
        band = np.searchsorted(AGE_EDGES_M, pop.age_months(model.t, c), side="right")
        return table[pop.hood[c], (~pop.male[c]).astype(np.intp), band]

    idx, _ = events(model.streams["recruitment"], pop.n, model.pmax["recruitment"], lambda c: probability(model, c),
                    capped=model.capped, name="recruitment",
                    bound=(by_cell, lambda c: probability(model, c, social=False)))
    join(model, idx, model.hood_group[pop.hood[idx]], "")
