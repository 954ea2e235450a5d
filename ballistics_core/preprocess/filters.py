"""NaN-aware Gaussian filters (normalised convolution; unmeasured points never count as zero)."""

from __future__ import annotations

import math

import numpy as np
from scipy import ndimage as ndi

# ISO 16610-61: the Gaussian weighting function transmits 50 % at the cut-off
# wavelength when sigma = cutoff * sqrt(ln 2 / 2) / pi.
_CUTOFF_TO_SIGMA = math.sqrt(math.log(2.0) / 2.0) / math.pi


def cutoff_to_sigma_um(cutoff_um: float) -> float:
    """Standard deviation (µm) of the ISO Gaussian filter with this cut-off wavelength."""
    return float(cutoff_um) * _CUTOFF_TO_SIGMA


def gaussian_nan(
    values: np.ndarray,
    *,
    sigma_px: float,
    weights: np.ndarray | None = None,
    min_weight: float = 1e-3,
    truncate: float = 4.0,
) -> np.ndarray:
    """Gaussian smoothing that ignores NaN by normalised convolution.

    Parameters
    ----------
    values : (H, W) ndarray
        NaN marks unmeasured points.
    sigma_px : float
        Standard deviation in pixels.
    weights : (H, W) ndarray, optional
        Extra per-pixel weights (0 excludes a pixel).
    min_weight : float
        Output is NaN where the smoothed weight falls below this (far from any
        valid data), so the filter never extrapolates.
    truncate : float

    Returns
    -------
    (H, W) float64 ndarray
        Smoothed values, defined wherever enough valid neighbours exist
        (including inside small gaps); callers decide where to keep them.
    """
    v = np.asarray(values, dtype=np.float64)
    w = np.isfinite(v).astype(np.float64)
    if weights is not None:
        w = w * np.asarray(weights, dtype=np.float64)
    if sigma_px <= 0:
        out = v.copy()
        out[w <= 0] = np.nan
        return out
    num = ndi.gaussian_filter(np.where(w > 0, v, 0.0) * w, sigma_px, mode="constant", truncate=truncate)
    den = ndi.gaussian_filter(w, sigma_px, mode="constant", truncate=truncate)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = num / den
    out[den < min_weight] = np.nan
    return out


def gaussian_lowpass(heights: np.ndarray, *, spacing_um: float, cutoff_um: float) -> np.ndarray:
    """ISO Gaussian low-pass (NaN-aware); NaN stays NaN."""
    sigma_px = cutoff_to_sigma_um(cutoff_um) / float(spacing_um)
    out = gaussian_nan(heights, sigma_px=sigma_px)
    out[~np.isfinite(heights)] = np.nan
    return out


def bandpass(
    heights: np.ndarray,
    *,
    spacing_um: float,
    short_cutoff_um: float | None = 16.0,
    long_cutoff_um: float | None = 500.0,
) -> np.ndarray:
    """Gaussian band-pass: keep wavelengths between the two cut-offs.

    Parameters
    ----------
    heights : (H, W) ndarray
        NaN marks unmeasured points; they are excluded by normalised
        convolution (never zero-filled) and stay NaN in the output.
    spacing_um : float
    short_cutoff_um : float or None
        Wavelengths shorter than this are attenuated (noise); ``None`` keeps them.
    long_cutoff_um : float or None
        Wavelengths longer than this are removed (form, waviness); ``None`` keeps them.

    Returns
    -------
    (H, W) float64 ndarray
    """
    h = np.asarray(heights, dtype=np.float64)
    valid = np.isfinite(h)
    if short_cutoff_um is not None and long_cutoff_um is not None and short_cutoff_um >= long_cutoff_um:
        raise ValueError("short_cutoff_um must be smaller than long_cutoff_um")
    smooth = gaussian_lowpass(h, spacing_um=spacing_um, cutoff_um=short_cutoff_um) if short_cutoff_um else h
    if long_cutoff_um:
        smooth = smooth - gaussian_lowpass(h, spacing_um=spacing_um, cutoff_um=long_cutoff_um)
    out = np.array(smooth, dtype=np.float64)
    out[~valid] = np.nan
    return out
