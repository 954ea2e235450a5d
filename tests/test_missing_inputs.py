"""A test whose data is absent skips on a developer's machine but fails under CI."""

from __future__ import annotations

import pytest

from tests.conftest import missing


def test_missing_input_skips_outside_ci(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="no scans"):
        missing("no scans")


@pytest.mark.parametrize("value", ["true", "1", "TRUE"])
def test_missing_input_fails_under_ci(monkeypatch, value):
    monkeypatch.setenv("CI", value)
    with pytest.raises(pytest.fail.Exception, match="required under CI but missing: no scans"):
        missing("no scans")
