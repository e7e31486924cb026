"""The monetised benefit streams: which model outcome each prices, at which unit price, for whom.

``STREAMS`` maps each table column to (label, JSON key, perspective); ``"earnings"`` streams are split
between participants, taxpayers and others by the shares of ``prices.csv`` (WSIPP program 561).
``values(p, u, prison_on)`` returns, per stream, the in-window and beyond-window values of every paired
replicate (rows) at every price draw (columns of the ``u`` arrays). Signs: positive = a benefit of the
policy (outcomes averted, earnings gained, prison spending avoided).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: column -> (label, JSON key, perspective: taxpayers | participants | victims_and_others | earnings | indirect)
STREAMS: dict[str, tuple[str, str, str]] = {
    "benefit_lives": ("homicides (VSL)", "homicides_vsl", "victims_and_others"),
    "benefit_victims_violent": ("violent offences (victim costs)", "victims_violent", "victims_and_others"),
    "benefit_victims_property": ("property and extortion offences (victim costs)", "victims_property", "victims_and_others"),
    "benefit_victims_drug": ("drug-market offences (third-party harm, GUESS)", "victims_drug", "victims_and_others"),
    "benefit_justice": ("police and courts (per arrest)", "police_courts", "taxpayers"),
    "prison_cost_avoided": ("prison (marginal cost per custody-year)", "prison", "taxpayers"),
    "benefit_custody_earnings": ("earnings not lost in custody", "custody_earnings", "earnings"),
    "benefit_completion": ("secondary completion (lifetime earnings)", "completion_earnings", "earnings"),
    "benefit_employment": ("employment (earnings)", "employment_earnings", "earnings"),
    "benefit_trafficking": ("trafficking victims", "trafficking", "victims_and_others"),
    "benefit_displacement": ("displaced person-years", "displacement", "victims_and_others"),
    "benefit_deadweight": ("deadweight cost of taxes", "deadweight", "indirect"),
}
PERSPECTIVES = ("taxpayers", "participants", "victims_and_others", "indirect")
#: (averted / gained column, its beyond-window column or None, unit price key) per priced stream
PRICED = {
    "benefit_lives": [("homicides_averted", None, "vsl")],
    **{f"benefit_victims_{k}": [(f"offences_{k}_averted", f"offences_{k}_beyond_averted", f"victim_{k}")]
       for k in ("violent", "property", "drug")},
    "benefit_justice": [("arrests_averted", "arrests_beyond_averted", "per_arrest")],
    "prison_cost_avoided": [("incarceration_years_averted", "incarceration_years_beyond_averted", "prison")],
    "benefit_custody_earnings": [("incarceration_years_averted", "incarceration_years_beyond_averted", "earnings_year")],
    "benefit_completion": [("completion_years_within", "completion_years_beyond", "completion_year")],
    "benefit_employment": [("employed_years_gained", None, "wage_year")],
    "benefit_trafficking": [("trafficking_victims_averted", None, "trafficking")],
    "benefit_displacement": [("displaced_years_averted", "displaced_years_beyond_averted", "displaced_year")],
}


def _col(p: pd.DataFrame, name: str | None) -> np.ndarray:
    if name is None or name not in p:
        return np.zeros(len(p))
    return np.nan_to_num(p[name].to_numpy(float))


def values(p: pd.DataFrame, u: dict[str, np.ndarray], prison_on: float = 1.0) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per priced stream: (within-window, beyond-window) values, arrays (replicates, draws)."""
    out = {}
    for stream, parts in PRICED.items():
        w = np.zeros((len(p), len(u["vsl"])))
        b = np.zeros_like(w)
        for col, beyond, price in parts:
            w = w + _col(p, col)[:, None] * u[price][None, :]
            b = b + _col(p, beyond)[:, None] * u[price][None, :]
        if stream == "prison_cost_avoided":
            w, b = w * prison_on, b * prison_on
        out[stream] = (w, b)
    return out


def split(totals: dict[str, np.ndarray], cost: np.ndarray, deadweight: np.ndarray,
          shares: dict[str, float]) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Deadweight stream and the perspectives, from stream totals (within + beyond) and the net public cost.

    ``cost`` = programme cost - prison cost avoided (the incremental cost). Taxpayers = -cost + police and
    courts + the tax share of earnings; deadweight = -rate x (net taxpayer cost), sign included.
    """
    earn = sum(totals[s] for s, (_, _, who) in STREAMS.items() if who == "earnings" and s in totals)
    taxpayers = -cost + totals["benefit_justice"] + shares["share_taxpayers"] * earn
    dw = deadweight * taxpayers  # a net saving to taxpayers lowers the deadweight loss
    victims = sum(totals[s] for s, (_, _, who) in STREAMS.items() if who == "victims_and_others" and s in totals)
    persp = {"taxpayers": taxpayers, "participants": shares["share_participants"] * earn,
             "victims_and_others": victims + shares["share_others"] * earn, "indirect": dw}
    return {"benefit_deadweight": dw}, persp
