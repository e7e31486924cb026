"""Calibration statistics: output parameters act in closed form only; statistics are sane."""

import pytest

from recruitsim.calibration.priors import OUTPUTS
from recruitsim.calibration.simulate import STATISTICS, Settings, simulate, with_outputs

SMALL = Settings(agents=5_000, years=1, burn_in=1)


def test_output_parameters_do_not_act_on_the_simulated_state():
    # The sampler scores several values of the output parameters per simulation in closed form. That is
    # only valid if they never change the simulation: same seed, different output parameters -> the
    # closed-form statistics equal a real run's, and every state statistic is identical.
    other = {"adult_homicide_ratio": 2.7, "adult_prisoner_ratio": 0.5, "firearm_share_group": 0.6, "firearm_share_other": 0.3}
    assert set(other) == set(OUTPUTS)
    base = simulate("HND", {}, seed=11, settings=SMALL)
    real = simulate("HND", other, seed=11, settings=SMALL)
    closed = with_outputs(base, other)
    for k in STATISTICS:
        assert closed[k] == pytest.approx(real[k], rel=1e-9, abs=1e-12), k


def test_statistics_are_in_range():
    s = simulate("LAC", {}, seed=3, settings=SMALL)
    assert set(STATISTICS) <= set(s)
    assert s["homicide_rate"] > 0 and s["incarceration_rate"] > 0 and s["members"] > 0
    for k in ("male_share_victims", "group_share_homicides", "firearm_share", "neet_rate_15_24", "completion_rate_20_24"):
        assert 0 <= s[k] <= 1, k
    # the reported rate adds adult victims to youth victims by the ratio
    assert s["homicide_rate"] == pytest.approx(s["youth_homicide_rate"] * (1 + 1.4))
