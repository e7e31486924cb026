"""Displacement: families flee violent neighbourhoods.

Each month a family whose cell's violence index exceeds ``displacement_threshold`` leaves with
probability ``displacement_rate x (violence - threshold)``; the whole family (all its slots) moves to a
random cell whose violence is below the threshold (if there is none, it stays). Its youths are
counted as displaced and flagged; the household's people of all ages are counted as the displaced
youths x population / youth population (outputs ``displaced_people``, by sex from the youths' mix).
Profiles with a sourced displacement flow scale ``displacement_rate`` to it (``model.profiles``). (``hood_youths`` counts slots per cell, for densities.)
"""

from __future__ import annotations

import numpy as np

from .streams import events


def p_max(model) -> float:
    P = model.p
    return min(0.9, P.displacement_rate * max(0.0, 1.0 + P.presence_violence - P.displacement_threshold) * model.headroom("displacement"))


def step(model) -> None:
    net, pop, P, s = model.net, model.pop, model.p, model.stats
    violence = model.hoods.flat("violence")
    safe = np.flatnonzero(violence <= P.displacement_threshold)

    def prob(f):
        excess = np.maximum(violence[net.fam_hood[f]] - P.displacement_threshold, 0.0)
        return P.displacement_rate * excess * model.hood_effect("displacement")[net.fam_hood[f]]

    fams, u = events(model.streams["displacement"], net.n_families, model.pmax["displacement"], prob, n_extra=1,
                     capped=model.capped, name="displacement")
    if fams.size == 0 or safe.size == 0:
        return
    dest = safe[np.minimum((u[:, 0] * safe.size).astype(np.int64), safe.size - 1)]
    slots = net.family_members(fams)
    sizes = net.fam_start[fams + 1] - net.fam_start[fams]
    new = np.repeat(dest, sizes)
    nh = model.hoods.n
    model.hood_youths += np.bincount(new, minlength=nh) - np.bincount(pop.hood[slots], minlength=nh)
    pop.move(slots, new)
    net.fam_hood[fams] = dest
    moved = slots[pop.alive[slots]]
    pop.displaced[moved] = True
    s["displaced"] += moved.size
    s["displaced_female"] += int(np.count_nonzero(~pop.male[moved]))
