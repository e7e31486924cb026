"""The model's own numbers behind a lever's budget terms: eligible people, unit cost, for a country and run size.

A model of the country is built without burn-in (about 0.1 s for 20,000 simulated youths) and each individual
programme's eligibility rule (``Policy.eligible``: ages, school, poverty, home violence, NEET, group presence) is
counted over its population; times the agents' scale (the country's population aged 10-29 / simulated youths) that
is real people at the start of the run. Unit costs are the model's (``model/policies.py``, the evidence median in
its price year) brought to 2024 USD and transferred to the country by income with the factor and range of
``economics/costs.py`` (``program_costs(country)``), as the economic analysis prices them.
"""

from __future__ import annotations

import logging
from functools import lru_cache

import numpy as np

from recruitsim.economics.costs import program_costs
from recruitsim.model.policies import KINDS, Policy

from .budget import Base

log = logging.getLogger("recruitsim.app")


def bases_or_empty(country: str, agents: int) -> dict[str, Base]:
    """:func:`bases`, or nothing (the page then shows coverage only) when the country or size cannot be built."""
    try:
        return bases(country, agents)
    except Exception:  # an unknown country from a link, a broken profile: the editor must still work
        log.exception("budget terms for %s, %s agents", country, agents)
        return {}


@lru_cache(maxsize=16)
def bases(country: str, agents: int, seed: int = 1) -> dict[str, Base]:
    """Every lever's :class:`Base` for ``country`` with ``agents`` simulated youths (cached)."""
    from recruitsim.model import RecruitmentModel

    model = RecruitmentModel(country, n_agents=int(agents), years=1, burn_in_years=0, rng=seed, collect=False)
    prices, _ = program_costs(country)  # the regional unit cost transferred to the country by income
    out = {}
    for kind, spec in KINDS.items():
        price = prices.get(kind)
        factor = price.to_base if price else 1.0
        unit = float(spec.params["unit_cost"].default) * factor
        low, high = (price.multiplier.low, price.multiplier.high) if price else (1.0, 1.0)
        src = price.source if price else spec.params["unit_cost"].source
        what = spec.params["unit_cost"].unit.replace("USD ", "")
        out[kind] = Base(kind, spec.level, _eligible(model, kind), unit, what, model.hoods.n, low, high, src)
    return out


def _eligible(model, kind: str) -> float:
    """Real people the lever can reach: its eligible youths, every youth (area) or the population (national)."""
    level = KINDS[kind].level
    if level == "national":
        return float(model.population)
    if level == "area":
        return float(model.hood_youths.sum() * model.scale)
    policy = Policy(kind)
    policy.attach(model)
    lo, hi = KINDS[kind].ages
    idx = np.concatenate([np.arange(s.start, s.stop) for s in model.pop.age_slices(model.t, lo, hi)])
    return float(policy.eligible(model, idx).sum() * model.scale)
