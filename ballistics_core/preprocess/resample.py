"""Area-averaging resampling with NaN-awareness (conservative remapping, not decimation)."""

from __future__ import annotations

import numpy as np
from scipy import sparse


def _overlap_matrix(n_in: int, ratio: float) -> tuple[sparse.csr_matrix, int]:
    """Matrix of overlap lengths between target cells and source cells (both in source units)."""
    n_out = max(1, int(np.ceil(n_in / ratio - 1e-9)))
    rows, cols, vals = [], [], []
    for i in range(n_out):
        lo, hi = i * ratio, min((i + 1) * ratio, n_in)
        j0, j1 = int(np.floor(lo)), int(np.ceil(hi - 1e-12))
        for j in range(j0, min(j1, n_in)):
            ov = min(hi, j + 1) - max(lo, j)
            if ov > 1e-12:
                rows.append(i)
                cols.append(j)
                vals.append(ov)
    return sparse.csr_matrix((vals, (rows, cols)), shape=(n_out, n_in)), n_out


def resample(
    heights: np.ndarray,
    *,
    spacing_um: float,
    target_spacing_um: float,
    min_valid_fraction: float = 0.5,
) -> np.ndarray:
    """Resample to a new spacing by averaging over each target pixel's area.

    Every target pixel is the area-weighted mean of the valid source pixels it
    covers; it is NaN unless valid source pixels cover at least
    ``min_valid_fraction`` of its (in-image) area. Works for any ratio,
    down or up; a constant field stays exactly constant and the area-weighted
    mean is conserved when all pixels are valid.

    Parameters
    ----------
    heights : (H, W) ndarray
        NaN marks unmeasured points.
    spacing_um, target_spacing_um : float
        Source and target pixel sizes; the target grid starts at the same
        corner as the source grid.
    min_valid_fraction : float

    Returns
    -------
    (H', W') float64 ndarray with ``H' = ceil(H * spacing_um / target_spacing_um)``.
    """
    h = np.asarray(heights, dtype=np.float64)
    if h.ndim != 2:
        raise ValueError("heights must be 2-D")
    ratio = float(target_spacing_um) / float(spacing_um)
    if abs(ratio - 1.0) < 1e-9:
        return h.copy()
    ay, _ = _overlap_matrix(h.shape[0], ratio)
    ax, _ = _overlap_matrix(h.shape[1], ratio)
    valid = np.isfinite(h)
    w = valid.astype(np.float64)
    num = (ax @ (ay @ np.where(valid, h, 0.0)).T).T
    den = (ax @ (ay @ w).T).T
    area = np.outer(np.asarray(ay.sum(axis=1)).ravel(), np.asarray(ax.sum(axis=1)).ravel())
    with np.errstate(invalid="ignore", divide="ignore"):
        out = num / den
    out[(den <= 0) | (den < min_valid_fraction * area - 1e-9)] = np.nan
    return out


def resample_mask(mask: np.ndarray, *, spacing_um: float, target_spacing_um: float) -> np.ndarray:
    """Resample a boolean mask: True where at least half of a target pixel was True."""
    f = resample(np.asarray(mask, dtype=np.float64), spacing_um=spacing_um,
                 target_spacing_um=target_spacing_um, min_valid_fraction=0.0)
    return np.nan_to_num(f, nan=0.0) >= 0.5
