"""Oblique-light rendering of a topography as a 2-D intensity image.

A comparison microscope or an IBIS-style 2-D station photographs the breech face
under oblique light; rendering a measured topography the same way gives 2-D
images with known ground truth for validating the 2-D pipeline.
"""

from __future__ import annotations

import numpy as np

from ballistics_core.scan import Scan

__all__ = ["render_oblique"]


def render_oblique(scan: Scan, *, azimuth_deg: float = 45.0, elevation_deg: float = 30.0) -> Scan:
    """Lambertian shading of the surface under a distant light.

    Parameters
    ----------
    scan : Scan
        Topography (heights in µm).
    azimuth_deg : float
        Direction the light comes from, counter-clockwise from the +column axis
        as displayed.
    elevation_deg : float
        Angle of the light above the surface plane.

    Returns
    -------
    Scan
        ``kind="intensity"`` with values in [0, 1], NaN where the height (or a
        neighbour needed for its slope) is unmeasured, the same spacing and
        ``mask`` = measured points; ``meta`` records the lighting.
    """
    if scan.kind != "topography":
        raise ValueError("only topographies can be rendered")
    h = np.asarray(scan.heights, np.float64)
    gy, gx = np.gradient(h, scan.spacing_um)
    az, el = np.deg2rad(azimuth_deg), np.deg2rad(elevation_deg)
    # light vector in (x right, y up as displayed, z out of the surface)
    lx, ly, lz = np.cos(el) * np.cos(az), np.cos(el) * np.sin(az), np.sin(el)
    # rows grow downwards, so the displayed y slope is -gy
    nx, ny, nz = -gx, gy, np.ones_like(h)
    norm = np.sqrt(nx * nx + ny * ny + 1.0)
    shade = np.clip((nx * lx + ny * ly + nz * lz) / norm, 0.0, 1.0)
    shade[~np.isfinite(shade)] = np.nan
    meta = dict(scan.meta)
    meta.update(render="oblique lambertian", light_azimuth_deg=azimuth_deg, light_elevation_deg=elevation_deg)
    return Scan(shade.astype(np.float32), spacing_um=scan.spacing_um, mask=np.isfinite(shade), meta=meta, kind="intensity")
