"""Calibration targets: generated from the evidence, sourced, ranges where sources conflict."""

import math
import re
from pathlib import Path

import pytest

from recruitsim.calibration import targets
from recruitsim.calibration.priors import BASE, FIREARM, PriorBox, calibrated_names, prior_of
from recruitsim.model.params import PARAMETERS
from recruitsim.model.profiles import all_codes

ROOT = Path(__file__).resolve().parents[1]


def test_committed_table_is_generated_from_the_evidence():
    # `python -m calibration.targets --write` regenerates it; a stale file fails here
    assert (ROOT / "calibration" / "targets.csv").read_text() == targets.to_csv(targets.build())


def test_every_profile_has_homicide_and_incarceration_targets():
    table = targets.load()
    assert set(table) == set(all_codes())
    for code in all_codes():
        names = [t.name for t in table[code]]
        assert "homicide_rate" in names and "incarceration_rate" in names, code
        assert len(names) == len(set(names)), code


def test_regional_targets_are_the_published_figures():
    lac = {t.name: t for t in targets.for_profile("LAC")}
    assert (lac["homicide_rate"].low, lac["homicide_rate"].high) == (18.0, 20.2)
    assert lac["male_share_victims"].observed == 0.91
    assert lac["male_15_29_homicide_rate"].observed == 53.6
    assert lac["group_share_homicides"].low <= 0.5 <= lac["group_share_homicides"].high
    assert all(t.kind in ("observed", "stationarity") for t in lac.values())
    assert {t.name for t in lac.values() if t.kind == "stationarity"} == {"members_trend", "homicide_trend"}


def test_conflicting_sources_give_ranges_not_picks():
    get = lambda code, name: next(t for t in targets.for_profile(code) if t.name == name)
    mex = get("MEX", "homicide_rate")
    assert (mex.low, mex.high) == (19.3, 25.6) and mex.is_range  # InSight vs INEGI/UNODC
    hnd = get("HND", "homicide_rate")
    assert (hnd.low, hnd.high) == (23.9, 26.8)  # UNODC, InSight 25.3, SEPOL 26.8
    slv = get("SLV", "incarceration_rate")
    assert (slv.low, slv.high) == (1086.0, 1659.0)
    dom = get("DOM", "homicide_rate")
    assert dom.low == 9.1 and dom.high == pytest.approx(12.0)
    assert get("ARG", "homicide_rate").observed == 3.9  # one source: a value


def test_every_row_is_sourced_and_the_tags_exist():
    sources = (ROOT / "model" / "data" / "SOURCES.md").read_text()
    known = set(re.findall(r"^\| ([A-Z0-9_]+) \|", sources, flags=re.M))
    for code, rows in targets.load().items():
        for t in rows:
            if t.kind == "stationarity":  # a condition, not an observation: no source tag
                assert t.source == "GUESS" and t.low < 0 < t.high, (code, t.name)
                continue
            tags = [w for w in re.findall(r"\b[0-9A-Z][0-9A-Z_]{3,}\b", t.source)
                    if not w.isdigit() and (any(c.isdigit() for c in w) or "_" in w)]
            assert tags, (code, t.name, t.source)
            for tag in tags:
                assert tag in known, (code, t.name, tag)


def test_fallbacks_are_flagged_and_only_for_the_male_share():
    for code, rows in targets.load().items():
        for t in rows:
            if t.kind == "regional_fallback":
                assert t.name == "male_share_victims" and code != "LAC"
                assert t.tolerance > targets.TOLERANCE["abs"]
    cri = {t.name: t for t in targets.for_profile("CRI")}
    assert cri["male_share_victims"].kind == "observed" and cri["male_share_victims"].observed == 0.92


def test_target_error_is_zero_inside_and_grows_outside():
    t = targets.Target("X", "homicide_rate", 10.0, 20.0, "log", 0.1, "observed", "T")
    assert t.error(10.0) == t.error(15.0) == t.error(20.0) == 0.0
    assert t.error(22.0) == pytest.approx(math.log(1.1) / 0.1)
    assert t.error(9.0) == pytest.approx(math.log(10 / 9) / 0.1)
    assert t.error(float("nan")) == math.inf and t.error(0.0) == math.inf
    s = targets.Target("X", "group_share_homicides", 0.5, 0.5, "abs", 0.02, "observed", "T")
    assert s.error(0.54) == pytest.approx(2.0)
    assert t.overlaps(19.0, 30.0) and t.overlaps(5.0, 10.0) and not t.overlaps(20.5, 30.0)


def test_priors_come_from_the_parameter_table():
    for name in BASE + FIREARM:
        p, row = prior_of(name), PARAMETERS[name]
        assert (p.low, p.high) == (row.low, row.high)
        assert p.log == (row.low > 0 and row.high / row.low >= 10)
    assert prior_of("recruit_base_odds").log and not prior_of("bystander_homicide").log  # range starts at 0
    assert calibrated_names(["homicide_rate"]) == BASE
    assert calibrated_names(["homicide_rate", "firearm_share"]) == BASE + FIREARM
    box = PriorBox(BASE)
    import numpy as np

    x = box.sample(np.random.default_rng(0), 500)
    vals = [box.values(xi) for xi in x]
    for name in BASE:
        v = np.array([d[name] for d in vals])
        assert v.min() >= PARAMETERS[name].low and v.max() <= PARAMETERS[name].high
    # log-uniform: the median is the geometric mean of the bounds
    v = np.array([d["recruit_base_odds"] for d in vals])
    assert abs(np.log10(np.median(v)) - np.log10(math.sqrt(1e-6 * 1e-2))) < 0.3


def test_abc_distance_is_the_largest_target_error():
    from recruitsim.calibration.calibrate import distance

    tg = [targets.Target("X", "homicide_rate", 10.0, 20.0, "log", 0.1, "observed", "T"),
          targets.Target("X", "group_share_homicides", 0.5, 0.5, "abs", 0.02, "observed", "T")]
    assert distance({"homicide_rate": 15.0, "group_share_homicides": 0.5}, tg) == 0.0
    assert distance({"homicide_rate": 15.0, "group_share_homicides": 0.53}, tg) == pytest.approx(1.5)
    assert distance({"homicide_rate": 22.0, "group_share_homicides": 0.53}, tg) == pytest.approx(1.5)
    assert distance({"homicide_rate": float("nan"), "group_share_homicides": 0.5}, tg) == math.inf
    assert distance({"group_share_homicides": 0.5}, tg) == math.inf  # a missing statistic never matches
