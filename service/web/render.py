"""Rendering a page: its language, its CSRF token, its security headers, its error page."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from fastapi import HTTPException, Request
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse

from service import reasons
from service.reasons import reason_of
from service.web import csrf
from service.web.auth import PREFIX, Viewer
from service.web.i18n import DEFAULT, LANG_COOKIE, LANGUAGES, gettext_for, known, make_environment, negotiate

HERE = Path(__file__).resolve().parent
STATIC = {
    "review.css": "text/css",
    "review.js": "text/javascript",
    "upload.js": "text/javascript",
    "linkchart.js": "text/javascript",
}



def _static_version() -> str:
    h = hashlib.sha256()
    for name in sorted(STATIC):
        path = HERE / "static" / name
        if path.is_file():
            h.update(path.read_bytes())
    return h.hexdigest()[:10]


@lru_cache(maxsize=None)
def environment(code: str):
    """The Jinja environment of one language, built on first use."""
    env = make_environment(code, HERE / "templates")
    env.globals["static_version"] = _static_version()
    env.globals["prefix"] = PREFIX
    return env


def language(request: Request, viewer: Viewer | None = None) -> str:
    """The user's setting, else the visitor's choice (cookie), else Accept-Language."""
    if viewer is not None and known(viewer.user.locale):
        return viewer.user.locale
    chosen = known(request.cookies.get(LANG_COOKIE))
    return chosen or negotiate(request.headers.get("accept-language"))


def translator(request: Request, viewer: Viewer | None = None):
    return gettext_for(language(request, viewer))


SECURITY_HEADERS = {
    # Pages hold case data: never cached by the browser or anything in between.
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                               "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
}


def render(request: Request, template: str, *, status_code: int = 200, viewer: Viewer | None = None,
           **context) -> HTMLResponse:
    code = language(request, viewer)
    settings = request.app.state.settings
    nonce, new_nonce = csrf.nonce_for(request)
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    html = environment(code).get_template(template).render(
        viewer=viewer, csrf_token=csrf.issue(request, settings, nonce), csrf_name=csrf.CSRF_FIELD, here=here,
        **context,
    )
    headers = dict(SECURITY_HEADERS, **{"Content-Language": LANGUAGES[code].tag})
    response = HTMLResponse(html, status_code=status_code, headers=headers)
    if new_nonce:
        csrf.set_cookie(response, request, nonce)
    return response


def error_page(request: Request, viewer: Viewer | None, exc: HTTPException) -> HTMLResponse:
    """The API's refusal (same status, same reason) as a page."""
    return render(request, "error.html", status_code=exc.status_code, viewer=viewer, status=exc.status_code,
                  detail=reason_of(exc))


async def invalid_request(request: Request, exc: RequestValidationError):
    """A request the route's types refuse (an id no database holds, a field too long): the
    API keeps FastAPI's JSON 422; a page gets the error page with the same reasons, so a
    person never reads JSON. The upload script asks for JSON and gets it."""
    if not request.url.path.startswith(PREFIX + "/") or "application/json" in request.headers.get("accept", ""):
        return await request_validation_exception_handler(request, exc)
    fields = [".".join(str(p) for p in e["loc"][1:]) or str(e["loc"][0]) for e in exc.errors()]
    technical = "; ".join(f"{f}: {e['msg']}" for f, e in zip(fields, exc.errors()))
    # The schema's own words (pydantic's) are English: a translated sentence names the
    # fields, and the technical text follows it marked as English.
    return error_page(request, None, reasons.fields_refused(list(dict.fromkeys(fields)), technical))


__all__ = ["DEFAULT", "STATIC", "error_page", "invalid_request", "language", "render", "translator"]
