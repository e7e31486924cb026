"""Desistance: free members leave their group.

Monthly probability ``desistance`` x ``desistance_or_age_25`` (25-29) x ``desistance_or_employed`` (if
employed) x ``desistance_or_leader`` (leaders) x policy effects (channel ``desistance``).
"""

from __future__ import annotations

import numpy as np

from .streams import events


def p_max(model) -> float:
    P = model.p
    rr = max(1.0, P.desistance_or_age_25) * max(1.0, P.desistance_or_employed) * max(1.0, P.desistance_or_leader)
    return min(0.9, P.desistance * rr * model.headroom("desistance"))


def step(model) -> None:
    pop, P, t, s = model.pop, model.p, model.t, model.stats

    def prob(c):
        elig = (pop.group[c] >= 0) & pop.free(c)
        rr = (np.where(pop.age_months(t, c) >= 300, P.desistance_or_age_25, 1.0)
              * np.where(pop.employed[c], P.desistance_or_employed, 1.0)
              * np.where(pop.leader[c], P.desistance_or_leader, 1.0))
        return np.where(elig, P.desistance * rr * model.effect("desistance", c), 0.0)

    pm = model.pmax["desistance"]
    idx, _ = events(model.streams["desistance"], pop.n, pm, prob, capped=model.capped, name="desistance",
                    bound=lambda c: np.where(pop.group[c] >= 0, pm, 0.0))
    pop.set_group(idx, -1)
    pop.leader[idx] = False
    s["desisted"] += idx.size
