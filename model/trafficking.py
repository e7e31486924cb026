"""Trafficking and sexual exploitation, where groups control the neighbourhood.

Monthly risk for a free youth 12+ in a group-controlled cell: ``trafficking_hazard`` (girls 12-17) x
``trafficking_or_women`` (women 18-29) or ``trafficking_or_male`` (boys and men) x
``trafficking_or_poverty`` if poor, x policy effects (channel ``trafficking``). A victim is exploited
for a geometric number of months (mean ``trafficking_duration``), out of school and work meanwhile;
a share ``trafficking_sexual_share`` is sexually exploited. The sex/age split (``trafficking_or_women``,
``trafficking_or_male``) and that share follow the profile's subregion (``model.profiles``).
"""

from __future__ import annotations

import numpy as np

from . import outputs
from .population import DROPPED, ENROLLED
from .streams import events


def p_max(model) -> float:
    P = model.p
    rr = max(1.0, P.trafficking_or_women, P.trafficking_or_male) * max(1.0, P.trafficking_or_poverty)
    return min(0.9, P.trafficking_hazard * rr * model.headroom("trafficking"))


def step(model) -> None:
    pop, P, t, s = model.pop, model.p, model.t, model.stats
    # the exploited count down first
    victims = model.victims
    left = pop.trafficked_left[victims] - 1
    pop.trafficked_left[victims] = np.maximum(left, 0)
    pop.refresh_free(victims[left <= 0])
    victims = victims[(left > 0) & pop.alive[victims]]
    control = model.hoods.flat("control")

    def prob(c):
        age = pop.age_months(t, c)
        elig = pop.free(c) & (age >= 144) & (control[pop.hood[c]] >= 0)
        rr = np.where(pop.male[c], P.trafficking_or_male, np.where(age >= 216, P.trafficking_or_women, 1.0))
        rr = rr * np.where(pop.poor[c], P.trafficking_or_poverty, 1.0) * model.effect("trafficking", c)
        return np.where(elig, P.trafficking_hazard * rr, 0.0)

    idx, u = events(model.streams["trafficking"], pop.n, model.pmax["trafficking"], prob, n_extra=2, capped=model.capped, name="trafficking")
    s["trafficked_sexual"] += int(np.count_nonzero(u[:, 1] < P.trafficking_sexual_share))
    months = np.minimum(1 + np.floor(np.log(u[:, 0]) / np.log1p(-1.0 / max(P.trafficking_duration, 1.0001))), 600)
    pop.trafficked_left[idx] = months.astype(np.int16)
    pop.refresh_free(idx)
    pop.school[idx[pop.school[idx] == ENROLLED]] = DROPPED
    pop.employed[idx] = False
    model.victims = np.concatenate([victims, idx])
    outputs.tally_by_sex_and_band(model, idx, "trafficked")
    s["trafficked_new"] += idx.size
