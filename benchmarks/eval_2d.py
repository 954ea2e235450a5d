"""The 2-D (intensity image) pipeline on real photographs and on rendered topographies.

- NBIDE 118 vs 129 (NIST ring-light photographs, same Ruger, PMC ammunition):
  rotation, full-scan correlation, CMC, score and decision (Tai & Eddy 2018
  report a maximum cross-correlation of about 0.36 at about 15 degrees).
- Fadul rendered under oblique light from a direction the 2-D model was *not*
  trained with (azimuth 135 degrees, elevation 35 degrees instead of 45/30),
  every other scan (20 scans, 190 pairs): AUC and decision errors.

Usage: python benchmarks/eval_2d.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import RESULTS, SHARED_DATA, ground_truth  # noqa: E402
from eval_accuracy import _rows, _summary, _write  # noqa: E402

from ballistics_core.engine import compare_signatures, make_signature  # noqa: E402
from ballistics_core.io import read_scan  # noqa: E402
from ballistics_core.pairwise import compare_all  # noqa: E402
from ballistics_core.preprocess.render import render_oblique  # noqa: E402

EVAL_LIGHT = {"azimuth_deg": 135.0, "elevation_deg": 35.0}


def main() -> None:
    a = make_signature(read_scan(SHARED_DATA / "nbide_2d" / "NBIDE R BF 118.png"))
    b = make_signature(read_scan(SHARED_DATA / "nbide_2d" / "NBIDE R BF 129.png"))
    c = compare_signatures(a, b)
    nbide = {k: v for k, v in c.summary().items() if k != "features"} | {"features": c.features,
                                                                         "spacing_um": a.spacing_um}
    gt = ground_truth()
    files = sorted(f for f in gt if f.startswith("fadul/"))[::2]
    sigs = [make_signature(render_oblique(read_scan(SHARED_DATA / f), **EVAL_LIGHT)) for f in files]
    res = compare_all(sigs)
    rows = _rows(files, [gt[f]["firearm"] for f in files], res)
    summary = _summary(rows) | {"light": EVAL_LIGHT, "nbide_118_vs_129": nbide}
    _write("fadul_rendered_2d", rows, summary)


if __name__ == "__main__":
    main()
