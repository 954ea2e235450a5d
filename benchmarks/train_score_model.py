"""Train the score models on Fadul and report firearm-grouped cross-validation.

The shipped models (``ballistics_core/decide/models/breech-face-v1.json`` for
topographies, ``intensity-v1.json`` for 2-D images) are fitted on all 780
Fadul pairs (2-D: the same scans rendered under oblique light); their figures
on Fadul come from leave-one-firearm-out cross-validation (a pair is scored
only by models that never saw either of its firearms), and they are tested
unchanged on DFSC (another instrument) and NBIDE (real 2-D photographs).

Usage: python benchmarks/train_score_model.py [--kind topography|intensity] [--write]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import REPO, SHARED_DATA, ground_truth, variance_ratio  # noqa: E402

from ballistics_core.decide.features import FEATURE_NAMES  # noqa: E402
from ballistics_core.decide.model import fit_score_model  # noqa: E402
from ballistics_core.engine import DEFAULT_PARAMS, combined_cmc, make_signature  # noqa: E402
from ballistics_core.io import read_scan  # noqa: E402
from ballistics_core.pairwise import compare_all  # noqa: E402
from ballistics_core.preprocess.render import render_oblique  # noqa: E402

# 2-D training images: the Fadul topographies under one fixed oblique light
LIGHT = {"azimuth_deg": 45.0, "elevation_deg": 30.0}

RULE = {"cmc_identification": DEFAULT_PARAMS.decide.cmc_identification,
        "elimination_log10_lr": DEFAULT_PARAMS.decide.elimination_log10_lr}


def load(f, kind):
    scan = read_scan(SHARED_DATA / f)
    return render_oblique(scan, **LIGHT) if kind == "intensity" else scan


def fadul_features(kind="topography"):
    gt = ground_truth()
    files = sorted(f for f, r in gt.items() if f.startswith("fadul/"))
    sigs = [make_signature(load(f, kind)) for f in files]
    guns = [gt[f]["firearm"] for f in files]
    t = time.perf_counter()
    res = compare_all(sigs, features_only=True)
    dt = time.perf_counter() - t
    X = np.array([r.features for r in res])
    y = np.array([guns[r.i] == guns[r.j] for r in res], int)
    pair_guns = [(guns[r.i], guns[r.j]) for r in res]
    phases = DEFAULT_PARAMS.compare.cell_grid_phases
    cmc = np.array([combined_cmc(r.cmc_ab, r.cmc_ba, phases) for r in res])
    return files, X, y, pair_guns, cmc, dt


def grouped_cv(X, y, pair_guns):
    """Leave one firearm out: pairs touching firearm g are scored by a model fitted without g's pairs."""
    guns = sorted({g for p in pair_guns for g in p})
    scores = np.zeros(len(y))
    counts = np.zeros(len(y))
    for g in guns:
        test = np.array([g in p for p in pair_guns])
        m = fit_score_model(X[~test], y[~test], name="cv", decision_rule=RULE, training={})
        scores[test] += [m.score(x) for x in X[test]]
        counts[test] += 1
    return scores / counts


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--write", action="store_true", help="write the fitted model into the package")
    ap.add_argument("--kind", choices=["topography", "intensity"], default="topography")
    args = ap.parse_args()
    files, X, y, pair_guns, cmc, dt = fadul_features(args.kind)
    cv = grouped_cv(X, y, pair_guns)
    report = {
        "pairs": int(len(y)),
        "same_firearm_pairs": int(y.sum()),
        "feature_seconds_per_pair_wall": dt / len(y),
        "cv_auc": float(roc_auc_score(y, cv)),
        "cv_min_match_score": float(cv[y == 1].min()),
        "cv_max_nonmatch_score": float(cv[y == 0].max()),
        "cmc_variance_ratio": variance_ratio(cmc, y == 1),
        "cmc_match_range": [int(cmc[y == 1].min()), int(cmc[y == 1].max())],
        "cmc_nonmatch_range": [int(cmc[y == 0].min()), int(cmc[y == 0].max())],
        "cmc_decision_errors": int(((cmc >= RULE["cmc_identification"]) != (y == 1)).sum()),
        "feature_auc": {n: float(roc_auc_score(y, X[:, k])) for k, n in enumerate(FEATURE_NAMES)},
    }
    print(json.dumps(report, indent=2))
    if args.write:
        name = "breech-face-v1" if args.kind == "topography" else "intensity-v1"
        data = "Fadul et al. 2011, 40 processed scans (NIST), all 780 pairs"
        if args.kind == "intensity":
            data += f"; rendered as 2-D images under oblique light {LIGHT}"
        model = fit_score_model(
            X, y, name=name, decision_rule=RULE,
            training={"data": data, "kind": args.kind,
                      "engine_params_digest": DEFAULT_PARAMS.digest(),
                      "leave_one_firearm_out": {k: report[k] for k in ("cv_auc", "cv_min_match_score", "cv_max_nonmatch_score")}},
        )
        out = REPO / "ballistics_core" / "decide" / "models" / f"{name}.json"
        out.write_text(model.to_json() + "\n")
        print(f"wrote {out}")


if __name__ == "__main__":
    main()
