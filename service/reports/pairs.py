"""One compared pair of signatures, with what the review figures need beyond the scores."""

from __future__ import annotations

from dataclasses import dataclass

from ballistics_core.engine import Comparison, EngineParams, compare_signatures, prepare_signature
from ballistics_core.signature.model import Signature


@dataclass(frozen=True, eq=False)
class ComparedPair:
    """Two signatures, their comparison and the labels the figures print.

    Attributes
    ----------
    a, b : Signature
        The query (A, held fixed) and the candidate (B, moved onto A).
    comparison : Comparison
    offset_a_um, offset_b_um : (float, float)
        Where the centre of each prepared (padded) surface lies relative to the
        centre of the signature's own surface, µm: cell centres are reported
        about the former, the comparison's translation about the latter.
    common_spacing_um : float
        Spacing both surfaces were compared at.
    label_a, label_b : str
    """

    a: Signature
    b: Signature
    comparison: Comparison
    offset_a_um: tuple[float, float]
    offset_b_um: tuple[float, float]
    common_spacing_um: float
    label_a: str = "A"
    label_b: str = "B"


def compare_pair(
    a: Signature, b: Signature, *, label_a: str = "A", label_b: str = "B", params: EngineParams | None = None
) -> ComparedPair:
    """Compare ``a`` with ``b`` as the engine does, keeping the prepared surfaces' offsets.

    Raises
    ------
    ParamsMismatchError
        If the signatures cannot be compared (see ``compare_signatures``).
    """
    common = max(a.spacing_um, b.spacing_um)
    pa = prepare_signature(a, params=params, spacing_um=common)
    pb = prepare_signature(b, params=params, spacing_um=common)
    comparison = compare_signatures(a, b, params=params, prepared=(pa, pb))
    return ComparedPair(
        a=a,
        b=b,
        comparison=comparison,
        offset_a_um=tuple(map(float, pa.center_offset_um)),
        offset_b_um=tuple(map(float, pb.center_offset_um)),
        common_spacing_um=float(common),
        label_a=label_a,
        label_b=label_b,
    )
