"""Operator commands of the service: ``backup``, ``restore`` and ``worker``.

They read their configuration from the ``BALLISTICS_*`` environment exactly as the
service does (``service.core.config.Settings``), so a backup, a restore and a job
worker always name the same database, store and folders as the API processes.
"""

from __future__ import annotations

from pathlib import Path

import typer


def _fail(message: str, code: int = 2) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def _settings():
    from pydantic import ValidationError

    from service.core.config import Settings

    try:
        return Settings()
    except ValidationError as exc:
        _fail("; ".join(e["msg"].removeprefix("Value error, ") for e in exc.errors()))


def _mib(n: int) -> str:
    return f"{n / 2**20:.1f} MiB"


def register(app: typer.Typer) -> None:
    @app.command()
    def backup(
        dest: Path = typer.Argument(..., help="Backup folder; replaced only once the new backup is complete."),
    ) -> None:
        """Take a consistent backup of the running service: database, signature store, originals, reports.

        Safe while the service runs. Writes a manifest with the SHA-256 of every file.
        """
        from ballistics_core.errors import BallisticsError
        from service.backup import backup as take

        settings = _settings()
        try:
            report = take(settings, dest)
        except (BallisticsError, OSError) as exc:
            _fail(str(exc))
        typer.echo(
            f"backup written to {report.path}: {report.files} files, {_mib(report.bytes)}, "
            f"{report.database} database with {report.scans} scans, store generation {report.store_generation}, "
            f"{report.seconds:.2f} s"
        )
        for path in report.missing:
            typer.echo(f"warning: an original or report the database names is missing: {path}", err=True)

    @app.command()
    def restore(
        src: Path = typer.Argument(..., help="A folder written by `ballistics backup`."),
    ) -> None:
        """Rebuild the service on an empty machine from a backup (settings from BALLISTICS_*).

        Every file is checked against its SHA-256 before anything is written; ends with
        the audit-chain verification and the store integrity check (exit 1 if either fails).
        """
        from ballistics_core.errors import BallisticsError
        from service.backup import restore as put_back

        settings = _settings()
        try:
            report = put_back(settings, src)
        except (BallisticsError, OSError) as exc:
            _fail(str(exc))
        typer.echo(f"restored {report.files} files from {src} in {report.seconds:.2f} s")
        if report.tombstoned:
            typer.echo(f"tombstoned {len(report.tombstoned)} signatures of uploads the database snapshot did not hold")
        ok = True
        if report.audit_ok:
            typer.echo(f"audit chain intact: {report.audit_entries} entries")
        else:
            ok = False
            typer.echo(f"audit chain BROKEN after {report.audit_entries} entries: {report.audit_reason}", err=True)
        if report.store_signatures is None:
            typer.echo("store: none in the backup")
        elif not report.store_problems:
            typer.echo(f"store intact: {report.store_signatures} signatures")
        else:
            ok = False
            for problem in report.store_problems:
                typer.echo(f"store problem: {problem}", err=True)
        if not ok:
            raise typer.Exit(1)

    @app.command()
    def worker(
        threads: int = typer.Option(None, "--threads", help="Runs executed at once (default BALLISTICS_JOB_WORKERS)."),
    ) -> None:
        """Run a job worker: claim queued correlation runs from the shared database and execute them.

        Any number of workers and API processes share one queue; stop with Ctrl-C or SIGTERM
        (the runs in progress finish first).
        """
        from ballistics_core.errors import BallisticsError
        from service.worker import run_worker

        settings = _settings()
        try:
            run_worker(settings, threads=threads)
        except BallisticsError as exc:
            _fail(str(exc))
