"""Firing-pin channel: the impression unwrapped to polar coordinates.

In polar coordinates about the impression's centre a rotation of the cartridge
becomes a circular shift along the angle axis, so the comparison stage only has
to search one shift (plus a small radial tolerance).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import cv2
import numpy as np

from ballistics_core.params import DigestMixin
from ballistics_core.preprocess.filters import bandpass
from ballistics_core.scan import Scan

__all__ = ["FiringPinParams", "extract_firing_pin", "unwrap_polar"]


@dataclass(frozen=True)
class FiringPinParams(DigestMixin):
    """Options of the firing-pin channel (µm and degrees).

    Attributes
    ----------
    radius_fraction : float
        Part of the detected impression radius that is unwrapped. The detected
        radius covers the whole hole (crater and walls); in optical scans the
        crater floor is often unmeasured, so the walls carry most of the marks.
    radial_step_um : float
        Radial sampling of the polar image.
    angle_step_deg : float
        Angular sampling of the polar image.
    form_cutoff_um : float
        Long-wavelength cut-off that removes the crater's form.
    noise_cutoff_um : float
        Short-wavelength cut-off.
    max_radial_shift_um : float
        Radial misalignment tolerated by the comparison (centre uncertainty).
    min_valid_fraction : float
        Polar images with less valid area are not kept (the unmeasured crater
        floor is expected to leave the inner rows empty).
    """

    radius_fraction: float = 1.0
    radial_step_um: float = 6.25
    angle_step_deg: float = 1.0
    form_cutoff_um: float = 150.0
    noise_cutoff_um: float = 16.0
    max_radial_shift_um: float = 25.0
    min_valid_fraction: float = 0.15


def unwrap_polar(
    surface: np.ndarray,
    *,
    center_yx_px: tuple[float, float],
    radius_px: float,
    n_radii: int,
    n_angles: int,
) -> np.ndarray:
    """Sample a surface on a polar grid (rows: radius 0..radius_px, columns: angle 0..360).

    Bilinear interpolation; a sample is NaN where any of its neighbours was NaN.
    """
    valid = np.isfinite(surface)
    values = np.where(valid, surface, 0.0).astype(np.float32)
    r = np.linspace(0.0, radius_px, n_radii, dtype=np.float32)
    t = np.deg2rad(np.arange(n_angles, dtype=np.float32) * (360.0 / n_angles))
    # counter-clockwise as displayed: rows grow downwards
    map_x = (center_yx_px[1] + r[:, None] * np.cos(t)[None, :]).astype(np.float32)
    map_y = (center_yx_px[0] - r[:, None] * np.sin(t)[None, :]).astype(np.float32)
    v = cv2.remap(values, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0.0)
    w = cv2.remap(valid.astype(np.float32), map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0.0)
    out = np.full(v.shape, np.nan, np.float32)
    ok = w >= 0.999
    out[ok] = v[ok] / w[ok]
    return out


def extract_firing_pin(
    scan: Scan, preprocess_meta: Mapping, *, params: FiringPinParams = FiringPinParams()
) -> tuple[np.ndarray | None, float]:
    """Unwrap the firing-pin impression of a raw scan, form removed.

    Parameters
    ----------
    scan : Scan
        The raw scan (before preprocessing).
    preprocess_meta : mapping
        ``meta`` of the preprocessed scan: the detected firing-pin centre and
        radius (output coordinates) and the crop origin.

    Returns
    -------
    polar : (n_r, n_theta) float32 or None
        None when no firing pin was detected or too little of it was measured.
    radial_step_um : float
    """
    centre = preprocess_meta.get("firing_pin_center_yx_um")
    radius = preprocess_meta.get("firing_pin_radius_um")
    origin = preprocess_meta.get("crop_origin_yx_um") or (0.0, 0.0)
    if centre is None or not radius:
        return None, 0.0
    sp = scan.spacing_um
    cy = (centre[0] + origin[0]) / sp
    cx = (centre[1] + origin[1]) / sp
    rad_um = float(radius) * params.radius_fraction
    rad_px = rad_um / sp
    h, w = scan.shape
    y0, y1 = int(max(0, cy - rad_px - 2)), int(min(h, cy + rad_px + 3))
    x0, x1 = int(max(0, cx - rad_px - 2)), int(min(w, cx + rad_px + 3))
    if y1 - y0 < 8 or x1 - x0 < 8:
        return None, 0.0
    patch = np.array(scan.heights[y0:y1, x0:x1], np.float64)
    yy, xx = np.mgrid[y0:y1, x0:x1]
    inside = (yy - cy) ** 2 + (xx - cx) ** 2 <= rad_px**2
    patch[~inside] = np.nan
    if np.isfinite(patch).mean() < params.min_valid_fraction * inside.mean():
        return None, 0.0
    # the crater's form (a bowl) dominates the heights; the marks ride on it
    ok = np.isfinite(patch)
    A = np.stack([np.ones(ok.sum()), yy[ok], xx[ok], yy[ok] ** 2, xx[ok] ** 2, yy[ok] * xx[ok]], axis=1).astype(float)
    A[:, 1:] -= A[:, 1:].mean(axis=0)
    coef, *_ = np.linalg.lstsq(A, patch[ok], rcond=None)
    patch[ok] -= A @ coef
    patch = bandpass(patch, spacing_um=sp, short_cutoff_um=params.noise_cutoff_um, long_cutoff_um=params.form_cutoff_um)
    n_r = max(4, int(round(rad_um / params.radial_step_um)) + 1)
    n_t = int(round(360.0 / params.angle_step_deg))
    polar = unwrap_polar(patch, center_yx_px=(cy - y0, cx - x0), radius_px=rad_px, n_radii=n_r, n_angles=n_t)
    if np.isfinite(polar).mean() < params.min_valid_fraction:
        return None, 0.0
    return polar, float(rad_um / (n_r - 1))
