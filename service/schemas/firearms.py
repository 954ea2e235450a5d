"""Firearms (create / correct / public), serial search results, life-cycle events,
destruction requests and the cases a gun is linked to."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, field_validator

from service.api.types import JsonDatetime
from service.firearms.serials import SerialError, normalise
from service.models import DestructionState, FirearmAcquisition, FirearmStatus, FirearmType
from service.schemas.base import Input, Public
from service.schemas.cases import CaseRef


def _checked_serial(value: str) -> str:
    try:
        normalise(value)
    except SerialError as exc:
        raise ValueError(str(exc)) from None
    return value.strip()


class FirearmFields(Input):
    """What an examiner can record about a gun (and later correct)."""

    kind: FirearmType = FirearmType.unknown
    acquisition: FirearmAcquisition = FirearmAcquisition.recovered
    make: str = Field(default="", max_length=120)
    model: str = Field(default="", max_length=120)
    calibre: str = Field(default="", max_length=40)
    serial_number: str = Field(default="", max_length=80, description="as read off the gun; normalised for search")
    other_markings: str = Field(default="", max_length=4000)
    proof_marks: str = Field(default="", max_length=4000)
    country_of_manufacture: str = Field(default="", max_length=80)
    import_marks: str = Field(default="", max_length=4000)
    condition: str = Field(default="", max_length=300)
    notes: str = Field(default="", max_length=10000)

    @field_validator("serial_number")
    @classmethod
    def _serial(cls, v: str) -> str:
        return _checked_serial(v)


class FirearmCreate(FirearmFields):
    location: str = Field(default="", max_length=300, description="where it was recovered")


class FirearmUpdate(Input):
    """A correction: only the fields given change, the values before are kept, and a reason is required."""

    reason: str = Field(min_length=1, max_length=2000)
    kind: FirearmType | None = None
    acquisition: FirearmAcquisition | None = None
    make: str | None = Field(default=None, max_length=120)
    model: str | None = Field(default=None, max_length=120)
    calibre: str | None = Field(default=None, max_length=40)
    serial_number: str | None = Field(default=None, max_length=80)
    other_markings: str | None = Field(default=None, max_length=4000)
    proof_marks: str | None = Field(default=None, max_length=4000)
    country_of_manufacture: str | None = Field(default=None, max_length=80)
    import_marks: str | None = Field(default=None, max_length=4000)
    condition: str | None = Field(default=None, max_length=300)
    notes: str | None = Field(default=None, max_length=10000)

    @field_validator("serial_number")
    @classmethod
    def _serial(cls, v: str | None) -> str | None:
        return None if v is None else _checked_serial(v)


class FirearmPublic(Public):
    id: int
    case_id: int
    kind: FirearmType
    acquisition: FirearmAcquisition
    status: FirearmStatus
    make: str
    model: str
    calibre: str
    serial_number: str
    serial_normalised: str
    other_markings: str
    proof_marks: str
    country_of_manufacture: str
    import_marks: str
    condition: str
    notes: str
    source_text: str
    created_at: datetime
    updated_at: datetime


class FirearmRevisionPublic(Public):
    id: int
    firearm_id: int
    before: dict
    after: dict
    reason: str
    by_user_id: int
    at: datetime


class SerialMatch(BaseModel):
    """One firearm a serial search found. Another jurisdiction's gun shows only that
    it exists, its jurisdiction and an opaque case reference (hit / no-hit), until
    that jurisdiction discloses the case."""

    how: Literal["exact", "wildcard", "fuzzy"]
    score: float = Field(description="100 for exact and wildcard matches; rapidfuzz similarity for fuzzy ones")
    case: CaseRef
    firearm: FirearmPublic | None = None
    # The owning jurisdiction disclosed this gun record to the caller's (POST /api/firearm-disclosures).
    firearm_disclosed: bool = False


class SerialSearchResult(BaseModel):
    query: str
    normalised: str
    mode: Literal["exact", "wildcard", "fuzzy"]
    hit: bool
    matches: list[SerialMatch]


class FirearmEventCreate(Input):
    status: FirearmStatus
    at: JsonDatetime | None = Field(default=None, description="when it happened; now if not given")
    location: str = Field(default="", max_length=300)
    notes: str = Field(default="", max_length=10000)


class FirearmEventPublic(Public):
    id: int
    firearm_id: int
    status: FirearmStatus
    at: datetime
    location: str
    by_user_id: int
    notes: str
    recorded_at: datetime


class DestructionCreate(Input):
    reason: str = Field(min_length=1, max_length=2000)
    location: str = Field(default="", max_length=300)


class DestructionDecision(Input):
    reason: str = Field(default="", max_length=2000)


class DestructionPublic(Public):
    id: int
    firearm_id: int | None
    exhibit_id: int | None
    state: DestructionState
    reason: str
    location: str
    requested_by_id: int
    decided_by_id: int | None
    decision_reason: str
    created_at: datetime
    decided_at: datetime | None


class FirearmPhotoPublic(Public):
    id: int
    firearm_id: int
    sha256: str
    filename: str
    size_bytes: int
    caption: str
    uploaded_at: datetime


class FirearmLinkPublic(BaseModel):
    firearm_id: int
    hit_id: int | None
    case: CaseRef
    created_at: datetime


class LinkedFirearm(BaseModel):
    """A gun linked to a hit's cases; ``firearm`` is None while its case is not the caller's
    and not disclosed to them (they learn only that a gun is linked)."""

    case: CaseRef
    firearm: FirearmPublic | None = None
