"""The tier-1 descriptor: rotation invariance, translation and NaN tolerance, Fadul ranking."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage as ndi

from ballistics_core.io import read_scan
from ballistics_core.signature.descriptor import DescriptorParams, compute_descriptor, descriptor_dimension, find_aperture
from tests.store.sigs import fadul_truth


def rotate_nan(a: np.ndarray, degrees: float) -> np.ndarray:
    valid = np.isfinite(a)
    z = ndi.rotate(np.where(valid, a, 0), degrees, reshape=True, order=1)
    w = ndi.rotate(valid.astype(float), degrees, reshape=True, order=1)
    return np.where(w > 0.999, z / np.maximum(w, 1e-9), np.nan).astype(np.float32)


@pytest.fixture(scope="module")
def fadul(shared_data):
    truth = fadul_truth(shared_data)
    scans = {n: read_scan(shared_data / "fadul" / f"{n}.x3p") for n in sorted(truth)}
    return scans, truth


def test_shape_norm_and_params_digest():
    p = DescriptorParams()
    assert descriptor_dimension(p) == 432
    rng = np.random.default_rng(0)
    d = compute_descriptor(rng.standard_normal((300, 300)).astype(np.float32), spacing_um=6.25)
    assert d.dtype == np.float32 and d.shape == (432,) and abs(np.linalg.norm(d) - 1) < 1e-5
    assert DescriptorParams(n_harmonics=32).digest() != p.digest()
    assert not np.any(compute_descriptor(np.full((50, 50), np.nan), spacing_um=6.25))


def test_rotation_and_translation_invariant(fadul):
    scans, _ = fadul
    a, mate = scans["Fadul 1-1"], scans["Fadul 1-2"]
    d0 = compute_descriptor(a.heights, spacing_um=a.spacing_um)
    mate_score = float(d0 @ compute_descriptor(mate.heights, spacing_um=mate.spacing_um))
    for deg in (23.0, 90.0, 211.0):
        d = compute_descriptor(rotate_nan(a.heights, deg), spacing_um=a.spacing_um)
        assert d0 @ d > 0.97, deg
    shifted = np.pad(a.heights, ((17, 3), (0, 25)), constant_values=np.nan)
    assert d0 @ compute_descriptor(shifted, spacing_um=a.spacing_um) > 0.97
    # invariance is not indifference: the same gun's other case scores clearly lower than itself
    assert mate_score < 0.9


def test_aperture_found_on_crescent_faces(fadul):
    scans, _ = fadul
    for name in ("Fadul 8-1", "Fadul P", "Fadul 1-1"):
        cy, cx, r, found = find_aperture(scans[name].valid)
        assert found and 190 < r < 280, (name, r)  # Ruger aperture ~1.3-1.7 mm at 6.25 µm


def test_fadul_leave_one_out_tier1_ranking(fadul):
    scans, truth = fadul
    names = sorted(scans)
    D = np.stack([compute_descriptor(scans[n].heights, spacing_um=scans[n].spacing_um) for n in names])
    labels = np.array([truth[n] for n in names])
    S = D @ D.T
    np.fill_diagonal(S, -np.inf)
    best_mate_rank = []
    for i in range(len(names)):
        order = np.argsort(-S[i])
        best_mate_rank.append(int(np.flatnonzero(labels[order] == labels[i])[0]) + 1)
    best_mate_rank = np.array(best_mate_rank)
    # measured: 39 of 40 queries have a true mate first, the other at rank 7
    assert (best_mate_rank == 1).mean() >= 0.95
    assert best_mate_rank.max() <= 10
