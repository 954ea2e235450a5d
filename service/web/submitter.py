"""The lab submitter's pages: cases, their events and exhibits, uploads, following runs.

Every page reads and writes through the API's route functions (``service.api.routes``),
so the same scopes, jurisdiction checks, validation and audit entries apply; a refusal
is shown as the API gave it (status and reason), never as a traceback.
"""

from __future__ import annotations

import json

from datetime import date
from typing import Annotated

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile, status
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select

from service import reasons
from service.reasons import Reason, reason_of
from service.web.i18n import LANGUAGES, gettext_for
from service.api.types import DbId
from service.api.deps import SessionDep, SettingsDep
from service.api.routes import cases as cases_api
from service.api.routes import events as events_api
from service.api.routes import exhibits as exhibits_api
from service.api.routes import firearms as firearms_api
from service.api.routes import runs as runs_api
from service.api.routes import scans as scans_api
from service.api.routes import tracing as tracing_api
from service.models import CorrelationRun, EventKind, ExhibitKind, LocationPrecision, User
from service.schemas import CaseCreate, EventCreate, ExhibitCreate
from service.web.auth import PREFIX, Viewer, ViewerDep, need
from service.crud.access import sees_only_hit_no_hit
from service.web.pages import CsrfField, guard
from service.web.render import environment, error_page, language, render

router = APIRouter(prefix=PREFIX, include_in_schema=False)


def _invalid(exc: ValidationError) -> HTTPException:
    """A form value the API's schema refuses: 422 with the schema's reasons, as the API says them
    (the fields named in the reader's language before them)."""
    from service.reasons import schema_refused

    return schema_refused(exc)


def _see(path: str) -> RedirectResponse:
    return RedirectResponse(PREFIX + path, status.HTTP_303_SEE_OTHER)


# --- cases ---------------------------------------------------------------------------------



def _number(text: str):
    """A form field as the JSON number the API expects; empty is None, other text is passed on
    unchanged so that the API's validation names the field."""
    t = (text or "").strip()
    if not t:
        return None
    for conv in (int, float):
        try:
            return conv(t)
        except ValueError:
            pass
    return t

@router.get("/cases", response_class=HTMLResponse)
def cases_page(request: Request, session: SessionDep, settings: SettingsDep, viewer: ViewerDep) -> HTMLResponse:
    try:
        need(viewer, "cases:read")
        cases = cases_api.list_cases(session, settings, viewer.user)
    except HTTPException as exc:
        return error_page(request, viewer, exc)
    return render(request, "cases.html", viewer=viewer, cases=list(reversed(cases)),
                  can_write=viewer.may("cases:write"), form_error=None, values={})


@router.post("/cases")
def create_case(
    request: Request, session: SessionDep, settings: SettingsDep, viewer: ViewerDep,
    reference: Annotated[str, Form(max_length=200)] = "",
    title: Annotated[str, Form(max_length=600)] = "",
    csrf_token: CsrfField = None,
) -> Response:
    try:
        guard(request, settings, csrf_token)
        need(viewer, "cases:write")
        try:
            body = CaseCreate(reference=reference.strip(), title=title.strip())
        except ValidationError as exc:
            raise _invalid(exc) from None
        case = cases_api.create_case(body, session, settings, viewer.user)
    except HTTPException as exc:
        if exc.status_code in (409, 422) and viewer.may("cases:read"):
            cases = cases_api.list_cases(session, settings, viewer.user)
            return render(request, "cases.html", status_code=exc.status_code, viewer=viewer,
                          cases=list(reversed(cases)), can_write=True, form_error=reason_of(exc),
                          values=dict(reference=reference, title=title))
        return error_page(request, viewer, exc)
    return _see(f"/cases/{case.id}?created=1")


