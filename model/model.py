"""RecruitmentModel: the Mesa model. Its ``step()`` is one month, with every process in order."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import mesa
import numpy as np
import pandas as pd

from . import (
    desistance,
    displacement,
    groups,
    home_violence,
    labour,
    offending,
    outputs,
    policies,
    policing,
    posteriors,
    recruitment,
    schooling,
    synthesis,
    trafficking,
    violence,
)
from . import effects as effects_mod
from .groups import CriminalGroup
from .neighbourhoods import MIN_SOUND_AGENTS, Neighbourhoods, grid_side  # noqa: F401 (MIN_SOUND_AGENTS re-exported)
from .network import Network
from .params import ParameterError, Params
from .policies import Policy
from .population import Population
from .profiles import Profile, get_profile
from .streams import Streams, seed_from_rng

MAX_AGENTS = 80_000_000  # Brazil at 1:1 is about 60 M youths; 80 M x ~200 bytes fits 24 GiB


def _check_size(n_agents, years: float, burn_in_years: float) -> None:
    if isinstance(n_agents, bool) or not isinstance(n_agents, (int, np.integer)) or not 100 <= n_agents <= MAX_AGENTS:
        raise ParameterError(f"n_agents must be a whole number in [100, {MAX_AGENTS:,}], got {n_agents!r}")
    if not 0 < years <= 100 or not 0 <= burn_in_years <= 100:
        raise ParameterError(f"years must be in (0, 100] and burn_in_years in [0, 100], got {years!r}, {burn_in_years!r}")


def _effect_set(effects: int | dict[str, float] | None) -> dict[str, float]:
    """The policy effect set: the point values (None), point values with some set (a dict), or effect set ``r``."""
    if effects is None:
        return effects_mod.point()
    if isinstance(effects, dict):
        return {**effects_mod.point(), **{k: float(v) for k, v in effects.items()}}
    return effects_mod.for_replicate(effects)


class RecruitmentModel(mesa.Model):
    """Youth recruitment into criminal groups, one month per step.

    Args:
        country: ``"LAC"`` (regional default) or an ISO3 code, or a ``Profile``.
        n_agents: simulated youths (10-29); each stands for ``scale`` real people.
        years: horizon after the burn-in (``running`` turns False at the end).
        burn_in_years: months run before month 0 to bring the state to equilibrium (not recorded).
        params: parameter overrides (names and ranges in ``model.params.PARAMETERS``).
        policies: ``Policy`` objects (or dicts of their fields) active in this run.
        rng: seed (int) or generator; Mesa's ``batch_run`` passes it.
        collect: record each month with Mesa's ``DataCollector`` too (``results()`` works either way).
        progress: called after every simulated month (burn-in included), e.g. a progress bar's update.
        draw: for a calibrated profile, the posterior draw to run with (replicate ``r`` of a sweep uses
            draw ``r``; default 0, as ``recruitsim run``); ``None`` runs the profile's uncalibrated
            defaults. ``params`` win over the draw. See ``model.posteriors``.
        effects: the policy effect set to run with: ``None`` (default, as ``recruitsim run``) the point
            values (evidence medians); ``r`` effect set ``r`` (replicate ``r`` of sweeps, ``compare`` and
            the app; the point values if ``RECRUITSIM_EFFECTS=point``); or a ``{"kind.key": value}`` dict.
            A policy's explicit settings win. See ``model.effects``.
    """

    def __init__(
        self,
        country: str | Profile = "LAC",
        n_agents: int = 20_000,
        years: float = 10,
        burn_in_years: float = 5,
        params: dict[str, Any] | Params | None = None,
        policies: list[Policy | dict] | None = None,
        rng: Any = None,
        collect: bool = True,
        progress: Callable[[], Any] | None = None,
        draw: int | None = 0,
        effects: int | dict[str, float] | None = None,
    ):
        seed = seed_from_rng(rng)
        super().__init__(rng=seed)
        _check_size(n_agents, years, burn_in_years)
        self.profile = country if isinstance(country, Profile) else get_profile(country)
        overrides = params.as_dict() if isinstance(params, Params) else (params or {})
        # a calibrated profile runs with posterior draw `draw` (as every CLI command does); explicit params win
        self.posterior_draw = None if draw is None else posteriors.draw(self.profile.iso3, draw)
        self.p = self.profile.params(**{**(self.posterior_draw or {}), **overrides})
        # the policy effect set (the same for every scenario of a replicate: ceilings and CRN depend on it)
        self.effects = _effect_set(effects)
        self._init_clock(seed, n_agents, years, burn_in_years)

        # Hazards matched to the profile by construction
        self.dropout_odds = schooling.solve_dropout_odds(self.p)
        self.job_odds = labour.solve_job_finding_odds(self.p, self.dropout_odds)
        self.hv_onset = home_violence.onset_rate(self.p)

        self._init_world()
        for p in policies or []:
            self.add_policy(p)

        self._set_ceilings()
        self._init_collection(collect, progress)
        self._burn_in()

    def _init_clock(self, seed: int, n_agents: int, years: float, burn_in_years: float) -> None:
        """Streams, size and scale, the clocks, the counters; no policy yet."""
        self.seed = seed
        self.streams = Streams(seed)
        self.n_agents = int(n_agents)
        self.population = self.profile.population
        self.scale = self.profile.youth_population / self.n_agents
        self.months = int(round(years * 12))
        self.burn_in = int(round(burn_in_years * 12))
        self.t = 0  # months since the start of the burn-in (sets ages)
        self.month = -self.burn_in  # months since the end of the burn-in (policy clock; < 0 in burn-in)
        self.capped: dict[str, int] = {}
        self.stats = outputs.new_counters()
        self.join_ages = np.zeros(20, np.int64)
        self.policies: list[Policy] = []
        #: multiplier on the groups' illicit revenue (capacity) set each month by an external driver: a regional
        #: run (recruitsim.region) sets it from the country's share of the trafficking flows; 1 otherwise
        self.revenue_factor = 1.0

    def _init_world(self) -> None:
        """Places, people, ties, groups and the initial population (the stream ``synthesis`` drawn in this order)."""
        syn = self.streams["synthesis"]
        self.hoods = Neighbourhoods(self, grid_side(self.n_agents), syn, self.p.poverty_rate, self.p.poverty_segregation)
        self.grid = self.hoods.grid  # Mesa's space (SolaraViz's make_space_component draws its property layers)
        xy = np.stack(np.divmod(np.arange(self.hoods.n), self.hoods.side), axis=1)
        self.hood_distance = np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(-1))
        self.hood_n_neigh = np.array([len(x) for x in self.hoods.neighbours()], float)
        self.pop = Population(self.n_agents)
        synthesis.place(self, syn)
        self.hood_youths = np.bincount(self.pop.hood, minlength=self.hoods.n).astype(float)
        self.net = Network(self.pop, self.hoods, self.p, self.streams["network"])
        control = groups.seed_territory(self, syn)
        self._init_groups(control)
        self._init_month_state()
        synthesis.initial_population(self, syn)
        self.hoods.flat("violence")[:] = self.p.presence_violence * (control >= 0)
        self.violence0 = float(np.mean(self.hoods.flat("violence")))

    def _init_groups(self, control: np.ndarray) -> None:
        """The control layer, each cell's group, and the groups: initial capacity in proportion to their cells."""
        self.hoods.flat("control")[:] = control
        self.hood_group = groups.hood_group(control, self.hood_distance)
        self.hood_group_ix = np.maximum(self.hood_group, 0)
        cells = np.bincount(control[control >= 0], minlength=self.p.n_groups)
        target = self.p.member_prevalence * self.n_agents
        share = cells / max(cells.sum(), 1)
        homes = [np.flatnonzero(control == g) for g in range(self.p.n_groups)]
        all_cells = list(self.grid.all_cells)  # row-major, the flat neighbourhood order
        self.group_list = [CriminalGroup(self, g, target * share[g], int(cells[g]), all_cells[h[0]] if h.size else None)
                           for g, h in enumerate(homes)]
        self.group_demand = np.ones(self.p.n_groups)
        #: each group's organisation label (-1: a local or national group). Nothing in a country model sets it: a
        #: regional run labels the groups of transnational organisations (recruitsim.region.labels), and a policy
        #: with ``organisations`` then acts on those groups' members only (model/policies.py)
        self.group_organisation = np.full(self.p.n_groups, -1, np.int16)

    def _init_month_state(self) -> None:
        """What the month's processes hand each other (arrests by group, conflict, inmates, offenders, ...), empty."""
        self.member_arrests = np.zeros(self.p.n_groups, np.int64)  # this month's arrests of each group's members
        self.leader_arrests = np.zeros(self.p.n_groups, np.int64)  # ... and of its leaders (policing.step)
        self.rival_conflict = np.zeros(self.hoods.n)
        self.groups_started = False  # set by the first groups.step (initial need per cell and capacity)
        self.member_families = np.empty(0, np.int32)
        self.inmates = np.empty(0, np.int64)
        self.victims = np.empty(0, np.int64)
        self.offenders = np.empty(0, np.int64)  # this month's offenders (offending.step), their offence kind
        self.offence_kind = np.empty(0, np.int8)
        self.offence_u = np.empty(0)
        self.perpetrators = np.empty(0, np.int64)  # this month's homicide perpetrators (simulated youths)
        self.violence_factor = {"member": 1.0, "nonmember": 1.0}

    def _init_collection(self, collect: bool, progress: Callable[[], Any] | None) -> None:
        """Mesa's DataCollector (used when ``collect``), the monthly rows, the timer and the progress callback."""
        self.datacollector = mesa.DataCollector(
            model_reporters={k: (lambda m, k=k: m.row.get(k, np.nan)) for k in outputs.COLUMNS},
            # prefixed so that mesa.batch_run's merged rows keep the national "members" and "leaders" columns
            agenttype_reporters={CriminalGroup: {
                f"group_{k}": k for k in ("members", "free_members", "leaders", "cells", "capacity", "demand")}},
        )
        self.collect = collect
        self.row: dict[str, float] = {}
        self.rows: list[dict[str, float]] = []
        self.step_seconds = 0.0
        self._progress = progress

    def _burn_in(self) -> None:
        """Run the burn-in months (not recorded), then reset the counters."""
        tic = time.perf_counter()
        for _ in range(self.burn_in):
            self._month()
        self.step_seconds += time.perf_counter() - tic
        self.stats = outputs.new_counters()
        self.join_ages[:] = 0
        self.running = self.months > 0

    # ------------------------------------------------------------------------------------------
    def step(self) -> None:
        """One month: the processes in order, then the month's outputs are collected."""
        tic = time.perf_counter()
        self._month()
        self.step_seconds += time.perf_counter() - tic
        if self.collect:
            self.datacollector.collect(self)
        if self.month >= self.months:
            self.running = False

    def _month(self) -> None:
        self.stats = outputs.new_counters()
        synthesis.turnover(self)  # ageing: the cohort turning 30 leaves, new 10-year-olds enter
        schooling.step(self)  # completion at 18, tertiary to 23, dropout
        labour.step(self)  # job loss, job finding (record penalty)
        home_violence.step(self)  # exposure starts and ends
        policies.enrol(self)  # program enrolment, policy targeting and costs
        groups.step(self)  # territory, conflict, capacity and demand for recruits, leaders
        recruitment.step(self)  # non-members join groups
        offending.step(self)  # offences by type, with offenders and victims
        violence.step(self)  # group violence and homicide
        trafficking.step(self)  # trafficking and sexual exploitation
        displacement.step(self)  # families flee violent neighbourhoods
        policing.step(self)  # release, arrest, sentencing, recruitment inside prison
        desistance.step(self)  # members leave groups
        self.row = outputs.finish_month(self)
        if self.month >= 0:
            self.rows.append({"month": self.month, **self.row})
        self.t += 1
        self.month += 1
        if self._progress is not None:
            self._progress()

    def run(self) -> pd.DataFrame:
        """Run to the horizon and return the monthly results."""
        while self.running:
            self.step()
        return self.results()

    # ------------------------------------------------------------------------------------------
    def add_policy(self, policy: Policy | dict) -> Policy:
        if isinstance(policy, dict):
            policy = Policy(**policy)
        if any(p.name == policy.name for p in self.policies):
            raise ParameterError(f"two policies are named '{policy.name}'")
        policy.use_effects(self.effects)
        policy.attach(self)
        self.policies.append(policy)
        if hasattr(self, "pmax"):
            self._set_ceilings()
        return policy

    def _set_ceilings(self) -> None:
        """Ceiling probabilities of the processes. They depend on parameters and on the policy
        library's default effects, never on the state, so candidate draws line up across scenarios
        (CRN). A scenario whose policies are stronger than the library defaults raises them (exact,
        but that process then loses its alignment with baseline)."""
        self.pmax = {
            "dropout": schooling.p_max(self), "job_loss": labour.p_max_loss(self),
            "job_finding": labour.p_max_find(self), "home_violence": home_violence.p_max(self),
            "recruitment": recruitment.p_max(self), "homicide": violence.p_max(self),
            "trafficking": trafficking.p_max(self), "displacement": displacement.p_max(self),
            "offending": offending.p_max(self), "desistance": desistance.p_max(self),
        }

    def headroom(self, channel: str) -> float:
        """Largest factor by which policies can raise a channel: the library defaults, or this
        scenario's own policies if they are stronger."""
        mine = 1.0
        for p in self.policies:
            if channel in p.spec.effects:
                mine *= max(1.0, p.values[channel])
        return max(policies.headroom(channel, self.effects), mine)

    def effect(self, channel: str, idx: np.ndarray) -> np.ndarray | float:
        """Product of the active policies' multipliers on ``channel`` for youths ``idx``."""
        m: np.ndarray | float = 1.0
        for p in self.policies:
            if channel in p.spec.effects and p.active(self):
                m = m * p.multiplier(channel, self, idx)
        return m

    def hood_effect(self, channel: str) -> np.ndarray:
        m = np.ones(self.hoods.n)
        for p in self.policies:
            if channel in p.spec.effects and p.active(self):
                m = m * p.hood_multiplier(channel, self)
        return m

    def group_effect(self, channel: str) -> np.ndarray:
        m = np.ones(len(self.group_list))
        for p in self.policies:
            if channel in p.spec.effects and p.active(self):
                m = m * p.values[channel]
        return m

    def group_demand_of(self, idx: np.ndarray) -> np.ndarray:
        g = self.hood_group[self.pop.hood[idx]]
        return np.where(g >= 0, self.group_demand[np.maximum(g, 0)], 0.0)

    def kill(self, idx: np.ndarray) -> None:
        pop = self.pop
        pop.alive[idx] = False
        pop.set_group(idx, -1)
        pop.refresh_free(idx)
        pop.dead = np.concatenate([pop.dead, idx])
        pop.leader[idx] = False
        pop.employed[idx] = False

    # ------------------------------------------------------------------------------------------
    def results(self) -> pd.DataFrame:
        """Monthly outputs as a tidy DataFrame (one row per month, national scale)."""
        df = pd.DataFrame(self.rows)
        if not df.empty:
            df.insert(1, "year", df["month"] // 12)
        return df

    def groups_table(self) -> pd.DataFrame:
        """Per-group monthly numbers (from the DataCollector; columns ``group_members``, ``group_leaders``, ...)."""
        return self.datacollector.get_agenttype_vars_dataframe(CriminalGroup)

    @property
    def median_age_at_joining(self) -> float:
        c = np.cumsum(self.join_ages)
        if c[-1] == 0:
            return float("nan")
        return float(10 + np.searchsorted(c, c[-1] / 2.0))
