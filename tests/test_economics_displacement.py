"""Displacement is priced per displaced person-year the model simulates: the stock ``displaced_stock_people``
summed over months / 12, discounted, plus the spells still running at the end of the window at the run's
own return rate (``economics.lifecourse``), x the IDMC cost per displaced person-year."""

from __future__ import annotations

import numpy as np
import pytest

from recruitsim.economics import cea, costs, lifecourse, prices
from recruitsim.economics.cea import analyse, discount_factors, scenario_table

from .test_economics import MONTHS, frame

D = discount_factors(np.arange(MONTHS), 0.03).sum()
IDP = costs.assumptions("LAC").components["idp_year"].central
H = 0.02  # the model's default displacement_return (per month)


def _by_hand_tail(people: float, h: float, months: int, rate: float) -> float:
    """Discounted person-years after the window of ``people`` displaced at its end, leaving at ``h`` a month."""
    v = (1.0 + rate) ** (-1.0 / 12.0)
    k = np.arange(12 * lifecourse.CARRY_YEARS)
    return people * v**months * float(np.sum(((1.0 - h) * v) ** k)) / 12.0


def _frame(base_stock: float, stock, h: float = H, scenario_h: float | None = None, **kw):
    """Baseline and scenario 'p' with displaced stocks and the returns a monthly rate ``h`` gives."""
    stock = np.broadcast_to(np.asarray(stock, float), (MONTHS,))
    rh = h if scenario_h is None else scenario_h
    return frame({"baseline": {"displaced_stock_people": base_stock, "returned_people": h * base_stock},
                  "p": {"displaced_stock_people": stock, "returned_people": rh * np.r_[base_stock, stock[:-1]],
                        "cost_jobs": 1.0}}, **kw)


def test_benefit_is_the_cost_per_person_year_times_discounted_person_years_averted_plus_the_tail():
    # 60 fewer people displaced every month: 5 person-years a month inside the window
    t = scenario_table(_frame(1200.0, 1140.0), "LAC", n_draws=5, deadweight=0).set_index("name").loc["p"]
    tail = _by_hand_tail(60.0, H, MONTHS, 0.03)
    assert t["displaced_years_averted"] == pytest.approx(5 * D)
    assert t["displaced_years_beyond_averted"] == pytest.approx(tail)
    assert t["benefit_displacement"] == pytest.approx(IDP * (5 * D + tail))
    assert t["benefit_displacement_beyond"] == pytest.approx(IDP * tail)
    # undiscounted, the tail is the averted end stock x 1 / (12 x rate) years (cut at CARRY_YEARS)
    t0 = scenario_table(_frame(1200.0, 1140.0), "LAC", discount=0.0, n_draws=1).set_index("name").loc["p"]
    expected = 60.0 / (12 * H) * (1 - (1 - H) ** (12 * lifecourse.CARRY_YEARS))
    assert t0["displaced_years_beyond_averted"] == pytest.approx(expected)
    assert t0["displaced_years_averted"] == pytest.approx(5 * MONTHS)


def test_the_tail_follows_the_runs_return_rate_measured_in_the_pairs_baseline():
    slow = scenario_table(_frame(1200.0, 1140.0, h=0.01), "LAC", discount=0.0, n_draws=1).set_index("name").loc["p"]
    assert slow["displaced_years_beyond_averted"] == pytest.approx(_by_hand_tail(60.0, 0.01, MONTHS, 0.0))
    # the scenario run's own (noisy) returns do not change the rate: one rate per pair
    noisy = scenario_table(_frame(1200.0, 1140.0, scenario_h=0.05), "LAC", n_draws=1).set_index("name").loc["p"]
    assert noisy["displaced_years_beyond_averted"] == pytest.approx(_by_hand_tail(60.0, H, MONTHS, 0.03))


def test_without_returns_in_the_results_the_default_rate_is_used_and_said():
    df = _frame(1200.0, 1140.0).drop(columns="returned_people")
    a = analyse(df, "LAC", n_draws=1, details=False)
    p = a.table.set_index("name").loc["p"]
    assert p["displaced_years_beyond_averted"] == pytest.approx(_by_hand_tail(60.0, lifecourse.default_return(), MONTHS, 0.03))
    assert any("returned_people" in n for n in a.notes)


def test_fewer_displaced_months_is_a_positive_benefit_and_no_tail_when_the_end_stock_is_the_same():
    stock = np.full(MONTHS, 1200.0)
    stock[3:9] = 0.0  # 1,200 people spend six months fewer displaced, then are displaced again
    t = scenario_table(_frame(1200.0, stock), "LAC", n_draws=20).set_index("name").loc["p"]
    years = (1200.0 / 12 * discount_factors(np.arange(3, 9), 0.03)).sum()
    assert t["displaced_years_averted"] == pytest.approx(years)
    assert t["displaced_years_beyond_averted"] == pytest.approx(0.0)
    assert t["benefit_displacement"] == pytest.approx(IDP * years) and t["benefit_displacement"] > 0
    assert t["benefit_displacement_lo"] > 0  # the whole IDMC range (223-577) is a benefit
    off = scenario_table(_frame(1200.0, 1140.0), "LAC", n_draws=1, life_course=False).set_index("name").loc["p"]
    assert off["displaced_years_beyond_averted"] == 0 and off["benefit_displacement"] == pytest.approx(IDP * 5 * D)


def test_new_displacements_are_shown_but_not_priced():
    df = frame({"baseline": {"displaced_people": 30.0}, "p": {"displaced_people": 27.0, "cost_jobs": 1.0}})
    t = scenario_table(df, "LAC", n_draws=1).set_index("name").loc["p"]
    assert t["displaced_people_averted"] == pytest.approx(3 * D)
    assert t["benefit_displacement"] == 0.0


def test_years_displaced_guess_is_gone():
    a = costs.assumptions("LAC")
    assert "years_displaced" not in a.components and "years_displaced" not in prices.COMPONENTS
    assert not any(key == "years_displaced" for _, key, _ in prices.price_rows())
    assert not any("years_displaced" in text for text in cea.COLUMN_HELP.values())
    assert "GUESS" not in cea.COLUMN_HELP["benefit_displacement"]
    assert all("years_displaced" not in keys for keys in cea.SENSITIVITY_GROUPS.values())
    assert not any("stays displaced" in item for item, _, _ in a.describe())
    t = scenario_table(_frame(1200.0, 1140.0), "LAC", n_draws=1)
    assert not [c for c in t.columns if "years_displaced" in c]
    for col in ("displaced_years_averted", "displaced_years_beyond_averted", "benefit_displacement"):
        assert col in t.columns and col in cea.COLUMN_HELP
    assert "person-year" in cea.COLUMN_HELP["benefit_displacement"]
