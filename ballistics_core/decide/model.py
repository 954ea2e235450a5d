"""Likelihood-ratio models: pair features in, a calibrated and bounded log10 LR out.

A model has three parts, each recorded in its JSON file:

1. a *score*: a fixed weighted sum of variance-stabilised pair features
   (``arcsin(sqrt(p))`` of shares of cells, whose spread then no longer depends
   on where the share lies); higher = more similar;
2. a *calibration* of the score to a log10 likelihood ratio: the score of
   different-firearm pairs and of same-firearm pairs each modelled by a normal
   distribution fitted to the training pairs, the same-firearm one mixed with
   the different-firearm one at weight ``mate_failure_rate`` (a same-firearm
   comparison that failed to register looks like a different-firearm one, so
   no score can support "different firearms" more strongly than
   ``1 / mate_failure_rate``);
3. *bounds*: the empirical lower and upper bounds (ELUB, Vergeer et al. 2016,
   computed with ``lir``) beyond which the validation data cannot support an LR.

Why not a logistic calibration: the training sets separate perfectly, so a
logistic fit is set by its regulariser, not by the data; fitted on Fadul it
left all 15 same-firearm DFSC pairs inconclusive (Cllr 0.25). The
different-firearm score distribution, by contrast, is the same on both
instruments (translation convergence: mean 0.137 / 0.152, sd 0.048 / 0.056 on
Fadul / DFSC), and it is what a likelihood ratio must get right in the tail.

Applying a model needs only numpy and scipy; fitting it (:mod:`.calibration`)
uses lir for the bounds and the metrics. Models are plain JSON files in
``ballistics_core/decide/models`` that also record their training data and
cross-validation figures.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Mapping

import numpy as np
from scipy.stats import norm

__all__ = ["LRModel", "load_model", "DEFAULT_MODEL"]

DEFAULT_MODEL = "breech-face-v4"


def _arcsine_sqrt(p: np.ndarray) -> np.ndarray:
    return np.arcsin(np.sqrt(np.clip(p, 0.0, 1.0)))


TRANSFORMS = {"arcsine-sqrt": _arcsine_sqrt, "identity": lambda v: v}


@dataclass(frozen=True)
class LRModel:
    """A fitted likelihood-ratio model.

    Attributes
    ----------
    name : str
    feature_names : tuple of str
        The pair features the score uses, by name (see :mod:`.features`).
    coef : tuple of float
        Weight of each transformed feature in the score.
    transform : str
        Applied to every feature first (a key of ``TRANSFORMS``).
    mean_different, sd_different, mean_same, sd_same : float
        The normal models of the score under "different firearms" and "same firearm".
    mate_failure_rate : float
        Weight of the different-firearm model inside the same-firearm one.
    lower_log10_lr, upper_log10_lr : float
        ELUB bounds of the log10 LR.
    training : dict
        Provenance: data sets, pairs per class, cross-validation figures.
    """

    name: str
    feature_names: tuple
    coef: tuple
    transform: str
    mean_different: float
    sd_different: float
    mean_same: float
    sd_same: float
    mate_failure_rate: float
    lower_log10_lr: float
    upper_log10_lr: float
    training: dict = field(default_factory=dict)

    def vector(self, features: Mapping[str, float]) -> np.ndarray:
        """The model's features, in its order, from a name -> value mapping."""
        missing = [n for n in self.feature_names if n not in features]
        if missing:
            raise KeyError(f"model {self.name} needs features {missing}")
        return np.array([float(features[n]) for n in self.feature_names])

    def score_array(self, X: np.ndarray) -> np.ndarray:
        """Scores of rows of features (columns in ``feature_names`` order)."""
        return TRANSFORMS[self.transform](np.asarray(X, float)) @ np.asarray(self.coef)

    def score(self, features: Mapping[str, float]) -> float:
        """Similarity score; higher is more similar."""
        return float(self.score_array(self.vector(features)[None, :])[0])

    def unbounded_log10_lr(self, score):
        """log10 of f(score | same) / f(score | different), before the ELUB bounds."""
        # Below the different-firearm mean the ratio of two normals turns back up
        # (the wider same-firearm normal wins again far out): such scores count as
        # the mean, where the mixture floor already holds. With sd_same >= sd_different
        # (enforced when fitting) the ratio rises monotonically above it.
        s = np.maximum(np.asarray(score, float), self.mean_different)
        l0 = norm.logpdf(s, self.mean_different, self.sd_different)
        l1 = norm.logpdf(s, self.mean_same, self.sd_same)
        pi = self.mate_failure_rate
        # log((1 - pi) f1 + pi f0) - log f0, computed without underflow
        lnlr = np.logaddexp(np.log1p(-pi) + l1 - l0, np.log(pi)) if pi > 0 else l1 - l0
        return lnlr / math.log(10.0)

    def log10_lr(self, score: float) -> float:
        """Calibrated log10 likelihood ratio, within the ELUB bounds."""
        v = float(self.unbounded_log10_lr(score))
        if not math.isfinite(v):
            return float("nan")
        return float(min(self.upper_log10_lr, max(self.lower_log10_lr, v)))

    def to_json(self) -> str:
        d = dict(self.__dict__)
        for k in ("feature_names", "coef"):
            d[k] = list(d[k])
        return json.dumps(d, indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> "LRModel":
        d = json.loads(text)
        for k in ("feature_names", "coef"):
            d[k] = tuple(d[k])
        return cls(**{k: d[k] for k in cls.__dataclass_fields__ if k in d})


def load_model(name: str = DEFAULT_MODEL) -> LRModel:
    """Load a model shipped in ``ballistics_core/decide/models`` (or a path to a JSON file)."""
    p = Path(name)
    if p.suffix == ".json" and p.is_file():
        return LRModel.from_json(p.read_text())
    try:
        text = resources.files("ballistics_core.decide").joinpath("models", f"{name}.json").read_text()
    except FileNotFoundError:
        raise ValueError(f"no likelihood-ratio model named {name!r}") from None
    return LRModel.from_json(text)
