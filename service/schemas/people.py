"""People and organisations, their links (roles), and retention runs."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field, model_validator

from service.api.types import JsonDate, OptionalBodyId
from service.models import PartyKind, PartyRole
from service.schemas.base import Input, Public


class PersonCreate(Input):
    kind: PartyKind = PartyKind.person
    name: str = Field(min_length=1, max_length=200)
    date_of_birth: JsonDate | None = None
    nationality: str = Field(default="", max_length=80)
    identifiers: str = Field(default="", max_length=2000, description="document numbers, licence numbers")
    address: str = Field(default="", max_length=2000)
    notes: str = Field(default="", max_length=10000)
    retain_until: JsonDate | None = Field(default=None, description="default: today plus the retention period")
    role: PartyRole = Field(description="the role in this case")
    firearm_id: OptionalBodyId = Field(default=None, description="also link to this firearm in the same role")


class PersonLinkCreate(Input):
    role: PartyRole
    case_id: OptionalBodyId = None
    event_id: OptionalBodyId = None
    firearm_id: OptionalBodyId = None

    @model_validator(mode="after")
    def _something(self) -> "PersonLinkCreate":
        if self.case_id is None and self.event_id is None and self.firearm_id is None:
            raise ValueError("a link needs a case_id, event_id or firearm_id")
        return self


class PersonLinkPublic(Public):
    id: int
    person_id: int
    role: PartyRole
    case_id: int | None
    event_id: int | None
    firearm_id: int | None
    created_at: datetime


class PersonPublic(Public):
    id: int
    jurisdiction_id: int
    kind: PartyKind
    name: str
    date_of_birth: date | None
    nationality: str
    identifiers: str
    address: str
    notes: str
    retain_until: date
    erased_at: datetime | None
    created_at: datetime


class PersonWithLinks(PersonPublic):
    links: list[PersonLinkPublic] = []


class RetentionRun(Input):
    as_of: JsonDate | None = Field(default=None, description="today if not given; never a later day")


class RetentionResult(BaseModel):
    as_of: date
    erased: list[int]
