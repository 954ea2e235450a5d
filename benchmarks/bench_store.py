"""Store and search benchmarks (figures for the report; not part of the test suite).

    python benchmarks/bench_store.py cache --n 100000          # distractor descriptors + ring spectra -> /tmp cache (~25 ms each)
    python benchmarks/bench_store.py tier1 --max 1000000       # tier-1 query time 1k..1M vs a plain numpy pass
    python benchmarks/bench_store.py growth --max 1000000      # every tier of one query, 1k..1M stored signatures
    python benchmarks/bench_store.py store --sizes 1000,10000,100000   # ingest rate, bytes/signature, tier-1 recall@10

Results go to benchmarks/results/store/.
"""

from __future__ import annotations

import argparse
import os
import csv
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
OUT = REPO / "benchmarks" / "results" / "store"
CACHE = Path(tempfile.gettempdir()) / "ballistics-distractors"
FADUL = REPO.parent / "shared" / "data" / "fadul"


def _rings_chunk(bounds: tuple[int, int]) -> np.ndarray:
    from ballistics_core.engine import DEFAULT_PARAMS
    from ballistics_core.signature.polar import ring_spectra
    from ballistics_core.signature.synthetic import SYNTHETIC_SPACING_UM, synthetic_surface

    return np.stack([ring_spectra(synthetic_surface(s), spacing_um=SYNTHETIC_SPACING_UM, params=DEFAULT_PARAMS.polar)
                     for s in range(*bounds)])


