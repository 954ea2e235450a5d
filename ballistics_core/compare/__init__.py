"""Compare stage: masked NCC, full-circle registration, per-cell registration.

Arrays in, arrays out. ``compare_signatures`` (the whole pipeline with the
decide stage) lives in :mod:`ballistics_core.engine` and is re-exported here.
"""

from ballistics_core.compare.ncc import masked_ncc, masked_ncc_batch, pearson_at_offset
from ballistics_core.compare.params import EXHAUSTIVE, CompareParams
from ballistics_core.compare.registration import Pose, coarse_rotation_search, invert_pose

__all__ = [
    "CompareParams",
    "EXHAUSTIVE",
    "Pose",
    "coarse_rotation_search",
    "compare_signatures",
    "invert_pose",
    "masked_ncc",
    "masked_ncc_batch",
    "pearson_at_offset",
]


def __getattr__(name):
    # the engine imports this package, so it is loaded lazily
    if name in ("compare_signatures", "Comparison"):
        from ballistics_core import engine

        return getattr(engine, name)
    raise AttributeError(name)
