"""Out-of-sample validation: the split's targets use only data up to the split, the held-out
observations only data after it, and a split calibration reports them against its predictive interval."""

from __future__ import annotations

import json
import subprocess
import sys

from recruitsim.calibration import targets as targets_mod
from recruitsim.calibration import validation


def test_split_targets_use_only_years_up_to_the_split():
    for code in ("HND", "SLV", "LAC", "MEX"):
        full = {t.name: t for t in targets_mod.for_profile(code)}
        split = {t.name: t for t in validation.split_targets(code, 2019)}
        assert set(split) == set(full)  # same targets, homicide and incarceration re-dated
        rows = validation._window(code, "homicide_rate", 2015, 2019)
        assert rows and all(2015 <= y <= 2019 for y, _, _ in rows)
        assert split["homicide_rate"].low == min(v for _, v, _ in rows)
        assert split["homicide_rate"].high == max(v for _, v, _ in rows)


def test_held_out_observations_are_after_the_split_and_ranges_of_sources():
    held = validation.held_out("SLV", 2019)
    assert held and all(e["year"] > 2019 and e["low"] <= e["high"] for e in held)
    # El Salvador's homicide rate fell after 2019: the held-out years are far below the fitted range
    fit = next(t for t in validation.split_targets("SLV", 2019) if t.name == "homicide_rate")
    assert max(e["high"] for e in held if e["name"] == "homicide_rate") < fit.low


def test_out_of_sample_covers_exactly_the_overlapping_observations():
    import pandas as pd

    pp = pd.DataFrame({"homicide_rate": [20.0, 22.0, 24.0] * 10, "incarceration_rate": [560.0] * 30})
    entries = validation.out_of_sample("SLV", 2019, pp)
    by = {(e["name"], e["year"]): e["covered"] for e in entries}
    assert by[("homicide_rate", 2020)] is True  # 21.5 inside 20-24
    assert by[("homicide_rate", 2022)] is False  # 7.9
    assert validation.coverage(entries)["observations"] == len(entries)
    # the forecast interval adds El Salvador's pre-2020 volatility: wider with every year after the split
    hom = [e for e in entries if e["name"] == "homicide_rate"]
    assert all(e["forecast"]["low"] < e["low"] and e["forecast"]["high"] > e["high"] for e in hom)
    widths = [e["forecast"]["high"] / e["forecast"]["low"] for e in hom]
    assert widths == sorted(widths) and widths[0] < widths[-1]
    assert validation.coverage(entries, "forecast")["covered"] >= validation.coverage(entries)["covered"]


def test_split_calibration_end_to_end_small(tmp_path):
    r = subprocess.run([sys.executable, "-m", "recruitsim", "calibrate", "--country", "HND", "--until", "2019",
                        "--budget", "24", "--particles", "8", "--predictive", "4", "--agents", "5000", "--years", "1",
                        "--burn-in", "1", "--workers", "1", "--out", str(tmp_path), "--json", "--quiet", "--no-report"],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["until"] == 2019 and out["out_of_sample"]
    assert all(e["year"] > 2019 and isinstance(e["covered"], bool) for e in out["out_of_sample"])
    hom = next(t for t in out["targets"] if t["name"] == "homicide_rate")
    assert "OWID_UNODC_2025" in hom["source"]
    meta = json.loads((tmp_path / "posteriors" / "HND.json").read_text())
    assert meta["until"] == 2019 and meta["out_of_sample_coverage"]["observations"] == len(out["out_of_sample"])


def test_every_series_row_is_sourced():
    import re
    from pathlib import Path

    known = set(re.findall(r"^\| ([A-Z0-9_]+) \|", (Path(__file__).parents[1] / "model" / "data" / "SOURCES.md").read_text(), re.M))
    for name in validation.SERIES:
        for code, rows in validation.series(name).items():
            for year, value, tag in rows:
                assert tag in known, (name, code, year, tag)
                assert value > 0 and 2000 <= year <= 2025
