"""The serve and audit-verify commands refuse to run unsafely or on nothing."""

from __future__ import annotations

from typer.testing import CliRunner

from service.cli import app as cli


def test_serve_needs_a_secret_outside_demo_mode(monkeypatch):
    monkeypatch.delenv("BALLISTICS_JWT_SECRET", raising=False)
    result = CliRunner().invoke(cli, ["serve", "--port", "1"])
    assert result.exit_code == 2
    assert "BALLISTICS_JWT_SECRET must be set" in result.output


def test_audit_verify_on_a_fresh_database(tmp_path):
    from service.core.db import make_engine
    from service.migrations.runner import upgrade_head

    url = f"sqlite:///{tmp_path / 'x.db'}"
    engine = make_engine(url)
    upgrade_head(engine)
    engine.dispose()
    result = CliRunner().invoke(cli, ["audit-verify", "--database-url", url])
    assert result.exit_code == 0 and "intact: 0 entries" in result.output
