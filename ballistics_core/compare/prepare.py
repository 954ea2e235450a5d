"""Per-scan work done once and shared by every comparison the scan takes part in."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ballistics_core.compare.cells import cut_cells
from ballistics_core.compare.ncc import template_spectra
from ballistics_core.compare.params import CompareParams
from ballistics_core.compare.runtime import fft_workers
from ballistics_core.errors import ScanContentError
from ballistics_core.preprocess.filters import bandpass
from ballistics_core.preprocess.resample import resample

__all__ = ["PreparedSurface", "prepare_surface"]


@dataclass(frozen=True, eq=False)
class PreparedSurface:
    """A surface ready for comparison at the samplings the stages use.

    Attributes
    ----------
    coarse : 2-D float32
        Surface at ``coarse_spacing_um`` for the full-circle rotation search.
    coarse_canvas : (h, w)
        Canvas that holds ``coarse`` at any rotation about its centre.
    cell_surface : 2-D float32
        High-passed surface at ``cell_spacing_um`` (cells are searched in it).
    cells, cell_centers_px, cell_grid_index, cell_valid_fraction, cell_phase
        The cell grids cut from ``cell_surface`` (see :func:`cut_cells`), and
        which grid placement each cell belongs to.
    cell_spectra : tuple of ndarrays
        Template spectra of the cells for search regions of ``region_px``.
    """

    spacing_um: float
    coarse: np.ndarray
    coarse_spacing_um: float
    coarse_canvas: tuple[int, int]
    cell_surface: np.ndarray
    cell_spacing_um: float
    cell_px: int
    radius_px: int
    region_px: int
    cells: np.ndarray
    cell_centers_px: np.ndarray
    cell_grid_index: np.ndarray
    cell_valid_fraction: np.ndarray
    cell_phase: np.ndarray
    cell_spectra: tuple
    params_digest: str
    center_offset_um: tuple = (0.0, 0.0)
    source: np.ndarray | None = None
    params: CompareParams | None = None
    is_mirror: bool = False

    @cached_property
    def mirror(self) -> "PreparedSurface":
        """The same surface mirrored left-right (columns reversed), prepared alike."""
        if self.source is None or self.params is None:
            raise ValueError("this prepared surface keeps no source to mirror")
        m = prepare_surface(self.source[:, ::-1], spacing_um=self.spacing_um, params=self.params)
        object.__setattr__(m, "is_mirror", not self.is_mirror)
        return m

    def to_source_translation(self, moving: "PreparedSurface", angle_deg: float, t_um) -> tuple[float, float]:
        """Translation between the original (unpadded) surface centres from one between padded centres."""
        from ballistics_core.compare.registration import rotate_vector

        ry, rx = rotate_vector(moving.center_offset_um[0], moving.center_offset_um[1], angle_deg)
        return (float(t_um[0] + self.center_offset_um[0] - ry), float(t_um[1] + self.center_offset_um[1] - rx))


def _canvas(surface: np.ndarray) -> tuple[int, int]:
    # The breech face is a disc or ring: its rotations stay inside the circle that
    # holds its valid points, usually far smaller than the diagonal.
    ys, xs = np.nonzero(np.isfinite(surface))
    h, w = surface.shape
    rmax = np.sqrt((ys - (h - 1) / 2.0) ** 2 + (xs - (w - 1) / 2.0) ** 2).max()
    d = 2 * int(np.ceil(rmax)) + 3
    return d, d


def prepare_surface(surface: np.ndarray, *, spacing_um: float, params: CompareParams = CompareParams()) -> PreparedSurface:
    """Resample, filter and cut a surface for :func:`ballistics_core.compare.compare_prepared`.

    Parameters
    ----------
    surface : 2-D ndarray
        Preprocessed breech face at ``spacing_um``, NaN outside.
    spacing_um : float
    params : CompareParams

    Raises
    ------
    ScanContentError
        If too little of the surface is valid to compare.
    """
    surface = np.asarray(surface, np.float32)
    if np.isfinite(surface).sum() < 100:
        raise ScanContentError("surface has fewer than 100 measured points; nothing to compare")
    source = surface
    cs = max(params.coarse_spacing_um, spacing_um)
    ls = max(params.cell_spacing_um, spacing_um)
    # Pad (NaN, at the far edges) to a whole number of coarse and cell pixels, so that
    # every sampling shares one centre; the shift of that centre is recorded.
    ratios = [cs / spacing_um, ls / spacing_um]
    if all(abs(r - round(r)) < 1e-6 for r in ratios):
        m = int(np.lcm(int(round(ratios[0])), int(round(ratios[1]))))
        h, w = surface.shape
        ph, pw = (-h) % m, (-w) % m
        surface = np.pad(surface, ((0, ph), (0, pw)), constant_values=np.nan)
        offset = (ph / 2.0 * spacing_um, pw / 2.0 * spacing_um)
    else:
        offset = (0.0, 0.0)
    coarse = resample(surface, spacing_um=spacing_um, target_spacing_um=cs).astype(np.float32)
    if np.isfinite(coarse).sum() < 16:
        raise ScanContentError("surface too small for the coarse rotation search")
    cell_surface = resample(surface, spacing_um=spacing_um, target_spacing_um=ls)
    cell_surface = bandpass(cell_surface, spacing_um=ls, short_cutoff_um=params.cell_lowpass_um or None,
                            long_cutoff_um=params.cell_highpass_um)
    cell_surface = cell_surface.astype(np.float32)
    if params.cell_grid:
        valid = np.isfinite(cell_surface)
        rows, cols = np.flatnonzero(valid.any(axis=1)), np.flatnonzero(valid.any(axis=0))
        extent = max(rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1)
        cell_px = max(8, int(np.ceil(extent / params.cell_grid)))
    else:
        cell_px = max(8, int(round(params.cell_size_um / ls)))
    rad = max(1, int(round(params.cell_search_radius_um / ls)))
    region = cell_px + 2 * rad
    parts = [cut_cells(cell_surface, cell_px=cell_px, min_valid_fraction=params.cell_min_valid_fraction,
                       phase=k / params.cell_grid_phases) for k in range(params.cell_grid_phases)]
    cells = np.concatenate([p[0] for p in parts])
    centers = np.concatenate([p[1] for p in parts])
    index = np.concatenate([p[2] for p in parts])
    frac = np.concatenate([p[3] for p in parts])
    phase = np.concatenate([np.full(len(p[0]), k) for k, p in enumerate(parts)]).astype(int)
    spectra = template_spectra(cells, (region, region), dtype=np.float32, workers=fft_workers()) if len(cells) else ()
    return PreparedSurface(
        spacing_um=float(spacing_um),
        coarse=coarse,
        coarse_spacing_um=cs,
        coarse_canvas=_canvas(coarse),
        cell_surface=cell_surface,
        cell_spacing_um=ls,
        cell_px=cell_px,
        radius_px=rad,
        region_px=region,
        cells=cells,
        cell_centers_px=centers,
        cell_grid_index=index,
        cell_valid_fraction=frac,
        cell_phase=phase,
        cell_spectra=spectra,
        params_digest=params.digest(),
        center_offset_um=offset,
        source=source,
        params=params,
    )
