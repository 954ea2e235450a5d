"""Leads, and disclosures of the case behind a hit."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from service.models import DisclosureStatus, LeadState
from service.api.types import BodyId, OptionalBodyId
from service.schemas.base import Input
from service.schemas.cases import CaseRef


class LeadCreate(Input):
    candidate_id: BodyId
    notes: str = ""


class LeadTransition(Input):
    to: LeadState
    review_id: OptionalBodyId = None
    notes: str = ""


class LeadPublic(BaseModel):
    id: int
    candidate_id: int
    state: LeadState
    source_case: CaseRef
    target_case: CaseRef
    identification_review_id: int | None
    notes: str
    created_at: datetime
    updated_at: datetime
    hit_id: int | None = None


class DisclosureCreate(Input):
    hit_id: BodyId
    justification: str = Field(min_length=1)


class DisclosureDecision(Input):
    reason: str = ""


class DisclosurePublic(BaseModel):
    id: int
    hit_id: int
    status: DisclosureStatus
    requesting_jurisdiction: str
    owning_jurisdiction: str
    case: CaseRef
    justification: str
    decision_reason: str
    created_at: datetime
    decided_at: datetime | None
