"""Frozen parameter objects with a stable digest.

Every threshold lives in a frozen dataclass in physical units; its digest goes into
every signature and every score so a result can be reproduced exactly.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from typing import Any


def _canonical(value: Any) -> Any:
    if dataclasses.is_dataclass(value):
        return {f.name: _canonical(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    if isinstance(value, float):
        # repr round-trips exactly; avoids 0.1 vs 0.1000000001 drift across platforms
        return repr(value)
    return value


class DigestMixin:
    """Mixin for frozen dataclasses: ``as_dict()`` and a 16-hex ``digest()``."""

    def as_dict(self) -> dict:
        return _canonical(self)

    def digest(self) -> str:
        payload = json.dumps({type(self).__name__: self.as_dict()}, sort_keys=True)
        return hashlib.sha256(payload.encode()).hexdigest()[:16]
