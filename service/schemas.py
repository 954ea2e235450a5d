"""Request and response bodies: separate Create / Update / Public shapes per resource."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from service.api.types import BodyId, JsonBool, JsonDate, JsonFloat, JsonInt, OptionalBodyId

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


def _nul_free(value: Any, where: str) -> None:
    """PostgreSQL text cannot hold NUL: refuse it by name instead of failing in the driver."""
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError(f"{where or 'value'}: NUL characters are not allowed")
    elif isinstance(value, dict):
        for k, v in value.items():
            _nul_free(k, where)
            _nul_free(v, f"{where}.{k}" if where else str(k))
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            _nul_free(v, f"{where}[{i}]")


class Input(BaseModel):
    """A request body: no NUL characters anywhere in it."""

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data: Any) -> Any:
        _nul_free(data, "")
        return data


def _without_defaults(schema: dict[str, Any], cls: type) -> None:
    # A field left out of a patch has no default value: it means "unchanged".
    for prop in schema.get("properties", {}).values():
        prop.pop("default", None)


class Patch(Input):
    """A partial update: a field left out is unchanged; a field sent as null is refused
    (422 naming it) unless the column may be empty. ``model_dump(exclude_unset=True)``
    gives the changes."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_without_defaults)
    #: Fields that may be set to null.
    nullable: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="before")
    @classmethod
    def _no_nulls(cls, data: Any) -> Any:
        if isinstance(data, dict):
            nulls = sorted(k for k, v in data.items() if v is None and k in cls.model_fields and k not in cls.nullable)
            if nulls:
                raise ValueError(f"{', '.join(nulls)}: may not be null (leave the field out to keep it unchanged)")
        return data


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"
    #: Seconds the access token lives; renew it with the refresh token before then.
    expires_in: int
    refresh_token: str
    scopes: list[str]


class RefreshRequest(Input):
    refresh_token: str = Field(min_length=1, max_length=200)


# --- jurisdictions, agencies, users -------------------------------------------------


class JurisdictionCreate(Input):
    code: str = Field(min_length=2, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")
    name: str = Field(min_length=1, max_length=200)
    is_partner: JsonBool = False


class JurisdictionPublic(Public):
    id: int
    code: str
    name: str
    is_partner: bool


class AgencyCreate(Input):
    jurisdiction_id: BodyId
    name: str = Field(min_length=1, max_length=200)
    kind: str = Field(default="police", min_length=1, max_length=40)


class AgencyPublic(Public):
    id: int
    jurisdiction_id: int
    name: str
    kind: str


class UserCreate(Input):
    username: str = Field(min_length=3, max_length=80, pattern=r"^[A-Za-z0-9_.@-]+$")
    password: str = Field(min_length=12, max_length=200)
    full_name: str = Field(default="", max_length=200)
    role: Role
    jurisdiction_id: BodyId
    agency_id: OptionalBodyId = None


class UserUpdate(Patch):
    full_name: str = Field(default=None, max_length=200)
    password: str = Field(default=None, min_length=12, max_length=200)
    role: Role = None
    is_active: JsonBool = None


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


class CaseCreate(Input):
    reference: str = Field(min_length=1, max_length=80)
    title: str = Field(default="", max_length=300)
    agency_id: OptionalBodyId = None


class CaseUpdate(Patch):
    title: str = Field(default=None, max_length=300)
    status: Literal["open", "closed"] = None


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


class EventCreate(Input):
    kind: EventKind
    date_from: JsonDate
    date_to: JsonDate | None = None
    location: str = Field(default="", max_length=300)
    latitude: JsonFloat | None = Field(default=None, ge=-90, le=90)
    longitude: JsonFloat | None = Field(default=None, ge=-180, le=180)
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


class ExhibitCreate(Input):
    kind: ExhibitKind
    lab_number: str = Field(min_length=1, max_length=80)
    event_id: OptionalBodyId = None
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


class CustodyCreate(Input):
    action: Literal["received", "transferred", "examined", "scanned", "stored", "returned", "destroyed"]
    from_party: str = Field(default="", max_length=200)
    to_party: str = Field(default="", max_length=200)
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


class RunScope(Input):
    """Which stored signatures a run compares against."""

    jurisdiction: str | None = Field(default=None, description="only this jurisdiction's exhibits")
    calibre: str | None = None
    date_from: JsonDate | None = Field(default=None, description="exhibits whose event is on or after this day")
    date_to: JsonDate | None = None
    exclude_same_case: JsonBool = False
    top_k: JsonInt | None = Field(default=None, ge=1, le=100)


class RunCreate(Input):
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


class ReviewCreate(Input):
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
