"""Criminal groups: Mesa agents with territory, members, capacity and demand for recruits.

Each month (``step``), from group totals only (so nothing depends on how many agents there are):

* **workforce** = free members + ``prison_member_weight`` x imprisoned members; **strength** = workforce /
  (need per cell x cells held), 1 at the start (need and initial capacity are set from the initial state);
* **expansion / retreat**: Poisson(``territory_rate`` x cells x |strength - 1|) adjacent uncontrolled cells
  gained (strength > 1) or border cells given up (strength < 1, never the last cell);
* **rival takeover**: local strength in a cell = strength x ([holds it] + ``influence_spill`` x adjacent cells
  held); a rival above ``takeover_ratio`` x the owner takes it with probability ``takeover_prob``;
* **conflict** = 2 min(owner, rival) / (owner + rival) local strength where a rival holds an adjacent cell,
  plus ``succession_conflict`` x the succession level (decays with ``succession_halflife``; +10 x the share of
  leaders killed or jailed without command in a month, capped at 1);
* **capacity** = initial capacity x (cells / initial)^``territory_elasticity`` x market growth x (1 -
  interdiction cut) x ``model.revenue_factor`` x (command / initial command)^``leader_disruption`` (jailed
  leaders keep ``prison_command``; the revenue factor is 1 unless a regional run sets it from the country's
  share of the trafficking flows, ``recruitsim.region``);
* **effort** adapts to a lasting gap, effort x (capacity / workforce)^``effort_adaptation``; **demand** = effort x
  (capacity / workforce)^``demand_elasticity``, at most ``demand_max``: groups refill vacancies.

With ``territory_elasticity`` < 1 the initial state is an equilibrium: a group that grows has less workforce
per cell than it needs and retreats, one that shrinks has more and expands.

Recruits join the group that controls their neighbourhood, or the nearest one that controls any.

Each group also carries an **organisation label** (``model.group_organisation``, -1 = a local or national
group): -1 for every group unless a regional run labels the groups of transnational organisations
(``recruitsim.region.labels``); the label changes nothing here, only which groups a policy with
``organisations`` reaches (``model/policies.py``).
"""

from __future__ import annotations

import numpy as np
from mesa.discrete_space import FixedAgent
from scipy.stats import poisson


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
        self.removed = 0.0  # leaders killed, or jailed without command (weighted), since the last update
        self.succession = 0.0  # succession-conflict level, in [0, 1] (decays with succession_halflife)
        self.effort = 1.0  # recruiting effort (adapts to a lasting gap between capacity and workforce)
        self.workforce = 0.0
        self.command0 = 1.0  # initial command (leaders relative to leader_share x members)
        self.need = 1.0  # workforce per cell needed to hold territory (set from the initial state)

    @property
    def organisation(self) -> int:
        """Organisation label (``model.group_organisation``; -1: a local or national group)."""
        return int(self.model.group_organisation[self.gid])

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


def _group_numbers(model, members: np.ndarray, k: int):
    """Members, free members, members in custody, leaders (all, free, in custody) per group."""
    pop = model.pop
    g_all = pop.group[members].astype(np.int64)
    free_m = pop.free(members)
    inside = pop.prison_left[members] > 0
    lead = pop.leader[members]
    count = lambda sel: np.bincount(g_all[sel], minlength=k)  # noqa: E731
    return (np.bincount(g_all, minlength=k), count(free_m), count(inside), count(lead),
            count(lead & free_m), count(lead & inside))


