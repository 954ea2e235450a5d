"""Recently opened candidates: their comparison and rendered figures, kept in memory.

Comparing a pair takes about a second and rendering its figures a little more; the
candidate page and its three images would otherwise repeat that work four times.
Each key is computed once even when several requests ask at the same moment
(the others wait for the first), and the least recently used entries are dropped.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Callable, Hashable, TypeVar

from service.reports.figures import review_figures
from service.reports.pairs import ComparedPair

T = TypeVar("T")


@dataclass(frozen=True, eq=False)
class RenderedFigure:
    png: bytes
    alt: str


@dataclass(frozen=True, eq=False)
class ReviewMaterial:
    """What the review page of one candidate shows."""

    pair: ComparedPair
    figures: dict[str, RenderedFigure]


def render_material(pair: ComparedPair) -> ReviewMaterial:
    figures = {name: RenderedFigure(f.png(dpi=100), f.alt) for name, f in review_figures(pair).items()}
    return ReviewMaterial(pair=pair, figures=figures)


class SingleFlightLRU:
    """A bounded LRU whose values are computed once per key, whoever asks first."""

    def __init__(self, max_entries: int):
        self.max_entries = max_entries
        self._lock = threading.Lock()
        self._items: OrderedDict[Hashable, Future] = OrderedDict()

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        with self._lock:
            fut = self._items.get(key)
            owner = fut is None
            if owner:
                fut = self._items[key] = Future()
                while len(self._items) > self.max_entries:
                    self._items.popitem(last=False)
            else:
                self._items.move_to_end(key)
        if owner:
            try:
                fut.set_result(compute())
            except BaseException as exc:
                # A failure is not remembered: the next request tries again.
                with self._lock:
                    if self._items.get(key) is fut:
                        del self._items[key]
                fut.set_exception(exc)
        return fut.result()

    def __contains__(self, key: Hashable) -> bool:
        with self._lock:
            fut = self._items.get(key)
            return fut is not None and fut.done() and fut.exception() is None

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)


class ReviewCache:
    """Review material per (run, candidate)."""

    def __init__(self, max_candidates: int = 16):
        self._lru = SingleFlightLRU(max_candidates)

    def material(self, run_id: int, candidate_id: int, compare: Callable[[], ComparedPair]) -> ReviewMaterial:
        return self._lru.get((run_id, candidate_id), lambda: render_material(compare()))

    def __contains__(self, key: tuple[int, int]) -> bool:
        return key in self._lru


_APP_LOCK = threading.Lock()


def review_cache(state) -> ReviewCache:
    """The cache kept on an application's ``state`` (created on first use)."""
    with _APP_LOCK:
        cache = getattr(state, "review_cache", None)
        if cache is None:
            cache = state.review_cache = ReviewCache()
        return cache
