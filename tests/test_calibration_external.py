"""The external check (detected trafficking victims as a lower bound): its data, its verdicts, and that the
shipped table is current and reproducible."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from recruitsim.calibration import external
from recruitsim.model.profiles import all_codes

ROOT = Path(__file__).resolve().parent.parent
SOURCES = (ROOT / "model" / "data" / "SOURCES.md").read_text(encoding="utf-8")


def test_every_row_of_the_data_has_a_count_a_documented_source_and_an_address():
    rows = external.read_detected()
    assert len(rows) > 50
    for r in rows:
        assert r["detected"] > 0 and 2018 <= r["year"] <= 2022, r
        assert re.search(rf"\b{r['source_tag']}\b", SOURCES), f"{r['source_tag']} is not in model/data/SOURCES.md"
        assert r["url_or_repo_path"] and r["note"], r


def test_each_profile_gets_its_largest_count_and_the_region_the_largest_yearly_sum():
    rows = external.read_detected()
    b = external.bounds()
    assert set(b) == set(all_codes())
    for code in set(all_codes()) - {"LAC"}:
        mine = [r["detected"] for r in rows if r["iso3"] == code]
        assert b[code].detected == max(mine)
    sums: dict[int, int] = {}
    for r in rows:
        if r["source_tag"] == external.REGION_TAG:
            sums[r["year"]] = sums.get(r["year"], 0) + r["detected"]
    assert b["LAC"].detected == max(sums.values()) and sums[b["LAC"].year] == b["LAC"].detected


def test_the_verdict_asks_the_whole_interval_to_be_at_or_above_the_bound():
    bound = external.Bound("XYZ", 100, 2020, "T")
    above = external.judge("XYZ", np.linspace(120, 400, 30), bound)
    assert above["consistent"] and above["low"] >= 100 and above["implied_detection_share"] == pytest.approx(100 / 260, abs=1e-3)
    straddling = external.judge("XYZ", np.linspace(60, 400, 30), bound)
    assert not straddling["consistent"]


def test_victimisation_bound_is_mexicos_survey_count_and_the_verdict_uses_it():
    ob = external.offence_bounds()
    assert set(ob) == {"MEX"}
    value, year, source = ob["MEX"][external.OFFENCE_BOUND]
    assert (value, year) == (3_350_000, 2020) and re.search(rf"\b{source}\b", SOURCES)
    assert ob["MEX"]["crimes_offender_25_or_under"][0] < ob["MEX"]["crimes_victim_present"][0] < ob["MEX"]["crimes"][0]
    assert external.judge_offences(np.linspace(3.4e6, 9e6, 30), ob["MEX"])["offences_consistent"]
    assert not external.judge_offences(np.linspace(2e6, 9e6, 30), ob["MEX"])["offences_consistent"]
    assert external.judge_offences(np.ones(3), None) == {k: "" for k in external.FIELDS if k.startswith("offences_")}


def test_the_shipped_rows_cover_every_profile_and_were_simulated_on_the_shipped_posteriors():
    rows = external.read_rows()
    assert set(rows) == set(all_codes())
    stale = [c for c, r in rows.items() if r["posterior_sha256"] != external.posterior_sha256(c)]
    assert not stale, f"posteriors changed since their external check: run python -m recruitsim.calibration.external --run {' '.join(stale)}"
    for r in rows.values():
        assert int(r["replicates"]) == external.REPLICATES and int(r["low"]) <= int(r["median"]) <= int(r["high"])


def test_a_shipped_row_is_reproduced_by_simulation():
    """BLZ's row again (30 replicates of 50,000 agents, ~15 s on 2 cores): identical at the same numpy SIMD level,
    within simulation noise at another (the level changes the random stream, not the distribution)."""
    from recruitsim.scenarios.engine import Engine
    from recruitsim.scenarios.provenance import simd_level

    shipped = external.read_rows()["BLZ"]
    with Engine(workers=2) as eng:
        stats = external.predict("BLZ", eng)
    again = external.judge("BLZ", np.array([x["trafficked_per_year"] for x in stats]), external.bounds()["BLZ"])
    if shipped["numpy_simd"] == simd_level():
        assert [again[k] for k in ("low", "median", "high")] == [int(shipped[k]) for k in ("low", "median", "high")]
    else:
        assert again["median"] == pytest.approx(int(shipped["median"]), rel=0.25)
    assert again["consistent"] == shipped["consistent"]


@pytest.mark.usefixtures("calibrated")
def test_profiles_json_carries_each_profiles_external_checks():
    from recruitsim.calibration.posterior import profiles_summary

    ps = {p["country"]: p for p in profiles_summary()["profiles"]}
    for code in all_codes():
        ec = ps[code]["external_checks"]
        assert ec is not None and ec["posterior_current"], code
        assert isinstance(ec["trafficking"]["consistent"], bool) and ec["trafficking"]["detected"] > 0
    assert ps["MEX"]["external_checks"]["victimisation"]["lower_bound"] == 3_350_000
    assert "victimisation" not in ps["HND"]["external_checks"]
