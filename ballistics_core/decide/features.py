"""Pair features for the similarity score (ACES-style: full-scan and cell statistics)."""

from __future__ import annotations

import numpy as np

from ballistics_core.compare.cells import CellResults
from ballistics_core.compare.pair import PairRegistration
from ballistics_core.decide.cmc import CMCResult

__all__ = ["FEATURE_NAMES", "pair_features"]

FEATURE_NAMES = (
    "full_scan_r",
    "cmc_fraction",
    "cell_r_mean",
    "translation_convergence",
)
"""Names of the values in :func:`pair_features`' vector, in order. A model names the
features it uses (:class:`~.model.LRModel`), so features can be added without
invalidating shipped models."""


def _direction_stats(cells: CellResults, cmc: CMCResult, translation_tol_um: float) -> tuple[float, float, float]:
    n = cells.r.shape[0]
    if n == 0:
        return 0.0, 0.0, 0.0
    # judge every cell at the consensus rotation (or the rotation with most CMCs)
    k = int(np.argmax(cmc.cmc_per_angle))
    r = cells.r[:, k]
    ok = np.isfinite(r)
    r_mean = float(np.mean(np.where(ok, r, 0.0)))
    if ok.sum() >= 2:
        ty, tx = cells.ty_um[ok, k], cells.tx_um[ok, k]
        dy, dx = ty - np.median(ty), tx - np.median(tx)
        conv = float(np.mean((np.abs(dy) <= translation_tol_um) & (np.abs(dx) <= translation_tol_um)) * ok.mean())
    else:
        conv = 0.0
    return cmc.count / n, r_mean, conv


def pair_features(
    reg: PairRegistration,
    cmc_ab: CMCResult,
    cmc_ba: CMCResult,
    *,
    translation_tol_um: float,
) -> np.ndarray:
    """Feature vector (see ``FEATURE_NAMES``), symmetric in the two directions.

    Cell statistics are averaged over the two directions; the full-scan
    correlation comes from the coarse registration.
    """
    a = _direction_stats(reg.cells_ab, cmc_ab, translation_tol_um)
    b = _direction_stats(reg.cells_ba, cmc_ba, translation_tol_um)
    full_r = reg.pose.r if np.isfinite(reg.pose.r) else 0.0
    return np.array([full_r, (a[0] + b[0]) / 2, (a[1] + b[1]) / 2, (a[2] + b[2]) / 2], float)
