"""Policies: who is eligible, how the policy is delivered, and what it does.

A policy has a *kind* (``mentoring``, ``schooling``, ``jobs``, ``family_violence``, ``mass_policing``,
``focused_deterrence``, ``hotline``, ``interdiction``), a start and end month (counted from the end of
the burn-in), a coverage (share of the eligible) or an annual budget (USD), a targeting rule and a
unit cost. Its *effects* are multipliers on named channels that the monthly processes read through
``model.effect(channel, idx)`` (individuals), ``model.hood_effect(channel)`` (neighbourhoods) or
``model.group_effect(channel)`` (groups). Several policies multiply together.

Delivery levels:

* **individual** programs enrol eligible youths (``targeting``: ``risk`` = highest joining odds first,
  ``geographic`` = in the most violent / poorest cells, ``universal`` = at random) up to the coverage
  or the number the budget pays for, keep each for ``duration`` months, and their effect fades after
  exit with half-life ``fade`` months. Cost = participants x ``unit_cost`` per participant-year.
* **area** policies act in the ``coverage`` share of cells with the most violence (re-chosen each year).
  Cost = youths living there x ``unit_cost`` per covered youth-year (operations; prison costs are
  counted from the incarceration outputs by the economics module).
* **national** policies act everywhere at a fixed ``unit_cost`` per year per 100,000 population.

Effect sizes and costs, with ranges and sources, are in ``POLICY_PARAMETERS`` (docs/parameters.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import recruitment
from .params import Param, ParameterError
from .population import ENROLLED

TARGETING = ("risk", "geographic", "universal")


def _pp(kind, name, default, low, high, unit, meaning, source) -> Param:
    return Param(f"{kind}.{name}", default, low, high, unit, kind, meaning, source)


@dataclass(frozen=True)
class Kind:
    """The defaults of one kind of policy."""

    name: str
    level: str  # individual | area | national
    description: str
    effects: dict[str, float]
    params: dict[str, Param]
    coverage: float = 0.3
    targeting: str = "risk"
    duration: int = 12
    fade: float = 6.0
    ages: tuple[int, int] = (10, 29)


#: What each channel multiplies (for the parameter table and the app).
CHANNEL_HELP = {
    "recruit_odds": "the odds of joining a group", "dropout": "the odds of dropping out of school",
    "job_finding": "the odds of finding a job", "job_loss": "the probability of losing a job",
    "hv_onset": "the onset of home violence", "hv_cessation": "the end of home violence",
    "violent_involvement": "members' homicide risk (violent involvement)",
    "arrest_member": "the arrest risk of members", "arrest_nonmember": "the arrest risk of non-members",
    "leader_arrest": "the arrest risk of leaders (on top of members')",
    "offending_violent": "violent offending (and so violent-crime arrests)",
    "offending_other": "non-violent offending (and so other arrests)", "custody": "the probability of custody after arrest",
    "sentence": "the mean time in custody", "desistance": "members' probability of leaving their group",
    "trafficking": "the risk of trafficking victimisation", "policing": "policing intensity in covered cells",
    "displacement": "displacement from violent cells", "revenue": "the groups' illicit revenue (capacity)",
}


def _kind(name, level, description, coverage, targeting, duration, fade, ages, effects, cost, extra=()):
    params = {
        "unit_cost": _pp(name, "unit_cost", cost[0], cost[1], cost[2], cost[3], "Cost", cost[4]),
        "coverage": _pp(name, "coverage", coverage, 0.0, 1.0, "share", "Share of the eligible (cells for area policies) covered", "scenario choice"),
        "duration": _pp(name, "duration", duration, 1, 120, "months", "Months each participant stays enrolled", "program design"),
        "fade": _pp(name, "fade", fade, 0.0, 120.0, "months", "Half-life of the effect after leaving", "GUESS (HELLER_QJE2017: effects fade)"),
    }
    for channel, (value, low, high, source) in effects.items():
        where = {"individual": "while enrolled", "area": "in covered cells", "national": "everywhere"}[level]
        params[channel] = _pp(name, channel, value, low, high, "multiplier", f"Multiplier on {CHANNEL_HELP[channel]} {where}", source)
    for p in extra:
        params[p.name.split(".", 1)[1]] = p
    return Kind(name, level, description, {c: v[0] for c, v in effects.items()}, params, coverage, targeting,
                duration, fade, ages)


KINDS: dict[str, Kind] = {k.name: k for k in [
    _kind("mentoring", "individual",
          "CBT mentoring in the style of Becoming a Man: boys 14-17 in school in high-risk neighbourhoods",
          0.3, "risk", 12, 6.0, (14, 17), {
              "offending_violent": (0.53, 0.3, 1.0, "HELLER_QJE2017 (violent-crime arrests -45% to -50%)"),
              "offending_other": (0.72, 0.5, 1.0, "HELLER_QJE2017 (total arrests -28% to -35%)"),
              "recruit_odds": (0.7, 0.3, 1.0, "GUESS (less violent involvement; joining not measured)"),
              "violent_involvement": (0.6, 0.3, 1.0, "HELLER_QJE2017 (violent involvement); GUESS for members"),
              "dropout": (0.8, 0.5, 1.0, "HELLER_QJE2017 (graduation +12% to +19%)"),
          }, (2383.0, 500.0, 6000.0, "USD per participant-year", "WSIPP_BAM (net cost 2,383, 2022 USD)")),
    _kind("schooling", "individual",
          "School support (stipends, tutoring) keeping poor 12-17 year-olds in school",
          0.3, "risk", 12, 3.0, (12, 17), {
              "dropout": (0.6, 0.3, 1.0, "GUESS (conditional transfer programmes raise enrolment)"),
          }, (400.0, 100.0, 1500.0, "USD per participant-year", "GUESS (conditional transfer scale)")),
    _kind("jobs", "individual",
          "Employment programme (training, placement, wage subsidy) for NEET youths 16-24",
          0.2, "risk", 6, 6.0, (16, 24), {
              "job_finding": (2.0, 1.0, 4.0, "GUESS (youth employment programmes in LAC: modest gains)"),
              "recruit_odds": (0.85, 0.5, 1.0, "GUESS"),
              "desistance": (1.3, 1.0, 3.0, "GUESS"),
          }, (1500.0, 300.0, 5000.0, "USD per participant-year", "GUESS")),
    _kind("family_violence", "individual",
          "Parenting and family-violence prevention for families of 10-15 year-olds exposed to home violence",
          0.3, "risk", 6, 12.0, (10, 15), {
              "hv_cessation": (2.0, 1.0, 5.0, "GUESS (parenting programmes reduce harsh discipline)"),
              "hv_onset": (0.5, 0.2, 1.0, "GUESS"),
          }, (600.0, 100.0, 3000.0, "USD per participant-year", "GUESS")),
    _kind("mass_policing", "area",
          "Mass policing: more patrols and sweeps, arrests of non-members, longer sentences in the most violent cells",
          0.3, "geographic", 12, 0.0, (10, 29), {
              "policing": (2.0, 1.0, 5.0, "Cerda et al. 2018 (hot-spot policing as 2x police)"),
              "arrest_nonmember": (1.5, 1.0, 4.0, "PARLAM2025 (sweeps arrest non-members); GUESS size"),
              "sentence": (1.5, 1.0, 3.0, "GUESS (harsher sentencing)"),
              "violent_involvement": (0.9, 0.6, 1.0, "Cerda et al. 2018 (hot-spot policing -11% victimisation); short-term deterrence"),
          }, (40.0, 5.0, 200.0, "USD per covered youth-year", "GUESS (operations only; prison costs counted separately)")),
    _kind("focused_deterrence", "area",
          "Focused deterrence: arrests concentrated on active members and leaders, plus an offer of services",
          0.3, "geographic", 12, 0.0, (10, 29), {
              "arrest_member": (1.4, 1.0, 3.0, "Braga et al. 2018 (focused deterrence)"),
              "leader_arrest": (2.0, 1.0, 5.0, "GUESS (leader targeting)"),
              "violent_involvement": (0.77, 0.5, 1.0, "Braga et al. 2019 update (crime -23%)"),
              "desistance": (1.5, 1.0, 3.0, "GUESS (services offer)"),
          }, (25.0, 5.0, 200.0, "USD per covered youth-year", "GUESS")),
    _kind("hotline", "national",
          "Anonymous reporting channel (Disque Denuncia): better detection of members and leaders",
          1.0, "universal", 12, 0.0, (10, 29), {
              "arrest_member": (1.15, 1.0, 2.0, "Disque Denuncia (60,000 confirmed tips in 25 years; no causal estimate): GUESS"),
              "leader_arrest": (1.5, 1.0, 3.0, "GUESS"),
          }, (10000.0, 1000.0, 100000.0, "USD per 100,000 population-year", "GUESS (running cost)")),
    _kind("interdiction", "national",
          "Border interdiction: seizures cut the groups' illicit revenue and so their demand for recruits",
          1.0, "universal", 12, 0.0, (10, 29), {
              "revenue": (0.85, 0.4, 1.0, "GUESS (share of revenue left after interdiction)"),
          }, (50000.0, 5000.0, 500000.0, "USD per 100,000 population-year", "GUESS")),
]}

#: Individual-level channels a policy may act on; area/national policies also use "policing"
#: (cells) and "revenue" (groups). "leader_arrest" multiplies "arrest_member" for leaders only.
CHANNELS = ("recruit_odds", "dropout", "job_finding", "job_loss", "hv_onset", "hv_cessation",
            "violent_involvement", "arrest_member", "arrest_nonmember", "offending_violent",
            "offending_other", "custody", "sentence", "desistance", "trafficking", "leader_arrest")
HOOD_CHANNELS = ("policing", "displacement")
GROUP_CHANNELS = ("revenue",)

def headroom(channel: str) -> float:
    """Largest factor by which the policy library, at default effect sizes, can *raise* a channel.

    The monthly processes use it in their ceiling probability ``p_max``, which must not depend on
    which policies a scenario switches on (so that common random numbers line up across scenarios).
    """
    out = 1.0
    for k in KINDS.values():
        out *= max(1.0, k.effects.get(channel, 1.0))
    return out


POLICY_PARAMETERS: dict[str, Param] = {p.name: p for k in KINDS.values() for p in k.params.values()}


def policy_markdown_table() -> str:
    """Effect sizes and costs of the policy kinds (docs/parameters.md)."""
    lines = ["| name | meaning | default | range | unit | source |", "|---|---|---|---|---|---|"]
    for p in POLICY_PARAMETERS.values():
        lines.append(f"| `{p.name}` | {p.meaning} | {p.default:g} | {p.low:g} – {p.high:g} | {p.unit} | {p.source} |")
    return "\n".join(lines) + "\n"


@dataclass
class Policy:
    """One policy in a scenario. ``settings`` may override any of its kind's parameters."""

    kind: str
    name: str = ""
    start: int = 0
    end: int | None = None
    targeting: str | None = None
    budget: float | None = None  # USD per year; if set, coverage follows from it
    settings: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ParameterError(f"unknown policy kind '{self.kind}'; choose from {', '.join(KINDS)}")
        k = KINDS[self.kind]
        self.name = self.name or self.kind
        self.targeting = self.targeting or k.targeting
        if self.targeting not in TARGETING:
            raise ParameterError(f"policy '{self.name}': targeting '{self.targeting}' must be one of {', '.join(TARGETING)}")
        values = {}
        for key, v in self.settings.items():
            if key not in k.params:
                raise ParameterError(f"policy '{self.name}': unknown setting '{key}'; allowed: {', '.join(k.params)}")
            p = k.params[key]
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not (p.low <= v <= p.high):
                raise ParameterError(f"policy '{self.name}': '{key}' = {v!r} is outside its allowed range [{p.low:g}, {p.high:g}]")
            values[key] = float(v)
        self.values = {key: float(p.default) for key, p in k.params.items()} | values
        self.spec = k
        if self.budget is not None and (self.budget < 0 or self.budget != self.budget):
            raise ParameterError(f"policy '{self.name}': budget must be >= 0 USD per year, got {self.budget!r}")
        if self.start < 0 or (self.end is not None and self.end <= self.start):
            raise ParameterError(f"policy '{self.name}': need 0 <= start < end, got start={self.start}, end={self.end}")

    @property
    def effects(self) -> dict[str, float]:
        return {c: self.values[c] for c in self.spec.effects}

    # ---- life cycle -------------------------------------------------------------------------
    def attach(self, model) -> None:
        n = model.pop.n
        self.until = np.full(n, -32768, np.int16)  # month the enrolment ends (past = left)
        self.ever = np.zeros(n, bool)
        self.targeted = np.zeros(model.hoods.n, bool)
        self.enrolled = 0
        self.cost = 0.0
        self.starts = 0

    def active(self, model) -> bool:
        m = model.month
        return m >= self.start and (self.end is None or m < self.end)

    def forget(self, idx: np.ndarray) -> None:
        """Slots recycled into new 10-year-olds carry nothing over."""
        self.until[idx] = -32768
        self.ever[idx] = False

    # ---- effects ----------------------------------------------------------------------------
    def dose(self, model, idx: np.ndarray) -> np.ndarray:
        """1 while enrolled; after exit decays with half-life ``fade``; 0 for never enrolled."""
        level = self.spec.level
        if level == "national":
            return np.ones(idx.size)
        if level == "area":
            return self.targeted[model.pop.hood[idx]].astype(float)
        since = model.month - self.until[idx].astype(np.int32)
        fade = self.values["fade"]
        after = np.exp2(-np.maximum(since, 0) / fade) if fade > 0 else (since < 0).astype(float)
        return np.where(self.ever[idx], np.where(since < 0, 1.0, after), 0.0)

    def multiplier(self, channel: str, model, idx: np.ndarray) -> np.ndarray:
        m = self.values[channel]
        if channel == "leader_arrest":
            channel_ok = model.pop.leader[idx]
            return 1.0 + (m - 1.0) * self.dose(model, idx) * channel_ok
        return 1.0 + (m - 1.0) * self.dose(model, idx)

    def hood_multiplier(self, channel: str, model) -> np.ndarray:
        if self.spec.level == "national":
            return np.full(model.hoods.n, self.values[channel])
        return np.where(self.targeted, self.values[channel], 1.0)

    # ---- delivery ---------------------------------------------------------------------------
    def eligible(self, model, idx: np.ndarray) -> np.ndarray:
        pop, t = model.pop, model.t
        free = pop.free(idx)
        lo, hi = self.spec.ages
        age = pop.age_years(t, idx)
        ok = free & (age >= lo) & (age <= hi)
        k = self.kind
        if k == "mentoring":
            risky = (model.hoods.flat("control")[pop.hood[idx]] >= 0) | pop.poor[idx]
            ok &= pop.male[idx] & (pop.school[idx] == ENROLLED) & risky
        elif k == "schooling":
            ok &= (pop.school[idx] == ENROLLED) & pop.poor[idx]
        elif k == "jobs":
            ok &= pop.neet(idx)
        elif k == "family_violence":
            ok &= pop.home_violence[idx]
        return ok

    def enrol(self, model) -> None:
        """Monthly intake (individual programs) or choice of cells (area policies), and cost."""
        self.enrolled, self.cost, self.starts = 0, 0.0, 0
        if not self.active(model):
            self.targeted[:] = False
            return
        level, pop = self.spec.level, model.pop
        if level == "national":
            self.cost = self.values["unit_cost"] * model.population / 1e5 / 12.0
            return
        if level == "area":
            if not self.targeted.any() or (model.month - self.start) % 12 == 0:
                self._choose_cells(model)
            covered = float(model.hood_youths[self.targeted].sum()) * model.scale
            self.enrolled = covered
            self.cost = covered * self.values["unit_cost"] / 12.0
            return
        lo, hi = self.spec.ages
        idx = np.concatenate([np.arange(s.start, s.stop) for s in pop.age_slices(model.t, lo, hi)])
        elig = idx[self.eligible(model, idx)]
        current = elig[self.until[elig] > model.month]
        unit = self.values["unit_cost"]
        if self.budget is not None:
            target = int(self.budget / max(unit, 1e-9) / model.scale)
        else:
            target = int(round(self.values["coverage"] * elig.size))
        need = target - current.size
        pool = elig[(self.until[elig] <= model.month) & ~self.ever[elig]]
        if need > 0 and pool.size:
            chosen = self._choose(model, pool, min(need, pool.size))
            self.until[chosen] = model.month + int(self.values["duration"])
            self.ever[chosen] = True
            self.starts = chosen.size
            current = np.concatenate([current, chosen])
        self.enrolled = current.size * model.scale
        self.cost = self.enrolled * unit / 12.0

    def _choose(self, model, pool: np.ndarray, k: int) -> np.ndarray:
        rng = model.streams["programs"]
        noise = rng.random(pool.size)
        if self.targeting == "universal":
            score = noise
        elif self.targeting == "geographic":
            v = model.hoods.flat("violence") + model.hoods.flat("poverty")
            score = v[model.pop.hood[pool]] + 1e-3 * noise
        else:  # risk: highest joining odds first
            x = recruitment.covariates(model, pool)
            score = np.log(np.maximum(recruitment.odds(model, pool, x), 1e-300)) + 1e-3 * noise
        return pool[np.argpartition(-score, k - 1)[:k]] if k < pool.size else pool

    def _choose_cells(self, model) -> None:
        h = model.hoods
        if self.budget is not None:
            per_cell = np.maximum(model.hood_youths * model.scale * self.values["unit_cost"], 1e-9)
            order = np.argsort(-(h.flat("violence") + 1e-3 * h.flat("poverty")))
            n_cells = int(np.searchsorted(np.cumsum(per_cell[order]), self.budget, side="right"))
        else:
            order = np.argsort(-(h.flat("violence") + 1e-3 * h.flat("poverty")))
            n_cells = int(round(self.values["coverage"] * h.n))
        self.targeted[:] = False
        self.targeted[order[:n_cells]] = True

    def month_outputs(self, model) -> dict[str, float]:
        return {f"cost_{self.name}": self.cost, f"enrolled_{self.name}": self.enrolled,
                f"starts_{self.name}": self.starts * model.scale}


def enrol(model) -> None:
    """Program enrolment for every policy (monthly process)."""
    for policy in model.policies:
        policy.enrol(model)
