"""Displacement: families flee violent neighbourhoods, and displaced families go home.

Each month, first, a displaced family goes back to its home cell with probability ``displacement_return``
(whatever the cell's violence: a family that returns to a violent cell can flee again, and IDMC counts
every such movement). Then a family whose cell's violence index exceeds ``displacement_threshold`` leaves
with probability ``displacement_rate x (violence - threshold)``; the whole family (all its slots) moves
to a random cell whose violence is below the threshold (if there is none, it stays) and remembers its
home cell (the first one, if it flees again from where it found refuge). Its youths are flagged as
displaced until the family returns. The household's people of all ages are counted as the displaced
youths x population / youth population (outputs ``displaced_people``, by sex from the youths' mix, and
the stock ``displaced_stock_people``). Without returns the violent cells empty and the flow drains away
over a run; with them the flow and the stock settle at a level set by both rates (stock ~ flow /
return rate). Profiles with a sourced displacement flow are calibrated to it (``calibration.targets``);
``hood_youths`` counts slots per cell, for densities.
"""

from __future__ import annotations

import numpy as np

from .streams import events


def p_max(model) -> float:
    P = model.p
    return min(0.9, P.displacement_rate * max(0.0, 1.0 + P.presence_violence - P.displacement_threshold) * model.headroom("displacement"))


def step(model) -> None:
    returns(model)
    flee(model)


def returns(model) -> None:
    """Displaced families go back to their home cell."""
    net, pop, s = model.net, model.pop, model.stats
    rate = model.p.displacement_return

    def prob(f):
        return np.where(net.fam_origin[f] >= 0, rate, 0.0)

    fams, _ = events(model.streams["displacement_return"], net.n_families, rate, prob, capped=model.capped,
                     name="displacement_return")
    if fams.size == 0:
        return
    slots = _relocate(model, fams, net.fam_origin[fams].astype(np.int64))
    net.fam_origin[fams] = -1
    pop.displaced[slots] = False
    s["returned"] += np.count_nonzero(pop.alive[slots])


def flee(model) -> None:
    """Families in cells above the violence threshold flee to calm cells."""
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
    home = net.fam_origin[fams] < 0
    net.fam_origin[fams[home]] = net.fam_hood[fams[home]]
    slots = _relocate(model, fams, dest)
    moved = slots[pop.alive[slots]]
    pop.displaced[moved] = True
    s["displaced"] += moved.size
    s["displaced_female"] += int(np.count_nonzero(~pop.male[moved]))


def _relocate(model, fams: np.ndarray, dest: np.ndarray) -> np.ndarray:
    """Move whole families to cells ``dest`` (one per family); returns their slots."""
    net, pop = model.net, model.pop
    slots = net.family_members(fams)
    sizes = net.fam_start[fams + 1] - net.fam_start[fams]
    new = np.repeat(dest, sizes)
    nh = model.hoods.n
    model.hood_youths += np.bincount(new, minlength=nh) - np.bincount(pop.hood[slots], minlength=nh)
    pop.move(slots, new)
    net.fam_hood[fams] = dest
    return slots
