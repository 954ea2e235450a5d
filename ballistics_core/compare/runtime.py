"""Run-time settings that change speed but never a result (so not in any digest)."""

from __future__ import annotations

import os

_fft_workers = int(os.environ.get("BALLISTICS_FFT_WORKERS", "-1"))


def fft_workers() -> int:
    """Threads for scipy.fft (-1: all cores)."""
    return _fft_workers


def set_fft_workers(n: int) -> None:
    """Set FFT threads; worker processes of a parallel run set 1 to avoid oversubscription."""
    global _fft_workers
    _fft_workers = int(n)
