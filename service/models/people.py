"""People and organisations linked to cases, events and firearms (suspect, victim,
witness, owner, licence holder, seller), under the EU Law Enforcement Directive.

Personal data live only in :class:`Person` (never in the audit trail, which records
ids and field names). A retention run blanks them after ``retain_until`` and keeps
the row, its links and their roles: the ballistic facts ("the registered owner of
firearm 12", "a suspect in case 40") stay, the person behind them does not.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.models.base import Base, UTCDateTime, str_enum, utcnow


class PartyKind(str, enum.Enum):
    person = "person"
    organisation = "organisation"


class PartyRole(str, enum.Enum):
    suspect = "suspect"
    victim = "victim"
    witness = "witness"
    owner = "owner"
    licence_holder = "licence_holder"
    seller = "seller"


# The columns that hold personal data: what a retention run removes.
PERSONAL_FIELDS = ("name", "date_of_birth", "nationality", "identifiers", "address", "notes")


class Person(Base):
    __tablename__ = "person"

    id: Mapped[int] = mapped_column(primary_key=True)
    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdiction.id"), index=True)
    kind: Mapped[PartyKind] = mapped_column(str_enum(PartyKind, "party_kind"), default=PartyKind.person)
    name: Mapped[str] = mapped_column(String(200), default="")
    date_of_birth: Mapped[date | None] = mapped_column(Date)
    nationality: Mapped[str] = mapped_column(String(80), default="")
    identifiers: Mapped[str] = mapped_column(Text, default="")
    address: Mapped[str] = mapped_column(Text, default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    retain_until: Mapped[date] = mapped_column(Date, index=True)
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class PersonLink(Base):
    """A person's role in a case, event or firearm."""

    __tablename__ = "person_link"
    __table_args__ = (
        CheckConstraint("case_id IS NOT NULL OR firearm_id IS NOT NULL OR event_id IS NOT NULL", name="links_something"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    role: Mapped[PartyRole] = mapped_column(str_enum(PartyRole, "party_role"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case_file.id"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("event.id"))
    firearm_id: Mapped[int | None] = mapped_column(ForeignKey("firearm.id"), index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    person: Mapped[Person] = relationship()
