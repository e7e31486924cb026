"""The app's settings: what a user can choose, how it is checked, and the reference tables the page shows.

Nothing here imports Solara, so all of it is testable on its own. ``app.py`` is the page;
``recruitsim.app_logic.run`` runs a comparison; ``recruitsim.app_logic.summary`` reduces its results for the page.
"""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from recruitsim.model.params import PARAMETERS, ParameterError
from recruitsim.model.policies import KINDS, POLICY_PARAMETERS, Policy
from recruitsim.model.profiles import all_codes, get_profile
from recruitsim.scenarios import library

from .options import MAX_OPTIONS, Option, default_options

log = logging.getLogger("recruitsim.app")

#: Allowed ranges of the run settings in the app (the model itself allows more; these keep a
#: shared server responsive).
LIMITS = {"agents": (1_000, 200_000), "years": (1, 30), "seed": (0, 2**31 - 1), "replicates": (1, 10)}
DEFAULTS = {"country": "LAC", "agents": 20_000, "years": 10, "seed": 1, "replicates": 5}
BURN_IN_YEARS = 5

#: Plain names of the policy kinds, in the order the page lists them.
POLICY_LABELS = {
    "mentoring": "Mentoring / CBT (Becoming a Man)",
    "schooling": "School support",
    "jobs": "Employment programme",
    "family_violence": "Family-violence prevention",
    "mass_policing": "Mass policing",
    "focused_deterrence": "Focused deterrence",
    "hotline": "Anonymous reporting hotline",
    "interdiction": "Border interdiction",
}
TARGETING_LABELS = {
    "risk": "Highest risk of joining first",
    "geographic": "Poorest and most violent neighbourhoods first",
    "universal": "At random among the eligible",
}
COVERAGE_MEANING = {
    "individual": "Share of the eligible youths enrolled",
    "area": "Share of neighbourhoods covered (the most violent first, re-chosen each year)",
    "national": "Acts nationwide",
}

#: The outcomes the page draws: column -> (title, unit, how a year is summarised, meaning).
CHART_METRICS = {
    "recruits": ("Recruitment", "youths joining per year", "sum",
                 "Young people (10-29) who joined a criminal group during the year, inside and outside prison."),
    "members": ("Group membership", "members aged 10-29, end of year", "last",
                "Young people (10-29) who are members of a criminal group at the end of the year."),
    "homicide_rate_expected": ("Homicide rate", "per 100,000 population per year", "mean",
                               "Homicides of all ages per 100,000 population in the year (youth victims plus adult victims), "
                               "as the expected number given each month's situation: the same average as the count of "
                               "simulated deaths, with far less chance noise."),
    "incarceration_rate": ("Incarceration", "prisoners per 100,000 population", "mean",
                           "Prisoners of all ages per 100,000 population, averaged over the year."),
}


class InputProblem(ValueError):
    """Settings a user typed that cannot run; the message is shown in the page as is."""


# ---- settings -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class PolicyChoice:
    """One policy as the page sets it: on/off, coverage (0-1), targeting, active years."""

    kind: str
    on: bool = False
    coverage: float = 0.3
    targeting: str = "risk"
    start_year: int = 0
    end_year: int | None = None  # None: to the end of the run

    @classmethod
    def default(cls, kind: str) -> PolicyChoice:
        k = KINDS[kind]
        return cls(kind, False, k.coverage, k.targeting, 0, None)

    @property
    def level(self) -> str:
        return KINDS[self.kind].level

    def to_policy(self, years: int) -> Policy:
        end = None if self.end_year is None or self.end_year >= years else int(self.end_year) * 12
        settings = {"coverage": float(self.coverage)} if self.level != "national" else {}
        return Policy(self.kind, start=int(self.start_year) * 12, end=end, targeting=self.targeting, settings=settings)

    def describe(self, years: int) -> str:
        end = years if self.end_year is None else min(self.end_year, years)
        when = "" if self.start_year == 0 and end == years else f", years {self.start_year}-{end}"
        if self.level == "national":
            return f"{POLICY_LABELS[self.kind]} (nationwide{when})"
        what = "of eligible youths" if self.level == "individual" else "of neighbourhoods"
        return f"{POLICY_LABELS[self.kind]} ({self.coverage:.0%} {what}{when})"


