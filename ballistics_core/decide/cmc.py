"""Congruence of cells: the CMC count (Song 2013) with the High-CMC rule (Tong 2015)."""

from __future__ import annotations

from dataclasses import dataclass

import dataclasses

import numpy as np

from ballistics_core.compare.cells import CellResults
from ballistics_core.compare.registration import Pose, invert_pose

__all__ = ["CMCResult", "count_cmc", "directions_agree", "fit_rigid", "require_agreement"]


@dataclass(frozen=True)
class CMCResult:
    """Outcome of the congruence test in one direction.

    Attributes
    ----------
    count : int
        Final CMC count (High-CMC where its rotation test passes, else Song's original).
    method : str
        "high-cmc" or "original"; "disagreeing" where :func:`require_agreement`
        withdrew the count because the other direction found another pose.
    congruent : (n,) bool
        Which cells were counted.
    angle_deg, ty_um, tx_um : float
        Consensus rotation and translation of the counted cells (NaN if none).
    cmc_per_angle : (k,) int
        CMC count at each rotation tried (the CMC-theta curve of Tong 2015).
    cell_angle_index : (n,) int
        Rotation index at which each cell was judged.
    n_cells : int
        Cells that took part (all grid placements together).
    n_phases : int
        Grid placements the cells came from; ``count / n_phases`` is the CMC
        count of one grid.
    """

    count: int
    method: str
    congruent: np.ndarray
    angle_deg: float
    ty_um: float
    tx_um: float
    cmc_per_angle: np.ndarray
    cell_angle_index: np.ndarray
    n_cells: int
    n_phases: int = 1


def _congruent_at(cells: CellResults, k: int, *, translation_tol_um: float, ccf_threshold: float):
    ty, tx, r = cells.ty_um[:, k], cells.tx_um[:, k], cells.r[:, k]
    ok = np.isfinite(r)
    if not ok.any():
        return np.zeros(len(r), bool), np.nan, np.nan
    my, mx = np.median(ty[ok]), np.median(tx[ok])
    cong = ok & (r >= ccf_threshold) & (np.abs(ty - my) <= translation_tol_um) & (np.abs(tx - mx) <= translation_tol_um)
    return cong, my, mx


def count_cmc(
    cells: CellResults,
    *,
    translation_tol_um: float,
    angle_tol_deg: float,
    ccf_threshold: float,
    high_cmc_tau: int = 1,
) -> CMCResult:
    """Count congruent matching cells.

    With several grid placements the cells of all of them are judged
    together (one consensus); the count then covers all placements.

    High-CMC (Tong 2015, as in cmcR): for every rotation, cells whose
    translation lies within ``translation_tol_um`` of that rotation's median
    translation and whose r reaches ``ccf_threshold`` are CMCs at that rotation.
    If every rotation whose count comes within ``high_cmc_tau`` of the maximum lies
    within ``angle_tol_deg`` of the best rotation, the count is the number of
    cells that are CMCs at some rotation within ``angle_tol_deg`` of the best.
    Otherwise the original method (Song 2013) applies: each cell votes with its
    best-correlating rotation, and cells within the tolerances of the median
    rotation and translation and above the threshold are counted.
    """
    n, k = cells.r.shape
    if n == 0 or k == 0:
        return CMCResult(0, "original", np.zeros(n, bool), np.nan, np.nan, np.nan, np.zeros(k, int), np.zeros(n, int), n,
                         cells.n_phases)
    per_angle = np.zeros(k, int)
    cong_k = np.zeros((n, k), bool)
    for j in range(k):
        cong_k[:, j], _, _ = _congruent_at(cells, j, translation_tol_um=translation_tol_um, ccf_threshold=ccf_threshold)
        per_angle[j] = cong_k[:, j].sum()
    best = int(np.argmax(per_angle))
    angles = cells.angles_deg
    near_max = per_angle >= per_angle[best] - high_cmc_tau
    if per_angle[best] > 0 and np.all(np.abs(angles[near_max] - angles[best]) <= angle_tol_deg + 1e-9):
        window = np.abs(angles - angles[best]) <= angle_tol_deg + 1e-9
        # a cell counts once, judged at the rotation within the window where it correlates best
        rr = np.where(cong_k & window[None, :], cells.r, -np.inf)
        cell_k = np.argmax(rr, axis=1)
        congruent = np.isfinite(rr[np.arange(n), cell_k])
        method = "high-cmc"
    else:
        r_filled = np.where(np.isfinite(cells.r), cells.r, -np.inf)
        cell_k = np.argmax(r_filled, axis=1)
        has = np.isfinite(r_filled[np.arange(n), cell_k])
        if not has.any():
            return CMCResult(0, "original", np.zeros(n, bool), np.nan, np.nan, np.nan, per_angle, cell_k, n,
                             cells.n_phases)
        th = angles[cell_k]
        ty = cells.ty_um[np.arange(n), cell_k]
        tx = cells.tx_um[np.arange(n), cell_k]
        r = cells.r[np.arange(n), cell_k]
        mth, my, mx = np.median(th[has]), np.median(ty[has]), np.median(tx[has])
        congruent = (
            has
            & (r >= ccf_threshold)
            & (np.abs(th - mth) <= angle_tol_deg)
            & (np.abs(ty - my) <= translation_tol_um)
            & (np.abs(tx - mx) <= translation_tol_um)
        )
        method = "original"
    idx = np.arange(n)
    if congruent.any():
        ang = float(np.median(angles[cell_k[congruent]]))
        ty_c = float(np.median(cells.ty_um[idx, cell_k][congruent]))
        tx_c = float(np.median(cells.tx_um[idx, cell_k][congruent]))
    else:
        ang = ty_c = tx_c = float("nan")
    return CMCResult(int(congruent.sum()), method, congruent, ang, ty_c, tx_c, per_angle, cell_k, n, cells.n_phases)


