"""The masked NCC equals a brute-force Pearson computation over jointly valid pixels."""

import numpy as np
import pytest

from ballistics_core.compare.ncc import (
    masked_ncc,
    masked_ncc_batch,
    masked_ncc_valid,
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