def _case_context(request: Request, session, settings, viewer: Viewer, case_id: int) -> dict:
    need(viewer, "cases:read")
    case = cases_api.read_case(case_id, session, settings, viewer.user)
    events = events_api.list_events(case_id, session, viewer.user)
    exhibits = exhibits_api.list_exhibits(case_id, session, viewer.user)
    scans = {e.id: exhibits_api.list_scans(e.id, session, viewer.user) for e in exhibits}
    scan_ids = [s.id for ss in scans.values() for s in ss]
    runs: dict[int, list[CorrelationRun]] = {}
    if scan_ids:
        for r in session.scalars(select(CorrelationRun).where(CorrelationRun.scan_id.in_(scan_ids))
                                 .order_by(CorrelationRun.id)):
            runs.setdefault(r.scan_id, []).append(r)
    # The case's own jurisdiction sees its firearm records and the lost-and-stolen alerts
    # raised to it, and acknowledges them (the API's reads: own cases only).
    firearms, alerts, ackers = [], [], {}
    if case.jurisdiction_id == viewer.user.jurisdiction_id:
        firearms = firearms_api.list_case_firearms(case_id, session, viewer.user)
        alerts = tracing_api.case_alerts(case_id, session, viewer.user)
        for a in alerts:
            if a.acknowledged_by_id is not None and a.acknowledged_by_id not in ackers:
                ackers[a.acknowledged_by_id] = session.get(User, a.acknowledged_by_id).username
    session.commit()
    gun_names = {f.id: " ".join(x for x in (f.make, f.model) if x) or f.serial_number for f in firearms}
    return dict(case=case, events=events, exhibits=exhibits, scans=scans, runs=runs, firearms=firearms,
                gun_names=gun_names, alerts=alerts, ackers=ackers, acknowledged=0, can_trace_gun=viewer.may("hits:read"),
                event_kinds=[k.value for k in EventKind], exhibit_kinds=[k.value for k in ExhibitKind],
                precisions=[p.value for p in LocationPrecision], can_write=viewer.may("cases:write"),
                can_upload=viewer.may("scans:upload"), form_error=None, form=None, values={})


@router.get("/cases/{case_id}", response_class=HTMLResponse)
def case_page(case_id: DbId, request: Request, session: SessionDep, settings: SettingsDep, viewer: ViewerDep,
              created: int = 0, acknowledged: int = 0) -> HTMLResponse:
    try:
        ctx = _case_context(request, session, settings, viewer, case_id)
    except HTTPException as exc:
        return error_page(request, viewer, exc)
    ctx["acknowledged"] = acknowledged
    return render(request, "case.html", viewer=viewer, created=created, **ctx)


def _case_form_refused(request, session, settings, viewer, case_id, exc: HTTPException, form: str, values: dict):
    if exc.status_code in (409, 422):
        try:
            ctx = _case_context(request, session, settings, viewer, case_id)
        except HTTPException as exc2:
            return error_page(request, viewer, exc2)
        ctx.update(form_error=reason_of(exc), form=form, values=values)
        return render(request, "case.html", status_code=exc.status_code, viewer=viewer, created=0, **ctx)
    return error_page(request, viewer, exc)


@router.post("/cases/{case_id}/events")
def add_event(
    case_id: DbId, request: Request, session: SessionDep, settings: SettingsDep, viewer: ViewerDep,
    kind: Annotated[str, Form(max_length=40)] = "",
    date_from: Annotated[str, Form(max_length=20)] = "",
    date_to: Annotated[str, Form(max_length=20)] = "",
    location: Annotated[str, Form(max_length=600)] = "",
    latitude: Annotated[str, Form(max_length=40)] = "",
    longitude: Annotated[str, Form(max_length=40)] = "",
    location_precision: Annotated[str, Form(max_length=40)] = "unknown",
    notes: Annotated[str, Form(max_length=4000)] = "",
    csrf_token: CsrfField = None,
) -> Response:
    values = dict(kind=kind, date_from=date_from, date_to=date_to, location=location, latitude=latitude,
                  longitude=longitude, location_precision=location_precision, notes=notes)
    try:
        guard(request, settings, csrf_token)
        need(viewer, "cases:write")
        try:
            # The API takes JSON values; a form sends text: build the body as JSON would carry it.
            body = EventCreate.model_validate_json(json.dumps(dict(
                kind=kind, date_from=date_from, date_to=date_to or None, location=location.strip(),
                latitude=_number(latitude), longitude=_number(longitude),
                location_precision=location_precision or "unknown", notes=notes.strip())))
        except ValidationError as exc:
            raise _invalid(exc) from None
        event = events_api.create_event(case_id, body, session, viewer.user)
    except HTTPException as exc:
        return _case_form_refused(request, session, settings, viewer, case_id, exc, "event", values)
    return _see(f"/cases/{case_id}#event-{event.id}")


