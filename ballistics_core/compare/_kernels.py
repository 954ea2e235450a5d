"""Numba kernels for the comparison hot loops (no Python objects, no I/O)."""

from __future__ import annotations

import math

import numba as nb
import numpy as np


@nb.njit(cache=True, nogil=True, fastmath=False)
def ncc_from_sums(sums, min_overlap, out):
    """Pearson r from the six correlation sums (Padfield 2012), one fused pass.

    ``sums`` rows: sum(f), sum(m), sum(f*m), sum(f^2), sum(m^2), n over the
    overlap of each offset. The images were centred beforehand, so the
    subtraction below does not lose precision.
    """
    h, w = out.shape
    for i in range(h):
        for j in range(w):
            # n comes from an FFT: 5.9999999 means 6
            n = sums[5, i, j]
            if n < min_overlap - 0.5:
                out[i, j] = np.nan
                continue
            sf = sums[0, i, j]
            sm = sums[1, i, j]
            cov = sums[2, i, j] - sf * sm / n
            vf = sums[3, i, j] - sf * sf / n
            vm = sums[4, i, j] - sm * sm / n
            # Relative floor: FFT round-off leaves ~1e-12 of the total energy behind.
            if vf <= 1e-9 * (abs(sums[3, i, j]) + 1e-300) or vm <= 1e-9 * (abs(sums[4, i, j]) + 1e-300):
                out[i, j] = np.nan
                continue
            r = cov / math.sqrt(vf * vm)
            if r > 1.0:
                r = 1.0
            elif r < -1.0:
                r = -1.0
            out[i, j] = r


@nb.njit(cache=True, nogil=True)
def ncc_from_sums_batch(sums, min_overlap, out):
    """:func:`ncc_from_sums` over a batch: ``sums`` (k, 6, h, w), ``out`` (k, h, w)."""
    for m in range(sums.shape[0]):
        ncc_from_sums(sums[m], min_overlap, out[m])


@nb.njit(cache=True, nogil=True)
def normalise_rotated(values, weight, min_weight, out_values, out_valid):
    """Interpolated values over interpolated validity, where the validity is at least ``min_weight``.

    ``values`` and ``weight`` are one bilinear warp of (values with 0 where
    invalid) and of validity; a point is kept only where (almost) all its
    neighbours were valid, and then its height is renormalised by the weight.
    Elsewhere the value is 0 and the validity 0. One pass, no temporaries.
    """
    h, w = values.shape
    for i in range(h):
        for j in range(w):
            wt = weight[i, j]
            if wt >= min_weight:
                out_values[i, j] = values[i, j] / wt
                out_valid[i, j] = 1.0
            else:
                out_values[i, j] = 0.0
                out_valid[i, j] = 0.0


