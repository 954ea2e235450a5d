"""The Signature record."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Mapping

import numpy as np


def _frozen(a: np.ndarray | None, dtype=np.float32) -> np.ndarray | None:
    if a is None:
        return None
    a = np.array(a, dtype=dtype, copy=True)
    a.setflags(write=False)
    return a


@dataclass(frozen=True, eq=False)
class Signature:
    """Everything needed to compare one exhibit against another.

    Attributes
    ----------
    surface : (H, W) float32
        Preprocessed breech face (levelled, band-passed) at ``spacing_um``; NaN
        outside the breech-face region. Heights in µm (intensity for 2D images).
    spacing_um : float
        Lateral spacing of ``surface``.
    descriptor : (D,) float32
        Rotation-invariant, unit-norm vector for tier-1 screening.
    ring_spectra : (R, K) complex64 or None
        Angular spectra of rings around the aperture (:mod:`.polar`), for the
        rotation-searched second screening tier; required by the store.
    firing_pin : (n_r, n_theta) float32 or None
        Firing-pin impression unwrapped to polar coordinates (rows: radius,
        columns: angle over the full circle), form removed; None when the scan
        holds no firing-pin impression (already-cropped breech faces).
    firing_pin_spacing_um : float
        Radial sampling of ``firing_pin``.
    kind : {"topography", "intensity"}
    algorithm_version, params_digest, source_sha256 : str
    meta : mapping
        Free metadata (source name, instrument, calibre, jurisdiction, ...).
    """

    surface: np.ndarray
    spacing_um: float
    descriptor: np.ndarray
    firing_pin: np.ndarray | None = None
    firing_pin_spacing_um: float = 0.0
    ring_spectra: np.ndarray | None = None
    kind: str = "topography"
    algorithm_version: str = ""
    params_digest: str = ""
    source_sha256: str = ""
    meta: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "surface", _frozen(self.surface))
        object.__setattr__(self, "descriptor", _frozen(self.descriptor))
        object.__setattr__(self, "firing_pin", _frozen(self.firing_pin))
        object.__setattr__(self, "ring_spectra", _frozen(self.ring_spectra, np.complex64))
        object.__setattr__(self, "meta", MappingProxyType(dict(self.meta)))
