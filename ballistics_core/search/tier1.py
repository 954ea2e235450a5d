"""Tier 1: screen a whole shard with one matrix-vector product over its descriptors."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ballistics_core.store import SignatureStore
from ballistics_core.store import segment as seg


@dataclass(frozen=True)
class Filters:
    """Metadata filters; ``None`` means no constraint. Dates compare as ISO strings."""

    calibre: str | None = None
    firing_pin_class: str | None = None
    jurisdiction: str | None = None
    date_from: str | None = None
    date_to: str | None = None

    def active(self) -> bool:
        return any(v is not None for v in (self.calibre, self.firing_pin_class, self.jurisdiction, self.date_from, self.date_to))


@dataclass
class ShardIndex:
    """A shard's descriptors as one contiguous (N, D) float32 matrix, with keys, filter columns and liveness.

    Rows of tombstoned exhibits stay in the matrix (their bytes are zeroed on
    disk) but ``alive`` is False, so a tombstone never forces a rebuild.
    """

    matrix: np.ndarray
    sha256: np.ndarray  # (N,) str
    columns: dict  # field -> (N,) object array of str
    alive: np.ndarray | None = None  # (N,) bool; None = all live
    files: tuple = ()

    def mask(self, filters: Filters | None, exclude: frozenset = frozenset(), kind: str | None = None) -> np.ndarray | None:
        m = None if self.alive is None or self.alive.all() else self.alive.copy()
        if kind is not None:
            same = self.of_kind(kind)
            if not same.all():
                m = same.copy() if m is None else m & same
        if filters is not None and filters.active():
            m = np.ones(len(self.sha256), bool) if m is None else m
            for fld in ("calibre", "firing_pin_class", "jurisdiction"):
                want = getattr(filters, fld)
                if want is not None:
                    m &= np.char.lower(self.columns[fld].astype(str)) == want.lower()
            dates = self.columns["date"].astype(str)
            if filters.date_from is not None:
                m &= (dates != "") & (dates >= filters.date_from)
            if filters.date_to is not None:
                m &= (dates != "") & (dates <= filters.date_to)
        rows = [self.row_of(sha) for sha in exclude]
        rows = [r for r in rows if r is not None]
        if rows:
            m = np.ones(len(self.sha256), bool) if m is None else m
            m[rows] = False
        return m

    def row_of(self, sha: str) -> int | None:
        pos = self.__dict__.get("_pos")
        if pos is None:
            pos = {s: i for i, s in enumerate(self.sha256)}
            self.__dict__["_pos"] = pos
        return pos.get(sha)

    @property
    def n_live(self) -> int:
        return len(self.sha256) if self.alive is None else int(self.alive.sum())

    def of_kind(self, kind: str) -> np.ndarray:
        """(N,) bool: rows of ``kind``, kept between searches (a shard index never changes once built)."""
        key = f"_kind_{kind}"
        same = self.__dict__.get(key)
        if same is None:
            same = self.columns["kind"] == kind
            self.__dict__[key] = same
        return same

    def n_live_of_kind(self, kind: str) -> int:
        same = self.of_kind(kind)
        return int(same.sum() if self.alive is None else (same & self.alive).sum())


SCORE_DECIMALS = 6
FILTER_COLUMNS = ("calibre", "firing_pin_class", "jurisdiction", "date", "name", "kind")

_CACHE: "OrderedDict[tuple, tuple[int, ShardIndex]]" = OrderedDict()
_CACHE_LOCK = threading.Lock()
_CACHE_SIZE = 8


def load_shard(store: SignatureStore, shard: int) -> ShardIndex:
    """The in-memory index of ``shard``, kept between searches.

    Segments never change once committed, so after an append only the new
    segments are read and appended to the cached matrix; a tombstone only
    updates ``alive``.
    """
    key = (str(store.path.resolve()), store.store_id, shard)
    files = tuple(s["file"] for s in store.shard_segments(shard))
    with _CACHE_LOCK:
        hit = _CACHE.get(key)
        if hit is not None:
            _CACHE.move_to_end(key)
            if hit[0] == store.generation:
                return hit[1]
    old = hit[1] if hit is not None and hit[1].files == files[: len(hit[1].files)] else None
    start = len(old.files) if old is not None else 0
    mats = [old.matrix] if old is not None else []
    shas = [old.sha256] if old is not None else []
    cols = {k: [old.columns[k]] if old is not None else [] for k in FILTER_COLUMNS}
    for f in files[start:]:
        idx = store.segment_index(f)
        mats.append(seg.read_descriptors(Path(store.path) / f))
        shas.append(np.array(idx.sha256, dtype=object))
        for k in FILTER_COLUMNS:
            values = (idx.name if k == "name" else idx.kind if k == "kind"
                      else [str(m.get(k, "") or "") for m in idx.meta])
            cols[k].append(np.array(values, dtype=object))
    if mats:
        matrix = mats[0] if len(mats) == 1 else np.concatenate(mats)
        sha = np.concatenate(shas)
        columns = {k: np.concatenate(v) for k, v in cols.items()}
    else:
        matrix = np.zeros((0, store.descriptor_dim), np.float32)
        sha = np.zeros(0, dtype=object)
        columns = {k: np.zeros(0, dtype=object) for k in FILTER_COLUMNS}
    dead = store.tombstones()
    alive = np.array([s not in dead for s in sha], bool) if dead else None
    index = ShardIndex(np.ascontiguousarray(matrix, dtype=np.float32), sha, columns, alive, files)
    with _CACHE_LOCK:
        _CACHE[key] = (store.generation, index)
        _CACHE.move_to_end(key)
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return index


# Below this many rows a multithreaded BLAS matrix-vector product spends more
# on thread hand-off than on memory traffic, and collapses (0.3 GB/s instead of
# ~20 GB/s for 4,000 rows here) when another process holds a core. Parallelism
# across shards is the executor's job.
_SINGLE_THREAD_ROWS = 262_144
_CONTROLLER = None


def _matvec(matrix: np.ndarray, q: np.ndarray) -> np.ndarray:
    """``matrix @ q`` for a (D,) query, or the row-wise best of ``matrix @ q.T`` for (M, D) queries."""
    global _CONTROLLER
    if matrix.shape[0] >= _SINGLE_THREAD_ROWS:
        return _best(matrix, q)
    if _CONTROLLER is None:
        from threadpoolctl import ThreadpoolController

        _CONTROLLER = ThreadpoolController()
    with _CONTROLLER.limit(limits=1, user_api="blas"):
        return _best(matrix, q)


def _best(matrix: np.ndarray, q: np.ndarray) -> np.ndarray:
    if q.ndim == 1:
        return matrix @ q
    # blocks of rows keep the (rows, M) product in cache instead of writing N x M floats out
    out = np.empty(matrix.shape[0], np.float32)
    step = 16384
    for i in range(0, matrix.shape[0], step):
        np.max(matrix[i : i + step] @ q.T, axis=1, out=out[i : i + step])
    return out


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` highest scores, highest first, ties broken by index (deterministic)."""
    n = scores.size
    if n == 0 or k <= 0:
        return np.zeros(0, int)
    if k < n:
        part = np.argpartition(-scores, k - 1)[:k]
        # include every index tied with the k-th score so the tie-break is exact
        kth = scores[part].min()
        part = np.flatnonzero(scores >= kth)
    else:
        part = np.arange(n)
    order = np.lexsort((part, -scores[part]))
    return part[order][:k]


