"""CSRF protection of the pages' forms: a signed double-submit token bound to the session.

A random nonce lives in its own cookie (``bfp_csrf``, SameSite=Strict, HttpOnly,
limited to the pages' path). Every form carries ``nonce.mac`` where ``mac`` is an
HMAC, keyed with the service secret, of the nonce and of a digest of the session
cookie the page was rendered for. A post is accepted only when the token's nonce is
the cookie's and the MAC matches the session cookie sent with the post, so a token
taken from one session (or forged without the secret) is refused, and signing in or
out invalidates the tokens of the pages rendered before. This is defence in depth
beside the SameSite=Strict session cookie and the Origin check.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from fastapi import HTTPException, Request, Response, status

from service.core.config import Settings

CSRF_COOKIE = "bfp_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


def _mac(settings: Settings, nonce: str, session_cookie: str) -> str:
    bound = hashlib.sha256(session_cookie.encode()).hexdigest()
    return hmac.new(settings.secret.encode(), f"csrf|{nonce}|{bound}".encode(), hashlib.sha256).hexdigest()


def nonce_for(request: Request) -> tuple[str, bool]:
    """The browser's nonce, or a new one (True: the response must set the cookie)."""
    have = request.cookies.get(CSRF_COOKIE, "")
    if 20 <= len(have) <= 100 and have.replace("-", "").replace("_", "").isalnum():
        return have, False
    return secrets.token_urlsafe(32), True


def issue(request: Request, settings: Settings, nonce: str, session_cookie: str | None = None) -> str:
    """The token for forms on a page rendered for this request's session cookie."""
    from service.web.auth import COOKIE

    session = request.cookies.get(COOKIE, "") if session_cookie is None else session_cookie
    return f"{nonce}.{_mac(settings, nonce, session)}"


def set_cookie(response: Response, request: Request, nonce: str) -> None:
    from service.web.auth import PREFIX

    response.set_cookie(CSRF_COOKIE, nonce, path=PREFIX, httponly=True, samesite="strict",
                        secure=request.url.scheme == "https")


def check(request: Request, settings: Settings, token: str | None) -> None:
    """Refuse a state-changing post whose token is missing, forged or from another session."""
    from service.web.auth import COOKIE

    from service.reasons import csrf_refused

    refused = csrf_refused()
    token = token or request.headers.get(CSRF_HEADER, "")
    nonce = request.cookies.get(CSRF_COOKIE, "")
    if not token or not nonce or "." not in token:
        raise refused
    sent_nonce, _, mac = token.partition(".")
    expected = _mac(settings, nonce, request.cookies.get(COOKIE, ""))
    if not (hmac.compare_digest(sent_nonce, nonce) and hmac.compare_digest(mac, expected)):
        raise refused
