"""Registration of one pair of prepared surfaces, in both directions."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ballistics_core.compare.cells import CellResults, register_cells
from ballistics_core.compare.params import CompareParams
from ballistics_core.compare.prepare import PreparedSurface
from ballistics_core.compare.registration import Pose, coarse_search_with_mirror, invert_pose, refine_rotation

__all__ = ["PairRegistration", "register_pair"]


@dataclass(frozen=True, eq=False)
class PairRegistration:
    """Everything the decide stage needs about one pair.

    Attributes
    ----------
    pose : Pose
        Best full-scan pose of B on A (refined rotation, coarse sampling).
    candidates : list of Pose
        Distinct coarse peaks, best first.
    cells_ab : CellResults
        Cells of A searched in B.
    cells_ba : CellResults
        Cells of B searched in A (around the inverse pose).
    moving : PreparedSurface
        The B that was registered: ``b`` itself, or its mirror image when that
        fitted better (``mirrored``).
    mirrored : bool
    """

    pose: Pose
    candidates: list
    cells_ab: CellResults
    cells_ba: CellResults
    moving: PreparedSurface | None = None
    mirrored: bool = False


def register_pair(a: PreparedSurface, b: PreparedSurface, *, params: CompareParams = CompareParams()) -> PairRegistration:
    """Full-circle rotation search, rotation refinement, then cells both ways.

    Parameters
    ----------
    a, b : PreparedSurface
        Made with the same ``params`` (their digests must match).
    params : CompareParams
    """
    if a.params_digest != params.digest() or b.params_digest != params.digest():
        raise ValueError("prepared surfaces were made with other comparison parameters")
    bm = b.mirror if params.try_mirror and b.source is not None else None
    cands, _, _, mirrored = coarse_search_with_mirror(
        a.coarse, b.coarse, None if bm is None else bm.coarse, spacing_um=a.coarse_spacing_um, params=params,
        canvas=b.coarse_canvas, mirror_canvas=None if bm is None else bm.coarse_canvas,
    )
    if mirrored:
        b = bm
    if not cands:
        cands = [Pose(0.0, 0.0, 0.0, float("nan"), 0.0)]
    pose = refine_rotation(a.coarse, b.coarse, cands[0], spacing_um=a.coarse_spacing_um, params=params, canvas=b.coarse_canvas)
    cells_ab = register_cells(a, b.cell_surface, pose, params=params, moving=b)
    cells_ba = register_cells(b, a.cell_surface, invert_pose(pose), params=params, moving=a)
    return PairRegistration(pose=pose, candidates=cands, cells_ab=cells_ab, cells_ba=cells_ba, moving=b, mirrored=mirrored)