def step(model) -> None:
    """Territory, conflict, violence index, capacity, demand and leader promotion for this month.

    Every quantity here is a ratio of group totals (workforce to need, capacity to workforce) or a
    share of cells: none depends on how many agents represent the population (scale invariance).
    The stream ``groups`` is drawn in a fixed order: expansion/retreat, rival takeover, leader promotion."""
    pop, hoods, P = model.pop, model.hoods, model.p
    rng = model.streams["groups"]
    k = len(model.group_list)
    members = pop.members()
    model.member_families = np.unique(pop.family[members])  # for relatives' membership in recruitment
    all_counts, free_counts, jailed, leaders, free_leaders, jailed_leaders = _group_numbers(model, members, k)
    # workforce: free members plus the part of its imprisoned members a group still commands
    workforce = free_counts + P.prison_member_weight * jailed
    control = hoods.flat("control")
    cells = np.bincount(control[control >= 0].astype(np.int64), minlength=k)
    commanding = free_leaders + P.prison_command * jailed_leaders  # leaders rule from prison too
    command = np.where(all_counts > 0, np.minimum(1.0, commanding / np.maximum(P.leader_share * all_counts, 1e-9)), 1.0)
    if not model.groups_started:
        _start(model, members, workforce, command, cells)
    leadership, strength = _leadership_and_strength(model, workforce, command, cells)
    onehot = _expand_and_retreat(model, control, cells, strength, rng)
    conflict = _rival_takeover(model, control, onehot, strength, rng)
    _succession_conflict(model, control, conflict, leaders)
    model.hood_group = hood_group(control, model.hood_distance)
    model.hood_group_ix = np.where(model.hood_group >= 0, model.hood_group, 0)
    _capacity_and_demand(model, control, workforce, all_counts, free_counts, leaders, free_leaders, leadership)
    _promote_leaders(model, members, all_counts, leaders, rng)


def _start(model, members: np.ndarray, workforce: np.ndarray, command: np.ndarray, cells: np.ndarray) -> None:
    """The initial state defines each group's need per cell, capacity, command and recruiting effort (first step only)."""
    effort0 = _balanced_effort(model, members, len(model.group_list))
    for g in model.group_list:
        g.effort = float(effort0[g.gid])
        g.capacity0 = max(float(workforce[g.gid]), 1e-9)
        g.command0 = max(float(command[g.gid]), 1e-3)
        g.need = max(float(workforce[g.gid]), 1e-9) / max(int(cells[g.gid]), 1)
        g.cells0 = max(int(cells[g.gid]), 1)
    model.groups_started = True


def _leadership_and_strength(model, workforce: np.ndarray, command: np.ndarray, cells: np.ndarray):
    """Leadership: command (free leaders + imprisoned leaders' kept command) relative to the start, ^leader_disruption;
    holding strength: workforce relative to what its territory needs (1 = as at the start, at most 4)."""
    groups, P = model.group_list, model.p
    need = np.array([g.need for g in groups])
    leadership = np.minimum(1.0, command / np.array([g.command0 for g in groups])) ** P.leader_disruption
    strength = np.minimum(workforce / np.maximum(need * cells, 1e-9), 4.0)
    strength = np.where(workforce > 0, strength, 0.0)
    return leadership, strength


def _expand_and_retreat(model, control: np.ndarray, cells: np.ndarray, strength: np.ndarray, rng) -> np.ndarray:
    """Territory 1: expansion into / retreat from uncontrolled cells, from the group's totals. Updates ``control``
    and ``cells`` in place; returns the cells x groups ownership (one-hot) after the changes."""
    hoods, P, k = model.hoods, model.p, len(model.group_list)
    onehot = np.zeros((hoods.n, k))
    owned = control >= 0
    onehot[np.flatnonzero(owned), control[owned]] = 1.0
    adj = hoods.neighbour_sum(onehot)  # cells of each group among the Moore neighbours
    # a fixed number of draws each month whatever the state (common random numbers across scenarios)
    u_count = rng.random(k)
    u_cells = rng.random((k, hoods.n))
    gaps = strength - 1.0
    lams = P.territory_rate * cells * np.abs(gaps)
    positive = lams > 0
    counts = np.zeros(k, dtype=np.int64)  # one vectorised quantile call (bit-identical to one call per group)
    counts[positive] = poisson.ppf(u_count[positive], lams[positive]).astype(np.int64)
    for g in model.group_list:
        i = g.gid
        gap = gaps[i]
        n_change = int(counts[i])
        if n_change == 0:
            continue
        if gap > 0:  # spare members: take adjacent uncontrolled cells (more own neighbours first)
            pool = np.flatnonzero((control < 0) & (adj[:, i] > 0))
            w = adj[pool, i]
        else:  # understaffed: give up border cells (fewer own neighbours first), keep at least one
            pool = np.flatnonzero(control == i)
            n_change = min(n_change, pool.size - 1)
            w = 9.0 - adj[pool, i]
        if pool.size == 0 or n_change <= 0:
            continue
        pick = pool[np.argsort(-np.log(u_cells[i, pool]) / w)[:n_change]]  # weighted, no replacement
        control[pick] = i if gap > 0 else -1
        cells[i] += pick.size if gap > 0 else -pick.size
        onehot[pick, :] = 0.0
        if gap > 0:
            onehot[pick, i] = 1.0
    return onehot