@nb.njit(cache=True, nogil=True)
def best_offsets(ncc, overlap, min_overlap, out_idx, out_r, out_n, out_crit):
    """Per map, the offset with the strongest overlap-aware evidence.

    The criterion is Fisher's z of r scaled by sqrt(overlap): the maximum of r
    alone favours small overlaps, where chance peaks of 0.5 and more are common.
    """
    k, h, w = ncc.shape
    for m in range(k):
        best = -np.inf
        bi = -1
        for i in range(h):
            for j in range(w):
                n = overlap[m, i, j]
                if n < min_overlap[m]:
                    continue
                r = ncc[m, i, j]
                if not (r == r):
                    continue
                rr = min(r, 0.999999)
                c = 0.5 * math.log((1.0 + rr) / (1.0 - rr)) * math.sqrt(n)
                if c > best:
                    best = c
                    bi = i * w + j
        out_idx[m] = bi
        out_crit[m] = best
        if bi >= 0:
            out_r[m] = ncc[m, bi // w, bi % w]
            out_n[m] = overlap[m, bi // w, bi % w]
        else:
            out_r[m] = np.nan
            out_n[m] = 0.0


@nb.njit(cache=True, nogil=True)
def subpixel_peak(surface, i, j):
    """Parabolic refinement of a peak at (i, j) along each axis; returns (di, dj) in [-0.5, 0.5]."""
    h, w = surface.shape
    di = 0.0
    dj = 0.0
    c = surface[i, j]
    if 0 < i < h - 1:
        a, b = surface[i - 1, j], surface[i + 1, j]
        den = a - 2.0 * c + b
        if a == a and b == b and den < 0:
            di = min(0.5, max(-0.5, 0.5 * (a - b) / den))
    if 0 < j < w - 1:
        a, b = surface[i, j - 1], surface[i, j + 1]
        den = a - 2.0 * c + b
        if a == a and b == b and den < 0:
            dj = min(0.5, max(-0.5, 0.5 * (a - b) / den))
    return di, dj


@nb.njit(cache=True, nogil=True)
def subpixel_batch(ncc, idx, out_di, out_dj):
    """:func:`subpixel_peak` for each map at its chosen flat index (-1: none)."""
    k, h, w = ncc.shape
    for m in range(k):
        if idx[m] < 0:
            out_di[m] = 0.0
            out_dj[m] = 0.0
            continue
        di, dj = subpixel_peak(ncc[m], idx[m] // w, idx[m] % w)
        out_di[m] = di
        out_dj[m] = dj


_FINE_MATH = {"reassoc", "contract", "nsz", "arcp"}  # vectorised sums; NaN and inf stay exact


@nb.njit(cache=True, nogil=True, fastmath=_FINE_MATH)
def _pearson_window(tv, tm, tv2, wv, wm, c, a, y0, x0):
    """Sums of one template against one placement in a split (values, validity) canvas.

    Returns (r, n); r is NaN when either side has no variance over the overlap.
    Pixels outside the canvas are invalid.
    """
    cf = tv.shape[1]
    h, w = wv.shape[1], wv.shape[2]
    i0, i1 = max(0, -y0), min(cf, h - y0)
    j0, j1 = max(0, -x0), min(cf, w - x0)
    n = 0.0
    sa = 0.0
    sb = 0.0
    sab = 0.0
    saa = 0.0
    sbb = 0.0
    for i in range(i0, i1):
        for j in range(j0, j1):
            av = tv[c, i, j]
            am = tm[c, i, j]
            bv = wv[a, y0 + i, x0 + j]
            bm = wm[a, y0 + i, x0 + j]
            n += am * bm
            sa += av * bm
            sb += bv * am
            sab += av * bv
            saa += tv2[c, i, j] * bm
            sbb += bv * bv * am
    if n < 2.0:
        return np.nan, n
    cov = sab - sa * sb / n
    va = saa - sa * sa / n
    vb = sbb - sb * sb / n
    if va <= 1e-12 * (saa + 1e-300) or vb <= 1e-12 * (sbb + 1e-300):
        return np.nan, n
    r = cov / math.sqrt(va * vb)
    return min(1.0, max(-1.0, r)), n


_CROSS = np.array([[0, 0], [-1, 0], [1, 0], [0, -1], [0, 1]], np.int64)  # the offset first: ties keep it


@nb.njit(cache=True, nogil=True)
def fine_offsets(tv, tm, tv2, wv, wm, cell, angle, base, min_n, max_steps, out_r, out_n, out_dy, out_dx):
    """Refine cell offsets on a finer sampling by hill climbing on the evidence.

    For placement ``m`` (template ``cell[m]`` in canvas ``angle[m]``, top-left
    first tried at ``base[m]``), offsets are judged by the same overlap-aware
    evidence as the coarse search (Fisher z times sqrt(overlap), overlap at
    least ``min_n[m]``). Starting at ``base``, the four neighbours of the best
    offset so far are evaluated until none is better (at most ``max_steps``
    moves); the peak is then located to a fraction of a pixel by a parabola
    through the same four neighbours. The coarse search's own sub-pixel
    estimate puts ``base`` within about a fine pixel of the peak, so the four
    neighbours (not eight) are enough and the parabola needs no more.

    Outputs: r and overlap at the best offset (NaN / 0 if none qualifies) and
    its displacement from ``base`` in fine pixels, sub-pixel.
    """
    span = 2 * max_steps + 3
    for m in range(cell.shape[0]):
        c, a = cell[m], angle[m]
        crit = np.full((span, span), -np.inf)
        rr = np.full((span, span), np.nan)
        nn = np.zeros((span, span))
        done = np.zeros((span, span), np.bool_)
        ci = cj = max_steps + 1
        for _ in range(max_steps + 1):
            for q in range(5):
                i, j = ci + _CROSS[q, 0], cj + _CROSS[q, 1]
                if done[i, j]:
                    continue
                done[i, j] = True
                r, n = _pearson_window(tv, tm, tv2, wv, wm, c, a, base[m, 0] + i - max_steps - 1,
                                       base[m, 1] + j - max_steps - 1)
                rr[i, j] = r
                nn[i, j] = n
                if n >= min_n[m] and r == r:
                    z = min(r, 0.999999)
                    crit[i, j] = 0.5 * math.log((1.0 + z) / (1.0 - z)) * math.sqrt(n)
            bi, bj, best = ci, cj, -np.inf
            for q in range(5):
                i, j = ci + _CROSS[q, 0], cj + _CROSS[q, 1]
                if crit[i, j] > best:
                    best, bi, bj = crit[i, j], i, j
            if best == -np.inf or (bi == ci and bj == cj) or bi in (0, span - 1) or bj in (0, span - 1):
                ci, cj = bi, bj
                break
            ci, cj = bi, bj
        if crit[ci, cj] == -np.inf:
            out_r[m] = np.nan
            out_n[m] = 0.0
            out_dy[m] = 0.0
            out_dx[m] = 0.0
            continue
        out_r[m] = rr[ci, cj]
        out_n[m] = nn[ci, cj]
        di, dj = subpixel_peak(rr, ci, cj)
        out_dy[m] = ci - max_steps - 1 + di
        out_dx[m] = cj - max_steps - 1 + dj


@nb.njit(cache=True, nogil=True)
def lag_overlap_bound(a, b, out):
    """Upper bound of the joint valid count at every lag along one axis.

    ``a`` (hf,) holds the fixed image's valid count per row (or column), ``b``
    (n, hm) each moving image's; ``out`` (hm + hf - 1,) gets, for lag
    ``d = k - (hm - 1)``, the largest over the batch of sum_y min(b[y], a[y + d]).
    """
    hf = a.shape[0]
    n, hm = b.shape
    for k in range(hm + hf - 1):
        d = k - (hm - 1)
        y0, y1 = max(0, -d), min(hm, hf - d)
        best = 0.0
        for m in range(n):
            s = 0.0
            for y in range(y0, y1):
                s += min(b[m, y], a[y + d])
            if s > best:
                best = s
        out[k] = best