def default_choices() -> tuple[PolicyChoice, ...]:
    return tuple(PolicyChoice.default(k) for k in POLICY_LABELS)


def with_policy_choice(choice: PolicyChoice, **changes: Any) -> PolicyChoice:
    return replace(choice, **changes)


def replace_choice(choices: tuple[PolicyChoice, ...], new: PolicyChoice) -> tuple[PolicyChoice, ...]:
    return tuple(new if c.kind == new.kind else c for c in choices)


def with_policy(choices: tuple[PolicyChoice, ...], kind: str, **changes: Any) -> tuple[PolicyChoice, ...]:
    """``choices`` with the policy of ``kind`` changed (e.g. ``on=True, coverage=0.5``)."""
    return tuple(replace(c, **changes) if c.kind == kind else c for c in choices)



@dataclass(frozen=True)
class Settings:
    """One comparison: a country, the run size and the options ranked against the baseline."""

    country: str = "LAC"
    agents: int = 20_000
    years: int = 10
    seed: int = 1
    replicates: int = 5
    options: tuple[Option, ...] = field(default_factory=default_options)

    @property
    def names(self) -> list[str]:
        return [o.name for o in self.options]

    @property
    def labels(self) -> dict[str, str]:
        return {"baseline": "Baseline (no new policy)", **{o.name: o.label for o in self.options}}

    def option(self, name: str) -> Option:
        return next(o for o in self.options if o.name == name)

    def policy_kinds(self) -> dict[str, str]:
        """Policy name -> kind over all options (cost columns are named after policies)."""
        return {s.get("name", s["kind"]): s["kind"] for o in self.options for s in o.specs}

    def describe(self) -> str:
        return (f"{get_profile(self.country).name}, {self.agents:,} simulated youths, {self.years} years, "
                f"{self.replicates} replicate{'s' if self.replicates != 1 else ''}, seed {self.seed}")


def specs_from_choices(choices: tuple[PolicyChoice, ...], years: int) -> list[dict[str, Any]]:
    """The switched-on levers of the package editor as [[policy]] tables (months, as scenario files count)."""
    out = []
    for c in choices:
        if not c.on:
            continue
        spec: dict[str, Any] = {"kind": c.kind}
        if c.level != "national":
            spec["coverage"] = round(float(c.coverage), 4)
        if c.level == "individual" and c.targeting != KINDS[c.kind].targeting:
            spec["targeting"] = c.targeting
        if c.start_year:
            spec["start"] = int(c.start_year) * 12
        if c.end_year is not None and c.end_year < years:
            spec["end"] = int(c.end_year) * 12
        out.append(spec)
    return out


def describe_spec(spec: dict) -> str:
    """"Mentoring / CBT 30%, years 0-5" for one [[policy]] table."""
    k = KINDS[spec["kind"]]
    parts = [POLICY_LABELS.get(spec["kind"], spec["kind"])]
    if "budget" in spec:
        parts.append(f"USD {spec['budget']:,.0f} a year")
    elif k.level != "national":
        parts.append(f"{float(spec.get('coverage', k.coverage)):.0%}")
    if "start" in spec or "end" in spec:
        end = spec.get("end")
        parts.append(f"months {spec.get('start', 0)}-{end if end is not None else 'end'}")
    return " ".join(parts)


def parse_whole(text: Any, label: str, lo: int, hi: int) -> int:
    """A whole number typed in a box, in [lo, hi]; else ``InputProblem`` saying what is allowed."""
    raw = str(text).strip().replace(",", "").replace("_", "").replace(" ", "")
    allowed = f"{label} must be a whole number from {lo:,} to {hi:,}"
    if not raw:
        raise InputProblem(f"{allowed}; the box is empty.")
    try:
        value = float(raw)
    except ValueError:
        raise InputProblem(f"{allowed}; '{str(text).strip()[:40]}' is not a number.") from None
    if not math.isfinite(value) or value != int(value):
        raise InputProblem(f"{allowed}; got {str(text).strip()[:40]}.")
    value = int(value)
    if not lo <= value <= hi:
        raise InputProblem(f"{allowed}; got {value:,}.")
    return value


def years_or_default(text: Any) -> int:
    """The years typed, or the default while the box holds something invalid (sliders need a number)."""
    try:
        return parse_whole(text, "Years", *LIMITS["years"])
    except InputProblem:
        return DEFAULTS["years"]


