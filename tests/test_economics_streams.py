"""Every model outcome is priced from economics/data/prices.csv; life-course horizon; perspectives add up."""

from __future__ import annotations

import csv
from importlib import resources

import numpy as np
import pytest

from recruitsim.economics import costs, lifecourse, prices
from recruitsim.economics.cea import discount_factors, scenario_table
from recruitsim.economics.streams import PERSPECTIVES, PRICED, STREAMS

from .test_economics import MONTHS, frame

D = discount_factors(np.arange(MONTHS), 0.03).sum()


def _table():
    with resources.files("recruitsim.economics").joinpath("data", "prices.csv").open(encoding="utf-8") as f:
        return {(r["kind"], r["key"], r["scope"]): r for r in csv.DictReader(f)}


def test_price_table_rows_are_sourced_dated_and_graded():
    for r in _table().values():
        assert r["source_tag"] and r["status"] in {"READ", "DERIVED", "ASSUMPTION", "GUESS"}
        assert float(r["low"]) <= float(r["central"]) <= float(r["high"])
        if r["status"] == "GUESS":
            assert "GUESS" in r["notes"]
        if r["status"] == "READ":
            assert r["original"] and r["original"] != "none"  # the figure as read, with its price year
    # recalled, not read conversions are said so
    assert all("recalled" in r["conversion"] for r in _table().values() if "2016" in r["conversion"] or "2015" in r["conversion"])


def test_every_stream_is_priced_from_its_source_row():
    t = _table()
    a = costs.assumptions("COL")
    ref = float(t[("vsl", "transfer_reference", "USA")]["central"])
    for k in ("violent", "property", "drug"):
        assert a.components[f"victim_{k}"].central == pytest.approx(float(t[("victim_cost", k, "USA")]["central"]) * a.vsl.central / ref)
    ratio = a.prison_year.central / float(t[("prison", "average_year", "USA")]["central"])
    assert a.components["police"].central == pytest.approx(6696 * ratio)
    assert a.components["court"].central == pytest.approx(10770 * ratio)
    us = costs.assumptions("USA")
    assert us.vsl.central == pytest.approx(13398413) and us.prison_year.central == pytest.approx(59619)
    assert us.components["victim_violent"].central == pytest.approx(32619)
    assert us.components["earnings_base"].central == pytest.approx(56967)
    # every priced stream's unit price key is produced by prices.unit_values
    u = prices.unit_values({k: np.array([v]) for k, v in {"prison": 1.0, "vsl": 1.0, "deadweight": 0.5,
                                                          **{c: r.central for c, r in a.components.items()}}.items()}, a.fixed)
    assert {price for parts in PRICED.values() for _, _, price in parts} <= set(u)


def test_averted_offences_are_benefits_to_victims_at_the_unit_price():
    # 10 violent and 20 property offences fewer a month, nothing else changes
    base = {"offences_violent": 100.0, "offences_property": 200.0, "offences_drug": 50.0}
    df = frame({"baseline": base, "p": {**base, "offences_violent": 90.0, "offences_property": 180.0, "cost_jobs": 1.0}})
    t = scenario_table(df, "LAC", n_draws=50, deadweight=0).set_index("name").loc["p"]
    a = costs.assumptions("LAC")
    assert t["offences_violent_averted"] == pytest.approx(10 * D)
    assert t["benefit_victims_violent"] == pytest.approx(10 * D * a.components["victim_violent"].central)
    assert t["benefit_victims_property"] == pytest.approx(20 * D * a.components["victim_property"].central)
    assert t["benefit_victims_violent"] > 0 and t["benefit_victims_drug"] == 0
    assert t["benefit_victims_violent_lo"] < t["benefit_victims_violent"] < t["benefit_victims_violent_hi"]  # drawn per sample
    assert t["perspective_victims_and_others"] == pytest.approx(t["benefit_victims_violent"] + t["benefit_victims_property"])


