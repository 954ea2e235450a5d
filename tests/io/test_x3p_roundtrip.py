"""write_x3p -> read_x3p is exact, and the written file is a standard X3P."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import numpy as np
import pytest

from ballistics_core.io import read_x3p, write_x3p
from ballistics_core.scan import Scan


def test_roundtrip_real_scan_is_exact(sample_data: Path, tmp_path: Path) -> None:
    original = read_x3p(sample_data / "Fadul 1-1.x3p")
    out = write_x3p(original, tmp_path / "copy.x3p")
    again = read_x3p(out)
    np.testing.assert_array_equal(again.heights, original.heights)  # NaN positions included
    assert again.spacing_um == original.spacing_um == 6.25
    assert again.meta["unit_xy_detected"] == again.meta["unit_z_detected"] == "m"
    assert again.meta["md5_status"] == "ok" and again.meta["xml_md5_status"] == "ok"
    assert again.meta["instrument"] == original.meta["instrument"]
    assert again.meta["date"] == original.meta["date"]
    with zipfile.ZipFile(out) as zf:
        data = zf.read("bindata/data.bin")
        xml = zf.read("main.xml")
        assert zf.read("md5checksum.hex").split()[0].decode() == hashlib.md5(xml).hexdigest()
    assert hashlib.md5(data).hexdigest().encode() in xml
    stored = np.frombuffer(data, "<f8")
    # Metres, as ISO 5436-2 says.
    assert np.nanmax(np.abs(stored)) < 1e-4


def test_roundtrip_mask(sample_data: Path, tmp_path: Path) -> None:
    original = read_x3p(sample_data / "Fadul 2-1.x3p")
    mask = np.isfinite(original.heights)
    mask[:100] = False
    scan = original.replace(mask=mask)
    again = read_x3p(write_x3p(scan, tmp_path / "masked.x3p"))
    np.testing.assert_array_equal(again.mask, mask)
    assert again.meta["mask_source"] == "x3p mask.png"
    assert "declared in main.xml" in again.meta["mask_note"]


def test_intensity_scan_is_not_written_as_x3p(tmp_path: Path) -> None:
    scan = Scan(heights=np.zeros((4, 4)), spacing_um=1.0, kind="intensity")
    with pytest.raises(ValueError, match="topography"):
        write_x3p(scan, tmp_path / "x.x3p")


def test_integer_data_scaled_by_cz_increment(sample_data: Path, tmp_path: Path) -> None:
    """DataType L (int32) with CZ Increment 1e-9: integer nanometres scaled to metres, read as µm."""
    from . import hostile as H

    original = read_x3p(sample_data / "Fadul 1-1.x3p")
    finite = np.isfinite(original.heights)
    nm = np.where(finite, np.round(original.heights.astype(np.float64) * 1000), 0).astype("<i4")

    def as_int32(text: str) -> str:
        text = H.set_tag(text, "DataType", "L", parent="CZ")
        return H.set_tag(text, "Increment", "1e-09", parent="CZ")

    path = H.rebuild(sample_data / "Fadul 1-1.x3p", tmp_path / "int.x3p", data=lambda _: nm.tobytes(), xml=as_int32)
    scan = read_x3p(path)
    assert scan.meta["data_type"] == "L" and scan.meta["unit_z_detected"] == "m"
    np.testing.assert_allclose(scan.heights[finite], original.heights[finite], atol=0.0006)
