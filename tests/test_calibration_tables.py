"""docs/calibration.md shows exactly what ``calibration.tables`` prints from the shipped files."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from recruitsim.calibration import tables

DOC = Path(__file__).resolve().parent.parent / "docs" / "calibration.md"


@pytest.mark.parametrize("name", sorted(tables.TABLES))
def test_the_doc_shows_what_the_module_prints(name):
    doc = DOC.read_text(encoding="utf-8")
    generated = tables.TABLES[name]()
    start = doc.find(generated.splitlines()[0])
    assert start >= 0, f"docs/calibration.md has no '{name}' table"
    shown = doc[start:start + len(generated)]
    assert shown == generated, f"docs/calibration.md is stale: paste `python -m recruitsim.calibration.tables {name}`"
    assert f"    python -m recruitsim.calibration.tables {name}" in doc


def test_the_command_prints_a_table_and_refuses_an_unknown_one(capsys):
    assert tables.main(["targets"]) == 0
    assert capsys.readouterr().out == tables.targets() + "\n"
    assert tables.main(["nonsense"]) == 2
    assert "usage" in capsys.readouterr().err


def _record(code: str, **fields) -> dict:
    return {"profile": code, "ess": 50.0, "simulations": 250, "stop_reason": "budget", **fields}


def test_target_row_formats_counts_ratios_and_misses():
    meta = _record("XYZ", targets=[{"name": "a", "covered": True, "kind": "observed"},
                                   {"name": "b", "covered": False, "kind": "observed"},
                                   {"name": "c", "covered": False, "kind": "stationarity"}],
                   predictions={"members": {"low": 245300.0, "high": 1506000.0}, "recruits_per_year": {"low": 27.6, "high": 554.1}},
                   identification={"p": 0.2, "q": 0.652, "r": 0.9})
    assert tables.target_row(meta) == "| XYZ | 1/3 (not: b, c) | 245,300-1,506,000 (6.1x) | 28-554 | 250 | 50.0 | budget | 0.65 |"
    assert tables.targets_summary([meta]) == ("**1 of 3 targets are covered; of the 2 observed "
                                              "(not fallback, not stationarity) targets, 1.**")


def test_records_put_the_region_first(tmp_path):
    for code in ("MEX", "LAC", "ARG"):
        (tmp_path / f"{code}.json").write_text(json.dumps({"profile": code}), encoding="utf-8")
    assert [m["profile"] for m in tables.records(tmp_path)] == ["LAC", "ARG", "MEX"]


def test_benchmarks_centre_the_split_width_on_the_fit_window():
    window = tables.fit_window("SLV", "homicide_rate", 2019)
    assert window is not None and window[0] < window[1]
    entry = {"name": "homicide_rate", "year": 2024, "observed": 1.9, "low": 10.0, "high": 40.0, "covered": False}
    persistence, own = tables.benchmark_intervals(_record("SLV", until=2019), entry)
    assert own == window
    assert persistence[1] / persistence[0] == pytest.approx(4.0)
    assert persistence[0] * persistence[1] == pytest.approx(window[0] * window[1])
    from recruitsim.calibration import validation

    scored = tables.scores([_record("SLV", until=2019, out_of_sample=validation.with_forecasts("SLV", 2019, [entry]))])
    assert scored["persistence"]["covered"] == 0 and scored["fit window's range"]["covered"] == 0
    assert all(s["observations"] == 1 for s in scored.values())


def test_a_series_without_figures_in_the_window_covers_nothing():
    entry = {"name": "homicide_rate", "year": 2020, "observed": 5.0, "low": 1.0, "high": 10.0, "covered": True}
    assert tables.benchmark_intervals(_record("XYZ", until=2019), entry) == (None, None)


def test_the_volatility_uses_only_the_years_before_the_split(monkeypatch):
    from recruitsim.calibration import validation

    sigma = validation.drift_sigma("HND", "homicide_rate", 2019)
    assert sigma is not None and 0.01 < sigma < 1.0
    rows = validation.series("homicide_rate")["HND"]
    assert any(y > 2019 for y, _, _ in rows)
    # the series cut at 2019, and the later years replaced by nonsense: the same volatility and last level
    cut = {"HND": [r for r in rows if r[0] <= 2019] + [(2022, 1e6, "X"), (2023, 1e-6, "X")]}
    before = validation.last_level("HND", "homicide_rate", 2019), validation.random_walk_interval("HND", "homicide_rate", 2019, 2022)
    monkeypatch.setattr(validation, "series", lambda name: cut)
    assert validation.drift_sigma("HND", "homicide_rate", 2019) == sigma
    assert (validation.last_level("HND", "homicide_rate", 2019),
            validation.random_walk_interval("HND", "homicide_rate", 2019, 2022)) == before
    assert validation.drift_sigma("HND", "homicide_rate", 1990) is None  # no history before the series


def test_the_forecast_interval_adds_log_variances():
    from recruitsim.calibration import validation

    z = validation.DRIFT_Z
    assert validation.forecast_interval((10.0, 40.0), 0.0, 5) == pytest.approx((10.0, 40.0))
    # a 90% interval 10-40 has log sd ln(4) / (2 z); with sigma 0.2 over 4 years the log sd is the root sum of squares
    sd = math.hypot(math.log(4) / (2 * z), 0.2 * 2)
    lo, hi = validation.forecast_interval((10.0, 40.0), 0.2, 4)
    assert (lo, hi) == pytest.approx((20 * math.exp(-z * sd), 20 * math.exp(z * sd)))
    one, five = validation.forecast_interval((10.0, 40.0), 0.2, 1), validation.forecast_interval((10.0, 40.0), 0.2, 5)
    assert five[0] < one[0] < 10.0 and 40.0 < one[1] < five[1]
    # a random walk from the last level: centred on it, widening as sqrt(years)
    last = validation.last_level("HND", "homicide_rate", 2019)
    sigma = validation.drift_sigma("HND", "homicide_rate", 2019)
    rw = validation.random_walk_interval("HND", "homicide_rate", 2019, 2023)
    assert last[0] == 2019 and math.sqrt(rw[0] * rw[1]) == pytest.approx(last[1])
    assert math.log(rw[1] / rw[0]) == pytest.approx(2 * z * sigma * math.sqrt(4))


def test_the_interval_score_charges_width_and_twenty_times_a_miss():
    from recruitsim.calibration import validation

    e = math.e
    assert validation.interval_score((1.0, e), (2.0, 2.0)) == pytest.approx(1.0)  # inside: the log width
    assert validation.interval_score((1.0, e), (e ** 2, e ** 3)) == pytest.approx(1.0 + 20 * 1.0)  # above by 1 in log
    assert validation.interval_score((1.0, e), (e ** -0.5, 0.9)) == pytest.approx(1.0 + 20 * math.log(1 / 0.9))
    assert validation.interval_score((1.0, e), (0.5, 5.0)) == pytest.approx(1.0)  # a range of sources that overlaps
    # proper in expectation: for log-normal outcomes the true 90% interval beats one half or twice as wide
    rng = np.random.default_rng(1)
    y = np.exp(rng.normal(0.0, 1.0, 20_000))
    def mean_score(half):
        return np.mean([validation.interval_score((math.exp(-half), math.exp(half)), (v, v)) for v in y])
    true = mean_score(validation.DRIFT_Z)
    assert true < mean_score(validation.DRIFT_Z / 2) and true < mean_score(validation.DRIFT_Z * 2)


def test_the_shipped_forecasts_widen_the_predictive_intervals_and_score_every_forecast():
    from recruitsim.calibration import validation

    metas = [{**m, "out_of_sample": validation.shipped_entries(m)} for m in tables.records(tables.VALIDATION)]
    entries = [e for m in metas for e in m["out_of_sample"]]
    assert all(e["forecast"]["low"] <= e["low"] * 1.001 and e["forecast"]["high"] >= e["high"] * 0.999 for e in entries)
    assert sum(e["covered"] for e in entries) <= sum(e["forecast"]["covered"] for e in entries)
    scored = tables.scores(metas)
    assert set(scored) == set(tables.FORECASTS)
    assert all(s["observations"] == len(entries) and s["scored"] > 0 for s in scored.values())
    plain, widened = scored[tables.FORECASTS[0]], scored[tables.FORECASTS[1]]
    assert plain["covered"] == sum(e["covered"] for e in entries)
    assert widened["covered"] == sum(e["forecast"]["covered"] for e in entries)
