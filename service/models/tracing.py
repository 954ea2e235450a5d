"""Tracing a recovered gun: trace requests (to the national weapons registry, the
manufacturer or importer, a partner jurisdiction, which answers them itself) with
their answers and documents, lost-and-stolen registers imported from CSV, whose
matches raise alerts to the case that owns the gun (acknowledged, never deleted),
and the disclosures of a gun record to a partner whose serial query hit it."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.models.accounts import User
from service.models.base import Base, UTCDateTime, str_enum, utcnow
from service.models.firearms import Firearm
from service.models.leads import DisclosureStatus


class TraceTarget(str, enum.Enum):
    national_registry = "national_registry"
    manufacturer = "manufacturer"
    importer = "importer"
    partner_jurisdiction = "partner_jurisdiction"


class TraceStatus(str, enum.Enum):
    sent = "sent"
    answered = "answered"
    no_record = "no_record"
    closed = "closed"


class TraceRequest(Base):
    __tablename__ = "trace_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    firearm_id: Mapped[int] = mapped_column(ForeignKey("firearm.id"), index=True)
    target: Mapped[TraceTarget] = mapped_column(str_enum(TraceTarget, "trace_target"))
    addressee: Mapped[str] = mapped_column(String(200), default="")
    partner_jurisdiction_id: Mapped[int | None] = mapped_column(ForeignKey("jurisdiction.id"))
    question: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[TraceStatus] = mapped_column(str_enum(TraceStatus, "trace_status"), default=TraceStatus.sent)
    deadline: Mapped[date | None] = mapped_column(Date)
    answer: Mapped[str] = mapped_column(Text, default="")
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Who recorded the answer: the requesting side, or the partner jurisdiction itself.
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    firearm: Mapped[Firearm] = relationship()
    answered_by: Mapped[User | None] = relationship(foreign_keys=[answered_by_id])


class TraceDocument(Base):
    __tablename__ = "trace_document"

    id: Mapped[int] = mapped_column(primary_key=True)
    trace_request_id: Mapped[int] = mapped_column(ForeignKey("trace_request.id"), index=True)
    sha256: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(300))
    stored_path: Mapped[str] = mapped_column(String(500))
    size_bytes: Mapped[int] = mapped_column(Integer)
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    uploaded_by: Mapped[User] = relationship()


class StolenImport(Base):
    """One import of a lost-and-stolen register; the newest import of a register is current."""

    __tablename__ = "stolen_import"

    id: Mapped[int] = mapped_column(primary_key=True)
    register_name: Mapped[str] = mapped_column(String(80), index=True)
    filename: Mapped[str] = mapped_column(String(300), default="")
    sha256: Mapped[str] = mapped_column(String(64))
    rows: Mapped[int] = mapped_column(Integer, default=0)
    imported_by: Mapped[str] = mapped_column(String(80), default="")
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class StolenEntry(Base):
    __tablename__ = "stolen_entry"
    __table_args__ = (UniqueConstraint("import_id", "row_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("stolen_import.id"), index=True)
    row_number: Mapped[int] = mapped_column(Integer)
    make: Mapped[str] = mapped_column(String(120), default="")
    model: Mapped[str] = mapped_column(String(120), default="")
    calibre: Mapped[str] = mapped_column(String(40), default="")
    serial_number: Mapped[str] = mapped_column(String(80))
    serial_normalised: Mapped[str] = mapped_column(String(80), index=True)
    country: Mapped[str] = mapped_column(String(80), default="")
    date_reported: Mapped[date | None] = mapped_column(Date)

    source: Mapped[StolenImport] = relationship()


class StolenAlert(Base):
    """A registered gun whose serial is on a lost-and-stolen register, raised to its case."""

    __tablename__ = "stolen_alert"

    id: Mapped[int] = mapped_column(primary_key=True)
    firearm_id: Mapped[int] = mapped_column(ForeignKey("firearm.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id"), index=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("stolen_entry.id"))
    register_name: Mapped[str] = mapped_column(String(80))
    # The make on both sides agrees (case-insensitive), or one side did not give it.
    make_agrees: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Acknowledged by a user of the owning jurisdiction; the alert stays recorded.
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    acknowledgement_note: Mapped[str] = mapped_column(Text, default="")

    entry: Mapped[StolenEntry] = relationship()


class FirearmDisclosure(Base):
    """A partner's serial query hit another jurisdiction's gun (hit / no-hit only); the
    partner asks to see the record, and the owning jurisdiction discloses it or not.

    What is disclosed is the firearm record; the case it belongs to stays an opaque
    reference unless the case itself is disclosed (``Disclosure``).
    """

    __tablename__ = "firearm_disclosure"
    __table_args__ = (UniqueConstraint("firearm_id", "requesting_jurisdiction_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    firearm_id: Mapped[int] = mapped_column(ForeignKey("firearm.id"), index=True)
    requesting_jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdiction.id"), index=True)
    owning_jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdiction.id"), index=True)
    # The serial the requester searched for, as they typed it and normalised.
    query: Mapped[str] = mapped_column(String(80))
    query_normalised: Mapped[str] = mapped_column(String(80))
    status: Mapped[DisclosureStatus] = mapped_column(
        str_enum(DisclosureStatus, "disclosure_status"), default=DisclosureStatus.requested
    )
    justification: Mapped[str] = mapped_column(Text, default="")
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    firearm: Mapped[Firearm] = relationship()
