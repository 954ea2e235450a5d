"""Commands: ``ballistics registry import FILE`` (lost-and-stolen registers).

The import is the same as the API's (``POST /api/registers/{name}/imports``): every
row is checked first, a broken row stops the import with ``error: FILE row N: reason``
and nothing is written; after an import every registered gun is checked against the
register and a match raises an alert to the case that owns the gun.
"""

from __future__ import annotations

import os
from pathlib import Path

import typer

from ballistics_core.cli.common import fail

registry_app = typer.Typer(no_args_is_help=True, help="Lost-and-stolen firearm registers (CSV, iARMS-like columns).")


@registry_app.command("import")
def import_file(
    file: Path = typer.Argument(..., help="CSV with a header: make, model, calibre, serial, country, date_reported."),
    register: str = typer.Option(None, "--register", help="Register name (default: the file name without suffix)."),
    operator: str = typer.Option("", "--operator", help="Who runs the import (recorded in the audit trail)."),
    database_url: str = typer.Option(
        None, "--database-url", help="Database (default: BALLISTICS_DATABASE_URL or the service default)."
    ),
) -> None:
    """Import or re-import a register; print the rows stored and the alerts raised."""
    from service.core.config import Settings
    from service.core.db import make_engine, make_session_factory
    from service.firearms.stolen import RegisterError, import_register
    from service.migrations.runner import upgrade_head

    try:
        data = file.read_bytes()
    except FileNotFoundError:
        fail(f"file not found: {file}")
    except IsADirectoryError:
        fail(f"is a directory: {file}")
    except PermissionError:
        fail(f"permission denied: {file}")
    name = register or file.stem
    url = database_url or os.environ.get("BALLISTICS_DATABASE_URL") or Settings.model_fields["database_url"].default
    engine = make_engine(url)
    try:
        upgrade_head(engine)
        with make_session_factory(engine)() as session:
            try:
                imp, alerts = import_register(session, None, name, data, filename=file.name,
                                              operator=operator or os.environ.get("USER", "cli"))
            except RegisterError as exc:
                session.rollback()
                fail(f"{file.name}: {exc}")
            session.commit()
            typer.echo(f"imported register {imp.register_name!r}: {imp.rows} rows (import {imp.id}, sha256 {imp.sha256})")
            for a in alerts:
                typer.echo(f"ALERT firearm {a.firearm_id} (case {a.case_id}) is on {a.register_name!r}: "
                           f"row {a.entry.row_number}, serial {a.entry.serial_number}, reported {a.entry.date_reported}")
            typer.echo(f"{len(alerts)} alert(s) raised")
    finally:
        engine.dispose()


def register(app: typer.Typer) -> None:
    app.add_typer(registry_app, name="registry")
