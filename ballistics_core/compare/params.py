"""Comparison parameters, all in physical units (µm, degrees)."""

from __future__ import annotations

from dataclasses import dataclass

from ballistics_core.params import DigestMixin


@dataclass(frozen=True)
class CompareParams(DigestMixin):
    """Every threshold of the registration and cell stages.

    Attributes
    ----------
    coarse_spacing_um : float
        Sampling of the full-circle rotation search.
    coarse_angle_step_deg : float
        Angle step of the full-circle search (0-360 degrees).
    coarse_refine_step_deg : float
        Angle step of the refinement around the best coarse rotation.
    coarse_candidates : int
        Distinct rotation peaks of the coarse search passed on to the cell stage.
    coarse_peak_separation_deg : float
        Peaks closer than this are one peak.
    try_mirror : bool
        Also register the mirror image of the moving surface and keep the
        handedness with the stronger full-scan evidence: some instruments and
        export pipelines store scans mirrored (seen between DFSC files).
    min_overlap_fraction : float
        Full-scan offsets whose joint valid area is below this fraction of the
        smaller scan's valid area are not considered.
    cell_spacing_um : float
        Sampling of the cell stage (6.25 µm is the exhaustive, native mode).
    cell_highpass_um : float
        Long-wavelength cut-off (Gaussian, ISO 16610-61) applied before the cell
        stage: waves as long as a cell make neighbouring unrelated cells
        correlate by chance.
    cell_lowpass_um : float
        Short-wavelength cut-off of the cell stage (0: none). Cells are
        registered to whole pixels of ``cell_spacing_um``; wavelengths near two
        pixels decorrelate under a half-pixel misregistration.
    cell_fine_spacing_um : float
        Multi-resolution cell stage: each cell's best offset from the search at
        ``cell_spacing_um`` is refined on this finer sampling (or the scan's
        own, where that is coarser), and the cell's correlation and translation
        are measured there. The search keeps its full radius and every
        rotation; only the last pixel of precision is bought at the fine
        sampling, where it costs a few evaluations instead of a full search.
        On Fadul the fine correlation halves the chance agreements between
        different firearms. 0 (or a value not finer than ``cell_spacing_um``):
        no refinement.
    cell_fine_max_steps : int
        Hill-climbing moves (fine pixels) the refinement may take from where
        the coarse offset points.
    cell_grid : int
        Cells per side of the grid laid over the bounding box of the fixed
        surface's valid region (cmcR and NIST: 8 x 8). The cell side follows
        the scan's size, so every breech face yields a similar number of cells.
        0 uses ``cell_size_um`` instead.
    cell_grid_phases : int
        Grids laid over the surface, each shifted by 1/phases of a cell. Where
        a grid happens to fall on the ring's edge decides how many cells are
        usable; counting on several placements and averaging removes most of
        that arbitrariness from the CMC count.
    cell_size_um : float
        Side of a square cell when ``cell_grid`` is 0 (about 425 µm on Fadul).
    cell_min_valid_fraction : float
        Cells with less valid area are not used (cmcR allows 85 % missing; cells
        that sparse rarely register reliably and make the count depend on how
        the grid happens to fall on the ring's edge).
    cell_search_radius_um : float
        Each cell is searched this far around where the full-scan pose puts it.
    cell_angle_span_deg, cell_angle_step_deg : float
        Cell rotations tried around each coarse candidate: +-span in steps.
    cell_min_overlap_fraction : float
        A cell offset counts only where this fraction of the cell's valid
        pixels overlaps valid target pixels.
    translation_tol_um : float
        Congruence: a cell's translation within this of the consensus, per axis
        (cmcR: 125 µm, 20 px at 6.25 µm; this is 10 px: same-source cells agree
        within a few tens of µm).
    angle_tol_deg : float
        Congruence: a cell's rotation within this of the consensus (cmcR: 6 degrees).
    ccf_threshold : float
        Congruence: a cell's Pearson r at its chosen offset at least this (cmcR: 0.5
        on zero-filled correlations; this is an exact masked Pearson r on
        high-passed cells).
    high_cmc_tau : int
        High-CMC rule (Tong 2015): rotations whose CMC count is within tau of the
        maximum must lie within ``angle_tol_deg`` of its rotation.
    direction_angle_tol_deg, direction_translation_tol_um : float
        Agreement of the two directions: the pose of B on A that A's congruent
        cells give and the inverse of the pose that B's give must differ by no
        more than these, or neither count stands (a congruence seen from one
        side only does not stand either). Each pose is a median over many
        cells, so the tolerances are half the per-cell ones; same-firearm
        pairs of both reference instruments agree within 1.5 degrees and 21 µm.
    """

    coarse_spacing_um: float = 50.0
    coarse_angle_step_deg: float = 3.0
    coarse_candidates: int = 3
    coarse_refine_step_deg: float = 0.5
    coarse_peak_separation_deg: float = 15.0
    try_mirror: bool = True
    min_overlap_fraction: float = 0.5
    cell_spacing_um: float = 12.5
    cell_highpass_um: float = 150.0
    cell_lowpass_um: float = 0.0
    cell_fine_spacing_um: float = 6.25
    cell_fine_max_steps: int = 2
    cell_grid: int = 8
    cell_grid_phases: int = 2
    cell_size_um: float = 425.0
    cell_min_valid_fraction: float = 0.4
    cell_search_radius_um: float = 200.0
    cell_angle_span_deg: float = 6.0
    cell_angle_step_deg: float = 1.5
    cell_min_overlap_fraction: float = 0.6
    translation_tol_um: float = 62.5
    angle_tol_deg: float = 6.0
    ccf_threshold: float = 0.4
    high_cmc_tau: int = 1
    direction_angle_tol_deg: float = 3.0
    direction_translation_tol_um: float = 31.25

    def __post_init__(self) -> None:
        for name in ("coarse_spacing_um", "coarse_angle_step_deg", "cell_spacing_um", "cell_size_um",
                     "cell_search_radius_um", "cell_angle_step_deg", "translation_tol_um", "angle_tol_deg",
                     "direction_angle_tol_deg", "direction_translation_tol_um"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)}")
        if not 0 < self.min_overlap_fraction <= 1 or not 0 < self.cell_min_overlap_fraction <= 1:
            raise ValueError("overlap fractions must lie in (0, 1]")
        if self.coarse_spacing_um < self.cell_spacing_um:
            raise ValueError("coarse_spacing_um must not be finer than cell_spacing_um")


EXHAUSTIVE = CompareParams(
    coarse_spacing_um=25.0,
    coarse_angle_step_deg=1.5,
    coarse_candidates=5,
    cell_spacing_um=6.25,
    cell_angle_step_deg=1.0,
    cell_fine_spacing_um=0.0,
)
"""Slow reference mode: finer angles and the native 6.25 µm sampling in the cell stage."""
