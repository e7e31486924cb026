"""docs/calibration.md shows exactly what ``calibration.tables`` prints from the shipped files."""

from __future__ import annotations

import json
from pathlib import Path

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
    assert tables.benchmarks([_record("SLV", until=2019, out_of_sample=[entry])]) == {
        "observations": 1, "persistence": 0, "fit_window": 0}


def test_a_series_without_figures_in_the_window_covers_nothing():
    entry = {"name": "homicide_rate", "year": 2020, "observed": 5.0, "low": 1.0, "high": 10.0, "covered": True}
    assert tables.benchmark_intervals(_record("XYZ", until=2019), entry) == (None, None)


def test_drift_widens_with_the_horizon_and_only_uses_the_years_before_the_split():
    from recruitsim.calibration import validation

    sigma = validation.drift_sigma("HND", "homicide_rate", 2019)
    assert sigma is not None and 0.01 < sigma < 1.0
    # the volatility up to 2019 ignores every later figure: the same with the series cut at 2019
    rows = validation.series("homicide_rate")["HND"]
    assert any(y > 2019 for y, _, _ in rows)
    assert validation.drift_sigma("HND", "homicide_rate", 2019) == sigma
    one, five = validation.with_drift((10.0, 20.0), sigma, 1), validation.with_drift((10.0, 20.0), sigma, 5)
    assert five[0] < one[0] < 10.0 and 20.0 < one[1] < five[1]
    assert validation.with_drift((10.0, 20.0), 0.0, 5) == (10.0, 20.0)
    assert validation.drift_sigma("HND", "homicide_rate", 1990) is None  # no history before the series


def test_widening_can_only_add_coverage():
    metas = tables.records(tables.VALIDATION)
    d = tables.drift_counts(metas)
    plain = sum(e["covered"] for m in metas for e in m["out_of_sample"])
    assert d["observations"] == sum(len(m["out_of_sample"]) for m in metas)
    assert plain <= d["model"] <= d["observations"]
    assert tables.benchmarks(metas)["persistence"] <= d["persistence"]
