"""``ballistics report synth|make|list`` end to end on a fresh database (SQLite and PostgreSQL)."""

from __future__ import annotations

import hashlib

import typer
from typer.testing import CliRunner

from service.cli import report as cmd_report


def _app() -> typer.Typer:
    app = typer.Typer()
    cmd_report.register(app)

    @app.command()
    def _unused() -> None:  # a second command keeps "report" a sub-command
        pass

    return app


def test_synth_make_and_list(database_url, tmp_path, monkeypatch):
    monkeypatch.setenv("BALLISTICS_JWT_SECRET", "cli-test-secret-0123456789abcdef0123456789")
    monkeypatch.setenv("BALLISTICS_STORE_DIR", str(tmp_path / "store"))
    url = database_url
    runner = CliRunner()
    app = _app()
    r = runner.invoke(app, ["report", "synth", "--database-url", url, "--cases", "300", "--seed", "5",
                            "--truth", str(tmp_path / "truth.json")])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "truth.json").is_file()
    out = tmp_path / "stats.csv"
    r = runner.invoke(app, ["report", "make", "statistics", "--as", "analyst.north", "-f", "csv", "-o", str(out),
                            "--database-url", url, "-p", "start=2023-01-01", "-p", "end=2024-01-01"])
    assert r.exit_code == 0, r.output
    sha = r.output.split()[0]
    assert hashlib.sha256(out.read_bytes()).hexdigest() == sha
    assert (tmp_path / "reports" / sha[:2] / f"{sha}.csv").is_file()
    r = runner.invoke(app, ["report", "list", "--as", "analyst.north", "--database-url", url])
    assert r.exit_code == 0 and sha in r.output and '"start": "2023-01-01"' in r.output
    r = runner.invoke(app, ["report", "make", "statistics", "--as", "lab_submitter.north", "--database-url", url])
    assert r.exit_code == 2 and "may not receive" in r.output
    r = runner.invoke(app, ["report", "make", "timeline", "--as", "analyst.north", "--database-url", url])
    assert r.exit_code == 2 and "exactly one" in r.output
    r = runner.invoke(app, ["report", "synth", "--database-url", url, "--cases", "300"])
    assert r.exit_code == 2 and "without cases" in r.output
