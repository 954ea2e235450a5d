"""Commands: ``serve`` (the Focal Point service) and ``audit-verify`` (check the audit chain)."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from ballistics_core.cli.common import fail

DEMO_DIR = Path("var/demo")


def _retire_stale_demo() -> None:
    """Move aside a demo left by an older version whose store this one cannot read or add to.

    The demo database and store are made from ``sample_data`` and belong together,
    so both are set aside (never deleted) and seeded again.
    """
    import time

    from ballistics_core.engine import DEFAULT_PARAMS
    from ballistics_core.store import SignatureStore
    from ballistics_core.store.store import StoreError

    store = DEMO_DIR / "store"
    if not (store / "manifest.json").exists():
        return
    try:
        stale = SignatureStore.open(store).params_digest != DEFAULT_PARAMS.digest()
    except StoreError:
        stale = True
    if stale:
        aside = DEMO_DIR.with_name(f"demo.stale-{time.strftime('%Y%m%d-%H%M%S')}")
        DEMO_DIR.rename(aside)
        typer.echo(f"the demo in {DEMO_DIR} was made by an older version; moved it to {aside} and seeding afresh")


def _settings(demo: bool):
    from pydantic import ValidationError

    from service.core.config import Settings

    overrides = {}
    if demo:
        # Demo data lives apart from a real database unless the environment says otherwise.
        overrides = {"demo": True}
        env = os.environ
        if not any(k in env for k in ("BALLISTICS_DATABASE_URL", "BALLISTICS_STORE_DIR", "BALLISTICS_UPLOAD_DIR")):
            _retire_stale_demo()
        if "BALLISTICS_DATABASE_URL" not in env:
            overrides["database_url"] = f"sqlite:///{DEMO_DIR / 'ballistics.db'}"
        if "BALLISTICS_STORE_DIR" not in env:
            overrides["store_dir"] = DEMO_DIR / "store"
        if "BALLISTICS_UPLOAD_DIR" not in env:
            overrides["upload_dir"] = DEMO_DIR / "uploads"
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        fail("; ".join(e["msg"].removeprefix("Value error, ") for e in exc.errors()))


def register(app: typer.Typer) -> None:
    @app.command()
    def serve(
        host: str = typer.Option("127.0.0.1", help="Address to listen on."),
        port: int = typer.Option(8000, help="Port to listen on."),
        demo: bool = typer.Option(False, "--demo", help="Seed demo jurisdictions, users and the sample scans."),
    ) -> None:
        """Run the Focal Point service (OpenAPI docs at /docs).

        Configuration comes from BALLISTICS_* environment variables; outside demo mode
        BALLISTICS_JWT_SECRET is required and no users exist until an admin adds them.
        """
        import uvicorn

        from service.main import create_app

        settings = _settings(demo)
        app_ = create_app(settings)
        base = f"http://{host}:{port}"
        app_.state.base_url = base

        typer.echo(f"Focal Point service on {base}  (OpenAPI docs: {base}/docs)")
        if settings.log_json:
            from service.ops.context import configure_json_logging

            configure_json_logging(settings.log_level)
        # Behind a TLS-terminating proxy, uvicorn takes the scheme and client address from
        # X-Forwarded-Proto / -For sent by the addresses in FORWARDED_ALLOW_IPS (HSTS needs it).
        uvicorn.run(app_, host=host, port=port, log_level=settings.log_level.lower(),
                    log_config=None if settings.log_json else uvicorn.config.LOGGING_CONFIG, proxy_headers=True)

    @app.command("audit-verify")
    def audit_verify(
        database_url: str = typer.Option(
            None, "--database-url", help="Database to check (default: BALLISTICS_DATABASE_URL or the service default)."
        ),
    ) -> None:
        """Walk the audit hash chain; exit 1 and name the first broken entry if it was altered."""
        from service import audit
        from service.core.config import Settings
        from service.core.db import make_engine, make_session_factory

        url = database_url or os.environ.get("BALLISTICS_DATABASE_URL") or Settings.model_fields["database_url"].default
        engine = make_engine(url)
        try:
            with make_session_factory(engine)() as session:
                report = audit.verify(session)
        finally:
            engine.dispose()
        if report.ok:
            typer.echo(f"audit chain intact: {report.entries} entries")
            return
        typer.echo(f"audit chain BROKEN at entry {report.first_broken_seq}: {report.reason}", err=True)
        raise typer.Exit(1)
