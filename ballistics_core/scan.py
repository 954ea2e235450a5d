"""The immutable scan object every stage passes along."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Mapping

import numpy as np


@dataclass(frozen=True, eq=False)
class Scan:
    """A measured surface (or intensity image) of a cartridge-case head.

    Parameters
    ----------
    heights : (H, W) float32 ndarray
        Heights in micrometres (``kind == "topography"``) or intensity in
        arbitrary units (``kind == "intensity"``); NaN marks unmeasured points.
        Row 0 is the top (north) edge, column 0 the west edge.
    spacing_um : float
        Lateral sampling interval in micrometres (square pixels).
    mask : (H, W) bool ndarray, optional
        True where the region of interest is (e.g. a FiX3P annotation mask).
    meta : mapping
        Provenance: ``instrument``, ``date``, ``unit_xy_detected``,
        ``unit_z_detected``, ``sha256`` of the original file, ``source`` name...
    kind : {"topography", "intensity"}
    """

    heights: np.ndarray
    spacing_um: float
    mask: np.ndarray | None = None
    meta: Mapping[str, Any] = field(default_factory=dict)
    kind: str = "topography"

    def __post_init__(self) -> None:
        h = np.array(self.heights, dtype=np.float32, copy=True)
        if h.ndim != 2:
            raise ValueError(f"heights must be 2-D, got shape {h.shape}")
        h.setflags(write=False)
        object.__setattr__(self, "heights", h)
        if self.mask is not None:
            m = np.array(self.mask, dtype=bool, copy=True)
            if m.shape != h.shape:
                raise ValueError(f"mask shape {m.shape} differs from heights {h.shape}")
            m.setflags(write=False)
            object.__setattr__(self, "mask", m)
        if not (np.isfinite(self.spacing_um) and self.spacing_um > 0):
            raise ValueError(f"spacing_um must be positive, got {self.spacing_um}")
        if self.kind not in ("topography", "intensity"):
            raise ValueError(f"kind must be 'topography' or 'intensity', got {self.kind!r}")
        object.__setattr__(self, "spacing_um", float(self.spacing_um))
        object.__setattr__(self, "meta", MappingProxyType(dict(self.meta)))

    @property
    def shape(self) -> tuple[int, int]:
        return self.heights.shape  # type: ignore[return-value]

    @property
    def nan_fraction(self) -> float:
        return float(np.isnan(self.heights).mean()) if self.heights.size else 1.0

    @property
    def valid(self) -> np.ndarray:
        """Boolean map of measured points (inside the mask, if there is one)."""
        v = np.isfinite(self.heights)
        return v & self.mask if self.mask is not None else v

    def replace(self, **changes: Any) -> "Scan":
        """A new scan with some fields replaced; ``meta`` changes are merged."""
        if "meta" in changes:
            merged = dict(self.meta)
            merged.update(changes["meta"])
            changes["meta"] = merged
        return dataclasses.replace(self, **changes)
