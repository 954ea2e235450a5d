"""What crosses a border, on the owning or the addressed side: disclosures decided by the
jurisdiction that holds the case or the gun record, trace requests answered by the
jurisdiction they were addressed to, and lost-and-stolen alerts acknowledged on the
owning case's page.

Every page reads and writes through the API's route functions
(``service.api.routes.disclosures``, ``partners`` and ``tracing``), so the same scopes,
jurisdiction checks, conflicts and audit entries apply; a refusal is the API's (status
and reason) shown as a page, never a traceback.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from service import reasons
from service.reasons import reason_of
from service.api.deps import SessionDep, SettingsDep
from service.api.routes import disclosures as disclosures_api
from service.api.routes import partners as partners_api
from service.api.routes import tracing as tracing_api
from service.api.types import DbId
from service.models import Case, StolenAlert
from service.schemas import AlertAcknowledge, DisclosureDecision, FirearmDisclosureDecision, TraceAnswer
from service.web.auth import PREFIX, Viewer, ViewerDep, need
from service.web.pages import CsrfField, guard
from service.web.render import error_page, render

router = APIRouter(prefix=PREFIX, include_in_schema=False)
DECISIONS = ("approve", "refuse")


def _invalid(exc: ValidationError) -> HTTPException:
    """A form value the API's schema refuses: 422 with the schema's reasons, as the API says them
    (the fields named in the reader's language before them)."""
    from service.reasons import schema_refused

    return schema_refused(exc)


# --- disclosures: the owning side decides, the requesting side follows -----------------------


def _disclosures_context(session, settings, viewer: Viewer) -> dict:
    need(viewer, "disclosures:request")
    cases = disclosures_api.list_disclosures(session, settings, viewer.user)
    guns = partners_api.list_firearm_disclosures(session, settings, viewer.user)
    mine = viewer.jurisdiction
    return dict(
        case_asked_of_us=[d for d in reversed(cases) if d.owning_jurisdiction == mine],
        case_asked_by_us=[d for d in reversed(cases) if d.requesting_jurisdiction == mine],
        gun_asked_of_us=[d for d in reversed(guns) if d.owning_jurisdiction == mine],
        gun_asked_by_us=[d for d in reversed(guns) if d.requesting_jurisdiction == mine],
        can_decide=viewer.may("disclosures:approve"), form_error=None, error_for=None, decided=None,
    )


@router.get("/disclosures", response_class=HTMLResponse)
def disclosures_page(request: Request, session: SessionDep, settings: SettingsDep, viewer: ViewerDep,
                     decided: str = "") -> HTMLResponse:
    try:
        ctx = _disclosures_context(session, settings, viewer)
    except HTTPException as exc:
        return error_page(request, viewer, exc)
    ctx["decided"] = decided[:40] or None
    return render(request, "disclosures.html", viewer=viewer, **ctx)


def _decide(request, session, settings, viewer: Viewer, kind: str, disclosure_id: int, decision: str, reason: str,
            token) -> Response:
    try:
        guard(request, settings, token)
        need(viewer, "disclosures:approve")
        if decision not in DECISIONS:
            raise reasons.decision_unknown(decision)
        approve = decision == "approve"
        try:
            if kind == "case":
                body = DisclosureDecision(reason=reason.strip())
                fn = disclosures_api.approve if approve else disclosures_api.refuse
            else:
                body = FirearmDisclosureDecision(reason=reason.strip())
                fn = partners_api.approve_firearm_disclosure if approve else partners_api.refuse_firearm_disclosure
        except ValidationError as exc:
            raise _invalid(exc) from None
        d = fn(disclosure_id, body, session, settings, viewer.user)
    except HTTPException as exc:
        session.rollback()
        if exc.status_code in (409, 422):
            try:
                ctx = _disclosures_context(session, settings, viewer)
            except HTTPException as exc2:
                return error_page(request, viewer, exc2)
            ctx.update(form_error=reason_of(exc), error_for=f"{kind}-{disclosure_id}")
            return render(request, "disclosures.html", status_code=exc.status_code, viewer=viewer, **ctx)
        return error_page(request, viewer, exc)
    return RedirectResponse(f"{PREFIX}/disclosures?decided={kind}-{d.id}#{kind}-disclosure-{d.id}",
                            status.HTTP_303_SEE_OTHER)


@router.post("/disclosures/{disclosure_id}/decision")
def decide_case_disclosure(
    disclosure_id: DbId, request: Request, session: SessionDep, settings: SettingsDep, viewer: ViewerDep,
    decision: Annotated[str, Form(max_length=20)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
    csrf_token: CsrfField = None,
) -> Response:
    """Approve or refuse the disclosure of one of this jurisdiction's cases behind a hit."""
    return _decide(request, session, settings, viewer, "case", disclosure_id, decision, reason, csrf_token)


@router.post("/firearm-disclosures/{disclosure_id}/decision")
def decide_firearm_disclosure(
    disclosure_id: DbId, request: Request, session: SessionDep, settings: SettingsDep, viewer: ViewerDep,
    decision: Annotated[str, Form(max_length=20)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
    csrf_token: CsrfField = None,
) -> Response:
    """Approve or refuse the disclosure of one of this jurisdiction's gun records after a serial hit."""
    return _decide(request, session, settings, viewer, "firearm", disclosure_id, decision, reason, csrf_token)


# --- trace requests addressed to this jurisdiction -------------------------------------------


def _traces_context(session, settings, viewer: Viewer) -> dict:
    need(viewer, "traces:answer")
    traces = partners_api.incoming_traces(session, settings, viewer.user)
    documents = {t.id: partners_api.list_answer_documents(t.id, session, viewer.user) for t in traces}
    traces = sorted(traces, key=lambda t: (t.status.value != "sent", -t.id))  # open ones first
    return dict(traces=traces, documents=documents, form_error=None, error_for=None, flash=None,
                values=dict(status="answered", answer=""))


@router.get("/incoming-traces", response_class=HTMLResponse)
def incoming_traces_page(request: Request, session: SessionDep, settings: SettingsDep, viewer: ViewerDep,
                         answered: int = 0, attached: int = 0) -> HTMLResponse:
    try:
        ctx = _traces_context(session, settings, viewer)
    except HTTPException as exc:
        return error_page(request, viewer, exc)
    ctx["flash"] = ("answered", answered) if answered else ("attached", attached) if attached else None
    return render(request, "incoming_traces.html", viewer=viewer, **ctx)


def _traces_refused(request, session, settings, viewer, trace_id: int, exc: HTTPException, values: dict | None = None):
    session.rollback()
    if exc.status_code in (409, 413, 422):
        try:
            ctx = _traces_context(session, settings, viewer)
        except HTTPException as exc2:
            return error_page(request, viewer, exc2)
        ctx.update(form_error=reason_of(exc), error_for=trace_id)
        if values:
            ctx["values"] = values
        return render(request, "incoming_traces.html", status_code=exc.status_code, viewer=viewer, **ctx)
    return error_page(request, viewer, exc)


@router.post("/incoming-traces/{trace_id}/answer")
def answer_trace(
    trace_id: DbId, request: Request, session: SessionDep, settings: SettingsDep, viewer: ViewerDep,
    answer_status: Annotated[str, Form(alias="status", max_length=20)] = "",
    answer: Annotated[str, Form(max_length=20000)] = "",
    csrf_token: CsrfField = None,
) -> Response:
    """The answer (the record found, or that none is held) to a trace request addressed here."""
    values = dict(status=answer_status, answer=answer)
    try:
        guard(request, settings, csrf_token)
        need(viewer, "traces:answer")
        try:
            body = TraceAnswer(status=answer_status, answer=answer.strip())
        except ValidationError as exc:
            raise _invalid(exc) from None
        partners_api.answer_trace(trace_id, body, session, settings, viewer.user)
    except HTTPException as exc:
        return _traces_refused(request, session, settings, viewer, trace_id, exc, values)
    return RedirectResponse(f"{PREFIX}/incoming-traces?answered={trace_id}#trace-{trace_id}", status.HTTP_303_SEE_OTHER)


@router.post("/incoming-traces/{trace_id}/documents")
def attach_trace_document(
    trace_id: DbId, request: Request, session: SessionDep, settings: SettingsDep, viewer: ViewerDep,
    file: Annotated[UploadFile, File()],
    csrf_token: CsrfField = None,
) -> Response:
    """A document that goes with the answer (the register extract, a scanned letter)."""
    try:
        guard(request, settings, csrf_token)
        need(viewer, "traces:answer")
        doc = partners_api.attach_answer_document(trace_id, file, session, settings, viewer.user)
    except HTTPException as exc:
        return _traces_refused(request, session, settings, viewer, trace_id, exc)
    return RedirectResponse(f"{PREFIX}/incoming-traces?attached={doc.id}#trace-{trace_id}", status.HTTP_303_SEE_OTHER)


# --- lost-and-stolen alerts, acknowledged on the owning case's page --------------------------


@router.post("/alerts/{alert_id}/acknowledge")
def acknowledge_alert(
    alert_id: DbId, request: Request, session: SessionDep, settings: SettingsDep, viewer: ViewerDep,
    note: Annotated[str, Form(max_length=2000)] = "",
    csrf_token: CsrfField = None,
) -> Response:
    from service.web.submitter import _case_form_refused

    try:
        guard(request, settings, csrf_token)
        need(viewer, "cases:read")
        try:
            body = AlertAcknowledge(note=note.strip())
        except ValidationError as exc:
            raise _invalid(exc) from None
        alert = tracing_api.acknowledge_alert(alert_id, body, session, viewer.user)
    except HTTPException as exc:
        session.rollback()
        row = session.get(StolenAlert, alert_id) if exc.status_code in (409, 422) else None
        case = session.get(Case, row.case_id) if row is not None else None
        if case is not None and case.jurisdiction_id == viewer.user.jurisdiction_id:
            return _case_form_refused(request, session, settings, viewer, row.case_id, exc, f"alert-{alert_id}",
                                      dict(note=note))
        return error_page(request, viewer, exc)
    return RedirectResponse(f"{PREFIX}/cases/{alert.case_id}?acknowledged={alert.id}#alert-{alert.id}",
                            status.HTTP_303_SEE_OTHER)