def fit_rigid(cells: CellResults, result: CMCResult) -> tuple[float, float, float]:
    """Refine rotation and translation from the congruent cells (least squares).

    Each congruent cell ``i`` judged at rotation ``a`` supports a translation
    ``t_i``; if the true rotation is ``a + d``, then to first order
    ``t_i = t + d * J (q_i - t)`` with ``q_i`` the cell centre and ``J`` the
    rotation generator. Solving for ``(t, d)`` over the cells gives the angle to
    a small fraction of the angle step and the translation to a fraction of a pixel.

    Returns
    -------
    angle_deg, ty_um, tx_um : float (NaN when fewer than three congruent cells)
    """
    sel = np.flatnonzero(result.congruent)
    if len(sel) < 3:
        return result.angle_deg, result.ty_um, result.tx_um
    k = result.cell_angle_index[sel]
    ang = cells.angles_deg[k]
    base = float(np.median(ang))
    q = cells.centers_um[sel]
    t = np.stack([cells.ty_um[sel, k], cells.tx_um[sel, k]], axis=1)
    # bring every cell to the common base rotation first (small correction, same model)
    rows, rhs = [], []
    for (qy, qx), (ty, tx), a in zip(q, t, ang):
        off = np.deg2rad(a - base)
        # t_i = t + (d - off) * J q_i  (J (y, x) = (-x, y)); the J t term is second order
        rows.append([1.0, 0.0, -qx])
        rhs.append(ty - off * qx)
        rows.append([0.0, 1.0, qy])
        rhs.append(tx + off * qy)
    sol, *_ = np.linalg.lstsq(np.array(rows), np.array(rhs), rcond=None)
    ay, ax, d = sol
    # undo the first-order J t coupling: a = t - d J t
    ty_f = ay + d * (-ax)
    tx_f = ax + d * ay
    return float(base + np.rad2deg(d)), float(ty_f), float(tx_f)


def directions_agree(ab: CMCResult, ba: CMCResult, *, angle_tol_deg: float, translation_tol_um: float) -> bool:
    """Whether both directions found congruent cells, at one and the same alignment.

    The cells of A found in B give a pose of B on A; the cells of B found in A
    give a pose of A on B, whose inverse must be the same pose. Cells of a
    common source support that alignment from both sides (on Fadul and DFSC
    every same-firearm pair does, within one cell angle step and about 20 µm);
    chance congruences between different sources are mostly seen from one side
    only, or at two different alignments.
    """
    if ab.count == 0 or ba.count == 0:
        return False
    inv = invert_pose(Pose(ab.angle_deg, ab.ty_um, ab.tx_um, float("nan"), 0.0))
    d_angle = abs((inv.angle_deg - ba.angle_deg + 180.0) % 360.0 - 180.0)
    d_t = max(abs(inv.dy_um - ba.ty_um), abs(inv.dx_um - ba.tx_um))
    return bool(d_angle <= angle_tol_deg + 1e-9 and d_t <= translation_tol_um + 1e-9)


def require_agreement(
    ab: CMCResult, ba: CMCResult, *, angle_tol_deg: float, translation_tol_um: float
) -> tuple[CMCResult, CMCResult]:
    """Both directions' counts, withdrawn (0, method "disagreeing") unless they agree.

    A congruence that only one side sees, or that the two sides see at
    different alignments, is no alignment that both scans' cells support, so
    neither count is evidence of a common source (the two directions are tied
    together for the same reason in Tong 2015 and cmcR). The per-cell results
    stay available for review.
    """
    if directions_agree(ab, ba, angle_tol_deg=angle_tol_deg, translation_tol_um=translation_tol_um):
        return ab, ba
    if ab.count == 0 and ba.count == 0:
        return ab, ba

    def withdrawn(m: CMCResult) -> CMCResult:
        return dataclasses.replace(m, count=0, method="disagreeing", congruent=np.zeros_like(m.congruent))

    return withdrawn(ab), withdrawn(ba)
