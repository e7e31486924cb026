"""Every shipped calibrated baseline holds still: with no policy, members and homicide in year 10 are
within a band of year 1, and no group dies out (issue 11's stationarity, on the calibrated posteriors);
and the baseline (median over as many replicates of posterior draws as a comparison runs) stays within the profile's trajectory targets
in every year of the 10 (homicide and incarceration within the range the country saw in its last ten years of
data, ``calibration.trajectory``).

The band: the calibration asks members and youth homicides to change by at most 2% a year over its fit
window (``calibration.targets.STATIONARITY``); over the 9 years between year 1 and year 10 that is at
most about 20%, and the band below adds room for one run's noise.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from recruitsim.calibration import trajectory
from recruitsim.model import RecruitmentModel
from recruitsim.model.posteriors import params_for

BAND = (0.7, 1.4)
SHIPPED = sorted(p.stem for p in (Path(__file__).resolve().parents[1] / "calibration" / "posteriors").glob("*.json"))


@pytest.mark.parametrize("country", SHIPPED)
def test_calibrated_status_quo_holds_still(country, calibrated):
    # enough agents for about 60 simulated members per group (below 50 a group can die out by chance: the
    # run commands warn there), at least 50,000
    n = trajectory.baseline_agents(params_for(country, 0)["member_prevalence"])
    m = RecruitmentModel(country, n_agents=n, years=10, burn_in_years=5, rng=1, draw=0, collect=False)
    assert m.posterior_draw is not None, country
    df = m.run()
    y = df.groupby("year")[["members", "homicide_rate_expected"]].mean()
    for col in y.columns:
        ratio = y[col].iloc[-1] / y[col].iloc[0]
        assert BAND[0] < ratio < BAND[1], (country, col, round(float(ratio), 3), y[col].round(1).tolist())
    assert all(g.members > 0 for g in m.group_list), (country, [g.members for g in m.group_list])


#: Profiles measured outside their trajectory target (``python -m recruitsim.calibration.trajectory --check``,
#: docs/calibration.md), as strict expected failures with the measured figures (6 replicates, 2026-12-02). Their
#: fits stopped on budget with wide posteriors, so the median of the first draws can sit outside the decade's
#: range; a refit at 900 simulations is the fix (ARG, BRA, HTI, JAM, PRY, TTO, URY came inside that way; none is outside now). Strict: a fixed
#: profile must leave the list.
OUTSIDE: dict[str, str] = {}


def _trajectory_case(country: str):
    if country in OUTSIDE:
        return pytest.param(country, marks=pytest.mark.xfail(reason=OUTSIDE[country], strict=True))
    return country


@pytest.mark.slow
@pytest.mark.parametrize("country", [_trajectory_case(c) for c in SHIPPED])
def test_calibrated_baseline_stays_within_its_trajectory_for_10_years(country, calibrated):
    # what a comparison's baseline shows: the median over replicates, replicate r running posterior draw r
    entries = trajectory.check_baseline(country)
    for e in entries:
        assert e["within"], (country, e["name"], e["bounds"], e["simulated"])
