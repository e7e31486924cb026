"""Invariants of the simulator: people are conserved, probabilities stay in [0, 1], outputs are sane,
a seed reproduces a run exactly, and the model works with Mesa's own tools."""

import mesa
import numpy as np
import pandas as pd
import pytest

from recruitsim.model import (
    PARAMETERS,
    Policy,
    RecruitmentModel,
    desistance,
    home_violence,
    labour,
    policing,
    recruitment,
    schooling,
    trafficking,
    violence,
)
from recruitsim.model.outputs import COLUMNS
from recruitsim.model.params import ParameterError


def small(n=20_000, years=2, burn_in=2, seed=7, **kw) -> RecruitmentModel:
    return RecruitmentModel("LAC", n_agents=n, years=years, burn_in_years=burn_in, rng=seed, collect=False, **kw)


@pytest.fixture(scope="module")
def run():
    m = small(years=3, policies=[Policy("mentoring", settings={"coverage": 0.5}), Policy("mass_policing")])
    return m, m.run()


def test_people_and_members_are_conserved_month_by_month():
    m = small(n=10_000, years=3)
    pop = m.pop
    prev_alive = int(pop.alive.sum())
    prev_members = int((pop.group >= 0).sum())
    prev_inside = m.inmates.size
    while m.running:
        m.step()
        s = m.stats
        alive = int(pop.alive.sum())
        members = int((pop.group >= 0).sum())
        # every slot is one person (alive) or an empty place (dead, until the cohort is replaced)
        assert alive + int((~pop.alive).sum()) == m.n_agents
        # slots refilled this month = the whole cohort; those that were alive aged out
        dead_refilled = s["entrants"] - s["aged_out"]
        assert alive == prev_alive + dead_refilled - s["hom_youth"]
        # members: joined - left - killed - aged out
        killed_members = s["hom_member"]
        assert members == prev_members + s["recruits"] + s["recruits_prison"] - s["desisted"] - killed_members - s["aged_out_members"]
        # custody: admitted - released - aged out
        assert m.inmates.size == prev_inside + s["admissions"] - s["releases"] - s["aged_out_inmates"]
        assert np.all(pop.prison_left[m.inmates] > 0) and np.count_nonzero(pop.prison_left > 0) == m.inmates.size
        # the cached bookkeeping equals the state it summarises
        assert np.array_equal(pop.members(), np.flatnonzero(pop.group >= 0))
        assert np.array_equal(pop.free(), pop.alive & (pop.prison_left == 0) & (pop.trafficked_left == 0))
        assert np.array_equal(np.sort(pop.dead), np.flatnonzero(~pop.alive))
        census = pop.census.copy()
        pop.start_census(m.hoods.n)
        assert np.array_equal(census, pop.census)
        prev_alive, prev_members, prev_inside = alive, members, m.inmates.size


def test_state_is_consistent(run):
    m, _ = run
    pop = m.pop
    member = pop.group >= 0
    assert not np.any(~pop.alive & member), "the dead are not members"
    assert not np.any(pop.leader & ~member), "leaders are members"
    assert not np.any(pop.employed & pop.student()), "students are not employed"
    assert not np.any(pop.employed & (pop.prison_left > 0)), "inmates are not employed"
    assert pop.group.max() < len(m.group_list)
    ages = pop.age_years(m.t)
    assert ages.min() == 10 and ages.max() == 29


def test_outputs_are_finite_and_in_range(run):
    _, df = run
    assert set(COLUMNS) <= set(df.columns)
    for col, (kind, _) in COLUMNS.items():
        x = df[col].to_numpy(float)
        if kind == "share":
            finite = x[~np.isnan(x)]
            assert np.all((finite >= 0) & (finite <= 1)), col
            # a share is undefined only when its denominator is zero (e.g. no homicide that month)
            if np.isnan(x).any():
                assert col.endswith(("victims", "_homicides", "firearm_share")) and (df.loc[np.isnan(x), "homicides_youth"] == 0).all(), col
        else:
            assert np.all(np.isfinite(x)) and np.all(x >= 0), col
    assert (df["cost_mentoring"] > 0).all() and (df["enrolled_mentoring"] > 0).all()


HAZARDS = {
    "dropout": lambda m, c: schooling.dropout_probability(m, c),
    "recruitment": lambda m, c: recruitment.probability(m, c),
    "recruitment bound": lambda m, c: recruitment.probability(m, c, social=False),
    "homicide": lambda m, c: sum(violence._risk(m, c)),
    "arrest": lambda m, c: policing._arrest_probability(m, c, policing.intensity(m), {}),
}


@pytest.mark.parametrize("corner", ["low", "default", "high"])
def test_probabilities_stay_in_unit_interval_at_parameter_extremes(corner):
    """Every hazard is a probability by construction, even with all parameters at an end of their range."""
    skip = {"n_groups", "peer_degree", "trafficking_duration", "sibling_mean"}
    if corner == "default":
        params = {}
    else:
        params = {k: (p.low if corner == "low" else p.high) for k, p in PARAMETERS.items() if k not in skip}
        params["school_enrolled_at_10"] = max(params["school_enrolled_at_10"], params["completion_rate"])
    m = small(n=5_000, years=1, burn_in=1, params=params,
              policies=[Policy(k) for k in ("mentoring", "jobs", "mass_policing", "focused_deterrence", "hotline")])
    m.run()
    idx = np.arange(m.n_agents)
    for name, fn in HAZARDS.items():
        p = np.asarray(fn(m, idx), float)
        assert np.all(np.isfinite(p)) and p.min() >= 0 and p.max() <= 1, name
    for name, value in m.pmax.items():
        assert 0 <= value <= 1, name
    # the recruitment bound is an upper bound of the exact probability
    exact, bound = recruitment.probability(m, idx), recruitment.probability(m, idx, social=False)
    assert np.all(exact <= bound + 1e-15)
    assert home_violence.onset_rate(m.p) <= 1 and desistance.p_max(m) <= 1 and trafficking.p_max(m) <= 1
    assert labour.p_max_find(m) <= 1


