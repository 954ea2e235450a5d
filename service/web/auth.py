"""Who is looking at a page: a signed-in session, its refresh token in an HttpOnly cookie.

The login form obtains the token through the API's own password flow, so the same
users, passwords, scopes and audit entries apply. The cookie is
HttpOnly (scripts cannot read it), SameSite=Strict (no other site can make the
browser send it) and limited to the pages' path; the ``/api`` routes never read it
and keep answering 401 to callers without an ``Authorization`` header.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote, urlsplit

from datetime import datetime, timezone

from fastapi import Depends, HTTPException, Request, status
from sqlalchemy import select

from service import reasons
from service.api.deps import SessionDep, SettingsDep
from service.crud.signin import token_hash
from service.models import RefreshToken, Role, User

COOKIE = "bfp_session"
PREFIX = "/review"
LOGIN = f"{PREFIX}/login"
HOME = f"{PREFIX}/home"

# Where each role starts after signing in.
ROLE_HOME: dict[Role, str] = {
    Role.lab_submitter: f"{PREFIX}/cases",
    Role.examiner: f"{PREFIX}/runs",
    Role.analyst: f"{PREFIX}/intel/link-chart",
    Role.investigator: f"{PREFIX}/inbox",
    Role.prosecutor: f"{PREFIX}/inbox",
    Role.auditor: f"{PREFIX}/audit",
    Role.admin: f"{PREFIX}/admin",
    Role.partner: f"{PREFIX}/partner",
}


def role_home(role: Role) -> str:
    return ROLE_HOME.get(role, f"{PREFIX}/runs")


@dataclass(frozen=True)
class Viewer:
    """The signed-in user and the scopes their token grants."""

    user: User
    scopes: frozenset[str]
    jurisdiction: str = ""

    def may(self, scope: str) -> bool:
        return scope in self.scopes


def safe_next(target: str | None) -> str:
    """Only paths of these pages are followed after login (no open redirect)."""
    if not target:
        return HOME
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith(PREFIX + "/") or target.startswith("//"):
        return HOME
    return target


def to_login(request: Request) -> HTTPException:
    # A 303 with Location: FastAPI's handler passes the header through, so the
    # browser lands on the login page with the way back remembered.
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return HTTPException(status.HTTP_303_SEE_OTHER, detail="sign in first",
                         headers={"Location": f"{LOGIN}?next={quote(here, safe='')}"})


def current_viewer(request: Request, session: SessionDep, settings: SettingsDep) -> Viewer:
    # The cookie holds the session's refresh token (opaque, looked up by its SHA-256):
    # signing out, a password change or a deactivation ends the page session at once.
    token = request.cookies.get(COOKIE)
    if not token or len(token) > 200:
        raise to_login(request)
    row = session.scalar(select(RefreshToken).where(RefreshToken.token_hash == token_hash(token)))
    user = session.get(User, row.user_id) if row is not None else None
    if (row is None or row.revoked_at is not None or row.expires_at <= datetime.now(timezone.utc)
            or user is None or not user.is_active):
        session.commit()
        raise to_login(request)
    code = user.jurisdiction.code
    session.commit()
    return Viewer(user=user, scopes=frozenset(row.scopes.split()), jurisdiction=code)


ViewerDep = Annotated[Viewer, Depends(current_viewer)]


def optional_viewer(request: Request, session: SessionDep, settings: SettingsDep) -> Viewer | None:
    """The signed-in user, or None (pages that signed-out visitors may also use)."""
    try:
        return current_viewer(request, session, settings)
    except HTTPException:
        return None


def need(viewer: Viewer, scope: str) -> None:
    if not viewer.may(scope):
        raise reasons.role_lacks(viewer.user.role.value, scope)


def same_origin(request: Request) -> None:
    """Refuse form posts that another origin made (defence in depth beside SameSite=Strict)."""
    origin = request.headers.get("origin")
    if origin and origin != "null":
        if urlsplit(origin).netloc != request.headers.get("host", ""):
            raise reasons.cross_origin()
