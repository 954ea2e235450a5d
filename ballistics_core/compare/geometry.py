"""Rotation and area-averaging resampling of surfaces with invalid (NaN) points."""

from __future__ import annotations

import math

import cv2
import numpy as np

from ballistics_core.compare import _kernels

__all__ = ["rotate_surface", "rotate_surface_split", "rotate_split_stack", "rotation_canvas"]

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
    values, ok = rotate_surface_split(image, angle_deg, output_shape=output_shape, center=center)
    return np.where(ok > 0, values, np.float32(np.nan))


def rotate_surface_split(
    image: np.ndarray,
    angle_deg: float,
    *,
    output_shape: tuple[int, int] | None = None,
    center: tuple[float, float] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`rotate_surface`, returned as (values with 0 where invalid, float32 validity 0/1).

    The split form is what the correlation kernels consume, so no NaN test is
    needed in their inner loops.
    """
    values, ok = rotate_split_stack(image, [angle_deg], output_shape=output_shape, center=center)
    return values[0], ok[0]


def rotate_split_stack(
    image: np.ndarray,
    angles_deg,
    *,
    output_shape: tuple[int, int] | None = None,
    center: tuple[float, float] | None = None,
    window: tuple[int, int, int, int] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`rotate_surface_split` at several angles, optionally into a window of the canvas.

    Parameters
    ----------
    image : 2-D float ndarray, NaN = invalid
    angles_deg : sequence of float
    output_shape : (h, w), optional
        The canvas (default: large enough for any rotation).
    center : (row, col), optional
        Rotation centre in ``image``, mapped to the canvas centre.
    window : (row0, col0, h, w), optional
        Only this part of the canvas is computed: output pixel ``(i, j)`` is
        canvas pixel ``(row0 + i, col0 + j)``, with the same values the full
        canvas holds there. Callers that need a small part of a large canvas
        save the rest of the interpolation.

    Returns
    -------
    values, validity : (len(angles), h, w) float32
    """
    image = np.asarray(image, np.float32)
    h, w = image.shape
    oh, ow = output_shape or rotation_canvas((h, w))
    cy, cx = center if center is not None else ((h - 1) / 2.0, (w - 1) / 2.0)
    r0, c0, wh, ww = window if window is not None else (0, 0, oh, ow)
    valid = np.isfinite(image)
    values = np.where(valid, image, 0.0).astype(np.float32)
    valid = valid.astype(np.float32)
    out_v = np.empty((len(angles_deg), wh, ww), np.float32)
    out_ok = np.empty((len(angles_deg), wh, ww), np.float32)
    for k, angle in enumerate(angles_deg):
        # cv2 angle is counter-clockwise for a y-down image shown as usual.
        m = cv2.getRotationMatrix2D((float(cx), float(cy)), float(angle), 1.0)
        m[0, 2] += (ow - 1) / 2.0 - cx - c0
        m[1, 2] += (oh - 1) / 2.0 - cy - r0
        rv = cv2.warpAffine(values, m, (ww, wh), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0.0)
        rw = cv2.warpAffine(valid, m, (ww, wh), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0.0)
        _kernels.normalise_rotated(rv, rw, np.float32(_VALID_WEIGHT), out_v[k], out_ok[k])
    return out_v, out_ok
