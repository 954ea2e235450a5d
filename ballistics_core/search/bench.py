"""Retrieval and scale benchmarks through the real store and search path."""

from __future__ import annotations

import csv
import statistics
import time
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from ballistics_core.search.engine import search
from ballistics_core.store import SignatureStore, StoredRecord

def stem(name: str) -> str:
    return Path(name).stem


def read_signatures(files: Sequence[Path], make: Callable, log: Callable = print) -> dict:
    """Signatures of ``files`` by stem. A file that cannot be read is reported and left out,
    so one damaged scan does not stop a benchmark over a whole dataset."""
    from ballistics_core.errors import BallisticsError

    sigs = {}
    for p in files:
        try:
            sigs[stem(p.name)] = make(p)
        except BallisticsError as e:
            log(f"skipped {p}: {e}")
    if not sigs:
        raise BallisticsError("none of the scans could be read")
    return sigs


def ingest_files(store_path: Path, files: Sequence[Path], make: Callable,
                 log: Callable = print) -> tuple[SignatureStore, dict, float]:
    """Signatures of ``files`` added to a store at ``store_path``; returns (store, {stem: signature}, seconds)."""
    t0 = time.perf_counter()
    sigs = read_signatures(files, make, log)
    first = next(iter(sigs.values()))
    if (store_path / "manifest.json").exists():
        st = SignatureStore.open(store_path)
    else:
        st = SignatureStore.create_for(store_path, first)
    st.add(sigs.values())
    return st, sigs, time.perf_counter() - t0


def same_case(sigs: dict, cases: dict | None, name: str) -> list[str]:
    """SHA-256s of ``name`` and of every other scan of the same cartridge case (a raw and a processed
    file of one case are not independent mates: leave-one-out leaves them all out)."""
    if not cases or cases.get(name) is None:
        return [sigs[name].source_sha256]
    return [s.source_sha256 for n, s in sigs.items() if n == name or cases.get(n) == cases[name]]


