"""Whole preprocessing runs: raw topography or 2-D image in, breech-face scan out."""

from __future__ import annotations

import numpy as np

from ballistics_core.errors import ScanContentError
from ballistics_core.preprocess.filters import bandpass, gaussian_nan
from ballistics_core.preprocess.level import level, remove_outliers
from ballistics_core.preprocess.params import ImagePreprocessParams, PreprocessParams
from ballistics_core.preprocess.regions import (
    PrimerGeometry,
    _coarse,
    breech_face_mask,
    find_primer,
    geometry_from_candidate,
    is_processed,
)
from ballistics_core.preprocess.resample import resample, resample_mask
from ballistics_core.scan import Scan


def _check_content(heights: np.ndarray, min_points: int = 100) -> None:
    n = int(np.isfinite(heights).sum())
    if n == 0:
        raise ScanContentError("scan has no measured points (all NaN)")
    if n < min_points:
        raise ScanContentError(f"scan has only {n} measured points; at least {min_points} are needed")


def _crop(heights: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, tuple[int, int]]:
    keep = mask & np.isfinite(heights)
    if not keep.any():
        raise ScanContentError("breech-face region is empty after preprocessing")
    rows = np.flatnonzero(keep.any(axis=1))
    cols = np.flatnonzero(keep.any(axis=0))
    sl = (slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1))
    return heights[sl], keep[sl], (int(rows[0]), int(cols[0]))


def _geometry_meta(geo: PrimerGeometry | None, origin_um: tuple[float, float]) -> dict:
    if geo is None:
        return {}

    def shift(c):
        return None if c is None else [round(c[0] - origin_um[0], 3), round(c[1] - origin_um[1], 3)]

    return {
        "primer_center_yx_um": shift(geo.center_yx_um),
        "primer_radius_um": round(geo.radius_um, 3),
        "firing_pin_center_yx_um": shift(geo.firing_pin_center_yx_um),
        "firing_pin_radius_um": None if geo.firing_pin_radius_um is None else round(geo.firing_pin_radius_um, 3),
    }


def preprocess_scan(scan: Scan, *, params: PreprocessParams | ImagePreprocessParams | None = None) -> Scan:
    """Raw scan in, breech-face scan out (dispatches on ``scan.kind``).

    Topography stages, each public in this package:

    1. region: ``scan.mask`` if given (it overrides detection); else, if the
       scan is already processed (:func:`is_processed`), its measured
       points; else :func:`detect_breech_face`. Heights outside are set to NaN.
    2. :func:`level` (robust plane over the region).
    3. :func:`remove_outliers` (raw scans only).
    4. :func:`bandpass` (raw scans; processed ones get only the short
       cut-off, and only if ``params.bandpass_processed``).
    5. :func:`resample` to ``params.target_spacing_um`` (area averaging).
    6. crop to the bounding box of the region.

    Parameters
    ----------
    scan : Scan
    params : PreprocessParams or ImagePreprocessParams, optional
        Defaults to the class matching ``scan.kind``.

    Returns
    -------
    Scan
        Heights NaN outside the breech face, ``mask`` the breech face, and
        ``meta`` recording ``preprocessed``, ``preprocess_digest``,
        ``preprocess_state`` ("raw", "processed" or "user-mask"), the
        stages run, ``crop_origin_yx_um`` (where output pixel (0, 0) lies in
        the input) and the detected circles in output coordinates (µm).

    Raises
    ------
    ScanContentError
        Nothing measured, or no breech face found.
    """
    if scan.kind == "intensity":
        return preprocess_image(scan, params=params if isinstance(params, ImagePreprocessParams) else ImagePreprocessParams())
    if params is None:
        params = PreprocessParams()
    if not isinstance(params, PreprocessParams):
        raise TypeError("topography scans take PreprocessParams")
    sp = scan.spacing_um
    h = np.array(scan.heights, dtype=np.float64)
    _check_content(h)
    geo = None
    stages = []
    if scan.mask is not None:
        state = "user-mask"
        region = scan.mask & np.isfinite(h)
    elif scan.meta.get("preprocessed") or is_processed(h, spacing_um=sp, params=params):
        state = "processed"
        region = np.isfinite(h)
    else:
        state = "raw"
        geo = find_primer(h, spacing_um=sp, params=params)
        region = breech_face_mask(h.shape, geo, spacing_um=sp, edge_erosion_um=params.edge_erosion_um,
                                  firing_pin_margin_um=params.firing_pin_margin_um) & np.isfinite(h)
    stages.append(f"region:{state}")
    _check_content(np.where(region, h, np.nan))
    h[~region] = np.nan
    h = level(h, region)
    stages.append("level:robust plane")
    if state != "processed" and params.outlier_threshold is not None:
        h = remove_outliers(h, region, spacing_um=sp, threshold=params.outlier_threshold,
                            window_um=params.outlier_window_um)
        stages.append(f"outliers:{params.outlier_threshold}sigma")
    if state != "processed":
        h = bandpass(h, spacing_um=sp, short_cutoff_um=params.short_cutoff_um, long_cutoff_um=params.long_cutoff_um)
        stages.append(f"bandpass:{params.short_cutoff_um}-{params.long_cutoff_um}um")
    elif params.bandpass_processed and params.short_cutoff_um:
        # Only the short cut-off: a second long-wavelength pass over the
        # already-cropped ring changes the data (correlation with the input
        # 0.93 on Fadul 1-1), the short one does not (0.999).
        h = bandpass(h, spacing_um=sp, short_cutoff_um=params.short_cutoff_um, long_cutoff_um=None)
        stages.append(f"bandpass:{params.short_cutoff_um}-none um")
    return _finish(scan, h, region, geo, params, state, stages)


