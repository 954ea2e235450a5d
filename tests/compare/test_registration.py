"""Planted rotations and translations of a real breech face are recovered."""

import cv2
import numpy as np
import pytest

from ballistics_core.compare.geometry import rotate_surface
from ballistics_core.compare.prepare import prepare_surface
from ballistics_core.compare.registration import invert_pose, Pose, rotate_vector
from ballistics_core.decide.cmc import fit_rigid
from ballistics_core.engine import DEFAULT_PARAMS, pair_evidence
from ballistics_core.io import read_scan

SPACING = 6.25


@pytest.fixture(scope="module")
def surface(sample_data):
    scan = read_scan(sample_data / "Fadul 1-1.x3p")
    assert scan.spacing_um == pytest.approx(SPACING)
    return np.array(scan.heights)


def _plant(surface, angle_deg, shift_px):
    moved = rotate_surface(surface, angle_deg)
    v = np.where(np.isfinite(moved), moved, 0).astype(np.float32)
    w = np.isfinite(moved).astype(np.float32)
    m = np.float32([[1, 0, shift_px[1]], [0, 1, shift_px[0]]])
    v = cv2.warpAffine(v, m, v.shape[::-1], flags=cv2.INTER_LINEAR)
    w = cv2.warpAffine(w, m, w.shape[::-1], flags=cv2.INTER_LINEAR)
    return np.where(w > 0.999, v / np.maximum(w, 1e-6), np.nan).astype(np.float32)


@pytest.mark.parametrize("angle,shift", [(37.3, (6.4, -12.0)), (-151.8, (-20.0, 3.3)), (95.5, (0.0, 17.0))])
def test_planted_rotation_and_translation_recovered(surface, angle, shift):
    moved = _plant(surface, angle, shift)
    params = DEFAULT_PARAMS.compare
    pa = prepare_surface(surface, spacing_um=SPACING, params=params)
    pb = prepare_surface(moved, spacing_um=SPACING, params=params)
    reg, m_ab, m_ba, _ = pair_evidence(pa, pb)
    rot, ty, tx = fit_rigid(reg.cells_ab, m_ab)
    ty, tx = pa.to_source_translation(pb, rot, (ty, tx))
    # moved = R(angle) surface + shift, so the moving-onto-fixed pose is its inverse
    ey, ex = rotate_vector(-shift[0] * SPACING, -shift[1] * SPACING, -angle)
    assert abs((rot + angle + 180) % 360 - 180) < 0.5
    assert abs(ty - ey) < SPACING and abs(tx - ex) < SPACING
    assert min(m_ab.count, m_ba.count) >= 0.8 * m_ab.n_cells


def test_invert_pose_round_trip():
    p = Pose(33.0, 120.0, -45.0)
    q = invert_pose(invert_pose(p))
    assert (q.angle_deg, q.dy_um, q.dx_um) == pytest.approx((p.angle_deg, p.dy_um, p.dx_um))
    # a point mapped forward and back returns
    y, x = 300.0, -80.0
    fy, fx = rotate_vector(y, x, p.angle_deg)
    fy, fx = fy + p.dy_um, fx + p.dx_um
    i = invert_pose(p)
    by, bx = rotate_vector(fy, fx, i.angle_deg)
    assert (by + i.dy_um, bx + i.dx_um) == pytest.approx((y, x))