def retrieval(store: SignatureStore, sigs: dict, out: Path, *, top: int = 10, rescore: int | None = None,
              executor: str = "local", client=None, scheduler_address: str | None = None,
              tier2: bool = True, cases: dict | None = None) -> list[dict]:
    """Leave-one-out: each signature searched against the store without itself (nor other scans of
    its cartridge case, per ``cases``); writes query,rank,candidate,score."""
    from ballistics_core.search.engine import make_executor

    ex = make_executor(executor, client=client, scheduler_address=scheduler_address)
    rows = []
    try:
        for name, sig in sigs.items():
            res = search(store, sig, top=top, rescore=rescore, exclude=same_case(sigs, cases, name), tier2=tier2,
                         pool=ex)
            for h in res.hits:
                rows.append({"query": name, "rank": h.rank, "candidate": stem(h.candidate),
                             "score": h.fused if h.fused is not None else
                             (h.ring_score if h.ring_score is not None else h.tier1_score),
                             "compared": h.fused is not None})
    finally:
        ex.close()
    with open(out, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=["query", "rank", "candidate", "score"], extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow({**r, "score": f"{r['score']:.6f}"})
    return rows


def retrieval_summary(rows: list[dict], sigs: dict, truth: dict, cases: dict | None = None, *, top: int = 20) -> dict:
    """Recall@1 over the queries that have a mate, and mean AP@``top`` over those with several.

    ``rows`` are :func:`retrieval`'s; ``truth`` maps a name to its firearm and ``cases`` to its
    cartridge case (scans of one case are never each other's mates). Returns ``recall_at_1``,
    ``queries_with_a_mate``, ``map``, ``queries_with_several_mates``, ``lowest_ap`` and ``lowest_ap_query``.
    """
    n_mates = {q: _mates(q, truth, cases, sigs) for q in sigs}
    firsts = [r for r in rows if r["rank"] == 1 and n_mates.get(r["query"], 0) > 0]
    ok = sum(truth.get(r["query"]) == truth.get(r["candidate"]) for r in firsts)
    aps = {q: average_precision([truth.get(r["candidate"]) == truth.get(q) for r in rows if r["query"] == q],
                                n_mates[q], k=top) for q in sigs if n_mates[q] >= 2}
    low = min(aps, key=aps.get) if aps else None
    return {"recall_at_1": ok / max(len(firsts), 1), "recall_hits": ok, "queries_with_a_mate": len(firsts),
            "map": sum(aps.values()) / len(aps) if aps else float("nan"), "queries_with_several_mates": len(aps),
            "lowest_ap": aps[low] if low else float("nan"), "lowest_ap_query": low}


def average_precision(ranked_mates: Sequence[bool], n_mates: int, k: int = 20) -> float:
    """AP@k of one query: mean over the mates of the precision at each mate's rank within the top ``k``,
    divided by ``min(n_mates, k)`` (a mate ranked below ``k`` counts as missed)."""
    hits, total = 0, 0.0
    for i, m in enumerate(list(ranked_mates)[:k], start=1):
        if m:
            hits += 1
            total += hits / i
    return total / max(min(n_mates, k), 1)


def cache_key() -> dict:
    """What a distractor cache must have been made with to be reused."""
    from ballistics_core.engine import DEFAULT_PARAMS
    from ballistics_core.signature.synthetic import SYNTHETIC_SPACING_UM

    return {"descriptor": DEFAULT_PARAMS.descriptor.digest(), "polar": DEFAULT_PARAMS.polar.digest(),
            "spacing_um": SYNTHETIC_SPACING_UM}


def open_cache(cache: Path | None) -> tuple[np.ndarray, np.ndarray, int] | None:
    """(descriptors, ring spectra, rows done) memory-mapped from a cache directory made for these parameters."""
    import json

    if cache is None or not (Path(cache) / "cache.json").is_file():
        return None
    info = json.loads((Path(cache) / "cache.json").read_text())
    if info.get("key") != cache_key():
        raise ValueError(f"distractor cache {cache} was made with other parameters; delete it or point elsewhere")
    return (np.load(Path(cache) / "descriptors.npy", mmap_mode="r"),
            np.load(Path(cache) / "ring_spectra.npy", mmap_mode="r"), int(info["done"]))


def distractor_arrays(seeds: range, cache: Path | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Descriptors and ring spectra of synthetic faces ``seeds``, from a cache (seeds from 0) or computed."""
    from ballistics_core.engine import DEFAULT_PARAMS
    from ballistics_core.signature.synthetic import synthetic_signature

    have = open_cache(cache)
    if have is not None and seeds.stop <= have[2]:
        return np.array(have[0][seeds.start:seeds.stop]), np.array(have[1][seeds.start:seeds.stop])
    sigs = [synthetic_signature(s, params_digest=DEFAULT_PARAMS.digest(), algorithm_version="",
                                descriptor_params=DEFAULT_PARAMS.descriptor, polar_params=DEFAULT_PARAMS.polar)
            for s in seeds]
    return np.stack([g.descriptor for g in sigs]), np.stack([g.ring_spectra for g in sigs])


def add_distractors(store: SignatureStore, upto: int, *, start_seed: int = 0, batch: int = 512,
                    progress: Callable | None = None, cache: Path | None = None) -> float:
    """Grow ``store`` to ``upto`` live signatures with synthetic distractors; returns seconds spent.

    Distractor rows keep their descriptor and generator seed, not the surface,
    which is regenerated when a full comparison needs it.
    """
    from ballistics_core.signature.model import Signature
    from ballistics_core.signature.synthetic import SYNTHETIC_SPACING_UM, synthetic_sha256, synthetic_spec

    t0 = time.perf_counter()
    n = len(store)
    seed = start_seed + _n_synthetic(store)
    while n < upto:
        m = min(batch, upto - n)
        desc, rings = distractor_arrays(range(seed, seed + m), cache)
        recs = [StoredRecord(Signature(
                    surface=np.zeros((0, 0), np.float32), spacing_um=SYNTHETIC_SPACING_UM, descriptor=desc[i],
                    ring_spectra=rings[i],
                    algorithm_version=store.algorithm_version, params_digest=store.params_digest,
                    source_sha256=synthetic_sha256(s),
                    meta={"source": f"synthetic-{s}", "synthetic": True}),
                    synthetic=synthetic_spec(s)) for i, s in enumerate(range(seed, seed + m))]
        rep = store.add(recs, batch_size=batch)
        n += len(rep.added)
        seed += m
        if progress:
            progress(n)
    return time.perf_counter() - t0


def _n_synthetic(store: SignatureStore) -> int:
    return sum(1 for s in store.segments for name in store.segment_index(s["file"]).name if name.startswith("synthetic-"))


def store_bytes(store: SignatureStore) -> int:
    return sum((store.path / s["file"]).stat().st_size for s in store.segments)


def _mates(name: str, labels: dict, cases: dict | None, sigs: dict) -> int:
    """Other scans of ``sigs`` fired by ``name``'s firearm, from another cartridge case."""
    cases = cases or {}
    return sum(1 for o in sigs if o != name and labels.get(o) is not None and labels.get(o) == labels.get(name)
               and (cases.get(o) is None or cases.get(o) != cases.get(name)))


def scale(real_sigs: dict, labels: dict, sizes: Sequence[int], out: Path, *, store_dir: Path,
          rescore: int = 10, tier2: bool = True, n_full_compare: int = 10, log: Callable = print,
          cache: Path | None = None, cases: dict | None = None, top: int = 20) -> list[dict]:
    """Query time, full-comparison time and recall@10 of the real scans among distractors, per store size.

    ``recall@10``: fraction of the real queries that have a mate (a scan of another cartridge case
    fired by the same firearm) with at least one mate in their top 10. Beside ``out`` (its columns
    are fixed), ``<out>_summary.csv`` adds per size the mean average precision over the top ``top``
    of the queries with several mates, the full comparisons per query and how deep the search went
    (``Depth``), and ``<out>_queries.csv`` has them per query.
    """
    store_path = Path(store_dir)
    if (store_path / "manifest.json").exists():
        st = SignatureStore.open(store_path)
    else:
        first = next(iter(real_sigs.values()))
        st = SignatureStore.create_for(store_path, first)
    st.add(real_sigs.values())
    full_times = []
    if tier2:
        from ballistics_core.compare import compare_signatures

        names = sorted(real_sigs)
        for i in range(n_full_compare):
            a, b = real_sigs[names[i % len(names)]], real_sigs[names[(i * 7 + 3) % len(names)]]
            t = time.perf_counter()
            compare_signatures(a, b)
            full_times.append(time.perf_counter() - t)
    results, detail, summary = [], [], []
    for size in sorted(sizes):
        before = len(st)
        secs = add_distractors(st, size, progress=lambda n: log(f"  store at {n}") if n % 10240 < 512 else None,
                               cache=cache)
        added = len(st) - before
        if added:
            log(f"size {size}: added {added} distractors at {added / secs:.0f}/s")
        st.refresh()
        times, hits, n_with_mate, aps, rows_now = [], 0, 0, [], []
        for name, sig in real_sigs.items():
            t = time.perf_counter()
            res = search(st, sig, top=max(top, 10), rescore=rescore, exclude=same_case(real_sigs, cases, name),
                         tier2=tier2)
            times.append(time.perf_counter() - t)
            is_mate = [labels.get(stem(h.candidate)) == labels[name] for h in res.hits]
            mate_ranks = [h.rank for h, m in zip(res.hits, is_mate) if m]
            n_mates = _mates(name, labels, cases, real_sigs)
            ap = average_precision(is_mate, n_mates, k=top) if n_mates else None
            if n_mates:
                n_with_mate += 1
                hits += any(r <= 10 for r in mate_ranks)
                if n_mates >= 2:
                    aps.append(ap)
            d = res.depth
            rows_now.append({"size": len(st), "query": name, "seconds": f"{times[-1]:.3f}",
                             **{k: f"{v:.3f}" for k, v in res.timings.items()},
                             "first_mate_rank": next((r for r in mate_ranks if r <= 10), ""),
                             "mates": n_mates, f"mates_in_top{top}": sum(1 for r in mate_ranks if r <= top),
                             f"ap_at_{top}": "" if ap is None else f"{ap:.3f}",
                             "full_comparisons": res.n_rescored,
                             "depth_initial": d.initial if d else "", "depth_bound": d.bound if d else "",
                             "depth_mates_found": d.mates_found if d else "",
                             "bound_reached": int(bool(d and d.bound_reached))})
        detail += rows_now
        row = {"size": len(st), "query_seconds": statistics.median(times),
               "full_compare_seconds": statistics.median(full_times) if full_times else float("nan"),
               "recall_at_10": hits / max(n_with_mate, 1)}
        n_cmp = [int(d["full_comparisons"]) for d in rows_now]
        summary.append({**row, "queries": len(rows_now), "queries_with_a_mate": n_with_mate,
                        f"map_at_{top}": sum(aps) / len(aps) if aps else float("nan"),
                        "queries_with_several_mates": len(aps),
                        "full_comparisons_mean": statistics.mean(n_cmp), "full_comparisons_median": statistics.median(n_cmp),
                        "full_comparisons_max": max(n_cmp),
                        "queries_past_initial": sum(1 for d in rows_now if d["depth_initial"] != ""
                                                    and int(d["full_comparisons"]) > int(d["depth_initial"])),
                        "queries_bound_reached": sum(int(d["bound_reached"]) for d in rows_now)})
        log(f"size {row['size']}: full comparisons per query median {statistics.median(n_cmp)} "
            f"mean {statistics.mean(n_cmp):.1f} max {max(n_cmp)}; deeper than {rescore} for "
            f"{summary[-1]['queries_past_initial']} queries, bound reached for {summary[-1]['queries_bound_reached']}")
        log(f"size {row['size']}: query {row['query_seconds']:.4f}s, recall@10 {row['recall_at_10']:.3f} "
            f"({hits}/{n_with_mate}), mAP@{top} {summary[-1][f'map_at_{top}']:.3f} over {len(aps)} queries with several mates, "
            f"store {store_bytes(st) / len(st) / 1024:.1f} KiB/signature on disk")
        results.append(row)
    with open(out, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=["size", "query_seconds", "full_compare_seconds", "recall_at_10"])
        w.writeheader()
        for r in results:
            w.writerow(r)
    with open(Path(out).with_name(Path(out).stem + "_summary.csv"), "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(summary[0]))
        w.writeheader()
        w.writerows(summary)
    # per query: time per tier, where the first true mate ended up (blank: not in the top 10), depth
    with open(Path(out).with_name(Path(out).stem + "_queries.csv"), "w", newline="") as fh:
        keys = list(dict.fromkeys(k for d in detail for k in d))
        w = csv.DictWriter(fh, fieldnames=keys, restval="")
        w.writeheader()
        w.writerows(detail)
    return results
