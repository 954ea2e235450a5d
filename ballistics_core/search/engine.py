"""Three-tier ranked search over a (possibly sharded) signature store.

Tier 1 screens every shard with its descriptor matrix (one matrix product) and
keeps the global top ``shortlist`` (a fixed fraction of the store once that is larger). Tier 1b re-ranks that shortlist by the
rotation-searched correlation of ring spectra (:mod:`ballistics_core.signature.polar`),
which keeps the phase the descriptor throws away, and keeps the top
``rescore``. Tier 2 runs the full comparison on those, one task per candidate.
Each task is a plain function of (store path, inputs), so it runs the same in
this process or on a Dask cluster, and every merge (sort by score, then by
SHA-256) is deterministic: both executors give identical rankings.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ballistics_core.errors import BallisticsError
from ballistics_core.params import DigestMixin
from ballistics_core.search.tier1 import Filters, load_shard, screen
from ballistics_core.store import SignatureStore
from ballistics_core.store import segment as seg

DEFAULT_RESCORE = 10

Progress = Callable[[float], None]


@dataclass(frozen=True)
class SearchParams(DigestMixin):
    """How a search narrows the store down (not part of any score).

    Attributes
    ----------
    shortlist : int
        Least number of tier-1 candidates passed to the ring-spectra tier
        (about 0.25 ms each on one core). Up to 10,000 signatures the ring
        tier sees the whole store.
    shortlist_fraction : float
        Beyond that, this fraction of the stored rows. The descriptor is the
        weak link: on DFSC scans (another instrument) among 100,000 synthetic
        faces it put the best true mate of one query at rank 5,287 (5.3 % of
        the store), where the ring spectra put it first. A true mate's tier-1
        score sits at a quantile of the distractor scores that does not depend
        on how many are stored, so a fixed-size shortlist would lose such mates
        as the store grows, while a fixed fraction keeps them (10 % leaves a
        margin of about two). The price is a ring tier that grows with the
        store, in step with tier 1, shard by shard.
    descriptor_centre_um, ring_centre_um : float
        Half-width of the grid of ring-centre offsets at which the query is
        sampled for tier 1 and tier 1b: the fitted aperture centre moves by up
        to about 80 µm between two firings of one gun. The descriptor's grid is
        the wider one: its rings are coarser, so it tolerates a 25 µm step over
        a wider reach, and crescent-shaped faces (DFSC K004, a large aperture
        off the face's centre) need it. With 50 µm, K004xC3's two mates sat at
        the 24th and 55th percentile of 20,000 distractors and were lost among
        100,000 signatures; with 100 µm the worst best mate of any Fadul or
        DFSC query sits at the 3rd percentile (150 µm: the 8th, as distractors
        gain from the wider grid too).
    centre_step_um : float
        Step of those grids.
    rescore_bound : int
        Most full comparisons per query: the first ``rescore`` (default 10) by
        ring score, then deeper while the evidence asks for it (below).
    depth_margin_sd : float
        After a round of full comparisons, every candidate whose ring score
        lies within this many standard deviations (of the ring scores of the
        candidates not yet compared) below that of the weakest mate found so
        far is compared too, and so on, up to ``rescore_bound``: a series
        needs all its links, and a mate's ring score sits near its
        siblings' (on the labelled and transformed sets every mate lies within
        about 3 standard deviations of another mate of its query).
    mate_log10_lr : float
        A compared candidate whose calibrated log10 LR reaches this counts as
        a mate found, for the depth rule only (ranking is by the score itself).
        Set low on purpose (LR 1: any support for the same firearm): a non-mate
        above it only costs comparisons (within the bound), a mate below it
        stops the rule early. On the labelled sets (Fadul, DFSC, raw against
        all) every same-firearm pair reaches the upper ELUB bound (about +3)
        and leave-one-firearm-out different-firearm pairs stay below +0.7.
    """

    shortlist: int = 10_000
    shortlist_fraction: float = 0.1
    descriptor_centre_um: float = 100.0
    ring_centre_um: float = 75.0
    centre_step_um: float = 25.0
    rescore_bound: int = 20
    depth_margin_sd: float = 3.0
    mate_log10_lr: float = 0.0

    def __post_init__(self):
        if self.shortlist < 1:
            raise ValueError(f"shortlist must be at least 1, got {self.shortlist}")
        if not 0.0 <= self.shortlist_fraction <= 1.0:
            raise ValueError(f"shortlist_fraction must lie in [0, 1], got {self.shortlist_fraction}")
        if self.centre_step_um <= 0 or self.descriptor_centre_um < 0 or self.ring_centre_um < 0:
            raise ValueError("centre grids need centre_step_um > 0 and non-negative half-widths (µm)")
        if self.rescore_bound < 1 or self.depth_margin_sd < 0:
            raise ValueError("rescore_bound must be at least 1 and depth_margin_sd non-negative")


@dataclass(frozen=True)
class Hit:
    """One row of a ranked list."""

    rank: int
    sha256: str
    candidate: str
    tier1_score: float
    ring_score: float | None = None
    breech_face: float | None = None
    firing_pin: float | None = None
    fused: float | None = None
    log10_lr: float | None = None
    decision: str = ""
    cmc: int | None = None
    rotation_deg: float | None = None
    translation_um: tuple | None = None

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Depth:
    """How deep the full comparison went down the ring-score ranking.

    Attributes
    ----------
    compared : int
        Candidates given the full comparison (the first ``initial``, then deeper).
    initial : int
        Compared unconditionally.
    bound : int
        The most that would have been compared.
    mates_found : int
        Compared candidates whose log10 LR reaches ``SearchParams.mate_log10_lr``.
    ring_floor : float or None
        Ring score down to which the evidence asked for comparisons (weakest
        mate's ring score less the margin); None when no mate was found.
    next_ring_score : float or None
        Ring score of the best candidate not compared (None: all were).
    bound_reached : bool
        True when candidates above ``ring_floor`` were left uncompared because
        of ``bound``: the list may then miss mates.
    """

    compared: int
    initial: int
    bound: int
    mates_found: int = 0
    ring_floor: float | None = None
    next_ring_score: float | None = None
    bound_reached: bool = False

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class SearchResult:
    hits: list[Hit]
    n_screened: int
    n_rescored: int
    params_digest: str
    algorithm_version: str
    search_params_digest: str = ""
    n_shortlisted: int = 0
    timings: dict = field(default_factory=dict)
    depth: Depth | None = None
    kind: str = ""  # the query's kind; only stored signatures of this kind were searched
    n_other_kind: int = 0  # live stored signatures of the other kind, not searched

    def scope(self) -> dict:
        """What was searched, for a run's record: the query's kind and how many of the other were left out."""
        return {"kind": self.kind, "screened": self.n_screened, "other_kind_not_searched": self.n_other_kind}


# ---- picklable transport of a Signature (its meta is a read-only mapping proxy) ----------------
def _pack(sig) -> dict:
    return {
        "surface": np.asarray(sig.surface), "spacing_um": sig.spacing_um, "descriptor": np.asarray(sig.descriptor),
        "ring_spectra": None if sig.ring_spectra is None else np.asarray(sig.ring_spectra),
        "firing_pin": None if sig.firing_pin is None else np.asarray(sig.firing_pin),
        "firing_pin_spacing_um": sig.firing_pin_spacing_um, "kind": sig.kind,
        "algorithm_version": sig.algorithm_version, "params_digest": sig.params_digest,
        "source_sha256": sig.source_sha256, "meta": dict(sig.meta),
    }


def _unpack(d: dict):
    from ballistics_core.signature.model import Signature

    return Signature(**d)


# ---- tasks -------------------------------------------------------------------------------------
_STORES: dict[str, SignatureStore] = {}
_STORES_LOCK = threading.Lock()


def _open_store(path: str) -> SignatureStore:
    """A per-process store object, refreshed when the manifest moves on, so that
    segment indexes and the catalog are read once per process, not once per task."""
    fresh = SignatureStore.open(path)
    with _STORES_LOCK:
        cached = _STORES.get(path)
        if cached is None or cached.store_id != fresh.store_id:
            _STORES[path] = fresh
            return fresh
        if cached.generation != fresh.generation:
            cached.refresh()
        return cached


def screen_shard(store_path: str, shard: int, descriptors: np.ndarray, k: int,
                 filters: Filters | None, exclude: frozenset, kind: str | None = None
                 ) -> tuple[int, int, list[tuple[float, str, int, str]]]:
    """Tier 1 of one shard: (live rows of ``kind`` screened, live rows of another kind left out,
    top ``k`` as (score, sha256, shard, name)). ``kind`` None screens every row."""
    store = _open_store(store_path)
    index = load_shard(store, shard)
    names = index.columns["name"]
    n = index.n_live if kind is None else index.n_live_of_kind(kind)
    return n, index.n_live - n, [(s, sha, shard, str(names[index.row_of(sha)]))
                                 for s, sha in screen(index, descriptors, k, filters=filters, exclude=exclude, kind=kind)]


def ring_shard(store_path: str, query_rings: np.ndarray, candidates: list[tuple[float, str, int, str]]
               ) -> list[tuple[float, float, str, str]]:
    """Tier 1b of one shard's candidates: (ring score, tier-1 score, sha256, name) each."""
    from ballistics_core.signature.polar import polar_correlation

    store = _open_store(store_path)
    cat = store.catalog()
    by_file: dict[str, list[int]] = {}
    for i, (_, sha, _, _) in enumerate(candidates):
        by_file.setdefault(cat[sha].file, []).append(i)
    rings = np.zeros((len(candidates), *store.ring_shape), np.complex64)
    for f, idx in by_file.items():
        rings[idx] = seg.read_ring_spectra(store.path / f, [cat[candidates[i][1]].row for i in idx])
    scores = polar_correlation(query_rings, rings)
    return [(round(float(r), 6), t1, sha, name) for r, (t1, sha, _, name) in zip(scores, candidates)]


def rescore_one(store_path: str, query: dict, candidate: tuple[float, float | None, str, str],
                compare_params: Any = None) -> dict:
    """Tier 2: the full comparison of the query with one stored candidate."""
    from ballistics_core.engine import compare_signatures

    store = _open_store(store_path)
    tier1, ring, sha, name = candidate
    q, cand = _unpack(query), store.load_signature(sha)
    c = compare_signatures(q, cand, params=compare_params,
                           prepared=(_prepared_query(q, max(q.spacing_um, cand.spacing_um), compare_params), None))
    return {
        "sha256": sha, "candidate": name, "tier1_score": tier1, "ring_score": ring,
        "breech_face": _f(getattr(c, "breech_face_score", None)),
        "firing_pin": _f(getattr(c, "firing_pin_score", None)),
        "fused": _f(c.score), "log10_lr": _f(getattr(c, "log10_lr", None)),
        "decision": str(getattr(c, "decision", "")), "cmc": _i(getattr(c, "cmc", None)),
        "rotation_deg": _f(getattr(c, "rotation_deg", None)),
        "translation_um": tuple(float(t) for t in c.translation_um) if getattr(c, "translation_um", None) is not None else None,
    }


_PREPARED: "OrderedDict[tuple, Any]" = OrderedDict()


def _prepared_query(q, spacing_um: float, params) -> Any:
    """The query's per-scan comparison work, kept while this process rescores its candidates."""
    from ballistics_core.engine import DEFAULT_PARAMS, prepare_signature

    params = params or DEFAULT_PARAMS
    key = (q.source_sha256, q.params_digest, float(spacing_um), params.digest())
    with _STORES_LOCK:
        hit = _PREPARED.get(key)
    if hit is None:
        hit = prepare_signature(q, params=params, spacing_um=spacing_um)
        with _STORES_LOCK:
            _PREPARED[key] = hit
            while len(_PREPARED) > 4:
                _PREPARED.popitem(last=False)
    return hit


def _f(x):
    return None if x is None else float(x)


def _i(x):
    return None if x is None else int(x)


# ---- executors ---------------------------------------------------------------------------------
class _Local:
    def map(self, fn, calls, done: Callable[[int, int], None] | None = None):
        calls = list(calls)
        out = []
        for i, args in enumerate(calls, start=1):
            out.append(fn(*args))
            if done:
                done(i, len(calls))
        return out

    def close(self):
        pass


class _Dask:
    def __init__(self, client=None, scheduler_address: str | None = None):
        from distributed import Client, LocalCluster

        self._own = client is None
        self._cluster = None
        if client is not None:
            self.client = client
        elif scheduler_address:
            self.client = Client(scheduler_address)
        else:
            self._cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
            self.client = Client(self._cluster)

    def map(self, fn, calls, done: Callable[[int, int], None] | None = None):
        from distributed import as_completed

        futures = [self.client.submit(fn, *args, pure=False) for args in calls]
        if done:
            for i, _ in enumerate(as_completed(futures), start=1):
                done(i, len(futures))
        return self.client.gather(futures)

    def close(self):
        if self._own:
            self.client.close()
            if self._cluster is not None:
                self._cluster.close()


def make_executor(executor: str = "local", *, client=None, scheduler_address: str | None = None):
    if executor == "local":
        return _Local()
    if executor == "dask":
        return _Dask(client, scheduler_address)
    raise BallisticsError(f"unknown executor {executor!r}: use 'local' or 'dask'")


def _stage(progress: Progress | None, lo: float, hi: float):
    if progress is None:
        return None
    return lambda i, n: progress(lo + (hi - lo) * i / max(n, 1))


# ---- the search --------------------------------------------------------------------------------
def sample_query(query, *, params, search_params: SearchParams) -> tuple[np.ndarray, np.ndarray]:
    """The query's descriptors (tier 1) and ring spectra (tier 1b) at the search's grids of ring centres.

    Returns ``(M1, D)`` float32 descriptors and ``(M2, R, K)`` complex64 spectra.
    """
    from ballistics_core.signature.descriptor import compute_descriptor
    from ballistics_core.signature.polar import centre_offsets, ring_spectra

    sp = search_params
    surface = np.asarray(query.surface, np.float32)
    descs = compute_descriptor(surface, spacing_um=query.spacing_um, params=params.descriptor,
                               offsets_um=centre_offsets(radius_um=sp.descriptor_centre_um, step_um=sp.centre_step_um))
    rings = ring_spectra(surface, spacing_um=query.spacing_um, params=params.polar,
                         offsets_um=centre_offsets(radius_um=sp.ring_centre_um, step_um=sp.centre_step_um))
    return descs, rings


def search(store: SignatureStore | str | Path, query, *, top: int = 10, rescore: int | None = None,
           filters: Filters | None = None, exclude: tuple | frozenset = (), tier2: bool = True,
           executor: str = "local", scheduler_address: str | None = None, client=None,
           compare_params: Any = None, search_params: SearchParams | None = None,
           progress: Progress | None = None, pool=None) -> SearchResult:
    """Rank stored signatures against ``query`` (a Signature).

    Parameters
    ----------
    store : SignatureStore or path
    query : Signature
        Must carry the store's parameter digest. Only stored signatures of its
        ``kind`` are searched (2-D images with 2-D images, 3-D scans with 3-D
        scans); ``SearchResult.n_other_kind`` counts those left out.
    top : int
        Rows returned.
    rescore : int, optional
        Candidates passed to the full comparison unconditionally (default
        ``max(top, 10)``); more follow, up to ``SearchParams.rescore_bound``,
        while mates found so far have ring scores within the margin of them
        (:class:`Depth` in the result says how deep it went). Rows of
        ``top`` beyond those compared follow by ring score, ``fused`` None.
    filters : Filters, optional
        Metadata constraints applied before screening.
    exclude : iterable of str
        Source SHA-256s never returned (leave-one-out evaluation).
    tier2 : bool
        False stops after tier 1b (``tier1_score`` and ``ring_score`` only).
    executor : {"local", "dask"}
        Where the tasks run; ``scheduler_address`` or ``client`` selects a Dask cluster.
    compare_params : EngineParams, optional
        Engine parameters the store was built with (default: the shipped ones).
    search_params : SearchParams, optional
    progress : callable, optional
        Called with the fraction done (0-1) as tasks finish.
    pool : executor, optional
        A :func:`make_executor` object to reuse across searches (the caller closes it).
    """
    from ballistics_core.engine import DEFAULT_PARAMS
    from ballistics_core.errors import ParamsMismatchError

    sp = search_params or SearchParams()
    params = compare_params or DEFAULT_PARAMS
    st = store if isinstance(store, SignatureStore) else SignatureStore.open(store)
    path = str(st.path.resolve())
    if query.params_digest != st.params_digest:
        raise ParamsMismatchError(
            f"query was made with parameter digest {query.params_digest}, the store holds {st.params_digest}")
    if params.digest() != st.params_digest:
        raise ParamsMismatchError(
            f"search was given engine parameters {params.digest()}, the store holds {st.params_digest}")
    # an explicit ``rescore`` below ``top`` fills the rest of the list by ring score (fused None)
    n_rescore = rescore if rescore is not None else max(top, DEFAULT_RESCORE)
    k1 = max(n_rescore, sp.shortlist, int(np.ceil(sp.shortlist_fraction * st.n_rows)))
    exclude = frozenset(exclude)
    ex = pool or make_executor(executor, client=client, scheduler_address=scheduler_address)
    timings = {}
    try:
        t0 = time.perf_counter()
        descs, rings = sample_query(query, params=params, search_params=sp)
        timings["query_s"] = time.perf_counter() - t0

        t0 = time.perf_counter()
        # only signatures of the query's kind: the engine refuses to compare a 2-D image with a
        # 3-D scan, and one such pair in tier 2 would fail the whole search
        per_shard = ex.map(screen_shard, [(path, s, descs, k1, filters, exclude, query.kind)
                                          for s in range(st.n_shards)], _stage(progress, 0.0, 0.05))
        n_screened = sum(n for n, _, _ in per_shard)
        n_other_kind = sum(o for _, o, _ in per_shard)
        shortlist = sorted((c for _, _, part in per_shard for c in part), key=lambda c: (-c[0], c[1]))[:k1]
        timings["tier1_s"] = time.perf_counter() - t0

        t0 = time.perf_counter()
        groups: dict[int, list] = {}
        for c in shortlist:
            groups.setdefault(c[2], []).append(c)
        ranked = ex.map(ring_shard, [(path, rings, cands) for _, cands in sorted(groups.items())],
                        _stage(progress, 0.05, 0.15))
        ranked = sorted((r for part in ranked for r in part), key=lambda r: (-r[0], -r[1], r[2]))
        timings["tier1b_s"] = time.perf_counter() - t0
        if not tier2:
            hits = [Hit(rank=i + 1, sha256=sha, candidate=name, tier1_score=t1, ring_score=r)
                    for i, (r, t1, sha, name) in enumerate(ranked[:top])]
            return SearchResult(hits, n_screened, 0, st.params_digest, st.algorithm_version, sp.digest(),
                                len(shortlist), timings, Depth(0, 0, 0), query.kind, n_other_kind)

        t0 = time.perf_counter()
        packed = _pack(query)
        bound = max(n_rescore, sp.rescore_bound)

        def compare(batch, lo, hi):
            return ex.map(rescore_one, [(path, packed, (t1, r, sha, name), compare_params)
                                        for r, t1, sha, name in batch], _stage(progress, lo, hi))

        rows = compare(ranked[:n_rescore], 0.15, 0.15 + 0.85 * n_rescore / bound)
        depth = _deepen(ranked, rows, n_rescore, bound, sp,
                        lambda batch: compare(batch, 0.15 + 0.85 * len(rows) / bound, 1.0))
        timings["tier2_s"] = time.perf_counter() - t0
    finally:
        if pool is None:
            ex.close()
    rows.sort(key=lambda r: (-(r["fused"] if r["fused"] is not None else -np.inf), -r["ring_score"], r["sha256"]))
    hits = [Hit(rank=i + 1, **r) for i, r in enumerate(rows[:top])]
    hits += [Hit(rank=len(hits) + i + 1, sha256=sha, candidate=name, tier1_score=t1, ring_score=r)
             for i, (r, t1, sha, name) in enumerate(ranked[depth.compared: depth.compared + top - len(hits)])]
    return SearchResult(hits, n_screened, len(rows), st.params_digest, st.algorithm_version, sp.digest(),
                        len(shortlist), timings, depth, query.kind, n_other_kind)


def _deepen(ranked: list, rows: list, n0: int, bound: int, sp: SearchParams, compare) -> Depth:
    """Compare further down the ring-score ranking while the mates found so far ask for it.

    ``rows`` (the full comparisons of ``ranked[:n0]``) is extended in place.
    The spread of ring scores is that of the candidates not compared at first:
    the bulk of them are non-mates, so it is the scale a screening margin is
    measured on (``benchmarks/screening_vs_engine.py``).
    """
    rest = np.array([r[0] for r in ranked[n0:]], np.float64)
    sd = float(rest.std()) if rest.size > 1 else 0.0
    ring_of = {sha: r for r, _, sha, _ in ranked}
    done = min(n0, len(ranked))
    floor = None
    while True:
        mates = [ring_of[r["sha256"]] for r in rows if r.get("log10_lr") is not None and r["log10_lr"] >= sp.mate_log10_lr]
        if not mates:
            break
        floor = min(mates) - sp.depth_margin_sd * sd
        want = done
        while want < len(ranked) and ranked[want][0] >= floor:
            want += 1
        take = min(want, bound)
        if take <= done:
            break
        rows.extend(compare(ranked[done:take]))
        done = take
    n_mates = sum(1 for r in rows if r.get("log10_lr") is not None and r["log10_lr"] >= sp.mate_log10_lr)
    nxt = float(ranked[done][0]) if done < len(ranked) else None
    return Depth(compared=done, initial=min(n0, len(ranked)), bound=bound, mates_found=n_mates,
                 ring_floor=None if floor is None else round(floor, 6), next_ring_score=nxt,
                 bound_reached=bool(floor is not None and nxt is not None and nxt >= floor))
