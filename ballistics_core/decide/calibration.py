"""Fitting likelihood-ratio models and measuring them, with lir (NFI).

Training is done once, offline (``benchmarks/train_score_model.py``), on every
labelled set there is; the fitted :class:`~.model.LRModel` is shipped as JSON.
The score is fixed in advance (its features and weights are part of the
model, not fitted); the calibration models its distribution under both
propositions; the ELUB bounds are computed on *cross-validated* log10 LRs
(each firearm calibrated without its own pairs), so they cap what the model
supports on firearms it has not seen.

lir is imported lazily: applying a model needs only numpy, and lir's import
pulls in pandas and optuna.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Sequence

import numpy as np

from ballistics_core.decide.model import LRModel
from ballistics_core.validate.metrics import cllr, cllr_min

__all__ = ["elub_bounds", "fit_lr_model", "grouped_cv_log10_lrs"]


# A dataset needs this many different-source pairs before its spread widens the model.
MIN_PAIRS_FOR_SPREAD = 20


def _normal_fit(model: LRModel, scores: np.ndarray, y: np.ndarray, datasets: np.ndarray | None = None) -> LRModel:
    s0, s1 = scores[y == 0], scores[y == 1]
    if len(s0) < 2 or len(s1) < 2:
        raise ValueError("need at least two pairs of each class to calibrate")
    mean0 = float(s0.mean())
    sd0 = float(s0.std(ddof=1))
    if datasets is not None:
        # The different-source spread is the widest any one dataset shows about the
        # pooled mean (its own spread and its shift together): the largest set
        # (Fadul) would otherwise set the width, and the tail of an instrument whose
        # different-firearm pairs score higher (DFSC's K004 kit) would be read as
        # far stronger evidence than it is. An unseen instrument is assumed as
        # wide as the widest one seen.
        d0 = np.asarray(datasets)[y == 0]
        for d in np.unique(d0):
            t = s0[d0 == d]
            if len(t) >= MIN_PAIRS_FOR_SPREAD:
                sd0 = max(sd0, float(np.sqrt(np.mean((t - mean0) ** 2))))
    sd1 = max(float(s1.std(ddof=1)), sd0)
    return replace(model, mean_different=mean0, sd_different=sd0, mean_same=float(s1.mean()), sd_same=sd1)


def grouped_cv_log10_lrs(model: LRModel, X: np.ndarray, y: np.ndarray, groups: np.ndarray,
                         datasets: np.ndarray | None = None) -> np.ndarray:
    """Unbounded log10 LRs of every pair from a calibration fitted without the pair's firearms.

    ``groups`` is (n, 2): the two firearms of each pair. A pair is calibrated
    by the normals fitted to the pairs that involve neither of its firearms
    (``datasets``, if given, as in :func:`fit_lr_model`).
    """
    y = np.asarray(y, int)
    g = np.asarray(groups)
    scores = model.score_array(X)
    out = np.full(len(y), np.nan)
    for fa in np.unique(g):
        test = (g[:, 0] == fa) | (g[:, 1] == fa)
        todo = test & np.isnan(out)
        if not todo.any():
            continue
        train = ~test
        try:
            m = _normal_fit(model, scores[train], y[train], None if datasets is None else np.asarray(datasets)[train])
        except ValueError:
            continue
        out[todo] = m.unbounded_log10_lr(scores[todo])
    return out


def elub_bounds(log10_lrs: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Empirical lower and upper bounds of the log10 LR (lir's ELUB)."""
    from lir.algorithms.bayeserror import elub

    lo, hi = elub(np.array(log10_lrs, float), np.asarray(y, int), add_misleading=1)
    return float(lo), float(hi)


def fit_lr_model(
    X: np.ndarray,
    y: np.ndarray,
    groups: np.ndarray,
    *,
    feature_names: Sequence[str],
    coef: Sequence[float],
    name: str,
    training: dict,
    transform: str = "arcsine-sqrt",
    mate_failure_rate: float = 0.05,
    datasets: np.ndarray | None = None,
) -> LRModel:
    """Fit the calibration and the bounds of a score.

    Parameters
    ----------
    X : (n, d) features of n pairs
    y : (n,) 1 for same firearm, 0 for different firearms
    groups : (n, 2) the two firearms of each pair (for the cross-validated bounds)
    feature_names, coef : the score's features and their weights (fixed, not fitted)
    name : model name
    training : provenance recorded in the model
    transform : applied to each feature before weighting
    mate_failure_rate : weight of the different-firearm model in the same-firearm one
    datasets : (n,) the dataset (instrument, study) of each pair, optional
        The different-firearm model is then as wide as the widest dataset's
        spread about the pooled mean, not the pooled spread alone.

    The ELUB bounds are computed on leave-one-firearm-out log10 LRs, so they
    reflect how the calibration behaves on firearms it was not fitted on.
    """
    X = np.asarray(X, float)
    y = np.asarray(y, int)
    base = LRModel(name=name, feature_names=tuple(feature_names), coef=tuple(map(float, coef)), transform=transform,
                   mean_different=0.0, sd_different=1.0, mean_same=1.0, sd_same=1.0,
                   mate_failure_rate=float(mate_failure_rate), lower_log10_lr=-math.inf, upper_log10_lr=math.inf)
    model = _normal_fit(base, base.score_array(X), y, datasets)
    cv = grouped_cv_log10_lrs(model, X, y, groups, datasets)
    ok = np.isfinite(cv)
    lo, hi = elub_bounds(cv[ok], y[ok])
    bounded = np.clip(cv[ok], lo, hi)
    info = dict(training)
    info.update({
        "pairs_same_source": int((y == 1).sum()),
        "pairs_different_source": int((y == 0).sum()),
        "cross_validated": {
            "scheme": "leave one firearm out (a pair is calibrated without either of its firearms)",
            "cllr": cllr(bounded, y[ok]),
            "cllr_min": cllr_min(bounded, y[ok]),
            "min_same_source_log10_lr": float(bounded[y[ok] == 1].min()),
            "max_different_source_log10_lr": float(bounded[y[ok] == 0].max()),
        },
    })
    return replace(model, lower_log10_lr=lo, upper_log10_lr=hi, training=info)
