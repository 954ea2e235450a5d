"""Investigators' and prosecutors' pages: their cases, an inbox of leads and hits, a hit's
page with its comparison and linked cases, and disclosure requests.

"Unread" is read off the audit trail: a lead or hit is new to a user until an entry
records that this user read it (the API records every read), so no second bookkeeping
can drift from what the trail says was seen.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select

from service import reasons
from service.reasons import reason_of
from service.api.types import DbId
from service.api.deps import SessionDep, SettingsDep
from service.api.routes import disclosures as disclosures_api
from service.api.routes import hits as hits_api
from service.api.routes import leads as leads_api
from service.crud.access import owns
from service.models import AuditEntry, Candidate, Hit, Lead
from service.schemas import DisclosureCreate
from service.web.auth import PREFIX, Viewer, ViewerDep, need
from service.web.pages import CsrfField, guard
from service.web.render import error_page, render

router = APIRouter(prefix=PREFIX, include_in_schema=False)


def seen_ids(session, viewer: Viewer, resource: str) -> set[str]:
    """Ids of ``resource`` this user has opened, according to the audit trail."""
    return set(session.scalars(
        select(AuditEntry.resource_id).where(AuditEntry.user_id == viewer.user.id, AuditEntry.action == "read",
                                             AuditEntry.resource == resource)
    ))


@router.get("/inbox", response_class=HTMLResponse)
def inbox(request: Request, session: SessionDep, settings: SettingsDep, viewer: ViewerDep) -> HTMLResponse:
    try:
        need(viewer, "leads:read")
        need(viewer, "hits:read")
        # Read what was seen before the listings below add their own (list) entries.
        seen_leads, seen_hits = seen_ids(session, viewer, "lead"), seen_ids(session, viewer, "hit")
        leads = leads_api.list_leads(session, settings, viewer.user)
        hits = hits_api.list_hits(session, settings, viewer.user)
    except HTTPException as exc:
        return error_page(request, viewer, exc)
    lead_rows = [dict(lead=ld, unread=str(ld.id) not in seen_leads) for ld in reversed(leads)]
    hit_rows = [dict(hit=h, unread=str(h.id) not in seen_hits) for h in reversed(hits)]
    return render(request, "inbox.html", viewer=viewer, leads=lead_rows, hits=hit_rows,
                  unread_leads=sum(r["unread"] for r in lead_rows), unread_hits=sum(r["unread"] for r in hit_rows))


@router.get("/leads/{lead_id}", response_class=HTMLResponse)
def lead_page(lead_id: DbId, request: Request, session: SessionDep, settings: SettingsDep,
              viewer: ViewerDep) -> HTMLResponse:
    try:
        need(viewer, "leads:read")
        lead = leads_api.read_lead(lead_id, session, settings, viewer.user)
    except HTTPException as exc:
        return error_page(request, viewer, exc)
    cand = session.get(Candidate, lead.candidate_id)
    own_candidate = cand is not None and owns(viewer.user, cand.run.scan.exhibit.case)
    session.commit()
    return render(request, "lead.html", viewer=viewer, lead=lead, candidate=cand if own_candidate else None)


def _hit_context(session, settings, viewer: Viewer, hit_id: int) -> dict:
    need(viewer, "hits:read")
    hit = hits_api.read_hit(hit_id, session, settings, viewer.user)
    row = session.get(Hit, hit_id)
    lead = session.get(Lead, row.lead_id)
    cand = session.get(Candidate, lead.candidate_id) if lead else None
    # The comparison is shown to the jurisdiction whose run found it (the run is theirs).
    comparison = cand if cand is not None and owns(viewer.user, cand.run.scan.exhibit.case) else None
    disclosures = []
    if viewer.may("disclosures:request"):
        disclosures = [d for d in disclosures_api.list_disclosures(session, settings, viewer.user) if d.hit_id == hit_id]
    other = hit.other_case
    mine = any(d.requesting_jurisdiction == viewer.jurisdiction for d in disclosures)
    can_request = (viewer.may("disclosures:request") and other.case_id is None and not mine
                   and other.jurisdiction != viewer.jurisdiction)
    session.commit()
    return dict(hit=hit, lead=lead, comparison=comparison, disclosures=disclosures, can_request=can_request,
                form_error=None)


@router.get("/hits/{hit_id}", response_class=HTMLResponse)
def hit_page(hit_id: DbId, request: Request, session: SessionDep, settings: SettingsDep, viewer: ViewerDep,
             requested: int = 0) -> HTMLResponse:
    try:
        ctx = _hit_context(session, settings, viewer, hit_id)
    except HTTPException as exc:
        return error_page(request, viewer, exc)
    return render(request, "hit.html", viewer=viewer, requested=requested, **ctx)


@router.post("/hits/{hit_id}/disclosures")
def request_disclosure(
    hit_id: DbId, request: Request, session: SessionDep, settings: SettingsDep, viewer: ViewerDep,
    justification: Annotated[str, Form(max_length=4000)] = "",
    csrf_token: CsrfField = None,
) -> Response:
    try:
        guard(request, settings, csrf_token)
        need(viewer, "disclosures:request")
        if not justification.strip():
            raise reasons.justification_needed()
        try:
            body = DisclosureCreate(hit_id=hit_id, justification=justification.strip())
        except ValidationError as exc:
            raise reasons.fields_refused([".".join(str(p) for p in exc.errors()[0]["loc"]) or "justification"],
                                         str(exc.errors()[0]["msg"])) from None
        d = disclosures_api.request_disclosure(body, session, settings, viewer.user)
    except HTTPException as exc:
        if exc.status_code in (409, 422):
            try:
                ctx = _hit_context(session, settings, viewer, hit_id)
            except HTTPException as exc2:
                return error_page(request, viewer, exc2)
            ctx["form_error"] = reason_of(exc)
            return render(request, "hit.html", status_code=exc.status_code, viewer=viewer, requested=0, **ctx)
        return error_page(request, viewer, exc)
    return RedirectResponse(f"{PREFIX}/hits/{hit_id}?requested={d.id}", status.HTTP_303_SEE_OTHER)
