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
from ballistics_core.compare.geometry import rotate_surface, rotation_canvas
from ballistics_core.compare.ncc import masked_ncc_batch, overlap_lag_bounds
from ballistics_core.compare.params import CompareParams
from ballistics_core.compare.runtime import fft_workers
from ballistics_core.preprocess.resample import resample

__all__ = ["Pose", "coarse_rotation_search", "invert_pose", "refine_rotation", "wrap_angle"]

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
    angles_deg = np.asarray(angles_deg, np.float64)
    canvas = canvas or rotation_canvas(m.shape)
    min_n = params.min_overlap_fraction * min(np.isfinite(f).sum(), np.isfinite(m).sum())
    n_ang = len(angles_deg)
    idx = np.empty(n_ang, np.int64)
    r = np.empty(n_ang)
    n = np.empty(n_ang)
    crit = np.empty(n_ang)
    maps = []
    origins = []
    f_valid = np.isfinite(f)
    for start in range(0, n_ang, _BATCH):
        batch = angles_deg[start : start + _BATCH]
        stack = np.stack([rotate_surface(m, a, output_shape=canvas) for a in batch])
        sl = slice(start, start + len(batch))
        # only offsets that can reach the minimum overlap are computed (exact, see overlap_lag_bounds)
        lags = overlap_lag_bounds(f_valid, np.isfinite(stack), min_n)
        if lags is None:
            idx[sl], r[sl], n[sl], crit[sl] = -1, np.nan, 0.0, -np.inf
            maps.extend([None] * len(batch))
            origins.extend([None] * len(batch))
            continue
        ncc, ov = masked_ncc_batch(f, stack, min_overlap=max(16, int(min_n)), dtype=np.float32, workers=fft_workers(),
                                   lags=lags)
        _kernels.best_offsets(ncc, ov, np.full(len(batch), float(min_n)), idx[sl], r[sl], n[sl], crit[sl])
        maps.extend(ncc)
        # full-mode index of the window's first offset: d + (m - 1)
        origins.extend([(lags[0][0] + canvas[0] - 1, lags[1][0] + canvas[1] - 1)] * len(batch))
    poses: list[Pose] = []
    order = np.argsort(-crit)
    denom = float(min(np.isfinite(f).sum(), np.isfinite(m).sum()))
    for k in order:
        if not np.isfinite(crit[k]) or idx[k] < 0:
            break
        if any(abs(float(wrap_angle(angles_deg[k] - p.angle_deg))) < params.coarse_peak_separation_deg for p in poses):
            continue
        i, j = divmod(int(idx[k]), maps[k].shape[1])
        di, dj = _kernels.subpixel_peak(maps[k], i, j)
        ty, tx = _offset_to_translation(origins[k][0] + i + di, origins[k][1] + j + dj, f.shape, canvas, cs)
        poses.append(Pose(float(wrap_angle(angles_deg[k])), ty, tx, float(r[k]), float(n[k] / denom)))
        if len(poses) >= (max_poses or params.coarse_candidates):
            break
    return poses, angles_deg, crit


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
