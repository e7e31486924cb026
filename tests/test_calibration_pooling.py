"""Partial pooling (calibration/pooling.py): the two-stage hierarchical re-weighting recovers known
hyperparameters, pulls a sparse-data country toward the region and leaves a data-rich one on its data."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from recruitsim.calibration import pooling
from recruitsim.calibration.priors import BASE, PriorBox


def _stage1(rng, truth, sd, n=4000):
    """Stage-1 particles of one country: flat prior on the box, Gaussian likelihood of width ``sd`` around ``truth``."""
    box = PriorBox(BASE)
    x = box.lo + (box.hi - box.lo) * rng.random((n, box.dim))
    log_w = -0.5 * np.sum(((x - truth) / sd) ** 2, axis=1)
    return pooling.Stage1("X", x, log_w - np.logaddexp.reduce(log_w))


def test_hyperparameters_are_recovered_and_pooling_moves_the_sparse_country_most():
    rng = np.random.default_rng(7)
    box = PriorBox(BASE)
    width = box.hi - box.lo
    mu_true = box.lo + 0.4 * width
    tau_true = 0.1 * width
    truths = mu_true + tau_true * rng.standard_normal((16, box.dim))
    rich = [_stage1(rng, t, 0.02 * width) for t in truths]  # data-rich countries: narrow likelihoods
    sparse_truth = box.lo + 0.9 * width
    sparse = _stage1(rng, sparse_truth, 0.6 * width)  # a country whose data say little
    mu, tau, _ = pooling.fit_hyper(rich + [sparse], box.lo, box.hi)
    assert np.all(np.abs(mu - mu_true) < 0.06 * width), (mu - mu_true) / width
    assert np.all((tau > 0.05 * width) & (tau < 0.2 * width)), tau / width

    def mean(s, w):
        return w @ s.x

    w_sparse, ess_sparse = pooling.reweight(sparse, mu, tau, box.lo, box.hi)
    moved_sparse = np.abs(mean(sparse, w_sparse) - mean(sparse, np.exp(sparse.log_w))) / width
    w_rich, ess_rich = pooling.reweight(rich[0], mu, tau, box.lo, box.hi)
    moved_rich = np.abs(mean(rich[0], w_rich) - mean(rich[0], np.exp(rich[0].log_w))) / width
    assert np.all(moved_sparse > 0.05) and moved_sparse.mean() > 0.1, moved_sparse  # pulled toward the region
    assert np.all(moved_rich < 0.01), moved_rich  # stays on its own data
    assert np.all(np.abs(mean(sparse, w_sparse) - mu) < np.abs(mean(sparse, np.exp(sparse.log_w)) - mu))
    assert ess_sparse < len(sparse.x) and ess_rich > 1


def test_pool_rewrites_weights_keeps_stage1_and_leaves_the_region_alone(tmp_path):
    rng = np.random.default_rng(3)
    box = PriorBox(BASE)
    (tmp_path / "posteriors").mkdir()
    codes = ["LAC", "HND", "GTM", "SLV", "MEX"]
    for i, code in enumerate(codes):
        x = box.lo + (box.hi - box.lo) * np.clip(0.3 + 0.05 * i + 0.1 * rng.standard_normal((100, box.dim)), 0, 1)
        frame = pd.DataFrame({"particle": range(100), "weight": np.full(100, 0.01)})
        for p, col in zip(box.priors, x.T, strict=True):
            frame[p.name] = p.to_value(col)
        frame["distance"] = 0.5
        frame.to_csv(tmp_path / "posteriors" / f"{code}.csv", index=False)
        (tmp_path / "posteriors" / f"{code}.json").write_text(json.dumps({"parameters": list(BASE), "ess": 100.0, "targets": []}))
    lac_before = (tmp_path / "posteriors" / "LAC.csv").read_text()
    record = pooling.pool(tmp_path, codes)
    assert set(record["countries"]) == {"HND", "GTM", "SLV", "MEX"}
    assert (tmp_path / "posteriors" / "LAC.csv").read_text() == lac_before
    frame = pd.read_csv(tmp_path / "posteriors" / "HND.csv")
    assert np.allclose(frame["weight_unpooled"], 0.01) and frame["weight"].sum() == pytest.approx(1.0, abs=1e-4)
    meta = json.loads((tmp_path / "posteriors" / "HND.json").read_text())
    assert meta["pooling"]["unpooled"]["ess"] == 100.0 and meta["ess"] <= 100.0
    again = pooling.pool(tmp_path, codes)  # idempotent: re-pooling starts from the stage-1 weights
    assert {c: r["ess_pooled"] for c, r in again["countries"].items()} == pytest.approx(
        {c: r["ess_pooled"] for c, r in record["countries"].items()}, rel=0.05)
    assert json.loads((tmp_path / "pooling.json").read_text())["regional"].keys() == set(BASE)


def test_a_pooled_fit_report_shows_the_hierarchical_prior():
    import math

    from recruitsim.calibration import report

    meta = {"hierarchical_prior": {"member_prevalence": {"mu": math.log(0.002), "tau": 0.5}}}
    label = report._prior_label("member_prevalence", meta)
    lo, hi = 0.002 * math.exp(-1.645 * 0.5), 0.002 * math.exp(1.645 * 0.5)
    assert label.startswith(f"region {lo:.3g}-{hi:.3g} (90%) in log-uniform[")
    assert report._prior_label("member_prevalence", {}).startswith("log-uniform[")
    assert report._pooled_note(meta) and not report._pooled_note({})
