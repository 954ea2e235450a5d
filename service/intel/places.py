"""Coarsening of places: how another jurisdiction's scene is shown without the street.

Both the link chart (:mod:`service.intel.graph`) and the life of a gun
(:mod:`service.intel.timeline`) coarsen the coordinates of cases the caller does not
see in detail; the rule lives here so neither module needs the other for it.
"""

from __future__ import annotations

# 0.1 degree is about 11 km of latitude: a town, not a street.
COARSE_DEGREES = 0.1
_FINER_THAN_CITY = {"exact", "street", "district"}


def coarsen(lat: float | None, lon: float | None, precision: str, *, step: float = COARSE_DEGREES):
    """Coordinates rounded to ``step`` degrees and the precision they then have."""
    if lat is None or lon is None:
        return None, None, precision
    ndigits = max(0, len(f"{step:.10f}".rstrip("0").split(".")[1]))
    lat_c = round(round(lat / step) * step, ndigits)
    lon_c = round(round(lon / step) * step, ndigits)
    return lat_c, lon_c, ("city" if precision in _FINER_THAN_CITY else precision)