def agents_or_default(text: Any) -> int:
    """The simulated youths typed, or the default while the box holds something invalid."""
    try:
        return parse_whole(text, "Simulated youths", *LIMITS["agents"])
    except InputProblem:
        return DEFAULTS["agents"]


def field_problem(text: Any, label: str, lo: int, hi: int) -> str | None:
    """The message for one box, or None if it is fine."""
    try:
        parse_whole(text, label, lo, hi)
    except InputProblem as e:
        return str(e)
    return None


def validate(country: str, agents: Any, years: Any, seed: Any, replicates: Any,
             options: tuple[Option, ...]) -> tuple[Settings | None, list[str]]:
    """Check everything the page collected. Returns the settings (or None) and the problems found."""
    problems: list[str] = []
    values: dict[str, Any] = {}
    if country not in all_codes():
        problems.append(f"Unknown country '{country}'; choose one from the list.")
    for key, text, label in (("agents", agents, "Population (simulated youths)"), ("years", years, "Years"),
                             ("seed", seed, "Seed"), ("replicates", replicates, "Replicates")):
        lo, hi = LIMITS[key]
        try:
            values[key] = parse_whole(text, label, lo, hi)
        except InputProblem as e:
            problems.append(str(e))
    if not options:
        problems.append("Choose at least one option to compare with the baseline.")
    if len(options) > MAX_OPTIONS:
        problems.append(f"Compare at most {MAX_OPTIONS} options at a time ({len(options)} chosen).")
    if len({o.name for o in options}) != len(options):
        problems.append("Two options have the same name; rename one.")
    for o in options:
        try:
            sc = o.scenario()
            if "years" in values:
                library.check_horizon(sc, values["years"] * 12, o.label)
            sc.policies()
        except (library.ScenarioError, ParameterError) as e:
            problems.append(f"{o.label}: {e}")
    if problems:
        return None, problems
    return Settings(country, values["agents"], values["years"], values["seed"], values["replicates"], tuple(options)), []


# ---- library scenarios into the package editor -------------------------------------------------------
def choices_from_specs(specs: list[dict[str, Any]], years: int | None) -> tuple[PolicyChoice, ...]:
    """Package-editor settings matching [[policy]] tables (other levers switched off)."""
    by_kind = {c.kind: c for c in default_choices()}
    for spec in specs:
        k = KINDS[spec["kind"]]
        start = int(spec.get("start", 0)) // 12
        end = spec.get("end")
        end_year = None if end is None else max(start + 1, math.ceil(end / 12))
        if years is not None and end_year is not None and end_year >= years:
            end_year = None
        by_kind[spec["kind"]] = PolicyChoice(spec["kind"], True, float(spec.get("coverage", k.coverage)),
                                             spec.get("targeting", k.targeting), start, end_year)
    return tuple(by_kind[k] for k in POLICY_LABELS)


# ---- parameters and sources ---------------------------------------------------------------------------
def parameter_table(country: str = "LAC") -> pd.DataFrame:
    """Every model and policy parameter: meaning, default, value for the country, range, unit, distribution,
    evidence grade (policy parameters), source."""
    try:
        overrides = get_profile(country).overrides
    except KeyError:
        overrides = {}
    post = _posterior_spread(country)  # calibrated parameters: the posterior's median and 90% interval
    rows = []
    for p in PARAMETERS.values():
        v = overrides.get(p.name, p.default)
        shown = post.get(p.name, f"{v:.4g}")
        source = f"calibrated to {country}'s targets (posterior median, 90% interval); prior: {p.source}" \
            if p.name in post else p.source
        rows.append({"parameter": p.name, "area": p.process, "meaning": p.meaning, "default": f"{p.default:g}",
                     f"in {country}": shown, "range": f"{p.low:g} – {p.high:g}", "unit": p.unit,
                     "distribution": "posterior" if p.name in post else "point", "grade": "-",
                     "source": with_references(source)})
    # policy parameters: evidence median, 90% interval, distribution (drawn per replicate for effects and
    # fades: model/effects.py) and evidence grade (A-D; docs/policy-evidence.md)
    for p in POLICY_PARAMETERS.values():
        rows.append({"parameter": p.name, "area": f"policy: {POLICY_LABELS.get(p.process, p.process)}", "meaning": p.meaning,
                     "default": f"{p.default:g}", f"in {country}": f"{p.default:g}", "range": f"{p.low:g} – {p.high:g}",
                     "unit": p.unit, "distribution": p.distribution, "grade": p.grade or "-",
                     "source": with_references(p.source)})
    return pd.DataFrame(rows)


