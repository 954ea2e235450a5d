"""A test whose data is absent skips on a developer's machine but fails under CI."""

from __future__ import annotations

import pytest

from tests.conftest import missing


def test_missing_input_skips_outside_ci(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("BALLISTICS_REQUIRE_DATA", raising=False)
    with pytest.raises(pytest.skip.Exception, match="no scans"):
        missing("no scans")


@pytest.mark.parametrize("value", ["true", "1", "TRUE"])
def test_missing_input_fails_under_ci(monkeypatch, value):
    monkeypatch.setenv("CI", value)
    with pytest.raises(pytest.fail.Exception, match="required under CI but missing: no scans"):
        missing("no scans")


def test_missing_input_fails_when_required(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv("BALLISTICS_REQUIRE_DATA", "1")
    with pytest.raises(pytest.fail.Exception, match="required under CI but missing: no scans"):
        missing("no scans")


def test_reference_scans_absent_fail_under_ci(tmp_path):
    """The real-data tests, run under CI without ../shared/data: failures, not one skip."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    repo = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", "CI": "true", "BALLISTICS_SHARED_DATA": str(tmp_path / "absent"), "PYTHONPATH": str(repo)}
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs",
                        "tests/io/test_x3p_real.py"], cwd=repo, env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode != 0, r.stdout[-2000:]
    assert "skipped" not in r.stdout and "required under CI but missing" in r.stdout, r.stdout[-2000:]
