"""Commands: ``ballistics people retention-run`` (Law Enforcement Directive retention).

The same run as the API's (``POST /api/people/retention-run``), for a scheduler (cron, a
Kubernetes CronJob) rather than an administrator's token: the personal data of everyone
whose retention period ended before the day given (today by default, never a later day)
are blanked, the links and roles (the ballistic facts) stay, and the run is one entry in
the audit trail.
"""

from __future__ import annotations

import os
from datetime import date, datetime, timezone

import typer

from ballistics_core.cli.common import fail

people_app = typer.Typer(no_args_is_help=True, help="People and organisations: the retention rule.")


@people_app.command("retention-run")
def retention_run(
    as_of: str = typer.Option(None, "--as-of", help="Erase what was due before this day (YYYY-MM-DD; default today)."),
    operator: str = typer.Option("", "--operator", help="Who runs it (recorded in the audit trail)."),
    database_url: str = typer.Option(
        None, "--database-url", help="Database (default: BALLISTICS_DATABASE_URL or the service default)."
    ),
) -> None:
    """Remove the personal data past their retention date; print the people erased."""
    from service.core.config import Settings
    from service.core.db import make_engine, make_session_factory
    from service.crud.people import retention_run as run
    from service.migrations.runner import upgrade_head

    today = datetime.now(timezone.utc).date()
    day = today
    if as_of is not None:
        try:
            day = date.fromisoformat(as_of)
        except ValueError:
            fail(f"--as-of {as_of!r} is not a date (YYYY-MM-DD)")
        if day > today:
            fail(f"--as-of {day} is a later day than today ({today})")
    url = database_url or os.environ.get("BALLISTICS_DATABASE_URL") or Settings.model_fields["database_url"].default
    engine = make_engine(url)
    try:
        upgrade_head(engine)
        with make_session_factory(engine)() as session:
            erased = run(session, None, day, operator=operator or os.environ.get("USER", "cli"))
            session.commit()
        typer.echo(f"retention run as of {day}: {len(erased)} person(s) erased"
                   + (f" (ids {', '.join(map(str, erased))})" if erased else ""))
    finally:
        engine.dispose()


def register(app: typer.Typer) -> None:
    app.add_typer(people_app, name="people")
