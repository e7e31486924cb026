"""Life-course horizon: outcomes that continue past the simulated window, carried forward WSIPP-style.

Four things the window cuts off are carried to a stated end, discounted to month 0 at the run's rate:

* **earnings of completers**: a secondary completion in month ``m`` raises earnings from the year after
  completion for ``working_years`` years (to age 64, the stated age, for a completion at about 18),
  growing at ``growth`` a year; the years inside the window and those after it are kept apart;
* **custody still to serve**: youths in custody at the end of the window stay at the run's own release
  rate (releases / youths in custody over its last 12 months), for at most ``CARRY_YEARS``;
* **careers**: members at the end of the window stay members at the run's own exit rate (desistance,
  ageing out at 30 and deaths over its last 12 months), so careers end by the model's upper age of about
  30; each member-year carries the excess offending and arrests of members over non-members of the
  same run's last 12 months;
* **displacement still running**: people living displaced at the end of the window go home at the
  run's own monthly return rate (people returned / people displaced the month before, over the whole
  run: the model's ``displacement_return``, constant within a run), so a person displaced at the end
  stays about ``1 / (12 x rate)`` more years (``displaced_years_left``; at most ``CARRY_YEARS``). Where
  the results lack ``returned_people`` the parameter's default is used (``default_return``).

With the horizon extension off (``life_course=False``) only the in-window part is counted and every
``*_beyond`` total is zero.
"""

from __future__ import annotations

import numpy as np

LIFE_COURSE_AGE = 64  # stated age to which completers' earnings are carried
CARRY_YEARS = 35  # cap on custody and careers carried past the window (they end at the exit rates)
OFFENCE_KINDS = ("violent", "property", "drug")


def earnings_factors(n_months: int, rate: float, growth: float, years: float) -> tuple[np.ndarray, np.ndarray]:
    """Per completion month ``m`` in ``0..n_months-1``: discounted, growth-weighted years of an earnings gain
    (1 per year at the start) inside the window and after it. Annual payments at ``m + 12 j``, ``j = 1..years``."""
    j = np.arange(1, int(years) + 1)
    m = np.arange(n_months)[:, None]
    when = m + 12 * j[None, :]
    value = (1.0 + growth) ** (j[None, :] - 1) * (1.0 + rate) ** (-when / 12.0)
    inside = when < n_months
    return (value * inside).sum(axis=1), (value * ~inside).sum(axis=1)


def carried_years(stock_end: float, hazard: float, n_months: int, rate: float) -> float:
    """Discounted person-years after the window of a stock leaving at monthly ``hazard`` (to month 0)."""
    if stock_end <= 0:
        return 0.0
    v = (1.0 + rate) ** (-1.0 / 12.0)
    x = (1.0 - min(max(hazard, 0.0), 1.0)) * v
    k = 12 * CARRY_YEARS
    annuity = (1.0 - x**k) / (1.0 - x) if x < 1.0 else float(k)
    return float(stock_end * v**n_months * annuity / 12.0)


def _last_year(g, col: str) -> float:
    return float(g[col].tail(12).mean()) if col in g else 0.0


def default_return() -> float:
    """The model's default ``displacement_return`` (0.02 a month, range 0.005-0.06; docs/parameters.md)."""
    from recruitsim.model.params import PARAMETERS  # here, so that importing the economics does not load the model

    return PARAMETERS["displacement_return"].default


def return_rate(g) -> float:
    """The run's monthly return rate of the displaced: people returned / people displaced at the end of the
    month before, over the whole run; ``default_return()`` without ``returned_people`` or anyone displaced."""
    if not {"returned_people", "displaced_stock_people"} <= set(g):
        return default_return()
    exposed = float(g["displaced_stock_people"].iloc[:-1].sum())
    return float(g["returned_people"].iloc[1:].sum()) / exposed if exposed > 0 else default_return()


def displaced_years_left(g, n_months: int, rate: float) -> dict[str, float]:
    """People displaced at the end of the run and each one's discounted person-years displaced after it."""
    if "displaced_stock_people" not in g:
        return {}
    return {"displaced_stock_end": float(g["displaced_stock_people"].iloc[-1]),
            "displaced_years_left": carried_years(1.0, return_rate(g), n_months, rate)}


def run_beyond(g, n_months: int, rate: float) -> dict[str, float]:
    """One run's (one scenario x replicate, sorted by month) totals carried past the window."""
    out: dict[str, float] = displaced_years_left(g, n_months, rate)
    inc = _last_year(g, "incarcerated")
    if {"incarcerated", "releases"} <= set(g):  # without the exit rate there is nothing to carry
        h = _last_year(g, "releases") / inc if inc > 0 else 1.0
        out["incarcerated_years_beyond"] = carried_years(float(g["incarcerated"].iloc[-1]), h, n_months, rate)
    mem = _last_year(g, "members")
    if not {"members", "desisted"} <= set(g) or mem <= 0:
        return out
    leave = sum(_last_year(g, c) for c in ("desisted", "aged_out_members", "homicides_member"))
    years = carried_years(float(g["members"].iloc[-1]), leave / mem, n_months, rate)
    non = max(_last_year(g, "youths") - mem, 1.0)
    for k in OFFENCE_KINDS:
        if f"offences_{k}_member" in g:
            m_rate = 12 * _last_year(g, f"offences_{k}_member") / mem
            n_rate = 12 * (_last_year(g, f"offences_{k}") - _last_year(g, f"offences_{k}_member")) / non
            out[f"offences_{k}_beyond"] = years * max(m_rate - n_rate, 0.0)
    if "arrests_member" in g:
        m_rate = 12 * _last_year(g, "arrests_member") / mem
        n_rate = 12 * (_last_year(g, "arrests") - _last_year(g, "arrests_member")) / non
        out["arrests_beyond"] = years * max(m_rate - n_rate, 0.0)
    return out
