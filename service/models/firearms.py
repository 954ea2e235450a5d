"""Firearms: the registry of recovered, seized, surrendered and test-fired guns, their
life cycle (with who, when and where), corrections that keep the original, photos,
destruction with a second person's approval, and the cases a gun is linked to.

A firearm belongs to the case it came in with (and so to that case's jurisdiction);
nothing here is ever deleted.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.models.base import Base, UTCDateTime, str_enum, utcnow
from service.models.cases import Case, Exhibit


class FirearmType(str, enum.Enum):
    pistol = "pistol"
    revolver = "revolver"
    rifle = "rifle"
    shotgun = "shotgun"
    submachine_gun = "submachine_gun"
    # alarm, blank-firing or gas pistols converted to fire live rounds
    converted_alarm = "converted_alarm"
    reactivated = "reactivated"
    privately_made = "privately_made"
    printed_3d = "3d_printed"
    # what a record migrated from free text reads as until an examiner says
    unknown = "unknown"


class FirearmAcquisition(str, enum.Enum):
    """How the gun came into police possession."""

    recovered = "recovered"
    seized = "seized"
    surrendered = "surrendered"
    # a reference gun held only to be test-fired
    reference = "reference"


class FirearmStatus(str, enum.Enum):
    """Life-cycle steps, from the moment of recovery to return or destruction."""

    recovered = "recovered"
    submitted = "submitted"
    examined = "examined"
    test_fired = "test_fired"
    stored = "stored"
    returned = "returned"
    destroyed = "destroyed"


class DestructionState(str, enum.Enum):
    pending = "pending"
    approved = "approved"
    refused = "refused"


class Firearm(Base):
    __tablename__ = "firearm"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id"), index=True)
    kind: Mapped[FirearmType] = mapped_column(str_enum(FirearmType, "firearm_type"), default=FirearmType.unknown)
    acquisition: Mapped[FirearmAcquisition] = mapped_column(
        str_enum(FirearmAcquisition, "firearm_acquisition"), default=FirearmAcquisition.recovered
    )
    status: Mapped[FirearmStatus] = mapped_column(
        str_enum(FirearmStatus, "firearm_status"), default=FirearmStatus.recovered
    )
    make: Mapped[str] = mapped_column(String(120), default="")
    model: Mapped[str] = mapped_column(String(120), default="")
    calibre: Mapped[str] = mapped_column(String(40), default="")
    # As entered (what the examiner read off the gun) and the searchable form.
    serial_number: Mapped[str] = mapped_column(String(80), default="")
    serial_normalised: Mapped[str] = mapped_column(String(80), default="", index=True)
    other_markings: Mapped[str] = mapped_column(Text, default="")
    proof_marks: Mapped[str] = mapped_column(Text, default="")
    country_of_manufacture: Mapped[str] = mapped_column(String(80), default="")
    import_marks: Mapped[str] = mapped_column(Text, default="")
    condition: Mapped[str] = mapped_column(String(300), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    # The free text of ``Exhibit.firearm`` a migrated record was made from, kept verbatim.
    source_text: Mapped[str] = mapped_column(String(200), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    case: Mapped[Case] = relationship()


class FirearmEvent(Base):
    """One step of a firearm's life cycle: to which status, when, where, by whom."""

    __tablename__ = "firearm_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    firearm_id: Mapped[int] = mapped_column(ForeignKey("firearm.id"), index=True)
    status: Mapped[FirearmStatus] = mapped_column(str_enum(FirearmStatus, "firearm_status"))
    # When it happened (may be earlier than when it was recorded).
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    location: Mapped[str] = mapped_column(String(300), default="")
    by_user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    notes: Mapped[str] = mapped_column(Text, default="")
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class FirearmRevision(Base):
    """A correction: the values before and after, and why (ISO/IEC 17025 7.5.2)."""

    __tablename__ = "firearm_revision"

    id: Mapped[int] = mapped_column(primary_key=True)
    firearm_id: Mapped[int] = mapped_column(ForeignKey("firearm.id"), index=True)
    before: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    after: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    reason: Mapped[str] = mapped_column(Text)
    by_user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class FirearmPhoto(Base):
    __tablename__ = "firearm_photo"

    id: Mapped[int] = mapped_column(primary_key=True)
    firearm_id: Mapped[int] = mapped_column(ForeignKey("firearm.id"), index=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    filename: Mapped[str] = mapped_column(String(300))
    stored_path: Mapped[str] = mapped_column(String(500))
    size_bytes: Mapped[int] = mapped_column(Integer)
    caption: Mapped[str] = mapped_column(String(300), default="")
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class DestructionRequest(Base):
    """Destruction of a firearm or of a ballistic item (exhibit) is asked for by one
    person and approved by another."""

    __tablename__ = "destruction_request"
    __table_args__ = (
        CheckConstraint("(firearm_id IS NULL) <> (exhibit_id IS NULL)", name="destroys_one_thing"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    firearm_id: Mapped[int | None] = mapped_column(ForeignKey("firearm.id"), index=True)
    exhibit_id: Mapped[int | None] = mapped_column(ForeignKey("exhibit.id"), index=True)
    state: Mapped[DestructionState] = mapped_column(
        str_enum(DestructionState, "destruction_state"), default=DestructionState.pending
    )
    reason: Mapped[str] = mapped_column(Text)
    location: Mapped[str] = mapped_column(String(300), default="")
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    firearm: Mapped[Firearm | None] = relationship()
    exhibit: Mapped[Exhibit | None] = relationship()


class FirearmCaseLink(Base):
    """A case this gun is linked to, and by which hit (a test fire matching the case's exhibit)."""

    __tablename__ = "firearm_case_link"
    __table_args__ = (UniqueConstraint("firearm_id", "case_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    firearm_id: Mapped[int] = mapped_column(ForeignKey("firearm.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id"), index=True)
    hit_id: Mapped[int | None] = mapped_column(ForeignKey("hit.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    firearm: Mapped[Firearm] = relationship()
    case: Mapped[Case] = relationship()
