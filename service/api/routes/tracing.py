"""Tracing a recovered gun (requests, answers, documents) and lost-and-stolen registers
(import, and the alerts their matches raise to the owning case, which a user of that
jurisdiction acknowledges; an acknowledged alert stays recorded, none is ever deleted).

The partner's side of a trace request (answering one addressed to its jurisdiction) is
in :mod:`service.api.routes.partners`."""

from __future__ import annotations

import hashlib
import os
import uuid
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Path as PathParam, Query, UploadFile, status
from sqlalchemy import select

from service import audit, reasons
from service.api.deps import CaseReader, CaseWriter, RegistryImporter, SessionDep, SettingsDep, read_upload
from service.api.types import DbId, errors
from service.crud.access import not_found, own_case
from service.crud.firearms import own_firearm
from service.firearms.stolen import RegisterError, import_register
from service.models import (
    Case, Firearm, Jurisdiction, StolenAlert, StolenImport, TraceDocument, TraceRequest, TraceStatus, TraceTarget,
)
from service.schemas import (
    AlertAcknowledge, RegisterImportResult, StolenAlertPublic, StolenImportPublic, TraceCreate, TraceDocumentPublic,
    TracePublic, TraceUpdate,
)

# Every route of this family may refuse with these (a reason in "detail").
router = APIRouter(tags=["tracing"], responses=errors(400, 403, 404, 409, 422, 423))

OPEN = {TraceStatus.sent}


def is_overdue(t: TraceRequest, today: date | None = None) -> bool:
    today = today or datetime.now(timezone.utc).date()
    return t.status in OPEN and t.deadline is not None and t.deadline < today


def answered_by_jurisdiction(t: TraceRequest) -> str | None:
    return t.answered_by.jurisdiction.code if t.answered_by is not None else None


def _public(t: TraceRequest, today: date | None = None) -> TracePublic:
    out = TracePublic.model_validate(t)
    out.overdue = is_overdue(t, today)
    out.answered_by_jurisdiction = answered_by_jurisdiction(t)
    return out


def _own_trace(session, user, trace_id: int) -> TraceRequest:
    t = session.get(TraceRequest, trace_id)
    if t is None or t.firearm.case.jurisdiction_id != user.jurisdiction_id:
        raise not_found("trace request")
    return t


@router.post("/firearms/{firearm_id}/traces", response_model=TracePublic, status_code=status.HTTP_201_CREATED)
def create_trace(firearm_id: DbId, body: TraceCreate, session: SessionDep, user: CaseWriter) -> TracePublic:
    firearm = own_firearm(session, user, firearm_id)
    if body.target == TraceTarget.partner_jurisdiction:
        jur = session.get(Jurisdiction, body.partner_jurisdiction_id)
        if jur is None or jur.id == user.jurisdiction_id:
            raise reasons.partner_not_other()
    t = TraceRequest(firearm_id=firearm.id, created_by_id=user.id, **body.model_dump())
    session.add(t)
    session.flush()
    audit.record(session, user, "create", "trace_request", t.id, firearm_id=firearm.id, target=t.target.value,
                 deadline=t.deadline.isoformat() if t.deadline else None)
    session.commit()
    return _public(t)


@router.get("/firearms/{firearm_id}/traces", response_model=list[TracePublic])
def list_traces(firearm_id: DbId, session: SessionDep, user: CaseReader) -> list[TracePublic]:
    own_firearm(session, user, firearm_id)
    items = session.scalars(select(TraceRequest).where(TraceRequest.firearm_id == firearm_id).order_by(TraceRequest.id)).all()
    audit.record(session, user, "read", "trace_requests", firearm_id)
    session.commit()
    return [_public(t) for t in items]


