"""Known-answer tests of the likelihood-ratio calibration (planted score distributions)."""

import math

import numpy as np
import pytest
from scipy.stats import norm

from ballistics_core.decide.calibration import elub_bounds, fit_lr_model
from ballistics_core.validate.metrics import cllr, cllr_min
from ballistics_core.decide.model import LRModel, load_model


def _planted(n0=4000, n1=400, seed=0):
    rng = np.random.default_rng(seed)
    s0 = rng.normal(0.4, 0.1, n0)
    s1 = rng.normal(1.4, 0.25, n1)
    X = np.r_[s0, s1][:, None]
    y = np.r_[np.zeros(n0, int), np.ones(n1, int)]
    # 20 "firearms" per class for the grouped cross-validation
    g = np.r_[rng.integers(0, 20, n0), 20 + rng.integers(0, 20, n1)]
    groups = np.stack([g, g], axis=1).astype(str)
    return X, y, groups


def _fit(X, y, groups, failure=0.0):
    return fit_lr_model(X, y, groups, feature_names=("x",), coef=(1.0,), transform="identity", name="planted",
                        training={}, mate_failure_rate=failure)


def test_planted_normals_are_recovered_and_the_lr_is_their_ratio():
    X, y, groups = _planted()
    m = _fit(X, y, groups)
    assert m.mean_different == pytest.approx(0.4, abs=0.01)
    assert m.sd_different == pytest.approx(0.1, abs=0.01)
    assert m.mean_same == pytest.approx(1.4, abs=0.03)
    assert m.sd_same == pytest.approx(0.25, abs=0.03)
    for s in (0.5, 0.7, 0.8):
        true = (norm.logpdf(s, 1.4, 0.25) - norm.logpdf(s, 0.4, 0.1)) / math.log(10)
        assert m.unbounded_log10_lr(s) == pytest.approx(true, abs=0.25)


def test_the_different_source_model_is_as_wide_as_the_widest_dataset():
    # A large dataset with narrow different-source scores and a small one whose
    # different-source scores sit higher and wider: the pooled sd would be set by
    # the large one, and the small one's tail read as strong evidence.
    rng = np.random.default_rng(3)
    big0, small0 = rng.normal(0.35, 0.07, 3000), rng.normal(0.45, 0.10, 300)
    s1 = rng.normal(1.4, 0.25, 400)
    X = np.r_[big0, small0, s1][:, None]
    y = np.r_[np.zeros(3300, int), np.ones(400, int)]
    datasets = np.r_[np.full(3000, "big"), np.full(300, "small"), np.where(rng.random(400) < 0.5, "big", "small")]
    g = np.r_[rng.integers(0, 20, 3300), 20 + rng.integers(0, 20, 400)]
    groups = np.stack([g, g], axis=1).astype(str)
    kw = dict(feature_names=("x",), coef=(1.0,), transform="identity", name="planted", training={},
              mate_failure_rate=0.0)
    pooled = fit_lr_model(X, y, groups, **kw)
    widest = fit_lr_model(X, y, groups, datasets=datasets, **kw)
    s0 = np.r_[big0, small0]
    expected = np.sqrt(np.mean((small0 - s0.mean()) ** 2))  # the small set's spread about the pooled mean
    assert widest.mean_different == pytest.approx(pooled.mean_different)
    assert widest.sd_different == pytest.approx(expected, rel=1e-9)
    assert widest.sd_different > pooled.sd_different + 0.01
    # the small set's highest different-source score is weaker evidence under the wide model
    top = float(small0.max())
    assert widest.unbounded_log10_lr(top) < pooled.unbounded_log10_lr(top) - 0.5
    # a dataset too small to judge a spread on (10 pairs) does not widen the model
    Xf = np.r_[big0, small0[:10], s1][:, None]
    yf = np.r_[np.zeros(3010, int), np.ones(400, int)]
    gf = np.stack([np.r_[g[:3010], g[3300:]]] * 2, axis=1).astype(str)
    few = np.r_[np.full(3000, "big"), np.full(10, "tiny"), datasets[3300:]]
    assert fit_lr_model(Xf, yf, gf, datasets=few, **kw).sd_different == pytest.approx(
        fit_lr_model(Xf, yf, gf, **kw).sd_different)


def test_bounds_are_elub_and_within_what_the_pair_counts_support():
    X, y, groups = _planted()
    m = _fit(X, y, groups)
    assert -math.log10(400 + 1) - 0.01 <= m.lower_log10_lr < 0 < m.upper_log10_lr <= math.log10(4000 + 1) + 0.01
    # a score far beyond every training pair gets the bound, not an extrapolation
    assert m.log10_lr(10.0) == pytest.approx(m.upper_log10_lr)
    assert m.log10_lr(-10.0) == pytest.approx(max(m.lower_log10_lr, m.log10_lr(0.4)))


def test_the_lr_never_falls_as_the_score_rises():
    X, y, groups = _planted()
    m = _fit(X, y, groups, failure=0.05)
    s = np.linspace(-2, 4, 601)
    llr = np.array([m.log10_lr(v) for v in s])
    assert np.all(np.diff(llr) >= -1e-12)


def test_the_mate_failure_rate_floors_the_support_for_different_sources():
    X, y, groups = _planted()
    m = _fit(X, y, groups, failure=0.05)
    assert m.unbounded_log10_lr(0.4) == pytest.approx(math.log10(0.05), abs=0.01)
    assert m.log10_lr(-5.0) >= math.log10(0.05) - 1e-9


def test_cllr_known_answers():
    y = np.r_[np.zeros(50, int), np.ones(50, int)]
    assert cllr(np.zeros(100), y) == pytest.approx(1.0)
    perfect = np.r_[np.full(50, -6.0), np.full(50, 6.0)]
    assert cllr(perfect, y) < 1e-5
    assert cllr_min(perfect, y) == pytest.approx(0.0, abs=1e-9)
    # a system that says the opposite of the truth costs more than saying nothing
    assert cllr(-perfect, y) > 1.0


def test_elub_bounds_shrink_to_zero_for_useless_lrs():
    rng = np.random.default_rng(1)
    y = np.r_[np.zeros(200, int), np.ones(200, int)]
    lo, hi = elub_bounds(rng.normal(0, 2, 400), y)
    assert lo == pytest.approx(0.0, abs=0.05) and hi == pytest.approx(0.0, abs=0.05)


def test_model_json_round_trip_and_shipped_models_load():
    X, y, groups = _planted()
    m = _fit(X, y, groups)
    again = LRModel.from_json(m.to_json())
    assert again == m
    for name in ("breech-face-v2", "intensity-v2", "breech-face-v3", "intensity-v3", "breech-face-v4", "intensity-v4"):
        shipped = load_model(name)
        assert shipped.lower_log10_lr < 0 < shipped.upper_log10_lr
        assert shipped.sd_same >= shipped.sd_different
    with pytest.raises(ValueError, match="no likelihood-ratio model"):
        load_model("no-such-model")
