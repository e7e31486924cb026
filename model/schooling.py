"""Schooling: dropout from secondary (ages 12-17), completion at 18, tertiary education to 23.

Dropout is a monthly probability from odds: ``base * OR_poverty * OR_home_violence * OR_member``
times policy effects (channel ``dropout``). The base odds are solved at start-up so that the share of
20-24 year-olds with completed secondary equals the profile's ``completion_rate`` (matched by
construction). Youths still enrolled on their 18th birthday complete; a share ``tertiary_entry`` of
completers study until 23 (they are not NEET).
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import brentq

from .population import COMPLETED, DROPPED, ENROLLED, TERTIARY
from .streams import events

DROPOUT_MONTHS = 72  # ages 12..17
P_MAX = 0.05  # ceiling used when solving the base odds


def p_max(model) -> float:
    P = model.p
    o = model.dropout_odds * P.dropout_or_poverty * P.dropout_or_home_violence * P.dropout_or_member * model.headroom("dropout")
    return min(0.5, o / (1 + o))


def solve_dropout_odds(P) -> float:
    """Base monthly dropout odds that give ``completion_rate`` (given enrolment at 10 and risk mix)."""
    survival = P.completion_rate / P.school_enrolled_at_10
    if survival >= 1.0:
        return 0.0
    pov, hv = P.poverty_rate, P.home_violence_prevalence
    mixes = [
        ((1 - pov) * (1 - hv), 1.0),
        (pov * (1 - hv), P.dropout_or_poverty),
        ((1 - pov) * hv, P.dropout_or_home_violence),
        (pov * hv, P.dropout_or_poverty * P.dropout_or_home_violence),
    ]

    def gap(log_b: float) -> float:
        b = np.exp(log_b)
        s = sum(w * (1.0 - min(P_MAX, b * m / (1 + b * m))) ** DROPOUT_MONTHS for w, m in mixes)
        return s - survival

    if gap(np.log(P_MAX)) > 0:  # even the ceiling cannot reach so low a completion
        return P_MAX
    return float(np.exp(brentq(gap, np.log(1e-9), np.log(P_MAX))))


def dropout_probability(model, idx: np.ndarray) -> np.ndarray:
    pop, P = model.pop, model.p
    age = pop.age_months(model.t, idx)
    elig = (pop.school[idx] == ENROLLED) & (age >= 144) & pop.free(idx)
    odds = np.full(idx.size, model.dropout_odds)
    odds *= np.where(pop.poor[idx], P.dropout_or_poverty, 1.0)
    odds *= np.where(pop.home_violence[idx], P.dropout_or_home_violence, 1.0)
    odds *= np.where(pop.group[idx] >= 0, P.dropout_or_member, 1.0)
    odds *= model.effect("dropout", idx)
    return np.where(elig, odds / (1.0 + odds), 0.0)


def step(model) -> None:
    """Completion at 18, tertiary exit at 23, then this month's dropouts."""
    pop, t, rng, s = model.pop, model.t, model.streams["schooling"], model.stats
    at18 = pop.cohort_slots(t, 216)
    u = rng.random(at18.size)  # one draw per 18-year-old, whatever the state
    enrolled = pop.school[at18] == ENROLLED
    done = at18[enrolled]
    pop.school[done] = COMPLETED
    s["completions"] += done.size
    # only those completing now enter tertiary (not a youth set up as completed, perhaps employed, at the start)
    to_tertiary = at18[enrolled & (u < model.p.tertiary_entry) & pop.alive[at18]]
    pop.school[to_tertiary] = TERTIARY
    at23 = pop.cohort_slots(t, 276)
    pop.school[at23[pop.school[at23] == TERTIARY]] = COMPLETED

    pm = model.pmax["dropout"]
    idx, _ = events(rng, pop.n, pm, lambda c: dropout_probability(model, c), capped=model.capped, name="dropout",
                    bound=lambda c: np.where(pop.school[c] == ENROLLED, pm, 0.0))
    pop.school[idx] = DROPPED
    s["dropouts"] += idx.size
