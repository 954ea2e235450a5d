"""Full-scan registration: rotation over the full circle, then translation.

Exhibits arrive in any orientation, so the coarse search covers 0-360 degrees
on a coarse sampling; its best distinct peaks are handed on (and refined by the
cell stage). A pose maps the moving surface onto the fixed one:
``p_fixed = R(angle) p_moving + t``, both measured from the image centres, in
µm, rows down and columns right, angle counter-clockwise as displayed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ballistics_core.compare import _kernels
from ballistics_core.compare.geometry import rotate_split_stack, rotation_canvas
from ballistics_core.compare.ncc import masked_ncc_batch, overlap_lag_bounds
from ballistics_core.compare.params import CompareParams
from ballistics_core.compare.runtime import fft_workers
from ballistics_core.preprocess.resample import resample

__all__ = ["Pose", "coarse_rotation_search", "coarse_search_with_mirror", "invert_pose", "refine_rotation", "wrap_angle"]

# Rotations per FFT batch: bounds the memory of the coarse stage.
_BATCH = 24


@dataclass(frozen=True)
class Pose:
    """A rigid alignment of a moving surface onto a fixed one.

    Attributes
    ----------
    angle_deg : float
        Counter-clockwise rotation applied to the moving surface, in [-180, 180).
    dy_um, dx_um : float
        Translation of the moving surface's centre from the fixed one's, in µm.
    r : float
        Masked Pearson correlation at this pose (at the sampling it was found on).
    overlap_fraction : float
        Joint valid area over the smaller surface's valid area.
    """

    angle_deg: float
    dy_um: float
    dx_um: float
    r: float = float("nan")
    overlap_fraction: float = float("nan")


def wrap_angle(a: float | np.ndarray) -> float | np.ndarray:
    """Angle in [-180, 180)."""
    return (np.asarray(a) + 180.0) % 360.0 - 180.0


def invert_pose(pose: Pose) -> Pose:
    """The pose of the fixed surface on the moving one: ``p_m = R(-a) p_f - R(-a) t``."""
    ry, rx = rotate_vector(-pose.dy_um, -pose.dx_um, -pose.angle_deg)
    return Pose(float(wrap_angle(-pose.angle_deg)), ry, rx, pose.r, pose.overlap_fraction)


def rotate_vector(dy: float, dx: float, angle_deg: float) -> tuple[float, float]:
    """Rotate a (row, col) vector counter-clockwise as displayed (rows point down)."""
    t = np.deg2rad(angle_deg)
    c, s = np.cos(t), np.sin(t)
    return float(c * dy - s * dx), float(s * dy + c * dx)


def _offset_to_translation(idx_i: float, idx_j: float, fixed_shape, moving_shape, spacing_um: float):
    hf, wf = fixed_shape
    hm, wm = moving_shape
    dy = idx_i - (hm - 1)
    dx = idx_j - (wm - 1)
    # moving centre lands on fixed pixel (cm + d); translation is relative to the fixed centre
    ty = (hm - 1) / 2.0 + dy - (hf - 1) / 2.0
    tx = (wm - 1) / 2.0 + dx - (wf - 1) / 2.0
    return ty * spacing_um, tx * spacing_um


def coarse_rotation_search(
    fixed: np.ndarray,
    moving: np.ndarray,
    *,
    spacing_um: float,
    params: CompareParams = CompareParams(),
    angles_deg: np.ndarray | None = None,
    canvas: tuple[int, int] | None = None,
    max_poses: int | None = None,
) -> tuple[list[Pose], np.ndarray, np.ndarray]:
    """Search rotation (full circle by default) and translation on a coarse sampling.

    Parameters
    ----------
    fixed, moving : 2-D ndarray, NaN = invalid, at ``spacing_um``
        Resampled to ``params.coarse_spacing_um`` first if finer.
    spacing_um : float
    params : CompareParams
    angles_deg : 1-D ndarray, optional
        Rotations to try; default ``0, step, ..., 360 - step``.
    canvas : (h, w), optional
        Canvas for the rotated moving surface (default: its diagonal).
    max_poses : int, optional
        Distinct peaks to return (default ``params.coarse_candidates``).

    Returns
    -------
    poses : list of Pose
        Up to ``params.coarse_candidates`` distinct peaks, best first.
    angles_deg, evidence : 1-D ndarrays
        The evidence (overlap-aware Fisher z) at each rotation tried.
    """
    cs = max(params.coarse_spacing_um, spacing_um)
    f = resample(fixed, spacing_um=spacing_um, target_spacing_um=cs).astype(np.float32)
    m = resample(moving, spacing_um=spacing_um, target_spacing_um=cs).astype(np.float32)
    if angles_deg is None:
        angles_deg = np.arange(0.0, 360.0, params.coarse_angle_step_deg)
    canvas = canvas or rotation_canvas(m.shape)
    ev = _angle_evidence(f, m, np.asarray(angles_deg, np.float64), canvas, params.min_overlap_fraction, cs)
    poses = _distinct_peaks(ev, params.coarse_peak_separation_deg, max_poses or params.coarse_candidates)
    return poses, ev["angles"], ev["crit"]


def _angle_evidence(f, m, angles_deg, canvas, min_overlap_fraction, cs) -> dict:
    """Per rotation: the best offset's evidence, r, overlap fraction and translation (µm)."""
    min_n = min_overlap_fraction * min(np.isfinite(f).sum(), np.isfinite(m).sum())
    denom = float(min(np.isfinite(f).sum(), np.isfinite(m).sum()))
    n_ang = len(angles_deg)
    idx = np.full(n_ang, -1, np.int64)
    r = np.full(n_ang, np.nan)
    n = np.zeros(n_ang)
    crit = np.full(n_ang, -np.inf)
    ty = np.full(n_ang, np.nan)
    tx = np.full(n_ang, np.nan)
    f_valid = np.isfinite(f)
    for start in range(0, n_ang, _BATCH):
        batch = angles_deg[start : start + _BATCH]
        # one split of the moving surface for the whole batch (rotate_surface per angle redid it)
        values, ok = rotate_split_stack(m, batch, output_shape=canvas)
        sl = slice(start, start + len(batch))
        # only offsets that can reach the minimum overlap are computed (exact, see overlap_lag_bounds)
        lags = overlap_lag_bounds(f_valid, ok > 0, min_n)
        if lags is None:
            continue
        ncc, ov = masked_ncc_batch(f, (values, ok), min_overlap=max(16, int(min_n)), dtype=np.float32, workers=fft_workers(),
                                   lags=lags)
        _kernels.best_offsets(ncc, ov, np.full(len(batch), float(min_n)), idx[sl], r[sl], n[sl], crit[sl])
        # full-mode index of the window's first offset: d + (m - 1)
        oy, ox = lags[0][0] + canvas[0] - 1, lags[1][0] + canvas[1] - 1
        for b in range(len(batch)):
            k = start + b
            if idx[k] < 0 or not np.isfinite(crit[k]):
                crit[k] = -np.inf
                continue
            i, j = divmod(int(idx[k]), ncc.shape[2])
            di, dj = _kernels.subpixel_peak(ncc[b], i, j)
            ty[k], tx[k] = _offset_to_translation(oy + i + di, ox + j + dj, f.shape, canvas, cs)
    return {"angles": angles_deg, "crit": crit, "r": r, "overlap": n / denom, "ty": ty, "tx": tx}


