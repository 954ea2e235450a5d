"""Exception handlers that keep every refusal a 4xx with a reason, as declared.

* 405: Starlette names only the methods of the first route whose path matched; the
  ``Allow`` header here lists every method the OpenAPI document has for that path.
"""

from __future__ import annotations

import re

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path


def _path_methods(app: FastAPI) -> list[tuple[re.Pattern, list[str]]]:
    """(path regex, methods) for every path of the OpenAPI document, computed once."""
    cached = getattr(app.state, "path_methods", None)
    if cached is None:
        cached = [
            (compile_path(path)[0], sorted(m.upper() for m in ops))
            for path, ops in app.openapi()["paths"].items()
        ]
        app.state.path_methods = cached
    return cached


def allowed_methods(request: Request) -> list[str]:
    """Every method the API documents at the request's path (empty if it documents none)."""
    path = request.scope.get("path", "")
    matches = [(regex, m) for regex, m in _path_methods(request.app) if regex.match(path)]
    # A literal path (/users/me) is its own resource, not an instance of /users/{user_id}.
    literal = [(regex, m) for regex, m in matches if not regex.groupindex]
    return sorted({method for _, ms in (literal or matches) for method in ms})


async def _http_error(request: Request, exc: StarletteHTTPException):
    if exc.status_code == 405:
        methods = allowed_methods(request)
        if methods:
            exc = StarletteHTTPException(405, detail=exc.detail, headers={**(exc.headers or {}), "Allow": ", ".join(methods)})
    return await http_exception_handler(request, exc)


def install_error_handlers(app: FastAPI) -> None:
    from fastapi.exceptions import RequestValidationError

    from service.web.render import invalid_request

    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, invalid_request)
