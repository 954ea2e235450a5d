"""Trace requests and their documents (and a partner's answers to them), lost-and-stolen
imports and alerts (and their acknowledgement), and disclosures of a gun record to a
partner whose serial query hit it."""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar, Literal

from pydantic import BaseModel, Field, model_validator

from service.api.types import JsonDate, OptionalBodyId
from service.models import DisclosureStatus, FirearmType, TraceStatus, TraceTarget
from service.schemas.base import Input, Patch, Public
from service.schemas.cases import CaseRef
from service.schemas.firearms import FirearmPublic


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
    # The jurisdiction whose user recorded the answer (the partner itself, or the requester).
    answered_by_jurisdiction: str | None = None


class TraceAnswer(Input):
    """A partner jurisdiction's answer to a trace request addressed to it."""

    status: Literal["answered", "no_record"] = Field(
        description="answered: the record found is in the answer; no_record: nothing held on this gun")
    answer: str = Field(min_length=1, max_length=20000)


class TracedFirearm(BaseModel):
    """What a trace request tells its addressee about the gun: what is needed to trace it,
    not the case (an opaque reference) or the examiner's notes."""

    kind: FirearmType
    make: str
    model: str
    calibre: str
    serial_number: str
    serial_normalised: str
    country_of_manufacture: str
    import_marks: str
    proof_marks: str
    other_markings: str


class IncomingTracePublic(BaseModel):
    """A trace request another jurisdiction addressed to the caller's."""

    id: int
    requesting_jurisdiction: str
    case: CaseRef
    firearm: TracedFirearm
    question: str
    status: TraceStatus
    deadline: date | None
    answer: str
    answered_at: datetime | None
    answered_by_jurisdiction: str | None
    created_at: datetime
    overdue: bool


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
    acknowledged: bool = False
    acknowledged_at: datetime | None = None
    acknowledged_by_id: int | None = None
    acknowledgement_note: str = ""


class AlertAcknowledge(Input):
    """Someone of the owning jurisdiction has seen the alert (and what was done about it)."""

    note: str = Field(default="", max_length=2000, description="what was done, e.g. owner informed, register queried")


class RegisterImportResult(BaseModel):
    import_: StolenImportPublic = Field(alias="import")
    alerts: list[StolenAlertPublic]

    model_config = {"populate_by_name": True}


class FirearmDisclosureCreate(Input):
    """Ask the owning jurisdiction to disclose the gun record behind a serial-query hit.

    Name the serial as searched (and the search mode) and the opaque reference of the
    match: the search is run again, so only a gun the query really hits can be asked for.
    """

    serial: str = Field(min_length=1, max_length=80)
    mode: Literal["exact", "wildcard", "fuzzy"] = "exact"
    opaque_reference: str = Field(pattern=r"^REF-[0-9A-F]{16}$", description="the match's case.opaque_reference")
    justification: str = Field(min_length=1, max_length=10000)


class FirearmDisclosureDecision(Input):
    reason: str = Field(default="", max_length=2000)


class FirearmDisclosurePublic(BaseModel):
    """``firearm`` is shown to the owning side, and to the requesting side once approved."""

    id: int
    status: DisclosureStatus
    requesting_jurisdiction: str
    owning_jurisdiction: str
    query: str
    query_normalised: str
    case: CaseRef
    firearm: FirearmPublic | None = None
    justification: str
    decision_reason: str
    created_at: datetime
    decided_at: datetime | None