@router.post("/cases/{case_id}/exhibits")
def add_exhibit(
    case_id: DbId, request: Request, session: SessionDep, settings: SettingsDep, viewer: ViewerDep,
    kind: Annotated[str, Form(max_length=40)] = "",
    lab_number: Annotated[str, Form(max_length=200)] = "",
    event_id: Annotated[str, Form(max_length=20)] = "",
    description: Annotated[str, Form(max_length=1000)] = "",
    calibre: Annotated[str, Form(max_length=80)] = "",
    firearm: Annotated[str, Form(max_length=400)] = "",
    csrf_token: CsrfField = None,
) -> Response:
    values = dict(kind=kind, lab_number=lab_number, event_id=event_id, description=description, calibre=calibre,
                  firearm=firearm)
    try:
        guard(request, settings, csrf_token)
        need(viewer, "cases:write")
        try:
            body = ExhibitCreate.model_validate_json(json.dumps(dict(
                kind=kind, lab_number=lab_number.strip(), event_id=_number(event_id), description=description.strip(),
                calibre=calibre.strip(), firearm=firearm.strip())))
        except ValidationError as exc:
            raise _invalid(exc) from None
        exhibit = exhibits_api.create_exhibit(case_id, body, session, viewer.user)
    except HTTPException as exc:
        return _case_form_refused(request, session, settings, viewer, case_id, exc, "exhibit", values)
    return _see(f"/exhibits/{exhibit.id}")


# --- exhibits and uploads ------------------------------------------------------------------


def _exhibit_context(session, settings, viewer: Viewer, exhibit_id: int) -> dict:
    need(viewer, "cases:read")
    exhibit = exhibits_api.read_exhibit(exhibit_id, session, viewer.user)
    case = cases_api.read_case(exhibit.case_id, session, settings, viewer.user)
    scans = exhibits_api.list_scans(exhibit_id, session, viewer.user)
    runs: dict[int, list[CorrelationRun]] = {}
    if scans:
        for r in session.scalars(select(CorrelationRun).where(CorrelationRun.scan_id.in_([s.id for s in scans]))
                                 .order_by(CorrelationRun.id)):
            runs.setdefault(r.scan_id, []).append(r)
    session.commit()
    return dict(exhibit=exhibit, case=case, scans=scans, runs=runs, can_upload=viewer.may("scans:upload"),
                max_bytes=settings.max_upload_bytes, results=None, run_href=_run_href(session, viewer))


def _run_href(session, viewer: Viewer):
    """Where a run of this user opens: its page, or for a partner jurisdiction (hit or no-hit
    only, as the API answers it) its row among the partner page's scan queries."""
    if sees_only_hit_no_hit(session, viewer.user):
        return lambda run_id: f"{PREFIX}/partner#run-{run_id}"
    return lambda run_id: f"{PREFIX}/runs/{run_id}"


@router.get("/exhibits/{exhibit_id}", response_class=HTMLResponse)
def exhibit_page(exhibit_id: DbId, request: Request, session: SessionDep, settings: SettingsDep,
                 viewer: ViewerDep) -> HTMLResponse:
    try:
        ctx = _exhibit_context(session, settings, viewer, exhibit_id)
    except HTTPException as exc:
        return error_page(request, viewer, exc)
    return render(request, "exhibit.html", viewer=viewer, **ctx)


