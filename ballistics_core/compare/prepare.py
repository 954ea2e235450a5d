"""Per-scan work done once and shared by every comparison the scan takes part in."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import scipy.fft as sfft

from ballistics_core.compare.cells import cut_cells
from ballistics_core.compare.ncc import template_spectra
from ballistics_core.compare.params import CompareParams
from ballistics_core.compare.runtime import fft_workers
from ballistics_core.errors import ScanContentError
from ballistics_core.preprocess.filters import bandpass
from ballistics_core.preprocess.resample import resample

__all__ = ["FineCells", "PreparedSurface", "prepare_surface"]


@dataclass(frozen=True, eq=False)
class FineCells:
    """A prepared surface's cells and surface at the refinement sampling.

    Positions are physical: everything is measured from the centre of the
    cell-stage surface (``PreparedSurface.cell_surface``), in µm, so the fine
    stage continues the coarse one's translations without any pixel mapping.

    Attributes
    ----------
    spacing_um : float
    surface : 2-D float32
        Band-passed surface at ``spacing_um``, NaN = invalid.
    center_px : (2,) float
        The cell-stage surface's centre in this surface's pixel coordinates.
    values, valid, values_sq : (n, cf, cf) float32
        The cells, centred on their own mean, split like the surface.
    centers_um : (n, 2) float
        Each fine cell's centre from the cell-stage surface's centre, µm.
    n_valid : (n,) float
        Valid pixels per fine cell.
    """

    spacing_um: float
    surface: np.ndarray
    center_px: np.ndarray
    values: np.ndarray
    valid: np.ndarray
    values_sq: np.ndarray
    centers_um: np.ndarray
    n_valid: np.ndarray

    @property
    def cell_px(self) -> int:
        return int(self.values.shape[1])


def _fine_cells(surface, spacing_um, cell_shape, cell_spacing_um, cell_px, centers_px, params) -> FineCells | None:
    fs = max(params.cell_fine_spacing_um, spacing_um)
    if not params.cell_fine_spacing_um or fs >= cell_spacing_um * (1 - 1e-6) or not len(centers_px):
        return None
    fine = surface if abs(fs - spacing_um) < 1e-9 else resample(surface, spacing_um=spacing_um, target_spacing_um=fs)
    fine = bandpass(fine, spacing_um=fs, short_cutoff_um=params.cell_lowpass_um or None,
                    long_cutoff_um=params.cell_highpass_um).astype(np.float32)
    # both grids start at the surface's corner: pixel i's centre lies at (i + 0.5) * spacing
    origin_um = np.array(cell_shape, float) * cell_spacing_um / 2.0
    center_px = origin_um / fs - 0.5
    cf = max(8, int(round(cell_px * cell_spacing_um / fs)))
    phys = origin_um + np.asarray(centers_px, float) * cell_spacing_um
    top_left = np.rint(phys / fs - 0.5 - (cf - 1) / 2.0).astype(int)
    pad = cf
    padded = np.pad(fine, pad, constant_values=np.nan)
    cells = np.stack([padded[y + pad : y + pad + cf, x + pad : x + pad + cf] for y, x in top_left])
    ok = np.isfinite(cells)
    n_valid = ok.reshape(len(cells), -1).sum(axis=1).astype(float)
    mean = np.where(ok, cells, 0).reshape(len(cells), -1).sum(axis=1) / np.maximum(n_valid, 1)
    values = np.where(ok, cells - mean[:, None, None], 0).astype(np.float32)
    return FineCells(
        spacing_um=float(fs),
        surface=fine,
        center_px=center_px,
        values=values,
        valid=ok.astype(np.float32),
        values_sq=values * values,
        centers_um=(top_left + (cf - 1) / 2.0 + 0.5) * fs - origin_um,
        n_valid=n_valid,
    )


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
    fine : FineCells or None
        The same cells and surface at the refinement sampling
        (``CompareParams.cell_fine_spacing_um``), or None without refinement.
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
    fine: "FineCells | None" = None
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
    coarse = resample(surface, spacing_um=spacing_um, target_spacing_um=cs).astype(np.float32)
    if np.isfinite(coarse).sum() < 16:
        raise ScanContentError("surface too small for the coarse rotation search")
    cell_surface = resample(surface, spacing_um=spacing_um, target_spacing_um=ls)
    cell_surface = bandpass(cell_surface, spacing_um=ls, short_cutoff_um=params.cell_lowpass_um or None,
                            long_cutoff_um=params.cell_highpass_um)
    cell_surface = cell_surface.astype(np.float32)
    # Translations are measured between cell-stage centres. With whole-pixel ratios that
    # centre is the padded surface's; otherwise (TopMatch 7.37 µm) the cell grid's last
    # pixel overhangs the surface, and its centre lies that much further on.
    offset = tuple(float(c * ls - s * spacing_um) / 2.0 for c, s in zip(cell_surface.shape, source.shape))
    if params.cell_grid:
        valid = np.isfinite(cell_surface)
        rows, cols = np.flatnonzero(valid.any(axis=1)), np.flatnonzero(valid.any(axis=0))
        extent = max(rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1)
        cell_px = max(8, int(np.ceil(extent / params.cell_grid)))
    else:
        cell_px = max(8, int(round(params.cell_size_um / ls)))
    rad = max(1, int(round(params.cell_search_radius_um / ls)))
    # The search needs cell + 2 radius pixels; the region is padded to a length the
    # FFT handles fast (a prime side such as 67 costs several times more).
    region = sfft.next_fast_len(cell_px + 2 * rad, real=True)
    parts = [cut_cells(cell_surface, cell_px=cell_px, min_valid_fraction=params.cell_min_valid_fraction,
                       phase=k / params.cell_grid_phases) for k in range(params.cell_grid_phases)]
    cells = np.concatenate([p[0] for p in parts])
    centers = np.concatenate([p[1] for p in parts])
    index = np.concatenate([p[2] for p in parts])
    frac = np.concatenate([p[3] for p in parts])
    phase = np.concatenate([np.full(len(p[0]), k) for k, p in enumerate(parts)]).astype(int)
    spectra = template_spectra(cells, (region, region), dtype=np.float32, workers=fft_workers()) if len(cells) else ()
    fine = _fine_cells(surface, spacing_um, cell_surface.shape, ls, cell_px, centers, params)
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
        fine=fine,
        source=source,
        params=params,
    )
