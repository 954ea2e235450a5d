"""The auditor's pages (the audit trail, filtered; the chain verification) and the partner
jurisdiction's page (hit or no-hit of its own queries, nothing more).

Both read through the API's functions: the auditor sees the entries of their own
jurisdiction's users as ``GET /api/audit`` gives them, and the verification is the
walk of the whole chain ``GET /api/audit/verify`` answers (``service.audit.verify``, whose
report keeps its reason as a message the page says in its reader's language); a partner gets ``GET /api/runs/{id}/result``, the serial
search of ``GET /api/firearms/search`` (hit or no-hit, the holding jurisdiction and an
opaque reference), after a hit the request for the gun record of
``POST /api/firearm-disclosures`` and the list of those asked for (with the record once
approved), its hits, and the disclosure request of ``POST /api/disclosures``. The trace
requests addressed to the partner are answered on their own page (``service.web.exchange``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Query, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import func, select

from service import audit
from service import reasons as refusals
from service.reasons import reason_of
from service.api.deps import SessionDep, SettingsDep
from service.api.routes import audit as audit_api
from service.api.routes import disclosures as disclosures_api
from service.api.routes import firearms as firearms_api
from service.api.routes import hits as hits_api
from service.api.routes import partners as partners_api
from service.api.routes import runs as runs_api
from service.models import TraceRequest, TraceStatus
from service.schemas import FirearmDisclosureCreate
from service.web.auth import PREFIX, Viewer, ViewerDep, need
from service.web.pages import CsrfField, guard
from service.web.render import error_page, render

router = APIRouter(prefix=PREFIX, include_in_schema=False)
PAGE = 200


@router.get("/audit", response_class=HTMLResponse)
def audit_page(
    request: Request, session: SessionDep, viewer: ViewerDep,
    action: str = Query("", max_length=40), resource: str = Query("", max_length=40),
    username: str = Query("", max_length=80), after_seq: int = Query(0, ge=0),
) -> HTMLResponse:
    try:
        need(viewer, "audit:read")
        entries = audit_api.list_entries(session, viewer.user, after_seq=after_seq, limit=5000)
    except HTTPException as exc:
        return error_page(request, viewer, exc)
    picked = [e for e in entries if (not action or e.action == action) and (not resource or e.resource == resource)
              and (not username or e.username == username)]
    actions = sorted({e.action for e in entries})
    resources = sorted({e.resource for e in entries})
    shown = list(reversed(picked))[:PAGE]
    session.commit()
    return render(request, "audit.html", viewer=viewer, entries=shown, n_matching=len(picked), actions=actions,
                  resources=resources, filters=dict(action=action, resource=resource, username=username,
                                                    after_seq=after_seq), report=None)


@router.get("/audit/verify", response_class=HTMLResponse)
def audit_verify(request: Request, session: SessionDep, viewer: ViewerDep) -> HTMLResponse:
    try:
        need(viewer, "audit:read")
        # What ``GET /api/audit/verify`` walks, kept with its reason's message and values
        # (the API answers the same report, its reason in English).
        report = audit.verify(session)
    except HTTPException as exc:
        return error_page(request, viewer, exc)
    session.commit()
    return render(request, "audit_verify.html", viewer=viewer, report=report)


SERIAL_MODES = ("exact", "wildcard", "fuzzy")


def _partner_context(session, settings, viewer: Viewer) -> dict:
    need(viewer, "runs:read")
    runs = runs_api.list_runs(session, viewer.user)
    results = [(r, runs_api.run_result(r.id, session, settings, viewer.user)) for r in reversed(runs)]
    hits, asked = [], {}
    if viewer.may("hits:read"):
        hits = list(reversed(hits_api.list_hits(session, settings, viewer.user)))
    if hits and viewer.may("disclosures:request"):
        for d in disclosures_api.list_disclosures(session, settings, viewer.user):
            if d.requesting_jurisdiction == viewer.jurisdiction:
                asked[d.hit_id] = d
    # The gun records this jurisdiction asked for after a serial hit, by the match's reference.
    gun_asked = []
    if viewer.may("disclosures:request"):
        gun_asked = [d for d in partners_api.list_firearm_disclosures(session, settings, viewer.user)
                     if d.requesting_jurisdiction == viewer.jurisdiction]
    open_traces = 0
    if viewer.may("traces:answer"):  # a count only: the list, and its audit entry, are on its page
        open_traces = session.scalar(select(func.count(TraceRequest.id)).where(
            TraceRequest.partner_jurisdiction_id == viewer.user.jurisdiction_id,
            TraceRequest.status == TraceStatus.sent))
    session.commit()
    return dict(results=results, hits=hits, asked=asked, can_search=viewer.may("firearms:search"),
                can_request=viewer.may("disclosures:request"), serial=None, serial_error=None,
                values=dict(serial="", mode="exact"), gun_asked=list(reversed(gun_asked)),
                gun_asked_by_ref={d.case.opaque_reference: d for d in gun_asked},
                can_answer=viewer.may("traces:answer"), open_traces=open_traces,
                disclosure_error=None, disclosure_for=None, justification="", fd_requested=0)


@router.get("/partner", response_class=HTMLResponse)
def partner_page(request: Request, session: SessionDep, settings: SettingsDep, viewer: ViewerDep,
                 fd_requested: int = 0) -> HTMLResponse:
    try:
        ctx = _partner_context(session, settings, viewer)
    except HTTPException as exc:
        return error_page(request, viewer, exc)
    ctx["fd_requested"] = fd_requested
    return render(request, "partner.html", viewer=viewer, **ctx)


@router.post("/partner/serial", response_class=HTMLResponse)
def partner_serial(
    request: Request, session: SessionDep, settings: SettingsDep, viewer: ViewerDep,
    serial: Annotated[str, Form(max_length=80)] = "",
    mode: Annotated[str, Form(max_length=20)] = "exact",
    csrf_token: CsrfField = None,
) -> HTMLResponse:
    """A serial-number query: hit or no-hit, and for each gun found only where it is held
    and the opaque reference to quote in a disclosure request (the API's own search).
    Posted, not in the address, so serials stay out of the browser's history."""
    values = dict(serial=serial, mode=mode)
    try:
        guard(request, settings, csrf_token)
        need(viewer, "firearms:search")
        try:
            if mode not in SERIAL_MODES:
                raise refusals.not_one_of("mode", SERIAL_MODES, mode)
            result = firearms_api.search_serial(session, settings, viewer.user, serial=serial.strip(), mode=mode)
        except HTTPException as exc:
            session.rollback()
            if exc.status_code != 422:
                raise
            ctx = _partner_context(session, settings, viewer)
            ctx.update(serial_error=reason_of(exc), values=values)
            return render(request, "partner.html", status_code=422, viewer=viewer, **ctx)
        ctx = _partner_context(session, settings, viewer)
    except HTTPException as exc:
        return error_page(request, viewer, exc)
    ctx.update(serial=result, values=values)
    return render(request, "partner.html", viewer=viewer, **ctx)


@router.post("/partner/firearm-disclosures")
def partner_firearm_disclosure(
    request: Request, session: SessionDep, settings: SettingsDep, viewer: ViewerDep,
    serial: Annotated[str, Form(max_length=80)] = "",
    mode: Annotated[str, Form(max_length=20)] = "exact",
    opaque_reference: Annotated[str, Form(max_length=40)] = "",
    justification: Annotated[str, Form(max_length=10000)] = "",
    csrf_token: CsrfField = None,
) -> Response:
    """Ask the jurisdiction that holds a gun found by a serial query for its record (the
    API's ``POST /api/firearm-disclosures``: the search is run again, so only a gun this
    query hits can be asked for). A refusal shows the query's result again with the reason."""
    try:
        guard(request, settings, csrf_token)
        need(viewer, "disclosures:request")
        try:
            try:
                body = FirearmDisclosureCreate(serial=serial.strip(), mode=mode, opaque_reference=opaque_reference,
                                               justification=justification.strip())
            except ValidationError as exc:
                raise refusals.schema_refused(exc) from None
            d = partners_api.request_firearm_disclosure(body, session, settings, viewer.user)
        except HTTPException as exc:
            session.rollback()
            if exc.status_code not in (404, 409, 422):
                raise
            ctx = _partner_context(session, settings, viewer)
            if viewer.may("firearms:search") and serial.strip() and mode in SERIAL_MODES:
                try:
                    ctx["serial"] = firearms_api.search_serial(session, settings, viewer.user, serial=serial.strip(),
                                                               mode=mode)
                except HTTPException:
                    session.rollback()
            ctx.update(values=dict(serial=serial, mode=mode), disclosure_error=reason_of(exc),
                       disclosure_for=opaque_reference, justification=justification)
            return render(request, "partner.html", status_code=exc.status_code, viewer=viewer, **ctx)
    except HTTPException as exc:
        return error_page(request, viewer, exc)
    return RedirectResponse(f"{PREFIX}/partner?fd_requested={d.id}#firearm-disclosure-{d.id}",
                            status.HTTP_303_SEE_OTHER)