def _posterior_spread(country: str) -> dict[str, str]:
    """``{name: "median (5%-95%)"}`` over the posterior draws runs use, for a calibrated profile."""
    from recruitsim.model import posteriors as posterior

    draws = [posterior.draw(country, r) for r in range(100)]
    if not draws or draws[0] is None:
        return {}
    out = {}
    for name in draws[0]:
        q = np.quantile([d[name] for d in draws], [0.05, 0.5, 0.95])
        out[name] = f"{q[1]:.4g} ({q[0]:.3g} – {q[2]:.3g})"
    return out


@lru_cache(maxsize=1)
def reference_list() -> dict[str, str]:
    """Source tag -> the full reference (author, year, title, address), from ``model/data/SOURCES.md``."""
    from importlib import resources

    text = resources.files("recruitsim.model.data").joinpath("SOURCES.md").read_text(encoding="utf-8")
    out = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and len(cells) >= 2 and re.fullmatch(r"[A-Z][A-Z0-9_]+", cells[0]):
            out[cells[0]] = cells[1].replace("*", "")
    return out


def with_references(source: str) -> str:
    """A parameter's source with each tag followed by its reference: "WSIPP_BAM: Washington State Institute ..."."""
    refs = reference_list()
    found = [t for t in dict.fromkeys(re.findall(r"[A-Z][A-Z0-9_]{3,}", str(source))) if t in refs]
    if not found:
        return str(source).replace("GUESS", "documented guess (GUESS)") if "GUESS" in str(source) else str(source)
    return str(source) + " — " + "; ".join(f"{t}: {refs[t]}" for t in found)


def search_parameters(table: pd.DataFrame, text: str) -> pd.DataFrame:
    """Rows whose any text column contains every word of ``text`` (case-insensitive)."""
    words = [w for w in str(text).lower().split() if w]
    if not words:
        return table
    hay = table.astype(str).agg(" ".join, axis=1).str.lower()
    mask = np.ones(len(table), bool)
    for w in words:
        mask &= hay.str.contains(w, regex=False).to_numpy()
    return table[mask].reset_index(drop=True)


def country_options() -> dict[str, str]:
    """ISO3 -> "Name · calibrated" (or "· sparse data") for the country picker: the regional default first,
    then the countries sorted by name. *Calibrated*: the profile has a posterior fitted to its targets
    (``recruitsim profiles``); *sparse data*: some of its inputs fell back to regional values."""
    from recruitsim.model import posteriors

    rows = []
    for code in all_codes():
        try:
            prof = get_profile(code)
        except KeyError:
            continue
        marks = ["calibrated" if posteriors.is_calibrated(code) else "not calibrated"]
        if prof.fallbacks:
            marks.append("sparse data")
        name = "Latin America and the Caribbean (regional average)" if code == "LAC" else prof.name
        rows.append((code != "LAC", name.casefold(), code, f"{name} · {' · '.join(marks)}"))
    return {code: label for _, _, code, label in sorted(rows)}



def outputs_table() -> pd.DataFrame:
    """The columns of the results CSV and what each means."""
    from recruitsim.model.outputs import COLUMNS

    rows = [{"column": "scenario", "kind": "", "meaning": "baseline, or the policies switched on (joined by +)"},
            {"column": "replicate", "kind": "", "meaning": "replicate number; replicate r uses the same random numbers in both"},
            {"column": "month", "kind": "", "meaning": "months since the policies start (0 = first month after the burn-in)"},
            {"column": "year", "kind": "", "meaning": "month // 12 (0 = first year)"}]
    rows += [{"column": k, "kind": kind, "meaning": meaning} for k, (kind, meaning) in COLUMNS.items()]
    rows += [{"column": "cost_<policy>", "kind": "flow", "meaning": "USD spent on the policy this month"},
             {"column": "enrolled_<policy>", "kind": "stock", "meaning": "Youths enrolled (or in covered areas) this month"},
             {"column": "starts_<policy>", "kind": "flow", "meaning": "Youths who started the programme this month"}]
    return pd.DataFrame(rows)
