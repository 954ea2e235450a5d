"""The masked NCC equals a brute-force Pearson computation over jointly valid pixels."""

import numpy as np
import pytest

from ballistics_core.compare.ncc import (
    masked_ncc,
    masked_ncc_batch,
    masked_ncc_valid,
    overlap_lag_bounds,
    pearson_at_offset,
    template_spectra,
)


def _random_masked(rng, shape, nan_fraction):
    a = rng.normal(size=shape).cumsum(axis=1)  # correlated, like a surface
    a[rng.random(shape) < nan_fraction] = np.nan
    return a


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_full_mode_matches_brute_force(seed):
    rng = np.random.default_rng(seed)
    f = _random_masked(rng, (23, 31), 0.4)
    m = _random_masked(rng, (17, 12), 0.3)
    ncc, overlap = masked_ncc(f, m, min_overlap=6)
    checked = 0
    for i in range(ncc.shape[0]):
        for j in range(ncc.shape[1]):
            r, n = pearson_at_offset(f, m, i - (m.shape[0] - 1), j - (m.shape[1] - 1))
            assert overlap[i, j] == n
            if n >= 6 and np.isfinite(r):
                assert ncc[i, j] == pytest.approx(r, abs=1e-9)
                checked += 1
            elif n < 6:
                assert np.isnan(ncc[i, j])
    assert checked > 200


def test_nan_is_never_zero_filled():
    # a constant offset inside the valid area must not change r; zero-filling would
    rng = np.random.default_rng(5)
    f = _random_masked(rng, (20, 20), 0.5)
    m = f[3:15, 4:16].copy()
    r1, _ = masked_ncc(f, m, min_overlap=10)
    r2, _ = masked_ncc(f + 1000.0, m - 50.0, min_overlap=10)
    np.testing.assert_allclose(r1, r2, atol=1e-6, equal_nan=True)
    # and the planted position correlates perfectly
    assert r1[3 + 11, 4 + 11] == pytest.approx(1.0, abs=1e-9)


@pytest.mark.parametrize("dtype,tol", [(np.float64, 1e-9), (np.float32, 1e-4)])
def test_valid_mode_and_batch_match_brute_force(dtype, tol):
    rng = np.random.default_rng(3)
    regions = np.stack([_random_masked(rng, (30, 30), 0.3) for _ in range(3)])
    cells = np.stack([_random_masked(rng, (10, 10), 0.2) for _ in range(3)])
    ncc, overlap = masked_ncc_valid(regions, template_spectra(cells, (30, 30), dtype=dtype), (10, 10),
                                    min_overlap=5, dtype=dtype)
    nb, ob = masked_ncc_batch(regions, cells, min_overlap=5, dtype=dtype)
    for k in range(3):
        for i in range(ncc.shape[1]):
            for j in range(ncc.shape[2]):
                r, n = pearson_at_offset(regions[k], cells[k], i, j)
                assert overlap[k, i, j] == n
                assert ob[k, i + 9, j + 9] == n
                if n >= 5 and np.isfinite(r):
                    assert ncc[k, i, j] == pytest.approx(r, abs=tol)
                    assert nb[k, i + 9, j + 9] == pytest.approx(r, abs=tol)


