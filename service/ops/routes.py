"""Probes and metrics for the orchestrator and Prometheus (not part of the API document).

``/health/live`` answers while the process serves at all; ``/health/ready`` only when
the database answers, its schema is at the newest migration and the signature store
is open, so a load balancer sends no traffic to a process that cannot serve it.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import text

from service.ops.metrics import render

router = APIRouter(include_in_schema=False)


@router.get("/health")
@router.get("/health/live")
def live() -> dict[str, str]:
    return {"status": "ok"}


def _problems(request: Request) -> dict[str, str]:
    from service.migrations.runner import current_revision, head_revision

    state = request.app.state
    problems: dict[str, str] = {}
    if getattr(state, "session_factory", None) is None:
        return {"startup": "the service has not finished starting"}
    try:
        with state.db.connect() as conn:
            conn.execute(text("SELECT 1"))
            current = current_revision(conn)
        head = head_revision()
        if current != head:
            problems["database"] = f"schema at {current}, code expects {head}"
    except Exception as exc:  # any driver error means: not ready
        problems["database"] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
    if getattr(state, "engine", None) is None:
        problems["store"] = "signature store not open"
    return problems


@router.get("/health/ready")
def ready(request: Request) -> JSONResponse:
    problems = _problems(request)
    if problems:
        return JSONResponse({"status": "unavailable", "problems": problems}, status_code=503)
    return JSONResponse({"status": "ok"})


@router.get("/metrics")
def metrics(request: Request) -> Response:
    registry = getattr(request.app.state, "metrics_registry", None)
    if registry is None:
        return JSONResponse({"detail": "the service has not finished starting"}, status_code=503)
    body, media_type = render(registry)
    return Response(body, media_type=media_type)
