"""Every shipped calibrated baseline holds still: with no policy, members and homicide in year 10 are
within a band of year 1, and no group dies out (issue 11's stationarity, on the calibrated posteriors).

The band: the calibration asks members and youth homicides to change by at most 2% a year over its fit
window (``calibration.targets.STATIONARITY``); over the 9 years between year 1 and year 10 that is at
most about 20%, and the band below adds room for one run's noise at 50,000 agents.
"""

from __future__ import annotations

import pytest

from recruitsim.model import RecruitmentModel
from recruitsim.model.posteriors import is_calibrated
from recruitsim.model.profiles import all_codes

BAND = (0.7, 1.4)
CALIBRATED = [c for c in all_codes() if is_calibrated(c)]


@pytest.mark.parametrize("country", CALIBRATED)
def test_calibrated_status_quo_is_stationary(country):
    m = RecruitmentModel(country, n_agents=50_000, years=10, burn_in_years=5, rng=1, draw=0, collect=False)
    df = m.run()
    y = df.groupby("year")[["members", "homicide_rate_expected"]].mean()
    for col in y.columns:
        ratio = y[col].iloc[-1] / y[col].iloc[0]
        assert BAND[0] < ratio < BAND[1], (country, col, round(float(ratio), 3), y[col].round(1).tolist())
    assert all(g.members > 0 for g in m.group_list), (country, [g.members for g in m.group_list])
