"""Cases and what hangs off them: events (when and where), exhibits, custody.

Every case belongs to one :class:`~service.models.accounts.Jurisdiction`; visibility
rules in ``service.crud.access`` start from that.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, Float, ForeignKey, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.models.accounts import Jurisdiction
from service.models.base import Base, UTCDateTime, str_enum, utcnow


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
    # Ammunition items the engine does not compare, registered all the same.
    cartridge = "cartridge"
    bullet = "bullet"


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
    kind: Mapped[EventKind] = mapped_column(str_enum(EventKind, "event_kind"))
    # A single day has date_to NULL; "some time between" has both.
    date_from: Mapped[date] = mapped_column(Date)
    date_to: Mapped[date | None] = mapped_column(Date)
    location: Mapped[str] = mapped_column(String(300), default="")
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    location_precision: Mapped[LocationPrecision] = mapped_column(
        str_enum(LocationPrecision, "location_precision"), default=LocationPrecision.unknown
    )
    notes: Mapped[str] = mapped_column(Text, default="")


class Exhibit(Base):
    __tablename__ = "exhibit"
    __table_args__ = (UniqueConstraint("case_id", "lab_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("event.id"))
    kind: Mapped[ExhibitKind] = mapped_column(str_enum(ExhibitKind, "exhibit_kind"))
    lab_number: Mapped[str] = mapped_column(String(80))
    description: Mapped[str] = mapped_column(String(500), default="")
    calibre: Mapped[str] = mapped_column(String(40), default="")
    # Ammunition: the stamp on the case head and the manufacturer's lot.
    headstamp: Mapped[str] = mapped_column(String(120), default="")
    lot: Mapped[str] = mapped_column(String(80), default="")
    # For test fires: the firearm record they were fired from.
    firearm_id: Mapped[int | None] = mapped_column(ForeignKey("firearm.id"), index=True)
    # Urgent submissions are searched first and held to the shorter turnaround target.
    urgent: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Free text from before firearm records existed (migration 0004 made records of it);
    # kept verbatim, never rewritten.
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
