"""Jurisdictions, their agencies, and the users who act for them (with a role)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.models.base import Base, UTCDateTime, str_enum, utcnow


class Role(str, enum.Enum):
    lab_submitter = "lab_submitter"
    examiner = "examiner"
    analyst = "analyst"
    investigator = "investigator"
    prosecutor = "prosecutor"
    auditor = "auditor"
    admin = "admin"
    partner = "partner"


class Jurisdiction(Base):
    __tablename__ = "jurisdiction"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # A foreign partner sees only hit / no-hit with opaque references.
    is_partner: Mapped[bool] = mapped_column(default=False)
    # The country or area of the shipped map outlines (ISO alpha-2, ``service/intel/geo.py``)
    # the events map draws this jurisdiction as; NULL: recognised from its code or name,
    # or listed beside the map when neither is one of the outlines.
    map_region: Mapped[str | None] = mapped_column(String(8), default=None)


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
    role: Mapped[Role] = mapped_column(str_enum(Role, "role"))
    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdiction.id"), index=True)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"))
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Language of the pages (a catalog code of service.web.i18n); None: follow the browser.
    locale: Mapped[str | None] = mapped_column(String(16), default=None)
    # Failed sign-ins before this moment no longer count (a success, or an admin's unlock).
    failures_cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    jurisdiction: Mapped[Jurisdiction] = relationship()


class RefreshToken(Base):
    """One signed-in session: its refresh token (SHA-256 only), rotated at each refresh.

    Access tokens name their session (claim ``sid``); revoking the session (sign-out,
    password change, deactivation) makes them and the refresh token useless at once.
    """

    __tablename__ = "refresh_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The token this one replaced: presenting it again means it was stolen.
    previous_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    scopes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_reason: Mapped[str] = mapped_column(String(40), default="")


class LoginFailure(Base):
    """A refused sign-in, counted per username and per address for throttling."""

    __tablename__ = "login_failure"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), index=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
