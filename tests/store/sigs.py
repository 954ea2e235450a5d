"""Signatures for store and search tests: real Fadul scans and seeded synthetic faces."""

from __future__ import annotations

import csv
from pathlib import Path

from ballistics_core import ALGORITHM_VERSION
from ballistics_core.signature.descriptor import DescriptorParams, compute_descriptor
from ballistics_core.signature.model import Signature
from ballistics_core.signature.synthetic import synthetic_signature

DIGEST = DescriptorParams().digest()


def synth(seed: int, **meta) -> Signature:
    return synthetic_signature(seed, params_digest=DIGEST, algorithm_version=ALGORITHM_VERSION, meta=meta)


def real(path: Path) -> Signature:
    """Signature of a processed scan: the pipeline's make_signature once it exists, else surface as read."""
    from ballistics_core.io import read_scan

    scan = read_scan(path)
    try:
        from ballistics_core.signature import make_signature
    except ImportError:
        make_signature = None
    if make_signature is not None:
        return make_signature(scan)
    return Signature(
        surface=scan.heights, spacing_um=scan.spacing_um,
        descriptor=compute_descriptor(scan.heights, spacing_um=scan.spacing_um),
        algorithm_version=ALGORITHM_VERSION, params_digest=DIGEST, source_sha256=scan.meta["sha256"],
        meta=dict(scan.meta),
    )


def fadul_truth(shared_data: Path) -> dict[str, str]:
    with open(shared_data / "ground_truth.csv") as fh:
        return {Path(r["file"]).stem: r["firearm"] for r in csv.DictReader(fh) if r["file"].startswith("fadul/")}
