"""Scans, correlation runs and their scope, candidates (full and partner views), reviews."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from service.models import ReviewDecision, RunStatus
from service.api.types import JsonBool, JsonDate, JsonInt
from service.schemas.base import Input, Public
from service.schemas.cases import CaseRef


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
    priority: int
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
