"""Readers and cached raw scans shared by the preprocessing tests."""

from __future__ import annotations

import pytest

from ballistics_core.io import read_scan


@pytest.fixture(scope="session")
def read():
    return read_scan


@pytest.fixture(scope="session")
def fadul_raw_11(shared_data):
    return read_scan(shared_data / "fadul_raw" / "Fadul 1-1 raw.x3p")


@pytest.fixture(scope="session")
def fadul_ref_11(shared_data):
    return read_scan(shared_data / "fadul" / "Fadul 1-1.x3p")
