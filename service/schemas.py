"""Request and response bodies: separate Create / Update / Public shapes per resource."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from service.models import (
    DisclosureStatus,
    EventKind,
    ExhibitKind,
    LeadState,
    LocationPrecision,
    ReviewDecision,
    Role,
    RunStatus,
)


class Public(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"
    scopes: list[str]


# --- jurisdictions, agencies, users -------------------------------------------------


class JurisdictionCreate(BaseModel):
    code: str = Field(min_length=2, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")
    name: str = Field(min_length=1, max_length=200)
    is_partner: bool = False


class JurisdictionPublic(Public):
    id: int
    code: str
    name: str
    is_partner: bool


class AgencyCreate(BaseModel):
    jurisdiction_id: int
    name: str = Field(min_length=1, max_length=200)
    kind: str = "police"


class AgencyPublic(Public):
    id: int
    jurisdiction_id: int
    name: str
    kind: str


class UserCreate(BaseModel):
    username: str = Field(min_length=3, max_length=80, pattern=r"^[A-Za-z0-9_.@-]+$")
    password: str = Field(min_length=12, max_length=200)
    full_name: str = ""
    role: Role
    jurisdiction_id: int
    agency_id: int | None = None


class UserUpdate(BaseModel):
    full_name: str | None = None
    password: str | None = Field(default=None, min_length=12, max_length=200)
    role: Role | None = None
    is_active: bool | None = None


class UserPublic(Public):
    id: int
    username: str
    full_name: str
    role: Role
    jurisdiction_id: int
    agency_id: int | None
    is_active: bool


# --- cases, events, exhibits, custody -----------------------------------------------


class CaseRef(BaseModel):
    """A case as someone may see it: full for their own jurisdiction or after a disclosure,
    otherwise only its jurisdiction and an opaque reference."""

    opaque_reference: str
    jurisdiction: str
    disclosed: bool
    case_id: int | None = None
    reference: str | None = None
    title: str | None = None


class HitPublic(BaseModel):
    id: int
    lead_id: int
    created_at: datetime
    this_case: CaseRef | None = None
    other_case: CaseRef
    cases: list[CaseRef]


class CaseCreate(BaseModel):
    reference: str = Field(min_length=1, max_length=80)
    title: str = Field(default="", max_length=300)
    agency_id: int | None = None


class CaseUpdate(BaseModel):
    title: str | None = Field(default=None, max_length=300)
    status: Literal["open", "closed"] | None = None


class CasePublic(Public):
    id: int
    jurisdiction_id: int
    agency_id: int | None
    reference: str
    title: str
    status: str
    created_at: datetime
    opaque_reference: str = ""


class CaseDetail(CasePublic):
    hits: list[HitPublic] = []


class EventCreate(BaseModel):
    kind: EventKind
    date_from: date
    date_to: date | None = None
    location: str = Field(default="", max_length=300)
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    location_precision: LocationPrecision = LocationPrecision.unknown
    notes: str = ""

    @model_validator(mode="after")
    def _range(self) -> "EventCreate":
        if self.date_to is not None and self.date_to < self.date_from:
            raise ValueError("date_to is before date_from")
        return self


class EventPublic(Public):
    id: int
    case_id: int
    kind: EventKind
    date_from: date
    date_to: date | None
    location: str
    latitude: float | None
    longitude: float | None
    location_precision: LocationPrecision
    notes: str


class ExhibitCreate(BaseModel):
    kind: ExhibitKind
    lab_number: str = Field(min_length=1, max_length=80)
    event_id: int | None = None
    description: str = Field(default="", max_length=500)
    calibre: str = Field(default="", max_length=40)
    firearm: str = Field(default="", max_length=200)


class ExhibitPublic(Public):
    id: int
    case_id: int
    event_id: int | None
    kind: ExhibitKind
    lab_number: str
    description: str
    calibre: str
    firearm: str
    created_at: datetime


class CustodyCreate(BaseModel):
    action: Literal["received", "transferred", "examined", "scanned", "stored", "returned", "destroyed"]
    from_party: str = ""
    to_party: str = ""
    notes: str = ""


class CustodyPublic(Public):
    id: int
    exhibit_id: int
    action: str
    from_party: str
    to_party: str
    at: datetime
    by_user_id: int
    notes: str


# --- scans, runs, candidates, reviews ------------------------------------------------


class ScanPublic(Public):
    id: int
    exhibit_id: int
    sha256: str
    filename: str
    size_bytes: int
    instrument: str
    region: str
    kind: str
    signature_id: str | None
    uploaded_at: datetime


class RunScope(BaseModel):
    """Which stored signatures a run compares against."""

    jurisdiction: str | None = Field(default=None, description="only this jurisdiction's exhibits")
    calibre: str | None = None
    date_from: date | None = Field(default=None, description="exhibits whose event is on or after this day")
    date_to: date | None = None
    exclude_same_case: bool = False
    top_k: int | None = Field(default=None, ge=1, le=100)


class RunCreate(BaseModel):
    scope: RunScope = RunScope()


class RunPublic(Public):
    id: int
    scan_id: int
    status: RunStatus
    progress: float
    reason: str
    scope: dict[str, Any]
    algorithm_version: str
    params_digest: str
    search_params_digest: str
    n_searched: int
    search_depth: dict[str, Any] | None = None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class UploadResult(BaseModel):
    scan: ScanPublic
    run: RunPublic


class CandidatePublic(BaseModel):
    id: int
    run_id: int
    rank: int
    match: CaseRef | None
    exhibit_lab_number: str | None = None
    scan_id: int | None = None
    breech_face_score: float | None
    firing_pin_score: float | None
    fused_score: float | None
    log10_lr: float | None
    decision: str
    rotation_deg: float | None
    dx_um: float | None
    dy_um: float | None


class PartnerCandidate(BaseModel):
    rank: int
    hit: bool
    opaque_reference: str | None


class PartnerRunResult(BaseModel):
    run_id: int
    status: RunStatus
    hit: bool
    candidates: list[PartnerCandidate]


class ReviewCreate(BaseModel):
    decision: ReviewDecision
    notes: str = ""


class ReviewPublic(Public):
    id: int
    candidate_id: int
    examiner_id: int
    decision: ReviewDecision
    notes: str
    created_at: datetime


# --- leads, hits, disclosures, audit --------------------------------------------------


class LeadCreate(BaseModel):
    candidate_id: int
    notes: str = ""


class LeadTransition(BaseModel):
    to: LeadState
    review_id: int | None = None
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


class DisclosureCreate(BaseModel):
    hit_id: int
    justification: str = Field(min_length=1)


class DisclosureDecision(BaseModel):
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


class AuditPublic(Public):
    seq: int
    at: str
    user_id: int | None
    username: str
    jurisdiction_id: int | None
    action: str
    resource: str
    resource_id: str
    detail: str
    prev_hash: str
    hash: str


class AuditVerify(BaseModel):
    ok: bool
    entries: int
    first_broken_seq: int | None
    reason: str
