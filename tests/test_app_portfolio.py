"""The best portfolio for a budget among a comparison's options (``app_logic/portfolio.py``), by the project's
risk-aware optimiser (``economics/optimise.py``)."""

from __future__ import annotations

import numpy as np
import pytest

from recruitsim.app_logic import options as O
from recruitsim.app_logic import portfolio as P
from recruitsim.app_logic import run as R
from recruitsim.app_logic import state as S


def test_options_sharing_a_lever_are_one_group():
    cat = O.catalogue()
    opts = (cat["mentoring"], cat["prevention_package"], cat["hotline"], cat["schooling"], cat["mass_policing"])
    g = P.lever_groups(opts)
    assert g["mentoring"] == g["prevention_package"] == g["schooling"]  # schooling joins through the package
    assert len({g["hotline"], g["mass_policing"], g["mentoring"]}) == 3


@pytest.fixture(scope="module")
def comparison():
    cat = O.catalogue()
    s = S.Settings("LAC", 2_000, 2, 1, 3, (cat["mentoring"], cat["prevention_package"], cat["mass_policing"]))
    *_, snap = R.run_comparison(s, use_pool=False)
    assert snap.status == "done"
    return snap.results, s


def test_the_optimiser_buys_only_clear_effects_within_the_budget(comparison):
    results, s = comparison
    grid = P._grid(results, s)
    for budget in (1e6, P.suggested_budget(results, s), 1e12):
        port = P.best(results, s, budget)
        assert port.annual_cost <= budget
        names = [p.name for p in port.picks]
        assert not {"mentoring", "prevention_package"} <= set(names)  # never the same lever twice
        for p in port.picks:  # nothing whose 10% quantile of homicides averted is at or below zero
            assert grid.set_index("name").loc[p.name, "effect_lo"] > 0
            assert p.homicides[1] == pytest.approx(grid.set_index("name").loc[p.name, "effect_lo"])
        if not port.picks:
            assert port.message.startswith("Nothing")
    unclear = grid[~(grid["effect_lo"] > 0)]
    big = P.best(results, s, 1e12)
    assert set(unclear["name"]).isdisjoint(p.name for p in big.picks)
    assert all(np.isfinite(p.annual_cost) and p.annual_cost > 0 for p in big.picks)


def test_one_replicate_is_not_enough_to_buy_anything(comparison):
    results, s = comparison
    port = P.best(results[results["replicate"] == 0], s, 1e12)
    assert not port.picks and "at least 2 finished replicates" in port.message


def test_the_portfolio_runs_as_one_package(comparison):
    results, s = comparison
    port = P.best(results, s, 1e12)
    if not port.picks:
        pytest.skip("no option with a clear effect in this small run")
    opt = P.as_package(port, s)
    assert opt.origin == "own" and sorted(opt.kinds) == sorted(k for p in port.picks for k in s.option(p.name).kinds)
    opt.scenario()  # a valid scenario
