"""Exact masked normalised cross-correlation (Pearson r over jointly valid pixels).

For every relative offset of a moving image against a fixed one, the Pearson
correlation is computed over the pixels that are valid in both, following
Padfield (2012), "Masked object registration in the Fourier domain": six
cross-correlations give, per offset, the overlap count and the first and
second moments of both images over the overlap. NaN is never filled into the
correlation: invalid pixels simply do not take part.

Offset convention: ``out[i, j]`` is the offset ``(dy, dx) = (i - (hm - 1),
j - (wm - 1))`` at which ``moving[y, x]`` lies on ``fixed[y + dy, x + dx]``.
"""

from __future__ import annotations

import numpy as np
import scipy.fft as sfft

from ballistics_core.compare import _kernels

__all__ = ["masked_ncc", "masked_ncc_batch", "pearson_at_offset", "split_valid"]


def split_valid(image: np.ndarray, mask: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(values with invalid set to 0, float validity)``.

    The zeros only serve the moment sums, where they are multiplied by a zero
    weight; they never enter a correlation as data.
    """
    valid = np.isfinite(image)
    if mask is not None:
        valid &= mask.astype(bool)
    values = np.where(valid, image, 0.0)
    return values, valid.astype(np.float64)


def _moments(values: np.ndarray, valid: np.ndarray, shape, axes, workers, dtype=np.float64):
    # Centre first: the moment formula subtracts large nearly-equal sums otherwise.
    n = valid.sum(axis=axes, keepdims=True)
    mean = np.where(n > 0, values.sum(axis=axes, keepdims=True) / np.maximum(n, 1), 0.0)
    v = ((values - mean) * valid).astype(dtype, copy=False)
    valid = valid.astype(dtype, copy=False)
    return (
        sfft.rfft2(v, shape, axes=axes, workers=workers),
        sfft.rfft2(valid, shape, axes=axes, workers=workers),
        sfft.rfft2(v * v, shape, axes=axes, workers=workers),
    )


def masked_ncc(
    fixed: np.ndarray,
    moving: np.ndarray,
    *,
    fixed_mask: np.ndarray | None = None,
    moving_mask: np.ndarray | None = None,
    min_overlap: int = 16,
    workers: int = -1,
) -> tuple[np.ndarray, np.ndarray]:
    """Masked Pearson correlation at every offset ("full" mode).

    Parameters
    ----------
    fixed, moving : 2-D ndarray
        Images; NaN marks invalid pixels.
    fixed_mask, moving_mask : 2-D bool ndarray, optional
        Further restrict the valid pixels.
    min_overlap : int
        Offsets with fewer jointly valid pixels get NaN.
    workers : int
        Threads for scipy.fft.

    Returns
    -------
    ncc : (hf + hm - 1, wf + wm - 1) float64 ndarray
        Pearson r per offset (NaN where undefined).
    overlap : same shape, float64
        Number of jointly valid pixels per offset.
    """
    fixed = np.asarray(fixed, np.float64)
    moving = np.asarray(moving, np.float64)
    if fixed_mask is not None:
        fixed = np.where(fixed_mask, fixed, np.nan)
    if moving_mask is not None:
        moving = np.where(moving_mask, moving, np.nan)
    ncc, overlap = masked_ncc_batch(fixed, moving[None], min_overlap=min_overlap, workers=workers)
    return ncc[0], overlap[0]


def masked_ncc_batch(
    fixed: np.ndarray,
    moving: np.ndarray,
    *,
    min_overlap: int = 16,
    workers: int = -1,
    dtype: type = np.float64,
) -> tuple[np.ndarray, np.ndarray]:
    """Batched :func:`masked_ncc`: many moving images against one or many fixed ones.

    Parameters
    ----------
    fixed : (hf, wf) or (n, hf, wf) ndarray, NaN = invalid
        One fixed image shared by the batch, or one per moving image.
    moving : (n, hm, wm) ndarray, NaN = invalid
    dtype : numpy float type
        Precision of the transforms. float32 halves the cost; the images are
        centred first, so r stays within about 1e-4 of the float64 result.

    Returns
    -------
    ncc, overlap : (n, hf + hm - 1, wf + wm - 1) float64 ndarrays
        Offsets follow the module convention.
    """
    fv, fm = split_valid(np.asarray(fixed, np.float64))
    mv, mm = split_valid(np.asarray(moving, np.float64))
    out_shape = (fv.shape[-2] + mv.shape[-2] - 1, fv.shape[-1] + mv.shape[-1] - 1)
    shape = tuple(sfft.next_fast_len(s, real=True) for s in out_shape)
    axes = (-2, -1)
    F1, Fm, F2 = _moments(fv, fm, shape, axes, workers, dtype)
    M1, Mm, M2 = _moments(mv[:, ::-1, ::-1], mm[:, ::-1, ::-1], shape, axes, workers, dtype)
    stack = np.stack(np.broadcast_arrays(F1 * Mm, Fm * M1, F1 * M1, F2 * Mm, Fm * M2, Fm * Mm), axis=1)
    sums = sfft.irfft2(stack, shape, axes=axes, workers=workers)[..., : out_shape[0], : out_shape[1]]
    ncc = np.empty((sums.shape[0],) + out_shape, np.float32 if dtype == np.float32 else np.float64)
    for k in range(sums.shape[0]):
        _kernels.ncc_from_sums(sums[k], float(min_overlap), ncc[k])
    return ncc, np.rint(sums[:, 5])


def pearson_at_offset(fixed: np.ndarray, moving: np.ndarray, dy: int, dx: int) -> tuple[float, int]:
    """Direct Pearson r over the jointly valid pixels at one integer offset.

    The brute-force reference for :func:`masked_ncc` (same offset convention).
    """
    hf, wf = fixed.shape
    hm, wm = moving.shape
    y0, y1 = max(0, -dy), min(hm, hf - dy)
    x0, x1 = max(0, -dx), min(wm, wf - dx)
    if y1 <= y0 or x1 <= x0:
        return float("nan"), 0
    m = moving[y0:y1, x0:x1]
    f = fixed[y0 + dy : y1 + dy, x0 + dx : x1 + dx]
    ok = np.isfinite(m) & np.isfinite(f)
    n = int(ok.sum())
    if n < 2:
        return float("nan"), n
    a, b = f[ok].astype(np.float64), m[ok].astype(np.float64)
    a -= a.mean()
    b -= b.mean()
    den = np.sqrt((a * a).sum() * (b * b).sum())
    return (float((a * b).sum() / den) if den > 0 else float("nan")), n


def template_spectra(templates: np.ndarray, shape: tuple[int, int], *, dtype: type = np.float32, workers: int = -1):
    """Spectra of flipped, centred templates for :func:`masked_ncc_valid` (computed once, reused)."""
    tv, tm = split_valid(np.asarray(templates, np.float64))
    return _moments(tv[:, ::-1, ::-1], tm[:, ::-1, ::-1], shape, (-2, -1), workers, dtype)


def masked_ncc_valid(
    regions: np.ndarray,
    spectra,
    template_shape: tuple[int, int],
    *,
    min_overlap: int = 16,
    dtype: type = np.float32,
    workers: int = -1,
) -> tuple[np.ndarray, np.ndarray]:
    """Masked NCC of templates at every offset that keeps them inside their region.

    A circular correlation of the region's own size is exact for these offsets
    (nothing wraps), so the transforms are about half the size of "full" mode.

    Parameters
    ----------
    regions : (n, hr, wr) ndarray, NaN = invalid
    spectra : tuple from :func:`template_spectra` with ``shape == (hr, wr)``
    template_shape : (ht, wt)

    Returns
    -------
    ncc, overlap : (n, hr - ht + 1, wr - wt + 1) ndarrays
        ``ncc[k, i, j]``: template k with its top-left corner on region pixel (i, j).
    """
    rv, rm = split_valid(np.asarray(regions, np.float64))
    shape = rv.shape[-2:]
    ht, wt = template_shape
    F1, Fm, F2 = _moments(rv, rm, shape, (-2, -1), workers, dtype)
    M1, Mm, M2 = spectra
    stack = np.stack([F1 * Mm, Fm * M1, F1 * M1, F2 * Mm, Fm * M2, Fm * Mm], axis=1)
    full = sfft.irfft2(stack, shape, axes=(-2, -1), workers=workers)
    # the flipped template's origin sits at (ht-1, wt-1)
    sums = full[..., ht - 1 :, wt - 1 :]
    ncc = np.empty((sums.shape[0],) + sums.shape[-2:], np.float32 if dtype == np.float32 else np.float64)
    for k in range(sums.shape[0]):
        _kernels.ncc_from_sums(sums[k], float(min_overlap), ncc[k])
    return ncc, np.rint(sums[:, 5])