def _rival_takeover(model, control: np.ndarray, onehot: np.ndarray, strength: np.ndarray, rng) -> np.ndarray:
    """Territory 2: rivals contest border cells; local strength = group strength x (own cell + spill x neighbours).
    Updates ``control`` in place and sets ``model.rival_conflict``, which it returns."""
    hoods, P = model.hoods, model.p
    adj = hoods.neighbour_sum(onehot)
    rows = np.arange(hoods.n)
    owner = control.astype(np.int64)
    local = strength[None, :] * (onehot + P.influence_spill * adj)
    own_l = np.where(owner >= 0, local[rows, np.maximum(owner, 0)], 0.0)
    rival_l = local.copy()
    rival_l[rows[owner >= 0], owner[owner >= 0]] = -1.0
    rival = np.argmax(rival_l, axis=1)
    r_l = np.maximum(rival_l[rows, rival], 0.0)
    u = rng.random(hoods.n)  # one draw per cell each month
    change = (owner >= 0) & (r_l > P.takeover_ratio * own_l) & (u < P.takeover_prob)
    control[change] = rival[change]
    owner = control.astype(np.int64)
    conflict = np.where((owner >= 0) & (r_l > 0), 2 * np.minimum(own_l, r_l) / (own_l + r_l + 1e-12), 0.0)
    conflict[change] = 1.0  # a cell changing hands this month is fought over
    model.rival_conflict = conflict
    return conflict


def _succession_conflict(model, control: np.ndarray, conflict: np.ndarray, leaders: np.ndarray) -> None:
    """Succession conflict: leaders killed, or jailed without keeping command, decay with a half-life; the cells'
    conflict and violence layers (rival conflict + succession conflict of the owner)."""
    hoods, P, groups = model.hoods, model.p, model.group_list
    decay = 0.5 ** (1.0 / max(P.succession_halflife, 1e-9))
    for g in groups:
        removed = g.removed / max(leaders[g.gid] + g.removed, 1)
        g.succession = min(1.0, g.succession * decay + 10.0 * removed)
        g.removed = 0.0
    succ = np.array([g.succession for g in groups] + [0.0])
    conflict = np.minimum(1.0, conflict + P.succession_conflict * succ[control])  # control -1 -> last entry
    hoods.flat("conflict")[:] = conflict
    hoods.flat("violence")[:] = P.presence_violence * (control >= 0) + conflict


def _capacity_and_demand(model, control: np.ndarray, workforce: np.ndarray, all_counts: np.ndarray, free_counts: np.ndarray,
                         leaders: np.ndarray, free_leaders: np.ndarray, leadership: np.ndarray) -> None:
    """Capacity, recruiting effort and demand of each group; its numbers for Mesa's DataCollector."""
    P, k = model.p, len(model.group_list)
    cells = np.bincount(control[control >= 0].astype(np.int64), minlength=k)
    growth = np.exp(P.market_growth * max(model.month, 0) / 12.0)
    cut = model.group_effect("revenue")
    if model.revenue_factor != 1.0:  # set month by month by a regional driver (recruitsim.region); 1 alone
        cut = cut * model.revenue_factor
    demand = np.empty(k)
    for g in model.group_list:  # a handful of group agents, not youths
        i = g.gid
        g.cells = int(cells[i])
        g.capacity = g.capacity0 * (cells[i] / g.cells0) ** P.territory_elasticity * growth * cut[i] * leadership[i]
        g.members, g.free_members = int(all_counts[i]), int(free_counts[i])
        g.leaders, g.free_leaders = int(leaders[i]), int(free_leaders[i])
        g.workforce = float(workforce[i])
        if g.capacity > 0:
            gap = g.capacity / max(workforce[i], 0.5)
            # recruiting effort adapts to a lasting gap (groups refill vacancies, or turn recruits away), at most demand_max
            g.effort = float(np.clip(g.effort * gap ** P.effort_adaptation, 1e-3, P.demand_max))
            g.demand = float(min(P.demand_max, g.effort * gap ** P.demand_elasticity))
        else:
            g.demand = 0.0
        demand[i] = g.demand
    model.group_demand = demand


