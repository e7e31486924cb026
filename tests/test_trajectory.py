"""Trajectory targets: each band spans the country's last ten years of every source and its own calibration
target, and a run is within it only if every year is (the 10-year baseline check itself runs in
``tests/test_calibrated_baselines.py``)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from recruitsim.calibration import targets as targets_mod
from recruitsim.calibration import trajectory, validation
from recruitsim.model.profiles import all_codes


@pytest.mark.parametrize("code", ["SLV", "HND", "MEX", "LAC", "HTI"])
def test_band_spans_the_decade_of_every_source_and_the_target(code):
    for band in trajectory.bands(code):
        rows = validation.series(band.name)[code]
        last = max(y for y, _, _ in rows)
        window = [v for y, v, _ in rows if y > last - trajectory.HORIZON]
        assert band.last == last and band.last - band.first < trajectory.HORIZON
        assert band.low <= min(window) and band.high >= max(window)
        target = next(t for t in targets_mod.for_profile(code) if t.name == band.name)
        assert band.low <= target.low and band.high >= target.high
        lo, hi = band.bounds
        assert math.isclose(lo, band.low * math.exp(-target.tolerance)) and hi > band.high
    # El Salvador's decade: from over 100 homicides per 100,000 to about 2
    if code == "SLV":
        hom = next(b for b in trajectory.bands(code) if b.name == "homicide_rate")
        assert hom.low < 3 and hom.high > 100


def test_every_profile_has_a_homicide_band():
    for code in all_codes():
        assert any(b.name == "homicide_rate" for b in trajectory.bands(code)), code


def _frame(homicide: list[float], prisons: list[float]) -> pd.DataFrame:
    years = [y for y in range(1, len(homicide) + 1) for _ in range(12)]
    return pd.DataFrame({"year": years, "homicide_rate_expected": [h for h in homicide for _ in range(12)],
                         "incarceration_rate": [p for p in prisons for _ in range(12)]})


def test_check_fails_a_run_that_drifts_out_in_one_year():
    hom, inc = (next(b for b in trajectory.bands("MEX") if b.name == n) for n in ("homicide_rate", "incarceration_rate"))
    mid_h, mid_i = (hom.low + hom.high) / 2, (inc.low + inc.high) / 2
    ok = trajectory.check("MEX", trajectory.yearly(_frame([mid_h] * 10, [mid_i] * 10)))
    assert [e["within"] for e in ok] == [True, True] and len(ok[0]["simulated"]) == 10
    drift = [mid_h] * 9 + [hom.bounds[1] * 1.01]
    bad = {e["name"]: e["within"] for e in trajectory.check("MEX", trajectory.yearly(_frame(drift, [mid_i] * 10)))}
    assert bad == {"homicide_rate": False, "incarceration_rate": True}


def test_the_check_runs_as_many_replicates_as_a_comparison():
    from recruitsim.economics.compare import DEFAULT_REPLICATES

    assert trajectory.REPLICATES == DEFAULT_REPLICATES


def test_summary_table_counts_profiles_and_bands_within():
    def entry(name, sim, within):
        return {"name": name, "bounds": [10.0, 20.0], "simulated": sim, "within": within}

    results = {"AAA": [entry("homicide_rate", [12.0, 14.0], True), entry("incarceration_rate", [25.0, 19.0], False)],
               "BBB": [entry("homicide_rate", [11.0, 11.5], True)]}
    text = trajectory.summary_table(results)
    assert "| AAA | 10-20 | 12-14 | 1.17 | yes | 10-20 | 19-25 | 0.76 | **no** |" in text  # year 10 over year 1
    assert "| BBB | 10-20 | 11-11.5 | 1.05 | yes | - | - | - | - |" in text
    assert text.splitlines()[1].count("---") == text.splitlines()[0].count("|") - 1
    assert text.endswith("1 of 2 profiles within both bands; 2 of 3 bands; outside: AAA")
