"""Two-tier ranked search over a (possibly sharded) signature store.

Phase 1 screens every shard with its descriptor matrix and keeps the global top
``rescore`` candidates; phase 2 runs the full comparison on those candidates,
grouped by the shard that holds them. Each shard's work is a plain function of
(store path, shard, inputs), so it runs the same in this process or as a task
on a Dask cluster, and the merge (sort by score, then by SHA-256) is
deterministic: both executors give identical rankings.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ballistics_core.errors import BallisticsError
from ballistics_core.search.tier1 import Filters, load_shard, screen
from ballistics_core.store import SignatureStore

DEFAULT_RESCORE = 10


@dataclass(frozen=True)
class Hit:
    """One row of a ranked list."""

    rank: int
    sha256: str
    candidate: str
    tier1_score: float
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


@dataclass
class SearchResult:
    hits: list[Hit]
    n_screened: int
    n_rescored: int
    params_digest: str
    algorithm_version: str
    timings: dict = field(default_factory=dict)


# ---- picklable transport of a Signature (its meta is a read-only mapping proxy) ----------------
def _pack(sig) -> dict:
    return {
        "surface": np.asarray(sig.surface), "spacing_um": sig.spacing_um, "descriptor": np.asarray(sig.descriptor),
        "firing_pin": None if sig.firing_pin is None else np.asarray(sig.firing_pin),
        "firing_pin_spacing_um": sig.firing_pin_spacing_um, "kind": sig.kind,
        "algorithm_version": sig.algorithm_version, "params_digest": sig.params_digest,
        "source_sha256": sig.source_sha256, "meta": dict(sig.meta),
    }


def _unpack(d: dict):
    from ballistics_core.signature.model import Signature

    return Signature(**d)


# ---- shard tasks -----------------------------------------------------------------------------
_STORES: dict[str, SignatureStore] = {}
_STORES_LOCK = __import__("threading").Lock()


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


def screen_shard(store_path: str, shard: int, descriptor: np.ndarray, k: int,
                 filters: Filters | None, exclude: frozenset) -> tuple[int, list[tuple[float, str, int]]]:
    """(live rows screened, top ``k`` as (score, sha256, shard)) of one shard."""
    store = _open_store(store_path)
    index = load_shard(store, shard)
    names = index.columns["name"]
    return index.n_live, [(s, sha, shard, str(names[index.row_of(sha)]))
                          for s, sha in screen(index, descriptor, k, filters=filters, exclude=exclude)]


def rescore_shard(store_path: str, query: dict, candidates: list[tuple[float, str, str]],
                  compare_params: Any = None) -> list[dict]:
    from ballistics_core.engine import compare_signatures, prepare_signature

    store = _open_store(store_path)
    q = _unpack(query)
    out = []
    prepared = {}  # the query's per-scan work, once per sampling it meets
    for tier1, sha, name in candidates:
        cand = store.load_signature(sha)
        common = max(q.spacing_um, cand.spacing_um)
        if common not in prepared:
            prepared[common] = prepare_signature(q, params=compare_params, spacing_um=common)
        c = compare_signatures(q, cand, params=compare_params, prepared=(prepared[common], None))
        out.append({
            "sha256": sha, "candidate": name, "tier1_score": tier1,
            "breech_face": _f(getattr(c, "breech_face_score", None)),
            "firing_pin": _f(getattr(c, "firing_pin_score", None)),
            "fused": _f(c.score), "log10_lr": _f(getattr(c, "log10_lr", None)),
            "decision": str(getattr(c, "decision", "")), "cmc": _i(getattr(c, "cmc", None)),
            "rotation_deg": _f(getattr(c, "rotation_deg", None)),
            "translation_um": tuple(float(t) for t in c.translation_um) if getattr(c, "translation_um", None) is not None else None,
        })
    return out


def _f(x):
    return None if x is None else float(x)


def _i(x):
    return None if x is None else int(x)


# ---- executors ---------------------------------------------------------------------------------
class _Local:
    def map(self, fn, calls):
        return [fn(*args) for args in calls]

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

    def map(self, fn, calls):
        futures = [self.client.submit(fn, *args, pure=False) for args in calls]
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


# ---- the search --------------------------------------------------------------------------------
def search(store: SignatureStore | str | Path, query, *, top: int = 10, rescore: int | None = None,
           filters: Filters | None = None, exclude: tuple | frozenset = (), tier2: bool = True,
           executor: str = "local", scheduler_address: str | None = None, client=None,
           compare_params: Any = None, _executor=None) -> SearchResult:
    """Rank stored signatures against ``query`` (a Signature).

    Parameters
    ----------
    store : SignatureStore or path
    query : Signature
        Must carry the store's parameter digest.
    top : int
        Rows returned.
    rescore : int, optional
        Candidates passed to the full comparison (default ``max(top, 10)``).
    filters : Filters, optional
        Metadata constraints applied before screening.
    exclude : iterable of str
        Source SHA-256s never returned (leave-one-out evaluation).
    tier2 : bool
        False returns the tier-1 ranking only (scores in ``tier1_score``).
    executor : {"local", "dask"}
        Where shard tasks run; ``scheduler_address`` or ``client`` selects a Dask cluster.
    """
    import time

    from ballistics_core.errors import ParamsMismatchError

    st = store if isinstance(store, SignatureStore) else SignatureStore.open(store)
    path = str(st.path.resolve())
    if query.params_digest != st.params_digest:
        raise ParamsMismatchError(
            f"query was made with parameter digest {query.params_digest}, the store holds {st.params_digest}")
    k = max(top, rescore if rescore is not None else DEFAULT_RESCORE)
    exclude = frozenset(exclude)
    ex = _executor or make_executor(executor, client=client, scheduler_address=scheduler_address)
    timings = {}
    try:
        t0 = time.perf_counter()
        desc = np.asarray(query.descriptor, np.float32)
        per_shard = ex.map(screen_shard, [(path, s, desc, k, filters, exclude) for s in range(st.n_shards)])
        n_screened = sum(n for n, _ in per_shard)
        pooled = sorted((c for _, part in per_shard for c in part), key=lambda c: (-c[0], c[1]))[:k]
        timings["tier1_s"] = time.perf_counter() - t0
        if not tier2:
            hits = [Hit(rank=i + 1, sha256=sha, candidate=name, tier1_score=s)
                    for i, (s, sha, _, name) in enumerate(pooled[:top])]
            return SearchResult(hits, n_screened, 0, st.params_digest, st.algorithm_version, timings)
        t1 = time.perf_counter()
        groups: dict[int, list] = {}
        for score, sha, shard, name in pooled:
            groups.setdefault(shard, []).append((score, sha, name))
        packed = _pack(query)
        rows = ex.map(rescore_shard, [(path, packed, cands, compare_params) for _, cands in sorted(groups.items())])
        timings["tier2_s"] = time.perf_counter() - t1
    finally:
        if _executor is None:
            ex.close()
    flat = sorted((r for part in rows for r in part),
                  key=lambda r: (-(r["fused"] if r["fused"] is not None else -np.inf), -r["tier1_score"], r["sha256"]))
    hits = [Hit(rank=i + 1, **r) for i, r in enumerate(flat[:top])]
    return SearchResult(hits, n_screened, len(flat), st.params_digest, st.algorithm_version, timings)