def _balanced_effort(model, members: np.ndarray, k: int) -> np.ndarray:
    """Initial recruiting effort of each group, solved by construction (like the dropout and job-finding
    odds): the effort at which this month's expected recruits (outside and inside prison, at demand 1)
    equal its expected losses (exits, members turning 30, members killed), so that the initial state is
    a stationary one. Effort then adapts as usual (``effort_adaptation``)."""
    from . import recruitment  # (recruitment imports nothing from here)

    pop, P, t = model.pop, model.p, model.t
    saved = model.group_demand
    model.group_demand = np.ones(k)
    idx = np.flatnonzero((pop.group < 0) & pop.free_flag)
    p = recruitment.probability(model, idx)
    model.group_demand = saved
    gid = model.hood_group[pop.hood[idx]]
    inflow = np.bincount(gid[gid >= 0], weights=p[gid >= 0], minlength=k)
    inmates = model.inmates
    in_group = pop.group[inmates]
    if inmates.size and np.any(in_group >= 0):
        by_group = np.bincount(in_group[in_group >= 0].astype(np.int64), minlength=k)
        share = by_group.sum() / inmates.size
        inflow += P.prison_recruitment * share * np.count_nonzero(in_group < 0) * by_group / by_group.sum()
    g = pop.group[members].astype(np.int64)
    free = pop.free(members)
    age = pop.age_months(t, members)
    desist = P.desistance * np.where(age >= 300, P.desistance_or_age_25, 1.0) * np.where(
        pop.employed[members], P.desistance_or_employed, 1.0) * np.where(pop.leader[members], P.desistance_or_leader, 1.0)
    loss = free * (desist + P.member_homicide) + (age >= 348) / 12.0
    outflow = np.bincount(g, weights=loss, minlength=k)
    return np.where(inflow > 0, np.clip(outflow / np.maximum(inflow, 1e-300), 1e-3, P.demand_max), 1.0)


def _promote_leaders(model, members, all_counts, leaders, rng) -> None:
    """Top up each group's leaders to ``leader_share`` from its free members 18+, longest-serving first
    (ties broken at random), so a group that loses its leaders always finds successors."""
    pop, P, t = model.pop, model.p, model.t
    deficit = (np.ceil(P.leader_share * all_counts) - leaders).astype(np.int64)  # at least one leader
    if not np.any(deficit > 0):
        return
    cand = members[~pop.leader[members] & pop.free(members) & (pop.age_months(t, members) >= 216)]
    if cand.size == 0:
        return
    g = pop.group[cand].astype(np.int64)
    tenure = (t - pop.joined[cand]).astype(np.float64)
    order = np.lexsort((rng.random(cand.size), -tenure, g))
    cand, g = cand[order], g[order]
    first = np.searchsorted(g, np.arange(len(all_counts)))
    rank = np.arange(cand.size) - first[g]
    pop.leader[cand[rank < deficit[g]]] = True


def removed_leaders(model, idx: np.ndarray, jailed: bool = False) -> None:
    """Leaders in ``idx`` have just been killed (or jailed: then they count only for the share of command
    they lose, ``1 - prison_command``) for next month's succession conflict."""
    pop = model.pop
    hit = idx[pop.leader[idx] & (pop.group[idx] >= 0)]
    if hit.size:
        counts = np.bincount(pop.group[hit].astype(np.int64), minlength=len(model.group_list))
        weight = (1.0 - model.p.prison_command) if jailed else 1.0
        for g in model.group_list:
            g.removed += weight * float(counts[g.gid])
