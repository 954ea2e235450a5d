"""Finding the breech face: primer circle, firing-pin impression, processed-state rule.

Coordinates are micrometres from the centre of pixel (0, 0), as (row, column).
Detection runs on a coarse copy of the scan (``detect_spacing_um``) because
the circles are millimetres wide and the fine texture only adds noise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import ndimage as ndi

from ballistics_core.errors import ScanContentError
from ballistics_core.preprocess.filters import gaussian_nan
from ballistics_core.preprocess.level import level
from ballistics_core.preprocess.params import PreprocessParams
from ballistics_core.preprocess.resample import resample


@dataclass(frozen=True)
class PrimerGeometry:
    """Circles found on a cartridge-case head (µm, (row, column) from pixel (0, 0)).

    ``firing_pin_*`` are ``None`` when no firing-pin impression was found.
    """

    center_yx_um: tuple[float, float]
    radius_um: float
    firing_pin_center_yx_um: tuple[float, float] | None
    firing_pin_radius_um: float | None


def _disk(radius_px: float) -> np.ndarray:
    r = max(int(math.ceil(radius_px)), 0)
    yy, xx = np.mgrid[-r : r + 1, -r : r + 1]
    return (yy**2 + xx**2) <= radius_px**2 + 1e-9


def disc_mask(shape: tuple[int, int], *, center_yx_um, radius_um: float, spacing_um: float) -> np.ndarray:
    """Boolean disc on a pixel grid of the given spacing."""
    yy = np.arange(shape[0])[:, None] * spacing_um - center_yx_um[0]
    xx = np.arange(shape[1])[None, :] * spacing_um - center_yx_um[1]
    return yy**2 + xx**2 <= radius_um**2


def fit_circle(points_yx: np.ndarray, *, n_iter: int = 5, trim: float = 2.5) -> tuple[float, float, float]:
    """Robust algebraic (Kasa) circle fit.

    Points farther than ``trim`` robust standard deviations from the current
    circle are dropped and the fit repeated, so ragged scan edges and
    instrument artefacts do not pull the circle.

    Returns
    -------
    (cy, cx, r) in the units of ``points_yx``.
    """
    pts = np.asarray(points_yx, dtype=np.float64)
    keep = np.ones(len(pts), dtype=bool)
    cy = cx = r = float("nan")
    for _ in range(n_iter):
        p = pts[keep]
        if len(p) < 3:
            break
        y, x = p[:, 0], p[:, 1]
        A = np.column_stack([x, y, np.ones_like(x)])
        b = x**2 + y**2
        sol = np.linalg.lstsq(A, b, rcond=None)[0]
        cx, cy = sol[0] / 2, sol[1] / 2
        r = math.sqrt(max(sol[2] + cx**2 + cy**2, 0.0))
        d = np.hypot(pts[:, 0] - cy, pts[:, 1] - cx) - r
        s = 1.4826 * np.median(np.abs(d[keep] - np.median(d[keep]))) + 1e-9
        new = np.abs(d) <= trim * s
        if new.sum() < 3 or np.array_equal(new, keep):
            break
        keep = new
    return float(cy), float(cx), float(r)


def _coarse(heights: np.ndarray, spacing_um: float, detect_spacing_um: float):
    ratio = max(1.0, detect_spacing_um / spacing_um)
    z = resample(heights, spacing_um=spacing_um, target_spacing_um=spacing_um * ratio)
    ws = spacing_um * ratio

    def to_um(rows, cols):
        # centre of coarse pixel k lies at source pixel (k + 0.5) * ratio - 0.5
        return ((np.asarray(rows) + 0.5) * ratio - 0.5) * spacing_um, ((np.asarray(cols) + 0.5) * ratio - 0.5) * spacing_um

    return z, ws, to_um


def _levelled_range(z: np.ndarray) -> float:
    valid = np.isfinite(z)
    if valid.sum() < 10:
        return 0.0
    zl = level(z, valid)
    lo, hi = np.percentile(zl[valid], [0.5, 99.5])
    return float(hi - lo)


def is_processed(heights: np.ndarray, *, spacing_um: float, params: PreprocessParams = PreprocessParams()) -> bool:
    """Whether a topography has already been cropped, levelled and band-passed.

    Rule: after a robust plane is removed, the heights span (0.5-99.5
    percentile) less than ``params.processed_max_range_um``. Raw scans keep
    the firing-pin crater and the primer's rounded rim, which are tens to
    hundreds of micrometres deep (Fadul raw about 110 µm, DFSC raw about
    400 µm); band-passed breech faces span about 10-20 µm.
    """
    z, _, _ = _coarse(np.asarray(heights, dtype=np.float64), spacing_um, params.detect_spacing_um)
    return _levelled_range(z) < params.processed_max_range_um


def geometry_from_candidate(
    candidate: np.ndarray,
    *,
    spacing_um: float,
    to_um,
    primer_radius_range_um: tuple[float, float],
    firing_pin_radius_range_um: tuple[float, float],
    opening_um: float = 50.0,
) -> PrimerGeometry:
    """Circles from a coarse map of "looks like breech face" pixels.

    The breech face is the connected candidate region whose outline (holes
    filled) has an equivalent radius inside the primer prior; among those the
    largest wins. The primer circle is a robust fit to that outline (points on
    the image border excluded, they are crop, not rim); the firing pin is the
    largest hole of the region near the primer centre.
    """
    ws = spacing_um
    cand = ndi.binary_opening(candidate, structure=_disk(max(opening_um / ws, 1.0)))
    lab, n = ndi.label(cand)
    if n == 0:
        raise ScanContentError("no breech-face region found (no flat measured area)")
    rmin, rmax = primer_radius_range_um
    fmin, fmax = firing_pin_radius_range_um
    areas = ndi.sum(np.ones_like(lab), lab, index=np.arange(1, n + 1))
    best, best_key = None, None
    for k in np.argsort(areas)[::-1][:20] + 1:
        if areas[k - 1] * ws**2 < math.pi * (0.25 * rmin) ** 2:
            break
        sl = ndi.find_objects((lab == k).astype(np.int32))[0]
        comp = lab == k
        filled = ndi.binary_fill_holes(comp)
        r_eq = math.sqrt(filled.sum() / math.pi) * ws
        if not (rmin <= r_eq <= rmax):
            continue
        hole = filled & ~comp
        has_hole = hole.sum() * ws**2 >= math.pi * fmin**2
        key = (has_hole, areas[k - 1])
        if best_key is None or key > best_key:
            best, best_key = (comp, filled, hole), key
        del sl
    if best is None:
        raise ScanContentError(
            f"no breech-face region with a radius of {rmin:.0f}-{rmax:.0f} um found"
        )
    comp, filled, hole = best
    edge = filled & ~ndi.binary_erosion(filled)
    edge[0, :] = edge[-1, :] = edge[:, 0] = edge[:, -1] = False
    rr, cc = np.nonzero(edge)
    if rr.size < 10:
        raise ScanContentError("breech-face outline too short to fit the primer circle")
    py, px = to_um(rr, cc)
    cy, cx, r = fit_circle(np.column_stack([py, px]))
    fp_center = fp_radius = None
    hlab, hn = ndi.label(hole)
    if hn:
        hareas = ndi.sum(np.ones_like(hlab), hlab, index=np.arange(1, hn + 1))
        cents = ndi.center_of_mass(np.ones_like(hlab), hlab, index=np.arange(1, hn + 1))
        best_area = 0.0
        for k, (a, (cr, ccol)) in enumerate(zip(hareas, cents), start=1):
            yy, xx = to_um(cr, ccol)
            if math.hypot(yy - cy, xx - cx) > 0.6 * r:
                continue
            rad = math.sqrt(a / math.pi) * ws
            if fmin <= rad <= fmax and a > best_area:
                best_area, fp_center, fp_radius = a, (float(yy), float(xx)), float(rad)
    return PrimerGeometry((cy, cx), r, fp_center, fp_radius)


def find_primer(
    heights: np.ndarray, *, spacing_um: float, params: PreprocessParams = PreprocessParams()
) -> PrimerGeometry:
    """Primer circle and firing-pin impression of a raw topography.

    Breech-face candidates are measured points whose local slope (surface
    levelled by a robust plane, smoothed over ``slope_smoothing_um``) is below
    a threshold (the first of ``plateau_max_slope_deg`` that yields a ring): the primer's rounded rim, the firing-pin
    crater walls and unmeasured holes all fail this, so the breech face is a
    flat ring around the firing pin (see :func:`geometry_from_candidate`).

    Raises
    ------
    ScanContentError
        Nothing measured, or no ring of plausible size.
    """
    h = np.asarray(heights, dtype=np.float64)
    if not np.isfinite(h).any():
        raise ScanContentError("scan has no measured points (all NaN)")
    z, ws, to_um = _coarse(h, spacing_um, params.detect_spacing_um)
    valid = np.isfinite(z)
    if valid.sum() < 50:
        raise ScanContentError("scan too small or too sparse to find the breech face")
    zl = level(z, valid)
    s = gaussian_nan(zl, sigma_px=params.slope_smoothing_um / ws)
    s[~valid] = np.nan
    gy, gx = np.gradient(s, ws)
    slope = np.degrees(np.arctan(np.hypot(gx, gy)))
    slope[~np.isfinite(slope)] = np.inf
    # A domed or scratched primer can break the flat ring at the first
    # threshold; the smallest threshold that closes a ring of plausible size
    # keeps the firing-pin walls out of it.
    error: ScanContentError | None = None
    for thr in params.plateau_max_slope_deg:
        try:
            return geometry_from_candidate(
                valid & (slope < thr),
                spacing_um=ws,
                to_um=to_um,
                primer_radius_range_um=(params.primer_radius_min_um, params.primer_radius_max_um),
                firing_pin_radius_range_um=(params.firing_pin_radius_min_um, params.firing_pin_radius_max_um),
            )
        except ScanContentError as exc:
            error = exc
    assert error is not None
    raise error


def breech_face_mask(
    shape: tuple[int, int],
    geometry: PrimerGeometry,
    *,
    spacing_um: float,
    edge_erosion_um: float,
    firing_pin_margin_um: float,
) -> np.ndarray:
    """Annulus: primer circle shrunk by ``edge_erosion_um`` minus the enlarged firing pin."""
    m = disc_mask(shape, center_yx_um=geometry.center_yx_um,
                  radius_um=geometry.radius_um - edge_erosion_um, spacing_um=spacing_um)
    if geometry.firing_pin_center_yx_um is not None:
        m &= ~disc_mask(shape, center_yx_um=geometry.firing_pin_center_yx_um,
                        radius_um=geometry.firing_pin_radius_um + firing_pin_margin_um, spacing_um=spacing_um)
    return m


def detect_breech_face(
    heights: np.ndarray,
    *,
    spacing_um: float,
    params: PreprocessParams = PreprocessParams(),
) -> np.ndarray:
    """Breech-face mask of a raw topography.

    The primer circle is found automatically (:func:`find_primer`), shrunk by
    ``params.edge_erosion_um``; the firing-pin impression (and its aperture)
    enlarged by ``params.firing_pin_margin_um`` is removed; unmeasured points
    are excluded.

    Parameters
    ----------
    heights : (H, W) ndarray
        Heights in µm, NaN where unmeasured.
    spacing_um : float
    params : PreprocessParams

    Returns
    -------
    (H, W) bool ndarray
    """
    h = np.asarray(heights, dtype=np.float64)
    geo = find_primer(h, spacing_um=spacing_um, params=params)
    m = breech_face_mask(h.shape, geo, spacing_um=spacing_um, edge_erosion_um=params.edge_erosion_um,
                         firing_pin_margin_um=params.firing_pin_margin_um)
    return m & np.isfinite(h)


def firing_pin_region(
    heights: np.ndarray,
    *,
    spacing_um: float,
    params: PreprocessParams = PreprocessParams(),
) -> tuple[tuple[float, float], float, np.ndarray]:
    """Firing-pin impression: centre, radius and disc mask.

    The region is the largest hole in the flat breech-face ring near the
    primer centre: aperture, crater, its steep walls and flow-back, i.e.
    everything inside the breech face that is not breech face. Its radius is
    that of the disc of equal area, which is robust to drag marks and a
    ragged aperture; the centre is the hole's centroid.

    Returns
    -------
    center_yx_um : (float, float)
        µm from the centre of pixel (0, 0), (row, column).
    radius_um : float
    mask : (H, W) bool ndarray
        The disc of that centre and radius.

    Raises
    ------
    ScanContentError
        No firing-pin impression found.
    """
    h = np.asarray(heights, dtype=np.float64)
    geo = find_primer(h, spacing_um=spacing_um, params=params)
    if geo.firing_pin_center_yx_um is None:
        raise ScanContentError("no firing-pin impression found in the scan")
    mask = disc_mask(h.shape, center_yx_um=geo.firing_pin_center_yx_um,
                     radius_um=geo.firing_pin_radius_um, spacing_um=spacing_um)
    return geo.firing_pin_center_yx_um, geo.firing_pin_radius_um, mask
