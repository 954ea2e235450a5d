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

__all__ = ["masked_ncc", "masked_ncc_batch", "masked_ncc_valid", "overlap_lag_bounds",
           "pearson_at_offset", "split_valid", "template_spectra"]


def split_valid(image: np.ndarray, mask: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(values with invalid set to 0, float validity)``.

    The zeros only serve the moment sums, where they are multiplied by a zero
    weight; they never enter a correlation as data.
    """
    valid = np.isfinite(image)
    if mask is not None:
        valid &= mask.astype(bool)
    values = np.where(valid, image, 0).astype(image.dtype if image.dtype.kind == "f" else np.float64, copy=False)
    return values, valid.astype(values.dtype)


def _split(regions, dtype) -> tuple[np.ndarray, np.ndarray]:
    """``(values, validity)`` of NaN-marked regions, or of regions already split (a pair)."""
    if isinstance(regions, tuple):
        values, valid = regions
        return np.asarray(values, dtype), np.asarray(valid, dtype)
    return split_valid(np.asarray(regions, dtype))


def _moments(values: np.ndarray, valid: np.ndarray, shape, axes, workers, dtype=np.float64):
    # Centre first: the moment formula subtracts large nearly-equal sums otherwise.
    values = np.asarray(values, dtype)
    valid = np.asarray(valid, dtype)
    n = valid.sum(axis=axes, keepdims=True)
    mean = np.where(n > 0, values.sum(axis=axes, keepdims=True) / np.maximum(n, 1), 0.0).astype(dtype)
    v = (values - mean) * valid
    return (
        sfft.rfft2(v, shape, axes=axes, workers=workers),
        sfft.rfft2(valid, shape, axes=axes, workers=workers),
        sfft.rfft2(v * v, shape, axes=axes, workers=workers),
    )


def _six_products(F1, Fm, F2, M1, Mm, M2):
    """The six spectra whose inverses are the moment sums, written into one array.

    Leading dimensions broadcast (one template set against many regions), so no
    spectrum is ever copied to match the other side's batch.
    """
    lead = np.broadcast_shapes(F1.shape, M1.shape)
    out = np.empty(lead[:-2] + (6,) + lead[-2:], np.result_type(F1, M1))
    for k, (a, b) in enumerate(((F1, Mm), (Fm, M1), (F1, M1), (F2, Mm), (Fm, M2), (Fm, Mm))):
        np.multiply(a, b, out=out[..., k, :, :])
    return out


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
    lags: tuple[tuple[int, int], tuple[int, int]] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Batched :func:`masked_ncc`: many moving images against one or many fixed ones.

    Parameters
    ----------
    fixed : (hf, wf) or (n, hf, wf) ndarray, NaN = invalid
        One fixed image shared by the batch, or one per moving image.
    moving : (n, hm, wm) ndarray, NaN = invalid; or a pair (values, validity) as :func:`masked_ncc_valid` takes it
    dtype : numpy float type
        Precision of the transforms. float32 halves the cost; the images are
        centred first, so r stays within about 1e-4 of the float64 result.
    lags : ((dy_lo, dy_hi), (dx_lo, dx_hi)), optional
        Only these offsets (module convention, inclusive) are wanted. The
        transforms then need only be as long as keeps those offsets free of
        wrap-around (``N >= max(d_hi + hm, hf - d_lo)``), often half the
        "full" length; see :func:`overlap_lag_bounds` for offsets that cannot
        reach a minimum overlap and so need not be computed.

    Returns
    -------
    ncc, overlap : (n, h, w) ndarrays
        ``h x w`` is the full ``(hf + hm - 1) x (wf + wm - 1)`` grid, or the
        ``lags`` window, whose ``[0, 0]`` is offset ``(dy_lo, dx_lo)``.
    """
    fv, fm = split_valid(np.asarray(fixed, dtype))
    mv, mm = _split(moving, dtype)
    (hf, wf), (hm, wm) = fv.shape[-2:], mv.shape[-2:]
    if lags is None:
        lags = ((-(hm - 1), hf - 1), (-(wm - 1), wf - 1))
    (ylo, yhi), (xlo, xhi) = lags
    need = (max(yhi + hm, hf - ylo), max(xhi + wm, wf - xlo))
    shape = tuple(sfft.next_fast_len(int(s), real=True) for s in need)
    axes = (-2, -1)
    F1, Fm, F2 = _moments(fv, fm, shape, axes, workers, dtype)
    M1, Mm, M2 = _moments(mv[:, ::-1, ::-1], mm[:, ::-1, ::-1], shape, axes, workers, dtype)
    # offset d sits at index d + (m - 1) of the circular correlation, wrapped
    rows = (np.arange(ylo, yhi + 1) + hm - 1) % shape[0]
    cols = (np.arange(xlo, xhi + 1) + wm - 1) % shape[1]
    # The inverse is pruned to the rows of the window: the column transforms run in
    # full, the real row transforms only for the rows kept (as irfft2 does it, minus
    # the rows thrown away).
    half = sfft.ifft(_six_products(F1, Fm, F2, M1, Mm, M2), axis=-2, workers=workers)
    half = half[..., rows[0] : rows[-1] + 1, :] if rows[0] <= rows[-1] else half[..., rows, :]
    sums = sfft.irfft(half, shape[1], axis=-1, workers=workers)
    sums = sums.reshape((-1,) + sums.shape[-3:])
    sums = sums[..., cols[0] : cols[-1] + 1] if cols[0] <= cols[-1] else sums[..., cols]
    out_shape = sums.shape[-2:]
    ncc = np.empty((sums.shape[0],) + out_shape, np.float32 if dtype == np.float32 else np.float64)
    _kernels.ncc_from_sums_batch(np.ascontiguousarray(sums), float(min_overlap), ncc)
    return ncc, np.rint(sums[:, 5])


def overlap_lag_bounds(fixed_valid: np.ndarray, moving_valid: np.ndarray, min_overlap: float):
    """Offsets (module convention) at which the joint valid area can reach ``min_overlap``.

    The overlap at ``(dy, dx)`` is at most the sum over rows of the smaller of
    the two images' valid counts in the rows that meet (and likewise over
    columns), so offsets outside the returned ranges have less overlap than
    ``min_overlap`` for certain. Exact: nothing that could qualify is left out.

    Parameters
    ----------
    fixed_valid : (hf, wf) bool
    moving_valid : (n, hm, wm) bool
        The bound covers every image of the batch.

    Returns
    -------
    ((dy_lo, dy_hi), (dx_lo, dx_hi)), or None if no offset can qualify.
    """
    out = []
    for axis in (0, 1):
        a = fixed_valid.sum(axis=1 - axis).astype(float)
        b = np.ascontiguousarray(moving_valid.sum(axis=2 - axis), dtype=float)  # (n, hm) or (n, wm)
        hf, hm = len(a), b.shape[1]
        lags = np.arange(-(hm - 1), hf)
        best = np.empty(len(lags))
        _kernels.lag_overlap_bound(a, b, best)
        ok = np.flatnonzero(best >= min_overlap)
        if not len(ok):
            return None
        out.append((int(lags[ok[0]]), int(lags[ok[-1]])))
    return tuple(out)


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
    tv, tm = split_valid(np.asarray(templates, dtype))
    return _moments(tv[..., ::-1, ::-1], tm[..., ::-1, ::-1], shape, (-2, -1), workers, dtype)


def masked_ncc_valid(
    regions,
    spectra,
    template_shape: tuple[int, int],
    *,
    min_overlap: int = 16,
    dtype: type = np.float32,
    workers: int = -1,
    out_shape: tuple[int, int] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Masked NCC of templates at every offset that keeps them inside their region.

    A circular correlation of the region's own size is exact for these offsets
    (nothing wraps), so the transforms are about half the size of "full" mode.

    Parameters
    ----------
    regions : (..., hr, wr) ndarray, NaN = invalid; or a pair (values, validity)
        Leading dimensions broadcast against those of ``spectra`` (for example
        ``(angles, cells)`` regions against ``(cells,)`` templates). The split
        pair (values 0 where invalid, validity 0/1, as
        :func:`~ballistics_core.compare.geometry.rotate_split_stack` returns
        them) saves the NaN round trip.
    spectra : tuple from :func:`template_spectra` with ``shape == (hr, wr)``
    template_shape : (ht, wt)
    out_shape : (h, w), optional
        Keep only the first ``h x w`` offsets (a region padded to a fast FFT
        length has more than the search needs).

    Returns
    -------
    ncc, overlap : (N, h, w) ndarrays, N the product of the broadcast leading dimensions
        ``ncc[k, i, j]``: template k with its top-left corner on region pixel (i, j).
    """
    rv, rm = _split(regions, dtype)
    shape = rv.shape[-2:]
    ht, wt = template_shape
    oh, ow = out_shape or (shape[0] - ht + 1, shape[1] - wt + 1)
    F1, Fm, F2 = _moments(rv, rm, shape, (-2, -1), workers, dtype)
    # The inverse transform is pruned to the rows wanted: the column transforms run in
    # full, but the real row transforms only for the oh rows kept (the flipped
    # template's origin sits at (ht-1, wt-1)). Same sums, about a quarter less work.
    half = sfft.ifft(_six_products(F1, Fm, F2, *spectra), axis=-2, workers=workers)[..., ht - 1 : ht - 1 + oh, :]
    full = sfft.irfft(half, shape[1], axis=-1, workers=workers)
    full = full.reshape((-1,) + full.shape[-3:])
    sums = full[..., wt - 1 : wt - 1 + ow]
    ncc = np.empty((sums.shape[0], oh, ow), np.float32 if dtype == np.float32 else np.float64)
    _kernels.ncc_from_sums_batch(sums, float(min_overlap), ncc)
    return ncc, np.rint(sums[:, 5])
