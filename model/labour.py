"""Labour: job finding and job loss for youths 15+ out of school, with a record penalty.

Job finding is a monthly probability from odds ``base * OR_completed * OR_record * OR_member`` times
policy effects (channel ``job_finding``); job loss has probability ``job_loss`` (channel ``job_loss``).
Students, inmates and trafficking victims are not employed. The base odds are solved at start-up
so that the NEET share of 15-24 year-olds matches the profile (a deterministic cohort calculation
using the same schooling hazards), i.e. NEET is matched by construction.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import brentq

from .population import COMPLETED
from .streams import events

P_MAX_FIND = 0.4  # ceiling used when solving the base odds


def p_max_find(model) -> float:
    P = model.p
    o = model.job_odds * max(1.0, P.job_or_completed) * max(1.0, P.job_or_record) * max(1.0, P.job_or_member)
    o *= model.headroom("job_finding")
    return min(0.9, o / (1 + o))


def p_max_loss(model) -> float:
    return min(0.9, model.p.job_loss * model.headroom("job_loss"))


def cohort_neet(P, dropout_odds: float, find_odds: float) -> float:
    """NEET share at 15-24 in a deterministic cohort with the model's mean hazards."""
    pov, hv = P.poverty_rate, P.home_violence_prevalence
    m = (1 - pov + pov * P.dropout_or_poverty) * (1 - hv + hv * P.dropout_or_home_violence)
    p_drop = min(0.05, dropout_odds * m / (1 + dropout_odds * m))

    def p_find(or_):
        o = find_odds * or_
        return min(P_MAX_FIND, o / (1 + o))

    enrolled, tertiary = P.school_enrolled_at_10, 0.0
    # out-of-school states: (dropout or never enrolled) / completed, each unemployed or employed
    d_u, d_e, c_u, c_e = 1.0 - enrolled, 0.0, 0.0, 0.0
    neet = 0.0
    fd, fc, loss = p_find(1.0), p_find(P.job_or_completed), P.job_loss
    for age in range(120, 300):
        if age >= 180:  # labour market from 15
            d_u, d_e = d_u * (1 - fd) + d_e * loss, d_e * (1 - loss) + d_u * fd
            c_u, c_e = c_u * (1 - fc) + c_e * loss, c_e * (1 - loss) + c_u * fc
        if 144 <= age < 216:
            drop = enrolled * p_drop
            enrolled -= drop
            d_u += drop
        if age == 216:
            tertiary, c_u, enrolled = enrolled * P.tertiary_entry, c_u + enrolled * (1 - P.tertiary_entry), 0.0
        if age == 276:
            c_u, tertiary = c_u + tertiary, 0.0
        if age >= 180:
            neet += d_u + c_u
    return neet / 120.0


def solve_job_finding_odds(P, dropout_odds: float) -> float:
    """Base monthly job-finding odds that reproduce the profile's NEET share (15-24)."""
    def gap(log_f: float) -> float:
        return cohort_neet(P, dropout_odds, np.exp(log_f)) - P.neet_rate

    lo, hi = np.log(1e-4), np.log(5.0)
    if gap(hi) > 0:
        return float(np.exp(hi))
    if gap(lo) < 0:
        return float(np.exp(lo))
    return float(np.exp(brentq(gap, lo, hi)))


def step(model) -> None:
    pop, P, t, rng, s = model.pop, model.p, model.t, model.streams["labour"], model.stats

    def p_loss(c):
        elig = pop.employed[c]
        return np.where(elig, P.job_loss * model.effect("job_loss", c), 0.0)

    def p_find(c):
        elig = (~pop.employed[c] & ~pop.student(c) & pop.free(c) & (pop.age_months(t, c) >= 180))
        odds = np.full(c.size, model.job_odds)
        odds *= np.where(pop.school[c] == COMPLETED, P.job_or_completed, 1.0)
        odds *= np.where(pop.prior_prison[c] > 0, P.job_or_record, 1.0)
        odds *= np.where(pop.group[c] >= 0, P.job_or_member, 1.0)
        odds *= model.effect("job_finding", c)
        return np.where(elig, odds / (1 + odds), 0.0)

    lost, _ = events(rng, pop.n, model.pmax["job_loss"], p_loss, capped=model.capped, name="job_loss")
    pm = model.pmax["job_finding"]
    found, _ = events(rng, pop.n, pm, p_find, capped=model.capped, name="job_finding",
                      bound=lambda c: np.where(pop.employed[c] | pop.student(c), 0.0, pm))
    pop.employed[lost] = False
    pop.employed[found] = True
    s["jobs_lost"] += lost.size
    s["jobs_found"] += found.size
