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
