"""The auditor's pages (the audit trail, filtered; the chain verification) and the partner
jurisdiction's page (hit or no-hit of its own queries, nothing more).

Both read through the API's functions: the auditor sees the entries of their own
jurisdiction's users as ``GET /api/audit`` gives them, and the verification is the
API's walk of the whole chain; a partner gets ``GET /api/runs/{id}/result`` only.
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse

from service.api.deps import SessionDep, SettingsDep
from service.api.routes import audit as audit_api
from service.api.routes import runs as runs_api
from service.web.auth import PREFIX, ViewerDep, need
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
        report = audit_api.verify_chain(session, viewer.user)
    except HTTPException as exc:
        return error_page(request, viewer, exc)
    session.commit()
    return render(request, "audit_verify.html", viewer=viewer, report=report)


@router.get("/partner", response_class=HTMLResponse)
def partner_page(request: Request, session: SessionDep, settings: SettingsDep, viewer: ViewerDep) -> HTMLResponse:
    try:
        need(viewer, "runs:read")
        runs = runs_api.list_runs(session, viewer.user)
        results = [(r, runs_api.run_result(r.id, session, settings, viewer.user)) for r in reversed(runs)]
    except HTTPException as exc:
        return error_page(request, viewer, exc)
    return render(request, "partner.html", viewer=viewer, results=results)
