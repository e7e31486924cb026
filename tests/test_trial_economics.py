"""``recruitsim trial mentoring --economics US --json``: the model's BCA per participant beside the published ones."""

from __future__ import annotations

import json

import pytest

from recruitsim.cli import main as cli
from recruitsim.economics import trial_bca


def _rows(reduction: float) -> list[dict]:
    rows = []
    for r in range(3):
        row = {"replicate": r, "n_program": 1000, "n_control": 1000, "arrests_control": 100.0, "arrests_program": 100.0 * (1 - reduction),
               "schooled_program": 800.0, "schooled_control": 800.0}
        for k in ("offences_violent", "offences_property", "offences_drug", "custody_months"):
            row[f"{k}_control"], row[f"{k}_program"] = 200.0, 200.0 * (1 - reduction)
        rows.append(row)
    return rows


def test_trial_bca_prices_averted_offences_and_adds_up():
    b = trial_bca.trial_bca({"per_replicate": _rows(0.3), "months": 12}, n_draws=100)
    s = b["benefits_per_participant"]
    assert s["victims_violent"]["mean"] == pytest.approx(0.06 * 32619)  # 0.2 offences per boy x 30% x US victim cost
    assert s["completion_earnings"]["mean"] == 0  # no schooling difference
    assert b["bcr"]["lo"] <= b["bcr"]["median"] <= b["bcr"]["hi"]
    total = b["total_benefits_per_participant"]["mean"]
    assert sum(v["mean"] for v in b["perspective"].values()) == pytest.approx(total - b["program_cost"]["central"])
    none = trial_bca.trial_bca({"per_replicate": _rows(0.0), "months": 12}, n_draws=20)
    assert none["total_benefits_per_participant"]["mean"] < 0  # only the deadweight of the programme's cost


def test_us_trial_json_has_the_published_figures_beside_the_models(capsys):
    rc = cli.main(["trial", "mentoring", "--economics", "US", "--json", "--agents", "20000", "--replicates", "2", "--workers", "1"])
    assert rc == 0
    d = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert {"median", "lo", "hi"} <= set(d["bcr"]) and d["bcr"]["lo"] <= d["bcr"]["median"] <= d["bcr"]["hi"]
    assert {"victims_violent", "police_courts", "prison", "completion_earnings", "deadweight"} <= set(d["benefits_per_participant"])
    w = d["published_bca"]["wsipp_becoming_a_man"]
    assert (w["bcr"], w["benefits_per_participant"], w["chance_benefits_exceed_costs"], w["price_year"]) == (2.18, 5190, 0.74, 2022)
    assert d["published_bca"]["heller_2017"]["bcr_range"] == [5, 30]
    assert d["why_different"] and 0 <= d["economics"]["beyond_horizon_share"] <= 1
    assert d["economics"]["program_cost"]["central"] == pytest.approx(2554)  # WSIPP's 2,383 (2022) in 2024 USD
