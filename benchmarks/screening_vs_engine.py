"""Where the screening tiers put the mates that the full comparison finds.

For every query of every labelled set, the gallery is the rest of the set
(every file of the query's cartridge case left out, as ``bench retrieval``
does). Each query is sampled as the search samples it
(:func:`ballistics_core.search.engine.sample_query`) and scored against the
gallery's stored descriptors (tier 1) and ring spectra (tier 1b). For every
mate (same firearm, another case) the table gives

- ``engine_score`` and ``engine_above_all``: the full comparison's score
  (``compare_signatures(...).score``, the engine's verdict) and whether it
  ranks the mate above every non-mate of that query;
- ``tier1_rank``, ``tier1b_rank``: the mate's rank in the gallery by each
  screening score (1 = first);
- ``tier1_z``, ``tier1b_z``: its screening margin, (mate score - mean of the
  non-mates) / standard deviation of the non-mates.

Sets: ``fadul``, ``dfsc`` (deduplicated by scan id), ``fadul_raw`` and
``dfsc_raw`` (raw files against the processed sets), ``rendered_2d`` (Fadul
rendered as 2-D images under a light the 2-D model never saw), and Fadul
queries transformed against the untouched Fadul gallery: ``rotated``,
``mirrored``, ``translated`` (the scan window moved), ``crop_inner`` (the
pipeline kept less of the annulus next to the aperture), ``crop_outer`` (less
of the outer annulus), ``crop_side`` (a third of the face cut off by the scan
window), ``aperture_damaged`` (a wedge of the aperture edge unmeasured, which
pulls the fitted aperture centre).

Full-comparison scores are cached on disk, keyed by both files' SHA-256, the
engine's parameter digest, the algorithm version and the score models' bytes
(``--engine-cache``);
``--compare-budget`` bounds the seconds spent computing missing ones. They are
computed for whole queries (a mate and every non-mate of its query), the
transformed sets first and one query of each set in turn, and a query is only
started when it fits in what is left of the budget. A query never compared in
full takes the labels as the verdict (``engine_checked`` = 0 in the CSV): on the
untransformed sets every same-firearm pair scores above every different-firearm
one (``benchmarks/results/compare/*_pairs.csv``).

    python benchmarks/screening_vs_engine.py --n-transformed 8 --compare-budget 2400

A full run (all 40 Fadul scans under every transform, every set checked) needs
about 12,700 full comparisons, some 75 minutes on one idle core at 0.35 s each.

Writes ``benchmarks/results/screening/screening_vs_engine.csv`` (one row per
query and mate) and ``..._summary.csv`` (one row per set), and prints the
summary as a markdown table.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import RESULTS, SHARED_DATA, ground_truth  # noqa: E402

OUT = RESULTS / "screening"
EVAL_LIGHT = {"azimuth_deg": 135.0, "elevation_deg": 35.0}
TRANSFORMS = ("rotated", "mirrored", "translated", "crop_inner", "crop_outer", "crop_side", "aperture_damaged")


@dataclass
class Entry:
    name: str
    sig: object
    firearm: str
    case: str
    queries: dict = field(default_factory=dict)  # set by sample()


# ---- transformed scans ---------------------------------------------------------------------------
def transform_scan(scan, how: str, *, seed: int = 0):
    """A copy of a processed scan as another pipeline or scan window would have left it.

    Distances are in µm on the scan's own grid; NaN stays NaN (never zero).
    """
    import cv2

    from ballistics_core.scan import Scan
    from ballistics_core.signature.descriptor import find_aperture

    h = np.asarray(scan.heights, np.float64)
    valid = np.isfinite(h)
    sp = scan.spacing_um
    rng = np.random.default_rng(seed)
    cy, cx, r_ap, _ = find_aperture(valid)
    yy, xx = np.mgrid[: h.shape[0], : h.shape[1]]
    rad = np.hypot(yy - cy, xx - cx)
    out = h.copy()
    if how == "rotated":
        ang = float(rng.uniform(20, 340))
        m = cv2.getRotationMatrix2D((h.shape[1] / 2, h.shape[0] / 2), ang, 1.0)
        z = cv2.warpAffine(np.where(valid, h, 0).astype(np.float32), m, h.shape[::-1], flags=cv2.INTER_LINEAR)
        v = cv2.warpAffine(valid.astype(np.float32), m, h.shape[::-1], flags=cv2.INTER_LINEAR)
        out = np.where(v > 0.999, z / np.maximum(v, 1e-6), np.nan)
    elif how == "mirrored":
        out = h[:, ::-1]
    elif how == "translated":
        dy, dx = (int(round(u / sp)) for u in rng.uniform(200, 600, 2))
        out = np.pad(h, ((dy, 0), (dx, 0)), constant_values=np.nan)[: h.shape[0] + dy // 2, : h.shape[1] + dx // 2]
    elif how == "crop_inner":
        out[rad < r_ap + 120.0 / sp] = np.nan
    elif how == "crop_outer":
        outer = np.percentile(rad[valid], 97)
        out[rad > r_ap + 0.7 * (outer - r_ap)] = np.nan
    elif how == "crop_side":
        ang = rng.uniform(0, 2 * np.pi)
        ys, xs = np.nonzero(valid)
        proj = (ys - cy) * np.sin(ang) + (xs - cx) * np.cos(ang)
        cut = np.percentile(proj, 70)
        out[((yy - cy) * np.sin(ang) + (xx - cx) * np.cos(ang)) > cut] = np.nan
    elif how == "aperture_damaged":
        ang = rng.uniform(0, 2 * np.pi)
        theta = np.arctan2(yy - cy, xx - cx)
        wedge = np.abs(np.angle(np.exp(1j * (theta - ang)))) < np.pi / 3
        out[wedge & (rad < r_ap + 150.0 / sp)] = np.nan
    else:
        raise ValueError(f"unknown transform {how!r}")
    return Scan(np.ascontiguousarray(out, np.float32), spacing_um=sp, meta={"source": f"{scan.meta.get('source', '')}:{how}"},
                kind=scan.kind)


# ---- sets ---------------------------------------------------------------------------------------
def _load(files, gt, make):
    from ballistics_core.io import read_scan

    return [Entry(Path(f).stem, make(read_scan(SHARED_DATA / f)), gt[f]["firearm"], gt[f]["scan_id"]) for f in files]


def build_sets(which: list[str], n_transformed: int | None) -> dict[str, tuple[list[Entry], list[Entry]]]:
    """{set: (queries, gallery)}."""
    from ballistics_core.engine import make_signature
    from ballistics_core.io import read_scan
    from ballistics_core.preprocess.render import render_oblique

    gt = ground_truth()
    fadul = sorted(f for f in gt if f.startswith("fadul/"))
    by_id = {}
    for f, r in sorted(gt.items()):
        if r["dataset"].startswith("DFSC") and (r["scan_id"] not in by_id or r["state"] == "processed"):
            by_id[r["scan_id"]] = f
    dfsc = sorted(by_id.values())
    sets = {}
    need_fadul = any(s in which for s in ("fadul", "fadul_raw", *TRANSFORMS))
    fad = _load(fadul, gt, make_signature) if need_fadul else []
    if "fadul" in which:
        sets["fadul"] = (fad, fad)
    if "dfsc" in which or "dfsc_raw" in which:
        dfs = _load(dfsc, gt, make_signature)
        if "dfsc" in which:
            sets["dfsc"] = (dfs, dfs)
        if "dfsc_raw" in which:
            raw = [f for f, r in gt.items() if r["dataset"].startswith("DFSC") and r["state"] == "raw"]
            sets["dfsc_raw"] = (_load(sorted(raw), gt, make_signature), dfs)
    if "fadul_raw" in which:
        sets["fadul_raw"] = (_load(sorted(f for f in gt if f.startswith("fadul_raw/")), gt, make_signature), fad)
    if "rendered_2d" in which:
        ren = _load(fadul, gt, lambda s: make_signature(render_oblique(s, **EVAL_LIGHT)))
        sets["rendered_2d"] = (ren, ren)
    chosen = fadul if n_transformed is None else fadul[:: max(1, len(fadul) // n_transformed)][:n_transformed]
    for k, how in enumerate(t for t in TRANSFORMS if t in which):
        qs = []
        for f in chosen:
            scan = read_scan(SHARED_DATA / f)
            qs.append(Entry(f"{Path(f).stem} {how}", make_signature(transform_scan(scan, how, seed=transform_seed(how, f))),
                            gt[f]["firearm"], gt[f]["scan_id"]))
        sets[how] = (qs, fad)
    return sets


def transform_seed(how: str, file: str) -> int:
    """The seed of ``file`` under ``how``: fixed by the scan's place among all Fadul files and the
    transform's among all transforms, so a sample (``--n-transformed``) transforms each scan exactly
    as the full run does (and the regression test can rebuild any row of the table)."""
    fadul = sorted(f for f in ground_truth() if f.startswith("fadul/"))
    return 1000 * TRANSFORMS.index(how) + fadul.index(file)


# ---- full comparisons, cached -----------------------------------------------------------------
class EngineCache:
    """Full-comparison scores on disk (one JSON object per line), keyed by both SHA-256s and the digest."""

    def __init__(self, path: Path):
        from ballistics_core.engine import DEFAULT_PARAMS

        import hashlib
        from importlib import resources

        from ballistics_core import ALGORITHM_VERSION

        self.path = Path(path)
        # the parameter digest names the score models but does not cover their contents, nor a new
        # compare stage under the same parameters: the algorithm version and the shipped models'
        # bytes are in the key too, so a retrained model never serves old scores
        models = hashlib.sha256()
        for name in (DEFAULT_PARAMS.decide.model, DEFAULT_PARAMS.decide.model_intensity):
            p = Path(name)
            data = p.read_bytes() if p.suffix == ".json" and p.is_file() else \
                resources.files("ballistics_core.decide").joinpath("models", f"{name}.json").read_bytes()
            models.update(data)
        self.digest = f"{DEFAULT_PARAMS.digest()}|{ALGORITHM_VERSION}|{models.hexdigest()[:16]}"
        self.scores: dict[str, float] = {}
        if self.path.is_file():
            for line in self.path.read_text().splitlines():
                if line.strip():
                    d = json.loads(line)
                    self.scores[d["key"]] = d["score"]

    def key(self, a, b) -> str:
        x, y = sorted((a.source_sha256, b.source_sha256))
        return f"{x}|{y}|{self.digest}"

    def get(self, a, b) -> float | None:
        return self.scores.get(self.key(a, b))

    def compute(self, a, b) -> float:
        from ballistics_core.engine import compare_signatures

        s = float(compare_signatures(a, b).score)
        self.scores[self.key(a, b)] = s
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a") as fh:
            fh.write(json.dumps({"key": self.key(a, b), "score": s}) + "\n")
        return s


# ---- screening ------------------------------------------------------------------------------------
def screening_scores(q: Entry, gallery: list[Entry], sp) -> tuple[np.ndarray, np.ndarray]:
    """Tier-1 and tier-1b scores of ``q`` against ``gallery`` as the search computes them."""
    from ballistics_core.engine import DEFAULT_PARAMS
    from ballistics_core.search.engine import sample_query
    from ballistics_core.signature.polar import polar_correlation

    if "desc" not in q.queries:
        q.queries["desc"], q.queries["rings"] = sample_query(q.sig, params=DEFAULT_PARAMS, search_params=sp)
    d = np.stack([g.sig.descriptor for g in gallery]).astype(np.float64)
    t1 = (d @ np.asarray(q.queries["desc"], np.float64).T).max(1)
    t1b = polar_correlation(q.queries["rings"], np.stack([g.sig.ring_spectra for g in gallery]))
    return t1, t1b


def _rank(scores: np.ndarray, i: int) -> int:
    return int(1 + (scores > scores[i]).sum())


def _z(scores: np.ndarray, i: int, non: np.ndarray) -> float:
    s = scores[non]
    return float((scores[i] - s.mean()) / (s.std() + 1e-12))


# a set's queries are compared in full in this order when the budget is short: the transformed
# queries first (nothing else measures the engine on them), one query of each set in turn, so that
# every set gets whole queries checked rather than the first set taking the whole budget
PRIORITY = (*TRANSFORMS, "dfsc", "dfsc_raw", "fadul_raw", "fadul", "rendered_2d")


@dataclass
class _Query:
    set_name: str
    q: Entry
    gal: list
    mate: np.ndarray
    t1: np.ndarray
    t1b: np.ndarray
    eng: np.ndarray


def _plan(units: list[_Query]) -> list[_Query]:
    by_set: dict[str, list[_Query]] = {}
    for u in units:
        by_set.setdefault(u.set_name, []).append(u)
    order = sorted(by_set, key=lambda n: PRIORITY.index(n) if n in PRIORITY else len(PRIORITY))
    out, i = [], 0
    while any(i < len(by_set[n]) for n in order):
        out += [by_set[n][i] for n in order if i < len(by_set[n])]
        i += 1
    return out


def measure(sets, cache: EngineCache, budget_s: float, sp, log=print) -> list[dict]:
    """Rows of the table. Full comparisons missing from ``cache`` are computed for whole queries
    (each mate and every non-mate of a query: "above every non-mate" needs them all) while the
    budget lasts; a query is started only when the comparisons it still needs fit in what is left at
    the mean time per comparison so far (the budget is overrun by at most about one query)."""
    units = []
    for set_name, (queries, gallery) in sets.items():
        for q in queries:
            gal = [g for g in gallery if g.case != q.case]
            mate = np.array([g.firearm == q.firearm for g in gal])
            if not mate.any() or mate.all():
                continue
            t1, t1b = screening_scores(q, gal, sp)
            eng = np.array([np.nan if (s := cache.get(q.sig, g.sig)) is None else s for g in gal])
            units.append(_Query(set_name, q, gal, mate, t1, t1b, eng))
        log(f"{set_name}: {len(queries)} queries screened", flush=True)
    t_end = time.monotonic() + budget_s
    n_done, t_spent = 0, 0.0
    for u in _plan(units):
        missing = np.flatnonzero(~np.isfinite(u.eng))
        if not missing.size:
            continue
        per = t_spent / n_done if n_done else 0.0
        if time.monotonic() + per * missing.size > t_end:
            continue  # a smaller query of another set may still fit
        for j in missing:
            t = time.perf_counter()
            u.eng[j] = cache.compute(u.q.sig, u.gal[j].sig)
            t_spent += time.perf_counter() - t
            n_done += 1
        log(f"  {u.set_name} {u.q.name}: {missing.size} compared ({n_done} in {t_spent:.0f}s)", flush=True)
    rows = []
    for u in units:
        eng, mate = u.eng, u.mate
        checked = bool(np.isfinite(eng).all())
        non = np.flatnonzero(~mate)
        top_non = float(np.nanmax(eng[non])) if np.isfinite(eng[non]).any() else np.nan
        for j in np.flatnonzero(mate):
            # unchecked: the label stands in for the engine's verdict (engine_checked 0)
            above = (eng[j] > top_non) if checked else True
            rows.append({
                "set": u.set_name, "query": u.q.name, "mate": u.gal[j].name, "gallery": len(u.gal),
                "engine_checked": int(checked), "engine_score": round(float(eng[j]), 3) if np.isfinite(eng[j]) else "",
                "engine_top_non_mate": round(top_non, 3) if np.isfinite(top_non) else "",
                "engine_above_all": int(bool(above)),
                "tier1_rank": _rank(u.t1, j), "tier1_z": round(_z(u.t1, j, non), 2),
                "tier1b_rank": _rank(u.t1b, j), "tier1b_z": round(_z(u.t1b, j, non), 2),
            })
    return rows


def summarise(rows: list[dict]) -> list[dict]:
    """One row per set, over the mates the engine ranks above every non-mate (where the engine was
    not run for a query, the label stands in). ``engine_checked``: mates of queries compared in full
    with their whole gallery, of all mates; ``engine_not_above_all``: of those, mates the full
    comparison itself does not rank above every non-mate (left out of the figures)."""
    out = []
    for set_name in dict.fromkeys(r["set"] for r in rows):
        every = [r for r in rows if r["set"] == set_name]
        sub = [r for r in every if r["engine_above_all"]]
        if not sub:
            continue
        by_q: dict[str, list[dict]] = {}
        for r in sub:
            by_q.setdefault(r["query"], []).append(r)
        best1b = [min(x["tier1b_rank"] for x in v) for v in by_q.values()]
        out.append({
            "set": set_name, "queries": len(by_q), "mates": len(sub),
            "engine_checked": f"{sum(r['engine_checked'] for r in every)}/{len(every)}",
            "engine_not_above_all": sum(1 for r in every if r["engine_checked"] and not r["engine_above_all"]),
            "tier1_worst_rank": max(r["tier1_rank"] for r in sub),
            "tier1_min_z": min(r["tier1_z"] for r in sub),
            "tier1b_worst_rank": max(r["tier1b_rank"] for r in sub),
            "tier1b_min_z": min(r["tier1b_z"] for r in sub),
            "tier1b_median_z": round(float(np.median([r["tier1b_z"] for r in sub])), 2),
            "best_mate_tier1b_worst_rank": max(best1b),
            "mates_in_tier1b_top10": round(float(np.mean([r["tier1b_rank"] <= 10 for r in sub])), 3),
        })
    return out


def main() -> None:
    from ballistics_core.search import SearchParams

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sets", nargs="+", default=["fadul", "dfsc", "fadul_raw", "dfsc_raw", "rendered_2d", *TRANSFORMS])
    ap.add_argument("--n-transformed", type=int, default=None, help="Fadul scans transformed per transform (default all 40)")
    ap.add_argument("--engine-cache", default=str(OUT / "engine_scores.jsonl"))
    ap.add_argument("--compare-budget", type=float, default=0.0, help="seconds for missing full comparisons")
    ap.add_argument("--out", default=str(OUT / "screening_vs_engine.csv"))
    args = ap.parse_args()

    t0 = time.perf_counter()
    sets = build_sets(args.sets, args.n_transformed)
    print(f"signatures in {time.perf_counter() - t0:.0f}s", flush=True)
    rows = measure(sets, EngineCache(Path(args.engine_cache)), args.compare_budget, SearchParams())
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    summary = summarise(rows)
    with open(out.with_name(out.stem + "_summary.csv"), "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(summary[0]))
        w.writeheader()
        w.writerows(summary)
    keys = list(summary[0])
    print("| " + " | ".join(keys) + " |")
    print("|" + "---|" * len(keys))
    for s in summary:
        print("| " + " | ".join(str(s[k]) for k in keys) + " |")


if __name__ == "__main__":
    main()
