"""Comparison of unwrapped firing-pin impressions (polar images)."""

from __future__ import annotations

import numpy as np

from ballistics_core.compare.ncc import masked_ncc
from ballistics_core.compare.runtime import fft_workers

__all__ = ["compare_firing_pins"]


def compare_firing_pins(
    a: np.ndarray,
    b: np.ndarray,
    *,
    radial_step_um: float,
    max_radial_shift_um: float = 25.0,
    min_overlap_fraction: float = 0.5,
) -> tuple[float, float]:
    """Best masked Pearson r over circular angle shifts and small radial shifts.

    Parameters
    ----------
    a, b : (n_r, n_theta) ndarrays, NaN = invalid
        Polar images with the same angular sampling over the full circle.
    radial_step_um : float
    max_radial_shift_um : float
    min_overlap_fraction : float
        Shifts whose joint valid area is below this fraction of the smaller
        image's valid area are ignored.

    Returns
    -------
    r : float
        Best correlation (NaN when no shift qualifies).
    angle_deg : float
        Rotation of ``b`` onto ``a`` at that correlation.
    """
    n_t = a.shape[1]
    if b.shape[1] != n_t:
        raise ValueError("polar images must share their angular sampling")
    # two turns of a side by side make every circular shift a plain offset
    a2 = np.concatenate([a, a], axis=1)
    ncc, overlap = masked_ncc(a2, b, min_overlap=16, workers=fft_workers())
    hm, wm = b.shape
    max_dr = int(round(max_radial_shift_um / radial_step_um))
    rows = np.arange(ncc.shape[0]) - (hm - 1)
    cols = np.arange(ncc.shape[1]) - (wm - 1)
    rsel = np.abs(rows) <= max_dr
    csel = (cols >= 0) & (cols < n_t)
    sub = ncc[np.ix_(rsel, csel)]
    ov = overlap[np.ix_(rsel, csel)]
    need = min_overlap_fraction * min(np.isfinite(a).sum(), np.isfinite(b).sum())
    sub = np.where(ov >= need, sub, np.nan)
    if not np.isfinite(sub).any():
        return float("nan"), float("nan")
    i, j = np.unravel_index(np.nanargmax(sub), sub.shape)
    shift = cols[csel][j]
    return float(sub[i, j]), float((shift * 360.0 / n_t + 180.0) % 360.0 - 180.0)