def _finish(scan, h, region, geo, params, state, stages, *, spacing_um=None) -> Scan:
    """Resample, crop and record; ``spacing_um`` is the grid ``h`` is on when it is not the input's."""
    sp_in = scan.spacing_um
    sp = sp_in if spacing_um is None else spacing_um
    tsp = params.target_spacing_um
    if abs(tsp - sp) > 1e-9 * sp:
        h = resample(h, spacing_um=sp, target_spacing_um=tsp, min_valid_fraction=params.min_valid_fraction)
        region = resample_mask(region, spacing_um=sp, target_spacing_um=tsp)
        stages.append(f"resample:{sp:g}->{tsp:g}um")
    h, region, (r0, c0) = _crop(h, region)
    h = np.where(region, h, np.nan)
    ratio = tsp / sp
    # centre of output pixel (0, 0) on the working grid, then on the input grid (µm)
    origin_work = (((r0 + 0.5) * ratio - 0.5) * sp, ((c0 + 0.5) * ratio - 0.5) * sp)
    shift_in = 0.5 * (sp - sp_in)
    origin_in = (origin_work[0] + shift_in, origin_work[1] + shift_in)
    meta = {
        "preprocessed": True,
        "preprocess_digest": params.digest(),
        "preprocess_params": params.as_dict(),
        "preprocess_state": state,
        "preprocess_stages": stages,
        "crop_origin_yx_um": [round(origin_in[0], 3), round(origin_in[1], 3)],
        "input_spacing_um": sp_in,
    }
    meta.update(_geometry_meta(geo, origin_work))
    return scan.replace(heights=h.astype(np.float32), spacing_um=tsp, mask=region, meta=meta)


def find_breech_face_image(
    intensity: np.ndarray, *, spacing_um: float, params: ImagePreprocessParams = ImagePreprocessParams()
) -> PrimerGeometry:
    """Primer circle and firing-pin impression of a ring-light image.

    Under a ring light the flat breech face is bright and the primer rim and
    firing-pin walls are dark; candidates are pixels brighter than Otsu's
    threshold after smoothing over ``region_smoothing_um``, and the ring is
    chosen as for topographies (:func:`geometry_from_candidate`).
    """
    from skimage.filters import threshold_otsu

    z, ws, to_um = _coarse(np.asarray(intensity, dtype=np.float64), spacing_um, params.detect_spacing_um)
    valid = np.isfinite(z)
    if valid.sum() < 50:
        raise ScanContentError("image too small to find the breech face")
    s = gaussian_nan(z, sigma_px=params.region_smoothing_um / ws)
    thr = threshold_otsu(s[valid & np.isfinite(s)])
    cand = valid & (np.nan_to_num(s, nan=-np.inf) > thr)
    return geometry_from_candidate(
        cand,
        spacing_um=ws,
        to_um=to_um,
        primer_radius_range_um=(params.primer_radius_min_um, params.primer_radius_max_um),
        firing_pin_radius_range_um=(params.firing_pin_radius_min_um, params.firing_pin_radius_max_um),
    )