def _merge_evidence(a: dict, b: dict) -> dict:
    order = np.argsort(np.concatenate([a["angles"], b["angles"]]), kind="stable")
    return {k: np.concatenate([a[k], b[k]])[order] for k in a}


def _distinct_peaks(ev: dict, separation_deg: float, max_poses: int) -> list[Pose]:
    poses: list[Pose] = []
    for k in np.argsort(-ev["crit"], kind="stable"):
        if not np.isfinite(ev["crit"][k]):
            break
        if any(abs(float(wrap_angle(ev["angles"][k] - p.angle_deg))) < separation_deg for p in poses):
            continue
        poses.append(Pose(float(wrap_angle(ev["angles"][k])), float(ev["ty"][k]), float(ev["tx"][k]), float(ev["r"][k]),
                          float(ev["overlap"][k])))
        if len(poses) >= max_poses:
            break
    return poses


def coarse_search_with_mirror(
    fixed: np.ndarray,
    moving: np.ndarray,
    mirror: np.ndarray | None,
    *,
    spacing_um: float,
    params: CompareParams = CompareParams(),
    canvas: tuple[int, int] | None = None,
    mirror_canvas: tuple[int, int] | None = None,
) -> tuple[list[Pose], np.ndarray, np.ndarray, bool]:
    """Full-circle search of ``moving`` and, if given, of its ``mirror`` image; the better handedness wins.

    Both handednesses are searched on every other angle of the full grid
    (``2 * coarse_angle_step_deg``); the one with the stronger evidence there
    is then searched on the remaining angles, so the chosen handedness sees
    the whole grid and the other costs half a search instead of a whole one.

    Returns
    -------
    poses, angles_deg, evidence : as :func:`coarse_rotation_search` (chosen handedness, full grid)
    mirrored : bool
    """
    cs = max(params.coarse_spacing_um, spacing_um)
    f = resample(fixed, spacing_um=spacing_um, target_spacing_um=cs).astype(np.float32)
    grid = np.arange(0.0, 360.0, params.coarse_angle_step_deg)
    if mirror is None:
        grid_first, grid_rest = grid, grid[:0]
    else:
        grid_first, grid_rest = grid[::2], grid[1::2]
    choices = [(moving, canvas, False)] + ([(mirror, mirror_canvas, True)] if mirror is not None else [])
    best = None
    for surf, cv, is_mirror in choices:
        m = resample(surf, spacing_um=spacing_um, target_spacing_um=cs).astype(np.float32)
        cv = cv or rotation_canvas(m.shape)
        ev = _angle_evidence(f, m, grid_first, cv, params.min_overlap_fraction, cs)
        # the handedness is chosen on full-scan evidence alone, before any cell is judged
        if best is None or np.max(ev["crit"]) > np.max(best[0]["crit"]):
            best = (ev, m, cv, is_mirror)
    ev, m, cv, mirrored = best
    if len(grid_rest):
        ev = _merge_evidence(ev, _angle_evidence(f, m, grid_rest, cv, params.min_overlap_fraction, cs))
    poses = _distinct_peaks(ev, params.coarse_peak_separation_deg, params.coarse_candidates)
    return poses, ev["angles"], ev["crit"], mirrored


def refine_rotation(
    fixed: np.ndarray,
    moving: np.ndarray,
    pose: Pose,
    *,
    spacing_um: float,
    params: CompareParams = CompareParams(),
    canvas: tuple[int, int] | None = None,
) -> Pose:
    """Refine a coarse pose's rotation on a finer angle grid (same sampling)."""
    half = params.coarse_angle_step_deg
    angles = pose.angle_deg + np.arange(-half, half + 1e-9, params.coarse_refine_step_deg)
    refined, _, _ = coarse_rotation_search(
        fixed, moving, spacing_um=spacing_um, params=params, angles_deg=angles, canvas=canvas, max_poses=1
    )
    return refined[0] if refined and refined[0].r >= pose.r else pose
