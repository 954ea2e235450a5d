"""Across borders: the partner's side of tracing, and gun records disclosed after a serial hit.

*Trace requests addressed to a jurisdiction.* A trace request whose target is a
partner jurisdiction is answered by that jurisdiction itself: it lists the requests
addressed to it (with what is needed to trace the gun, the requester's case as an
opaque reference), records the answer (``answered`` or ``no_record``) and attaches
the documents that go with it. Every read and answer is in the audit trail.

*Serial-number queries.* A partner's serial search answers hit or no-hit (the owning
jurisdiction and an opaque case reference) until the owning side discloses. The
partner asks for the gun record behind a match (``POST /firearm-disclosures`` with the
serial as searched and the match's opaque reference: the search is run again, so only
a gun the query hits can be asked for), the owning jurisdiction approves or refuses,
and once approved the record shows in the partner's searches.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated

from fastapi import APIRouter, File, UploadFile, status
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from service import audit, reasons
from service.api.deps import DisclosureApprover, DisclosureRequester, SessionDep, SettingsDep, TraceAnswerer
from service.api.routes.tracing import answered_by_jurisdiction, is_overdue, store_trace_document
from service.api.types import DbId, errors
from service.crud.access import CaseViewer, not_found, opaque_reference
from service.crud.firearms import find_by_serial, normal_query
from service.models import (
    DisclosureStatus, FirearmDisclosure, Jurisdiction, TraceDocument, TraceRequest, TraceStatus, User,
)
from service.schemas import (
    FirearmDisclosureCreate, FirearmDisclosureDecision, FirearmDisclosurePublic, FirearmPublic, IncomingTracePublic,
    TraceAnswer, TraceDocumentPublic, TracedFirearm,
)

router = APIRouter(tags=["partners"])

# Fuzzy re-runs of a partner's query use the search's own defaults.
FUZZY_MIN_SCORE = 75.0
FUZZY_LIMIT = 50


# --- trace requests addressed to the caller's jurisdiction --------------------------------


def _addressed(session, user: User, trace_id: int) -> TraceRequest:
    t = session.get(TraceRequest, trace_id)
    if t is None or t.partner_jurisdiction_id != user.jurisdiction_id:
        raise not_found("trace request")
    return t


def _incoming(session, settings, user: User, t: TraceRequest) -> IncomingTracePublic:
    case = t.firearm.case
    return IncomingTracePublic(
        id=t.id,
        requesting_jurisdiction=session.get(Jurisdiction, case.jurisdiction_id).code,
        case=CaseViewer(session, settings, user).ref(case),
        firearm=TracedFirearm.model_validate(t.firearm, from_attributes=True),
        question=t.question,
        status=t.status,
        deadline=t.deadline,
        answer=t.answer,
        answered_at=t.answered_at,
        answered_by_jurisdiction=answered_by_jurisdiction(t),
        created_at=t.created_at,
        overdue=is_overdue(t),
    )


@router.get("/incoming-traces", response_model=list[IncomingTracePublic])
def incoming_traces(session: SessionDep, settings: SettingsDep, user: TraceAnswerer) -> list[IncomingTracePublic]:
    """Trace requests other jurisdictions addressed to the caller's, oldest first."""
    items = session.scalars(select(TraceRequest).where(TraceRequest.partner_jurisdiction_id == user.jurisdiction_id)
                            .order_by(TraceRequest.id)).all()
    out = [_incoming(session, settings, user, t) for t in items]
    audit.record(session, user, "read", "trace_requests_incoming", "", ids=[t.id for t in items])
    session.commit()
    return out


@router.get("/incoming-traces/{trace_id}", response_model=IncomingTracePublic, responses=errors(404))
def read_incoming_trace(trace_id: DbId, session: SessionDep, settings: SettingsDep,
                        user: TraceAnswerer) -> IncomingTracePublic:
    t = _addressed(session, user, trace_id)
    audit.record(session, user, "read", "trace_request", t.id, addressed_to=user.jurisdiction_id)
    session.commit()
    return _incoming(session, settings, user, t)


