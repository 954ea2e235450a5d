"""A job-worker process (``ballistics worker``): executes correlation runs from the shared queue.

It serves no HTTP. It needs the same database and signature store as the API
processes (and, with ``BALLISTICS_DASK_SCHEDULER``, a Dask cluster that sees the
store at the same path). It does not migrate the database: the API service does that
on start, and two processes must never race to migrate one schema.
"""

from __future__ import annotations

import signal
import threading

import typer
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from ballistics_core.errors import BallisticsError
from service.core.config import Settings
from service.core.db import make_engine, make_session_factory
from service.engine import Engine
from service.jobs import JobRunner
from service.migrations.runner import alembic_config


def check_schema(db) -> None:
    """Refuse to work on a database that is not at this version's newest migration."""
    heads = set(ScriptDirectory.from_config(alembic_config()).get_heads())
    try:
        with db.connect() as conn:
            current = set(MigrationContext.configure(conn).get_current_heads())
    except Exception as exc:  # unreachable server, bad URL
        raise BallisticsError(f"cannot reach the database: {str(exc).strip().splitlines()[0]}") from None
    if current != heads:
        raise BallisticsError(
            f"the database is at migration {', '.join(sorted(current)) or 'none'}, this version needs "
            f"{', '.join(sorted(heads))}: start the API service (`ballistics serve`) once to migrate it")


def run_worker(settings: Settings, *, threads: int | None = None, stop: threading.Event | None = None) -> None:
    """Claim and execute runs until SIGTERM / SIGINT (or ``stop`` is set); runs in progress finish first."""
    db = make_engine(settings.database_url)
    try:
        check_schema(db)
        engine = Engine(settings.store_dir, dask_scheduler=settings.dask_scheduler)
        n = settings.job_workers if threads is None else threads
        if n < 1:
            raise BallisticsError("a worker needs at least one thread (--threads or BALLISTICS_JOB_WORKERS)")
        jobs = JobRunner(make_session_factory(db), engine, workers=n, top_k=settings.run_top_k,
                         lease_s=settings.job_lease_s, poll_s=settings.job_poll_s,
                         max_attempts=settings.job_max_attempts)
        stop = stop or threading.Event()
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGTERM, signal.SIGINT):
                signal.signal(sig, lambda *_: stop.set())
        jobs.start()
        where = f"Dask scheduler {settings.dask_scheduler}" if settings.dask_scheduler else "this process"
        typer.echo(f"worker {jobs.name}: {n} threads, searches on {where}", err=True)
        try:
            while not stop.wait(0.5):
                pass
        finally:
            typer.echo(f"worker {jobs.name}: stopping after the runs in progress", err=True)
            jobs.shutdown()
            engine.close()
    finally:
        db.dispose()