def screen(index: ShardIndex, query: np.ndarray, k: int, *, filters: Filters | None = None,
           exclude: frozenset = frozenset(), kind: str | None = None) -> list[tuple[float, str]]:
    """Top ``k`` (score, sha256) of one shard by descriptor dot product (live, unfiltered-out rows only).

    ``query`` is one descriptor (D,) or several (M, D) (the query sampled at
    several ring centres); a row's score is then its best dot product.
    ``kind`` ("topography" or "intensity") keeps only rows of that kind.
    """
    if index.matrix.shape[0] == 0:
        return []
    scores = _matvec(index.matrix, np.asarray(query, np.float32))
    m = index.mask(filters, exclude, kind)
    if m is not None:
        scores = np.where(m, scores, -np.inf)
    # BLAS blocking makes the last float32 bits depend on where a row sits in the
    # matrix (and so on how the store is split into shards): the top rows, with a
    # margin for near-ties, are scored again in float64 row by row and rounded
    idx = top_k(scores, k + 16 + k // 8)
    idx = idx[np.isfinite(scores[idx])]
    q = np.asarray(query, np.float64).reshape(-1, index.matrix.shape[1])
    exact = np.round(np.max(index.matrix[idx].astype(np.float64) @ q.T, axis=1), SCORE_DECIMALS)
    order = np.lexsort((index.sha256[idx].astype(str), -exact))[:k]  # ties by SHA-256, as the merge
    return [(float(exact[i]), str(index.sha256[idx[i]])) for i in order]
