"""Speed of the comparison engine: per-pair time, its split across stages, and scaling.

Measured in one run on this machine:
- stage split of one comparison (single process, one FFT thread), median over pairs;
- ``compare-all`` wall time per pair on all cores, per-scan work shared;
- a cold ``ballistics compare A B`` (new process: imports, reading, preprocessing);
- the exhaustive mode on the same pairs as the in-run baseline (ratio default/exhaustive).
The open R reference cmcR needs 72 s per pair (both directions) of processed Fadul
scans on these 2-core machines (figure from the project brief; R is not installed
here, so it is quoted, not re-measured).

Usage: python benchmarks/bench_compare.py [--scans 12]
"""

from __future__ import annotations

import argparse
import itertools
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import REPO, RESULTS, SHARED_DATA, ground_truth  # noqa: E402

from ballistics_core.compare.cells import register_cells  # noqa: E402
from ballistics_core.compare.params import EXHAUSTIVE  # noqa: E402
from ballistics_core.compare.registration import coarse_search_with_mirror, invert_pose, refine_rotation  # noqa: E402
from ballistics_core.compare.runtime import set_fft_workers  # noqa: E402
from ballistics_core.decide.cmc import count_cmc  # noqa: E402
from ballistics_core.engine import DEFAULT_PARAMS, EngineParams, compare_signatures, make_signature, prepare_signature  # noqa: E402
from ballistics_core.io import read_scan  # noqa: E402
from ballistics_core.pairwise import compare_all  # noqa: E402

CMCR_SECONDS_PER_PAIR = 72.0


def stage_split(sigs, pairs, params):
    cp = params.compare
    t = {k: [] for k in ("prepare (per scan, shared)", "coarse rotation search (both handednesses)", "rotation refinement",
                         "cells A->B", "cells B->A", "CMC, features, score")}
    prep = []
    for s in sigs:
        t0 = time.perf_counter()
        prep.append(prepare_signature(s, params=params))
        t["prepare (per scan, shared)"].append(time.perf_counter() - t0)
    kw = dict(translation_tol_um=cp.translation_tol_um, angle_tol_deg=cp.angle_tol_deg, ccf_threshold=cp.ccf_threshold)
    for i, j in pairs:
        a, b = prep[i], prep[j]
        t0 = time.perf_counter()
        bm = b.mirror if cp.try_mirror else None
        cands, _, _, mirrored = coarse_search_with_mirror(a.coarse, b.coarse, bm.coarse if bm else None,
                                                          spacing_um=a.coarse_spacing_um, params=cp,
                                                          canvas=b.coarse_canvas, mirror_canvas=bm.coarse_canvas if bm else None)
        mb = bm if mirrored else b
        t1 = time.perf_counter()
        pose = refine_rotation(a.coarse, mb.coarse, cands[0], spacing_um=a.coarse_spacing_um, params=cp, canvas=mb.coarse_canvas)
        t2 = time.perf_counter()
        cab = register_cells(a, mb.cell_surface, pose, params=cp, moving=mb)
        t3 = time.perf_counter()
        cba = register_cells(mb, a.cell_surface, invert_pose(pose), params=cp, moving=a)
        t4 = time.perf_counter()
        count_cmc(cab, **kw), count_cmc(cba, **kw)
        compare_signatures(sigs[i], sigs[j], params=params, prepared=(a, b))  # whole pipeline, for the decide share
        t5 = time.perf_counter()
        whole = t5 - t4
        t["coarse rotation search (both handednesses)"].append(t1 - t0)
        t["rotation refinement"].append(t2 - t1)
        t["cells A->B"].append(t3 - t2)
        t["cells B->A"].append(t4 - t3)
        t["CMC, features, score"].append(max(0.0, whole - (t4 - t0)))  # the whole pipeline less its registration
    return {k: float(np.median(v)) for k, v in t.items()}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--scans", type=int, default=12)
    args = ap.parse_args()
    gt = ground_truth()
    files = sorted(f for f in gt if f.startswith("fadul/"))[: args.scans]
    sigs = [make_signature(read_scan(SHARED_DATA / f)) for f in files]
    pairs = list(itertools.combinations(range(len(sigs)), 2))
    set_fft_workers(1)
    split = stage_split(sigs, pairs[:20], DEFAULT_PARAMS)
    per_pair_single = sum(v for k, v in split.items() if not k.startswith("prepare"))
    set_fft_workers(-1)
    t = time.perf_counter()
    compare_all(sigs, processes=None)
    all_wall = (time.perf_counter() - t) / len(pairs)
    # in-run baseline: exhaustive mode, same pairs subset, all cores
    ex = EngineParams(compare=EXHAUSTIVE)
    sub = [make_signature(read_scan(SHARED_DATA / f), params=ex) for f in files[:6]]
    t = time.perf_counter()
    compare_all(sub, params=ex, processes=None)
    ex_wall = (time.perf_counter() - t) / 15
    a, b = SHARED_DATA / files[0], SHARED_DATA / files[1]
    t = time.perf_counter()
    subprocess.run([str(REPO / ".venv" / "bin" / "ballistics"), "compare", str(a), str(b)], check=True, capture_output=True)
    cold = time.perf_counter() - t
    set_fft_workers(-1)
    t = time.perf_counter()
    compare_signatures(sigs[0], sigs[1])
    warm = time.perf_counter() - t
    out = {
        "scans": len(files), "pairs": len(pairs),
        "stage_median_seconds_single_core": split,
        "per_pair_seconds_single_core": per_pair_single,
        "compare_all_seconds_per_pair_wall": all_wall,
        "exhaustive_compare_all_seconds_per_pair_wall": ex_wall,
        "exhaustive_over_default": ex_wall / all_wall,
        "single_compare_cold_process_seconds": cold,
        "single_compare_warm_seconds": warm,
        "cmcR_seconds_per_pair_quoted": CMCR_SECONDS_PER_PAIR,
        "speedup_compare_all_vs_cmcR": CMCR_SECONDS_PER_PAIR / all_wall,
        "speedup_single_cold_vs_cmcR": CMCR_SECONDS_PER_PAIR / cold,
    }
    (RESULTS / "compare").mkdir(parents=True, exist_ok=True)
    (RESULTS / "compare" / "speed.json").write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