@router.get("/traces/overdue", response_model=list[TracePublic])
def overdue_traces(session: SessionDep, user: CaseReader) -> list[TracePublic]:
    """Open trace requests of the caller's jurisdiction past their deadline."""
    today = datetime.now(timezone.utc).date()
    items = session.scalars(
        select(TraceRequest).join(Firearm, TraceRequest.firearm_id == Firearm.id).join(Case, Firearm.case_id == Case.id)
        .where(Case.jurisdiction_id == user.jurisdiction_id, TraceRequest.status.in_(OPEN),
               TraceRequest.deadline < today).order_by(TraceRequest.deadline, TraceRequest.id)).all()
    audit.record(session, user, "read", "trace_requests_overdue", "")
    session.commit()
    return [_public(t, today) for t in items]


# ":int": /traces/overdue (a fixed path beside this one) never reaches this route, so a method
# it lacks there is a 405, not a 422 for failing to parse "overdue" as an identifier.
@router.patch("/traces/{trace_id:int}", response_model=TracePublic)
def update_trace(trace_id: DbId, body: TraceUpdate, session: SessionDep, user: CaseWriter) -> TracePublic:
    """Record the answer (or a new status or deadline); the audit trail keeps what it was."""
    t = _own_trace(session, user, trace_id)
    changes = body.model_dump(exclude_unset=True)
    before = {k: (getattr(t, k).value if hasattr(getattr(t, k), "value") else getattr(t, k)) for k in changes}
    for k, v in changes.items():
        setattr(t, k, v)
    if "answer" in changes and t.answered_at is None:
        t.answered_at = datetime.now(timezone.utc)
        t.answered_by_id = user.id
    audit.record(session, user, "update", "trace_request", t.id,
                 before={k: (v.isoformat() if isinstance(v, date) else v) for k, v in before.items()},
                 after=body.model_dump(mode="json", exclude_unset=True))
    session.commit()
    return _public(t)


@router.post("/traces/{trace_id}/documents", response_model=TraceDocumentPublic, status_code=status.HTTP_201_CREATED)
def attach_document(
    trace_id: DbId,
    file: Annotated[UploadFile, File(description="a document received with the answer")],
    session: SessionDep,
    settings: SettingsDep,
    user: CaseWriter,
) -> TraceDocument:
    t = _own_trace(session, user, trace_id)
    return store_trace_document(session, settings, user, t, file)


@router.get("/traces/{trace_id}/documents", response_model=list[TraceDocumentPublic])
def list_documents(trace_id: DbId, session: SessionDep, user: CaseReader) -> list[TraceDocument]:
    t = _own_trace(session, user, trace_id)
    items = list(session.scalars(select(TraceDocument).where(TraceDocument.trace_request_id == t.id)
                                 .order_by(TraceDocument.id)))
    audit.record(session, user, "read", "trace_documents", t.id)
    session.commit()
    return items


# --- lost and stolen -------------------------------------------------------------------


