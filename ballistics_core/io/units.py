"""Decide from magnitudes whether an X3P stores metres or micrometres.

ISO 5436-2 prescribes metres, and most files follow it (lateral increment
6.25e-06).  Several Cadre/DFSC exports store micrometres instead (increment
7.37, heights of a few µm).  The two conventions are six orders of magnitude
apart, so the value itself tells them apart; anything in the gap between the
accepted bands is refused instead of guessed.
"""

from __future__ import annotations

import math

import numpy as np

from ballistics_core.errors import ScanFormatError

METRE = "m"
MICROMETRE = "um"

#: Metres -> micrometres.
TO_UM = {METRE: 1e6, MICROMETRE: 1.0}

#: Lateral increment accepted as metres: 10 nm .. 100 µm.
INCREMENT_M_RANGE = (1e-8, 1e-4)
#: Lateral increment accepted as micrometres: 1 µm .. 100 µm.  Below 1 the
#: number is ambiguous (0.5 could be 0.5 µm or 0.5 mm) and is refused.
INCREMENT_UM_RANGE = (1.0, 100.0)

#: Robust height range (0.5-99.5 percentile) accepted as metres: 1 nm .. 5 mm.
HEIGHT_RANGE_M = (1e-9, 5e-3)
#: Robust height range accepted as micrometres: 20 nm .. 20 mm (real breech
#: faces span 5-500 µm).
HEIGHT_RANGE_UM = (0.02, 20_000.0)

_SAMPLE = 1_000_000


def detect_lateral_unit(increment: float, axis: str = "CX") -> tuple[str, str]:
    """Unit of a lateral increment and the reason, or ScanFormatError."""
    if not math.isfinite(increment) or increment <= 0:
        raise ScanFormatError(f"{axis} increment must be positive, got {increment!r}")
    lo, hi = INCREMENT_M_RANGE
    if lo <= increment <= hi:
        return METRE, f"{axis} increment {increment:g} is in [{lo:g}, {hi:g}]: metres (ISO 5436-2)"
    lo, hi = INCREMENT_UM_RANGE
    if lo <= increment <= hi:
        return MICROMETRE, f"{axis} increment {increment:g} is in [{lo:g}, {hi:g}]: micrometres (non-standard)"
    raise ScanFormatError(
        f"{axis} increment {increment:g} fits neither metres "
        f"[{INCREMENT_M_RANGE[0]:g}, {INCREMENT_M_RANGE[1]:g}] nor micrometres "
        f"[{INCREMENT_UM_RANGE[0]:g}, {INCREMENT_UM_RANGE[1]:g}]: unit cannot be determined"
    )


def robust_height_range(values: np.ndarray, *, scale: float = 1.0, offset: float = 0.0) -> float:
    """0.5-99.5 percentile spread of ``values * scale + offset`` over finite values.

    Computed on an evenly strided subsample of at most about a million points.
    """
    flat = values.reshape(-1)
    step = max(1, flat.size // _SAMPLE)
    with np.errstate(invalid="ignore", over="ignore"):
        sample = flat[::step].astype(np.float64) * scale + offset
    sample = sample[np.isfinite(sample)]
    if sample.size == 0:
        return float("nan")
    lo, hi = np.percentile(sample, [0.5, 99.5])
    return float(hi - lo)


def detect_height_unit(spread: float, lateral_unit: str) -> tuple[str, str]:
    """Unit of the heights from their robust range; flat surfaces follow ``lateral_unit``."""
    if not math.isfinite(spread) or spread == 0.0:
        return lateral_unit, "surface is flat: height unit taken from the lateral unit"
    lo, hi = HEIGHT_RANGE_M
    if lo <= spread <= hi:
        return METRE, f"height range {spread:.3g} is in [{lo:g}, {hi:g}]: metres"
    lo, hi = HEIGHT_RANGE_UM
    if lo <= spread <= hi:
        return MICROMETRE, f"height range {spread:.3g} is in [{lo:g}, {hi:g}]: micrometres"
    raise ScanFormatError(
        f"height range {spread:.3g} fits neither metres "
        f"[{HEIGHT_RANGE_M[0]:g}, {HEIGHT_RANGE_M[1]:g}] nor micrometres "
        f"[{HEIGHT_RANGE_UM[0]:g}, {HEIGHT_RANGE_UM[1]:g}]: unit cannot be determined"
    )


def increment_to_um(increment: float, unit: str) -> float:
    """Convert and round to 12 significant digits so 6.25e-06 m reads as 6.25 µm."""
    return float(f"{increment * TO_UM[unit]:.12g}")
