"""Signatures: what the store keeps of a scan and what comparison works on.

A :class:`Signature` holds the preprocessed breech-face surface (for full
comparison), the unwrapped firing-pin impression where the scan still has one,
a compact rotation-invariant descriptor for screening, and the provenance that
makes every later score reproducible (algorithm version, parameter digest,
SHA-256 of the source file). ``make_signature`` lives in
:mod:`ballistics_core.engine` and is re-exported here.
"""

from ballistics_core.signature.model import Signature

__all__ = ["Signature", "make_signature"]


def __getattr__(name):
    if name == "make_signature":
        from ballistics_core.engine import make_signature

        return make_signature
    raise AttributeError(name)
