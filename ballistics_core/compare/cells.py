"""Cell stage of Congruent Matching Cells (Song 2013): per-cell registration.

The fixed surface is cut into square cells; each cell is registered on its own
against the rotated moving surface, around where the full-scan pose puts it,
at several rotations. The decide stage then asks how many cells agree
(congruence) on one rotation and translation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ballistics_core.compare import _kernels
from ballistics_core.compare.geometry import rotate_split_stack, rotation_canvas
from ballistics_core.compare.ncc import masked_ncc_valid
from ballistics_core.compare.params import CompareParams
from ballistics_core.compare.registration import Pose
from ballistics_core.compare.runtime import fft_workers

__all__ = ["CellResults", "cut_cells", "register_cells"]


@dataclass(frozen=True)
class CellResults:
    """Per-cell, per-rotation registration results (one comparison direction).

    Attributes
    ----------
    centers_um : (n, 2) float
        Cell centres (row, col) relative to the fixed surface's centre, µm.
    grid_index : (n, 2) int
        Row and column of each cell in the grid.
    valid_fraction : (n,) float
        Valid fraction of each cell.
    angles_deg : (k,) float
        Rotations tried.
    r : (n, k) float
        Pearson r at each cell's chosen offset (NaN where none qualified).
    ty_um, tx_um : (n, k) float
        Translation of the moving surface that the cell supports (pose convention).
    overlap : (n, k) float
        Jointly valid pixels at the chosen offset.
    cell_size_um, spacing_um : float
    phase : (n,) int
        Grid placement of each cell (see ``CompareParams.cell_grid_phases``).
    """

    centers_um: np.ndarray
    grid_index: np.ndarray
    valid_fraction: np.ndarray
    angles_deg: np.ndarray
    r: np.ndarray
    ty_um: np.ndarray
    tx_um: np.ndarray
    overlap: np.ndarray
    cell_size_um: float
    spacing_um: float
    phase: np.ndarray | None = None

    @property
    def n_phases(self) -> int:
        return 1 if self.phase is None or len(self.phase) == 0 else int(self.phase.max()) + 1


def cut_cells(surface: np.ndarray, *, cell_px: int, min_valid_fraction: float, phase: float = 0.0):
    """Cut a grid of square cells over the valid bounding box of ``surface``.

    ``phase`` shifts the grid by that fraction of a cell along both axes (the
    grid then has one more row and column), so that a second grid's cells
    straddle the first grid's corners.

    Returns
    -------
    cells : (n, cell_px, cell_px) float32, NaN outside the surface
    centers_px : (n, 2) float, relative to the surface centre
    grid_index : (n, 2) int
    valid_fraction : (n,) float
    """
    valid = np.isfinite(surface)
    if not valid.any():
        return (np.empty((0, cell_px, cell_px), np.float32), np.empty((0, 2)), np.empty((0, 2), int), np.empty(0))
    rows = np.flatnonzero(valid.any(axis=1))
    cols = np.flatnonzero(valid.any(axis=0))
    y0, y1, x0, x1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    ny = int(np.ceil((y1 - y0) / cell_px))
    nx = int(np.ceil((x1 - x0) / cell_px))
    # centre the grid on the bounding box
    gy0 = y0 - (ny * cell_px - (y1 - y0)) // 2
    gx0 = x0 - (nx * cell_px - (x1 - x0)) // 2
    if phase:
        shift = int(round(phase * cell_px))
        gy0, gx0, ny, nx = gy0 - shift, gx0 - shift, ny + 1, nx + 1
    pad = 2 * cell_px
    padded = np.pad(surface.astype(np.float32), pad, constant_values=np.nan)
    h, w = surface.shape
    cells, centers, index, frac = [], [], [], []
    for gy in range(ny):
        for gx in range(nx):
            ys, xs = gy0 + gy * cell_px, gx0 + gx * cell_px
            c = padded[ys + pad : ys + pad + cell_px, xs + pad : xs + pad + cell_px]
            f = float(np.isfinite(c).mean())
            if f < min_valid_fraction:
                continue
            cells.append(c)
            centers.append((ys + (cell_px - 1) / 2.0 - (h - 1) / 2.0, xs + (cell_px - 1) / 2.0 - (w - 1) / 2.0))
            index.append((gy, gx))
            frac.append(f)
    if not cells:
        return (np.empty((0, cell_px, cell_px), np.float32), np.empty((0, 2)), np.empty((0, 2), int), np.empty(0))
    return np.stack(cells), np.array(centers, float), np.array(index, int), np.array(frac)


def register_cells(fixed, moving_surface: np.ndarray, pose: Pose, *, params: CompareParams, moving=None) -> CellResults:
    """Register every cell of a prepared ``fixed`` surface in ``moving_surface`` around ``pose``.

    Each cell's offset is chosen by overlap-aware evidence (Fisher z times the
    square root of the overlap) among offsets where at least
    ``params.cell_min_overlap_fraction`` of the cell overlaps valid data, and only
    then is its correlation judged. Taking the plain maximum r over thousands of
    offsets lets sparse cells find chance peaks of 0.5 and more.

    Parameters
    ----------
    fixed : PreparedSurface
        Supplies the cells and their template spectra.
    moving_surface : 2-D ndarray
        The other surface's ``cell_surface`` (same sampling, NaN = invalid).
    pose : Pose
        Full-scan estimate of the moving surface on the fixed one.
    params : CompareParams
    moving : PreparedSurface, optional
        The prepared moving surface; with both sides' ``fine`` cells, every
        offset found is refined at the fine sampling (multi-resolution, see
        ``CompareParams.cell_fine_spacing_um``) and the results are the fine ones.
    """
    cs = fixed.cell_spacing_um
    cell_px, rad, side = fixed.cell_px, fixed.radius_px, fixed.region_px
    cells = fixed.cells
    angles = pose.angle_deg + np.arange(
        -params.cell_angle_span_deg, params.cell_angle_span_deg + 1e-9, params.cell_angle_step_deg
    )
    n, k = len(cells), len(angles)
    r = np.full((n, k), np.nan)
    ty = np.full((n, k), np.nan)
    tx = np.full((n, k), np.nan)
    ov = np.zeros((n, k))
    if n:
        m = moving_surface
        canvas = rotation_canvas(m.shape)
        tyx = np.array([pose.dy_um, pose.dx_um]) / cs
        centre = (np.array(canvas, float) - 1) / 2.0
        # where each cell's top-left lands in the rotated moving canvas, minus the search radius
        corners = np.rint(centre + fixed.cell_centers_px - tyx - (cell_px - 1) / 2.0 - rad).astype(int)
        cell_valid = np.isfinite(cells).reshape(n, -1).sum(axis=1).astype(float)
        min_n = params.cell_min_overlap_fraction * cell_valid
        # Only the part of the canvas the regions cover is rotated, in split form (values,
        # validity), and regions reaching past it read invalid pixels, as past the canvas.
        size = np.array(canvas)
        lo = np.clip(corners.min(axis=0), 0, size - 1)
        hi = np.maximum(np.clip(corners.max(axis=0) + side, 0, size), lo + 1)
        wv, wm = rotate_split_stack(m, angles, output_shape=canvas,
                                    window=(int(lo[0]), int(lo[1]), int(hi[0] - lo[0]), int(hi[1] - lo[1])))
        before = np.maximum(lo - corners.min(axis=0), 0)
        after = np.maximum(corners.max(axis=0) + side - hi, 0)
        widths = ((0, 0), (int(before[0]), int(after[0])), (int(before[1]), int(after[1])))
        wv, wm = np.pad(wv, widths), np.pad(wm, widths)
        starts = corners - lo + before
        regions_v = np.empty((k, n, side, side), np.float32)
        regions_m = np.empty((k, n, side, side), np.float32)
        for c_i, (y, x) in enumerate(starts):
            regions_v[:, c_i] = wv[:, y : y + side, x : x + side]
            regions_m[:, c_i] = wm[:, y : y + side, x : x + side]
        search = 2 * rad + 1
        ncc, overlap = masked_ncc_valid((regions_v, regions_m), fixed.cell_spectra, (cell_px, cell_px), min_overlap=16,
                                        workers=fft_workers(), out_shape=(search, search))
        idx = np.empty(k * n, np.int64)
        rr = np.empty(k * n)
        nn = np.empty(k * n)
        crit = np.empty(k * n)
        _kernels.best_offsets(ncc, overlap, np.tile(min_n, k), idx, rr, nn, crit)
        sub_i = np.empty(k * n)
        sub_j = np.empty(k * n)
        _kernels.subpixel_batch(ncc, idx, sub_i, sub_j)
        ok = idx >= 0
        di, dj = np.divmod(np.where(ok, idx, 0), search)
        di = di + sub_i
        dj = dj + sub_j
        r = np.where(ok, rr, np.nan).reshape(k, n).T
        ov = np.where(ok, nn, 0).reshape(k, n).T
        # the translation carries the cell's centre onto the centre of the window it was
        # found at; measured from the region's actual (rounded) corner, not the predicted one
        found = np.tile(corners, (k, 1)) + np.stack([di, dj], axis=1) + (cell_px - 1) / 2.0 - centre
        t = (np.tile(fixed.cell_centers_px, (k, 1)) - found) * cs
        ty = np.where(ok, t[:, 0], np.nan).reshape(k, n).T
        tx = np.where(ok, t[:, 1], np.nan).reshape(k, n).T
        if fixed.fine is not None and moving is not None and moving.fine is not None:
            return _refine_fine(fixed, moving, angles, r, ty, tx, params)
    return CellResults(
        centers_um=fixed.cell_centers_px * cs,
        grid_index=fixed.cell_grid_index,
        valid_fraction=fixed.cell_valid_fraction,
        angles_deg=angles,
        r=r,
        ty_um=ty,
        tx_um=tx,
        overlap=ov,
        cell_size_um=cell_px * cs,
        spacing_um=cs,
        phase=fixed.cell_phase,
    )


def _refine_fine(fixed, moving, angles, r, ty, tx, params: CompareParams) -> CellResults:
    """Continue the coarse cell offsets at the fine sampling (both sides' ``fine`` cells).

    Every cell offset the coarse search found, at every rotation, is refined;
    its correlation, overlap and translation are then the fine ones. Positions
    are physical (µm from the cell-stage surfaces' centres), so the fine grid
    need not be an integer subdivision of the coarse one (TopMatch 7.37 µm).
    """
    ff, mf = fixed.fine, moving.fine
    fs = ff.spacing_um
    n, k = r.shape
    cf = ff.cell_px
    h, w = mf.surface.shape
    d = int(np.ceil(np.hypot(h, w))) + 4
    canvas = (d, d)
    mid = (d - 1) / 2.0
    ci, ai = np.nonzero(np.isfinite(r))
    # where the coarse translation puts each fine cell's top-left in the rotated moving canvas
    wy = (ff.centers_um[ci, 0] - ty[ci, ai]) / fs + mid - (cf - 1) / 2.0
    wx = (ff.centers_um[ci, 1] - tx[ci, ai]) / fs + mid - (cf - 1) / 2.0
    base = np.stack([np.rint(wy), np.rint(wx)], axis=1).astype(np.int64)
    m = len(ci)
    # Only the part of the canvas that the hill climb can reach is rotated (the
    # canvas holds any rotation, about twice the surface's area); pixels beyond it
    # are invalid to the kernel, as they are outside the canvas.
    reach = int(params.cell_fine_max_steps) + 1
    if m:
        lo = np.maximum(base.min(axis=0) - reach, 0)
        hi = np.minimum(base.max(axis=0) + reach + cf, d)
    else:
        lo, hi = np.zeros(2, np.int64), np.ones(2, np.int64)
    wv, wm = rotate_split_stack(mf.surface, angles, output_shape=canvas, center=tuple(mf.center_px),
                                window=(int(lo[0]), int(lo[1]), int(hi[0] - lo[0]), int(hi[1] - lo[1])))
    base = base - lo
    rr, nn, dy, dx = np.empty(m), np.empty(m), np.empty(m), np.empty(m)
    min_n = params.cell_min_overlap_fraction * ff.n_valid[ci]
    _kernels.fine_offsets(ff.values, ff.valid, ff.values_sq, wv, wm, ci.astype(np.int64), ai.astype(np.int64), base,
                          min_n, int(params.cell_fine_max_steps), rr, nn, dy, dx)
    good = np.isfinite(rr)
    r_f = np.full((n, k), np.nan)
    ov = np.zeros((n, k))
    ty_f = np.full((n, k), np.nan)
    tx_f = np.full((n, k), np.nan)
    r_f[ci[good], ai[good]] = rr[good]
    ov[ci[good], ai[good]] = nn[good]
    # the window's centre in the moving frame; the translation is what carries the cell onto it
    ty_f[ci[good], ai[good]] = ff.centers_um[ci[good], 0] - (base[good, 0] + lo[0] + dy[good] + (cf - 1) / 2.0 - mid) * fs
    tx_f[ci[good], ai[good]] = ff.centers_um[ci[good], 1] - (base[good, 1] + lo[1] + dx[good] + (cf - 1) / 2.0 - mid) * fs
    return CellResults(
        centers_um=ff.centers_um,
        grid_index=fixed.cell_grid_index,
        valid_fraction=fixed.cell_valid_fraction,
        angles_deg=angles,
        r=r_f,
        ty_um=ty_f,
        tx_um=tx_f,
        overlap=ov,
        cell_size_um=cf * fs,
        spacing_um=fs,
        phase=fixed.cell_phase,
    )
