"""How far the screening tiers lift true mates above synthetic distractors.

For every real scan with a mate (another cartridge case from the same firearm)
in the chosen folders, each screening score is computed against all other real
scans and ``--n`` synthetic faces; the figures are the rank of the best true
mate among the synthetic faces and its margin over them in standard deviations
(z). Four scores: the descriptor at the fitted centre, the descriptor at the
search's centre grid (tier 1 as searched), the ring spectra at the fitted
centre, and at the search's centre grid (tier 1b as searched).

    python benchmarks/bench_screening.py --n 1000 --folders fadul dfsc

Writes benchmarks/results/store/screening_margins.csv and prints a summary.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
DATA = REPO.parent / "shared" / "data"
OUT = REPO / "benchmarks" / "results" / "store"


def main() -> None:
    from ballistics_core.engine import DEFAULT_PARAMS, make_signature
    from ballistics_core.io import read_scan
    from ballistics_core.search import SearchParams
    from ballistics_core.search.bench import distractor_arrays
    from ballistics_core.search.engine import sample_query
    from ballistics_core.signature.polar import polar_correlation

    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1000, help="synthetic faces")
    ap.add_argument("--folders", nargs="+", default=["fadul", "dfsc"])
    ap.add_argument("--cache", default=None, help="distractor cache directory (bench_store.py cache)")
    args = ap.parse_args()

    with open(DATA / "ground_truth.csv") as fh:
        gt = {r["file"]: r for r in csv.DictReader(fh)}
    sp = SearchParams()
    t0 = time.perf_counter()
    names, firearm, case, d0, dq, r0, rq = [], [], [], [], [], [], []
    for folder in args.folders:
        for p in sorted((DATA / folder).glob("*.x3p")):
            row = gt.get(f"{folder}/{p.name}")
            if row is None:
                continue
            sig = make_signature(read_scan(p))
            names.append(p.stem)
            firearm.append(row["firearm"])
            case.append(row["scan_id"])
            d0.append(sig.descriptor)
            r0.append(sig.ring_spectra)
            q_desc, q_rings = sample_query(sig, params=DEFAULT_PARAMS, search_params=sp)
            dq.append(q_desc)
            rq.append(q_rings)
    print(f"{len(names)} real scans in {time.perf_counter() - t0:.0f}s", flush=True)
    t0 = time.perf_counter()
    syn_d, syn_r = distractor_arrays(range(args.n), Path(args.cache) if args.cache else None)
    print(f"{args.n} synthetic faces in {time.perf_counter() - t0:.0f}s", flush=True)
    D = np.concatenate([np.stack(d0), syn_d])
    R = np.concatenate([np.stack(r0), syn_r])
    n_real = len(names)
    scores = {
        "descriptor": lambda i: D @ d0[i],
        "descriptor_grid": lambda i: (D @ dq[i].T).max(1),
        "rings": lambda i: polar_correlation(r0[i], R),
        "rings_grid": lambda i: polar_correlation(rq[i], R),
    }
    rows = []
    for i, name in enumerate(names):
        mates = [j for j in range(n_real) if firearm[j] == firearm[i] and case[j] != case[i]]
        if not mates:
            continue
        row = {"query": name}
        for label, fn in scores.items():
            s = np.asarray(fn(i), np.float64)
            best = s[mates].max()
            syn = s[n_real:]
            row[f"{label}_rank"] = int(1 + (syn > best).sum())
            row[f"{label}_z"] = round(float((best - syn.mean()) / syn.std()), 2)
        rows.append(row)
    OUT.mkdir(parents=True, exist_ok=True)
    with open(OUT / "screening_margins.csv", "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    for folder in args.folders:
        sub = [r for r in rows if (DATA / folder / f"{r['query']}.x3p").exists()]
        if not sub:
            continue
        print(f"{folder}: {len(sub)} queries with a mate, {args.n} synthetic faces")
        for label in scores:
            ranks = np.array([r[f"{label}_rank"] for r in sub])
            z = np.array([r[f"{label}_z"] for r in sub])
            print(f"  {label:16s} mate first {np.mean(ranks == 1):.3f}  worst rank {ranks.max():5d}  "
                  f"z min {z.min():6.2f}  z median {np.median(z):6.2f}")


if __name__ == "__main__":
    main()
