"""The application factory: ``create_app(settings=None)``.

On start the app brings its database to the newest migration, opens the signature
store, starts the job workers (resuming runs a previous process left queued) and,
in demo mode only, seeds the sample data.
"""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI

from ballistics_core import ALGORITHM_VERSION, __version__
from fastapi.responses import RedirectResponse

from service.api.errors import install_error_handlers
from service.api.main import api_router
from service.web import router as web_router
from service.core.config import Settings
from service.core.security import configure_hasher
from service.core.db import make_engine, make_session_factory
from service.engine import Engine
from service.jobs import JobRunner
from service.migrations.runner import upgrade_head
from service.ops.context import RequestContextMiddleware
from service.ops.metrics import make_registry
from service.ops.routes import router as ops_router


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    configure_hasher(
        time_cost=settings.argon2_time_cost,
        memory_kib=settings.argon2_memory_kib,
        parallelism=settings.argon2_parallelism,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        db = make_engine(settings.database_url)
        upgrade_head(db)
        settings.upload_dir.mkdir(parents=True, exist_ok=True)
        session_factory = make_session_factory(db)
        engine = Engine(settings.store_dir, dask_scheduler=settings.dask_scheduler)
        jobs = JobRunner(session_factory, engine, workers=settings.job_workers, top_k=settings.run_top_k,
                         lease_s=settings.job_lease_s, poll_s=settings.job_poll_s,
                         max_attempts=settings.job_max_attempts)
        app.state.db, app.state.session_factory, app.state.engine, app.state.jobs = db, session_factory, engine, jobs
        app.state.metrics_registry = make_registry(session_factory)
        if settings.demo:
            from service.demo import print_logins, seed

            app.state.demo_logins = seed(app)
            print_logins(app.state.demo_logins, getattr(app.state, "base_url", "http://127.0.0.1:8000"))
        jobs.recover()
        try:
            yield
        finally:
            jobs.shutdown()
            engine.close()
            db.dispose()

    app = FastAPI(
        title="Ballistics Focal Point",
        version=__version__,
        description=f"Cartridge-case correlation service (algorithm {ALGORITHM_VERSION}). "
        "Sign in with the OAuth2 password flow at /api/login/access-token.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    install_error_handlers(app)
    app.include_router(api_router, prefix="/api")
    app.include_router(web_router)
    app.include_router(ops_router)
    # Outermost: every response, errors included, carries the request id and headers.
    app.add_middleware(RequestContextMiddleware)

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/review/runs", status_code=303)

    return app
