"""Correlation runs as a job queue in the database, shared by any number of processes.

A run is queued (a row with status ``queued``) in the request that creates it. Job
workers -- threads of an API process and of any ``ballistics worker`` process, on any
machine that reaches the database -- claim runs from that one queue:

* **Claiming** is a row-locked conditional update: ``SELECT ... FOR UPDATE SKIP LOCKED``
  on PostgreSQL, so concurrent workers skip each other's rows instead of waiting; on
  SQLite every transaction takes the write lock up front (``BEGIN IMMEDIATE``), so the
  select and the ``UPDATE ... WHERE status = 'queued'`` are one atomic step. Either way
  the update re-checks that the run is still claimable, and a claim counts only if it
  changed the row.
* **Leases.** A claim holds the run until ``lease_until``; the worker renews it while it
  works. A worker that dies stops renewing, the lease runs out and another worker claims
  the run again (``attempts`` counts claims; after ``job_max_attempts`` it ends failed).
* **Exactly one result.** Candidates and the ``done`` status are written in one
  transaction whose update requires that this worker still holds this claim (same holder,
  same attempt, still running). A worker that lost its lease -- it stalled, and the run
  was retried elsewhere -- writes nothing, so a run completes exactly once.

The run row is the only state: a run that raises ends ``failed`` with a one-line reason.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import and_, or_, select, update
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


def _claimable(now: datetime):
    """Queued, or running under a lease that ran out (NULL: claimed by a version without leases)."""
    return or_(
        CorrelationRun.status == RunStatus.queued,
        and_(
            CorrelationRun.status == RunStatus.running,
            or_(CorrelationRun.lease_until.is_(None), CorrelationRun.lease_until < now),
        ),
    )


class LostClaim(Exception):
    """This worker no longer holds the run (its lease ran out and another worker claimed it)."""


class Claim:
    """One worker's hold on one run: the holder name and the attempt number identify it."""

    def __init__(self, run_id: int, holder: str, attempt: int):
        self.run_id, self.holder, self.attempt = run_id, holder, attempt

    def held(self):
        return and_(
            CorrelationRun.id == self.run_id,
            CorrelationRun.claimed_by == self.holder,
            CorrelationRun.attempts == self.attempt,
            CorrelationRun.status == RunStatus.running,
        )


