"""Known answers for the validation metrics (Cllr, Cllr_min, ECE, Tippett, ROC/DET, rates)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ballistics_core.validate import metrics as m


def test_cllr_of_an_uninformative_system_is_one() -> None:
    y = np.array([True] * 7 + [False] * 13)
    assert m.cllr(np.zeros(20), y) == pytest.approx(1.0, abs=1e-12)


def test_cllr_known_value() -> None:
    # one same-source pair at LR 10, one different-source pair at LR 1/10:
    # Cllr = (log2(1 + 1/10) + log2(1 + 1/10)) / 2
    assert m.cllr([1.0, -1.0], [True, False]) == pytest.approx(math.log2(1.1), rel=1e-12)
    # a misleading same-source LR of 1/100 costs log2(101) on its side
    assert m.cllr([-2.0, -1.0], [True, False]) == pytest.approx((math.log2(101) + math.log2(1.1)) / 2, rel=1e-12)


def test_perfect_separation_has_cllr_min_zero_and_auc_one() -> None:
    llr = np.r_[np.full(10, 4.0), np.linspace(-6, -2, 30)]
    y = np.r_[np.ones(10, bool), np.zeros(30, bool)]
    assert m.cllr_min(llr, y) == pytest.approx(0.0, abs=1e-12)
    assert m.cllr(llr, y) < 0.001
    assert m.auc(llr, y) == 1.0


def test_cllr_min_never_exceeds_cllr_and_miscalibration_shows_in_cllr_only() -> None:
    rng = np.random.default_rng(1)
    y = rng.random(400) < 0.3
    llr = np.where(y, rng.normal(1.0, 1.0, 400), rng.normal(-1.0, 1.0, 400))
    over = 5 * llr  # same order, so same discrimination, badly overconfident
    assert m.cllr_min(over, y) == pytest.approx(m.cllr_min(llr, y), abs=1e-9)
    assert m.cllr(over, y) > m.cllr(llr, y) > m.cllr_min(llr, y)


def test_ece_at_even_prior_equals_cllr_and_reference_is_one_bit() -> None:
    rng = np.random.default_rng(2)
    y = rng.random(200) < 0.4
    llr = np.where(y, rng.normal(0.8, 0.7, 200), rng.normal(-0.8, 0.7, 200))
    e = m.ece_curve(llr, y)
    i0 = int(np.argmin(np.abs(e["log10_prior_odds"])))
    assert e["log10_prior_odds"][i0] == pytest.approx(0.0, abs=1e-9)
    assert e["ece"][i0] == pytest.approx(m.cllr(llr, y), rel=1e-9)
    assert e["ece_pav"][i0] == pytest.approx(m.cllr_min(llr, y), rel=1e-9)
    assert e["ece_reference"][i0] == pytest.approx(1.0, rel=1e-12)
    assert np.all(e["ece_pav"] <= e["ece_reference"] + 1e-9)


def test_clopper_pearson_known_answers() -> None:
    r = m.clopper_pearson(0, 780)
    assert (r.k, r.n, r.rate, r.lower) == (0, 780, 0.0, 0.0)
    assert r.upper == pytest.approx(1 - 0.025 ** (1 / 780), rel=1e-9)  # closed form for k = 0
    assert r.upper == pytest.approx(0.0047, abs=5e-5)
    full = m.clopper_pearson(780, 780)
    assert full.upper == 1.0 and full.lower == pytest.approx(0.025 ** (1 / 780), rel=1e-9)
    half = m.clopper_pearson(5, 10)
    assert half.lower == pytest.approx(0.187086, abs=1e-6) and half.upper == pytest.approx(0.812914, abs=1e-6)
    empty = m.clopper_pearson(0, 0)
    assert math.isnan(empty.rate) and math.isnan(empty.upper)
    with pytest.raises(ValueError):
        m.clopper_pearson(3, 2)


def test_decision_rates_count_per_class() -> None:
    y = np.array([True, True, True, True, False, False, False, False, False])
    d = np.array(["identification", "identification", "inconclusive", "elimination",
                  "identification", "elimination", "elimination", "inconclusive", "inconclusive"])
    r = m.decision_rates(y, d)
    assert (r["false_identification"].k, r["false_identification"].n) == (1, 5)
    assert (r["false_elimination"].k, r["false_elimination"].n) == (1, 4)
    assert (r["inconclusive_same_source"].k, r["inconclusive_same_source"].n) == (1, 4)
    assert (r["inconclusive_different_source"].k, r["inconclusive_different_source"].n) == (2, 5)
    assert (r["inconclusive"].k, r["inconclusive"].n) == (3, 9)
    with pytest.raises(ValueError, match="unknown decision"):
        m.decision_rates(y[:1], np.array(["match"]))


def test_auc_roc_det_and_tippett_known_values() -> None:
    s = np.array([0.9, 0.4, 0.6, 0.1])
    y = np.array([True, True, False, False])
    # pairs (ss, ds): (0.9 > 0.6), (0.9 > 0.1), (0.4 < 0.6), (0.4 > 0.1) -> 3 of 4
    assert m.auc(s, y) == pytest.approx(0.75)
    roc = m.roc_data(s, y)
    assert roc["fpr"][0] == 0.0 and roc["tpr"][-1] == 1.0 and roc["fpr"][-1] == 1.0
    det = m.det_data(s, y)
    assert np.all(np.diff(det["fpr"]) <= 0) and np.all(np.diff(det["fnr"]) >= 0)
    t = m.tippett_curve([2.0, -1.0, 0.5, -3.0], y)
    assert t["log10_lr"].tolist() == [-3.0, -1.0, 0.5, 2.0]
    assert t["same_source"].tolist() == [1.0, 1.0, 0.5, 0.5]
    assert t["different_source"].tolist() == [1.0, 0.5, 0.5, 0.0]


def test_one_class_gives_nan_not_an_exception() -> None:
    y = np.ones(3, bool)
    assert math.isnan(m.cllr([1, 2, 3], y)) and math.isnan(m.cllr_min([1, 2, 3], y)) and math.isnan(m.auc([1, 2, 3], y))
    p = m.performance([1, 2, 3], [1, 2, 3], y, np.array(["identification"] * 3))
    assert p.rates["false_identification"].n == 0 and p.rates["false_elimination"].k == 0
    assert p.curves["ece"]["ece"].size == 0 and p.curves["roc_score"]["fpr"].size == 0


def test_infinite_lrs_rank_at_their_end() -> None:
    llr = np.array([np.inf, 1.0, -1.0, -np.inf])
    y = np.array([True, True, False, False])
    assert m.auc(llr, y) == 1.0
    assert m.cllr(llr, y) == pytest.approx(math.log2(1.1) / 2, rel=1e-9)
    assert m.cllr([-np.inf, 1.0], [True, False]) == math.inf
    assert m.cllr_min(llr, y) == pytest.approx(0.0, abs=1e-12)
    assert np.isfinite(m.ece_curve(llr, y)["ece_pav"]).all()
