"""Multi-resolution cell stage: offsets found at the cell sampling are refined at the fine one.

Known answers: a planted sub-pixel translation of a real breech face is
recovered per cell to a fraction of the fine pixel, on the native 6.25 µm grid
and on a 7.37 µm grid (Cadre TopMatch), where the fine grid is no integer
subdivision of the 12.5 µm cell grid.
"""

import dataclasses

import numpy as np
import pytest

from ballistics_core.compare.cells import register_cells
from ballistics_core.compare.params import CompareParams
from ballistics_core.compare.prepare import prepare_surface
from ballistics_core.compare.registration import Pose
from ballistics_core.io import read_scan
from ballistics_core.preprocess.resample import resample

from tests.compare.test_registration import _plant


@pytest.fixture(scope="module")
def surface(sample_data):
    return np.array(read_scan(sample_data / "Fadul 1-1.x3p").heights)


def _cells(fixed, moved, spacing, params, pose):
    pa = prepare_surface(fixed, spacing_um=spacing, params=params)
    pb = prepare_surface(moved, spacing_um=spacing, params=params)
    return pa, pb, register_cells(pa, pb.cell_surface, pose, params=params, moving=pb)


@pytest.mark.parametrize("spacing", [6.25, 7.37])
def test_planted_subpixel_shift_recovered_per_cell(surface, spacing):
    src = surface if spacing == 6.25 else resample(surface, spacing_um=6.25, target_spacing_um=spacing).astype(np.float32)
    shift_px = (3.4, -2.3)  # of the source grid: not a whole pixel of the 12.5 µm cell grid
    moved = _plant(src, 0.0, shift_px)
    params = CompareParams()
    # the planted shift moves content by +shift, so the moving-onto-fixed translation is -shift
    expected = -np.array(shift_px) * spacing
    pose = Pose(0.0, 0.0, 0.0)
    pa, pb, cells = _cells(src, moved, spacing, params, pose)
    assert pa.fine is not None and cells.spacing_um == pytest.approx(spacing)
    k = int(np.argmin(np.abs(cells.angles_deg)))
    ok = cells.r[:, k] > 0.9
    assert ok.sum() >= 0.8 * len(ok)
    # translations are between the padded surfaces' centres; the planted one is between the sources'
    t = np.array([pa.to_source_translation(pb, 0.0, (y, x)) for y, x in zip(cells.ty_um[ok, k], cells.tx_um[ok, k])])
    err = np.hypot(t[:, 0] - expected[0], t[:, 1] - expected[1])
    assert np.median(err) < 0.25 * spacing
    assert err.max() < 0.6 * spacing


def test_fine_stage_off_keeps_the_cell_sampling(surface):
    params = dataclasses.replace(CompareParams(), cell_fine_spacing_um=0.0)
    moved = _plant(surface, 0.0, (3.4, -2.3))
    pa, _, cells = _cells(surface, moved, 6.25, params, Pose(0.0, 0.0, 0.0))
    assert pa.fine is None and cells.spacing_um == params.cell_spacing_um


def test_fine_refinement_is_finer_than_the_search(surface):
    """The fine correlation is measured on more pixels than the coarse one and reaches the same offset."""
    moved = _plant(surface, 0.0, (3.4, -2.3))
    fine = CompareParams()
    coarse = dataclasses.replace(fine, cell_fine_spacing_um=0.0)
    _, _, cf = _cells(surface, moved, 6.25, fine, Pose(0.0, 0.0, 0.0))
    _, _, cc = _cells(surface, moved, 6.25, coarse, Pose(0.0, 0.0, 0.0))
    k = int(np.argmin(np.abs(cf.angles_deg)))
    both = np.isfinite(cf.r[:, k]) & np.isfinite(cc.r[:, k]) & (cc.r[:, k] > 0.9)
    assert both.sum() > 10
    assert np.all(cf.overlap[both, k] > 3 * cc.overlap[both, k])
    d = np.hypot(cf.ty_um[both, k] - cc.ty_um[both, k], cf.tx_um[both, k] - cc.tx_um[both, k])
    assert np.median(d) < 12.5
