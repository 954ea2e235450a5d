"""Signatures for store and search tests: real Fadul scans and seeded synthetic faces."""

from __future__ import annotations

import csv
from pathlib import Path

from ballistics_core import ALGORITHM_VERSION
from ballistics_core.engine import DEFAULT_PARAMS, make_signature
from ballistics_core.signature.model import Signature
from ballistics_core.signature.synthetic import synthetic_signature

DIGEST = DEFAULT_PARAMS.digest()


def synth(seed: int, **meta) -> Signature:
    return synthetic_signature(seed, params_digest=DIGEST, algorithm_version=ALGORITHM_VERSION, meta=meta)


def real(path: Path) -> Signature:
    """Signature of a real scan through the public pipeline."""
    from ballistics_core.io import read_scan

    return make_signature(read_scan(path))


def fadul_truth(shared_data: Path) -> dict[str, str]:
    with open(shared_data / "ground_truth.csv") as fh:
        return {Path(r["file"]).stem: r["firearm"] for r in csv.DictReader(fh) if r["file"].startswith("fadul/")}
