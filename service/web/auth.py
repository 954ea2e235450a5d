"""Who is looking at a page: a signed-in session, its opaque token in an HttpOnly cookie.

The login form signs in through the API's own password flow (same users, passwords,
scopes, throttling, lockout and audit entries) and keeps the session's refresh token
as the cookie; each page looks the session up by the token's SHA-256, so signing out,
a password change or a deactivation ends the page session at once too. The cookie is
HttpOnly (scripts cannot read it), SameSite=Strict (no other site can make the
browser send it) and limited to the pages' path; the ``/api`` routes never read it
and keep answering 401 to callers without an ``Authorization`` header.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote, urlsplit

from datetime import datetime, timezone

from fastapi import Depends, HTTPException, Request, status
from sqlalchemy import select

from service.api.deps import SessionDep
from service.crud.signin import token_hash
from service.models import RefreshToken, User

COOKIE = "bfp_session"
PREFIX = "/review"
LOGIN = f"{PREFIX}/login"
HOME = f"{PREFIX}/runs"


@dataclass(frozen=True)
class Viewer:
    """The signed-in user and the scopes their token grants."""

    user: User
    scopes: frozenset[str]
    jurisdiction: str = ""
    session_id: int | None = None
    csrf: str = ""

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


def current_viewer(request: Request, session: SessionDep) -> Viewer:
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
    return Viewer(user=user, scopes=frozenset(row.scopes.split()), jurisdiction=code, session_id=row.id,
                  csrf=csrf_token_for(token))


ViewerDep = Annotated[Viewer, Depends(current_viewer)]


def need(viewer: Viewer, scope: str) -> None:
    if not viewer.may(scope):
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail=f"your role ({viewer.user.role.value}) lacks {scope}")


def csrf_token_for(cookie: str) -> str:
    """The form token of a page session: derived from its cookie, which another site
    can make the browser send (were SameSite to fail) but never read."""
    return hashlib.sha256(b"csrf:" + cookie.encode()).hexdigest()


def check_csrf(request: Request, submitted: str) -> None:
    """Refuse a form post without this session's form token (CSRF)."""
    cookie = request.cookies.get(COOKIE) or ""
    if not cookie or not hmac.compare_digest(csrf_token_for(cookie), submitted or ""):
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail="form token missing or wrong: reload the page")


def same_origin(request: Request) -> None:
    """Refuse form posts that another origin made (defence in depth beside SameSite=Strict)."""
    origin = request.headers.get("origin")
    if origin and origin != "null":
        if urlsplit(origin).netloc != request.headers.get("host", ""):
            raise HTTPException(status.HTTP_403_FORBIDDEN, detail="cross-origin form post refused")
