"""Policies: who is eligible, how the policy is delivered, and what it does.

A policy has a *kind* (``mentoring``, ``schooling``, ``jobs``, ``family_violence``, ``mass_policing``,
``focused_deterrence``, ``hotline``, ``interdiction``), a start and end month (counted from the end of
the burn-in), a coverage (share of the eligible) or an annual budget (USD), a targeting rule and a
unit cost. Its *effects* are multipliers on named channels that the monthly processes read through
``model.effect(channel, idx)`` (individuals), ``model.hood_effect(channel)`` (neighbourhoods) or
``model.group_effect(channel)`` (groups). Several policies multiply together.

Eligibility can be narrowed to the members of some organisations' groups (``organisations``: labels of
``model.group_organisation``, set by a regional run; intelligence sharing acts on transnational groups only).

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

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import recruitment
from .params import Param, ParameterError
from .population import ENROLLED

TARGETING = ("risk", "geographic", "universal")


EVIDENCE_FILE = Path(__file__).resolve().parent / "data" / "policy_effects.csv"
GRADES = ("A", "B", "C", "D")


@dataclass(frozen=True)
class Evidence:
    """One row of model/data/policy_effects.csv: the evidence behind one policy number."""

    name: str
    median: float | None  # None: "n/a" (a number the code never reads)
    low: float | None  # 90% interval
    high: float | None
    distribution: str
    grade: str
    sources: tuple[str, ...]
    mapping: str


def _tags(text: str) -> tuple[str, ...]:
    """``"GUESS;HELLER_QJE2017(extrapolated)"`` -> ``("GUESS", "HELLER_QJE2017")``."""
    out = []
    for part in text.split(";"):
        m = re.match(r"\s*([A-Z][A-Z0-9_]*)", part)
        if m:
            out.append(m.group(1))
    return tuple(dict.fromkeys(out))


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def load_evidence(path: Path = EVIDENCE_FILE) -> dict[str, Evidence]:
    """The evidence table, read once at import (``EVIDENCE``)."""
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    out = {}
    for r in rows:
        if r["model_default_now"].startswith("PROPOSED"):
            continue  # a lever or channel the model does not have (recorded in docs/policy-evidence.md)
        dist = r["distribution"].strip()
        out[r["parameter"]] = Evidence(r["parameter"], _number(r["proposed_median"]), _number(r["low_90"]),
                                       _number(r["high_90"]), "point" if dist in ("", "n/a") else dist,
                                       r["grade"].strip(), _tags(r["sources"]), r["mapping"])
    return out


EVIDENCE: dict[str, Evidence] = load_evidence()


def _pp(kind, name, default, low, high, unit, meaning, source, allowed=None) -> Param:
    """A policy parameter: the evidence median, 90% interval, distribution, grade and sources, if the
    evidence table has the number; otherwise the value given here (a design or scenario choice).
    ``allowed``: what a scenario may set (widened to include the 90% interval)."""
    full = f"{kind}.{name}"
    ev = EVIDENCE.get(full)
    if ev is None:
        return Param(full, default, low, high, unit, kind, meaning, source)
    tags = "; ".join(ev.sources) + " (docs/policy-evidence.md)"
    if name == "duration" or ev.median is None:
        # a design choice (how long the programme keeps a participant) or a number the code never reads:
        # a point value; the allowed range stays the design range, the evidence range goes in the meaning
        value = default if ev.median is None else ev.median
        what = meaning if ev.low is None else f"{meaning} (evidence {ev.low:g}-{ev.high:g}, {ev.distribution})"
        return Param(full, value, low, high, unit, kind, what, tags, False, "point", ev.grade, ev.sources)
    bounds = None if allowed is None else (min(allowed[0], ev.low), max(allowed[1], ev.high))
    return Param(full, ev.median, ev.low, ev.high, unit, kind, meaning, tags, False, ev.distribution, ev.grade,
                 ev.sources, bounds)


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
    "trafficking": "the risk of trafficking victimisation", "policing": "policing intensity",
    "displacement": "displacement from violent cells", "revenue": "the groups' illicit revenue (capacity)",
}


def _kind(name, level, description, coverage, targeting, duration, fade, ages, channels, cost_unit, extra=()):
    """A kind whose effect sizes, fade, duration and unit cost come from the evidence table.

    ``channels``: channel -> the range a scenario may set (a design bound, widened to the evidence's 90%
    interval); ``cost_unit``: (unit, allowed range)."""
    unit, cost_bounds = cost_unit
    params = {
        "unit_cost": _pp(name, "unit_cost", None, None, None, unit,
                         "Unit cost (its uncertainty is drawn by the economic analysis: economics/data/costs.csv)", "",
                         cost_bounds),
        "coverage": _pp(name, "coverage", coverage, 0.0, 1.0, "share", "Share of the eligible (cells for area policies) covered", "scenario choice"),
        "duration": _pp(name, "duration", duration, 1, 120, "months", "Months each participant stays enrolled", "program design"),
        "fade": _pp(name, "fade", fade, 0.0, 120.0, "months", "Half-life of the effect after leaving", "GUESS", (0.0, 120.0)),
    }
    where = {"individual": "while enrolled", "area": "in covered cells", "national": "everywhere"}[level]
    for channel, bounds in channels.items():
        params[channel] = _pp(name, channel, None, None, None, "multiplier", f"Multiplier on {CHANNEL_HELP[channel]} {where}", "",
                              bounds)
    for p in extra:
        params[p.name.split(".", 1)[1]] = p
    for key, p in params.items():
        if p.default is None:
            raise ValueError(f"{EVIDENCE_FILE.name}: no evidence row for {name}.{key}")
    return Kind(name, level, description, {c: params[c].default for c in channels}, params, coverage, targeting,
                int(params["duration"].default), float(params["fade"].default), ages)


KINDS: dict[str, Kind] = {k.name: k for k in [
    _kind("mentoring", "individual",
          "CBT mentoring in the style of Becoming a Man: boys 14-17 in school in high-risk neighbourhoods",
          0.3, "risk", 12, 6.0, (14, 17),
          {"offending_violent": (0.3, 1.0), "offending_other": (0.5, 1.0), "recruit_odds": (0.3, 1.0),
           "violent_involvement": (0.3, 1.0), "dropout": (0.5, 1.0)},
          ("USD per participant-year", (500.0, 6000.0))),
    _kind("schooling", "individual",
          "School support (stipends, tutoring) keeping poor 12-17 year-olds in school",
          0.3, "risk", 12, 3.0, (12, 17), {"dropout": (0.3, 1.0)}, ("USD per participant-year", (100.0, 1500.0))),
    _kind("jobs", "individual",
          "Employment programme (training, placement, wage subsidy) for NEET youths 16-24",
          0.2, "risk", 6, 6.0, (16, 24), {"job_finding": (1.0, 4.0), "recruit_odds": (0.5, 1.0), "desistance": (1.0, 3.0)},
          ("USD per participant-year", (300.0, 5000.0))),
    _kind("family_violence", "individual",
          "Parenting and family-violence prevention for families of 10-15 year-olds exposed to home violence",
          0.3, "risk", 6, 12.0, (10, 15), {"hv_cessation": (1.0, 5.0), "hv_onset": (0.2, 1.0)},
          ("USD per participant-year", (100.0, 3000.0))),
    _kind("mass_policing", "area",
          "Mass policing: more patrols and sweeps, arrests of non-members, longer sentences in the most violent cells",
          0.3, "geographic", 12, 0.0, (10, 29),
          {"policing": (1.0, 5.0), "arrest_nonmember": (1.0, 4.0), "sentence": (1.0, 3.0), "violent_involvement": (0.6, 1.0)},
          ("USD per covered youth-year", (5.0, 200.0))),
    _kind("focused_deterrence", "area",
          "Focused deterrence: arrests concentrated on active members and leaders, plus an offer of services",
          0.3, "geographic", 12, 0.0, (10, 29),
          {"arrest_member": (1.0, 3.0), "leader_arrest": (1.0, 5.0), "violent_involvement": (0.5, 1.0), "desistance": (1.0, 3.0)},
          ("USD per covered youth-year", (5.0, 200.0))),
    _kind("hotline", "national",
          "Anonymous reporting channel (Disque Denuncia): better detection of members and leaders",
          1.0, "universal", 12, 0.0, (10, 29), {"arrest_member": (1.0, 2.0), "leader_arrest": (1.0, 3.0)},
          ("USD per 100,000 population-year", (1000.0, 100000.0))),
    _kind("interdiction", "national",
          "Border interdiction: seizures cut the groups' illicit revenue and so their demand for recruits",
          1.0, "universal", 12, 0.0, (10, 29), {"revenue": (0.4, 1.0)}, ("USD per 100,000 population-year", (5000.0, 500000.0))),
]}

#: Individual-level channels a policy may act on; area/national policies also use "policing"
#: (cells) and "revenue" (groups). "leader_arrest" multiplies "arrest_member" for leaders only.
CHANNELS = ("recruit_odds", "dropout", "job_finding", "job_loss", "hv_onset", "hv_cessation",
            "violent_involvement", "arrest_member", "arrest_nonmember", "offending_violent",
            "offending_other", "custody", "sentence", "desistance", "trafficking", "leader_arrest")
HOOD_CHANNELS = ("policing", "displacement")
GROUP_CHANNELS = ("revenue",)

def headroom(channel: str, values: dict[str, float] | None = None) -> float:
    """Largest factor by which the policy library can *raise* a channel: at the default effect sizes,
    or at ``values`` (an effect set of ``model.effects``, ``{"kind.channel": value}``) where given.

    The monthly processes use it in their ceiling probability ``p_max``, which must not depend on
    which policies a scenario switches on (so that common random numbers line up across scenarios);
    replicate r's effect set is the same in every scenario, so its headroom is too.
    """
    out = 1.0
    for k in KINDS.values():
        v = k.effects.get(channel, 1.0)
        if values is not None and channel in k.effects:
            v = values.get(f"{k.name}.{channel}", v)
        out *= max(1.0, v)
    return out


POLICY_PARAMETERS: dict[str, Param] = {p.name: p for k in KINDS.values() for p in k.params.values()}


def policy_markdown_table() -> str:
    """Effect sizes and costs of the policy kinds (docs/parameters.md): default (evidence median), range (its
    90% interval; design range for durations and coverage), what a scenario may set, distribution, grade."""
    lines = ["| name | meaning | default | range (90%) | scenarios may set | unit | distribution | grade | source |",
             "|---|---|---|---|---|---|---|---|---|"]
    for p in POLICY_PARAMETERS.values():
        lo, hi = p.bounds
        lines.append(f"| `{p.name}` | {p.meaning} | {p.default:g} | {p.low:g} – {p.high:g} | {lo:g} – {hi:g} | {p.unit} | "
                     f"{p.distribution} | {p.grade or '-'} | {p.source} |")
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
    #: organisation labels (``model.group_organisation``): the policy reaches the members of those organisations'
    #: groups only (None: everyone it would reach otherwise). Set by a regional run (intelligence sharing)
    organisations: tuple[int, ...] | None = None

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
            lo, hi = k.params[key].bounds
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not (lo <= v <= hi):
                raise ParameterError(f"policy '{self.name}': '{key}' = {v!r} is outside its allowed range [{lo:g}, {hi:g}]")
            values[key] = float(v)
        self.explicit = frozenset(values)  # settings given here win over effect draws (use_effects)
        self.values = {key: float(p.default) for key, p in k.params.items()} | values
        self.spec = k
        if self.budget is not None and (self.budget < 0 or self.budget != self.budget):
            raise ParameterError(f"policy '{self.name}': budget must be >= 0 USD per year, got {self.budget!r}")
        if self.start < 0 or (self.end is not None and self.end <= self.start):
            raise ParameterError(f"policy '{self.name}': need 0 <= start < end, got start={self.start}, end={self.end}")
        if self.organisations is not None:
            orgs = tuple(self.organisations)
            if not all(isinstance(o, (int, np.integer)) and not isinstance(o, bool) and o >= 0 for o in orgs):
                raise ParameterError(f"policy '{self.name}': organisations must be labels >= 0, got {self.organisations!r}")
            self.organisations = tuple(int(o) for o in orgs)

    def use_effects(self, effect_set: dict[str, float]) -> None:
        """Take this kind's values from an effect set (``model.effects``: ``{"kind.key": value}``),
        except the settings given explicitly (they win)."""
        for key in self.spec.params:
            name = f"{self.kind}.{key}"
            if name in effect_set and key not in self.explicit:
                self.values[key] = float(effect_set[name])

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
        """1 while enrolled (in a covered cell; everywhere for national policies); after exit decays with
        half-life ``fade``; 0 for never enrolled. With ``organisations``, 0 outside those organisations' groups."""
        out = self._level_dose(model, idx)
        if self.organisations is None:
            return out
        return out * self.reaches(model, idx)

    def reaches(self, model, idx: np.ndarray) -> np.ndarray:
        """Whether youths ``idx`` are members of a group of the policy's organisations (all True without them)."""
        if self.organisations is None:
            return np.ones(idx.size, bool)
        labelled = np.isin(model.group_organisation, self.organisations)  # one flag per group
        g = model.pop.group[idx].astype(np.int64)
        return (g >= 0) & labelled[np.maximum(g, 0)]

    def _level_dose(self, model, idx: np.ndarray) -> np.ndarray:
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