def _both_chunk(bounds: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    from ballistics_core.search.bench import distractor_arrays

    return distractor_arrays(range(*bounds))


def cmd_cache(args) -> None:
    """Descriptors and ring spectra of synthetic distractors 0..n in a cache directory (resumable, every core).

    ``--import-descriptors F`` reuses an .npy of descriptors for seeds 0.. made
    with the same descriptor parameters (checked on a sample), so only the ring
    spectra are computed.
    """
    import multiprocessing as mp

    from ballistics_core.engine import DEFAULT_PARAMS
    from ballistics_core.search.bench import cache_key, distractor_arrays

    cache = Path(args.cache)
    cache.mkdir(parents=True, exist_ok=True)
    info_path = cache / "cache.json"
    shape = DEFAULT_PARAMS.polar.shape
    if info_path.exists():
        info = json.loads(info_path.read_text())
        if info["key"] != cache_key() or info["n"] != args.n:
            raise SystemExit(f"{cache} holds another cache (parameters or size differ); delete it first")
        mode = "r+"
    else:
        info = {"key": cache_key(), "n": args.n, "done": 0}
        mode = "w+"
    desc = np.lib.format.open_memmap(cache / "descriptors.npy", mode=mode, dtype=np.float32, shape=(args.n, 432))
    rings = np.lib.format.open_memmap(cache / "ring_spectra.npy", mode=mode, dtype=np.complex64, shape=(args.n, *shape))
    imported = 0
    if args.import_descriptors:
        src = np.load(args.import_descriptors, mmap_mode="r")
        probe = [0, src.shape[0] // 2, src.shape[0] - 1]
        for i in probe:
            if not np.array_equal(distractor_arrays(range(i, i + 1))[0][0], src[i]):
                raise SystemExit(f"{args.import_descriptors} row {i} differs from this version's descriptor")
        imported = min(src.shape[0], args.n)
        desc[:imported] = src[:imported]
    t0 = time.perf_counter()
    start = info["done"]
    step = 250
    chunks = [(s, min(s + step, args.n)) for s in range(start, args.n, step)]
    with mp.get_context("fork").Pool(args.processes) as pool:
        for k in range(0, len(chunks), 4 * args.processes):
            part = chunks[k:k + 4 * args.processes]
            lo, hi = part[0][0], part[-1][1]
            if hi <= imported:
                rings[lo:hi] = np.concatenate(pool.map(_rings_chunk, part))
            else:
                got = pool.map(_both_chunk, part)
                desc[lo:hi] = np.concatenate([g[0] for g in got])
                rings[lo:hi] = np.concatenate([g[1] for g in got])
            desc.flush()
            rings.flush()
            info["done"] = hi
            tmp = info_path.with_suffix(".tmp")
            tmp.write_text(json.dumps(info))
            tmp.replace(info_path)
            rate = (hi - start) / (time.perf_counter() - t0)
            print(f"{hi} distractors ({rate:.1f}/s)", flush=True)


def real_signatures() -> dict:
    """Fadul signatures by file stem, through the pipeline (read, preprocess, sign)."""
    from ballistics_core.io import read_scan
    from ballistics_core.signature import make_signature

    return {p.stem: make_signature(read_scan(p)) for p in sorted(FADUL.glob("*.x3p"))}


def labels():
    with open(FADUL.parent / "ground_truth.csv") as fh:
        return {Path(r["file"]).stem: r["firearm"] for r in csv.DictReader(fh)}


def cmd_store(args) -> None:
    from ballistics_core.search import search
    from ballistics_core.search.bench import add_distractors, stem, store_bytes
    from ballistics_core.store import SignatureStore

    t0 = time.perf_counter()
    real = real_signatures()
    t_sig = (time.perf_counter() - t0) / len(real)
    truth = labels()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        first = next(iter(real.values()))
        st = SignatureStore.create_for(Path(tmp) / "s", first)
        t0 = time.perf_counter()
        st.add(real.values())
        t_add_real = (time.perf_counter() - t0) / len(real)
        real_bytes = store_bytes(st) / len(real)
        for size in sorted(int(s) for s in args.sizes.split(",")):
            before = len(st)
            secs = add_distractors(st, size, cache=CACHE)
            st.refresh()
            times, hits, hits_all = [], 0, 0
            for name, sig in real.items():
                t = time.perf_counter()
                res = search(st, sig, top=10, exclude=[sig.source_sha256], tier2=False)
                times.append(time.perf_counter() - t)
                top = [truth.get(stem(h.candidate)) for h in res.hits]
                hits += truth[name] in top
                n_mates = sum(1 for k, v in truth.items() if k.startswith("Fadul") and v == truth[name]) - 1
                hits_all += top.count(truth[name]) == n_mates
            row = {"size": len(st), "screening_query_seconds_median": statistics.median(times),
                   "screening_recall_at_10": hits / len(real), "screening_all_mates_in_top10": hits_all / len(real),
                   "distractor_add_per_s_cached_descriptors": (len(st) - before) / secs if secs else None,
                   "disk_bytes_per_signature_overall": store_bytes(st) / len(st)}
            print(json.dumps(row), flush=True)
            rows.append(row)
    summary = {"real_signature_seconds_each": t_sig,
               "real_store_add_seconds_each": t_add_real, "real_disk_bytes_per_signature": real_bytes,
               "descriptor_bytes_in_memory": int(first.descriptor.size * 4), "rows": rows}
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "store_scale_tier1.json").write_text(json.dumps(summary, indent=1))
    print(json.dumps({k: v for k, v in summary.items() if k != "rows"}, indent=1))


def cmd_tier1(args) -> None:
    from ballistics_core.search.tier1 import ShardIndex, screen

    base = np.load(CACHE / "descriptors.npy", mmap_mode="r") if (CACHE / "cache.json").exists() else None
    rng = np.random.default_rng(0)
    d = 432
    sizes = [1000, 10_000, 100_000, 1_000_000]
    sizes = [s for s in sizes if s <= args.max]
    rows = []
    for n in sizes:
        if base is not None and base.shape[0] >= n:
            m = np.ascontiguousarray(base[:n])
        else:  # descriptors only: stored distractors tiled with small perturbations, renormalised
            src = base if base is not None else rng.standard_normal((1000, d)).astype(np.float32)
            m = np.tile(src, (n // src.shape[0] + 1, 1))[:n]
            m = m + 0.05 * rng.standard_normal(m.shape, dtype=np.float32)
            m /= np.linalg.norm(m, axis=1, keepdims=True)
            m = np.ascontiguousarray(m, dtype=np.float32)
        index = ShardIndex(m, np.array([f"{i:064x}" for i in range(n)], dtype=object),
                           {k: np.full(n, "", dtype=object) for k in ("calibre", "firing_pin_class", "jurisdiction", "date")})
        q = m[n // 2].copy()
        qm = np.ascontiguousarray(m[n // 2 : n // 2 + 25])  # a query sampled at 25 ring centres, as search does
        reps = 7 if n >= 1_000_000 else 21
        t_tier1, t_tier1m, t_numpy, t_matvec, t_gemm = [], [], [], [], []
        for _ in range(reps):
            t = time.perf_counter(); screen(index, q, 1000); t_tier1.append(time.perf_counter() - t)
            t = time.perf_counter(); screen(index, qm, 1000); t_tier1m.append(time.perf_counter() - t)
            t = time.perf_counter(); np.add.reduce(m.ravel()); t_numpy.append(time.perf_counter() - t)
            t = time.perf_counter(); m @ q; t_matvec.append(time.perf_counter() - t)
            t = time.perf_counter(); (m @ qm.T).max(1); t_gemm.append(time.perf_counter() - t)
        row = {"size": n, "bytes": m.nbytes, "tier1_seconds": statistics.median(t_tier1),
               "tier1_25_centres_seconds": statistics.median(t_tier1m),
               "numpy_sum_pass_seconds": statistics.median(t_numpy), "numpy_matvec_seconds": statistics.median(t_matvec),
               "numpy_gemm_25_seconds": statistics.median(t_gemm)}
        row["tier1_GBps"] = m.nbytes / row["tier1_seconds"] / 1e9
        row["numpy_sum_GBps"] = m.nbytes / row["numpy_sum_pass_seconds"] / 1e9
        print(json.dumps(row), flush=True)
        rows.append(row)
        del m, index
    OUT.mkdir(parents=True, exist_ok=True)
    with open(OUT / "tier1_scaling.csv", "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


def _tiled(base: np.ndarray, n: int, rng: np.random.Generator, noise: float) -> np.ndarray:
    """``n`` rows: the cached ones, then copies of them perturbed (descriptors only beyond the cache)."""
    if base.shape[0] >= n:
        return np.array(base[:n])  # a writable copy, not a view of the memory-mapped cache
    m = np.tile(np.asarray(base), (n // base.shape[0] + 1,) + (1,) * (base.ndim - 1))[:n]
    m = m + noise * rng.standard_normal(m.shape).astype(m.real.dtype)
    return np.ascontiguousarray(m, dtype=base.dtype)


def cmd_growth(args) -> None:
    """Every tier of one query as the store grows from 1,000 to 1,000,000 signatures, in one run.

    Tier 1: the 25-centre screen over N descriptors (beyond the cache, cached rows
    tiled with small perturbations, as ``tier1`` does). Tier 1b: the ring-spectra
    correlation of the query's 49-centre spectra over the shortlist the search
    keeps at N (``max(shortlist, shortlist_fraction * N)``), from the cached
    distractor spectra. Tier 2: ``--rescore`` full comparisons, timed on real
    Fadul pairs in the same run. The query is Fadul 1-1, sampled as the search
    samples it. Reading candidates from disk is left out (``ballistics bench
    scale`` measures whole queries through the store).
    """
    from ballistics_core.compare import compare_signatures
    from ballistics_core.engine import DEFAULT_PARAMS
    from ballistics_core.search import SearchParams
    from ballistics_core.search.engine import sample_query
    from ballistics_core.search.tier1 import ShardIndex, screen
    from ballistics_core.signature.polar import polar_correlation

    if not (CACHE / "cache.json").exists():
        sys.exit(f"no distractor cache at {CACHE}: run `python benchmarks/bench_store.py cache --n 100000` first")
    sigs = real_signatures()
    names = sorted(sigs)
    q = sigs["Fadul 1-1"]
    sp = SearchParams()
    t = time.perf_counter()
    qd, qr = sample_query(q, params=DEFAULT_PARAMS, search_params=sp)
    t_query = time.perf_counter() - t
    full = []
    for i in range(5):
        a, b = sigs[names[i]], sigs[names[(i * 7 + 3) % len(names)]]
        t = time.perf_counter(); compare_signatures(a, b); full.append(time.perf_counter() - t)
    t_full = statistics.median(full)
    descs = np.load(CACHE / "descriptors.npy", mmap_mode="r")
    rings = np.load(CACHE / "ring_spectra.npy", mmap_mode="r")
    rng = np.random.default_rng(0)
    rows = []
    for n in [s for s in (1000, 10_000, 100_000, 1_000_000) if s <= args.max]:
        m = _tiled(descs, n, rng, 0.05)
        m /= np.linalg.norm(m, axis=1, keepdims=True)
        index = ShardIndex(m, np.array([f"{i:064x}" for i in range(n)], dtype=object),
                           {k: np.full(n, "", dtype=object) for k in ("calibre", "firing_pin_class", "jurisdiction", "date")})
        k1 = min(n, max(args.rescore, sp.shortlist, int(np.ceil(sp.shortlist_fraction * n))))
        cand = _tiled(rings, k1, rng, 0.05)
        t1, t1b = [], []
        for _ in range(3 if k1 >= 100_000 else 5):
            t = time.perf_counter(); screen(index, qd, k1); t1.append(time.perf_counter() - t)
            t = time.perf_counter(); polar_correlation(qr, cand); t1b.append(time.perf_counter() - t)
        row = {"size": n, "query_sampling_seconds": t_query, "tier1_seconds": statistics.median(t1),
               "shortlist": k1, "tier1b_seconds": statistics.median(t1b), "full_compare_seconds": t_full,
               "tier2_seconds": args.rescore * t_full}
        row["query_seconds"] = row["query_sampling_seconds"] + row["tier1_seconds"] + row["tier1b_seconds"] + row["tier2_seconds"]
        row["query_in_comparisons"] = row["query_seconds"] / t_full
        print(json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in row.items()}), flush=True)
        rows.append(row)
        del m, index, cand
    OUT.mkdir(parents=True, exist_ok=True)
    with open(OUT / "query_growth.csv", "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows({k: f"{v:.4f}" if isinstance(v, float) else v for k, v in r.items()} for r in rows)


def main() -> None:
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("cache"); c.add_argument("--n", type=int, default=100_000)
    c.add_argument("--cache", default=str(CACHE)); c.add_argument("--import-descriptors", default=None)
    c.add_argument("--processes", type=int, default=os.cpu_count() or 1)
    t = sub.add_parser("tier1"); t.add_argument("--max", type=int, default=1_000_000)
    s = sub.add_parser("store"); s.add_argument("--sizes", default="1000,10000,100000")
    g = sub.add_parser("growth"); g.add_argument("--max", type=int, default=1_000_000)
    g.add_argument("--rescore", type=int, default=10)
    args = ap.parse_args()
    {"cache": cmd_cache, "tier1": cmd_tier1, "store": cmd_store, "growth": cmd_growth}[args.cmd](args)


if __name__ == "__main__":
    main()