def test_same_seed_same_results_and_other_seed_differs():
    a, b, c = small(n=5_000, seed=3).run(), small(n=5_000, seed=3).run(), small(n=5_000, seed=4).run()
    pd.testing.assert_frame_equal(a, b)
    assert not a["recruits"].equals(c["recruits"])


def test_a_policy_that_reaches_nobody_changes_nothing():
    """Common random numbers: switching on a policy with zero coverage leaves every other number unchanged."""
    base = small(n=8_000, seed=11).run()
    zero = small(n=8_000, seed=11, policies=[Policy("mentoring", settings={"coverage": 0.0}),
                                            Policy("jobs", settings={"coverage": 0.0})]).run()
    pd.testing.assert_frame_equal(base, zero[base.columns])


def test_mesa_integration_batch_run_and_datacollector():
    out = mesa.batch_run(RecruitmentModel, parameters={"n_agents": 2_000, "years": 1, "burn_in_years": 0},
                         rng=[1, 2], max_steps=12, number_processes=1, display_progress=False)
    df = pd.DataFrame(out)
    assert set(df["rng"]) == {1, 2} and "recruits" in df.columns
    assert len(df) == 2 * 6  # one row per group agent (agent-type reporters) per run
    m = RecruitmentModel(n_agents=2_000, years=1, burn_in_years=0, rng=1)
    m.run()
    mv = m.datacollector.get_model_vars_dataframe()
    assert len(mv) == 12 and np.allclose(mv["members"].to_numpy(), m.results()["members"].to_numpy())
    groups = m.groups_table()
    assert {"group_members", "group_cells", "group_demand"} <= set(groups.columns) and len(groups) == 12 * len(m.group_list)
    assert len(m.agents) == len(m.group_list)  # groups are Mesa agents; youths are arrays


def test_bad_arguments_raise_clear_errors():
    with pytest.raises(ParameterError, match="n_agents"):
        RecruitmentModel(n_agents=-1)
    with pytest.raises(ParameterError, match=r"recruit_or_neet.*\[1, 2.5\]"):
        RecruitmentModel(n_agents=1000, params={"recruit_or_neet": 9})
    with pytest.raises(ParameterError, match="unknown parameter 'nope'"):
        RecruitmentModel(n_agents=1000, params={"nope": 1})
    with pytest.raises(KeyError, match="unknown country"):
        RecruitmentModel("XXX", n_agents=1000)
    with pytest.raises(ParameterError, match="coverage"):
        Policy("mentoring", settings={"coverage": 2})


def test_policies_stronger_than_library_defaults_stay_exact():
    """Ceilings follow the scenario's own policies when they exceed the defaults: no event is capped."""
    strong = [Policy("mass_policing", settings={"policing": 5.0, "arrest_nonmember": 4.0, "coverage": 1.0}),
              Policy("focused_deterrence", settings={"arrest_member": 3.0, "leader_arrest": 5.0, "coverage": 1.0}),
              Policy("jobs", settings={"job_finding": 4.0, "coverage": 1.0})]
    m = small(n=5_000, years=1, burn_in=1, policies=strong)
    m.run()
    assert m.capped == {}
    # arrests are drawn per offence (no ceiling); the job-finding ceiling follows the stronger policy
    assert m.pmax["job_finding"] > small(n=5_000, years=1, burn_in=0).pmax["job_finding"]


def test_batch_run_keeps_the_national_columns():
    """mesa.batch_run merges model and group (agent-type) reporters: the national columns must survive."""
    out = pd.DataFrame(mesa.batch_run(RecruitmentModel, parameters={"n_agents": 2_000, "years": 1, "burn_in_years": 1},
                                      rng=[1, 2], max_steps=12, number_processes=1, display_progress=False))
    for seed in (1, 2):
        last = RecruitmentModel(n_agents=2_000, years=1, burn_in_years=1, rng=seed).run().iloc[-1]
        rows = out[out["rng"] == seed]
        assert len(rows) == 6  # one row per group
        for col in ("members", "leaders", "recruits", "homicides", "incarcerated"):
            assert np.allclose(rows[col].to_numpy(float), float(last[col])), col
        assert {"group_members", "group_leaders"} <= set(rows.columns)


def test_mesa_space_component_draws_the_property_layers():
    """Mesa's own SolaraViz space drawing works on the neighbourhood grid and its property layers."""
    import matplotlib

    matplotlib.use("Agg")
    from mesa.visualization.components import AgentPortrayalStyle, PropertyLayerStyle
    from mesa.visualization.mpl_space_drawing import draw_space

    m = RecruitmentModel(n_agents=2_000, years=1, burn_in_years=1, rng=1)
    ax = draw_space(m.grid, lambda a: AgentPortrayalStyle(color="black", size=20),
                    propertylayer_portrayal=lambda layer: PropertyLayerStyle(colormap="Reds", colorbar=False)
                    if layer.name == "violence" else None)
    assert len(ax.images) == 1  # the violence layer
    assert ax.images[0].get_array().shape == (m.hoods.side, m.hoods.side)
    assert sum(g.cell is not None for g in m.group_list) >= 1  # groups sit in their home cells
