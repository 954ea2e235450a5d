"""Case records as SQLAlchemy 2 typed models.

Every piece of case data hangs off a :class:`Case`, and every case belongs to one
:class:`Jurisdiction`; visibility rules in ``service.crud.access`` start from that.
"""

from __future__ import annotations

import enum
from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from service.core.db import Base


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC on the way out, also from SQLite (which drops the offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    # Stored as plain strings with a CHECK, so PostgreSQL needs no enum types in migrations.
    return Enum(cls, name=name, native_enum=False, values_callable=lambda e: [m.value for m in e], length=24)


class Role(str, enum.Enum):
    lab_submitter = "lab_submitter"
    examiner = "examiner"
    analyst = "analyst"
    investigator = "investigator"
    prosecutor = "prosecutor"
    auditor = "auditor"
    admin = "admin"
    partner = "partner"


class EventKind(str, enum.Enum):
    shooting = "shooting"
    seizure = "seizure"
    test_fire = "test_fire"


class LocationPrecision(str, enum.Enum):
    exact = "exact"
    street = "street"
    district = "district"
    city = "city"
    region = "region"
    unknown = "unknown"


class ExhibitKind(str, enum.Enum):
    cartridge_case = "cartridge_case"
    test_fire = "test_fire"


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


class LeadState(str, enum.Enum):
    proposed = "proposed"
    issued = "issued"
    confirmed = "confirmed"
    refuted = "refuted"
    inconclusive = "inconclusive"
    withdrawn = "withdrawn"


class DisclosureStatus(str, enum.Enum):
    requested = "requested"
    approved = "approved"
    refused = "refused"


class Jurisdiction(Base):
    __tablename__ = "jurisdiction"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # A foreign partner sees only hit / no-hit with opaque references.
    is_partner: Mapped[bool] = mapped_column(default=False)


class Agency(Base):
    __tablename__ = "agency"
    __table_args__ = (UniqueConstraint("jurisdiction_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdiction.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40), default="police")

    jurisdiction: Mapped[Jurisdiction] = relationship()


class User(Base):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    full_name: Mapped[str] = mapped_column(String(200), default="")
    hashed_password: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(_enum(Role, "role"))
    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdiction.id"), index=True)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"))
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Language of the pages (a catalog code of service.web.i18n); None: follow the browser.
    locale: Mapped[str | None] = mapped_column(String(16), default=None)

    jurisdiction: Mapped[Jurisdiction] = relationship()


class Case(Base):
    __tablename__ = "case_file"
    __table_args__ = (UniqueConstraint("jurisdiction_id", "reference"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdiction.id"), index=True)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"))
    reference: Mapped[str] = mapped_column(String(80))
    title: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[str] = mapped_column(String(20), default="open")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    jurisdiction: Mapped[Jurisdiction] = relationship()


class Event(Base):
    __tablename__ = "event"
    __table_args__ = (CheckConstraint("date_to IS NULL OR date_to >= date_from", name="date_range_order"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id"), index=True)
    kind: Mapped[EventKind] = mapped_column(_enum(EventKind, "event_kind"))
    # A single day has date_to NULL; "some time between" has both.
    date_from: Mapped[date] = mapped_column(Date)
    date_to: Mapped[date | None] = mapped_column(Date)
    location: Mapped[str] = mapped_column(String(300), default="")
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    location_precision: Mapped[LocationPrecision] = mapped_column(
        _enum(LocationPrecision, "location_precision"), default=LocationPrecision.unknown
    )
    notes: Mapped[str] = mapped_column(Text, default="")


class Exhibit(Base):
    __tablename__ = "exhibit"
    __table_args__ = (UniqueConstraint("case_id", "lab_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("event.id"))
    kind: Mapped[ExhibitKind] = mapped_column(_enum(ExhibitKind, "exhibit_kind"))
    lab_number: Mapped[str] = mapped_column(String(80))
    description: Mapped[str] = mapped_column(String(500), default="")
    calibre: Mapped[str] = mapped_column(String(40), default="")
    # For test fires: the seized firearm they were fired from.
    firearm: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    case: Mapped[Case] = relationship()


class CustodyEvent(Base):
    __tablename__ = "custody_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    exhibit_id: Mapped[int] = mapped_column(ForeignKey("exhibit.id"), index=True)
    action: Mapped[str] = mapped_column(String(40))
    from_party: Mapped[str] = mapped_column(String(200), default="")
    to_party: Mapped[str] = mapped_column(String(200), default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    by_user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    notes: Mapped[str] = mapped_column(Text, default="")


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
    status: Mapped[RunStatus] = mapped_column(_enum(RunStatus, "run_status"), default=RunStatus.queued)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    reason: Mapped[str] = mapped_column(Text, default="")
    algorithm_version: Mapped[str] = mapped_column(String(40), default="")
    params_digest: Mapped[str] = mapped_column(String(40), default="")
    # How the store was narrowed down (shortlist, centre grids): with the two above,
    # what it takes to obtain the same candidate list again.
    search_params_digest: Mapped[str] = mapped_column(String(40), default="")
    n_searched: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

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
    decision: Mapped[ReviewDecision] = mapped_column(_enum(ReviewDecision, "review_decision"))
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    examiner: Mapped[User] = relationship()
    candidate: Mapped[Candidate] = relationship()


class Lead(Base):
    __tablename__ = "lead"

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidate.id"), index=True)
    # The case that asked (the run's query) and the case the candidate belongs to.
    source_case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id"), index=True)
    target_case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id"), index=True)
    state: Mapped[LeadState] = mapped_column(_enum(LeadState, "lead_state"), default=LeadState.proposed)
    identification_review_id: Mapped[int | None] = mapped_column(ForeignKey("review.id"))
    notes: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    candidate: Mapped[Candidate] = relationship()


class Hit(Base):
    __tablename__ = "hit"
    __table_args__ = (UniqueConstraint("case_a_id", "case_b_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("lead.id"), unique=True)
    case_a_id: Mapped[int] = mapped_column(ForeignKey("case_file.id"), index=True)
    case_b_id: Mapped[int] = mapped_column(ForeignKey("case_file.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    case_a: Mapped[Case] = relationship(foreign_keys=[case_a_id])
    case_b: Mapped[Case] = relationship(foreign_keys=[case_b_id])


class Disclosure(Base):
    """Permission for one jurisdiction to see one other jurisdiction's case behind a hit."""

    __tablename__ = "disclosure"
    __table_args__ = (UniqueConstraint("hit_id", "requesting_jurisdiction_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hit_id: Mapped[int] = mapped_column(ForeignKey("hit.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id"), index=True)
    requesting_jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdiction.id"))
    owning_jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdiction.id"))
    status: Mapped[DisclosureStatus] = mapped_column(
        _enum(DisclosureStatus, "disclosure_status"), default=DisclosureStatus.requested
    )
    justification: Mapped[str] = mapped_column(Text, default="")
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AuditEntry(Base):
    """One link of the append-only audit chain (triggers refuse UPDATE and DELETE)."""

    __tablename__ = "audit_log"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    # ISO text rather than DateTime: the hash covers exactly these characters.
    at: Mapped[str] = mapped_column(String(40))
    user_id: Mapped[int | None] = mapped_column(Integer)
    username: Mapped[str] = mapped_column(String(80), default="")
    jurisdiction_id: Mapped[int | None] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(40))
    resource: Mapped[str] = mapped_column(String(40))
    resource_id: Mapped[str] = mapped_column(String(80), default="")
    detail: Mapped[str] = mapped_column(Text, default="{}")
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditHead(Base):
    """A single row holding the chain's tip; updating it serialises appenders."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, default=0)
    hash: Mapped[str] = mapped_column(String(64))
