"""A lever in budget terms (``app_logic/budget.py``, ``app_logic/eligible.py``): coverage, USD a year and
participants from one another, on the model's own numbers."""

from __future__ import annotations

import math

import pytest

from recruitsim.app_logic import budget as B
from recruitsim.app_logic import eligible
from recruitsim.economics.costs import program_costs
from recruitsim.model.policies import KINDS

MENTORING = B.Base("mentoring", "individual", 1_000_000.0, 630.0, "per participant-year", 0, 0.4, 2.5)
POLICING = B.Base("mass_policing", "area", 50_000_000.0, 40.0, "per covered youth-year", 256, 0.2, 5.0)
INTERDICTION = B.Base("interdiction", "national", 20_000_000.0, 200_000.0, "per 100,000 population-year")


@pytest.mark.parametrize("cov", [0.0, 0.05, 0.3, 0.77, 1.0])
def test_round_trip_coverage_budget_participants(cov):
    t = B.from_coverage(MENTORING, cov)
    assert t.participants == pytest.approx(cov * 1e6) and t.budget == pytest.approx(cov * 1e6 * 630)
    back = B.from_budget(MENTORING, t.budget)
    assert back.coverage == pytest.approx(cov) and not back.message
    again = B.from_participants(MENTORING, t.participants)
    assert again.coverage == pytest.approx(cov) and again.budget == pytest.approx(t.budget)


def test_a_budget_beyond_everyone_is_clipped_at_100_percent_with_a_message():
    t = B.from_budget(MENTORING, 1e12)
    assert t.coverage == 1.0 and t.participants == 1e6 and t.budget == pytest.approx(630e6)
    assert "coverage set to 100%" in t.message and "1 million eligible youths" in t.message
    p = B.from_participants(MENTORING, 3e6)
    assert p.coverage == 1.0 and "coverage set to 100%" in p.message


def test_area_policies_count_whole_neighbourhoods():
    t = B.from_budget(POLICING, 0.3 * 50e6 * 40)  # 30% of the youths' cost
    assert t.coverage == pytest.approx(0.3)
    assert t.participants == pytest.approx(round(0.3 * 256) / 256 * 50e6)  # 77 of 256 cells
    assert "77 of 256" in B.describe(POLICING, t)


def test_national_levers_are_priced_per_population_and_cannot_be_bought_in_part():
    assert INTERDICTION.full_cost == pytest.approx(200_000 * 200)  # USD per 100,000 population x 20 million / 1e5
    on = B.from_budget(INTERDICTION, 50e6)
    assert on.coverage == 1.0 and on.budget == pytest.approx(40e6) and "rest of the budget is not used" in on.message
    off = B.from_budget(INTERDICTION, 1e6)
    assert off.coverage == 0.0 and off.budget == 0.0 and "nationwide or not at all" in off.message
    assert "per 100,000 population-year" in off.message
    with pytest.raises(B.BudgetProblem, match="nationwide"):
        B.from_participants(INTERDICTION, 1000)
    assert "Nationwide (20 million people)" in B.describe(INTERDICTION, B.from_coverage(INTERDICTION, 1.0))


@pytest.mark.parametrize("text, value", [("5000000", 5e6), ("5,000,000", 5e6), ("5e6", 5e6), ("5 m", 5e6),
                                         ("2.5 bn", 2.5e9), ("USD 120k", 1.2e5), ("$3 million", 3e6)])
def test_amounts_as_people_type_them(text, value):
    assert B.parse_amount(text) == pytest.approx(value)


@pytest.mark.parametrize("text", ["", "five", "-3", "1 zillion", "nan"])
def test_bad_amounts_say_what_is_allowed(text):
    with pytest.raises(B.BudgetProblem, match="must be a number"):
        B.parse_amount(text, "The budget")


def test_negative_or_missing_figures_are_refused():
    for bad in (-1.0, math.nan, math.inf):
        with pytest.raises(B.BudgetProblem):
            B.from_budget(MENTORING, bad)
        with pytest.raises(B.BudgetProblem):
            B.from_participants(MENTORING, bad)


def test_bases_use_the_models_eligible_population_and_the_cost_data():
    b = eligible.bases("HND", 5_000)
    assert set(b) == set(KINDS)
    prices, _ = program_costs("HND")  # Honduras's unit costs: the regional ones transferred by income
    for kind, base in b.items():
        assert base.unit_cost == pytest.approx(KINDS[kind].params["unit_cost"].default * prices[kind].to_base)
        assert base.level == KINDS[kind].level
    from recruitsim.model.profiles import get_profile

    prof = get_profile("HND")
    assert b["hotline"].eligible == pytest.approx(prof.population)
    assert b["mass_policing"].eligible == pytest.approx(prof.youth_population)
    assert 0 < b["mentoring"].eligible < 0.2 * prof.youth_population  # boys 14-17 in school at risk: a small share
    # real people: about the same whatever the number of simulated youths
    assert eligible.bases("HND", 20_000)["mentoring"].eligible == pytest.approx(b["mentoring"].eligible, rel=0.15)


def test_figures_read_without_exponents():
    assert B.money(1e12) == "1,000 bn" and B.money(4.7e6) == "4.7 m" and B.money(612) == "612" and B.money(14_480) == "14,480"
    assert B.count(2.26e9) == "2,260 million" and B.count(7_538_031) == "7.54 million" and B.count(12_345) == "12,300"
