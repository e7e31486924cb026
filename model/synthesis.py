"""Population synthesis: drawing young people consistent with a country profile.

``initial_population`` draws everyone aged 10-29 at the start, each state drawn from the same
hazards the monthly processes use (so the burn-in has little to correct):

* sex 50/50; a neighbourhood (equal numbers per cell); a poor household with the cell's poverty rate;
  home violence, and an adult relative in a group, with the profile's prevalences;
* schooling: enrolled at 10 with ``school_enrolled_at_10``, then surviving the youth's own monthly
  dropout hazard to its age; completers 18-22 in tertiary with ``tertiary_entry``;
* employment for youths 15+ out of school at the steady state of their job-finding and loss hazards;
* membership: ``member_prevalence`` x youths, drawn with weights equal to each youth's joining odds
  (risk factors, age, group presence), joining the group of the neighbourhood; some leaders;
* custody and prior incarceration at the steady state of each youth's arrest hazard.

``turnover`` is the first process of each month: the birth-month cohort that reaches 30 leaves and
its slots are refilled by new 10-year-olds (``new_entrants``).
"""

from __future__ import annotations

import numpy as np

from . import recruitment
from .population import COMPLETED, DROPPED, ENROLLED, TERTIARY


def new_entrants(model, idx: np.ndarray, rng: np.random.Generator) -> None:
    """Reset slots ``idx`` to newly drawn 10-year-olds (their place, family and ties are kept)."""
    pop, P = model.pop, model.p
    u = rng.random((idx.size, 5))  # fixed number of draws per slot (CRN)
    before = pop._census_code(idx) if pop.census is not None else None
    pop.alive[idx] = True
    pop.male[idx] = u[:, 0] < 0.5
    pop.poor[idx] = u[:, 1] < model.hoods.flat("poverty")[pop.hood[idx]]
    pop.home_violence[idx] = u[:, 2] < P.home_violence_prevalence
    pop.adult_kin[idx] = u[:, 3] < P.adult_kin_member_share
    pop.school[idx] = np.where(u[:, 4] < P.school_enrolled_at_10, ENROLLED, DROPPED)
    pop.employed[idx] = False
    pop.set_group(idx, -1)
    pop.leader[idx] = False
    pop.joined[idx] = 0
    pop.prison_left[idx] = 0
    pop.prior_prison[idx] = 0
    pop.trafficked_left[idx] = 0
    pop.displaced[idx] = False
    pop.free_flag[idx] = True
    if before is not None:
        pop.recount(idx, before)
    for policy in model.policies:
        policy.forget(idx)


def turnover(model) -> None:
    """Ageing and cohort exit/entry: the cohort turning 30 leaves; new 10-year-olds enter."""
    pop, s = model.pop, model.stats
    idx = pop.cohort_slots(model.t, 120)
    alive = pop.alive[idx]
    s["aged_out"] += np.count_nonzero(alive)
    s["aged_out_members"] += np.count_nonzero(alive & (pop.group[idx] >= 0))
    s["aged_out_inmates"] += np.count_nonzero(alive & (pop.prison_left[idx] > 0))
    s["entrants"] += idx.size
    new_entrants(model, idx, model.streams["turnover"])
    pop.displaced[idx] = model.net.fam_origin[pop.family[idx]] >= 0  # born into a displaced family
    model.inmates = model.inmates[pop.prison_left[model.inmates] > 0]
    model.victims = model.victims[pop.trafficked_left[model.victims] > 0]
    pop.dead = pop.dead[~pop.alive[pop.dead]]


