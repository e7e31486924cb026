"""Criminal groups: Mesa agents with territory, members, capacity and demand for recruits.

Each month (``step``), from the free members living in each neighbourhood:

* **influence** of group g in cell h = its members there + ``influence_spill`` x the mean over adjacent
  cells, as a density per youth living there;
* **territory**: a rival whose influence exceeds ``takeover_ratio`` x the owner's takes the cell with
  probability ``takeover_prob``; a group whose member density in an uncontrolled cell exceeds
  ``control_threshold`` x the initial national prevalence takes it the same way; an owner whose
  density falls below ``presence_floor`` x that prevalence loses the cell;
* **conflict** in a cell = 2 min(owner, rival) / (owner + rival) influence (evenly matched -> 1) when
  the strongest rival is present (above the floor), plus
  ``succession_conflict`` x min(1, 10 x the share of its free leaders removed (arrested or killed) last
  month) in a group's cells (removing 10% of a group's leaders in a month sets off full succession conflict);
* **capacity** (the members a group can pay) = initial capacity x (territory / initial)^``territory_elasticity``
  x market growth x (1 - interdiction cut) x (share of leaders free)^``leader_disruption``;
* **demand** = (capacity / free members)^``demand_elasticity``, at most ``demand_max``: groups that lose
  members to arrest, death, exit or ageing recruit harder to replace them.

Recruits join the group that controls their neighbourhood, or the nearest one that controls any.
"""

from __future__ import annotations

import numpy as np
from mesa.discrete_space import FixedAgent


class CriminalGroup(FixedAgent):
    """One group. Its numbers are updated each month by ``groups.step`` (vectorised over groups).

    A Mesa agent fixed in its home cell (the first cell it controls at the start; ``None`` if it starts
    with none), so Mesa's space drawing shows where each group is based."""

    def __init__(self, model, gid: int, capacity: float, cells: int, home=None):
        super().__init__(model)
        if home is not None:
            self.cell = home
        self.gid = gid
        self.capacity0 = capacity
        self.cells0 = max(cells, 1)
        self.capacity = capacity
        self.cells = cells
        self.members = 0
        self.free_members = 0
        self.leaders = 0
        self.free_leaders = 0
        self.demand = 1.0
        self.removed = 0  # leaders arrested or killed since the last monthly update
        self.succession = 0.0  # succession-conflict level this month, in [0, 1]

    @property
    def defunct(self) -> bool:
        return self.cells == 0 and self.members == 0


def seed_territory(model, rng: np.random.Generator) -> np.ndarray:
    """Initial control layer: K seed cells in poor areas; each controlled cell goes to the nearest seed."""
    hoods, P = model.hoods, model.p
    pov = hoods.flat("poverty")
    k = P.n_groups
    n_ctrl = max(k, int(round(P.territory_share * hoods.n)))
    weights = pov**2 / np.sum(pov**2)
    seeds = rng.choice(hoods.n, size=min(k, hoods.n), replace=False, p=weights)
    d = model.hood_distance[:, seeds]
    nearest = np.argmin(d, axis=1)
    # the poorest cells close to a seed are controlled first
    score = pov - 0.5 * d.min(axis=1) / hoods.side + 0.05 * rng.random(hoods.n)
    controlled = np.argsort(-score)[:n_ctrl]
    control = np.full(hoods.n, -1, np.int64)
    control[controlled] = nearest[controlled]
    control[seeds] = np.arange(seeds.size)
    return control


def hood_group(control: np.ndarray, distance: np.ndarray) -> np.ndarray:
    """For each cell, the controlling group, or the group controlling the nearest controlled cell."""
    owned = np.flatnonzero(control >= 0)
    if owned.size == 0:
        return np.full(control.size, -1, np.int64)
    nearest = owned[np.argmin(distance[:, owned], axis=1)]
    return control[nearest]


