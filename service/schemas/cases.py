"""Cases (and how another jurisdiction's case looks), events, exhibits, custody."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from service.models import EventKind, ExhibitKind, LocationPrecision
from service.api.types import JsonBool, JsonDate, JsonFloat, OptionalBodyId
from service.schemas.base import Input, Patch, Public


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
    headstamp: str = Field(default="", max_length=120, description="ammunition: the stamp on the case head")
    lot: str = Field(default="", max_length=80, description="ammunition: the manufacturer's lot")
    firearm_id: OptionalBodyId = Field(default=None, description="test fires: the gun fired")
    firearm: str = Field(default="", max_length=200, description="free text (superseded by firearm_id)")
    urgent: JsonBool = Field(default=False, description="searched first, held to the urgent turnaround target")


class ExhibitPublic(Public):
    id: int
    case_id: int
    event_id: int | None
    kind: ExhibitKind
    lab_number: str
    description: str
    calibre: str
    headstamp: str
    lot: str
    firearm_id: int | None
    firearm: str
    urgent: bool
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


class UrgencyUpdate(Input):
    urgent: JsonBool
    reason: str = Field(min_length=1, max_length=2000)


class Turnaround(BaseModel):
    """An exhibit's clock: from submission to its first finished search, against the target."""

    exhibit_id: int
    case_id: int
    lab_number: str
    urgent: bool
    submitted_at: datetime
    due_at: datetime
    done_at: datetime | None
    hours_elapsed: float
    overdue: bool = Field(description="not done and past the target")
    met_target: bool | None = Field(description="done by the target (None while not done)")
