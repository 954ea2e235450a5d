"""Scans of exhibits, the correlation runs that search the store with them, the
candidates a run returns, and the examiners' reviews of those candidates."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.models.accounts import User
from service.models.base import Base, UTCDateTime, str_enum, utcnow
from service.models.cases import Exhibit


class RunStatus(str, enum.Enum):
    queued = "queued"
    running = "running"
    done = "done"
    failed = "failed"


class ReviewDecision(str, enum.Enum):
    identification = "identification"
    elimination = "elimination"
    inconclusive = "inconclusive"
    unsuitable = "unsuitable"


class ScanRecord(Base):
    __tablename__ = "scan"

    id: Mapped[int] = mapped_column(primary_key=True)
    exhibit_id: Mapped[int] = mapped_column(ForeignKey("exhibit.id"), index=True)
    # The same file twice is one scan: the SHA-256 is the identity of the evidence file.
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    filename: Mapped[str] = mapped_column(String(300))
    stored_path: Mapped[str] = mapped_column(String(500))
    size_bytes: Mapped[int] = mapped_column(Integer)
    instrument: Mapped[str] = mapped_column(String(200), default="")
    region: Mapped[str] = mapped_column(String(40), default="breech_face")
    kind: Mapped[str] = mapped_column(String(20), default="topography")
    signature_id: Mapped[str | None] = mapped_column(String(80), unique=True)
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    exhibit: Mapped[Exhibit] = relationship()


class CorrelationRun(Base):
    __tablename__ = "correlation_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    scan_id: Mapped[int] = mapped_column(ForeignKey("scan.id"), index=True)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    scope: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Indexed: job workers look for queued runs (and expired leases) on every poll.
    status: Mapped[RunStatus] = mapped_column(str_enum(RunStatus, "run_status"), default=RunStatus.queued, index=True)
    # Higher runs first (1: an urgent submission); equal priorities in the order queued.
    priority: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    reason: Mapped[str] = mapped_column(Text, default="")
    algorithm_version: Mapped[str] = mapped_column(String(40), default="")
    params_digest: Mapped[str] = mapped_column(String(40), default="")
    # How the store was narrowed down (shortlist, centre grids): with the two above,
    # what it takes to obtain the same candidate list again.
    search_params_digest: Mapped[str] = mapped_column(String(40), default="")
    n_searched: Mapped[int] = mapped_column(Integer, default=0)
    # How deep the full comparison went (ballistics_core.search.Depth as a dict): compared,
    # bound, mates found, and whether the bound cut off candidates the evidence asked for.
    # NULL for runs made before it was recorded.
    search_depth: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The job queue (service.jobs): who holds a running run, until when, and how many times
    # it was claimed. A lease that runs out means the worker died; the run is claimed again.
    claimed_by: Mapped[str] = mapped_column(String(120), default="")
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)

    scan: Mapped[ScanRecord] = relationship()


class Candidate(Base):
    __tablename__ = "candidate"
    __table_args__ = (UniqueConstraint("run_id", "rank"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("correlation_run.id"), index=True)
    rank: Mapped[int] = mapped_column(Integer)
    signature_id: Mapped[str] = mapped_column(String(80))
    # NULL when the matched signature has no scan record here (e.g. imported in bulk).
    scan_id: Mapped[int | None] = mapped_column(ForeignKey("scan.id"))
    breech_face_score: Mapped[float | None] = mapped_column(Float)
    firing_pin_score: Mapped[float | None] = mapped_column(Float)
    fused_score: Mapped[float | None] = mapped_column(Float)
    log10_lr: Mapped[float | None] = mapped_column(Float)
    decision: Mapped[str] = mapped_column(String(40), default="")
    rotation_deg: Mapped[float | None] = mapped_column(Float)
    dx_um: Mapped[float | None] = mapped_column(Float)
    dy_um: Mapped[float | None] = mapped_column(Float)

    run: Mapped[CorrelationRun] = relationship()
    scan: Mapped[ScanRecord | None] = relationship()


class Review(Base):
    __tablename__ = "review"

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidate.id"), index=True)
    examiner_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    decision: Mapped[ReviewDecision] = mapped_column(str_enum(ReviewDecision, "review_decision"))
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    examiner: Mapped[User] = relationship()
    candidate: Mapped[Candidate] = relationship()
