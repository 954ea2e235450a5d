"""Background correlation runs on a worker pool, with status and progress in the database.

A run is queued in the request that creates it and executed by a worker thread. The
run row is the only state: a run that raises ends ``failed`` with a one-line reason,
and on start-up runs the previous process left behind are resumed (queued) or closed
(running: their partial work is gone).
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from service import audit
from service.engine import Engine
from service.models import Candidate, CorrelationRun, Exhibit, RunStatus, ScanRecord

log = logging.getLogger(__name__)

# Progress writes are throttled: each one is a (tiny) write transaction.
PROGRESS_EVERY_S = 0.25


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    first = text[0] if text else ""
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


class JobRunner:
    def __init__(self, session_factory: sessionmaker, engine: Engine, *, workers: int, top_k: int):
        self.session_factory = session_factory
        self.engine = engine
        self.top_k = top_k
        self.pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="run")

    def submit(self, run_id: int) -> Future:
        return self.pool.submit(self.execute, run_id)

    def shutdown(self) -> None:
        """Finish the runs in progress; queued ones stay queued and resume on the next start."""
        self.pool.shutdown(wait=True, cancel_futures=True)

    def recover(self) -> None:
        """Pick up after a previous process: resume queued runs, close interrupted ones."""
        with self.session_factory() as s:
            interrupted = s.scalars(select(CorrelationRun).where(CorrelationRun.status == RunStatus.running)).all()
            for run in interrupted:
                run.status, run.reason, run.finished_at = RunStatus.failed, "interrupted: the service stopped during the run", _now()
                audit.record(s, None, "run.failed", "run", run.id, reason=run.reason)
            queued = s.scalars(select(CorrelationRun.id).where(CorrelationRun.status == RunStatus.queued)).all()
            s.commit()
        for run_id in queued:
            self.submit(run_id)

    # -- the work ----------------------------------------------------------------------

    def _set(self, run_id: int, **values: Any) -> None:
        with self.session_factory() as s:
            s.execute(update(CorrelationRun).where(CorrelationRun.id == run_id).values(**values))
            s.commit()

    def execute(self, run_id: int) -> None:
        try:
            self._execute(run_id)
        except Exception as exc:  # the run must end in a state, whatever went wrong
            log.exception("correlation run %s failed", run_id)
            reason = _one_line(exc)
            try:
                with self.session_factory() as s:
                    s.execute(
                        update(CorrelationRun)
                        .where(CorrelationRun.id == run_id)
                        .values(status=RunStatus.failed, reason=reason, finished_at=_now())
                    )
                    audit.record(s, None, "run.failed", "run", run_id, reason=reason)
                    s.commit()
            except Exception:
                log.exception("could not record the failure of run %s", run_id)

    def _execute(self, run_id: int) -> None:
        with self.session_factory() as s:
            run = s.get(CorrelationRun, run_id)
            if run is None or run.status != RunStatus.queued:
                return
            scan = run.scan
            query_id, scope = scan.signature_id, dict(run.scope or {})
            case_id = scan.exhibit.case_id
            run.status, run.started_at, run.progress = RunStatus.running, _now(), 0.0
            run.algorithm_version = self.engine.algorithm_version
            run.params_digest = self.engine.params_digest
            run.search_params_digest = self.engine.search_params.digest()
            audit.record(s, None, "run.start", "run", run_id)
            s.commit()
        if not query_id:
            raise RuntimeError("the scan has no signature in the store")

        last = [0.0]

        def progress(fraction: float) -> None:
            now = time.monotonic()
            if now - last[0] >= PROGRESS_EVERY_S:
                last[0] = now
                self._set(run_id, progress=round(min(max(float(fraction), 0.0), 0.99), 4))

        filters = {k: scope[k] for k in ("jurisdiction", "calibre", "date_from", "date_to") if scope.get(k)}
        exclude = {query_id}
        if scope.get("exclude_same_case"):
            with self.session_factory() as s:
                exclude |= set(
                    s.scalars(
                        select(ScanRecord.signature_id)
                        .join(Exhibit, ScanRecord.exhibit_id == Exhibit.id)
                        .where(Exhibit.case_id == case_id, ScanRecord.signature_id.is_not(None))
                    )
                )
        signature = self.engine.load(query_id)
        matches, depth = self.engine.search(
            signature, top_k=int(scope.get("top_k") or self.top_k), exclude=exclude, filters=filters, progress=progress
        )

        with self.session_factory() as s:
            ids = [m.signature_id for m in matches]
            scans = {
                r.signature_id: r
                for r in s.scalars(select(ScanRecord).where(ScanRecord.signature_id.in_(ids)))
            } if ids else {}
            for rank, m in enumerate(matches, start=1):
                s.add(
                    Candidate(
                        run_id=run_id,
                        rank=rank,
                        signature_id=m.signature_id,
                        scan_id=scans[m.signature_id].id if m.signature_id in scans else None,
                        breech_face_score=m.breech_face,
                        firing_pin_score=m.firing_pin,
                        fused_score=m.fused,
                        log10_lr=m.log10_lr,
                        decision=m.decision,
                        rotation_deg=m.rotation_deg,
                        dx_um=m.dx_um,
                        dy_um=m.dy_um,
                    )
                )
            run = s.get(CorrelationRun, run_id)
            run.status, run.progress, run.finished_at = RunStatus.done, 1.0, _now()
            run.n_searched = self.engine.count()
            run.search_depth = depth
            audit.record(s, None, "run.done", "run", run_id, candidates=len(matches),
                         compared=depth.get("compared"), bound_reached=depth.get("bound_reached"))
            s.commit()


def queue_run(session: Session, *, scan: ScanRecord, user_id: int, scope: dict[str, Any]) -> CorrelationRun:
    run = CorrelationRun(scan_id=scan.id, requested_by_id=user_id, scope=scope, status=RunStatus.queued)
    session.add(run)
    session.flush()
    return run