def _refusal_words(request: Request, viewer: Viewer):
    """A refusal for the upload page's script: ``reason`` in the reader's language (its
    ``reason_lang``), then the scan reader's own English words, if any, as ``technical``."""
    code = language(request, viewer)
    gettext = gettext_for(code)
    env = environment(code)

    def said(exc: HTTPException) -> dict:
        reason = reason_of(exc)
        if isinstance(reason, Reason):
            return {"reason": reason.phrase.render(gettext, env.globals["term"], env.filters["day"]),
                    "reason_lang": LANGUAGES[code].tag, "technical": reason.technical}
        return {"reason": str(reason), "reason_lang": "en", "technical": ""}

    return said


@router.post("/exhibits/{exhibit_id}/scans")
def upload_scans(
    exhibit_id: DbId, request: Request, session: SessionDep, settings: SettingsDep, viewer: ViewerDep,
    files: Annotated[list[UploadFile], File()],
    instrument: Annotated[str, Form(max_length=200)] = "",
    region: Annotated[str, Form(max_length=40)] = "breech_face",
    csrf_token: CsrfField = None,
) -> Response:
    """Each file through the API's upload; one refusal never stops the others.

    The page's script sends one file per request (for a progress bar per file) and asks
    for JSON; without scripts the form posts all files at once and gets the page back.
    """
    wants_json = "application/json" in request.headers.get("accept", "")
    said = _refusal_words(request, viewer)
    try:
        guard(request, settings, csrf_token)
        need(viewer, "scans:upload")
        if region not in ("breech_face", "firing_pin", "full_head"):
            raise reasons.scan_region_unknown(region)
    except HTTPException as exc:
        if wants_json:
            return JSONResponse({"results": [{"filename": f.filename, "ok": False, "status": exc.status_code,
                                              **said(exc)} for f in files]}, status_code=exc.status_code)
        return error_page(request, viewer, exc)
    results = []
    run_href = _run_href(session, viewer)
    for f in files:
        try:
            out = scans_api.upload_scan(exhibit_id, request, f, session, settings, viewer.user,
                                        instrument=instrument.strip(), region=region)
            results.append({"filename": f.filename, "ok": True, "status": 201, "scan_id": out.scan.id,
                            "sha256": out.scan.sha256, "run_id": out.run.id,
                            "run_url": run_href(out.run.id),
                            "run_status_url": f"{PREFIX}/runs/{out.run.id}/status"})
        except HTTPException as exc:
            session.rollback()
            results.append({"filename": f.filename, "ok": False, "status": exc.status_code, "refusal": reason_of(exc),
                            **said(exc)})
    if wants_json:
        code = 201 if all(r["ok"] for r in results) else (results[0]["status"] if len(results) == 1 else 207)
        return JSONResponse({"results": [{k: x for k, x in r.items() if k != "refusal"} for r in results]},
                            status_code=code)
    try:
        ctx = _exhibit_context(session, settings, viewer, exhibit_id)
    except HTTPException as exc:
        return error_page(request, viewer, exc)
    ctx["results"] = results
    return render(request, "exhibit.html", viewer=viewer, **ctx)


@router.get("/runs/{run_id}/status")
def run_status(run_id: DbId, session: SessionDep, viewer: ViewerDep) -> JSONResponse:
    """A run's state for the upload page's script (same check as the API's read)."""
    try:
        need(viewer, "runs:read")
        run = runs_api.read_run(run_id, session, viewer.user)
    except HTTPException as exc:
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)
    return JSONResponse({"id": run.id, "status": run.status.value, "progress": run.progress, "reason": run.reason,
                         "n_searched": run.n_searched}, headers={"Cache-Control": "no-store"})


__all__ = ["router", "date"]