@pytest.mark.parametrize("dtype,tol", [(np.float64, 1e-9), (np.float32, 1e-4)])
def test_split_regions_match_nan_marked_ones_and_brute_force(dtype, tol):
    # the (values, validity) form the cell and coarse stages pass gives what NaN-marked regions give;
    # (angles, cells) regions against (cells,) templates, one region fully valid and far from zero mean
    rng = np.random.default_rng(8)
    regions = np.stack([_random_masked(rng, (2, 32, 30), 0.3) for _ in range(3)], axis=1)
    regions[1, 2] = rng.normal(size=(32, 30)).cumsum(axis=1) + 40.0
    cells = np.stack([rng.normal(size=(11, 9)).cumsum(axis=0) for _ in range(3)])
    spectra = template_spectra(cells, (32, 30), dtype=dtype)
    out_shape = (20, 19)
    ncc, ncc_n = masked_ncc_valid(regions, spectra, (11, 9), min_overlap=5, dtype=dtype, out_shape=out_shape)
    valid = np.isfinite(regions)
    split = (np.where(valid, regions, 0.0), valid.astype(float))
    got, got_n = masked_ncc_valid(split, spectra, (11, 9), min_overlap=5, dtype=dtype, out_shape=out_shape)
    np.testing.assert_array_equal(got, ncc)
    np.testing.assert_array_equal(got_n, ncc_n)
    moving = regions[0]
    nb, nb_n = masked_ncc_batch(cells[0], moving, min_overlap=5, dtype=dtype)
    sb, sb_n = masked_ncc_batch(cells[0], (split[0][0], split[1][0]), min_overlap=5, dtype=dtype)
    np.testing.assert_array_equal(sb, nb)
    np.testing.assert_array_equal(sb_n, nb_n)
    checked = 0
    for a in range(2):
        for c in range(3):
            k = a * 3 + c
            for i in range(out_shape[0]):
                for j in range(out_shape[1]):
                    r, n = pearson_at_offset(regions[a, c], cells[c], i, j)
                    assert ncc_n[k, i, j] == n
                    if n >= 5 and np.isfinite(r):
                        assert ncc[k, i, j] == pytest.approx(r, abs=tol)
                        checked += 1
    assert checked > 1000


def test_lag_window_equals_the_full_correlation():
    rng = np.random.default_rng(5)
    fixed = rng.normal(size=(40, 37))
    fixed[:5] = np.nan
    moving = rng.normal(size=(3, 33, 41))
    moving[:, :, -4:] = np.nan
    full, full_n = masked_ncc_batch(fixed, moving, min_overlap=16)
    lags = ((-7, 12), (-20, 3))
    win, win_n = masked_ncc_batch(fixed, moving, min_overlap=16, lags=lags)
    # full-mode index of offset d is d + (m - 1)
    i0, j0 = lags[0][0] + 33 - 1, lags[1][0] + 41 - 1
    ref = full[:, i0 : i0 + win.shape[1], j0 : j0 + win.shape[2]]
    assert win.shape == (3, 20, 24)
    np.testing.assert_allclose(win, ref, atol=1e-9, equal_nan=True)
    np.testing.assert_array_equal(win_n, full_n[:, i0 : i0 + 20, j0 : j0 + 24])


def test_overlap_lag_bounds_leave_out_no_qualifying_offset():
    rng = np.random.default_rng(6)
    yy, xx = np.mgrid[:50, :50]
    fixed = np.where(np.hypot(yy - 24.5, xx - 24.5) < 22, 1.0, np.nan)
    moving = np.stack([np.where(rng.random((45, 45)) < 0.7, 1.0, np.nan) * np.where(np.hypot(yy[:45, :45] - 20, xx[:45, :45] - 25) < 18, 1, np.nan)
                       for _ in range(2)])
    _, n = masked_ncc_batch(np.where(np.isfinite(fixed), rng.normal(size=fixed.shape), np.nan),
                            np.where(np.isfinite(moving), rng.normal(size=moving.shape), np.nan), min_overlap=1)
    min_n = 0.5 * np.isfinite(moving[0]).sum()
    (ylo, yhi), (xlo, xhi) = overlap_lag_bounds(np.isfinite(fixed), np.isfinite(moving), min_n)
    k, i, j = np.nonzero(n >= min_n)
    dy, dx = i - (45 - 1), j - (45 - 1)
    assert len(dy) and dy.min() >= ylo and dy.max() <= yhi and dx.min() >= xlo and dx.max() <= xhi
    # and the window is a real saving over the full grid
    assert (yhi - ylo + 1) * (xhi - xlo + 1) < 0.6 * (50 + 45 - 1) ** 2
