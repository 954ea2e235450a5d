"""Known-answer tests for the congruence of cells and the agreement of the two directions."""

import numpy as np
import pytest

from ballistics_core.compare.cells import CellResults
from ballistics_core.compare.registration import Pose, invert_pose
from ballistics_core.decide.cmc import count_cmc, directions_agree, require_agreement

TOL = dict(translation_tol_um=62.5, angle_tol_deg=6.0, ccf_threshold=0.4, high_cmc_tau=1)
AGREE = dict(angle_tol_deg=3.0, translation_tol_um=31.25)


def _far(rng, shape):
    # at least 150 µm from the pose on each axis, either side: never within tolerance by chance
    return rng.choice([-1.0, 1.0], shape) * rng.uniform(150, 400, shape)


def planted_cells(angle_deg, ty_um, tx_um, *, n_congruent=12, n_other=8, other_r=0.6, seed=0):
    """Cells of which ``n_congruent`` support the pose (angle, ty, tx) and the rest point anywhere.

    Angles tried: the pose's angle +-6 degrees in 1.5-degree steps. At the
    planted angle the congruent cells correlate at 0.7 with their translation
    within 10 µm of the pose; elsewhere, and for the other cells, r stays
    below the threshold or the translation lies 150-400 µm off on each axis.
    """
    rng = np.random.default_rng(seed)
    angles = angle_deg + np.arange(-6.0, 6.01, 1.5)
    n, k = n_congruent + n_other, len(angles)
    best = int(np.argmin(np.abs(angles - angle_deg)))
    r = rng.uniform(0.1, 0.35, (n, k))
    ty = ty_um + _far(rng, (n, k))
    tx = tx_um + _far(rng, (n, k))
    r[:n_congruent, best] = 0.7
    ty[:n_congruent, best] = ty_um + rng.uniform(-10, 10, n_congruent)
    tx[:n_congruent, best] = tx_um + rng.uniform(-10, 10, n_congruent)
    # the other cells correlate well somewhere too, but at translations of their own
    r[n_congruent:, best] = other_r
    return CellResults(
        centers_um=rng.uniform(-1500, 1500, (n, 2)), grid_index=np.zeros((n, 2), int), valid_fraction=np.ones(n),
        angles_deg=angles, r=r, ty_um=ty, tx_um=tx, overlap=np.full((n, k), 1000.0), cell_size_um=425.0,
        spacing_um=12.5, phase=np.zeros(n, int),
    )


def test_planted_congruent_cells_are_counted_at_their_pose():
    m = count_cmc(planted_cells(20.0, 300.0, -150.0), **TOL)
    assert m.count == 12
    assert m.congruent[:12].all() and not m.congruent[12:].any()
    assert m.angle_deg == pytest.approx(20.0)
    assert m.ty_um == pytest.approx(300.0, abs=10) and m.tx_um == pytest.approx(-150.0, abs=10)


def _inverse_cells(angle_deg, ty_um, tx_um, **kw):
    inv = invert_pose(Pose(angle_deg, ty_um, tx_um, 0.0, 0.0))
    return planted_cells(inv.angle_deg, inv.dy_um, inv.dx_um, **kw)


def test_two_directions_at_one_alignment_agree_and_keep_their_counts():
    ab = count_cmc(planted_cells(20.0, 300.0, -150.0, seed=1), **TOL)
    ba = count_cmc(_inverse_cells(20.0, 300.0, -150.0, seed=2), **TOL)
    assert directions_agree(ab, ba, **AGREE)
    kept_ab, kept_ba = require_agreement(ab, ba, **AGREE)
    assert (kept_ab.count, kept_ba.count) == (12, 12)
    assert kept_ab.method == "high-cmc"


@pytest.mark.parametrize("shift", [(80.0, 0.0), (0.0, -45.0)])
def test_directions_congruent_at_different_translations_are_withdrawn(shift):
    ab = count_cmc(planted_cells(20.0, 300.0, -150.0, seed=1), **TOL)
    ba = count_cmc(_inverse_cells(20.0, 300.0 + shift[0], -150.0 + shift[1], seed=2), **TOL)
    assert ab.count == 12 and ba.count == 12
    assert not directions_agree(ab, ba, **AGREE)
    w_ab, w_ba = require_agreement(ab, ba, **AGREE)
    assert (w_ab.count, w_ba.count) == (0, 0)
    assert w_ab.method == w_ba.method == "disagreeing"
    assert not w_ab.congruent.any() and not w_ba.congruent.any()
    # the per-angle curve is still there for the review figures and the features
    assert (w_ab.cmc_per_angle == ab.cmc_per_angle).all()


def test_directions_congruent_at_different_rotations_are_withdrawn():
    ab = count_cmc(planted_cells(20.0, 300.0, -150.0, seed=1), **TOL)
    ba = count_cmc(_inverse_cells(26.0, 300.0, -150.0, seed=2), **TOL)
    assert not directions_agree(ab, ba, **AGREE)
    assert require_agreement(ab, ba, **AGREE)[0].count == 0


def test_a_congruence_seen_from_one_side_only_does_not_stand():
    ab = count_cmc(planted_cells(20.0, 300.0, -150.0, seed=1), **TOL)
    ba = count_cmc(_inverse_cells(20.0, 300.0, -150.0, n_congruent=0, n_other=20, other_r=0.3, seed=2), **TOL)
    assert ba.count == 0
    w_ab, w_ba = require_agreement(ab, ba, **AGREE)
    assert w_ab.count == 0 and w_ab.method == "disagreeing"
    assert w_ba.count == 0


def test_agreement_tolerances_are_inclusive_and_in_physical_units():
    ab = count_cmc(planted_cells(20.0, 300.0, -150.0, seed=1), **TOL)
    ba = count_cmc(_inverse_cells(20.0, 300.0, -150.0, seed=2), **TOL)
    inv = invert_pose(Pose(ab.angle_deg, ab.ty_um, ab.tx_um, 0.0, 0.0))
    gap = max(abs(inv.dy_um - ba.ty_um), abs(inv.dx_um - ba.tx_um))
    assert directions_agree(ab, ba, angle_tol_deg=3.0, translation_tol_um=gap)
    assert not directions_agree(ab, ba, angle_tol_deg=3.0, translation_tol_um=gap - 0.5)