@router.post("/registers/{register}/imports", response_model=RegisterImportResult, status_code=status.HTTP_201_CREATED)
def import_stolen_register(
    register: Annotated[str, PathParam(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9_.-]+$")],
    file: Annotated[UploadFile, File(description="CSV: make, model, calibre, serial, country, date_reported")],
    session: SessionDep,
    settings: SettingsDep,
    user: RegistryImporter,
) -> RegisterImportResult:
    """Import (or re-import) a lost-and-stolen register; every registered gun is checked against it."""
    data = read_upload(file, settings, allow_empty=True)
    try:
        imp, alerts = import_register(session, user, register, data, filename=file.filename or "")
    except RegisterError as exc:
        session.rollback()
        raise reasons.register_refused(file.filename or "", exc) from None
    session.commit()
    return RegisterImportResult(import_=StolenImportPublic.model_validate(imp),
                                alerts=[StolenAlertPublic.model_validate(a) for a in alerts])


@router.get("/registers/imports", response_model=list[StolenImportPublic])
def list_imports(session: SessionDep, user: CaseReader) -> list[StolenImport]:
    items = list(session.scalars(select(StolenImport).order_by(StolenImport.id)))
    session.commit()
    return items


def _alert_public(a: StolenAlert) -> StolenAlertPublic:
    out = StolenAlertPublic.model_validate(a)
    out.acknowledged = a.acknowledged_at is not None
    return out


AcknowledgedFilter = Annotated[
    bool | None, Query(description="true: only acknowledged alerts; false: only those still to acknowledge")]


def _filtered(stmt, acknowledged: bool | None):
    if acknowledged is True:
        return stmt.where(StolenAlert.acknowledged_at.is_not(None))
    if acknowledged is False:
        return stmt.where(StolenAlert.acknowledged_at.is_(None))
    return stmt


@router.get("/cases/{case_id}/alerts", response_model=list[StolenAlertPublic])
def case_alerts(case_id: DbId, session: SessionDep, user: CaseReader,
                acknowledged: AcknowledgedFilter = None) -> list[StolenAlertPublic]:
    """Lost-and-stolen matches raised to this case, acknowledged or not."""
    own_case(session, user, case_id)
    items = list(session.scalars(_filtered(select(StolenAlert).where(StolenAlert.case_id == case_id), acknowledged)
                                 .order_by(StolenAlert.id)))
    audit.record(session, user, "read", "stolen_alerts", case_id, ids=[a.id for a in items])
    session.commit()
    return [_alert_public(a) for a in items]


@router.get("/alerts", response_model=list[StolenAlertPublic])
def my_alerts(session: SessionDep, user: CaseReader, acknowledged: AcknowledgedFilter = None) -> list[StolenAlertPublic]:
    """Every lost-and-stolen match raised to a case of the caller's jurisdiction
    (``acknowledged=false``: those nobody has acknowledged yet)."""
    own = select(Case.id).where(Case.jurisdiction_id == user.jurisdiction_id)
    items = list(session.scalars(_filtered(select(StolenAlert).where(StolenAlert.case_id.in_(own)), acknowledged)
                                 .order_by(StolenAlert.id)))
    audit.record(session, user, "read", "stolen_alerts", "", ids=[a.id for a in items])
    session.commit()
    return [_alert_public(a) for a in items]


def _own_alert(session, user, alert_id: int) -> StolenAlert:
    alert = session.get(StolenAlert, alert_id)
    if alert is None or session.get(Case, alert.case_id).jurisdiction_id != user.jurisdiction_id:
        raise not_found("alert")
    return alert


@router.post("/alerts/{alert_id}/acknowledge", response_model=StolenAlertPublic)
def acknowledge_alert(alert_id: DbId, body: AlertAcknowledge, session: SessionDep,
                      user: CaseReader) -> StolenAlertPublic:
    """Record that someone of the owning case's jurisdiction has seen the alert; it stays
    recorded (and listed) afterwards. An alert is acknowledged once (409 after)."""
    alert = _own_alert(session, user, alert_id)
    if alert.acknowledged_at is not None:
        raise reasons.alert_acknowledged(alert.id, alert.acknowledged_at)
    alert.acknowledged_at = datetime.now(timezone.utc)
    alert.acknowledged_by_id = user.id
    alert.acknowledgement_note = body.note
    audit.record(session, user, "acknowledge", "stolen_alert", alert.id, firearm_id=alert.firearm_id,
                 case_id=alert.case_id, note=body.note)
    session.commit()
    return _alert_public(alert)


def store_trace_document(session, settings, user, trace, file: UploadFile, **audit_extra) -> TraceDocument:
    """Keep an uploaded document of a trace request (content-addressed, written atomically) and audit it.

    Shared by the requester's and the answering partner's routes; a failed commit
    removes the file again, so no document exists without its row.
    """
    data = read_upload(file, settings)
    sha = hashlib.sha256(data).hexdigest()
    path = settings.upload_dir / "traces" / sha[:2] / f"{sha}-{uuid.uuid4().hex[:8]}.bin"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    try:
        doc = TraceDocument(trace_request_id=trace.id, sha256=sha, filename=Path(file.filename or "document").name[:300],
                            stored_path=str(path), size_bytes=len(data), uploaded_by_id=user.id)
        session.add(doc)
        session.flush()
        audit.record(session, user, "upload", "trace_document", doc.id, trace_request_id=trace.id, sha256=sha,
                     **audit_extra)
        session.commit()
    except BaseException:
        session.rollback()
        path.unlink(missing_ok=True)
        raise
    return doc
