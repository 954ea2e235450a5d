"""Ring spectra around the firing-pin aperture, and their rotation-searched correlation.

The screening descriptor (:mod:`.descriptor`) throws away the phase of every
angular harmonic to be rotation-invariant, which is what lets a matrix product
screen a whole store, but it also throws away most of what tells two
consecutively made slides apart. The ring spectra keep the phase: each ring
sampled around the aperture becomes the complex Fourier coefficients of its
first ``n_harmonics`` angular harmonics, and two exhibits are compared by the
correlation of all rings at once, maximised over every rotation (one inverse
FFT along the angle) and over the mirror image (complex conjugate).

Both ring layouts hang on the aperture centre, and that centre moves between
two firings of one gun by up to about 80 µm (the aperture is found as the edge
of the unmeasured firing-pin impression, which each primer takes differently).
:func:`polar_correlation` therefore takes the query's spectra sampled at a small
grid of centre offsets (:func:`centre_offsets`) and keeps the best.

Arrays in, arrays out; distances in µm.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from scipy import fft as sfft

from ballistics_core.signature.descriptor import RingBand, RingFrame, sample_rings

__all__ = ["PolarParams", "centre_offsets", "polar_correlation", "ring_spectra"]


@dataclass(frozen=True)
class PolarParams(RingBand):
    """Options of :func:`ring_spectra`: a ring band (:class:`RingBand`) of its own.

    As many rings as the descriptor's (50 µm apart across the 0.95-2.35 mm band),
    sampled finer along the angle and kept to twice the harmonics: at the
    breech face's radius (1.2-2.2 mm on 9 mm primers) harmonic 96 has a
    wavelength of about 80-140 µm, the scale of breech-face marks that survives
    an aperture centre error of a few tens of µm.
    """

    n_rings: int = 28
    n_angles: int = 1024
    n_harmonics: int = 96

    @property
    def shape(self) -> tuple[int, int]:
        return (self.n_rings, self.n_harmonics)


def centre_offsets(*, radius_um: float, step_um: float) -> np.ndarray:
    """Square grid of (dy, dx) centre offsets in µm within ``radius_um`` per axis (always holds (0, 0))."""
    if step_um <= 0 or radius_um < 0:
        raise ValueError("centre offset grid needs step_um > 0 and radius_um >= 0")
    n = int(np.floor(radius_um / step_um + 1e-9))
    a = np.arange(-n, n + 1) * step_um
    g = np.stack(np.meshgrid(a, a, indexing="ij"), -1).reshape(-1, 2)
    return g[np.argsort(np.hypot(g[:, 0], g[:, 1]), kind="stable")]


def ring_spectra(surface: np.ndarray, *, spacing_um: float, params: PolarParams | None = None,
                 offsets_um: np.ndarray | None = None) -> np.ndarray:
    """Angular spectra of rings around the aperture.

    Parameters
    ----------
    surface : (H, W) float array
        Preprocessed breech face, NaN where unmeasured.
    spacing_um : float
        Lateral sampling interval.
    params : PolarParams, optional
    offsets_um : (M, 2) array, optional
        Shifts (dy, dx) of the ring centre from the fitted aperture centre.
        Without it, one layout at the fitted centre.

    Returns
    -------
    complex64 ndarray
        ``(n_rings, n_harmonics)``, or ``(M, n_rings, n_harmonics)`` with
        ``offsets_um``. Each ring is standardised over its measured samples and
        its coefficients scaled by the measured fraction, so a fully measured
        ring has unit energy; unmeasured samples enter as the ring mean (zero),
        never as a height of zero.
    """
    p = params or PolarParams()
    frame = RingFrame.of(surface, offsets_um)
    out = np.zeros((len(frame.offsets_um), p.n_rings, p.n_harmonics), np.complex64)
    if not frame.measured:
        return out[0] if frame.single else out
    radii = p.radii_px(frame.r_ap, spacing_um)
    k = p.n_harmonics
    for j, (dy, dx) in enumerate(frame.offsets_um):
        ring, full = sample_rings(frame.z, frame.v, cy=frame.cy + dy / spacing_um, cx=frame.cx + dx / spacing_um,
                                  radii=radii, n_angles=p.n_angles)
        frac = full.mean(1)
        n_ok = full.sum(1)
        use = (frac >= p.min_ring_fraction) & (n_ok >= 2 * k)
        if not use.any():
            continue
        mean = np.where(use, (ring * full).sum(1) / np.maximum(n_ok, 1), 0.0)
        x = np.where(full, ring - mean[:, None], 0.0)
        sd = np.sqrt((x * x).sum(1) / np.maximum(n_ok, 1))
        use &= sd > 0
        x = x / np.where(use, sd, 1.0)[:, None]
        spec = np.fft.rfft(x, axis=1)[:, 1 : k + 1] / np.sqrt(np.maximum(frac, 1e-12) * p.n_angles)[:, None]
        out[j] = np.where(use[:, None], spec, 0.0)
    return out[0] if frame.single else out


def polar_correlation(query: np.ndarray, candidates: np.ndarray, *, mirror: bool = True,
                      oversample: int = 2, chunk: int = 128) -> np.ndarray:
    """Best ring-spectra correlation of each candidate with the query, over rotation, centre offset and mirror.

    Parameters
    ----------
    query : (M, R, K) or (R, K) complex array
        The query's spectra, at ``M`` centre offsets.
    candidates : (N, R, K) complex array
        Stored spectra (centre offset zero).
    mirror : bool
        Also try each candidate's mirror image (scans from some instruments
        are stored left-right reversed).
    oversample : int
        The rotation is searched on ``oversample * 2K`` angles (0.94 degrees
        apart by default: four samples per period of the highest harmonic).
    chunk : int
        Candidates processed together (bounds the working memory).

    Returns
    -------
    (N,) float64
        Normalised correlation in [-1, 1]; 0 for an empty candidate.
    """
    q = np.asarray(query, np.complex128)
    if q.ndim == 2:
        q = q[None]
    c = np.asarray(candidates)  # widened to complex128 chunk by chunk: 1.8 GB at 100,000 candidates otherwise
    n = c.shape[0]
    if n == 0:
        return np.zeros(0)
    m, r, k = q.shape
    if c.shape[1:] != (r, k):
        raise ValueError(f"candidate spectra of shape {c.shape[1:]} do not match the query's {(r, k)}")
    variants = np.concatenate([q, np.conj(q)]) if mirror else q
    ev = np.sqrt((np.abs(variants) ** 2).sum((1, 2)))  # (V,)
    ec = np.concatenate([np.sqrt((np.abs(c[lo:lo + chunk].astype(np.complex128)) ** 2).sum((1, 2)))
                         for lo in range(0, n, chunk)])  # (N,)
    vt = variants.transpose(2, 0, 1)  # (K, V, R)
    n_fft = sfft.next_fast_len(2 * k * oversample)
    inv_ev = 1.0 / np.maximum(ev, 1e-12)

    def block(lo: int) -> np.ndarray:
        hi = min(lo + chunk, n)
        # per harmonic, (variants x rings) @ (rings x candidates): a batched GEMM in double
        # precision, so a candidate's score does not depend on which others share its batch
        cross = np.matmul(vt, np.conj(c[lo:hi].astype(np.complex128)).transpose(2, 1, 0))  # (K, V, n)
        spec = np.zeros((hi - lo, len(variants), n_fft // 2 + 1), np.complex64)
        spec[:, :, 1 : k + 1] = cross.transpose(2, 1, 0)
        # Re(sum_k G_k e^{ik t}) on the angle grid; irfft halves the non-DC terms
        peak = sfft.irfft(spec, n=n_fft, axis=-1).max(-1).astype(np.float64) * (n_fft / 2)  # (n, V)
        return (peak * inv_ev[None, :]).max(1)

    starts = range(0, n, chunk)
    workers = min(len(starts), os.cpu_count() or 1)
    if workers > 1:
        # GEMM and FFT release the GIL, so threads share the chunks; BLAS's own
        # threads would only oversubscribe the cores (measured 2x slower)
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1, user_api="blas"), ThreadPoolExecutor(workers) as pool:
            score = np.concatenate(list(pool.map(block, starts)))
    else:
        score = np.concatenate([block(lo) for lo in starts])
    score /= np.maximum(ec, 1e-12)
    return np.where(ec > 0, score, 0.0)
