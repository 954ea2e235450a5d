"""Quality measures of one signature's surface, and the domain gates of a comparison.

A likelihood ratio is only as good as the range of data it was validated on.
Every signature carries measures of its own quality (how much breech face was
measured, how noisy it is, how finely it was sampled, which instrument made it);
a comparison outside the validated range, between scans of very different
quality, or on thin evidence reports *inconclusive* with the reason instead of
a confident number (see :mod:`ballistics_core.decide.conclusion`).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Mapping

import numpy as np

from ballistics_core.params import DigestMixin

__all__ = ["GateParams", "ScanQuality", "pair_gates", "scan_quality"]


@dataclass(frozen=True)
class ScanQuality:
    """Quality measures of one preprocessed surface.

    Attributes
    ----------
    valid_area_mm2 : float
        Measured breech-face area.
    spacing_um : float
        Lateral sampling of the surface.
    roughness_um : float
        RMS height of the (band-passed) surface: the signal.
    noise_floor_um : float
        Robust estimate of the pixel-to-pixel measurement noise: the MAD of the
        residual from the mean of the four neighbours, scaled to the standard
        deviation of white noise (that residual has 1.118 times its std).
    snr : float
        ``roughness_um / noise_floor_um``.
    instrument : str
        As read from the file (empty where the file does not say).
    kind : str
        "topography" or "intensity".
    source_spacing_um : float
        Lateral sampling of the file as the instrument wrote it (before
        resampling); 0 where unknown.
    """

    valid_area_mm2: float
    spacing_um: float
    roughness_um: float
    noise_floor_um: float
    snr: float
    instrument: str = ""
    kind: str = "topography"
    source_spacing_um: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "ScanQuality":
        return cls(**{k: d[k] for k in cls.__dataclass_fields__ if k in d})


def scan_quality(
    surface: np.ndarray,
    *,
    spacing_um: float,
    instrument: str = "",
    kind: str = "topography",
    source_spacing_um: float = 0.0,
) -> ScanQuality:
    """Measure a preprocessed surface (NaN = unmeasured).

    Parameters
    ----------
    surface : (H, W) ndarray
    spacing_um : float
    instrument, kind : str
    source_spacing_um : float
        Recorded as given.
    """
    z = np.asarray(surface, dtype=np.float64)
    valid = np.isfinite(z)
    area = float(valid.sum()) * spacing_um**2 / 1e6
    if valid.sum() < 10:
        return ScanQuality(area, float(spacing_um), 0.0, 0.0, 0.0, instrument, kind, float(source_spacing_um))
    rough = float(np.std(z[valid]))
    # residual from the 4-neighbour mean where all five points are measured
    c = z[1:-1, 1:-1]
    nb = (z[:-2, 1:-1] + z[2:, 1:-1] + z[1:-1, :-2] + z[1:-1, 2:]) / 4.0
    res = (c - nb)[np.isfinite(c - nb)]
    if res.size < 10:
        noise = 0.0
    else:
        noise = float(1.4826 * np.median(np.abs(res - np.median(res))) / math.sqrt(1.25))
    snr = rough / noise if noise > 0 else float("inf")
    return ScanQuality(area, float(spacing_um), rough, noise, float(min(snr, 1e6)), instrument, kind,
                       float(source_spacing_um))


@dataclass(frozen=True)
class GateParams(DigestMixin):
    """Quality gates: where the calibrated likelihood ratio is allowed to decide.

    Fixed before any evaluation and recorded with every result. A gate that
    fires turns the conclusion into *inconclusive* and names itself; the
    likelihood ratio is still reported, marked as outside the validated range.

    Attributes
    ----------
    min_valid_area_mm2 : float
        Each scan must hold at least this much measured breech face (a full
        9 mm breech face holds 3-4 mm²; below 1 mm² a few cells decide).
    max_spacing_um : float
        Coarsest lateral sampling validated: the cell stage works at
        12.5 µm, and a coarser scan cannot supply the band it correlates.
    min_snr : float
        Each scan's roughness over its noise floor must reach this: below it,
        pixel noise rather than toolmarks dominates the cell correlations.
    max_snr_ratio : float
        The two scans' signal-to-noise ratios may differ by at most this
        factor (scans of very different quality).
    max_spacing_ratio : float
        The two scans' samplings may differ by at most this factor.
    min_cells : int
        Cells per grid that took part, in the direction with fewer: fewer
        cells make the congruence count too coarse for either conclusion.
    min_overlap_fraction : float
        Jointly valid area at the registered pose over the smaller scan's
        area: a pair that barely overlaps has not been compared.
    min_cells_elimination : int
        An elimination needs at least this many cells: the absence of
        agreement is only evidence where there was room for it.
    """

    min_valid_area_mm2: float = 1.0
    max_spacing_um: float = 12.5
    min_snr: float = 1.5
    max_snr_ratio: float = 8.0
    max_spacing_ratio: float = 3.0
    min_cells: int = 8
    min_overlap_fraction: float = 0.5
    min_cells_elimination: int = 16


def pair_gates(
    qa: ScanQuality,
    qb: ScanQuality,
    *,
    n_cells: int,
    overlap_fraction: float,
    params: GateParams,
) -> tuple[list[str], list[str]]:
    """The gates a pair fails.

    Returns
    -------
    blocking : list of str
        Reasons that forbid any conclusion (out of the validated domain, very
        different quality, too few cells, too little overlap).
    no_elimination : list of str
        Reasons that forbid an elimination only (thin evidence).
        Each reason starts with the gate's name, then a colon and the figures.
    """
    p = params
    blocking: list[str] = []
    for tag, q in (("A", qa), ("B", qb)):
        if q.valid_area_mm2 < p.min_valid_area_mm2:
            blocking.append(f"valid_area: scan {tag} holds {q.valid_area_mm2:.2f} mm² of breech face "
                            f"(validated from {p.min_valid_area_mm2:g} mm²)")
        if q.spacing_um > p.max_spacing_um * (1 + 1e-6):
            blocking.append(f"resolution: scan {tag} is sampled at {q.spacing_um:.2f} µm "
                            f"(validated up to {p.max_spacing_um:g} µm)")
        if q.snr < p.min_snr:
            blocking.append(f"noise_floor: scan {tag} has signal/noise {q.snr:.2f} (validated from {p.min_snr:g})")
    if qa.snr > 0 and qb.snr > 0:
        ratio = max(qa.snr, qb.snr) / min(qa.snr, qb.snr)
        if ratio > p.max_snr_ratio:
            blocking.append(f"quality_mismatch: signal/noise differs {ratio:.1f}-fold between the scans "
                            f"(validated up to {p.max_snr_ratio:g})")
    sp = max(qa.spacing_um, qb.spacing_um) / max(min(qa.spacing_um, qb.spacing_um), 1e-9)
    if sp > p.max_spacing_ratio:
        blocking.append(f"resolution_mismatch: samplings differ {sp:.1f}-fold (validated up to {p.max_spacing_ratio:g})")
    if n_cells < p.min_cells:
        blocking.append(f"few_cells: {n_cells} cells took part (at least {p.min_cells} needed)")
    if not (overlap_fraction >= p.min_overlap_fraction):
        blocking.append(f"small_overlap: the registered scans overlap on {overlap_fraction:.0%} of the smaller one "
                        f"(at least {p.min_overlap_fraction:.0%} needed)")
    no_elim: list[str] = []
    if n_cells < p.min_cells_elimination:
        no_elim.append(f"thin_evidence: only {n_cells} cells took part; an elimination needs "
                       f"{p.min_cells_elimination}")
    return blocking, no_elim