@router.post("/incoming-traces/{trace_id}/answer", response_model=IncomingTracePublic, responses=errors(404, 409))
def answer_trace(trace_id: DbId, body: TraceAnswer, session: SessionDep, settings: SettingsDep,
                 user: TraceAnswerer) -> IncomingTracePublic:
    """Answer a trace request addressed to the caller's jurisdiction (once: 409 after,
    unless the requesting side reopens it by setting its status back to ``sent``)."""
    t = _addressed(session, user, trace_id)
    if t.status != TraceStatus.sent:
        raise reasons.trace_not_open(t.id, t.status.value)
    before = {"status": t.status.value, "answer": t.answer}
    t.status, t.answer = TraceStatus(body.status), body.answer
    t.answered_at, t.answered_by_id = datetime.now(timezone.utc), user.id
    audit.record(session, user, "answer", "trace_request", t.id, firearm_id=t.firearm_id, before=before,
                 after={"status": t.status.value, "answer": t.answer})
    session.commit()
    session.refresh(t)
    return _incoming(session, settings, user, t)


@router.post("/incoming-traces/{trace_id}/documents", response_model=TraceDocumentPublic,
             status_code=status.HTTP_201_CREATED, responses=errors(404, 413))
def attach_answer_document(
    trace_id: DbId,
    file: Annotated[UploadFile, File(description="a document that goes with the answer")],
    session: SessionDep,
    settings: SettingsDep,
    user: TraceAnswerer,
) -> TraceDocument:
    t = _addressed(session, user, trace_id)
    return store_trace_document(session, settings, user, t, file, addressed_to=user.jurisdiction_id)


@router.get("/incoming-traces/{trace_id}/documents", response_model=list[TraceDocumentPublic], responses=errors(404))
def list_answer_documents(trace_id: DbId, session: SessionDep, user: TraceAnswerer) -> list[TraceDocument]:
    """The documents the caller's jurisdiction attached (the requester's own stay theirs)."""
    t = _addressed(session, user, trace_id)
    items = list(session.scalars(
        select(TraceDocument).join(User, TraceDocument.uploaded_by_id == User.id)
        .where(TraceDocument.trace_request_id == t.id, User.jurisdiction_id == user.jurisdiction_id)
        .order_by(TraceDocument.id)))
    audit.record(session, user, "read", "trace_documents", t.id, addressed_to=user.jurisdiction_id)
    session.commit()
    return items


# --- gun records disclosed after a serial hit ------------------------------------------------


def _disclosure_public(session, settings, user: User, d: FirearmDisclosure) -> FirearmDisclosurePublic:
    code = lambda jid: session.get(Jurisdiction, jid).code  # noqa: E731
    owner = d.owning_jurisdiction_id == user.jurisdiction_id
    shown = owner or d.status == DisclosureStatus.approved
    return FirearmDisclosurePublic(
        id=d.id,
        status=d.status,
        requesting_jurisdiction=code(d.requesting_jurisdiction_id),
        owning_jurisdiction=code(d.owning_jurisdiction_id),
        query=d.query,
        query_normalised=d.query_normalised,
        case=CaseViewer(session, settings, user).ref(d.firearm.case),
        firearm=FirearmPublic.model_validate(d.firearm) if shown else None,
        justification=d.justification,
        decision_reason=d.decision_reason,
        created_at=d.created_at,
        decided_at=d.decided_at,
    )


@router.post("/firearm-disclosures", response_model=FirearmDisclosurePublic, status_code=status.HTTP_201_CREATED,
             responses=errors(404, 409, 422))
