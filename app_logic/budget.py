"""A lever in budget terms: coverage (share of the eligible), annual budget (USD) and participants, each from the others.

Pure arithmetic on the model's own numbers, which the caller supplies in a :class:`Base` (``app_logic/eligible.py``
builds it from the model for a country and a number of simulated youths):

* **individual** programmes (mentoring, school support, jobs, family violence) enrol a share of the eligible
  youths; participants = coverage x eligible (real people: eligible agents x the agents' scale), budget =
  participants x unit cost per participant-year (``model/policies.py``), as the model charges it
  (``Policy.enrol``: enrolled x unit cost);
* **area** policies (mass policing, focused deterrence) cover a share of the neighbourhoods, the most violent
  first; participants = the youths living there (the model counts whole neighbourhoods:
  ``round(coverage x cells)``), budget = those youths x unit cost per covered youth-year;
* **national** levers (hotline, interdiction) act everywhere or not at all: cost = unit cost per 100,000
  population-year x population / 100,000; a smaller budget cannot buy a part of them.

Money is 2024 USD a year, undiscounted (what a budget line pays): the model's unit cost (its price year) times the
price-year factor of ``economics/costs.py``. The economic analysis draws the unit cost from its range
(``Base.cost_low`` / ``cost_high``, relative to the central value); the conversion uses the central value.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

#: Input modes of a lever, as the page lists them.
MODES = {"coverage": "Coverage", "budget": "Budget (USD)", "participants": "Participants"}
_SUFFIX = {"k": 1e3, "thousand": 1e3, "m": 1e6, "mn": 1e6, "million": 1e6, "bn": 1e9, "b": 1e9, "billion": 1e9}


class BudgetProblem(ValueError):
    """A figure typed for a lever that cannot be used; the message is shown in the page as is."""


@dataclass(frozen=True)
class Base:
    """What converting one lever needs, for one country and run size (real people, 2024 USD)."""

    kind: str
    level: str  # individual | area | national
    eligible: float  # people: eligible youths (individual), youths (area), population (national)
    unit_cost: float  # 2024 USD per participant-year | per covered youth-year | per 100,000 population-year
    unit: str  # what the unit cost is per, as the model's cost data say it
    cells: int = 0  # neighbourhoods in the model (area policies count whole cells)
    cost_low: float = 1.0  # the economic analysis's range of the unit cost, relative to the central value
    cost_high: float = 1.0
    source: str = ""

    @property
    def full_cost(self) -> float:
        """USD a year at 100% coverage (national levers: their only cost)."""
        if self.level == "national":
            return self.unit_cost * self.eligible / 1e5
        return self.unit_cost * self.eligible


@dataclass(frozen=True)
class Terms:
    """One setting of a lever in all three terms, and a message when the request had to be changed."""

    coverage: float  # 0-1
    participants: float  # people enrolled at a time (individual), youths in covered areas (area), population (national)
    budget: float  # 2024 USD a year
    message: str = ""


def _covered(base: Base, coverage: float) -> float:
    """The share the model actually covers: area policies count whole neighbourhoods."""
    if base.level == "area" and base.cells > 0:
        return round(coverage * base.cells) / base.cells
    return coverage


def from_coverage(base: Base, coverage: float) -> Terms:
    """The participants and budget of a coverage (0-1); national levers are on (1) or off (0)."""
    if not math.isfinite(coverage):
        raise BudgetProblem("Coverage must be a number from 0% to 100%.")
    cov = min(max(float(coverage), 0.0), 1.0)
    if base.level == "national":
        on = 1.0 if cov > 0 else 0.0
        return Terms(on, on * base.eligible, on * base.full_cost)
    share = _covered(base, cov)
    people = share * base.eligible
    return Terms(cov, people, people * base.unit_cost)


def _clipped(base: Base, wanted: str) -> Terms:
    full = from_coverage(base, 1.0)
    return Terms(1.0, full.participants, full.budget,
                 f"{wanted} is more than enrolling all {count(base.eligible)} {who(base)} "
                 f"(USD {money(full.budget)} a year): coverage set to 100%.")


def from_budget(base: Base, budget: float) -> Terms:
    """The coverage and participants an annual budget (2024 USD) pays for, clipped at 100% with a message."""
    if not math.isfinite(budget) or budget < 0:
        raise BudgetProblem("The budget must be a number of USD a year, 0 or more.")
    if base.level == "national":
        if budget >= base.full_cost * (1 - 1e-9):
            extra = "" if budget <= base.full_cost * 1.001 else (
                f" It acts nationwide and costs USD {money(base.full_cost)} a year; the rest of the budget is not used.")
            return Terms(1.0, base.eligible, base.full_cost, extra.strip())
        return Terms(0.0, 0.0, 0.0, f"USD {money(budget)} a year does not pay for this lever: it acts nationwide or not at "
                                    f"all and costs USD {money(base.full_cost)} a year ({unit_text(base)}); it cannot be bought in part.")
    if base.unit_cost <= 0 or base.eligible <= 0:
        raise BudgetProblem("This lever has no eligible youths or no cost in this country, so a budget cannot set it.")
    cov = budget / (base.unit_cost * base.eligible)
    if cov > 1.0 + 1e-9:
        return _clipped(base, f"USD {money(budget)} a year")
    t = from_coverage(base, cov)
    return Terms(cov, t.participants, t.budget)


def from_participants(base: Base, people: float) -> Terms:
    """The coverage and budget of a number of participants, clipped at all the eligible with a message."""
    if not math.isfinite(people) or people < 0:
        raise BudgetProblem("The number of participants must be 0 or more.")
    if base.level == "national":
        raise BudgetProblem("This lever acts nationwide: it has no number of participants to choose.")
    if base.eligible <= 0:
        raise BudgetProblem("This lever has no eligible youths in this country.")
    cov = people / base.eligible
    if cov > 1.0 + 1e-9:
        return _clipped(base, f"{count(people)} participants")
    t = from_coverage(base, cov)
    return Terms(cov, t.participants, t.budget)


def convert(base: Base, mode: str, value: float) -> Terms:
    """``mode`` (``coverage`` 0-1, ``budget`` USD a year, ``participants``) to all three terms."""
    if mode == "coverage":
        return from_coverage(base, value)
    if mode == "budget":
        return from_budget(base, value)
    if mode == "participants":
        return from_participants(base, value)
    raise BudgetProblem(f"Unknown way to set a lever: {mode!r}.")


def parse_amount(text: str, what: str = "The figure") -> float:
    """A number typed in a box: "5000000", "5,000,000", "5e6", "5 m", "2.5 bn", "USD 120k"."""
    raw = str(text).strip().lower().replace(",", "").replace("_", "").replace("$", "")
    raw = re.sub(r"^(usd|us)\s*", "", raw).strip()
    m = re.fullmatch(r"([0-9]*\.?[0-9]+(?:e[+-]?[0-9]+)?)\s*([a-z]*)", raw)
    if not m or (m.group(2) and m.group(2) not in _SUFFIX):
        raise BudgetProblem(f"{what} must be a number such as 5000000, 5 m or 2.5 bn; got '{str(text).strip()[:40]}'.")
    value = float(m.group(1)) * _SUFFIX.get(m.group(2), 1.0)
    if not math.isfinite(value):
        raise BudgetProblem(f"{what} is too large.")
    return value


# ---- words ------------------------------------------------------------------------------------------
def who(base: Base) -> str:
    return {"individual": "eligible youths", "area": "youths in the model's neighbourhoods",
            "national": "people"}[base.level]


def unit_text(base: Base) -> str:
    return f"USD {money(base.unit_cost)} {base.unit}"


def describe(base: Base, t: Terms) -> str:
    """"30% of eligible youths = 2.26 million participants = USD 1.40 bn a year" for the page."""
    if base.level == "national":
        if t.coverage <= 0:
            return "Off."
        return f"Nationwide ({count(base.eligible)} people) = USD {money(t.budget)} a year ({unit_text(base)})"
    what = "of eligible youths" if base.level == "individual" else (
        f"of neighbourhoods ({round(t.coverage * base.cells)} of {base.cells}, the most violent first)")
    people = "participants at a time" if base.level == "individual" else "youths living in covered neighbourhoods"
    return (f"{t.coverage:.1%} {what} = {count(t.participants)} {people} = USD {money(t.budget)} a year "
            f"({unit_text(base)}; the economic analysis draws it from x{base.cost_low:.2g} to x{base.cost_high:.2g})")


def money(v: float) -> str:
    """USD amounts to 3 significant figures: 612, 14,500, 4.70 m, 1.40 bn."""
    a = abs(float(v))
    for div, suffix in ((1e9, " bn"), (1e6, " m")):
        if a >= div * 0.9995:
            return f"{_sig3(v / div)}{suffix}"
    return f"{v:,.0f}" if a >= 100 else f"{v:.3g}"


def _sig3(x: float) -> str:
    """3 significant figures without exponents: 4.7, 14.5, 612, 1,000, 12,300."""
    a = abs(x)
    if a >= 1000:
        digits = int(math.floor(math.log10(a))) - 2
        return f"{round(x, -digits):,.0f}"
    return f"{x:.3g}"


def count(v: float) -> str:
    """People to 3 significant figures: 718, 7.54 million."""
    a = abs(float(v))
    if a >= 1e6 * 0.9995:
        return f"{_sig3(v / 1e6)} million"
    if a >= 1000:
        digits = int(math.floor(math.log10(a))) - 2
        return f"{round(v, -digits):,.0f}"
    return f"{v:,.0f}"
