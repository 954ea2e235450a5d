"""Commands: ``ballistics report synth|make|list`` (Focal Point intelligence reports).

``make`` computes a report exactly as the API does, for a named user's scope, stores
it with its parameters and SHA-256 (``intel_report`` table and the reports folder),
and writes a copy where ``--output`` says. The opaque references it prints are keyed
with BALLISTICS_JWT_SECRET, so run it with the service's own settings.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import typer

from ballistics_core.cli.common import fail

report_app = typer.Typer(no_args_is_help=True, help="Focal Point intelligence: link charts, gun timelines, statistics.")


def _url(database_url: str | None) -> str:
    from service.core.config import Settings

    return database_url or os.environ.get("BALLISTICS_DATABASE_URL") or Settings.model_fields["database_url"].default


def _parse_params(items: list[str]) -> dict:
    params = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            fail(f"parameter {item!r} is not key=value")
        try:
            params[key] = json.loads(value)
        except json.JSONDecodeError:
            params[key] = value
    return params


@report_app.command("synth")
def synth(
    database_url: str = typer.Option(..., "--database-url", help="A new or empty database (e.g. sqlite:///var/synth.db)."),
    cases: int = typer.Option(10_000, help="Cases over seven jurisdictions and three years."),
    seed: int = typer.Option(0, help="Seed; the same seed gives the same case load."),
    truth: Path = typer.Option(None, help="Write the planted series and counts as JSON here."),
) -> None:
    """Generate a realistic synthetic case load with planted series (for tests and benchmarks)."""
    from service.core.db import make_engine, make_session_factory
    from service.intel.synthetic import generate
    from service.migrations.runner import upgrade_head

    engine = make_engine(database_url)
    try:
        upgrade_head(engine)
        with make_session_factory(engine)() as session:
            try:
                t = generate(session, n_cases=cases, seed=seed)
            except ValueError as exc:
                fail(str(exc))
    finally:
        engine.dispose()
    typer.echo(f"{cases} cases, {len(t.series)} planted series, {len(t.hits)} hits written to {database_url}")
    if truth is not None:
        truth.write_text(json.dumps({
            "seed": seed, "cases": cases, "series": [sorted(s) for s in t.series],
            "series_firearms": t.series_firearms, "hits": len(t.hits),
        }, indent=1))


def _open(database_url: str | None, username: str):
    from pydantic import ValidationError
    from sqlalchemy import select

    from service.core.config import Settings
    from service.core.db import make_engine, make_session_factory
    from service.models import User

    url = _url(database_url)
    try:
        settings = Settings(database_url=url)
    except ValidationError as exc:
        fail("; ".join(e["msg"].removeprefix("Value error, ") for e in exc.errors()))
    engine = make_engine(url)
    session = make_session_factory(engine)()
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.is_active:
        session.close()
        engine.dispose()
        fail(f"no active user {username!r}")
    return settings, engine, session, user


@report_app.command("make")
def make(
    kind: str = typer.Argument(..., help="link_chart, timeline or statistics."),
    as_user: str = typer.Option(..., "--as", help="Username whose role and jurisdiction scope the report."),
    fmt: str = typer.Option("html", "--format", "-f", help="html, pdf; graphml/csv (link_chart), geojson/csv (timeline), csv/json (statistics)."),
    output: Path = typer.Option(None, "--output", "-o", help="Also write the report here."),
    param: list[str] = typer.Option([], "--param", "-p", help="key=value, repeatable (e.g. series_key=SER-..., start=2023-01-01)."),
    database_url: str = typer.Option(None, "--database-url", help="Default: BALLISTICS_DATABASE_URL or the service default."),
) -> None:
    """Produce, store and (optionally) write one report; prints its SHA-256."""
    from pydantic import ValidationError

    from service.intel.data import load_case_load
    from service.intel.reports import produce
    from service.intel.scope import Scope, ScopeError
    from service.intel.store import reports_dir, save_report
    from service.intel.timeline import SubjectNotFound

    params = _parse_params(param)
    settings, engine, session, user = _open(database_url, as_user)
    try:
        try:
            scope = Scope.for_user(session, settings, user)
            data = load_case_load(session)
            session.commit()
            product = produce(data, scope, kind, fmt, params)
        except ValidationError as exc:
            fail("; ".join(e["msg"].removeprefix("Value error, ") for e in exc.errors()))
        except (ScopeError, SubjectNotFound, ValueError) as exc:
            fail(str(exc).strip("'\""))
        report = save_report(session, reports_dir(settings), scope, product)
        session.commit()
        if output is not None:
            output.write_bytes(product.content)
        typer.echo(f"{report.sha256}  report {report.id}  {kind} {fmt}  {report.size_bytes} bytes"
                   + (f"  -> {output}" if output else ""))
    finally:
        session.close()
        engine.dispose()


@report_app.command("list")
def list_cmd(
    as_user: str = typer.Option(..., "--as", help="Username whose reports to list."),
    database_url: str = typer.Option(None, "--database-url"),
) -> None:
    """Stored reports visible to a user: id, when, kind, format, SHA-256, parameters."""
    from service.intel.scope import Scope, ScopeError
    from service.intel.store import list_reports

    settings, engine, session, user = _open(database_url, as_user)
    try:
        try:
            scope = Scope.for_user(session, settings, user)
        except ScopeError as exc:
            fail(str(exc))
        for r in list_reports(session, scope):
            typer.echo(f"{r.id}\t{r.created_at.isoformat(timespec='seconds')}\t{r.kind}\t{r.format}\t{r.sha256}\t"
                       + json.dumps(r.params, sort_keys=True))
    finally:
        session.close()
        engine.dispose()


def register(app: typer.Typer) -> None:
    app.add_typer(report_app, name="report")
