"""Tier 1: screen a whole shard with one matrix-vector product over its descriptors."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date
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
    """A shard's live descriptors as one contiguous (N, D) float32 matrix, with its keys and filter columns."""

    matrix: np.ndarray
    sha256: np.ndarray  # (N,) str
    columns: dict  # field -> (N,) object array of str

    def mask(self, filters: Filters | None, exclude: frozenset = frozenset()) -> np.ndarray | None:
        m = None
        if filters is not None and filters.active():
            m = np.ones(len(self.sha256), bool)
            for fld in ("calibre", "firing_pin_class", "jurisdiction"):
                want = getattr(filters, fld)
                if want is not None:
                    m &= np.char.lower(self.columns[fld].astype(str)) == want.lower()
            dates = self.columns["date"].astype(str)
            if filters.date_from is not None:
                m &= (dates != "") & (dates >= filters.date_from)
            if filters.date_to is not None:
                m &= (dates != "") & (dates <= filters.date_to)
        if exclude:
            ex = np.isin(self.sha256, list(exclude))
            m = ~ex if m is None else m & ~ex
        return m


SCORE_DECIMALS = 6

_CACHE: "OrderedDict[tuple, ShardIndex]" = OrderedDict()
_CACHE_LOCK = threading.Lock()
_CACHE_SIZE = 8


def load_shard(store: SignatureStore, shard: int) -> ShardIndex:
    """Build (or reuse) the in-memory index of ``shard``; rebuilt when the store's generation changes."""
    key = (str(store.path.resolve()), shard, store.generation, store.n_shards)
    with _CACHE_LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
    cat = store.catalog()
    mats, shas = [], []
    cols = {k: [] for k in ("calibre", "firing_pin_class", "jurisdiction", "date")}
    for s in store.shard_segments(shard):
        idx = store.segment_index(s["file"])
        live = [i for i, sha in enumerate(idx.sha256) if sha in cat]
        if not live:
            continue
        d = seg.read_descriptors(Path(store.path) / s["file"])
        mats.append(d[live] if len(live) < len(idx.sha256) else d)
        shas += [idx.sha256[i] for i in live]
        for k in cols:
            cols[k] += [str(idx.meta[i].get(k, "") or "") for i in live]
    matrix = np.ascontiguousarray(np.concatenate(mats) if mats else np.zeros((0, store.descriptor_dim), np.float32))
    index = ShardIndex(matrix, np.array(shas, dtype=object), {k: np.array(v, dtype=object) for k, v in cols.items()})
    with _CACHE_LOCK:
        _CACHE[key] = index
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return index


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
           exclude: frozenset = frozenset()) -> list[tuple[float, str]]:
    """Top ``k`` (score, sha256) of one shard by descriptor dot product."""
    if index.matrix.shape[0] == 0:
        return []
    scores = index.matrix @ np.asarray(query, np.float32)
    m = index.mask(filters, exclude)
    if m is not None:
        scores = np.where(m, scores, -np.inf)
    # BLAS blocking makes the last float32 bit depend on where a row sits in the
    # matrix; rounding to 1e-6 makes scores (and their order) independent of how
    # the store is split into shards
    scores = np.round(scores.astype(np.float64), SCORE_DECIMALS)
    idx = top_k(scores, k)
    return [(float(scores[i]), str(index.sha256[i])) for i in idx if np.isfinite(scores[i])]
