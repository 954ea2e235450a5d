"""Form removal (robust plane) and outlier removal."""

from __future__ import annotations

import numpy as np

from ballistics_core.errors import ScanContentError
from ballistics_core.preprocess.filters import gaussian_nan

_MAD_TO_SIGMA = 1.4826


def _robust_sigma(r: np.ndarray) -> float:
    med = np.median(r)
    return float(_MAD_TO_SIGMA * np.median(np.abs(r - med)))


def fit_plane(
    heights: np.ndarray,
    mask: np.ndarray | None = None,
    *,
    method: str = "robust plane",
    max_iter: int = 30,
    max_points: int = 200_000,
) -> tuple[float, float, float]:
    """Fit ``z = a + b*row + c*col`` over the masked valid points.

    Parameters
    ----------
    heights : (H, W) ndarray
    mask : (H, W) bool ndarray, optional
        Points used for the fit (ANDed with finiteness).
    method : {"robust plane", "median plane", "plane"}
        ``"plane"``: ordinary least squares. ``"robust plane"``: iteratively
        reweighted least squares with Tukey's biweight (c = 4.685 robust
        standard deviations), so outliers and leftover features get zero
        weight. ``"median plane"``: least absolute deviations by IRLS (the
        quantile-0.5 trend cmcR removes).
    max_iter : int
    max_points : int
        The fit uses a regular subsample of at most this many points.

    Returns
    -------
    (a, b, c) : tuple of float
        Offset and slopes per pixel (row, column).
    """
    h = np.asarray(heights, dtype=np.float64)
    use = np.isfinite(h)
    if mask is not None:
        use &= np.asarray(mask, dtype=bool)
    rows, cols = np.nonzero(use)
    if rows.size < 3:
        raise ScanContentError("too few measured points to level the surface")
    step = max(1, rows.size // max_points)
    rows, cols = rows[::step], cols[::step]
    z = h[rows, cols]
    r0, c0 = rows.mean(), cols.mean()
    A = np.column_stack([np.ones_like(z), rows - r0, cols - c0])
    w = np.ones_like(z)
    coef = np.linalg.lstsq(A, z, rcond=None)[0]
    if method not in ("robust plane", "median plane", "plane"):
        raise ValueError(f"unknown levelling method {method!r}")
    if method != "plane":
        for _ in range(max_iter):
            res = z - A @ coef
            if method == "robust plane":
                s = max(_robust_sigma(res), 1e-9)
                u = res / (4.685 * s)
                w = np.where(np.abs(u) < 1, (1 - u**2) ** 2, 0.0)
            else:
                w = 1.0 / np.maximum(np.abs(res), 1e-6 * (np.abs(z).max() + 1e-12))
            sw = np.sqrt(w)
            new = np.linalg.lstsq(A * sw[:, None], z * sw, rcond=None)[0]
            done = np.allclose(new, coef, rtol=1e-7, atol=1e-9)
            coef = new
            if done:
                break
    a = coef[0] - coef[1] * r0 - coef[2] * c0
    return float(a), float(coef[1]), float(coef[2])


def level(heights: np.ndarray, mask: np.ndarray | None = None, *, method: str = "robust plane") -> np.ndarray:
    """Subtract the plane fitted over ``mask`` (see :func:`fit_plane`) from the whole surface.

    Returns
    -------
    (H, W) float64 ndarray; NaN stays NaN.
    """
    h = np.asarray(heights, dtype=np.float64)
    a, b, c = fit_plane(h, mask, method=method)
    rr, cc = np.mgrid[: h.shape[0], : h.shape[1]]
    return h - (a + b * rr + c * cc)


def remove_outliers(
    heights: np.ndarray,
    mask: np.ndarray | None = None,
    *,
    spacing_um: float,
    threshold: float = 6.0,
    window_um: float = 25.0,
) -> np.ndarray:
    """Set spikes and drop-outs to NaN.

    A point is an outlier when its residual from a local NaN-aware Gaussian
    mean (scale ``window_um``) exceeds ``threshold`` robust standard
    deviations (1.4826 MAD) of all residuals in ``mask``. Instrument spikes
    are single points or small clusters, so a local reference keeps real
    marks (which are wider) while catching them.

    Returns
    -------
    (H, W) float64 ndarray with outliers set to NaN.
    """
    h = np.array(heights, dtype=np.float64)
    valid = np.isfinite(h)
    if mask is not None:
        valid &= np.asarray(mask, dtype=bool)
    if valid.sum() < 10:
        return h
    sigma_px = max(window_um / spacing_um, 1.0)
    ref = gaussian_nan(np.where(valid, h, np.nan), sigma_px=sigma_px)
    res = h - ref
    s = _robust_sigma(res[valid])
    if s <= 0:
        return h
    h[valid & (np.abs(res) > threshold * s)] = np.nan
    return h
