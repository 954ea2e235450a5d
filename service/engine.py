"""The one place the service calls the engine: read, sign, store, search.

Everything here is synchronous and CPU-bound; routes call it from FastAPI's thread
pool and correlation runs from the job workers.
"""

from __future__ import annotations

import dataclasses
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from ballistics_core import ALGORITHM_VERSION
from ballistics_core.errors import BallisticsError

Progress = Callable[[float], None]


@dataclass(frozen=True)
class Match:
    """One ranked candidate as the service records it."""

    signature_id: str
    breech_face: float | None
    firing_pin: float | None
    fused: float | None
    log10_lr: float | None
    decision: str
    rotation_deg: float | None
    dx_um: float | None
    dy_um: float | None


class DuplicateSignature(BallisticsError):
    """The store already holds a signature of this exact file."""


class Engine:
    """Reads uploads into signatures and keeps them in one signature store."""

    algorithm_version = ALGORITHM_VERSION

    def __init__(self, store_dir: Path, *, dask_scheduler: str | None = None):
        from ballistics_core.search import SearchParams

        self.store_dir = Path(store_dir)
        # Searches go to this Dask scheduler's workers when set (one client, shared by all runs).
        self.dask_scheduler = dask_scheduler or None
        self._pool = None
        self._pool_lock = threading.Lock()
        self.search_params = SearchParams()
        self._store = None
        self._reader = None
        self._reader_lock = threading.Lock()
        # Writers take the lock; the store is not promised to be thread-safe for writes.
        self._lock = threading.RLock()

    # -- reading and signing -----------------------------------------------------------

    def read_scan(self, data: bytes, *, name: str):
        from ballistics_core.io import read_scan

        return read_scan(data, name=name)

    def make_signature(self, scan):
        from ballistics_core.signature import make_signature

        return make_signature(scan)

    # -- store ---------------------------------------------------------------------------

    def _writer(self, signature=None):
        """The one store instance used for writing (created from the first signature)."""
        from ballistics_core.store import SignatureStore
        from ballistics_core.store.schema import MANIFEST

        if self._store is None:
            if (self.store_dir / MANIFEST).is_file():
                self._store = SignatureStore.open(self.store_dir)
            elif signature is not None:
                self._store = SignatureStore.create_for(self.store_dir, signature)
            else:
                raise BallisticsError(f"no signature store at {self.store_dir} yet")
        return self._store

    def snapshot(self):
        """A read-only view of the store as last committed (readers never block the writer).

        One reader instance is kept and refreshed, so the per-segment indexes it has
        read stay cached (segments never change once written).
        """
        from ballistics_core.store import SignatureStore

        with self._reader_lock:
            if self._reader is None:
                self._reader = SignatureStore.open(self.store_dir)
            else:
                self._reader.refresh()
            return self._reader

    @property
    def params_digest(self) -> str:
        with self._lock:
            return self._writer().params_digest

    def add(self, signature, meta: dict[str, Any]) -> str:
        """Store ``signature`` with ``meta`` merged into its metadata; returns its id (source SHA-256)."""
        signature = dataclasses.replace(signature, meta={**dict(signature.meta), **meta})
        with self._lock:
            report = self._writer(signature).add([signature])
        if report.duplicates or not report.added:
            raise DuplicateSignature("the store already holds a signature of this file")
        return report.added[0]

    def bulk_add(self, records, *, template) -> int:
        """Append many records (signatures or ``StoredRecord``) in batches; ``template``
        fixes the store's parameters if the store does not exist yet. Returns the count added."""
        with self._lock:
            return len(self._writer(template).add(records, batch_size=512).added)

    def tombstone(self, signature_id: str, *, reason: str = "upload rolled back") -> None:
        with self._lock:
            self._writer().tombstone(signature_id, reason=reason, operator="service")

    def load(self, signature_id: str):
        return self.snapshot().load_signature(signature_id)

    def count(self) -> int:
        return len(self.snapshot())

    def search(
        self, signature, *, top_k: int, exclude: set[str], filters: dict[str, Any], progress: Progress
    ) -> tuple[list[Match], dict[str, Any]]:
        """Three-tier search of the whole store; ``filters`` uses the store's filter fields.

        Returns the ranked matches and how deep the full comparison went
        (:class:`ballistics_core.search.Depth` as a dict), with what was searched: the query's
        ``kind``, signatures ``screened`` and ``other_kind_not_searched`` (a 2-D image is only
        compared with 2-D images, a 3-D scan with 3-D scans).
        """
        from ballistics_core.search import Filters, search

        result = search(
            self.snapshot(),
            signature,
            top=top_k,
            filters=Filters(**filters) if filters else None,
            exclude=frozenset(exclude),
            search_params=self.search_params,
            progress=progress,
            pool=self._executor(),
        )
        return [
            Match(
                signature_id=h.sha256,
                breech_face=h.breech_face,
                firing_pin=h.firing_pin,
                fused=h.fused,
                log10_lr=h.log10_lr,
                decision=h.decision,
                rotation_deg=h.rotation_deg,
                dx_um=h.translation_um[0] if h.translation_um else None,
                dy_um=h.translation_um[1] if h.translation_um else None,
            )
            for h in result.hits
        ], {**(result.depth.as_dict() if result.depth else {}), **result.scope()}

    def _executor(self):
        """The Dask executor when a scheduler is configured (None: the search runs in this process)."""
        if self.dask_scheduler is None:
            return None
        from ballistics_core.search import make_executor

        with self._pool_lock:
            if self._pool is None:
                try:
                    self._pool = make_executor("dask", scheduler_address=self.dask_scheduler)
                except OSError as exc:  # the scheduler is unreachable: the run fails with this reason
                    raise BallisticsError(f"cannot reach the Dask scheduler {self.dask_scheduler}: {exc}") from None
            return self._pool

    def close(self) -> None:
        with self._pool_lock:
            if self._pool is not None:
                self._pool.close()
                self._pool = None
        self._store = self._reader = None