def preprocess_image(scan: Scan, *, params: ImagePreprocessParams = ImagePreprocessParams()) -> Scan:
    """Ring-light image in, flattened band-passed breech-face image out.

    Stages: breech-face ring (:func:`find_breech_face_image`, or
    ``scan.mask``), illumination flattening (divide by a NaN-aware Gaussian
    of scale ``illumination_sigma_um`` over the ring, then subtract 1),
    :func:`bandpass`, :func:`resample`, crop. ``meta`` is recorded as in
    :func:`preprocess_scan`.
    """
    if params is None:
        params = ImagePreprocessParams()
    sp = scan.spacing_um
    img = np.array(scan.heights, dtype=np.float64)
    _check_content(img)
    geo = None
    if scan.mask is not None:
        state = "user-mask"
        region = scan.mask & np.isfinite(img)
    else:
        state = "raw"
        geo = find_breech_face_image(img, spacing_um=sp, params=params)
        region = breech_face_mask(img.shape, geo, spacing_um=sp, edge_erosion_um=params.edge_erosion_um,
                                  firing_pin_margin_um=params.firing_pin_margin_um) & np.isfinite(img)
    _check_content(np.where(region, img, np.nan))
    img[~region] = np.nan
    stages = [f"region:{state}"]
    # Camera images are finer than the output and megapixels large: average
    # down first (area averaging is itself a low-pass) so the large
    # illumination filter runs on the small grid.
    if params.target_spacing_um > sp:
        img = resample(img, spacing_um=sp, target_spacing_um=params.target_spacing_um,
                       min_valid_fraction=params.min_valid_fraction)
        region = resample_mask(region, spacing_um=sp, target_spacing_um=params.target_spacing_um)
        img[~region] = np.nan
        stages.append(f"resample:{sp:g}->{params.target_spacing_um:g}um")
        geo = _rescale_geometry(geo, sp, params.target_spacing_um / sp)
        sp = params.target_spacing_um
    illum = gaussian_nan(img, sigma_px=params.illumination_sigma_um / sp)
    with np.errstate(invalid="ignore", divide="ignore"):
        flat = img / illum - 1.0
    flat[~region | ~np.isfinite(flat)] = np.nan
    stages.append(f"flatten:divide gaussian {params.illumination_sigma_um}um")
    flat = bandpass(flat, spacing_um=sp, short_cutoff_um=params.short_cutoff_um, long_cutoff_um=params.long_cutoff_um)
    stages.append(f"bandpass:{params.short_cutoff_um}-{params.long_cutoff_um}um")
    return _finish(scan, flat, region, geo, params, state, stages, spacing_um=sp)


def _rescale_geometry(geo: PrimerGeometry | None, sp: float, ratio: float) -> PrimerGeometry | None:
    """Geometry in the coordinates of a grid resampled by ``ratio`` from the same corner."""
    if geo is None:
        return None
    # a point at x µm (from old pixel 0's centre) lies at x + 0.5*sp*(1 - ratio) from new pixel 0's centre
    off = 0.5 * sp * (1.0 - ratio)

    def mv(c):
        return None if c is None else (c[0] + off, c[1] + off)

    return PrimerGeometry(mv(geo.center_yx_um), geo.radius_um, mv(geo.firing_pin_center_yx_um), geo.firing_pin_radius_um)


__all__ = ["preprocess_scan", "preprocess_image", "find_breech_face_image"]
