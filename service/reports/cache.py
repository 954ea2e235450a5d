"""Recently opened candidates: their comparison and rendered figures, kept in memory.

Comparing a pair takes about a second and rendering its figures a little more; the
candidate page and its three images would otherwise repeat that work four times.
Each key is computed once even when several requests ask at the same moment
(the others wait for the first), and the least recently used entries are dropped.

The comparison (and the alignment the figures draw) is the same in every language and
is kept once per (run, candidate); the figures carry words (titles, axes, legends, the
text alternative) and are kept per (run, candidate, language), rendered from that one
comparison. Both caches are bounded: a reader switching languages costs a rendering,
never another comparison.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Callable, Hashable, TypeVar

from service.reports.alignment import Alignment, align_pair
from service.reports.figures import review_figures
from service.reports.pairs import ComparedPair
from service.voice import Voice

T = TypeVar("T")


@dataclass(frozen=True, eq=False)
class RenderedFigure:
    png: bytes
    alt: str


@dataclass(frozen=True, eq=False)
class ReviewMaterial:
    """What the review page of one candidate shows, in one language."""

    pair: ComparedPair
    figures: dict[str, RenderedFigure]
    lang: str = "en"


def render_material(pair: ComparedPair, v: Voice | None = None, alignment: Alignment | None = None) -> ReviewMaterial:
    v = v or Voice("en")
    figures = {name: RenderedFigure(f.png(dpi=100), f.alt) for name, f in review_figures(pair, alignment, v).items()}
    return ReviewMaterial(pair=pair, figures=figures, lang=v.code or "en")


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
    """The comparison per (run, candidate), the figures per (run, candidate, language)."""

    def __init__(self, max_candidates: int = 16, max_renderings: int | None = None):
        self._pairs = SingleFlightLRU(max_candidates)
        # A few languages of the recently opened candidates (an examiner and a colleague
        # reading the same pair in two languages): twice the candidates by default.
        self._renderings = SingleFlightLRU(max_renderings or 2 * max_candidates)

    def material(self, run_id: int, candidate_id: int, compare: Callable[[], ComparedPair], v: Voice | None = None,
                 relabel: Callable[[ComparedPair, Voice], ComparedPair] | None = None) -> ReviewMaterial:
        """The material in ``v``'s language (English by default); ``relabel`` gives the pair the
        labels its figures print in that language (the candidate's name is words too)."""
        v = v or Voice("en")

        def compared() -> tuple[ComparedPair, Alignment]:
            pair = compare()
            return pair, align_pair(pair)

        def rendered() -> ReviewMaterial:
            pair, alignment = self._pairs.get((run_id, candidate_id), compared)
            return render_material(relabel(pair, v) if relabel else pair, v, alignment)

        return self._renderings.get((run_id, candidate_id, v.code or "en"), rendered)

    def __contains__(self, key: tuple) -> bool:
        """(run, candidate): its comparison is kept; (run, candidate, language): its figures too."""
        return key in (self._pairs if len(key) == 2 else self._renderings)


_APP_LOCK = threading.Lock()


def review_cache(state) -> ReviewCache:
    """The cache kept on an application's ``state`` (created on first use)."""
    with _APP_LOCK:
        cache = getattr(state, "review_cache", None)
        if cache is None:
            cache = state.review_cache = ReviewCache()
        return cache
