"""Home violence: exposure starts and ends with monthly probabilities.

Cessation has probability ``home_violence_cessation``; onset is set so that the equilibrium prevalence
``onset / (onset + cessation)`` equals the profile's ``home_violence_prevalence``. Family-violence
prevention acts through the channels ``hv_onset`` (lower) and ``hv_cessation`` (higher).
"""

from __future__ import annotations

import numpy as np

from .streams import events


def p_max(model) -> float:
    return min(0.9, max(model.hv_onset * model.headroom("hv_onset"), model.p.home_violence_cessation * model.headroom("hv_cessation")))


def onset_rate(P) -> float:
    prev = P.home_violence_prevalence
    return P.home_violence_cessation * prev / (1.0 - prev)


def step(model) -> None:
    pop, rng, s = model.pop, model.streams["home_violence"], model.stats
    onset, stop = model.hv_onset, model.p.home_violence_cessation

    def prob(c):
        exposed = pop.home_violence[c]
        p_on = onset * model.effect("hv_onset", c)
        p_off = stop * model.effect("hv_cessation", c)
        return np.where(pop.alive[c], np.where(exposed, p_off, p_on), 0.0)

    idx, _ = events(rng, pop.n, model.pmax["home_violence"], prob, capped=model.capped, name="home_violence")
    started = idx[~pop.home_violence[idx]]
    pop.home_violence[idx] = ~pop.home_violence[idx]
    s["hv_onsets"] += started.size
