"""The administrator's pages: users (create, change role, deactivate), jurisdictions, agencies.

Through the API's own functions (``service.api.routes.users`` and ``jurisdictions``),
so the same validation (password length, unknown jurisdiction, duplicate names) and
audit entries apply. Admins manage accounts; they do not read case data.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select

from service.reasons import reason_of
from service.api.types import DbId
from service.api.deps import SessionDep, SettingsDep
from service.api.routes import jurisdictions as jurisdictions_api
from service.api.routes import users as users_api
from service.models import Agency, Role
from service.intel.geo import region_codes
from service.schemas import AgencyCreate, JurisdictionCreate, JurisdictionUpdate, UserCreate, UserUpdate
from service.web.analyst import COUNTRY_NAMES
from service.web.auth import PREFIX, ViewerDep, need
from service.web.pages import CsrfField, guard
from service.web.render import error_page, render, translator

router = APIRouter(prefix=PREFIX, include_in_schema=False)


def _invalid(exc: ValidationError) -> HTTPException:
    """A form value the API's schema refuses: 422 with the schema's reasons, as the API says them
    (the fields named in the reader's language before them)."""
    from service.reasons import schema_refused

    return schema_refused(exc)


def _page(request, session, viewer, status_code=200, form_error=None, form=None, done=None):
    users = users_api.list_users(session, viewer.user)
    jurs = jurisdictions_api.list_jurisdictions(session, viewer.user)
    agencies = list(session.scalars(select(Agency).order_by(Agency.jurisdiction_id, Agency.name)))
    codes = {j.id: j.code for j in jurs}
    session.commit()
    _ = translator(request, viewer)
    regions = [(code, _(COUNTRY_NAMES[code]) if code in COUNTRY_NAMES else code) for code in region_codes()]
    return render(request, "admin.html", status_code=status_code, viewer=viewer, users=users, jurisdictions=jurs,
                  agencies=agencies, codes=codes, roles=[r.value for r in Role], form_error=form_error, form=form,
                  done=done, regions=regions)


@router.get("/admin", response_class=HTMLResponse)
def admin_page(request: Request, session: SessionDep, viewer: ViewerDep, done: str | None = None) -> HTMLResponse:
    try:
        need(viewer, "admin")
        return _page(request, session, viewer, done=done)
    except HTTPException as exc:
        return error_page(request, viewer, exc)


def _act(request, session, settings, viewer, csrf_token, form: str, action) -> Response:
    try:
        guard(request, settings, csrf_token)
        need(viewer, "admin")
        try:
            action()
        except ValidationError as exc:
            raise _invalid(exc) from None
    except HTTPException as exc:
        session.rollback()
        if exc.status_code in (404, 409, 422) and viewer.may("admin"):
            return _page(request, session, viewer, status_code=exc.status_code, form_error=reason_of(exc), form=form)
        return error_page(request, viewer, exc)
    return RedirectResponse(f"{PREFIX}/admin?done={form}", status.HTTP_303_SEE_OTHER)


@router.post("/admin/users")
def create_user(
    request: Request, session: SessionDep, settings: SettingsDep, viewer: ViewerDep,
    username: Annotated[str, Form(max_length=200)] = "", password: Annotated[str, Form(max_length=400)] = "",
    full_name: Annotated[str, Form(max_length=400)] = "", role: Annotated[str, Form(max_length=40)] = "",
    jurisdiction_id: Annotated[str, Form(max_length=20)] = "", csrf_token: CsrfField = None,
) -> Response:
    def action():
        body = UserCreate(username=username.strip(), password=password, full_name=full_name.strip(), role=role,
                          jurisdiction_id=int(jurisdiction_id) if jurisdiction_id.strip().isdigit()
                          and len(jurisdiction_id.strip()) < 11 else 0)
        users_api.create_user(body, session, viewer.user)
    return _act(request, session, settings, viewer, csrf_token, "user", action)


@router.post("/admin/users/{user_id}")
def update_user(
    user_id: DbId, request: Request, session: SessionDep, settings: SettingsDep, viewer: ViewerDep,
    role: Annotated[str, Form(max_length=40)] = "", is_active: Annotated[str, Form(max_length=10)] = "",
    csrf_token: CsrfField = None,
) -> Response:
    def action():
        changes = {}
        if role:
            changes["role"] = role
        if is_active:
            changes["is_active"] = is_active == "true"
        users_api.update_user(user_id, UserUpdate(**changes), session, viewer.user)
    return _act(request, session, settings, viewer, csrf_token, "update", action)


@router.post("/admin/jurisdictions")
def create_jurisdiction(
    request: Request, session: SessionDep, settings: SettingsDep, viewer: ViewerDep,
    code: Annotated[str, Form(max_length=64)] = "", name: Annotated[str, Form(max_length=400)] = "",
    is_partner: Annotated[bool, Form()] = False, map_region: Annotated[str, Form(max_length=8)] = "",
    csrf_token: CsrfField = None,
) -> Response:
    def action():
        jurisdictions_api.create_jurisdiction(JurisdictionCreate(code=code.strip(), name=name.strip(),
                                                                 is_partner=is_partner, map_region=map_region),
                                              session, viewer.user)
    return _act(request, session, settings, viewer, csrf_token, "jurisdiction", action)


@router.post("/admin/jurisdictions/{jurisdiction_id}")
def update_jurisdiction(
    jurisdiction_id: DbId, request: Request, session: SessionDep, settings: SettingsDep, viewer: ViewerDep,
    map_region: Annotated[str, Form(max_length=8)] = "", csrf_token: CsrfField = None,
) -> Response:
    """The area of the events map a jurisdiction is drawn as ("" takes it off the map)."""
    def action():
        jurisdictions_api.update_jurisdiction(jurisdiction_id, JurisdictionUpdate(map_region=map_region), session,
                                              viewer.user)
    return _act(request, session, settings, viewer, csrf_token, "map_region", action)


@router.post("/admin/agencies")
def create_agency(
    request: Request, session: SessionDep, settings: SettingsDep, viewer: ViewerDep,
    jurisdiction_id: Annotated[str, Form(max_length=20)] = "", name: Annotated[str, Form(max_length=400)] = "",
    kind: Annotated[str, Form(max_length=40)] = "police", csrf_token: CsrfField = None,
) -> Response:
    def action():
        # a form sends text; the API's body takes a JSON integer, so convert here (bad text -> 0 -> refused)
        jid = int(jurisdiction_id) if jurisdiction_id.strip().isdigit() and len(jurisdiction_id.strip()) < 11 else 0
        jurisdictions_api.create_agency(AgencyCreate(jurisdiction_id=jid, name=name.strip(),
                                                     kind=kind.strip() or "police"), session, viewer.user)
    return _act(request, session, settings, viewer, csrf_token, "agency", action)
