"""Similarity score and calibrated likelihood ratio from pair features.

The score is a logistic regression on the features in ``FEATURE_NAMES``
(standardised), trained on known-match and known-non-match pairs. Its linear
predictor is the score; the likelihood ratio is the posterior odds divided by
the training prior odds, capped at what the number of training pairs can
support (no LR beyond 1 / (number of pairs of the other class)). Models are
plain JSON files that record their training data and the decision rule.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

from ballistics_core.decide.features import FEATURE_NAMES

__all__ = ["ScoreModel", "fit_score_model", "load_model", "DEFAULT_MODEL"]

DEFAULT_MODEL = "breech-face-v1"


@dataclass(frozen=True)
class ScoreModel:
    """A fitted score model with its calibration and pre-registered decision rule.

    Attributes
    ----------
    name : str
    feature_names : tuple of str
    mean, scale, coef : tuple of float
        Standardisation and logistic coefficients per feature.
    intercept : float
    n_match, n_nonmatch : int
        Training pairs per class (the LR's prior odds and its cap).
    decision_rule : dict
        Fixed before scoring: ``{"cmc_identification": 6, ...}``.
    training : dict
        Provenance: data set, pairs, cross-validation figures.
    """

    name: str
    feature_names: tuple
    mean: tuple
    scale: tuple
    coef: tuple
    intercept: float
    n_match: int
    n_nonmatch: int
    decision_rule: dict = field(default_factory=dict)
    training: dict = field(default_factory=dict)

    def score(self, features: np.ndarray) -> float:
        """Linear predictor (log-odds under the training prior); higher is more similar."""
        x = (np.asarray(features, float) - np.asarray(self.mean)) / np.asarray(self.scale)
        return float(x @ np.asarray(self.coef) + self.intercept)

    def log10_lr(self, score: float) -> float:
        """Calibrated log10 likelihood ratio, capped by the training set size."""
        lr = (score - math.log(self.n_match / self.n_nonmatch)) / math.log(10.0)
        upper = math.log10(self.n_nonmatch)
        lower = -math.log10(self.n_match)
        return float(min(upper, max(lower, lr)))

    def to_json(self) -> str:
        d = self.__dict__.copy()
        d["feature_names"] = list(self.feature_names)
        return json.dumps(d, indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "ScoreModel":
        d = json.loads(text)
        for k in ("feature_names", "mean", "scale", "coef"):
            d[k] = tuple(d[k])
        return cls(**d)


def load_model(name: str = DEFAULT_MODEL) -> ScoreModel:
    """Load a model shipped in ``ballistics_core/decide/models`` (or a path to a JSON file)."""
    p = Path(name)
    if p.suffix == ".json" and p.is_file():
        return ScoreModel.from_json(p.read_text())
    text = resources.files("ballistics_core.decide").joinpath("models", f"{name}.json").read_text()
    model = ScoreModel.from_json(text)
    if tuple(model.feature_names) != FEATURE_NAMES:
        raise ValueError(f"model {name} was trained on features {model.feature_names}, not {FEATURE_NAMES}")
    return model


def fit_score_model(
    X: np.ndarray,
    y: np.ndarray,
    *,
    name: str,
    decision_rule: dict,
    training: dict,
    C: float = 1.0,
) -> ScoreModel:
    """Fit a standardised, L2-regularised logistic regression (scikit-learn)."""
    from sklearn.linear_model import LogisticRegression

    X = np.asarray(X, float)
    y = np.asarray(y, int)
    mean = X.mean(axis=0)
    scale = X.std(axis=0)
    scale[scale == 0] = 1.0
    lr = LogisticRegression(C=C, max_iter=1000).fit((X - mean) / scale, y)
    return ScoreModel(
        name=name,
        feature_names=FEATURE_NAMES,
        mean=tuple(map(float, mean)),
        scale=tuple(map(float, scale)),
        coef=tuple(map(float, lr.coef_[0])),
        intercept=float(lr.intercept_[0]),
        n_match=int((y == 1).sum()),
        n_nonmatch=int((y == 0).sum()),
        decision_rule=dict(decision_rule),
        training=dict(training),
    )
