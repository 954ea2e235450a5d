"""Preprocessing parameters, all in physical units, frozen and digested."""

from __future__ import annotations

from dataclasses import dataclass

from ballistics_core.params import DigestMixin


@dataclass(frozen=True)
class PreprocessParams(DigestMixin):
    """Options of :func:`ballistics_core.preprocess.preprocess_scan` for topographies.

    Band-pass and output spacing follow the cmcR pipeline used for the
    published Fadul set (Gaussian band-pass 16-500 µm, output at 6.25 µm).
    The crop distances are measured from circles this package detects (the
    primer rim and the whole firing-pin impression, see
    :func:`~ballistics_core.preprocess.firing_pin_region`) and were set so the
    breech-face masks of raw Fadul and DFSC scans overlap the reference
    processed masks (``benchmarks/preprocess_raw.py``).

    Parameters
    ----------
    target_spacing_um : float
        Lateral spacing of the output.
    short_cutoff_um, long_cutoff_um : float
        Gaussian (ISO 16610-61) band-pass cut-off wavelengths; ``None`` skips
        that side of the band.
    edge_erosion_um : float
        Distance removed inside the detected primer circle.
    firing_pin_margin_um : float
        Distance added to the detected firing-pin radius before it is excluded.
    outlier_threshold : float
        Residuals from a local smooth surface larger than this many robust
        standard deviations are set to NaN; ``None`` disables the stage.
    outlier_window_um : float
        Scale of that local smooth surface.
    primer_radius_min_um, primer_radius_max_um : float
        Prior on the radius of the measured primer face.
    firing_pin_radius_min_um, firing_pin_radius_max_um : float
        Prior on the radius of the firing-pin aperture / impression core.
    detect_spacing_um : float
        Working spacing of the region detection (coarser is faster).
    plateau_max_slope_deg : tuple of float
        Local slope (after levelling, smoothed over ``slope_smoothing_um``)
        above which a point is not breech face: the primer's rounded rim and
        the firing-pin walls are steeper than this. Tried in order until a
        closed ring of plausible size appears.
    slope_smoothing_um : float
    processed_max_range_um : float
        A scan whose levelled heights span less than this (0.5-99.5 percentile)
        has no primer rim or firing-pin crater left: it is treated as already
        processed and only levelled and resampled.
    bandpass_processed : bool
        Apply the short cut-off to already-processed scans too (the long one
        is never re-applied to them: on the cropped Fadul rings it lowers the
        correlation with the input to 0.93, the short one keeps 0.999).
    min_valid_fraction : float
        A resampled pixel is valid only where at least this fraction of its
        area holds valid source pixels.
    """

    target_spacing_um: float = 6.25
    short_cutoff_um: float | None = 16.0
    long_cutoff_um: float | None = 500.0
    edge_erosion_um: float = 50.0
    firing_pin_margin_um: float = 100.0
    outlier_threshold: float | None = 6.0
    outlier_window_um: float = 25.0
    primer_radius_min_um: float = 1200.0
    primer_radius_max_um: float = 2700.0
    firing_pin_radius_min_um: float = 150.0
    firing_pin_radius_max_um: float = 1700.0
    detect_spacing_um: float = 25.0
    plateau_max_slope_deg: tuple[float, ...] = (8.0, 10.0, 12.0)
    slope_smoothing_um: float = 50.0
    processed_max_range_um: float = 40.0
    bandpass_processed: bool = False
    min_valid_fraction: float = 0.5


@dataclass(frozen=True)
class ImagePreprocessParams(DigestMixin):
    """Options of :func:`ballistics_core.preprocess.preprocess_image` for 2-D intensity images.

    Parameters
    ----------
    target_spacing_um : float
    illumination_sigma_um : float
        Scale of the Gaussian estimate of uneven ring-light illumination; the
        image is divided by it.
    short_cutoff_um, long_cutoff_um : float
        Band-pass cut-offs applied after flattening.
    edge_erosion_um, firing_pin_margin_um : float
        As in :class:`PreprocessParams`, measured from the bright breech-face
        disc found in the image.
    primer_radius_min_um, primer_radius_max_um : float
        Prior on the radius of the bright breech-face disc.
    firing_pin_radius_min_um, firing_pin_radius_max_um : float
    detect_spacing_um : float
    region_smoothing_um : float
        Scale of the smoothing before the bright/dark threshold.
    min_valid_fraction : float
    """

    target_spacing_um: float = 6.25
    illumination_sigma_um: float = 250.0
    short_cutoff_um: float | None = 16.0
    long_cutoff_um: float | None = 500.0
    edge_erosion_um: float = 60.0
    # Under a ring light the firing-pin tip reads as the dark hole and its
    # flow-back collar as a bright ring around it, often joined to the breech
    # face; the margin takes the collar out (NBIDE: hole ~710 µm, collar ~1160 µm).
    firing_pin_margin_um: float = 450.0
    primer_radius_min_um: float = 1200.0
    primer_radius_max_um: float = 2700.0
    firing_pin_radius_min_um: float = 300.0
    firing_pin_radius_max_um: float = 1500.0
    detect_spacing_um: float = 25.0
    region_smoothing_um: float = 60.0
    min_valid_fraction: float = 0.5
