"""Tracing a recovered gun: trace requests (to the national weapons registry, the
manufacturer or importer, a partner jurisdiction) with their answers and documents,
and lost-and-stolen registers imported from CSV, whose matches raise alerts to the
case that owns the gun."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.models.base import Base, UTCDateTime, str_enum, utcnow
from service.models.firearms import Firearm


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
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    firearm: Mapped[Firearm] = relationship()


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

    entry: Mapped[StolenEntry] = relationship()
