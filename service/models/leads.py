"""Leads drawn from candidates, the hits they become between two cases, and the
disclosures that let one jurisdiction see another's case behind a hit."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.models.base import Base, UTCDateTime, str_enum, utcnow
from service.models.cases import Case
from service.models.matching import Candidate


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


class Lead(Base):
    __tablename__ = "lead"

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidate.id"), index=True)
    # The case that asked (the run's query) and the case the candidate belongs to.
    source_case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id"), index=True)
    target_case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id"), index=True)
    state: Mapped[LeadState] = mapped_column(str_enum(LeadState, "lead_state"), default=LeadState.proposed)
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
        str_enum(DisclosureStatus, "disclosure_status"), default=DisclosureStatus.requested
    )
    justification: Mapped[str] = mapped_column(Text, default="")
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
