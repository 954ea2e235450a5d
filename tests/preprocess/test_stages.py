"""Single stages on planted synthetic surfaces."""

from __future__ import annotations

import numpy as np
import pytest

from ballistics_core.errors import ScanContentError
from ballistics_core.preprocess import bandpass, fit_plane, level, remove_outliers, resample
from ballistics_core.scan import Scan
from ballistics_core.preprocess import preprocess_scan

RNG = np.random.default_rng(7)


def test_level_removes_planted_plane_despite_outliers():
    rr, cc = np.mgrid[:200, :240]
    texture = RNG.normal(0, 0.2, rr.shape)
    h = 5.0 + 0.03 * rr - 0.05 * cc + texture
    spikes = RNG.random(rr.shape) < 0.03
    h[spikes] += RNG.choice([-80.0, 120.0], spikes.sum())
    h[:20, :20] = np.nan
    a, b, c = fit_plane(h, method="robust plane")
    assert b == pytest.approx(0.03, abs=2e-4) and c == pytest.approx(-0.05, abs=2e-4)
    out = level(h, np.isfinite(h))
    good = np.isfinite(h) & ~spikes
    assert abs(np.median(out[good])) < 0.02
    assert np.std(out[good]) == pytest.approx(0.2, rel=0.05)
    assert np.isnan(out[:20, :20]).all()
    # ordinary least squares is pulled by the same outliers: the robust fit is what helps
    _, b_ols, _ = fit_plane(h, method="plane")
    assert abs(b_ols - 0.03) > abs(b - 0.03)


def _sine(wavelength_um, spacing_um, n=256):
    x = np.arange(n) * spacing_um
    return np.tile(np.sin(2 * np.pi * x / wavelength_um), (n, 1))


@pytest.mark.parametrize("wavelength, passes", [(6.0, False), (100.0, True), (3000.0, False)])
def test_bandpass_transmission(wavelength, passes):
    sp = 2.0 if wavelength < 50 else 12.5
    h = _sine(wavelength, sp)
    h[100:140, 60:90] = np.nan  # a hole: normalised convolution must not leak zeros
    out = bandpass(h, spacing_um=sp, short_cutoff_um=16.0, long_cutoff_um=500.0)
    core = (slice(80, 176), slice(100, 176)) if wavelength > 1000 else (slice(40, 216), slice(100, 216))
    amp_in = np.nanstd(h[core])
    amp_out = np.nanstd(out[core])
    if passes:
        assert amp_out / amp_in > 0.9
    else:
        assert amp_out / amp_in < 0.1
    assert np.isnan(out[100:140, 60:90]).all()


def test_bandpass_near_hole_has_no_zero_fill_artefact():
    h = np.full((128, 128), 50.0) + _sine(100.0, 2.0, 128) * 0.5
    h[40:90, 40:90] = np.nan
    out = bandpass(h, spacing_um=2.0, short_cutoff_um=16.0, long_cutoff_um=None)
    # with zero fill, points next to the hole would be dragged towards 0 (tens of µm)
    assert np.nanmax(np.abs(out - h)) < 0.2


def test_resample_constant_is_exact_and_nan_aware():
    h = np.full((101, 97), 3.25)
    h[10:30, 10:30] = np.nan
    for target in (6.25, 7.37, 2.0):
        out = resample(h, spacing_um=3.125, target_spacing_um=target)
        v = out[np.isfinite(out)]
        assert v.size and np.all(v == pytest.approx(3.25, abs=1e-12))
    out = resample(h, spacing_um=3.125, target_spacing_um=6.25)
    assert out.shape == (51, 49)
    assert np.isnan(out[6:14, 6:14]).all()  # fully inside the hole
    assert np.isfinite(out[20:, 20:]).all()


def test_resample_min_valid_fraction():
    h = np.ones((4, 4))
    h[0, 0] = h[0, 1] = h[1, 0] = np.nan  # 3/4 of target pixel (0, 0) missing
    h[2, 2] = np.nan  # 1/4 of target pixel (1, 1) missing
    out = resample(h, spacing_um=1.0, target_spacing_um=2.0, min_valid_fraction=0.5)
    assert np.isnan(out[0, 0]) and out[1, 1] == 1.0


def test_resample_conserves_mean():
    h = RNG.normal(10, 3, (120, 150))
    out = resample(h, spacing_um=3.125, target_spacing_um=6.25)
    assert out.mean() == pytest.approx(h.mean(), abs=1e-10)
    # non-integer ratio: each output pixel is a true area average, the global mean is kept
    sp, tsp = 1.0, 2.5
    out = resample(h, spacing_um=sp, target_spacing_um=tsp)  # 120/2.5, 150/2.5 exact tiles
    assert out.mean() == pytest.approx(h.mean(), abs=1e-10)
    assert out[0, 0] == pytest.approx(
        (h[0:2, 0:2].sum() + 0.5 * h[2, 0:2].sum() + 0.5 * h[0:2, 2].sum() + 0.25 * h[2, 2]) / 6.25
    )


def test_remove_outliers_catches_spikes_only():
    h = RNG.normal(0, 1.0, (200, 200))
    h = bandpass(h, spacing_um=3.125, short_cutoff_um=8.0, long_cutoff_um=None) * 5
    spikes = np.zeros_like(h, dtype=bool)
    spikes[RNG.integers(0, 200, 40), RNG.integers(0, 200, 40)] = True
    h2 = h.copy()
    h2[spikes] += 200.0
    out = remove_outliers(h2, spacing_um=3.125, threshold=6.0, window_um=25.0)
    assert np.isnan(out[spikes]).all()
    assert np.isnan(out[~spikes]).mean() < 0.01


def test_all_nan_input_raises():
    with pytest.raises(ScanContentError):
        preprocess_scan(Scan(heights=np.full((300, 300), np.nan), spacing_um=3.125))
