"""Intelligence reports on demand: link charts, the life of a gun, statistics.

Each report is computed for the caller's scope (their jurisdiction's and disclosed
cases in full, everything else as opaque references), stored with its parameters
and SHA-256, and downloaded only after its bytes are checked against that digest.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Response, status
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from service import audit
from service.api.types import DbId, errors
from service.api.deps import HitReader, SessionDep, SettingsDep
from service.intel.data import load_case_load
from service.intel.reports import FORMATS, produce
from service.intel.scope import Scope, ScopeError
from service.intel.store import (
    IntelReport,
    ReportIntegrityError,
    list_reports,
    read_report,
    report_visible,
    reports_dir,
    save_report,
)
from service.intel.timeline import SubjectNotFound
from service.reports.comparison_report import MEDIA_TYPES
from service.web.i18n import LANGUAGES

router = APIRouter(prefix="/reports", tags=["reports"])

# A report downloads as whatever its format is: every media type a report can have.
CONTENT_RESPONSE = {
    "description": "The report's bytes, verified against its SHA-256 (header X-Content-SHA256)",
    "content": {
        media: {"schema": {}}
        for media in sorted({m for kinds in FORMATS.values() for m in kinds.values()} | set(MEDIA_TYPES.values()))
    },
}


class ReportRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["link_chart", "timeline", "statistics"]
    format: Literal["html", "pdf", "graphml", "csv", "geojson", "json"] = "html"
    params: dict[str, Any] = Field(default_factory=dict)
    lang: str | None = Field(
        None, max_length=16,
        description="Language of an HTML or PDF report: one of " + ", ".join(f"`{c}`" for c in LANGUAGES)
        + " (the pages' languages; `sr_Latn` and `sr_Cyrl` are Serbian in Latin and Cyrillic script). Headings, "
        "labels, figure titles and axes, captions, dates and numbers follow it. Omitted: English, as before, with "
        "ISO dates. CSV, JSON, GraphML and GeoJSON are machine-readable and stay in English (column names, keys, "
        "values) whatever it says. The report pages ask for the signed-in user's language.",
        examples=["sq"],
    )

    @field_validator("lang")
    @classmethod
    def _shipped(cls, value: str | None) -> str | None:
        if value is not None and value not in LANGUAGES:
            raise ValueError(f"unknown language {value!r}: one of {', '.join(LANGUAGES)}")
        return value


class ReportPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    format: str
    media_type: str
    params: dict[str, Any]
    summary: dict[str, Any]
    sha256: str
    size_bytes: int
    created_by_id: int
    role: str
    created_at: datetime


def _scope(session, settings, user) -> Scope:
    try:
        return Scope.for_user(session, settings, user)
    except ScopeError as exc:
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail=str(exc)) from None


def _visible(session, scope: Scope, report_id: int) -> IntelReport:
    report = session.get(IntelReport, report_id)
    if report is None or not report_visible(report, scope):
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="report not found")
    return report


@router.post("", response_model=ReportPublic, status_code=status.HTTP_201_CREATED, responses=errors(404, 422))
def create_report(body: ReportRequest, session: SessionDep, settings: SettingsDep, user: HitReader) -> IntelReport:
    """Compute, store and describe one report for the caller's scope.

    `lang` chooses the language of an HTML or PDF document (default English); the
    machine-readable formats are the same in every language."""
    scope = _scope(session, settings, user)
    data = load_case_load(session)
    # Rendering takes seconds; on SQLite an open transaction would hold the write lock.
    session.commit()
    try:
        product = produce(data, scope, body.kind, body.format, body.params, lang=body.lang)
    except SubjectNotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=str(exc)) from None
    except ValidationError as exc:
        detail = "; ".join(e["msg"].removeprefix("Value error, ") for e in exc.errors())
        raise HTTPException(422, detail=detail) from None
    except ValueError as exc:
        raise HTTPException(422, detail=str(exc)) from None
    report = save_report(session, reports_dir(settings), scope, product)
    session.commit()
    return report


@router.get("", response_model=list[ReportPublic])
def list_own_reports(session: SessionDep, settings: SettingsDep, user: HitReader) -> list[IntelReport]:
    scope = _scope(session, settings, user)
    reports = list_reports(session, scope)
    audit.record(session, user, "read", "reports", "", ids=[r.id for r in reports])
    session.commit()
    return reports


@router.get("/{report_id}", response_model=ReportPublic, responses=errors(404))
def read_report_record(report_id: DbId, session: SessionDep, settings: SettingsDep, user: HitReader) -> IntelReport:
    report = _visible(session, _scope(session, settings, user), report_id)
    audit.record(session, user, "read", "report", report.id)
    session.commit()
    return report


@router.get("/{report_id}/content", responses={200: CONTENT_RESPONSE, **errors(404, 500)})
def download_report(report_id: DbId, session: SessionDep, settings: SettingsDep, user: HitReader) -> Response:
    report = _visible(session, _scope(session, settings, user), report_id)
    try:
        content = read_report(reports_dir(settings), report)
    except (ReportIntegrityError, FileNotFoundError) as exc:
        raise HTTPException(status.HTTP_500_INTERNAL_SERVER_ERROR, detail=f"stored report unusable: {exc}") from None
    audit.record(session, user, "download", "report", report.id, sha256=report.sha256)
    session.commit()
    filename = f"{report.kind}-{report.id}.{report.format}"
    return Response(
        content=content,
        media_type=report.media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "X-Content-SHA256": report.sha256},
    )