def place(model, rng: np.random.Generator) -> None:
    """Cohort phases (ages) and neighbourhoods: equal numbers per cell, independent of age."""
    pop = model.pop
    pop.index_cohorts()
    pop.hood[:] = rng.permutation((np.arange(pop.n, dtype=np.int64) * model.hoods.n // pop.n).astype(np.int16))


def initial_population(model, rng: np.random.Generator) -> None:
    """Everyone aged 10-29 at the start, each state drawn at the steady state of its own hazards.

    The steps are separate functions so that their full-size temporaries are freed in between
    (peak memory); the order of random draws is fixed.
    """
    pop, n = model.pop, model.pop.n
    for a in range(0, n, 1 << 18):  # in chunks (same draws as one call; bounded temporary memory)
        new_entrants(model, np.arange(a, min(a + (1 << 18), n)), rng)
    age = pop.age_months(model.t, slice(None))
    _schooling(model, age, rng)
    _employment(model, age, rng)
    _membership(model, age, rng)
    _custody(model, age, rng)
    model.inmates = np.flatnonzero(pop.prison_left > 0)
    model.victims = np.empty(0, np.int64)
    pop.refresh_free(slice(None))
    pop.start_census(model.hoods.n)


def _schooling(model, age, rng) -> None:
    """Schooling by age, from each youth's own dropout hazard."""
    pop, P, n = model.pop, model.p, model.pop.n
    odds = model.dropout_odds * np.where(pop.poor, P.dropout_or_poverty, 1.0) * np.where(
        pop.home_violence, P.dropout_or_home_violence, 1.0)
    p_drop = np.minimum(odds / (1 + odds), 0.05)
    months = np.clip(age - 144, 0, 72)
    stays = (pop.school == ENROLLED) & (rng.random(n) < (1 - p_drop) ** months)
    pop.school[:] = np.where(stays, np.where(age >= 216, COMPLETED, ENROLLED), DROPPED)
    tert = (pop.school == COMPLETED) & (age < 276) & (rng.random(n) < P.tertiary_entry)
    pop.school[tert] = TERTIARY


def _employment(model, age, rng) -> None:
    """Employment at the steady state of finding and losing jobs."""
    pop, P, n = model.pop, model.p, model.pop.n
    o = model.job_odds * np.where(pop.school == COMPLETED, P.job_or_completed, 1.0)
    f = o / (1 + o)
    out_of_school = (pop.school == COMPLETED) | (pop.school == DROPPED)
    pop.employed[:] = out_of_school & (age >= 180) & (rng.random(n) < f / (f + P.job_loss))


def _membership(model, age, rng) -> None:
    """Members drawn with weights equal to each youth's joining odds (no peers or siblings yet)."""
    pop, P, n, t = model.pop, model.p, model.pop.n, model.t
    k = int(round(P.member_prevalence * n))
    if k == 0:
        return
    idx = np.arange(n)
    w = recruitment.odds(model, idx, recruitment.covariates(model, idx, social="adult kin"))
    w *= np.where(age >= 168, 1.0, 0.3)
    keys = np.log(rng.random(n)) / np.maximum(w, 1e-300)
    del w
    chosen = np.argpartition(-keys, k - 1)[:k]
    pop.set_group(chosen, model.hood_group[pop.hood[chosen]])
    tenure = np.minimum(rng.integers(0, 48, k), age[chosen] - 120)
    pop.joined[chosen] = t - tenure
    n_lead = int(round(P.leader_share * k))
    older = chosen[age[chosen] >= 216]
    pop.leader[rng.choice(older, size=min(n_lead, older.size), replace=False)] = True
    pop.employed[chosen] &= rng.random(k) < P.job_or_member


def _custody(model, age, rng) -> None:
    """Custody and prior incarceration at the steady state of arrest hazards (mean policing)."""
    pop, P, n = model.pop, model.p, model.pop.n
    member = pop.group >= 0
    arrest = np.where(member, P.arrest_member * P.custody_member,
                      P.arrest_nonmember * P.custody_nonmember * np.where(pop.male, 1.0, P.offend_or_female)
                      * np.where(pop.poor, P.offend_or_risk, 1.0))
    arrest = arrest * np.where(age < 216, P.arrest_or_juvenile, 1.0) * (age >= 144)
    mean = np.where(member, P.sentence_member, P.sentence_nonmember) * np.where(age < 216, P.sentence_juvenile, 1.0)
    inside = rng.random(n) < arrest * mean / (1 + arrest * mean)
    q = 1.0 - 1.0 / np.maximum(mean[inside], 1.0001)
    pop.prison_left[inside] = np.minimum(1 + np.floor(np.log(rng.random(inside.sum())) / np.log(q)), 600)
    pop.employed[inside] = False
    pop.school[inside & (pop.school == ENROLLED)] = DROPPED
    years = np.maximum(age - 144, 0) / 12.0
    pop.prior_prison[:] = (rng.random(n) < 1 - np.exp(-12 * arrest * years)).astype(np.int8)
