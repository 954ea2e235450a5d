"""Rotation and area-averaging resampling of surfaces with invalid (NaN) points."""

from __future__ import annotations

import math

import cv2
import numpy as np

__all__ = ["rotate_surface", "resample_to", "rotation_canvas"]

# A bilinear sample is kept only when (almost) all four neighbours were valid, so
# no invalid point leaks into an interpolated height.
_VALID_WEIGHT = 0.999


def rotation_canvas(shape: tuple[int, int]) -> tuple[int, int]:
    """Square canvas that holds the image at any rotation about its centre."""
    d = int(math.ceil(math.hypot(*shape))) | 1
    return d, d


def rotate_surface(
    image: np.ndarray,
    angle_deg: float,
    *,
    output_shape: tuple[int, int] | None = None,
    center: tuple[float, float] | None = None,
) -> np.ndarray:
    """Rotate counter-clockwise (as displayed, row 0 at the top) by bilinear interpolation.

    The rotation is about ``center`` (row, col; default the image centre), which
    is mapped to the centre of the output. Points that fall outside or were NaN
    come out as NaN.

    Parameters
    ----------
    image : 2-D float ndarray, NaN = invalid
    angle_deg : float
        Counter-clockwise angle in degrees.
    output_shape : (h, w), optional
        Default: a square canvas large enough for any rotation.
    center : (row, col), optional
    """
    image = np.asarray(image, np.float32)
    h, w = image.shape
    oh, ow = output_shape or rotation_canvas((h, w))
    cy, cx = center if center is not None else ((h - 1) / 2.0, (w - 1) / 2.0)
    valid = np.isfinite(image)
    values = np.where(valid, image, 0.0).astype(np.float32)
    # cv2 angle is counter-clockwise for a y-down image shown as usual.
    m = cv2.getRotationMatrix2D((float(cx), float(cy)), float(angle_deg), 1.0)
    m[0, 2] += (ow - 1) / 2.0 - cx
    m[1, 2] += (oh - 1) / 2.0 - cy
    flags = cv2.INTER_LINEAR
    rv = cv2.warpAffine(values, m, (ow, oh), flags=flags, borderMode=cv2.BORDER_CONSTANT, borderValue=0.0)
    rw = cv2.warpAffine(valid.astype(np.float32), m, (ow, oh), flags=flags, borderMode=cv2.BORDER_CONSTANT, borderValue=0.0)
    out = np.full((oh, ow), np.nan, np.float32)
    ok = rw >= _VALID_WEIGHT
    out[ok] = rv[ok] / rw[ok]
    return out


def resample_to(image: np.ndarray, spacing_um: float, target_spacing_um: float, *, min_valid_fraction: float = 0.5) -> np.ndarray:
    """Area-average a surface from ``spacing_um`` to a coarser ``target_spacing_um``, NaN-aware.

    A coarse pixel is the mean of the valid fine points under it and is valid
    only where at least ``min_valid_fraction`` of its area was valid.
    """
    image = np.asarray(image, np.float32)
    if abs(target_spacing_um - spacing_um) < 1e-6 * spacing_um:
        return image.copy()
    if target_spacing_um < spacing_um:
        raise ValueError(f"cannot refine {spacing_um} µm to {target_spacing_um} µm by area averaging")
    scale = spacing_um / target_spacing_um
    h, w = image.shape
    oh, ow = max(1, int(round(h * scale))), max(1, int(round(w * scale)))
    valid = np.isfinite(image)
    values = np.where(valid, image, 0.0).astype(np.float32)
    sv = cv2.resize(values, (ow, oh), interpolation=cv2.INTER_AREA)
    sw = cv2.resize(valid.astype(np.float32), (ow, oh), interpolation=cv2.INTER_AREA)
    out = np.full((oh, ow), np.nan, np.float32)
    ok = sw >= min_valid_fraction
    out[ok] = sv[ok] / sw[ok]
    return out
