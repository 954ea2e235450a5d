"""The public pipeline: scan -> signature, (signature, signature) -> comparison.

One frozen :class:`EngineParams` holds every stage's parameters; its digest is
recorded in every signature and every score. This module sits above the
algorithm stages (preprocess, signature, compare, decide) and below the store,
search, CLI and service.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ballistics_core import ALGORITHM_VERSION
from ballistics_core.compare.firing_pin import compare_firing_pins
from ballistics_core.compare.pair import PairRegistration, register_pair
from ballistics_core.compare.params import CompareParams
from ballistics_core.compare.prepare import PreparedSurface, prepare_surface
from ballistics_core.decide.cmc import CMCResult, count_cmc, fit_rigid, require_agreement
from ballistics_core.decide.conclusion import VERBAL_SCALE, conclude
from ballistics_core.decide.features import FEATURE_NAMES, pair_features
from ballistics_core.decide.model import DEFAULT_MODEL, LRModel, load_model
from ballistics_core.decide.quality import GateParams, ScanQuality, pair_gates, scan_quality
from ballistics_core.errors import ParamsMismatchError, ScanContentError
from ballistics_core.params import DigestMixin
from ballistics_core.preprocess import ImagePreprocessParams, PreprocessParams, preprocess_scan
from ballistics_core.preprocess.resample import resample
from ballistics_core.scan import Scan
from ballistics_core.signature.descriptor import DescriptorParams, compute_descriptor
from ballistics_core.signature.firing_pin import FiringPinParams, extract_firing_pin
from ballistics_core.signature.model import Signature
from ballistics_core.signature.polar import PolarParams, ring_spectra

__all__ = [
    "Comparison",
    "DecideParams",
    "EngineParams",
    "compare_signatures",
    "make_signature",
    "pair_evidence",
    "prepare_signature",
]


@dataclass(frozen=True)
class DecideParams(DigestMixin):
    """How a comparison becomes a conclusion: the LR model, the thresholds, the gates.

    Fixed before any evaluation pair is scored and recorded (by digest) with
    every result. The decision follows from the calibrated likelihood ratio
    alone (:func:`ballistics_core.decide.conclusion.conclude`); the CMC count
    is one of the features inside it, not a rule beside it.

    Attributes
    ----------
    model : str
        Likelihood-ratio model for topographies (``ballistics_core/decide/models``).
    model_intensity : str
        Model for 2-D intensity images (their correlations run lower: shading
        depends on the light's direction relative to the marks).
    identification_log10_lr : float
        An identification is reported only at or above this log10 LR (100:
        "moderately strong support" on the ENFSI scale, and below the ELUB
        bound that the validation pairs support).
    elimination_log10_lr : float
        An elimination is reported only at or below this log10 LR.
    verbal_scale : tuple of (float, str)
        ENFSI verbal equivalents by lower bound of |log10 LR|.
    gates : GateParams
        Domain and quality gates that withhold a conclusion.
    """

    model: str = DEFAULT_MODEL
    model_intensity: str = "intensity-v4"
    identification_log10_lr: float = 2.0
    elimination_log10_lr: float = -1.5
    verbal_scale: tuple = VERBAL_SCALE
    gates: GateParams = GateParams()

    def __post_init__(self) -> None:
        if not self.identification_log10_lr > 0 > self.elimination_log10_lr:
            raise ValueError("identification_log10_lr must be > 0 and elimination_log10_lr < 0")


@dataclass(frozen=True)
class EngineParams(DigestMixin):
    """Every parameter of the pipeline, in physical units; ``digest()`` identifies a result."""

    preprocess: PreprocessParams = PreprocessParams()
    image: ImagePreprocessParams = ImagePreprocessParams()
    descriptor: DescriptorParams = DescriptorParams()
    polar: PolarParams = PolarParams()
    compare: CompareParams = CompareParams()
    firing_pin: FiringPinParams = FiringPinParams()
    decide: DecideParams = DecideParams()


DEFAULT_PARAMS = EngineParams()


@dataclass(frozen=True, eq=False)
class Comparison:
    """The outcome of comparing two signatures.

    Attributes
    ----------
    score : float
        Fused similarity (higher = more similar): the breech-face score, plus the
        firing-pin evidence where both scans hold a firing-pin impression.
    breech_face_score : float
        Breech-face score (log-odds of the score model).
    firing_pin_score : float or None
        Pearson r of the unwrapped firing-pin impressions at their best rotation.
    cmc : int
        Congruent matching cells: the mean of the two directions' counts (halves rounded up).
        Both directions must find congruent cells at one alignment, or both
        counts are withdrawn (``decide.cmc.require_agreement``).
    cmc_ab, cmc_ba : int
        Counts per direction (cells of A in B, cells of B in A), all grid placements together.
    n_cells : int
        Cells per grid that took part (the smaller of the two directions).
    log10_lr : float
        Calibrated, ELUB-bounded log10 likelihood ratio (same firearm vs different firearms).
    decision : {"identification", "inconclusive", "elimination"}
        Follows from ``log10_lr`` and the thresholds of ``DecideParams``,
        unless a gate withheld it.
    verbal : str
        ENFSI verbal equivalent of ``log10_lr``.
    gate : str
        The quality gates that fired (``;``-separated names; empty if none).
    gate_reasons : tuple of str
        Their explanations, with the figures.
    quality : dict
        Quality measures of A and B (``{"a": {...}, "b": {...}}``).
    lr_model : str
        Name of the likelihood-ratio model that produced ``log10_lr``.
    rotation_deg : float
        Rotation of B onto A (counter-clockwise as displayed), after mirroring B
        left-right where ``mirrored``.
    mirrored : bool
        B was registered as its mirror image (columns reversed).
    translation_um : (float, float)
        Translation (row, col) of B's centre from A's centre after rotation, µm.
    features : dict
    algorithm_version, params_digest : str
    registration : PairRegistration
        Per-cell results in both directions (for review figures).
    cmc_detail_ab, cmc_detail_ba : CMCResult
    """

    score: float
    breech_face_score: float
    firing_pin_score: float | None
    cmc: int
    cmc_ab: int
    cmc_ba: int
    n_cells: int
    log10_lr: float
    decision: str
    rotation_deg: float
    translation_um: tuple
    features: dict
    algorithm_version: str
    params_digest: str
    mirrored: bool = False
    verbal: str = ""
    gate: str = ""
    gate_reasons: tuple = ()
    quality: dict = field(default_factory=dict)
    lr_model: str = ""
    registration: PairRegistration | None = field(default=None, repr=False)
    cmc_detail_ab: CMCResult | None = field(default=None, repr=False)
    cmc_detail_ba: CMCResult | None = field(default=None, repr=False)

    @property
    def match(self) -> bool:
        """True where the pre-registered rule reports an identification."""
        return self.decision == "identification"

    def summary(self) -> dict[str, Any]:
        """Plain-data view (JSON-serialisable)."""
        return {
            "score": self.score,
            "breech_face_score": self.breech_face_score,
            "firing_pin_score": self.firing_pin_score,
            "cmc": self.cmc,
            "cmc_ab": self.cmc_ab,
            "cmc_ba": self.cmc_ba,
            "n_cells": self.n_cells,
            "log10_lr": self.log10_lr,
            "decision": self.decision,
            "verbal": self.verbal,
            "gate": self.gate,
            "gate_reasons": list(self.gate_reasons),
            "quality": {k: dict(v) for k, v in self.quality.items()},
            "lr_model": self.lr_model,
            "rotation_deg": self.rotation_deg,
            "translation_um": list(self.translation_um),
            "mirrored": self.mirrored,
            "features": dict(self.features),
            "algorithm_version": self.algorithm_version,
            "params_digest": self.params_digest,
        }


def make_signature(scan: Scan, *, params: EngineParams | None = None) -> Signature:
    """Preprocess a scan and build its signature.

    Raw scans are reduced to the breech face (levelled, filtered, resampled);
    already-processed scans pass through; 2-D images take the intensity pipeline.
    Where the raw scan still holds a firing-pin impression, it is unwrapped for
    the firing-pin channel.

    Raises
    ------
    ScanContentError
        If nothing usable is left (empty, all-NaN, no breech face).
    """
    params = params or DEFAULT_PARAMS
    pre = preprocess_scan(scan, params=params.image if scan.kind == "intensity" else params.preprocess)
    surface = np.asarray(pre.heights, np.float32)
    if np.isfinite(surface).sum() < 100:
        raise ScanContentError("preprocessing left fewer than 100 measured points")
    descriptor = compute_descriptor(surface, spacing_um=pre.spacing_um, params=params.descriptor)
    rings = ring_spectra(surface, spacing_um=pre.spacing_um, params=params.polar)
    fp = None
    fp_spacing = 0.0
    if scan.kind == "topography" and pre.meta.get("preprocess_state") == "raw":
        fp, fp_spacing = extract_firing_pin(scan, pre.meta, params=params.firing_pin)
    sha = str(scan.meta.get("sha256") or hashlib.sha256(np.ascontiguousarray(scan.heights).tobytes()).hexdigest())
    keep = ("source", "format", "instrument", "date", "unit_xy_detected", "unit_z_detected", "preprocess_state",
            "primer_radius_um", "firing_pin_radius_um")
    meta = {k: pre.meta[k] for k in keep if k in pre.meta and pre.meta[k] is not None}
    meta["source_spacing_um"] = float(scan.spacing_um)
    meta["quality"] = scan_quality(surface, spacing_um=float(pre.spacing_um), instrument=str(meta.get("instrument", "")),
                                   kind=scan.kind, source_spacing_um=float(scan.spacing_um)).as_dict()
    return Signature(
        surface=surface,
        spacing_um=float(pre.spacing_um),
        descriptor=descriptor,
        ring_spectra=rings,
        firing_pin=fp,
        firing_pin_spacing_um=fp_spacing,
        kind=scan.kind,
        algorithm_version=ALGORITHM_VERSION,
        params_digest=params.digest(),
        source_sha256=sha,
        meta=meta,
    )


def prepare_signature(sig: Signature, *, params: EngineParams | None = None, spacing_um: float | None = None) -> PreparedSurface:
    """Per-scan comparison work (resampling, cell grid, template spectra), done once per scan."""
    params = params or DEFAULT_PARAMS
    surface, sp = sig.surface, sig.spacing_um
    if spacing_um is not None and spacing_um > sp * (1 + 1e-6):
        surface, sp = resample(surface, spacing_um=sp, target_spacing_um=spacing_um).astype(np.float32), spacing_um
    return prepare_surface(surface, spacing_um=sp, params=params.compare)


def _model(params: EngineParams, kind: str) -> LRModel:
    name = params.decide.model_intensity if kind == "intensity" else params.decide.model
    cached = _MODELS.get(name)
    if cached is None:
        cached = _MODELS[name] = load_model(name)
    return cached


_MODELS: dict[str, LRModel] = {}


def signature_quality(sig: Signature) -> ScanQuality:
    """The quality measures a signature carries (measured now for signatures made before they were kept)."""
    q = sig.meta.get("quality")
    if isinstance(q, dict) and "snr" in q:
        return ScanQuality.from_dict(q)
    return scan_quality(sig.surface, spacing_um=sig.spacing_um, instrument=str(sig.meta.get("instrument", "")),
                        kind=sig.kind, source_spacing_um=float(sig.meta.get("source_spacing_um", sig.spacing_um)))


def combined_cmc(cmc_ab: int, cmc_ba: int, n_phases: int = 1) -> int:
    """One count from the two directions and the grid placements: their mean, halves rounded up.

    Every direction and placement estimates the same quantity on a different
    cell grid; the mean removes most of the grid-placement noise of any one.
    """
    total, parts = cmc_ab + cmc_ba, 2 * n_phases
    return (2 * total + parts) // (2 * parts)


def pair_evidence(pa: PreparedSurface, pb: PreparedSurface, *, params: EngineParams | None = None):
    """Registration, CMC counts (both directions) and the feature vector of a prepared pair.

    Returns
    -------
    reg : PairRegistration
    cmc_ab, cmc_ba : CMCResult
    features : ndarray (see ``FEATURE_NAMES``)
    """
    params = params or DEFAULT_PARAMS
    cp = params.compare
    reg = register_pair(pa, pb, params=cp)
    kw = dict(translation_tol_um=cp.translation_tol_um, angle_tol_deg=cp.angle_tol_deg, ccf_threshold=cp.ccf_threshold,
              high_cmc_tau=cp.high_cmc_tau)
    m_ab, m_ba = require_agreement(count_cmc(reg.cells_ab, **kw), count_cmc(reg.cells_ba, **kw),
                                   angle_tol_deg=cp.direction_angle_tol_deg,
                                   translation_tol_um=cp.direction_translation_tol_um)
    feats = pair_features(reg, m_ab, m_ba, translation_tol_um=cp.translation_tol_um)
    return reg, m_ab, m_ba, feats


def compare_signatures(
    a: Signature,
    b: Signature,
    *,
    params: EngineParams | None = None,
    prepared: tuple[PreparedSurface | None, PreparedSurface | None] = (None, None),
) -> Comparison:
    """Compare two signatures: registration, congruent cells, score, LR and decision.

    Parameters
    ----------
    a, b : Signature
        Made with the same parameter digest and of the same kind.
    params : EngineParams, optional
    prepared : pair of PreparedSurface, optional
        Results of :func:`prepare_signature` to reuse (compare-all, search).

    Raises
    ------
    ParamsMismatchError
        If the signatures were made with different parameters or are of different kinds.
    """
    params = params or DEFAULT_PARAMS
    if a.params_digest and b.params_digest and a.params_digest != b.params_digest:
        raise ParamsMismatchError(
            f"signatures made with different parameters ({a.params_digest} vs {b.params_digest}); re-extract one of them"
        )
    if a.kind != b.kind:
        raise ParamsMismatchError(f"cannot compare a {a.kind} scan with a {b.kind} scan")
    common = max(a.spacing_um, b.spacing_um)
    pa = prepared[0] or prepare_signature(a, params=params, spacing_um=common)
    pb = prepared[1] or prepare_signature(b, params=params, spacing_um=common)
    reg, m_ab, m_ba, feats = pair_evidence(pa, pb, params=params)
    model = _model(params, a.kind)
    named = dict(zip(FEATURE_NAMES, map(float, feats)))
    bf_score = model.score(named)
    log10_lr = model.log10_lr(bf_score)
    fp_score = None
    if a.firing_pin is not None and b.firing_pin is not None:
        fp_score, _ = compare_firing_pins(
            a.firing_pin,
            b.firing_pin,
            radial_step_um=max(a.firing_pin_spacing_um, b.firing_pin_spacing_um),
            max_radial_shift_um=params.firing_pin.max_radial_shift_um,
        )
        if not np.isfinite(fp_score):
            fp_score = None
    fused = bf_score
    cmc = combined_cmc(m_ab.count, m_ba.count, m_ab.n_phases)
    n_cells = int(min(m_ab.n_cells, m_ba.n_cells) // m_ab.n_phases)
    rule = params.decide
    qa, qb = signature_quality(a), signature_quality(b)
    blocking, no_elim = pair_gates(qa, qb, n_cells=n_cells, overlap_fraction=float(reg.pose.overlap_fraction),
                                   params=rule.gates)
    concl = conclude(log10_lr, identification_log10_lr=rule.identification_log10_lr,
                     elimination_log10_lr=rule.elimination_log10_lr, blocking=blocking, no_elimination=no_elim,
                     verbal_scale=rule.verbal_scale)
    if m_ab.count >= 3:
        rotation, ty, tx = fit_rigid(reg.cells_ab, m_ab)
        translation = pa.to_source_translation(reg.moving, rotation, (ty, tx))
    else:
        rotation = reg.pose.angle_deg
        translation = pa.to_source_translation(reg.moving, rotation, (reg.pose.dy_um, reg.pose.dx_um))
    return Comparison(
        score=float(fused),
        breech_face_score=float(bf_score),
        firing_pin_score=None if fp_score is None else float(fp_score),
        cmc=int(cmc),
        cmc_ab=int(m_ab.count),
        cmc_ba=int(m_ba.count),
        n_cells=n_cells,
        log10_lr=float(log10_lr),
        decision=concl.decision,
        verbal=concl.verbal,
        gate=concl.gate,
        gate_reasons=concl.reasons,
        quality={"a": qa.as_dict(), "b": qb.as_dict()},
        lr_model=model.name,
        rotation_deg=float(rotation),
        translation_um=(float(translation[0]), float(translation[1])),
        mirrored=bool(reg.mirrored),
        features=named,
        algorithm_version=ALGORITHM_VERSION,
        params_digest=params.digest(),
        registration=reg,
        cmc_detail_ab=m_ab,
        cmc_detail_ba=m_ba,
    )