def test_arrests_completions_employment_trafficking_displacement_are_priced():
    base = {"arrests": 50.0, "employed": 1000.0, "displaced_stock_people": 360.0}
    df = frame({"baseline": base, "p": {"arrests": 45.0, "employed": 1012.0, "displaced_stock_people": 324.0, "trafficked_new": 1.0,
                                        "completions": 51.0, "cost_jobs": 1.0}})
    t = scenario_table(df, "LAC", n_draws=5, life_course=False).set_index("name").loc["p"]
    c = costs.assumptions("LAC").components
    assert t["benefit_justice"] == pytest.approx(5 * D * (c["police"].central + c["case_share"].central * c["court"].central))
    assert t["benefit_employment"] == pytest.approx(D * c["earnings_base"].central)  # 12 more employed = 1 person-year a month
    assert t["benefit_trafficking"] == pytest.approx(D * 0.103 * costs.assumptions("LAC").vsl.central)
    assert t["benefit_displacement"] == pytest.approx(3 * D * c["idp_year"].central)  # 36 fewer displaced = 3 person-years a month
    assert t["benefit_completion"] > 0  # earnings inside the 2-year window of those who completed in year 1


def test_beyond_horizon_share_is_a_share_and_zero_without_the_extension():
    base = {"releases": 20.0, "desisted": 10.0, "offences_violent": 100.0, "offences_violent_member": 60.0, "youths": 10_000.0,
            "arrests": 50.0, "arrests_member": 30.0}
    df = frame({"baseline": base,
                "p": {**base, "members": 900.0, "incarcerated": 480.0, "completions": 55.0, "cost_mentoring": 1000.0}},
               replicates=2)
    on = scenario_table(df, "LAC", n_draws=20).set_index("name").loc["p"]
    assert 0.0 < on["beyond_horizon_share"] < 1.0
    assert 0.0 <= on["beyond_horizon_share_lo"] <= on["beyond_horizon_share_hi"] <= 1.0
    assert on["benefit_completion_beyond"] > 0 and on["prison_cost_avoided_beyond"] > 0
    assert on["benefit_victims_violent_beyond"] > 0  # fewer members at the end: careers carried past the window
    off = scenario_table(df, "LAC", n_draws=20, life_course=False).set_index("name").loc["p"]
    assert off["beyond_horizon_share"] == 0.0
    assert all(off[f"{s}_beyond"] == 0.0 for s in PRICED)
    assert off["benefit_completion"] < on["benefit_completion"]


def test_completers_earnings_are_carried_to_the_stated_age():
    within, beyond = lifecourse.earnings_factors(24, 0.0, 0.0, 46)
    assert within[0] == 1 and beyond[0] == 45  # completed in month 0: one payment inside the 2-year window
    assert np.all(within + beyond == 46)
    assert lifecourse.carried_years(12.0, 1.0, 24, 0.0) == pytest.approx(1.0)  # all leave after their first month


def test_perspectives_sum_to_the_net_benefit_and_cover_four_groups():
    base = {"arrests": 50.0, "employed": 1000.0, "offences_property": 200.0}
    df = frame({"baseline": base, "p": {"arrests": 40.0, "employed": 1010.0, "offences_property": 150.0, "incarcerated": 490.0,
                                        "homicides": 9.5, "homicides_male": 8.6, "completions": 52.0, "cost_schooling": 4000.0}},
               replicates=3, noise={"homicides": 0.2})
    t = scenario_table(df, "CHL", n_draws=30).set_index("name").loc["p"]
    parts = [t[f"perspective_{w}"] for w in PERSPECTIVES]
    assert sum(parts) == pytest.approx(t["net_benefit"])
    assert t["perspective_participants"] > 0 and t["perspective_taxpayers"] != 0
    assert t["benefits"] == pytest.approx(sum(t[c] for c in STREAMS if c != "prison_cost_avoided"))