class JobRunner:
    """``workers`` threads that claim and execute runs from the shared queue.

    Parameters
    ----------
    session_factory, engine
        The database and the signature-store engine.
    workers : int
        Runs executed at once by this process (0: this process only queues runs).
    top_k : int
        Candidates kept when the run's scope does not say.
    lease_s, poll_s, max_attempts : float, float, int
        See :class:`service.core.config.Settings` (``job_lease_s`` ...).
    name : str, optional
        This process's name in ``claimed_by`` (default host:pid:random).
    """

    def __init__(self, session_factory: sessionmaker, engine: Engine, *, workers: int, top_k: int,
                 lease_s: float = 30.0, poll_s: float = 1.0, max_attempts: int = 3, name: str | None = None):
        self.session_factory = session_factory
        self.engine = engine
        self.top_k = top_k
        self.workers = max(0, int(workers))
        self.lease = timedelta(seconds=lease_s)
        self.lease_s = float(lease_s)
        self.poll_s = float(poll_s)
        self.max_attempts = int(max_attempts)
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self._stop = threading.Event()
        self._wake = threading.Condition()
        self._pending_wakes = 0
        self._threads: list[threading.Thread] = []
        self._held: dict[int, Claim] = {}
        self._held_lock = threading.Lock()

    # -- life cycle ----------------------------------------------------------------------

    def start(self) -> None:
        """Start the worker threads and the lease heartbeat (runs left queued by others are picked up)."""
        if self._threads or self.workers == 0:
            return
        for i in range(self.workers):
            t = threading.Thread(target=self._loop, args=(f"{self.name}/{i}",), name=f"run-{i}", daemon=True)
            t.start()
            self._threads.append(t)
        hb = threading.Thread(target=self._heartbeat, name="run-lease", daemon=True)
        hb.start()
        self._threads.append(hb)

    # Kept for the start-up sequence of the app: resuming is what the queue does anyway.
    recover = start

    def submit(self, run_id: int | None = None, priority: int = 0) -> None:
        """A run was queued: wake one idle worker of this process (others find it on their next poll).

        Workers claim the highest ``CorrelationRun.priority`` first, then the oldest, so
        an urgent submission overtakes routine runs still waiting for a worker; the
        priority is read from the row, the argument is accepted for the callers' sake.
        """
        with self._wake:
            self._pending_wakes += 1
            self._wake.notify()

    def shutdown(self) -> None:
        """Finish the runs in progress; queued ones stay queued for any other worker or the next start."""
        self._stop.set()
        with self._wake:
            self._wake.notify_all()
        for t in self._threads:
            t.join()
        self._threads = []

    # -- the queue -----------------------------------------------------------------------

    def _loop(self, holder: str) -> None:
        while not self._stop.is_set():
            try:
                claim = self.claim(holder)
            except Exception:  # the database is away for a moment: try again later
                log.exception("could not claim a run")
                claim = None
            if claim is not None:
                self.execute(claim)
                continue
            with self._wake:
                if self._pending_wakes == 0 and not self._stop.is_set():
                    self._wake.wait(self.poll_s)
                self._pending_wakes = max(0, self._pending_wakes - 1)

    def claim(self, holder: str) -> Claim | None:
        """Claim the most urgent, then oldest, claimable run for ``holder``; None when the queue is empty."""
        while True:
            with self.session_factory() as s:
                now = _now()
                row = s.execute(
                    select(CorrelationRun.id, CorrelationRun.status, CorrelationRun.attempts, CorrelationRun.claimed_by)
                    .where(_claimable(now))
                    .order_by(CorrelationRun.priority.desc(), CorrelationRun.id)
                    .limit(1)
                    .with_for_update(skip_locked=True)
                ).one_or_none()
                if row is None:
                    s.rollback()
                    return None
                retry = row.status == RunStatus.running
                if retry and row.attempts >= self.max_attempts:
                    reason = f"abandoned: the worker executing it stopped {row.attempts} times"
                    s.execute(update(CorrelationRun).where(CorrelationRun.id == row.id, _claimable(now)).values(
                        status=RunStatus.failed, reason=reason, finished_at=now, lease_until=None))
                    audit.record(s, None, "run.failed", "run", row.id, reason=reason)
                    s.commit()
                    continue
                attempt = row.attempts + 1
                changed = s.execute(
                    update(CorrelationRun)
                    .where(CorrelationRun.id == row.id, _claimable(now))
                    .values(
                        status=RunStatus.running, claimed_by=holder, lease_until=now + self.lease, attempts=attempt,
                        started_at=now, progress=0.0, reason="",
                        algorithm_version=self.engine.algorithm_version,
                        search_params_digest=self.engine.search_params.digest(),
                    )
                ).rowcount
                if changed != 1:  # another worker got there first (SQLite without row locks)
                    s.rollback()
                    continue
                if retry:
                    audit.record(s, None, "run.retry", "run", row.id, attempt=attempt, previous_worker=row.claimed_by,
                                 worker=holder)
                audit.record(s, None, "run.start", "run", row.id, worker=holder, attempt=attempt)
                s.commit()
                claim = Claim(row.id, holder, attempt)
                with self._held_lock:
                    self._held[row.id] = claim
                return claim

    def _heartbeat(self) -> None:
        """Renew the leases of the runs this process holds, every third of a lease."""
        while not self._stop.wait(self.lease_s / 3):
            with self._held_lock:
                claims = list(self._held.values())
            for c in claims:
                try:
                    with self.session_factory() as s:
                        s.execute(update(CorrelationRun).where(c.held()).values(lease_until=_now() + self.lease))
                        s.commit()
                except Exception:
                    log.exception("could not renew the lease of run %s", c.run_id)

    # -- the work ------------------------------------------------------------------------

    def _set(self, claim: Claim, **values: Any) -> None:
        with self.session_factory() as s:
            s.execute(update(CorrelationRun).where(claim.held()).values(**values))
            s.commit()

    def execute(self, claim: Claim) -> None:
        try:
            self._execute(claim)
        except LostClaim:
            log.warning("run %s: lease lost to another worker; its result is theirs to write", claim.run_id)
        except Exception as exc:  # the run must end in a state, whatever went wrong
            log.exception("correlation run %s failed", claim.run_id)
            reason = _one_line(exc)
            try:
                with self.session_factory() as s:
                    changed = s.execute(
                        update(CorrelationRun).where(claim.held())
                        .values(status=RunStatus.failed, reason=reason, finished_at=_now(), lease_until=None)
                    ).rowcount
                    if changed == 1:
                        audit.record(s, None, "run.failed", "run", claim.run_id, reason=reason)
                    s.commit()
            except Exception:
                log.exception("could not record the failure of run %s", claim.run_id)
        finally:
            with self._held_lock:
                self._held.pop(claim.run_id, None)

    def _execute(self, claim: Claim) -> None:
        run_id = claim.run_id
        with self.session_factory() as s:
            run = s.get(CorrelationRun, run_id)
            scan = run.scan
            query_id, scope = scan.signature_id, dict(run.scope or {})
            case_id = scan.exhibit.case_id
        if not query_id:
            raise RuntimeError("the scan has no signature in the store")

        last = [0.0]

        def progress(fraction: float) -> None:
            now = time.monotonic()
            if now - last[0] >= PROGRESS_EVERY_S:
                last[0] = now
                self._set(claim, progress=round(min(max(float(fraction), 0.0), 0.99), 4))

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
        n_searched = self.engine.count()

        with self.session_factory() as s:
            # The claim is checked and the run closed first, in the transaction that writes the
            # candidates: a worker that lost its lease writes nothing.
            changed = s.execute(
                update(CorrelationRun).where(claim.held()).values(
                    status=RunStatus.done, progress=1.0, finished_at=_now(), n_searched=n_searched, lease_until=None,
                    params_digest=self.engine.params_digest, search_depth=depth,
                )
            ).rowcount
            if changed != 1:
                s.rollback()
                raise LostClaim(run_id)
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
            audit.record(s, None, "run.done", "run", run_id, candidates=len(matches), attempt=claim.attempt,
                         compared=depth.get("compared"), bound_reached=depth.get("bound_reached"))
            s.commit()


def queue_run(session: Session, *, scan: ScanRecord, user_id: int, scope: dict[str, Any]) -> CorrelationRun:
    run = CorrelationRun(scan_id=scan.id, requested_by_id=user_id, scope=scope, status=RunStatus.queued,
                         priority=1 if scan.exhibit.urgent else 0)
    session.add(run)
    session.flush()
    return run
