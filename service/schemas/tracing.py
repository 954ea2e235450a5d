"""Trace requests and their documents, lost-and-stolen imports and alerts."""

from __future__ import annotations

from datetime import date, datetime

from typing import ClassVar

from pydantic import BaseModel, Field, model_validator

from service.api.types import JsonDate, OptionalBodyId
from service.models import TraceStatus, TraceTarget
from service.schemas.base import Input, Patch, Public


class TraceCreate(Input):
    target: TraceTarget
    addressee: str = Field(default="", max_length=200, description="the registry, maker or importer asked")
    partner_jurisdiction_id: OptionalBodyId = None
    question: str = Field(default="", max_length=10000)
    deadline: JsonDate | None = None

    @model_validator(mode="after")
    def _partner(self) -> "TraceCreate":
        if (self.target == TraceTarget.partner_jurisdiction) != (self.partner_jurisdiction_id is not None):
            raise ValueError("partner_jurisdiction_id is given exactly when the target is partner_jurisdiction")
        return self


class TraceUpdate(Patch):
    """The answer, a new status or a new deadline; only the deadline may be cleared (null)."""

    nullable: ClassVar[frozenset[str]] = frozenset({"deadline"})

    status: TraceStatus = None
    answer: str = Field(default=None, max_length=20000)
    deadline: JsonDate | None = None


class TracePublic(Public):
    id: int
    firearm_id: int
    target: TraceTarget
    addressee: str
    partner_jurisdiction_id: int | None
    question: str
    status: TraceStatus
    deadline: date | None
    answer: str
    answered_at: datetime | None
    created_at: datetime
    overdue: bool = False


class TraceDocumentPublic(Public):
    id: int
    trace_request_id: int
    sha256: str
    filename: str
    size_bytes: int
    uploaded_at: datetime


class StolenImportPublic(Public):
    id: int
    register_name: str
    filename: str
    sha256: str
    rows: int
    imported_by: str
    imported_at: datetime


class StolenEntryPublic(Public):
    row_number: int
    make: str
    model: str
    calibre: str
    serial_number: str
    country: str
    date_reported: date | None


class StolenAlertPublic(Public):
    id: int
    firearm_id: int
    case_id: int
    register_name: str
    make_agrees: bool
    created_at: datetime
    entry: StolenEntryPublic


class RegisterImportResult(BaseModel):
    import_: StolenImportPublic = Field(alias="import")
    alerts: list[StolenAlertPublic]

    model_config = {"populate_by_name": True}
