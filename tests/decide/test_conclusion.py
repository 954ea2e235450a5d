"""The conclusion follows from the likelihood ratio; every gate withholds it and says why."""

import math

import numpy as np
import pytest

from ballistics_core.decide.conclusion import conclude, verbal_equivalent
from ballistics_core.decide.quality import GateParams, ScanQuality, pair_gates, scan_quality

TH = dict(identification_log10_lr=2.0, elimination_log10_lr=-1.5)


def test_a_conclusion_is_never_contradicted_by_its_own_lr():
    for llr in np.linspace(-4, 4, 161):
        c = conclude(float(llr), **TH)
        if c.decision == "identification":
            assert llr >= 2.0
        elif c.decision == "elimination":
            assert llr <= -1.5
        else:
            assert -1.5 < llr < 2.0


def test_verbal_scale_follows_enfsi():
    assert verbal_equivalent(0.1) == "no support for either proposition"
    assert verbal_equivalent(0.5) == "weak support for same source"
    assert verbal_equivalent(1.5) == "moderate support for same source"
    assert verbal_equivalent(2.5) == "moderately strong support for same source"
    assert verbal_equivalent(3.5) == "strong support for same source"
    assert verbal_equivalent(5.0) == "very strong support for same source"
    assert verbal_equivalent(7.0) == "extremely strong support for same source"
    assert verbal_equivalent(-1.2) == "moderate support for different sources"
    assert verbal_equivalent(float("nan")) == "not evaluated"


def test_nan_lr_is_inconclusive_with_a_reason():
    c = conclude(float("nan"), **TH)
    assert c.decision == "inconclusive" and c.gate == "no_lr"


def test_bad_thresholds_are_refused():
    with pytest.raises(ValueError):
        conclude(1.0, identification_log10_lr=-1.0, elimination_log10_lr=-2.0)


def _q(**kw):
    base = dict(valid_area_mm2=3.0, spacing_um=6.25, roughness_um=1.0, noise_floor_um=0.1, snr=10.0,
                instrument="x", kind="topography", source_spacing_um=6.25)
    base.update(kw)
    return ScanQuality(**base)


@pytest.mark.parametrize(
    "qa,qb,n_cells,overlap,gate",
    [
        (_q(valid_area_mm2=0.4), _q(), 30, 0.8, "valid_area"),
        (_q(spacing_um=20.0), _q(spacing_um=20.0), 30, 0.8, "resolution"),
        (_q(snr=1.0, noise_floor_um=1.0), _q(), 30, 0.8, "noise_floor"),
        (_q(snr=2.0), _q(snr=40.0), 30, 0.8, "quality_mismatch"),
        (_q(spacing_um=3.0), _q(spacing_um=12.0), 30, 0.8, "resolution_mismatch"),
        (_q(), _q(), 5, 0.8, "few_cells"),
        (_q(), _q(), 30, 0.2, "small_overlap"),
    ],
)
def test_each_blocking_gate_turns_a_strong_lr_into_inconclusive(qa, qb, n_cells, overlap, gate):
    blocking, no_elim = pair_gates(qa, qb, n_cells=n_cells, overlap_fraction=overlap, params=GateParams())
    for llr in (3.0, -3.0):
        c = conclude(llr, **TH, blocking=blocking, no_elimination=no_elim)
        assert c.decision == "inconclusive"
        assert gate in c.gate.split(";")
        assert any(r.startswith(gate + ":") for r in c.reasons)
        assert c.log10_lr == llr  # the number is still reported


def test_thin_evidence_withholds_an_elimination_but_not_an_identification():
    blocking, no_elim = pair_gates(_q(), _q(), n_cells=12, overlap_fraction=0.8, params=GateParams())
    assert blocking == [] and no_elim
    assert conclude(-3.0, **TH, blocking=blocking, no_elimination=no_elim).gate == "thin_evidence"
    assert conclude(3.0, **TH, blocking=blocking, no_elimination=no_elim).decision == "identification"
    # where the LR alone is inconclusive, the thin-evidence gate did not change anything and is not named
    assert conclude(0.5, **TH, blocking=blocking, no_elimination=no_elim).gate == ""


def test_a_good_pair_fires_no_gate():
    assert pair_gates(_q(), _q(), n_cells=30, overlap_fraction=0.8, params=GateParams()) == ([], [])


def test_scan_quality_measures_noise_and_area():
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:200, 0:200]
    smooth = np.sin(xx / 15.0) * 2.0
    noisy = smooth + rng.normal(0, 0.2, smooth.shape)
    noisy[:50] = np.nan
    q = scan_quality(noisy, spacing_um=5.0, instrument="Test 1")
    assert q.valid_area_mm2 == pytest.approx(150 * 200 * 25 / 1e6)
    assert q.noise_floor_um == pytest.approx(0.2, rel=0.15)
    assert q.snr == pytest.approx(q.roughness_um / q.noise_floor_um)
    assert q.instrument == "Test 1"
    empty = scan_quality(np.full((10, 10), np.nan), spacing_um=5.0)
    assert empty.valid_area_mm2 == 0 and empty.snr == 0
    assert math.isfinite(scan_quality(smooth, spacing_um=5.0).snr)
