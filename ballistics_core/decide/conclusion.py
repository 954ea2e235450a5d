"""One conclusion from one likelihood ratio and the quality gates.

The reported decision follows from the calibrated log10 likelihood ratio and
nothing else, except that a quality gate can withhold it: an identification
is never reported below ``identification_log10_lr``, an elimination never above
``elimination_log10_lr``, and a gate that fires makes the pair inconclusive
and says why. The CMC count is evidence inside the likelihood ratio, not a
rule beside it, so a conclusion can never be contradicted by its own LR.

The verbal scale is the one of the ENFSI Guideline for Evaluative Reporting in
Forensic Science (2015), for the likelihood ratio of "same firearm" against
"different firearms".
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Conclusion", "VERBAL_SCALE", "conclude", "verbal_equivalent"]

# (lower bound of log10 LR, wording), strongest last; symmetric for support of Hd.
VERBAL_SCALE: tuple[tuple[float, str], ...] = (
    (0.0, "no support for either proposition"),
    (0.3, "weak support"),
    (1.0, "moderate support"),
    (2.0, "moderately strong support"),
    (3.0, "strong support"),
    (4.0, "very strong support"),
    (6.0, "extremely strong support"),
)


def verbal_equivalent(log10_lr: float, scale: tuple = VERBAL_SCALE) -> str:
    """ENFSI verbal equivalent of a log10 likelihood ratio.

    LR between 1/2 and 2 (|log10 LR| < 0.3) is "no support for either
    proposition"; otherwise the wording says which proposition the findings
    support: "same source" (LR > 1) or "different sources" (LR < 1).

    Examples
    --------
    >>> verbal_equivalent(2.5)
    'moderately strong support for same source'
    >>> verbal_equivalent(-1.2)
    'moderate support for different sources'
    """
    if log10_lr != log10_lr:  # NaN
        return "not evaluated"
    a = abs(log10_lr)
    words = scale[0][1]
    for lo, w in scale[1:]:
        if a >= lo:
            words = w
    if words == scale[0][1]:
        return words
    return f"{words} for {'same source' if log10_lr > 0 else 'different sources'}"


@dataclass(frozen=True)
class Conclusion:
    """The reported outcome of one comparison.

    Attributes
    ----------
    decision : {"identification", "inconclusive", "elimination"}
    log10_lr : float
        The calibrated, ELUB-bounded log10 likelihood ratio it follows from.
    verbal : str
        ENFSI verbal equivalent of ``log10_lr``.
    gate : str
        Names of the gates that withheld a conclusion, ``;``-separated
        (empty when none fired or none mattered).
    reasons : tuple of str
        The gates' full explanations.
    """

    decision: str
    log10_lr: float
    verbal: str
    gate: str = ""
    reasons: tuple = ()


def conclude(
    log10_lr: float,
    *,
    identification_log10_lr: float,
    elimination_log10_lr: float,
    blocking: list[str] | tuple = (),
    no_elimination: list[str] | tuple = (),
    verbal_scale: tuple = VERBAL_SCALE,
) -> Conclusion:
    """Decide from the likelihood ratio, unless a gate withholds the decision.

    Parameters
    ----------
    log10_lr : float
    identification_log10_lr, elimination_log10_lr : float
        Fixed thresholds (``identification_log10_lr > 0 > elimination_log10_lr``).
    blocking : list of str
        Gate reasons that forbid any conclusion (``"name: explanation"``).
    no_elimination : list of str
        Gate reasons that forbid an elimination only.
    verbal_scale : tuple of (float, str)
        See :data:`VERBAL_SCALE`.

    Examples
    --------
    >>> conclude(3.1, identification_log10_lr=2.0, elimination_log10_lr=-1.5).decision
    'identification'
    >>> c = conclude(-2.0, identification_log10_lr=2.0, elimination_log10_lr=-1.5,
    ...              no_elimination=["thin_evidence: 9 cells"])
    >>> c.decision, c.gate
    ('inconclusive', 'thin_evidence')
    """
    if not identification_log10_lr > 0 > elimination_log10_lr:
        raise ValueError("thresholds must satisfy identification_log10_lr > 0 > elimination_log10_lr")
    verbal = verbal_equivalent(log10_lr, verbal_scale)
    if not log10_lr == log10_lr:
        return Conclusion("inconclusive", log10_lr, verbal, "no_lr", ("no_lr: no likelihood ratio could be computed",))
    if log10_lr >= identification_log10_lr:
        wanted = "identification"
    elif log10_lr <= elimination_log10_lr:
        wanted = "elimination"
    else:
        wanted = "inconclusive"
    # a blocking gate is reported whenever it fires (the LR is outside the
    # validated range); a thin-evidence gate only where it withheld an elimination
    fired = list(blocking) + (list(no_elimination) if wanted == "elimination" else [])
    if fired:
        names = ";".join(dict.fromkeys(r.split(":", 1)[0] for r in fired))
        return Conclusion("inconclusive", log10_lr, verbal, names, tuple(fired))
    return Conclusion(wanted, log10_lr, verbal)
