"""Performance characteristics of a comparison method, from arrays of per-pair outcomes.

Arrays in, numbers and curve data out; nothing here reads or writes files.
Cllr, Cllr_min, the ECE curve and the PAV transform come from ``lir`` (the
Netherlands Forensic Institute's library for likelihood-ratio systems) so that
the figures are the ones the forensic community computes; ROC, DET and AUC come
from scikit-learn; Clopper-Pearson intervals from scipy.

Conventions: ``labels`` is True for a same-source pair; log LRs are base 10;
``decisions`` are ``"identification"``, ``"inconclusive"`` or ``"elimination"``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

__all__ = [
    "Rate",
    "Performance",
    "clopper_pearson",
    "cllr",
    "cllr_min",
    "ece_curve",
    "tippett_curve",
    "roc_data",
    "det_data",
    "auc",
    "decision_rates",
    "coherence",
    "performance",
]

DECISIONS = ("identification", "inconclusive", "elimination")


def _llr_data(log10_lr, labels):
    from lir.data.models import LLRData

    llr = np.asarray(log10_lr, dtype=float)
    y = np.asarray(labels, dtype=bool).astype(int)
    return LLRData(features=llr, labels=y)


def _two_classes(labels) -> bool:
    y = np.asarray(labels, dtype=bool)
    return bool(y.any() and (~y).any())


@dataclass(frozen=True)
class Rate:
    """An observed proportion ``k / n`` with its exact (Clopper-Pearson) interval."""

    k: int
    n: int
    rate: float
    lower: float
    upper: float
    confidence: float = 0.95

    def as_dict(self) -> dict:
        return asdict(self)


def clopper_pearson(k: int, n: int, confidence: float = 0.95) -> Rate:
    """Exact binomial interval for ``k`` events in ``n`` trials.

    With ``n == 0`` the rate and both bounds are NaN (nothing was measured).
    0 of 780 gives an upper bound of about 0.0047 (the "rule of three" 3/n is
    the one-sided approximation).
    """
    from scipy.stats import binomtest

    k, n = int(k), int(n)
    if n < 0 or k < 0 or k > n:
        raise ValueError(f"need 0 <= k <= n, got k={k}, n={n}")
    if n == 0:
        return Rate(0, 0, float("nan"), float("nan"), float("nan"), confidence)
    ci = binomtest(k, n).proportion_ci(confidence_level=confidence, method="exact")
    return Rate(k, n, k / n, float(ci.low), float(ci.high), confidence)


def cllr(log10_lr, labels) -> float:
    """Log-likelihood-ratio cost (Brümmer & du Preez 2006); 1.0 for an uninformative system.

    NaN where the pairs do not hold both classes.
    """
    if not _two_classes(labels):
        return float("nan")
    from lir.metrics import cllr as _cllr

    return float(_cllr(_llr_data(log10_lr, labels)))


def cllr_min(log10_lr, labels) -> float:
    """Cllr after the optimal monotone (PAV) recalibration: the discrimination part of Cllr."""
    if not _two_classes(labels):
        return float("nan")
    from lir.metrics import cllr_min as _cllr_min

    # PAV depends on the order only; an infinite LR keeps its place at its end
    return float(_cllr_min(_llr_data(_finite_scores(log10_lr), labels)))


def ece_curve(log10_lr, labels, log10_prior_odds=None) -> dict[str, np.ndarray]:
    """Empirical cross-entropy against prior log10 odds (Ramos & Gonzalez-Rodriguez).

    Returns
    -------
    dict with ``log10_prior_odds`` and, at each prior, ``ece`` (the LRs as
    reported), ``ece_pav`` (after PAV: the best calibration of the same
    discrimination) and ``ece_reference`` (LR = 1 everywhere). Empty arrays
    where the pairs do not hold both classes.
    """
    from lir.algorithms.isotonic_regression import IsotonicCalibrator
    from lir.plotting.expected_calibration_error import calculate_ece
    from lir.util import logodds_to_odds, odds_to_probability

    x = np.arange(-3.0, 3.0 + 1e-9, 0.05) if log10_prior_odds is None else np.asarray(log10_prior_odds, float)
    if not _two_classes(labels):
        empty = np.array([], float)
        return {"log10_prior_odds": empty, "ece": empty, "ece_pav": empty, "ece_reference": empty}
    llr = np.asarray(log10_lr, float)
    y = np.asarray(labels, bool).astype(int)
    priors = odds_to_probability(np.power(10.0, x))
    pav = IsotonicCalibrator().fit_transform(_finite_scores(llr), y)
    return {
        "log10_prior_odds": x,
        "ece": calculate_ece(logodds_to_odds(llr), y, priors),
        "ece_pav": calculate_ece(logodds_to_odds(pav), y, priors),
        "ece_reference": calculate_ece(np.ones_like(llr), y, priors),
    }


def tippett_curve(log10_lr, labels) -> dict[str, np.ndarray]:
    """Tippett data: for every observed log10 LR t, the share of each class with log10 LR >= t."""
    llr = np.asarray(log10_lr, float)
    y = np.asarray(labels, bool)
    t = np.unique(llr[np.isfinite(llr)])

    def share_at_least(v: np.ndarray) -> np.ndarray:
        if v.size == 0:
            return np.full(t.shape, np.nan)
        v = np.sort(v)
        return (v.size - np.searchsorted(v, t, side="left")) / v.size

    return {"log10_lr": t, "same_source": share_at_least(llr[y]), "different_source": share_at_least(llr[~y])}


def _finite_scores(scores) -> np.ndarray:
    s = np.asarray(scores, float)
    finite = s[np.isfinite(s)]
    lo, hi = (finite.min(), finite.max()) if finite.size else (0.0, 0.0)
    # an infinite LR is the most extreme of its side; keep its rank, not its value
    return np.nan_to_num(s, nan=lo - 1.0, posinf=hi + 1.0, neginf=lo - 1.0)


def roc_data(scores, labels) -> dict[str, np.ndarray]:
    """ROC curve: false-positive and true-positive rates at every score threshold."""
    from sklearn.metrics import roc_curve

    if not _two_classes(labels):
        empty = np.array([], float)
        return {"fpr": empty, "tpr": empty, "threshold": empty}
    fpr, tpr, thr = roc_curve(np.asarray(labels, bool), _finite_scores(scores))
    return {"fpr": fpr, "tpr": tpr, "threshold": thr}


def det_data(scores, labels) -> dict[str, np.ndarray]:
    """DET curve: false-positive and false-negative rates at every score threshold."""
    from sklearn.metrics import det_curve

    if not _two_classes(labels):
        empty = np.array([], float)
        return {"fpr": empty, "fnr": empty, "threshold": empty}
    fpr, fnr, thr = det_curve(np.asarray(labels, bool), _finite_scores(scores))
    return {"fpr": fpr, "fnr": fnr, "threshold": thr}


def auc(scores, labels) -> float:
    """Area under the ROC curve (ties count half); NaN without both classes."""
    from sklearn.metrics import roc_auc_score

    if not _two_classes(labels):
        return float("nan")
    return float(roc_auc_score(np.asarray(labels, bool), _finite_scores(scores)))


def decision_rates(labels, decisions, confidence: float = 0.95) -> dict[str, Rate]:
    """Error and inconclusive rates of the reported decisions.

    Returns
    -------
    dict of Rate
        ``false_identification``: identifications among different-source pairs;
        ``false_elimination``: eliminations among same-source pairs;
        ``inconclusive_same_source`` / ``inconclusive_different_source``:
        inconclusives per class; ``inconclusive``: over all pairs.
    """
    y = np.asarray(labels, bool)
    d = np.asarray(decisions, dtype=object)
    if y.shape != d.shape:
        raise ValueError("labels and decisions differ in length")
    unknown = sorted(set(d.tolist()) - set(DECISIONS))
    if unknown:
        raise ValueError(f"unknown decision(s): {', '.join(map(str, unknown))}")
    ds, ss = ~y, y
    return {
        "false_identification": clopper_pearson(int(np.sum(d[ds] == "identification")), int(ds.sum()), confidence),
        "false_elimination": clopper_pearson(int(np.sum(d[ss] == "elimination")), int(ss.sum()), confidence),
        "inconclusive_same_source": clopper_pearson(int(np.sum(d[ss] == "inconclusive")), int(ss.sum()), confidence),
        "inconclusive_different_source": clopper_pearson(int(np.sum(d[ds] == "inconclusive")), int(ds.sum()), confidence),
        "inconclusive": clopper_pearson(int(np.sum(d == "inconclusive")), int(d.size), confidence),
    }


def coherence(log10_lr, decisions, identification_log10_lr: float | None = None,
              elimination_log10_lr: float | None = None) -> dict[str, int]:
    """Decisions that their own likelihood ratio contradicts.

    Counts identifications whose log10 LR favours different source (< 0) and
    eliminations whose log10 LR favours same source (> 0); where thresholds are
    given, also identifications below the identification threshold and
    eliminations above the elimination threshold.
    """
    llr = np.asarray(log10_lr, float)
    d = np.asarray(decisions, dtype=object)
    ident, elim = d == "identification", d == "elimination"
    out = {"identification_with_log10_lr_below_0": int(np.sum(ident & (llr < 0))),
           "elimination_with_log10_lr_above_0": int(np.sum(elim & (llr > 0)))}
    if identification_log10_lr is not None:
        out["identification_below_threshold"] = int(np.sum(ident & (llr < identification_log10_lr)))
    if elimination_log10_lr is not None:
        out["elimination_above_threshold"] = int(np.sum(elim & (llr > elimination_log10_lr)))
    return out


@dataclass
class Performance:
    """Every performance characteristic of one set of pairs."""

    n_pairs: int
    n_same_source: int
    n_different_source: int
    cllr: float
    cllr_min: float
    auc_score: float
    auc_log10_lr: float
    rates: dict[str, Rate]
    decision_counts: dict[str, dict[str, int]]
    misleading_log10_lr: dict[str, int]
    coherence: dict[str, int]
    gate_counts: dict[str, int]
    curves: dict[str, dict[str, np.ndarray]] = field(repr=False)

    def numbers(self) -> dict:
        """The scalar figures (JSON-ready; NaN stays NaN)."""
        return {
            "n_pairs": self.n_pairs,
            "n_same_source": self.n_same_source,
            "n_different_source": self.n_different_source,
            "cllr": self.cllr,
            "cllr_min": self.cllr_min,
            "auc_score": self.auc_score,
            "auc_log10_lr": self.auc_log10_lr,
            "rates": {k: v.as_dict() for k, v in self.rates.items()},
            "decision_counts": self.decision_counts,
            "misleading_log10_lr": self.misleading_log10_lr,
            "coherence": self.coherence,
            "gate_counts": self.gate_counts,
        }


def performance(log10_lr, scores, labels, decisions, confidence: float = 0.95, *, gates=None,
                identification_log10_lr: float | None = None,
                elimination_log10_lr: float | None = None) -> Performance:
    """All figures and curve data for one set of pairs.

    ``gates`` (optional, one string per pair, empty where none fired) names the
    quality gate that forced a pair to inconclusive; they are counted by name.
    The thresholds, where given, feed :func:`coherence`.
    """
    llr = np.asarray(log10_lr, float)
    s = np.asarray(scores, float)
    y = np.asarray(labels, bool)
    d = np.asarray(decisions, dtype=object)
    if not (llr.shape == s.shape == y.shape == d.shape) or llr.ndim != 1:
        raise ValueError("log10_lr, scores, labels and decisions must be 1-D arrays of one length")
    counts = {
        "same_source": {k: int(np.sum(d[y] == k)) for k in DECISIONS},
        "different_source": {k: int(np.sum(d[~y] == k)) for k in DECISIONS},
    }
    gate_counts: dict[str, int] = {}
    for g in ([] if gates is None else list(gates)):
        if g:
            gate_counts[str(g)] = gate_counts.get(str(g), 0) + 1
    return Performance(
        n_pairs=int(y.size),
        n_same_source=int(y.sum()),
        n_different_source=int((~y).sum()),
        cllr=cllr(llr, y),
        cllr_min=cllr_min(llr, y),
        auc_score=auc(s, y),
        auc_log10_lr=auc(llr, y),
        rates=decision_rates(y, d, confidence),
        decision_counts=counts,
        # LRs that point the wrong way, whatever the decision says
        misleading_log10_lr={"same_source_below_0": int(np.sum(llr[y] < 0)),
                             "different_source_above_0": int(np.sum(llr[~y] > 0))},
        coherence=coherence(llr, d, identification_log10_lr, elimination_log10_lr),
        gate_counts=dict(sorted(gate_counts.items())),
        curves={
            "roc_score": roc_data(s, y),
            "roc_log10_lr": roc_data(llr, y),
            "det_score": det_data(s, y),
            "det_log10_lr": det_data(llr, y),
            "tippett": tippett_curve(llr, y),
            "ece": ece_curve(llr, y),
        },
    )
