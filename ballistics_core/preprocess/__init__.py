"""Preprocessing of raw scans: breech-face region, levelling, outliers, band-pass, resampling.

Arrays in, arrays out; :func:`preprocess_scan` runs every stage on a
:class:`~ballistics_core.scan.Scan` and records what it did in ``meta``.
"""

from ballistics_core.preprocess.filters import bandpass, cutoff_to_sigma_um, gaussian_nan
from ballistics_core.preprocess.level import fit_plane, level, remove_outliers
from ballistics_core.preprocess.params import ImagePreprocessParams, PreprocessParams
from ballistics_core.preprocess.pipeline import find_breech_face_image, preprocess_image, preprocess_scan
from ballistics_core.preprocess.regions import (
    PrimerGeometry,
    detect_breech_face,
    find_primer,
    firing_pin_region,
    is_processed,
)
from ballistics_core.preprocess.resample import resample, resample_mask

__all__ = [
    "PreprocessParams",
    "ImagePreprocessParams",
    "PrimerGeometry",
    "bandpass",
    "cutoff_to_sigma_um",
    "gaussian_nan",
    "fit_plane",
    "level",
    "remove_outliers",
    "resample",
    "resample_mask",
    "detect_breech_face",
    "find_primer",
    "firing_pin_region",
    "is_processed",
    "find_breech_face_image",
    "preprocess_image",
    "preprocess_scan",
]
