"""Both surfaces of a compared pair in one display frame, with the cells placed on each.

A is drawn as it is; B is rotated counter-clockwise by the comparison's rotation
about its centre and its centre put at A's centre plus the translation, so that
corresponding marks sit at the same place in both panels. Each cell of A is drawn
on B where its own registration found it (at the rotation it was judged at), so
congruent cells land on top of their place in A and the others visibly do not.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ballistics_core.compare.geometry import rotate_surface
from ballistics_core.compare.registration import rotate_vector
from ballistics_core.preprocess.resample import resample
from service.reports.pairs import ComparedPair

CONGRUENT, NOT_CONGRUENT, NO_MATCH = "congruent", "not congruent", "no match"


@dataclass(frozen=True, eq=False)
class CellMarks:
    """Cells of A (direction A→B) in display pixels (row, col).

    ``on_b`` is NaN for cells that found no match; ``turn_deg`` is the rotation
    (counter-clockwise as displayed) of the cell's outline on B.
    """

    on_a: np.ndarray
    on_b: np.ndarray
    turn_deg: np.ndarray
    r: np.ndarray
    status: np.ndarray
    size_px: float

    def count(self, status: str) -> int:
        return int(np.sum(self.status == status))


@dataclass(frozen=True, eq=False)
class Alignment:
    """A and the aligned B on one canvas at ``spacing_um``, NaN where unmeasured."""

    a: np.ndarray
    b: np.ndarray
    spacing_um: float
    cells: CellMarks
    overlap_r: float
    overlap_fraction: float


def _at(surface: np.ndarray, spacing_um: float, target_um: float) -> np.ndarray:
    if target_um > spacing_um * (1 + 1e-6):
        return resample(surface, spacing_um=spacing_um, target_spacing_um=target_um).astype(np.float32)
    return np.asarray(surface, np.float32)


def _pearson(a: np.ndarray, b: np.ndarray) -> tuple[float, int]:
    ok = np.isfinite(a) & np.isfinite(b)
    n = int(ok.sum())
    if n < 16:
        return float("nan"), n
    x, y = a[ok] - a[ok].mean(), b[ok] - b[ok].mean()
    den = math.sqrt(float((x * x).sum()) * float((y * y).sum()))
    return (float((x * y).sum()) / den if den > 0 else float("nan")), n


def align_pair(pair: ComparedPair, *, max_display_px: int = 640) -> Alignment:
    """Put A and the aligned B on one canvas and place the cells on both.

    Parameters
    ----------
    pair : ComparedPair
    max_display_px : int
        Surfaces larger than this are averaged down for display (figures stay
        light to render; the comparison itself is not affected).
    """
    c = pair.comparison
    s = pair.common_spacing_um
    a = _at(pair.a.surface, pair.a.spacing_um, s)
    b = _at(pair.b.surface, pair.b.spacing_um, s)
    if c.mirrored:  # the engine registered B's mirror image
        b = b[:, ::-1]
    if max(a.shape + b.shape) > max_display_px:
        s_disp = s * max(a.shape + b.shape) / max_display_px
        a, b = _at(a, s, s_disp), _at(b, s, s_disp)
    else:
        s_disp = s
    theta = c.rotation_deg
    t_px = (c.translation_um[0] / s_disp, c.translation_um[1] / s_disp)

    # A canvas that holds A, and B at any rotation wherever the translation puts it.
    reach = math.hypot(*b.shape) / 2 + math.hypot(*t_px)
    side = int(math.ceil(2 * max(math.hypot(*a.shape) / 2, reach))) + 3
    side |= 1
    canvas = (side, side)
    ca = ((a.shape[0] - 1) / 2.0, (a.shape[1] - 1) / 2.0)
    a_canvas = rotate_surface(a, 0.0, output_shape=canvas, center=ca)
    cb = ((b.shape[0] - 1) / 2.0, (b.shape[1] - 1) / 2.0)
    # rotate_surface maps `center` to the canvas centre: choosing it R(-θ)t before B's
    # centre puts B's centre at the canvas centre plus t after the rotation.
    back = rotate_vector(t_px[0], t_px[1], -theta)
    b_canvas = rotate_surface(b, theta, output_shape=canvas, center=(cb[0] - back[0], cb[1] - back[1]))

    # Crop to where either surface has data.
    valid = np.isfinite(a_canvas) | np.isfinite(b_canvas)
    rows, cols = np.flatnonzero(valid.any(axis=1)), np.flatnonzero(valid.any(axis=0))
    r0, r1, c0, c1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    a_canvas, b_canvas = a_canvas[r0:r1, c0:c1], b_canvas[r0:r1, c0:c1]
    centre = ((side - 1) / 2.0 - r0, (side - 1) / 2.0 - c0)

    cells = _cell_marks(pair, centre, s_disp)
    r, n = _pearson(a_canvas, b_canvas)
    smaller = min(np.isfinite(a_canvas).sum(), np.isfinite(b_canvas).sum())
    return Alignment(
        a=a_canvas, b=b_canvas, spacing_um=float(s_disp), cells=cells, overlap_r=r,
        overlap_fraction=float(n / smaller) if smaller else 0.0,
    )


def _cell_marks(pair: ComparedPair, centre: tuple[float, float], s: float) -> CellMarks:
    c = pair.comparison
    reg, cmc = c.registration, c.cmc_detail_ab
    cells = reg.cells_ab
    n = len(cells.centers_um)
    on_a = np.full((n, 2), np.nan)
    on_b = np.full((n, 2), np.nan)
    turn = np.full(n, np.nan)
    r = np.full(n, np.nan)
    status = np.full(n, NO_MATCH, dtype=object)
    (oay, oax) = pair.offset_a_um
    # the offsets of the B that was registered (its mirror image where the engine chose that)
    (oby, obx) = reg.moving.center_offset_um if reg.moving is not None else pair.offset_b_um
    ty, tx = c.translation_um
    for i, (qy, qx) in enumerate(cells.centers_um):
        on_a[i] = (centre[0] + (qy + oay) / s, centre[1] + (qx + oax) / s)
        k = int(cmc.cell_angle_index[i]) if cmc is not None and len(cmc.cell_angle_index) > i else 0
        if not np.isfinite(cells.r[i, k]):
            continue
        angle = float(cells.angles_deg[k])
        # The cell's match in B's own frame (both about the prepared, padded centres) ...
        vy, vx = rotate_vector(qy - cells.ty_um[i, k], qx - cells.tx_um[i, k], -angle)
        # ... then about B's own centre, and through the comparison's pose into the display.
        dy, dx = rotate_vector(vy + oby, vx + obx, c.rotation_deg)
        on_b[i] = (centre[0] + (dy + ty) / s, centre[1] + (dx + tx) / s)
        turn[i] = c.rotation_deg - angle
        r[i] = float(cells.r[i, k])
        status[i] = CONGRUENT if (cmc is not None and bool(cmc.congruent[i])) else NOT_CONGRUENT
    return CellMarks(on_a=on_a, on_b=on_b, turn_deg=turn, r=r, status=status, size_px=cells.cell_size_um / s)