def request_firearm_disclosure(body: FirearmDisclosureCreate, session: SessionDep, settings: SettingsDep,
                               user: DisclosureRequester) -> FirearmDisclosurePublic:
    """Ask the owning jurisdiction for the gun record behind a serial-query hit."""
    normal = normal_query(body.serial, body.mode)
    found = [f for f, _ in find_by_serial(session, normal, body.mode, FUZZY_MIN_SCORE, FUZZY_LIMIT)
             if opaque_reference(settings, f.case_id) == body.opaque_reference]
    if not found:
        raise not_found("firearm matching this serial behind this reference")
    firearm = found[0]
    if firearm.case.jurisdiction_id == user.jurisdiction_id:
        raise reasons.gun_is_yours()
    exists = session.scalar(select(FirearmDisclosure).where(
        FirearmDisclosure.firearm_id == firearm.id, FirearmDisclosure.requesting_jurisdiction_id == user.jurisdiction_id))
    if exists is not None:
        raise reasons.firearm_disclosure_requested(exists.id, exists.status.value)
    d = FirearmDisclosure(firearm_id=firearm.id, requesting_jurisdiction_id=user.jurisdiction_id,
                          owning_jurisdiction_id=firearm.case.jurisdiction_id, query=body.serial[:80],
                          query_normalised=normal[:80], justification=body.justification, requested_by_id=user.id)
    session.add(d)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise reasons.gun_disclosure_requested() from None
    audit.record(session, user, "disclosure.request", "firearm_disclosure", d.id, firearm_id=firearm.id,
                 query=body.serial, mode=body.mode)
    session.commit()
    return _disclosure_public(session, settings, user, d)


@router.get("/firearm-disclosures", response_model=list[FirearmDisclosurePublic])
def list_firearm_disclosures(session: SessionDep, settings: SettingsDep,
                             user: DisclosureRequester) -> list[FirearmDisclosurePublic]:
    """Those the caller's jurisdiction asked for and those asked of it."""
    items = session.scalars(select(FirearmDisclosure).where(or_(
        FirearmDisclosure.requesting_jurisdiction_id == user.jurisdiction_id,
        FirearmDisclosure.owning_jurisdiction_id == user.jurisdiction_id)).order_by(FirearmDisclosure.id)).all()
    out = [_disclosure_public(session, settings, user, d) for d in items]
    audit.record(session, user, "read", "firearm_disclosures", "", ids=[d.id for d in items])
    session.commit()
    return out


def _decide(disclosure_id: int, body: FirearmDisclosureDecision, session, settings, user: User,
            approve: bool) -> FirearmDisclosurePublic:
    d = session.get(FirearmDisclosure, disclosure_id)
    if d is None or user.jurisdiction_id not in (d.owning_jurisdiction_id, d.requesting_jurisdiction_id):
        raise not_found("firearm disclosure")
    if d.owning_jurisdiction_id != user.jurisdiction_id:
        raise reasons.gun_disclosure_not_yours()
    if d.status != DisclosureStatus.requested:
        raise reasons.firearm_disclosure_decided(d.status.value)
    d.status = DisclosureStatus.approved if approve else DisclosureStatus.refused
    d.decided_by_id, d.decided_at, d.decision_reason = user.id, datetime.now(timezone.utc), body.reason
    audit.record(session, user, "disclosure.approve" if approve else "disclosure.refuse", "firearm_disclosure", d.id,
                 firearm_id=d.firearm_id, requesting_jurisdiction_id=d.requesting_jurisdiction_id, reason=body.reason)
    session.commit()
    return _disclosure_public(session, settings, user, d)


@router.post("/firearm-disclosures/{disclosure_id}/approve", response_model=FirearmDisclosurePublic,
             responses=errors(404, 409))
def approve_firearm_disclosure(disclosure_id: DbId, body: FirearmDisclosureDecision, session: SessionDep,
                               settings: SettingsDep, user: DisclosureApprover) -> FirearmDisclosurePublic:
    return _decide(disclosure_id, body, session, settings, user, approve=True)


@router.post("/firearm-disclosures/{disclosure_id}/refuse", response_model=FirearmDisclosurePublic,
             responses=errors(404, 409))
def refuse_firearm_disclosure(disclosure_id: DbId, body: FirearmDisclosureDecision, session: SessionDep,
                              settings: SettingsDep, user: DisclosureApprover) -> FirearmDisclosurePublic:
    return _decide(disclosure_id, body, session, settings, user, approve=False)