def step(model) -> None:
    """Territory, conflict, violence index, capacity, demand and leader promotion for this month."""
    pop, hoods, P = model.pop, model.hoods, model.p
    rng = model.streams["groups"]
    groups = model.group_list
    k = len(groups)
    members = pop.members()
    model.member_families = np.unique(pop.family[members])  # for relatives' membership in recruitment
    free = members[pop.free(members)]
    g_free = pop.group[free].astype(np.int64)
    counts = np.bincount(pop.hood[free].astype(np.int64) * k + g_free, minlength=hoods.n * k).reshape(hoods.n, k)
    youths = np.maximum(model.hood_youths, 1.0)[:, None]
    n_adj = model.hood_n_neigh[:, None]
    infl = (counts + P.influence_spill * hoods.neighbour_sum(counts.astype(float)) / n_adj) / youths

    control = hoods.flat("control")
    rows = np.arange(hoods.n)
    owner = control.astype(np.int64)
    own_infl = np.where(owner >= 0, infl[rows, np.maximum(owner, 0)], 0.0)
    rival_infl = infl.copy()
    rival_infl[rows[owner >= 0], owner[owner >= 0]] = -1.0
    rival = np.argmax(rival_infl, axis=1)
    r_infl = np.maximum(rival_infl[rows, rival], 0.0)
    u = rng.random(hoods.n)  # one draw per cell each month
    floor = P.presence_floor * P.member_prevalence  # below this density a group is absent
    need = np.where(owner >= 0, P.takeover_ratio * own_infl, P.control_threshold * P.member_prevalence)
    change = (r_infl > floor) & (r_infl > need) & (u < P.takeover_prob)
    lose = (owner >= 0) & (own_infl < floor) & ~change & (u < P.takeover_prob)
    control[change] = rival[change]
    control[lose] = -1

    conflict = np.where((own_infl > 0) & (r_infl > floor), 2 * np.minimum(own_infl, r_infl) / (own_infl + r_infl + 1e-12), 0.0)
    conflict[control < 0] = 0.0
    for g in groups:  # succession conflict from last month's removals of leaders
        g.succession = min(1.0, 10.0 * g.removed / max(g.free_leaders, 1))
        g.removed = 0
    succ = np.array([g.succession for g in groups] + [0.0])
    conflict = np.minimum(1.0, conflict + P.succession_conflict * succ[control])  # control -1 -> last entry
    hoods.flat("conflict")[:] = conflict
    hoods.flat("violence")[:] = P.presence_violence * (control >= 0) + conflict
    model.hood_group = hood_group(control, model.hood_distance)
    model.hood_group_ix = np.where(model.hood_group >= 0, model.hood_group, 0)

    # group numbers, capacity and demand
    all_counts = np.bincount(pop.group[members].astype(np.int64), minlength=k)
    free_counts = np.bincount(g_free, minlength=k)
    lead = members[pop.leader[members]]
    leaders = np.bincount(pop.group[lead].astype(np.int64), minlength=k)
    free_leaders = np.bincount(pop.group[lead[pop.free(lead)]].astype(np.int64), minlength=k)
    cells = np.bincount(control[control >= 0].astype(np.int64), minlength=k)
    growth = np.exp(P.market_growth * max(model.month, 0) / 12.0)
    cut = model.group_effect("revenue")
    demand = np.empty(k)
    for g in groups:  # a handful of group agents, not youths
        i = g.gid
        need_leaders = max(1.0, P.leader_share * all_counts[i])
        leadership = min(1.0, free_leaders[i] / need_leaders) ** P.leader_disruption
        g.cells = int(cells[i])
        g.capacity = g.capacity0 * (cells[i] / g.cells0) ** P.territory_elasticity * growth * cut[i] * leadership
        g.members, g.free_members = int(all_counts[i]), int(free_counts[i])
        g.leaders, g.free_leaders = int(leaders[i]), int(free_leaders[i])
        g.demand = float(min(P.demand_max, (g.capacity / max(free_counts[i], 0.5)) ** P.demand_elasticity)) if g.capacity > 0 else 0.0
        demand[i] = g.demand
    model.group_demand = demand

    _promote_leaders(model, members, all_counts, leaders, rng)


def _promote_leaders(model, members, all_counts, leaders, rng) -> None:
    """Top up each group's leaders to ``leader_share`` from free members 18+ with 2+ years' tenure."""
    pop, P, t = model.pop, model.p, model.t
    deficit = np.floor(P.leader_share * all_counts - leaders).astype(np.int64)
    if not np.any(deficit > 0):
        return
    cand = members[~pop.leader[members] & pop.free(members) & (t - pop.joined[members] >= 24)
                   & (pop.age_months(t, members) >= 216)]
    if cand.size == 0:
        return
    g = pop.group[cand].astype(np.int64)
    order = np.lexsort((rng.random(cand.size), g))
    cand, g = cand[order], g[order]
    first = np.searchsorted(g, np.arange(len(all_counts)))
    rank = np.arange(cand.size) - first[g]
    pop.leader[cand[rank < deficit[g]]] = True


def removed_leaders(model, idx: np.ndarray) -> None:
    """Leaders in ``idx`` have just been arrested or killed: count them for next month's succession conflict."""
    pop = model.pop
    hit = idx[pop.leader[idx] & (pop.group[idx] >= 0)]
    if hit.size:
        counts = np.bincount(pop.group[hit].astype(np.int64), minlength=len(model.group_list))
        for g in model.group_list:
            g.removed += int(counts[g.gid])
