"""``ballistics admin create``: the first administrator of a new database.

A production database has no accounts; this command creates the first admin (and its
jurisdiction if new) through ``service.crud.bootstrap.create_admin``, which writes the
audit entries. The password is read from ``BALLISTICS_ADMIN_PASSWORD`` or, when that is
unset, asked for twice on the terminal (never given on the command line, where it
would stay in the shell history and the process list).
"""

from __future__ import annotations

import os

import typer


def register(app: typer.Typer) -> None:
    admin = typer.Typer(no_args_is_help=True, help="Service administration: the first administrator.")
    app.add_typer(admin, name="admin")

    @admin.command("create")
    def create(
        username: str = typer.Option(..., "--username", help="The administrator's username."),
        jurisdiction: str = typer.Option(..., "--jurisdiction", help="Code of the administrator's jurisdiction."),
        jurisdiction_name: str = typer.Option("", "--jurisdiction-name", help="Its name, if the jurisdiction is new."),
        database_url: str = typer.Option(
            None, "--database-url", help="Database (default: BALLISTICS_DATABASE_URL or the service default)."
        ),
    ) -> None:
        """Create an administrator; the database is first brought to the newest migration."""
        from pydantic import ValidationError
        from sqlalchemy.exc import SQLAlchemyError

        from service.core.config import Settings
        from service.core.db import make_engine, make_session_factory
        from service.core.security import configure_hasher
        from service.crud.bootstrap import create_admin
        from service.migrations.runner import upgrade_head
        from service.schemas import JurisdictionCreate, UserCreate

        def fail(message: str) -> None:
            typer.echo(f"error: {message}", err=True)
            raise typer.Exit(2)

        password = os.environ.get("BALLISTICS_ADMIN_PASSWORD")
        if not password:
            password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
        try:
            UserCreate(username=username, password=password, role="admin", jurisdiction_id=1)  # the id is checked later; only the fields matter here
            JurisdictionCreate(code=jurisdiction, name=jurisdiction_name or jurisdiction)
        except ValidationError as exc:
            e = exc.errors()[0]
            fail(f"{e['loc'][0]}: {e['msg']}")
        url = database_url or os.environ.get("BALLISTICS_DATABASE_URL") or Settings.model_fields["database_url"].default
        defaults = Settings.model_fields
        configure_hasher(time_cost=defaults["argon2_time_cost"].default, memory_kib=defaults["argon2_memory_kib"].default,
                         parallelism=defaults["argon2_parallelism"].default)
        if url.startswith("sqlite:///"):
            path = url.removeprefix("sqlite:///")
            if path and path != ":memory:":
                os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        try:
            engine = make_engine(url)
        except Exception as exc:  # noqa: BLE001 - a malformed URL is one line, not a traceback
            fail(f"cannot open the database {url!r}: {exc}")
        try:
            upgrade_head(engine)
            with make_session_factory(engine)() as session:
                user = create_admin(session, username=username, password=password, jurisdiction_code=jurisdiction,
                                    jurisdiction_name=jurisdiction_name)
                typer.echo(f"created administrator {user.username} (id {user.id}) in jurisdiction {jurisdiction}")
        except ValueError as exc:
            fail(str(exc))
        except SQLAlchemyError as exc:
            fail(f"database error: {str(exc).splitlines()[0]}")
        finally:
            engine.dispose()
