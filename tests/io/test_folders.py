"""Listing the scans of a dataset folder."""

from __future__ import annotations

import pytest

from ballistics_core.errors import BallisticsError
from ballistics_core.io import scan_files


def _touch(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x")
    return path


def test_flat_and_nested_scans_are_listed_in_path_order(tmp_path):
    a = _touch(tmp_path / "B 1.x3p")
    b = _touch(tmp_path / "gun 2" / "A 2.X3P")
    c = _touch(tmp_path / "gun 2" / "deeper" / "C 3.png")
    _touch(tmp_path / "notes.txt")
    _touch(tmp_path / "unpacked" / "bindata" / "mask.png")  # a member of an unpacked X3P, not a scan
    _touch(tmp_path / "unpacked" / "bindata" / "data.bin")
    assert scan_files(tmp_path) == [a, b, c]


def test_two_scans_with_one_name_are_refused(tmp_path):
    _touch(tmp_path / "lab A" / "K001.x3p")
    _touch(tmp_path / "lab B" / "K001.x3p")
    with pytest.raises(BallisticsError, match="share the name 'K001'"):
        scan_files(tmp_path)


def test_a_file_is_not_a_folder(tmp_path):
    with pytest.raises(BallisticsError, match="not a folder"):
        scan_files(_touch(tmp_path / "one.x3p"))
